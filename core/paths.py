"""API responses never show server paths.

Job results and error texts can carry a file's place on the server (the
inbox path, a staged upload, an exception's ``[Errno 2] … '/app/media/…'``).
``hide_server_paths`` cuts any path under the server's own folders
(``MEDIA_ROOT``, ``STATEMENT_INBOX_DIR``, the project and temp folders) to
its file name; ``HideServerPathsMixin`` does that to a serializer's text
fields (``path_fields``).
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.conf import settings


def _roots() -> list[str]:
    roots = {str(settings.MEDIA_ROOT), str(settings.BASE_DIR), tempfile.gettempdir(), "/tmp", "/var/tmp"}
    inbox = getattr(settings, "STATEMENT_INBOX_DIR", "")
    if inbox:
        roots.add(str(inbox))
    for root in list(roots):
        try:
            roots.add(str(Path(root).resolve()))
        except OSError:
            pass
    return sorted((r.rstrip("/") for r in roots if r and r != "/"), key=len, reverse=True)


def hide_server_paths(text):
    """``text`` with every absolute path under a server folder cut to its
    last part; anything that is not a string comes back as it is."""
    if not isinstance(text, str) or "/" not in text:
        return text
    pattern = re.compile("(?:" + "|".join(re.escape(root) for root in _roots()) + r")(?:/[^\s'\"]*)?")
    return pattern.sub(lambda m: Path(m.group(0)).name or "[server path]", text)


class HideServerPathsMixin:
    """For a serializer: the text of ``path_fields`` without server paths."""

    path_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)  # type: ignore[misc]
        for name in self.path_fields:
            if name in data:
                data[name] = hide_server_paths(data[name])
        return data
