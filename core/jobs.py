"""What every background job row (a statement import, a loan-book upload)
needs when the task queue lets it down.

* ``not_queued_note``: the ``on_failure`` for ``core.tasks`` when the broker
  is unreachable. The job row is saved already; this writes on it that it
  waits for the queue, so nobody thinks it was lost.
* ``stalled_job_ids``: the jobs left queued or running with no progress for
  a while (their message never reached the broker, or their worker died),
  for the scheduled "requeue stalled" tasks to queue again.
* ``attempts_used_up_note``: why a job that a worker started
  ``JOB_MAX_ATTEMPTS`` times without finishing is failed rather than queued
  again (a file that kills its worker must not be redelivered forever).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db.models import Model, QuerySet
from django.utils import timezone

# At most this many stalled jobs are queued again per scheduled run; the next
# run takes the rest.
STALLED_BATCH = 100


def note_not_queued(model: type[Model], pk: int, exc: BaseException, *, field: str, what: str) -> None:
    """Write on job ``pk`` that the queue was down and ``what`` starts by itself once it is back."""
    model._default_manager.filter(pk=pk).update(
        **{field: f"The task queue was unavailable ({exc}); the {what} starts automatically when it is back."},
        updated_at=timezone.now(),
    )


def not_queued_note(model: type[Model], pk: int, *, field: str, what: str) -> Callable[[BaseException], None]:
    """``note_not_queued`` for job ``pk``, as the ``on_failure`` callback of ``core.tasks.enqueue``."""
    return lambda exc: note_not_queued(model, pk, exc, field=field, what=what)


def attempts_used_up_note(*, attempts: int, what: str, retry: str) -> str:
    """The reason written on a job failed after ``attempts`` starts (JOB_MAX_ATTEMPTS)."""
    return (
        f"Stopped after {attempts} attempt(s) (JOB_MAX_ATTEMPTS): a worker started the {what} each time and never finished it "
        f"(killed, out of memory, timed out or failing). {retry}"
    )


def stalled_job_ids(jobs: QuerySet, *, statuses: Iterable[str], older_than_minutes: int) -> list[int]:
    """Ids of ``jobs`` in one of ``statuses`` whose row has not moved for ``older_than_minutes``."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stalled = jobs.filter(status__in=list(statuses), updated_at__lt=cutoff)
    return list(stalled.values_list("pk", flat=True)[:STALLED_BATCH])
