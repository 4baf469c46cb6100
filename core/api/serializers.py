"""Serializer pieces shared by every app's API: masked personal data and
the fields a PUT/PATCH really changes."""
from __future__ import annotations

from rest_framework import serializers

from core.masking import mask

MASK_PREFIX = "••••"


class MaskedCharField(serializers.CharField):
    """Accepts the clear value, answers the last four characters only
    (``••••6789``), so a partner writes ``ssn`` and reads ``ssn``."""

    def to_representation(self, value):
        return mask(value)


def changed_fields(instance, validated_data: dict) -> dict:
    """Only what a PUT/PATCH actually changes, so an unchanged read-only-by-rule
    field sent back as read is not mistaken for an attempt to change it."""
    changed = {}
    for name, value in validated_data.items():
        if isinstance(value, str) and value.startswith(MASK_PREFIX):
            continue  # a masked value read from us and sent back: unchanged
        current = getattr(instance, name, None)
        if hasattr(current, "pk") and not hasattr(value, "pk"):
            current = current.pk
        if current != value:
            changed[name] = value
    return changed


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A read-only choice that answers ``null`` where the row holds ``""``:
    "not known" (a failed import has no provider) is ``null`` in the API,
    never a value outside the enum. Declared nullable in the schema."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value in ("", None):
            return None
        return super().to_representation(value)
