"""The bulk writer's escaping agrees with the driver's own, byte for byte, and
hostile text survives a trip through the server, with and without
sql_mode NO_BACKSLASH_ESCAPES."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from core.bulk import insert, no_backslash_escapes, sql_literal, sql_quote_text

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "mysql", reason="literal SQL is the MySQL/MariaDB path"),
]

# Lone surrogates are left out: they are not valid UTF-8, so no connection
# can send them.
HOSTILE = [
    "",
    "plain text",
    "O'Brien",
    "''",
    'say "hi"',
    "back\\slash",
    "trailing backslash\\",
    "\\'",
    "\\\\'",
    "nul\0byte",
    "\0",
    "ctrl-z\x1a",
    "new\nline",
    "cr\rlf\r\n",
    "tab\tand\x1funit separator",
    "é ü ß ñ",
    "中文 العربية",
    "😀 emoji 🇺🇬",
    "mixed '\"\\\0\x1a\n\r 😀",
    "%s %(name)s %%",
    "'; DROP TABLE auth_group; --",
    "\\x00 \\n (not escapes, just text)",
]
MODES = [False, True]


@pytest.fixture
def sql_mode(request):
    """Run with NO_BACKSLASH_ESCAPES on or off, and give the session its mode back after."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.sql_mode")
        original = cursor.fetchone()[0]
        if request.param:
            cursor.execute("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')")
    yield request.param
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION sql_mode = %s", [original])


def _roundtrip(literal: bytes) -> str:
    with connection.cursor() as cursor:
        cursor.execute(b"SELECT " + literal)
        return cursor.fetchone()[0]


@pytest.mark.parametrize("sql_mode", MODES, indirect=True, ids=["backslash-escapes", "no-backslash-escapes"])
def test_escaping_matches_the_driver_and_survives_the_server(sql_mode):
    db = connection.connection
    assert db.character_set_name() == "utf8mb4"
    # The driver itself switched: a backslash is escaped in one mode only.
    assert db.string_literal(b"\\") == (b"'\\'" if sql_mode else b"'\\\\'")
    assert no_backslash_escapes() is sql_mode

    for text in HOSTILE:
        driver = db.string_literal(text.encode("utf-8"))
        assert driver == b"'" + db.escape_string(text.encode("utf-8")) + b"'"
        quoted = sql_quote_text(text, no_backslash_escapes=sql_mode).encode("utf-8")
        assert quoted == driver, text
        assert sql_literal(db, text) == driver, text
        assert _roundtrip(quoted) == text, text


@pytest.mark.parametrize("sql_mode", MODES, indirect=True, ids=["backslash-escapes", "no-backslash-escapes"])
def test_a_row_of_cells_quoted_in_one_call(sql_mode):
    cells = ["a'b", "c\\d", "e\0f"]
    row = sql_quote_text("\x1f".join(cells), no_backslash_escapes=sql_mode).replace("\x1f", "','")
    assert row == ",".join(sql_quote_text(cell, no_backslash_escapes=sql_mode) for cell in cells)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + row)
        assert list(cursor.fetchone()) == cells


@pytest.mark.parametrize("sql_mode", MODES, indirect=True, ids=["backslash-escapes", "no-backslash-escapes"])
def test_insert_writes_hostile_text_unchanged(sql_mode):
    # auth_group.name is unique: a number in front keeps the texts distinct
    # under a case- and accent-insensitive collation.
    names = [f"{number}:{text}" for number, text in enumerate(HOSTILE)]
    ids = insert(Group, [{"name": name} for name in names], returning=True)
    assert dict(Group.objects.filter(pk__in=ids).values_list("pk", "name")) == dict(zip(ids, names, strict=True))


def test_other_values_as_literals():
    connection.ensure_connection()
    db = connection.connection
    assert sql_literal(db, None) == b"NULL"
    assert sql_literal(db, 42) == b"42"
    assert sql_literal(db, Decimal("-1234.50")) == b"-1234.50"
    assert sql_literal(db, date(2024, 2, 29)) == b"'2024-02-29'"
    assert sql_literal(db, True) == b"1"
    assert _roundtrip(sql_literal(db, Decimal("0.10"))) == Decimal("0.10")
