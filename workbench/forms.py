"""The workbench's small forms (queue rows and the customer page): they read
and bound what was typed; every rule is the services' (``debts.services``,
``calls.services``), which the views call with the cleaned values.

A form is about one customer: its ``debt`` accepts only that customer's
debts. On a queue row the debt is the row's (a hidden field, so fifty rows
cost no query each); the dispositions are read once per page and handed to
every form."""
from __future__ import annotations

from django import forms

from debts import selectors as debt_selectors
from debts.choices import CommunicationDirection, CommunicationType, PaymentMethod, PaymentStatus
from debts.models import Debt

NOTE_MAX = 4000


def debt_label(debt: Debt) -> str:
    return f"{debt.loan_id or f'Debt #{debt.pk}'} · {debt.get_status_display()} · DPD {debt.days_past_due}"


class _CustomerForm(forms.Form):
    def __init__(self, *args, customer, row_debt: Debt | None = None, default_debt: Debt | None = None, dispositions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        field = self.fields["debt"]
        field.queryset = Debt.objects.filter(customer=customer).order_by("-days_past_due", "-current_balance", "id")
        field.label_from_instance = debt_label
        if row_debt is not None:
            field.widget = forms.HiddenInput()
            self.initial.setdefault("debt", row_debt.pk)
        elif default_debt is not None:
            # The customer page preselects the loan most behind.
            self.initial.setdefault("debt", default_debt.pk)
        if "disposition" in self.fields:
            rows = list(dispositions) if dispositions is not None else list(debt_selectors.active_dispositions())
            self.disposition_labels = {d.code: d.label for d in rows}
            self.fields["disposition"].choices = [("", "— choose —"), *self.disposition_labels.items()]


class ContactForm(_CustomerForm):
    debt = forms.ModelChoiceField(queryset=Debt.objects.none(), required=False, empty_label="(no particular loan)")
    disposition = forms.ChoiceField(choices=(), help_text="What came of it")
    next_action_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Next action date")
    communication_type = forms.ChoiceField(choices=CommunicationType.choices, initial=CommunicationType.CALL, label="Channel")
    direction = forms.ChoiceField(choices=CommunicationDirection.choices, initial=CommunicationDirection.OUTBOUND)
    notes = forms.CharField(required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class PromiseForm(_CustomerForm):
    debt = forms.ModelChoiceField(queryset=Debt.objects.none())
    amount = forms.DecimalField(max_digits=16, decimal_places=2, label="Amount (UGX)")
    promised_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Promised date")
    notes = forms.CharField(required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class PaymentForm(_CustomerForm):
    debt = forms.ModelChoiceField(queryset=Debt.objects.none())
    amount = forms.DecimalField(max_digits=16, decimal_places=2, label="Amount (UGX)")
    payment_method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.MOBILE_MONEY, label="Method")
    status = forms.ChoiceField(
        choices=[(PaymentStatus.COMPLETED, "Completed (apply to the balance now)"), (PaymentStatus.PENDING, "Pending")],
        initial=PaymentStatus.COMPLETED,
    )
    transaction_id = forms.CharField(required=False, max_length=100, label="Transaction id")
    notes = forms.CharField(required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class CallForm(_CustomerForm):
    debt = forms.ModelChoiceField(queryset=Debt.objects.none(), required=False, empty_label="(no particular loan)")
