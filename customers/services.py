"""Writes to customers and their bank accounts. Admin, API, tasks and
commands all come through here.

Personal identifiers arrive in clear, are validated and normalised here,
and are encrypted by the model fields; uniqueness is checked on their keyed
hashes so a clash is reported by name instead of as an IntegrityError.
"""
from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import Q
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone

from core.fields import lookup_hash
from core.history import set_history_user
from core.text import customer_fingerprint
from customers.models import BankAccount, Customer
from customers.validators import (
    normalize_account_number,
    normalize_phone_number,
    normalize_routing_number,
    normalize_ssn,
)

CUSTOMER_FIELDS = frozenset({
    "cust_id", "full_name", "business_name", "first_name", "middle_name", "last_name", "date_of_birth", "ssn",
    "national_id", "email", "primary_phone", "secondary_phone", "address_line1", "address_line2", "city", "state",
    "zip_code", "country", "timezone", "employer_name", "employment_status", "annual_income", "account_status",
    "credit_score", "do_not_call", "relationship_manager", "relationship_manager_id", "notes", "first_uploaded_at",
})
# Older names of the phone fields, still accepted (the customer API offers both).
FIELD_ALIASES = {"phone_primary": "primary_phone", "phone_secondary": "secondary_phone"}

BANK_ACCOUNT_FIELDS = frozenset({"account_type", "account_number", "routing_number", "bank_name", "is_active", "is_primary", "notes"})


