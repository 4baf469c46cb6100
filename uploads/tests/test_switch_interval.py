"""The loan-book import shortens the process's thread switch interval while
its reader thread runs, and always puts it back: after a failed import, and
when two imports overlap in one process (a Celery worker's threads)."""
import csv
import sys

import pytest

from uploads.choices import UploadStatus
from uploads.models import FileUpload, UploadRow
from uploads.services import _lines, file_upload_create, file_upload_process
from uploads.services import process as process_module

BEFORE = 0.004  # not Python's default, not the import's: only a restore gives it back


@pytest.fixture
def switch_interval():
    original = sys.getswitchinterval()
    sys.setswitchinterval(BEFORE)
    yield
    sys.setswitchinterval(original)


def _chunks(n):
    for i in range(n):
        yield [i]


@pytest.mark.usefixtures("switch_interval")
def test_overlapping_imports_restore_the_interval_when_the_last_ends():
    first = _lines.in_background(_chunks(3))
    assert next(first) == [0]
    assert sys.getswitchinterval() == pytest.approx(_lines.SWITCH_INTERVAL)
    second = _lines.in_background(_chunks(3))
    assert next(second) == [0]
    first.close()  # the first import ends while the second still reads
    assert sys.getswitchinterval() == pytest.approx(_lines.SWITCH_INTERVAL)
    second.close()
    assert sys.getswitchinterval() == pytest.approx(BEFORE)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("switch_interval")
def test_an_import_failing_midway_leaves_the_interval_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "book.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "loan_id", "amount", "due_date"])
        for n in range(30):
            writer.writerow([f"Customer {n}", f"07720{n:05d}", f"LN-{n:04d}", "1000", "2024-01-15"])
    with open(path, "rb") as handle:
        upload = file_upload_create(fileobj=handle, filename="book.csv", uploaded_by=None, enqueue=False, may_sync_balances=True)

    real_import_chunk = process_module._import_chunk
    calls = []

    def failing_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_import_chunk(*args, **kwargs)

    monkeypatch.setattr(process_module, "_import_chunk", failing_second_chunk)
    with pytest.raises(RuntimeError, match="database went away"):
        file_upload_process(upload_id=upload.pk, chunk_size=10)

    assert sys.getswitchinterval() == pytest.approx(BEFORE)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    assert "database went away" in upload.processing_errors
    # The first chunk committed whole, nothing of the second.
    assert sorted(UploadRow.objects.filter(file_upload=upload).values_list("line_number", flat=True)) == list(range(2, 12))
    assert upload.last_line_number == 11
    assert FileUpload.objects.count() == 1
