"""Sortable column headers for the ops pages (the dashboard, the work queue)."""
from __future__ import annotations

from django.utils.http import urlencode


def sort_links(base: dict, sort: str, columns: dict[str, str]) -> dict[str, dict[str, str]]:
    """For each column: its label, the query string that sorts by it (the
    current column again flips the direction) with the page's other
    ``base`` filters kept, and the arrow showing the current order."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    return {
        name: {
            "label": label,
            "query": urlencode({**base, "sort": f"-{name}" if name == key and not descending else name}),
            "arrow": ("▼" if descending else "▲") if name == key else "",
        }
        for name, label in columns.items()
    }
