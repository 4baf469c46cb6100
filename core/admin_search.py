"""Admin search that finds a phone however it is typed."""
from __future__ import annotations

from core.search import phone_search


class PhoneSearchAdminMixin:
    """An admin search box (and the autocomplete pickers that use it) that
    reads a phone number however it is typed (``0772 123 456``,
    ``0772123456``, ``+256…``, ``256…``, a tail of 6+ digits): the rows whose
    phone at any of ``phone_search_fields`` is that number, and exact
    matches on the indexed search fields (``core.search.phone_search``).
    Any other text goes to the admin's own word search."""

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        found = phone_search(queryset, search_term, phone_fields=self.phone_search_fields, search_fields=self.get_search_fields(request))
        if found is None:
            return super().get_search_results(request, queryset, search_term)
        return found, False
