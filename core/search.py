"""A search box's text that is a phone number.

Typed as a phone (``0772 123 456``, ``+256…``, a tail of 6+ digits), the
text is looked up the indexed way only: the phone columns by their E.164
values (``core.phones.phone_search_condition``) and, so that a number-like
loan id or customer id typed in full is still found, an exact match on the
search fields that have an index of their own. The word search (``LIKE
'%0772%' AND LIKE '%123%' …`` over every search field) is not run for it: it
scans the table, and its coincidental matches ("0772" inside another
number) are noise beside the one customer asked for.
"""
from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet

from core.phones import PHONE_SEARCH_MAX_ROWS, phone_search_condition


def _indexed_field(model, path: str) -> bool:
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field is not None and not field.is_relation and bool(field.unique or field.db_index or field.primary_key)


def phone_search(queryset: QuerySet, text: str | None, *, phone_fields, search_fields=()) -> QuerySet | None:
    """``queryset`` narrowed to the rows ``text`` finds as a phone (any of
    ``phone_fields``) or, exactly, in an indexed one of ``search_fields``
    (DRF/admin style, ``^=@$`` prefixes ignored); ``None`` when ``text`` is
    not a phone, for the caller's own word search."""
    condition = phone_search_condition(queryset.model, text, *phone_fields) if text and phone_fields else None
    if condition is None:
        return None
    value = text.strip()
    # The exact matches, like the phones, are read as ids one indexed query
    # each, so the final statement is a primary-key (or foreign-key) lookup.
    ids: set = set()
    base = queryset.model._default_manager.order_by()
    for name in search_fields or ():
        path = name.lstrip("^=@$")
        if _indexed_field(queryset.model, path):
            ids.update(base.filter(**{path: value}).values_list("pk", flat=True)[:PHONE_SEARCH_MAX_ROWS])
    if ids:
        condition |= Q(pk__in=sorted(ids))
    return queryset.filter(condition)
