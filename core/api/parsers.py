"""The API's JSON parser: malformed or deeply nested bodies are a 400.

Python's decoder recurses once per ``[`` or ``{``: a 100,000-deep body
raised RecursionError, a 500. Here that, and any body nested deeper than
``API_JSON_MAX_DEPTH``, is a ``ParseError`` (400) saying so. The size of a
body is bounded before parsing by ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (DRF reads
JSON and form bodies through ``request.body``; a larger one is a 413, see
``core.api.exceptions``).
"""
from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings


def json_depth_exceeds(value, limit: int) -> bool:
    """True when ``value`` nests lists/objects more than ``limit`` levels deep
    (iterative: a deep value cannot overflow the stack here)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding} text ({exc.__class__.__name__})") from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant if api_settings.STRICT_JSON else None)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {settings.API_JSON_MAX_DEPTH} levels deep") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(data, settings.API_JSON_MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested more than {settings.API_JSON_MAX_DEPTH} levels deep (API_JSON_MAX_DEPTH)")
        return data


def _refuse_constant(name: str):
    # NaN and Infinity are not JSON (DRF's STRICT_JSON): no amount may be one.
    raise ValueError(f"{name} is not a JSON value")
