"""Model fields for personal data: encrypted text and its keyed hash."""
from __future__ import annotations

from django.db import models

from core import crypto
from core.text import normalize_identifier


def normalize_digits(value: str) -> str:
    return "".join(ch for ch in str(value) if ch.isalnum()).upper()


NORMALIZERS = {"identifier": normalize_identifier, "digits": normalize_digits}


class EncryptedTextField(models.TextField):
    """Plain text in Python, Fernet ciphertext in the database.

    Never filter on this field (ciphertext is random); filter on the
    ``HashField`` that sits beside it.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name not in {"isnull", "exact"}:
            return None
        return super().get_lookup(lookup_name)


class HashField(models.CharField):
    """Keyed HMAC of another field's normalised value, for uniqueness and lookup.

    Computed in ``pre_save`` from the source field, so ``save()`` and
    ``bulk_create`` keep it right. ``QuerySet.update``/``bulk_update`` do not
    call ``pre_save``: code that changes the source that way must set the
    hash too (``HashField.compute``).
    """

    def __init__(self, *args, source: str = "", normalizer: str = "identifier", **kwargs):
        self.source = source
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normalizer"] = self.normalizer
        for key, default in (("max_length", 64), ("null", True), ("blank", True), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def compute(self, raw_value) -> str | None:
        if raw_value in (None, ""):
            return None
        normalized = NORMALIZERS[self.normalizer](raw_value)
        return crypto.keyed_hash(normalized) if normalized else None

    def pre_save(self, model_instance, add):
        value = self.compute(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def lookup_hash(model, field_name: str, raw_value) -> str | None:
    """The hash to filter on: ``Customer.objects.filter(ssn_hash=lookup_hash(Customer, 'ssn_hash', '123-45-6789'))``."""
    return model._meta.get_field(field_name).compute(raw_value)
