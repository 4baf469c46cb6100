"""Admin exports (customers, debts, payments, customer details): a permission
of their own (``<app>.export_<model>``, held by Ops admin) whatever the
method, and every text cell escaped against formula injection."""
from __future__ import annotations

import pytest
from django.contrib import admin as django_admin
from django.urls import reverse
from import_export.formats.base_formats import CSV, XLSX

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from debts.admin import PaymentResource
from debts.models import Debt, Payment
from debts.tests.factories import DebtFactory, PaymentFactory
from details.models import CustomerDetails
from details.tests.factories import CustomerDetailsFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'
CMD = "+cmd|' /C calc'!A0"
AT = "@SUM(1+1)"
MODELS = {
    "customers_customer": Customer,
    "debts_debt": Debt,
    "debts_payment": Payment,
    "details_customerdetails": CustomerDetails,
}


@pytest.fixture
def rows(db):
    customer = CustomerFactory(full_name=FORMULA, notes=CMD)
    debt = DebtFactory(customer=customer, branch=AT, notes=FORMULA)
    PaymentFactory(debt=debt, failure_reason=FORMULA, transaction_id=CMD)
    CustomerDetailsFactory(borrower_biz_name=FORMULA, account_holder_name=AT)


@pytest.fixture
def staff_nobody(db, django_user_model):
    """A staff user in no group: may open the admin, holds no permission."""
    return django_user_model.objects.create_user(username="staffer", password="pw", is_staff=True)


def _export_post(name: str) -> dict:
    model_admin = django_admin.site._registry[MODELS[name]]
    formats = model_admin.get_export_formats()
    resource = model_admin.get_export_resource_classes(None)[0]
    data = {"resource": "0", "format": str(formats.index(CSV))}
    for field in resource().get_export_order():
        data[f"{resource.__name__.lower()}_{field}"] = "on"
    return data


@pytest.mark.parametrize("name", list(MODELS))
def test_a_staff_user_in_no_group_cannot_export(client, staff_nobody, rows, name):
    client.force_login(staff_nobody)
    url = reverse(f"admin:{name}_export")
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403
    assert client.get(url).status_code == 403
    response = client.post(url, _export_post(name))
    assert response.status_code == 403
    assert b"HYPERLINK" not in response.content


@pytest.mark.parametrize("name", list(MODELS))
def test_an_agent_who_reads_the_list_cannot_export(client, agent, rows, name):
    client.force_login(agent)
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert client.post(reverse(f"admin:{name}_export"), _export_post(name)).status_code == 403


@pytest.mark.parametrize("name", list(MODELS))
def test_ops_admin_exports_with_every_formula_escaped(client, ops_admin, rows, name):
    client.force_login(ops_admin)
    assert client.get(reverse(f"admin:{name}_export")).status_code == 200
    response = client.post(reverse(f"admin:{name}_export"), _export_post(name))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert "HYPERLINK" in text or "SUM" in text  # the row is there
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            cell = cell.strip('"')
            assert not cell.startswith(("=", "@", "+cmd")), f"unescaped cell {cell!r} in {name}"


def test_the_export_button_follows_the_permission(client, agent, ops_admin, rows):
    url = reverse("admin:customers_customer_changelist")
    export_url = reverse("admin:customers_customer_export")
    client.force_login(agent)
    assert export_url not in client.get(url).content.decode()
    client.force_login(ops_admin)
    assert export_url in client.get(url).content.decode()


def test_xlsx_cells_are_escaped_and_numbers_stay_numbers(rows):
    dataset = PaymentResource().export()
    xlsx = XLSX()
    assert xlsx.export_data(dataset)  # writes without running any formula
    exported = PaymentResource().export(force_native_type=True)
    row = dict(zip(exported.headers, exported[0], strict=True))
    assert row["failure_reason"] == "'" + FORMULA
    assert row["transaction_id"] == "'" + CMD
    assert not isinstance(row["amount"], str)
