"""Assigning debts to the agents who work them (the work queue).

One debt, a list of debts, or every open debt of a branch, a loan-book
employee or an upload: each through :func:`debts_assign`, which needs
``debts.assign_debt`` and writes a history row per debt it moves (who
assigned, to whom, from whom in the previous row).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_update_with_history

from debts.models import Debt
from debts.rules import OPEN_STATUSES
from debts.services._common import _require_perm

# One call moves at most this many debts: a branch is thousands, not the book.
MAX_ASSIGN = 50_000
_BATCH = 1000


def _agent(to_user):
    """The user debts go to: an active user who can see debts, or None to unassign."""
    if to_user is None:
        return None
    user = to_user if hasattr(to_user, "pk") else get_user_model().objects.filter(pk=to_user).first()
    if user is None:
        raise ValidationError({"assigned_to": f"User #{to_user} does not exist."})
    if not user.is_active:
        raise ValidationError({"assigned_to": f"{user.get_username()} is not an active user."})
    if not user.has_perm("debts.view_debt"):
        raise ValidationError({"assigned_to": f"{user.get_username()} cannot see debts; give them a role first."})
    return user


def assignment_selection(*, debt_ids=None, branch: str | None = None, employee: str | None = None, upload_id: int | None = None):
    """The open debts one assignment would move: the listed ``debt_ids``, or
    every open debt of ``branch`` / loan-book ``employee`` (id or name) /
    ``upload_id`` (created by it or matched by one of its lines); several
    criteria narrow each other. At least one is needed."""
    if not debt_ids and not branch and not employee and upload_id is None:
        raise ValidationError({"debt_ids": "Say which debts: debt ids, a branch, an employee or an upload."})
    qs = Debt.objects.filter(status__in=OPEN_STATUSES)
    if debt_ids:
        qs = qs.filter(pk__in=list(debt_ids))
    if branch:
        qs = qs.filter(branch=branch)
    if employee:
        qs = qs.filter(Q(employee_id=employee) | Q(employee_name=employee))
    if upload_id is not None:
        # UploadRow (uploads, a higher app) is reached through its foreign
        # key to Debt, not imported.
        matched = Debt.objects.filter(upload_row_matches__file_upload_id=upload_id).values("pk")
        qs = qs.filter(Q(source_upload_id=upload_id) | Q(pk__in=matched))
    return qs


@transaction.atomic
def debts_assign(
    *,
    to_user,
    assigned_by,
    debt_ids=None,
    branch: str | None = None,
    employee: str | None = None,
    upload_id: int | None = None,
    reason: str = "",
) -> int:
    """Assign the open debts chosen as in :func:`assignment_selection` to
    ``to_user`` (a user or id; ``None`` unassigns); answer how many moved.

    Needs ``debts.assign_debt``. Debts already with ``to_user`` are not
    touched. A listed debt that is not open is refused by name (a closed
    debt has nothing to work). Each debt moved gets a history row by
    ``assigned_by`` with the change reason "assigned to <user>" (or
    "unassigned") and ``reason`` if given. At most ``MAX_ASSIGN`` per call.
    """
    _require_perm(assigned_by, "debts.assign_debt", "assign debts")
    agent = _agent(to_user)
    if debt_ids:
        debt_ids = [int(i) for i in debt_ids]
        closed = set(debt_ids) - set(Debt.objects.filter(pk__in=debt_ids, status__in=OPEN_STATUSES).values_list("pk", flat=True))
        if closed:
            raise ValidationError({"debt_ids": f"Not open (closed or missing), so not assignable: {', '.join(map(str, sorted(closed)))}."})
    qs = assignment_selection(debt_ids=debt_ids, branch=branch, employee=employee, upload_id=upload_id)
    qs = qs.exclude(assigned_to=agent) if agent else qs.filter(assigned_to__isnull=False)
    ids = list(qs.order_by("pk").values_list("pk", flat=True)[: MAX_ASSIGN + 1])
    if len(ids) > MAX_ASSIGN:
        raise ValidationError({"debt_ids": f"More than {MAX_ASSIGN:,} debts at once; narrow the selection (a branch and an employee)."})
    change = f"assigned to {agent.get_username()}" if agent else "unassigned"
    if reason:
        change = f"{change}: {reason.strip()}"
    moved = 0
    for start in range(0, len(ids), _BATCH):
        debts = list(Debt.objects.select_for_update().filter(pk__in=ids[start:start + _BATCH]).order_by("pk"))
        for debt in debts:
            debt.assigned_to = agent
        bulk_update_with_history(
            debts, Debt, ["assigned_to"], batch_size=_BATCH, default_user=assigned_by, default_change_reason=change[:100]
        )
        moved += len(debts)
    return moved
