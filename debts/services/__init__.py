"""Writes to debts, payments, communication logs and promises.

Every path that moves money or records a contact (admin, API, tasks,
commands) calls a function here. The package is split by what is written:

* ``debts``: creating and editing debts, status changes, settlement, write-off;
* ``payments``: recording, completing, failing, refunding and voiding
  payments, and the refusal to delete one (the money rules are in that
  module's docstring);
* ``contacts``: communication logs;
* ``promises``: promises to pay and how they are judged;
* ``delinquency``: the nightly days-past-due and default run;
* ``assignment``: which agent works a debt (the work queue);
* ``approvals``: four eyes on settle, write-off and refund above
  ``APPROVAL_THRESHOLD_UGX``.

The status rules themselves (which move is allowed, what a balance change
does to the status) live in ``debts.rules``. Errors a user can fix raise
``django.core.exceptions.ValidationError`` with a message naming the field;
admin and API show it as is. Callers import from here
(``from debts import services``), not from the modules.
"""
from __future__ import annotations

from debts.rules import FINAL_STATUSES, OPEN_STATUSES, TRANSITIONS
from debts.services._common import ApprovalRequired, approval_threshold
from debts.services.approvals import (
    approval_approve,
    approval_reject,
    approval_request_create,
    refund_or_request,
    settle_or_request,
    write_off_or_request,
)
from debts.services.assignment import MAX_ASSIGN, assignment_selection, debts_assign
from debts.services.contacts import COMMUNICATION_LOG_EDITABLE, communication_log_create, communication_log_update, resolve_disposition
from debts.services.debts import (
    DEBT_EDITABLE_FIELDS,
    debt_change_status,
    debt_check_deletable,
    debt_create,
    debt_delete,
    debt_settle,
    debt_update,
    debt_write_off,
)
from debts.services.delinquency import DaysSince, DelinquencyResult, debts_update_delinquency
from debts.services.payments import (
    PAYMENT_EDITABLE_WHILE_PENDING,
    payment_check_deletable,
    payment_complete,
    payment_create,
    payment_delete,
    payment_fail,
    payment_refund,
    payment_update,
    payment_void,
)
from debts.services.promises import promise_create, promise_update, promises_evaluate

__all__ = [
    "ApprovalRequired",
    "approval_approve",
    "approval_reject",
    "approval_request_create",
    "approval_threshold",
    "refund_or_request",
    "settle_or_request",
    "write_off_or_request",
    "COMMUNICATION_LOG_EDITABLE",
    "DEBT_EDITABLE_FIELDS",
    "FINAL_STATUSES",
    "MAX_ASSIGN",
    "OPEN_STATUSES",
    "PAYMENT_EDITABLE_WHILE_PENDING",
    "TRANSITIONS",
    "DaysSince",
    "DelinquencyResult",
    "assignment_selection",
    "communication_log_create",
    "communication_log_update",
    "debt_change_status",
    "debt_check_deletable",
    "debt_create",
    "debt_delete",
    "debt_settle",
    "debt_update",
    "debt_write_off",
    "debts_assign",
    "debts_update_delinquency",
    "payment_check_deletable",
    "payment_complete",
    "payment_create",
    "payment_delete",
    "payment_fail",
    "payment_refund",
    "payment_update",
    "payment_void",
    "promise_create",
    "promise_update",
    "promises_evaluate",
    "resolve_disposition",
]
