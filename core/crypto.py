"""Field-level encryption and keyed hashing of personal data.

Values are encrypted with Fernet (AES-128-CBC + HMAC) under the keys in
``FIELD_ENCRYPTION_KEY``: the first key encrypts, every key decrypts, so a
key can be rotated without downtime (``manage.py rotate_field_key``).
Ciphertext is random, so equality lookups go through a keyed HMAC of the
normalised value stored beside it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(ValueError):
    pass


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(value: str) -> str:
    return _fernet(_keys()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("stored value cannot be decrypted with FIELD_ENCRYPTION_KEY") from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the first (newest) key."""
    return _fernet(_keys()).rotate(token.encode("ascii")).decode("ascii")


def _hash_key() -> bytes:
    # Derived from the primary encryption key, so one secret protects both;
    # rotate_field_key recomputes every hash when the primary key changes.
    return hashlib.sha256(b"creditdesk-field-hash|" + base64.urlsafe_b64decode(_keys()[0])).digest()


def keyed_hash(normalized_value: str) -> str:
    return hmac.new(_hash_key(), normalized_value.encode("utf-8"), hashlib.sha256).hexdigest()
