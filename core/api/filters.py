"""``?search=`` that also finds a phone however it is typed."""
from __future__ import annotations

from rest_framework.filters import SearchFilter

from core.search import phone_search


class PhoneSearchFilter(SearchFilter):
    """DRF's ``SearchFilter``, except for a search text that is a phone
    number (``0772 123 456``, ``+256…``, ``256…``, a tail of 6+ digits) on a
    view with ``phone_search_fields``: then the rows whose phone is that
    number, and exact matches on the indexed search fields
    (``core.search.phone_search``: indexed ``IN`` lookups, a subquery for a
    related row's phone). Any other text is DRF's word search."""

    def filter_queryset(self, request, queryset, view):
        fields = getattr(view, "phone_search_fields", ())
        text = request.query_params.get(self.search_param, "")
        if fields and text:
            found = phone_search(queryset, text, phone_fields=fields, search_fields=self.get_search_fields(view, request) or ())
            if found is not None:
                return found
        return super().filter_queryset(request, queryset, view)
