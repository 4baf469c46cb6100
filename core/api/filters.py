"""``?search=`` that also finds a phone however it is typed."""
from __future__ import annotations

from rest_framework.filters import SearchFilter

from core.phones import phone_search_condition


class PhoneSearchFilter(SearchFilter):
    """DRF's ``SearchFilter``, plus: when the search text is a phone number
    (``0772 123 456``, ``+256…``, ``256…``, a tail of 6+ digits), rows whose
    phone at any of the view's ``phone_search_fields`` is that number
    (``core.phones.phone_search_condition``: an indexed ``IN`` on E.164
    values, through a subquery for a related row's phone).

    The word search still runs; the phone match is added to its result, so
    a name or loan id search answers as before.
    """

    def filter_queryset(self, request, queryset, view):
        searched = super().filter_queryset(request, queryset, view)
        fields = getattr(view, "phone_search_fields", ())
        text = request.query_params.get(self.search_param, "")
        condition = phone_search_condition(queryset.model, text, *fields) if fields and text else None
        if condition is None:
            return searched
        phones = queryset.filter(condition)
        if searched.query.distinct:
            phones = phones.distinct()
        return searched | phones
