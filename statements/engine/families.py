"""Provider codes and their parser family (issue 18): a code the statement
request brings (``UMTN2`` from mapper.csv) is stored as itself and read and
verified by its family's parsers and rules (``UMTN``).

The mapping is configuration, not code: ``PROVIDER_FAMILIES`` in the
environment (``UMTN2=UMTN,UATL3=UATL``), which Django's settings read and
``StatementsConfig.ready`` passes to ``configure``; the engine alone (the
``parse_statement`` command's fast path) reads the same variable. A family
is always its own family. Only a genuinely new layout needs a parser.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping

_CODE = re.compile(r"^[A-Z0-9_]{2,8}$")  # acc_prvdr_code is at most 8 characters
_families: dict[str, str] = {}


def parse(text: str) -> dict[str, str]:
    """``"UMTN2=UMTN, UATL3=UATL"`` -> ``{"UMTN2": "UMTN", "UATL3": "UATL"}``;
    a malformed pair is a ``ValueError`` naming it (settings refuse to start)."""
    out: dict[str, str] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        code, sep, family = (part.strip().upper() for part in pair.partition("="))
        if not sep or not _CODE.match(code) or not _CODE.match(family):
            raise ValueError(f"PROVIDER_FAMILIES: {pair!r} is not CODE=FAMILY (codes of 2-8 letters, digits or _)")
        out[code] = family
    return out


def configure(mapping: Mapping[str, str]) -> None:
    """Use ``mapping`` (code -> family) from now on."""
    _families.clear()
    _families.update({k.strip().upper(): v.strip().upper() for k, v in mapping.items()})


def families() -> dict[str, str]:
    return dict(_families)


def family_of(code: str | None) -> str:
    """The parser family of a provider code (the code itself when it has none)."""
    code = (code or "").strip().upper()
    return _families.get(code, code)


configure(parse(os.environ.get("PROVIDER_FAMILIES", "")))
