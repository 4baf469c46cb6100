"""What the workbench adds to lower apps' admin pages: the customer's and the
debt's change pages link to the customer's workbench page (their "View on
site" button), as ``core.admin``'s hooks do for other apps (customers and
debts sit below workbench and cannot name its URLs)."""
from __future__ import annotations

from django.urls import reverse

from customers.admin import CustomerAdmin
from debts.admin import DebtAdmin


def _customer_page(obj) -> str:
    return reverse("workbench-customer", args=[obj.pk])


def _debt_customer_page(obj) -> str:
    return reverse("workbench-customer", args=[obj.customer_id])


CustomerAdmin.view_on_site = staticmethod(_customer_page)
DebtAdmin.view_on_site = staticmethod(_debt_customer_page)
