"""The statements app's permissions, named once.

``TRANSACTION_READ``: every transaction-level read follows it, whatever the
door: ``/api/v1/raw-transactions/``, ``/api/v1/processed-transactions/``, a
statement's ``raw-transactions/`` and ``processed-transactions/``, the CSV
downloads (``/api/v1/download/raw`` and ``/download/processed``, the admin
actions), the transaction table and balance chart of the statement page, and
the admin lists of raw and processed transactions. Seeing a statement (its
metadata and verdict) is ``view_statement``; seeing what the account holder
did, transaction by transaction, is this. Ops admin and Risk analyst hold it.

``REVIEW``: recording an accept / reject / escalate decision beside the
engine's verdict (``statements.services.statement_review_record``).
"""
from __future__ import annotations

TRANSACTION_READ = "statements.download_statement"
REVIEW = "statements.review_statement"


def can_read_transactions(user) -> bool:
    return bool(user and user.is_active and user.has_perm(TRANSACTION_READ))


def can_review(user) -> bool:
    return bool(user and user.is_active and user.has_perm(REVIEW))
