"""Why a statement could not be read.

Every failure the engine knows about has its own class with a message an ops
person can act on; the storage service records ``str(exc)`` as the reason of
an ``IMPORT_FAILED`` statement and ``exc.code`` as a short machine tag.
"""
from __future__ import annotations


class StatementError(Exception):
    """Base class: the file cannot be turned into a statement."""

    code = "unreadable"


class UnsupportedFile(StatementError):
    """Not a PDF, spreadsheet or CSV the engine recognises."""

    code = "unsupported_file"


class UnknownFormat(StatementError):
    """A readable file whose layout matches no known provider format."""

    code = "unknown_format"


class CorruptFile(StatementError):
    """The file is truncated or damaged (e.g. a PDF cut short)."""

    code = "corrupt_file"


class PasswordRequired(StatementError):
    code = "password_required"


class WrongPassword(StatementError):
    code = "wrong_password"


class NoTextLayer(StatementError):
    """A scanned PDF: pages are images, there is no text to read."""

    code = "no_text_layer"


class NoTransactions(StatementError):
    code = "no_transactions"


class MissingColumns(StatementError):
    code = "missing_columns"

    def __init__(self, missing: list[str], where: str = "the header row"):
        self.missing = list(missing)
        super().__init__(f"missing required column(s) in {where}: {', '.join(self.missing)}")


class BadCell(StatementError):
    """A cell that must hold a number (or date) holds none at all."""

    code = "bad_cell"

    def __init__(self, *, column: str, raw: str, row: int, page: int | None = None, what: str = "number"):
        self.column = column
        self.raw = raw
        self.row = row
        self.page = page
        where = f"page {page}, row {row}" if page is not None else f"row {row}"
        super().__init__(f"{where}: column '{column}' has no {what} (found {raw!r})")


class LimitExceeded(StatementError):
    """The file is past one of the reading limits (``core.limits``): too big
    once decompressed, too many pages, rows, columns or sheets, a cell too long.
    The message names the setting."""

    code = "limit_exceeded"


class OutOfRange(StatementError):
    """A figure the statement adds up to (a total, a recomputed balance or
    its difference from the file's) is beyond what the store's money
    columns hold, though every cell was within it."""

    code = "out_of_range"

    def __init__(self, *, figure: str, value: object, limit: object):
        self.figure = figure
        super().__init__(f"the statement's {figure} ({value:,}) is beyond what a money column holds (±{limit:,}); "
                         "its amounts cannot all be real")
