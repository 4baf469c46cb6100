"""Personal data is ciphertext in the database, absent from the audit
history, masked in exports, and survives a key rotation."""
from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.fields import lookup_hash
from customers import services
from customers.admin import CustomerResource
from customers.models import BankAccount, Customer
from debts import services as debt_services

pytestmark = pytest.mark.django_db

SSN, NID, ACCOUNT, ROUTING, DEBT_ACCOUNT = "123-45-6789", "CM90001122XYZ", "5500660077", "021000021", "ACC778899"


@pytest.fixture
def people():
    customer = services.customer_create(full_name="Amina N", primary_phone="+256772111222", ssn=SSN, national_id=NID)
    services.customer_update(customer_id=customer.pk, data={"city": "Gulu"})
    services.bank_account_create(customer_id=customer.pk, account_type="savings", account_number=ACCOUNT, routing_number=ROUTING)
    debt_services.debt_create(customer_id=customer.pk, original_amount="100.00", account_number=DEBT_ACCOUNT)
    return customer


def _every_cell_of(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return " ".join(str(cell) for row in cursor.fetchall() for cell in row)


def _plaintexts():
    return [SSN, SSN.replace("-", ""), NID, ACCOUNT, ROUTING, DEBT_ACCOUNT]


def test_no_table_holds_a_plaintext_identifier(people):
    tables = {m._meta.db_table for m in apps.get_models() if m._meta.managed}
    for table in sorted(tables):
        cells = _every_cell_of(table)
        for secret in _plaintexts():
            assert secret not in cells, f"{secret} in clear in {table}"


def test_history_records_changes_but_keeps_no_identifier_columns(people):
    history = Customer.history.model
    assert Customer.history.filter(id=people.pk).count() == 2
    columns = {f.name for f in history._meta.fields}
    assert not columns & {"ssn", "ssn_hash", "national_id", "national_id_hash"}
    assert not {f.name for f in BankAccount.history.model._meta.fields} & {"account_number", "routing_number"}


def test_exports_are_masked(people):
    dataset = CustomerResource().export()
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["ssn"] == "••••6789" and SSN not in str(dataset.csv)


def test_rotate_field_key_re_encrypts_and_rehashes(people, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn FROM customers WHERE id = %s", [people.pk])
        before = cursor.fetchone()[0]
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_field_key", "--no-progress", "--batch-size", "1", stdout=out)
    assert "0 rows failed" in out.getvalue()

    # Only the new key is needed from now on.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    customer = Customer.objects.get(pk=people.pk)
    assert customer.ssn == SSN and customer.national_id == NID
    assert BankAccount.objects.get().account_number == ACCOUNT
    assert Customer.objects.filter(ssn_hash=lookup_hash(Customer, "ssn_hash", SSN)).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn FROM customers WHERE id = %s", [people.pk])
        assert cursor.fetchone()[0] != before


def test_rotate_field_key_reports_rows_no_key_can_read(people, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="rows failed"):
        call_command("rotate_field_key", "--no-progress", stdout=StringIO(), stderr=StringIO())
