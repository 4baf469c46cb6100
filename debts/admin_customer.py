"""What debts adds to the customer admin page: the collections summary panel
on top, and the customer's debts and contacts as inlines.

customers sits below debts and cannot import it, so debts adds these to
``CustomerAdmin`` with ``core.admin``'s hooks (``debts.admin`` imports this
module, and Django's admin autodiscovery imports ``debts.admin``).
"""
from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from core.admin import add_admin_inlines, add_admin_panel, summary_html
from core.money import format_ugx
from customers.admin import CustomerAdmin
from debts import selectors
from debts.models import CommunicationLog, Debt


class DebtInline(admin.TabularInline):
    model = Debt
    extra = 0
    fields = ("loan_id", "debt_type", "original_amount", "current_balance", "status", "due_date", "days_past_due")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CommunicationLogInline(admin.TabularInline):
    model = CommunicationLog
    extra = 0
    fields = ("timestamp", "communication_type", "direction", "disposition", "next_action_date", "agent_id", "duration_seconds")
    readonly_fields = fields
    ordering = ("-timestamp",)
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


# Money as "UGX 1,250,000" and times in local time (TIME_ZONE), as the
# lists beside them show them.
def _last_payment_text(payment: dict | None) -> str:
    return f"{format_ugx(payment['amount'])} on {timezone.localtime(payment['payment_date']):%Y-%m-%d}" if payment else "—"


def _last_contact_text(log: dict | None) -> str:
    if not log:
        return "—"
    text = f"{log['communication_type']} {log['direction']} on {timezone.localtime(log['timestamp']):%Y-%m-%d %H:%M}"
    return text + (" — " + log["outcome"] if log["outcome"] else "")


def collections_summary_html(customer) -> str:
    """The customer's collections summary as a small admin table."""
    if customer is None or not customer.pk:
        return "—"
    summary = selectors.customer_summary(customer=customer)
    return summary_html([
        ("Total debt", format_ugx(summary["total_debt"])),
        ("Active debts", f"{summary['active_debt_count']} (of {summary['debt_count']})"),
        ("Total paid", format_ugx(summary["total_paid"])),
        ("Worst days past due", summary["worst_days_past_due"]),
        ("Last payment", _last_payment_text(summary["last_payment"])),
        ("Last contact", _last_contact_text(summary["last_contact"])),
    ])


add_admin_panel(CustomerAdmin, name="collections_summary", title="Collections summary", label="Summary", render=collections_summary_html)
add_admin_inlines(CustomerAdmin, DebtInline, CommunicationLogInline)
