"""Reads for loan-book uploads."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from core.csvsafe import safe_cell
from uploads.choices import RowStatus
from uploads.models import FileUpload, UploadRow

FAILED_ROWS_LEADING = ["upload_id", "filename", "line_number", "error"]


def _safe_cell(value) -> str:
    """The cell as text, kept from running as a formula (core.csvsafe)."""
    return safe_cell("" if value is None else str(value))


def failed_rows_table(*, uploads: Iterable[FileUpload]) -> Iterator[list[str]]:
    """Header, then one list per failed line: where it was, why it failed, and the line as uploaded.

    Streamed from the database; the loan-book columns are the files' own
    headers (national IDs were masked before they were stored).
    """
    uploads = list(uploads)
    columns: list[str] = []
    for upload in uploads:
        for header in upload.headers or []:
            if header and header not in columns:
                columns.append(header)
    yield FAILED_ROWS_LEADING + columns
    names = {u.pk: u.filename for u in uploads}
    rows = (
        UploadRow.objects.filter(file_upload__in=uploads, status=RowStatus.FAILED)
        .order_by("file_upload_id", "line_number")
        .values_list("file_upload_id", "line_number", "error", "raw_data")
    )
    for upload_id, line_number, error, raw in rows.iterator(chunk_size=2000):
        raw = raw or {}
        yield [str(upload_id), _safe_cell(names[upload_id]), str(line_number), _safe_cell(error)] + [
            _safe_cell(raw.get(column, "")) for column in columns
        ]
