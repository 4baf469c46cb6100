"""Writes to customers and their bank accounts. Admin, API, tasks and
commands all come through here."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from customers.models import BankAccount, Customer


@transaction.atomic
def bank_account_save(*, account: BankAccount) -> BankAccount:
    """Save ``account``, keeping at most one primary account per customer.

    Making an account primary demotes the customer's previous primary in the
    same transaction; the customer row is locked so two concurrent
    promotions cannot both win (the unique ``primary_for`` column would
    reject the loser anyway, with an IntegrityError instead of a clean swap).
    """
    Customer.objects.select_for_update().only("id").get(pk=account.customer_id)
    digits = "".join(ch for ch in (account.account_number or "") if ch.isalnum())
    account.account_number_last4 = digits[-4:]
    if account.is_primary:
        others = BankAccount.objects.filter(customer_id=account.customer_id, is_primary=True)
        if account.pk:
            others = others.exclude(pk=account.pk)
        for other in others:
            other.is_primary = False
            other.primary_for = None
            other.save(update_fields=["is_primary", "primary_for", "updated_at"])
        account.primary_for_id = account.customer_id
    else:
        account.primary_for = None
    account.save()
    return account


def customer_record_contact(*, customer_id: int, when=None) -> None:
    """Move ``last_contact_date`` forward to ``when`` (never backward)."""
    when = when or timezone.now()
    from django.db.models import Q

    Customer.objects.filter(Q(last_contact_date__isnull=True) | Q(last_contact_date__lt=when), pk=customer_id).update(
        last_contact_date=when, updated_at=timezone.now()
    )
