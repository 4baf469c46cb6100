'use strict';
// The admin's dependent pickers: a search in one autocomplete picker is
// narrowed by another field of the same form. The contact form's debt list
// shows only the chosen customer's debts; the promise form's contact list
// only the chosen debt's customer's contacts. The admin answers the search
// (DebtAdmin / CommunicationLogAdmin.get_search_results read the extra
// parameter); the services still refuse a debt or a contact of someone else.
(function ($) {
    if (!$) { return; }
    // picker field → the form field that narrows it, sent as this parameter
    var DEPENDS = {"debt": ["customer", "customer"], "communication_log": ["debt", "debt"]};
    $.ajaxPrefilter(function (options) {
        if (!options.url || options.url.indexOf("/autocomplete/") === -1 || typeof options.data !== "string") { return; }
        var params = new URLSearchParams(options.data);
        var depends = DEPENDS[params.get("field_name")];
        if (!depends) { return; }
        var source = document.getElementById("id_" + depends[0]);
        if (source && source.value) { options.data += "&" + depends[1] + "=" + encodeURIComponent(source.value); }
    });
    $(function () {
        Object.keys(DEPENDS).forEach(function (field) {
            var source = $("#id_" + DEPENDS[field][0]);
            var target = $("#id_" + field);
            if (!source.length || !target.length) { return; }
            // A new customer (or debt) clears a pick that belonged to the old one.
            source.on("change", function () { target.val(null).trigger("change"); });
        });
    });
}(window.django && window.django.jQuery));