def _clean_customer_data(data: dict) -> dict:
    data = {FIELD_ALIASES.get(k, k): v for k, v in data.items()}
    unknown = set(data) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError({name: "Not a customer field that can be set." for name in sorted(unknown)})
    errors = {}
    for name in ("primary_phone", "secondary_phone"):
        if data.get(name):
            try:
                data[name] = normalize_phone_number(data[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    if data.get("ssn"):
        try:
            data["ssn"] = normalize_ssn(data["ssn"])
        except ValidationError as exc:
            errors["ssn"] = exc.messages
    if "national_id" in data:
        data["national_id"] = (data["national_id"] or "").strip().upper()
    if "email" in data:
        data["email"] = (data["email"] or "").strip().lower() or None
    if "country" in data and data["country"]:
        data["country"] = str(data["country"]).strip().upper()
    for name in ("full_name", "first_name", "middle_name", "last_name", "business_name"):
        if data.get(name):
            data[name] = " ".join(str(data[name]).split())
    if errors:
        raise ValidationError(errors)
    return data


def _check_customer_unique(customer: Customer) -> None:
    others = Customer.objects.exclude(pk=customer.pk) if customer.pk else Customer.objects.all()
    errors = {}
    if customer.ssn and others.filter(ssn_hash=lookup_hash(Customer, "ssn_hash", customer.ssn)).exists():
        errors["ssn"] = "Another customer already has this SSN."
    if customer.email and others.filter(email=customer.email).exists():
        errors["email"] = "Another customer already has this email address."
    if customer.cust_id and others.filter(cust_id=customer.cust_id).exists():
        errors["cust_id"] = f"Another customer already has cust_id {customer.cust_id!r}."
    if customer.fingerprint:
        clash = others.filter(fingerprint=customer.fingerprint).values_list("pk", flat=True).first()
        if clash:
            errors["primary_phone"] = f"Customer #{clash} already has this phone number and name (or national ID)."
    if errors:
        raise ValidationError(errors)


def _finish_customer(customer: Customer, *, refingerprint: bool) -> None:
    if not customer.full_name:
        customer.full_name = " ".join(p for p in (customer.first_name, customer.middle_name, customer.last_name) if p)
    errors = {}
    if not customer.full_name:
        errors["full_name"] = "A customer needs a full name (or first and last names)."
    if not customer.primary_phone:
        errors["primary_phone"] = "A customer needs a primary phone number."
    if errors:
        raise ValidationError(errors)
    if refingerprint or not customer.fingerprint:
        customer.fingerprint = customer_fingerprint(customer.primary_phone, customer.full_name, customer.national_id or None)
    customer.full_clean(exclude=["relationship_manager"], validate_unique=False, validate_constraints=False)
    _check_customer_unique(customer)


def _save_or_explain(obj) -> None:
    # The checks above run before the insert; a concurrent writer can still
    # win the race, and the unique index then has the last word.
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(f"Another record with the same unique identifier was saved at the same moment ({exc.args[-1]}).") from None


@transaction.atomic
def customer_create(*, created_by=None, **fields) -> Customer:
    """Create a customer from seed 002's fields (``phone_primary`` is accepted
    for ``primary_phone``). Phones become E.164, the SSN ``XXX-XX-XXXX``;
    the fingerprint is computed as the loan-book upload computes it."""
    data = _clean_customer_data(fields)
    customer = Customer(**data)
    _finish_customer(customer, refingerprint=True)
    set_history_user(customer, created_by)
    _save_or_explain(customer)
    return customer


@transaction.atomic
def customer_update(*, customer_id: int, data: dict, updated_by=None) -> Customer:
    """Change a customer. A blank ``ssn``/``national_id`` in ``data`` clears it;
    leave the key out to keep the stored value."""
    data = _clean_customer_data(data)
    try:
        customer = Customer.objects.select_for_update().get(pk=customer_id)
    except Customer.DoesNotExist:
        raise ValidationError({"customer": f"Customer #{customer_id} does not exist."}) from None
    for name, value in data.items():
        setattr(customer, name, "" if value is None and name in ("ssn", "national_id") else value)
    # The fingerprint is the loan-book matching key: it follows the identity
    # (phone, name, national ID), not every edit.
    _finish_customer(customer, refingerprint=bool({"primary_phone", "full_name", "national_id"} & set(data)))
    set_history_user(customer, updated_by)
    _save_or_explain(customer)
    return customer


def customer_check_deletable(*, customer: Customer) -> None:
    """Refuse deleting a customer that money has touched: one with debts or
    payments (or anything else that protects it from deletion).

    customers sits below the apps that own debts and payments, so it asks
    Django's deletion collector which protected rows point at the customer
    rather than naming those models.
    """
    collector = Collector(using=router.db_for_write(Customer, instance=customer))
    try:
        collector.collect([customer])
    except (ProtectedError, RestrictedError) as exc:
        protected = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        counts = Counter(obj._meta for obj in protected)
        held = ", ".join(
            f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
            for meta, count in sorted(counts.items(), key=lambda item: str(item[0].verbose_name))
        )
        raise ValidationError(
            f"Customer #{customer.pk} ({customer.full_name}) cannot be deleted: they have {held}. A customer with debts "
            f"stays in the books; close the account (account status) instead."
        ) from None


@transaction.atomic
def customer_delete(*, customer_id: int, deleted_by=None) -> None:
    """Delete a customer no money has touched (see ``customer_check_deletable``)."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": f"Customer #{customer_id} does not exist."})
    customer_check_deletable(customer=customer)
    set_history_user(customer, deleted_by)
    customer.delete()


def customer_record_contact(*, customer_id: int, when=None) -> None:
    """Move ``last_contact_date`` forward to ``when`` (never backward)."""
    when = when or timezone.now()
    Customer.objects.filter(Q(last_contact_date__isnull=True) | Q(last_contact_date__lt=when), pk=customer_id).update(
        last_contact_date=when, updated_at=timezone.now()
    )


# --------------------------------------------------------------------------
# bank accounts


@transaction.atomic
def bank_account_save(*, account: BankAccount, saved_by=None) -> BankAccount:
    """Validate and save ``account``, keeping at most one primary account per customer.

    Making an account primary demotes the customer's previous primary in the
    same transaction; the customer row is locked so two concurrent
    promotions cannot both win (the unique ``primary_for`` column would
    reject the loser anyway, with an IntegrityError instead of a clean swap).
    """
    if not Customer.objects.select_for_update().filter(pk=account.customer_id).exists():
        raise ValidationError({"customer": f"Customer #{account.customer_id} does not exist."})
    errors = {}
    try:
        account.account_number = normalize_account_number(account.account_number)
    except ValidationError as exc:
        errors["account_number"] = exc.messages
    try:
        account.routing_number = normalize_routing_number(account.routing_number)
    except ValidationError as exc:
        errors["routing_number"] = exc.messages
    if errors:
        raise ValidationError(errors)
    clash = BankAccount.objects.filter(account_number_hash=lookup_hash(BankAccount, "account_number_hash", account.account_number))
    if account.pk:
        clash = clash.exclude(pk=account.pk)
    if clash.exists():
        raise ValidationError({"account_number": "This account number is already registered."})
    account.account_number_last4 = account.account_number[-4:]
    if account.is_primary:
        others = BankAccount.objects.filter(customer_id=account.customer_id, is_primary=True)
        if account.pk:
            others = others.exclude(pk=account.pk)
        for other in others:
            other.is_primary = False
            other.primary_for = None
            set_history_user(other, saved_by)
            other.save(update_fields=["is_primary", "primary_for", "updated_at"])
        account.primary_for_id = account.customer_id
    else:
        account.primary_for = None
    account.full_clean(exclude=["customer", "primary_for"], validate_unique=False, validate_constraints=False)
    set_history_user(account, saved_by)
    _save_or_explain(account)
    return account


def _clean_account_data(data: dict) -> dict:
    unknown = set(data) - BANK_ACCOUNT_FIELDS
    if unknown:
        raise ValidationError({name: "Not a bank account field that can be set." for name in sorted(unknown)})
    return data


@transaction.atomic
def bank_account_create(*, customer_id: int, account_type: str, account_number: str, created_by=None, **fields) -> BankAccount:
    """Add a bank account (seed 002 ``accounts``); ``is_primary=True`` demotes the old primary."""
    data = _clean_account_data(fields)
    account = BankAccount(customer_id=customer_id, account_type=account_type, account_number=account_number, **data)
    return bank_account_save(account=account, saved_by=created_by)


@transaction.atomic
def bank_account_update(*, account_id: int, data: dict, updated_by=None) -> BankAccount:
    data = _clean_account_data(data)
    try:
        account = BankAccount.objects.select_for_update().get(pk=account_id)
    except BankAccount.DoesNotExist:
        raise ValidationError({"bank_account": f"Bank account #{account_id} does not exist."}) from None
    for name, value in data.items():
        setattr(account, name, value)
    return bank_account_save(account=account, saved_by=updated_by)
