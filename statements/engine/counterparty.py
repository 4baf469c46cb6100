"""Who is on the other side of a transaction: a number and a name, from the
From/To columns and the description (issue 18).

Names written twice (``Paid to 4391279 UEDCL UEDCL``, or glued
``UEDCLUEDCL``, as Airtel's 2025 statements do) are kept once. The
account holder's own number is never the counterparty.
"""
from __future__ import annotations

import re

from statements.engine.cleaning import acc_number_9
from statements.engine.types import RawTxn

# "Received from 0700123456 JOHN OKELLO", "Sent to 256700123456 SARAH", "Paid to 4391279 UEDCL UEDCL",
# "Transfer from JOHN OKELLO", "Payment to UMEME YAKA account 123": the words after from/to.
_PARTY = re.compile(r"\b(?:from|to)\s+(?P<number>\+?\d[\d ]{3,14}\d)?\s*(?P<name>[A-Za-z][A-Za-z0-9 .&'-]*)?", re.IGNORECASE)
# Words that end a name in a description ("UMEME YAKA account 123", "JUMIA UG Ref 12").
_STOP = {"account", "acc", "ref", "reference", "till", "via", "for", "txn", "id", "at", "kampala", "monthly"}
_DIGITS = re.compile(r"\D")
NAME_MAX, NUMBER_MAX = 100, 32


def dedupe_name(name: str) -> str:
    """A name written twice, kept once: ``UEDCL UEDCL`` → ``UEDCL``,
    ``JOHN OKELLO JOHN OKELLO`` → ``JOHN OKELLO``, ``UEDCLUEDCL`` → ``UEDCL``."""
    words = name.split()
    n = len(words)
    if n >= 2 and n % 2 == 0 and [w.casefold() for w in words[: n // 2]] == [w.casefold() for w in words[n // 2 :]]:
        words = words[: n // 2]
    text = " ".join(words)
    if len(words) == 1 and len(text) >= 4 and len(text) % 2 == 0 and text[: len(text) // 2].casefold() == text[len(text) // 2 :].casefold():
        text = text[: len(text) // 2]
    # Glued at the join of a multi-word name: "JOHN OKELLOJOHN OKELLO".
    for cut in range(1, len(text)):
        left, right = text[:cut], text[cut:]
        if " " in left and left.casefold() == right.casefold():
            return left
    return text


def _name_words(text: str) -> str:
    out = []
    for word in text.split():
        if word.casefold() in _STOP or any(ch.isdigit() for ch in word):
            break
        out.append(word)
    return " ".join(out)


def counterparty(txn: RawTxn, holder: str | None = None) -> tuple[str, str]:
    """(number, name) of the other side; "" where the row does not say."""
    own = acc_number_9(holder) if holder else None
    number = ""
    for acc in (txn.from_acc, txn.to_acc):
        digits = acc_number_9(acc) if acc and any(ch.isdigit() for ch in acc) else None
        if digits and digits != own:
            number = _DIGITS.sub("", acc)[-12:]
            break
    name = ""
    party_text = txn.from_acc if txn.from_acc and not any(ch.isdigit() for ch in txn.from_acc) else ""
    if party_text:
        name = party_text  # MoMo PDF: the From/To cell holds a name ("MTN BUNDLES", "UMEME YAKA")
    match = _PARTY.search(txn.description)
    if match:
        if not number and match["number"]:
            found = _DIGITS.sub("", match["number"])
            if acc_number_9(found) != own or not own:
                number = found
        if not name and match["name"]:
            name = _name_words(match["name"])
    return number[:NUMBER_MAX], dedupe_name(name)[:NAME_MAX]
