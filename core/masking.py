"""Show personal data as its last four characters only."""
from __future__ import annotations


def mask(value: str | None, visible: int = 4, char: str = "•") -> str:
    if not value:
        return ""
    text = str(value)
    tail = "".join(ch for ch in text if ch.isalnum())[-visible:]
    return f"{char * 4}{tail}" if len(text) > visible else char * len(text)
