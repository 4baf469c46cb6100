"""Admin search that finds a phone however it is typed."""
from __future__ import annotations

from core.phones import phone_search_condition


class PhoneSearchAdminMixin:
    """Adds to an admin's search box: when the text is a phone number
    (``0772 123 456``, ``0772123456``, ``+256…``, ``256…``, a tail of 6+
    digits), the rows whose phone at any of ``phone_search_fields`` is that
    number (``core.phones.phone_search_condition``: indexed ``IN`` lookups,
    through a subquery for a related row's phone). The admin's own word
    search still runs; the phone matches are added to it."""

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        condition = phone_search_condition(queryset.model, search_term, *self.phone_search_fields) if search_term else None
        if condition is None:
            return results, may_have_duplicates
        phones = queryset.filter(condition)
        if results.query.distinct:
            phones = phones.distinct()
        return results | phones, may_have_duplicates
