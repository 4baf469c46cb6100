"""Issue 13, money at every door: nothing that has moved money is deleted,
balances, statuses and amounts are read-only in every admin form, and void,
refund and write-off each need their own permission and a reason, and leave
a history row with that reason."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.tests.factories import CustomerFactory, DebtFactory, PaymentFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
PAYMENTS = "admin:debts_payment_changelist"
DEBTS = "admin:debts_debt_changelist"


def _completed(debt, amount="40.00") -> Payment:
    return services.payment_create(debt_id=debt.pk, amount=amount, status=PaymentStatus.COMPLETED)


def _money(debt) -> tuple:
    fresh = Debt.objects.get(pk=debt.pk)
    return fresh.current_balance, fresh.status


def _actions(client, url) -> list[str]:
    form = client.get(url).context["action_form"]
    return [name for name, _label in form.fields["action"].choices] if form else []


def _form_data(form) -> dict:
    """What the browser would post back for ``form`` as rendered."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if hasattr(field.widget, "widgets"):  # split date and time
            parts = value if isinstance(value, list | tuple) else field.widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{bound.html_name}_{index}"] = "" if part is None else part
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif value is not None:
            data[bound.html_name] = value
    return data


def _change_form_post(client, url, **changes) -> dict:
    """The change page's form and its inlines as rendered, with ``changes`` on top."""
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for form in formset.forms:
            data.update(_form_data(form))
    data.update(changes)
    return data


# --------------------------------------------------------------------------
# nothing that moved money is deleted: services and the model-level guard


def test_the_service_refuses_deleting_any_payment_and_says_what_to_do_instead(ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    completed = _completed(debt)
    pending = PaymentFactory(debt=debt)
    for payment, instead in ((completed, "refund it instead"), (pending, "void it instead")):
        with pytest.raises(ValidationError) as exc:
            services.payment_delete(payment_id=payment.pk, deleted_by=ops_admin)
        assert "cannot be deleted" in exc.value.messages[0] and instead in exc.value.messages[0]
    # The model-level guard: even a queryset delete asks the same rule.
    with pytest.raises(ValidationError), transaction.atomic():
        Payment.objects.filter(pk=completed.pk).delete()
    assert Payment.objects.count() == 2
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)


def test_a_debt_with_payments_or_written_off_is_kept_a_mistaken_one_can_go(ops_admin):
    paid = DebtFactory()
    _completed(paid)
    written_off = services.debt_write_off(debt_id=DebtFactory().pk, written_off_by=ops_admin, reason="fraud")
    mistake = DebtFactory()
    with pytest.raises(ValidationError, match=r"has 1 payment\(s\) and cannot be deleted"):
        services.debt_delete(debt_id=paid.pk, deleted_by=ops_admin)
    with pytest.raises(ValidationError, match="is written off and cannot be deleted"):
        services.debt_delete(debt_id=written_off.pk, deleted_by=ops_admin)
    with pytest.raises(ValidationError), transaction.atomic():
        Debt.objects.filter(pk=written_off.pk).delete()
    services.debt_delete(debt_id=mistake.pk, deleted_by=ops_admin)
    assert list(Debt.objects.order_by("pk").values_list("pk", flat=True)) == sorted([paid.pk, written_off.pk])
    assert _money(paid) == (Decimal("960.00"), DebtStatus.ACTIVE)


# --------------------------------------------------------------------------
# the admin's delete doors


@pytest.mark.parametrize("who", ["ops", "superuser"])
def test_the_admin_delete_page_of_a_payment_answers_with_the_refusal(client, ops_admin, admin_user, who):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = _completed(debt)
    client.force_login(ops_admin if who == "ops" else admin_user)
    url = reverse("admin:debts_payment_delete", args=[payment.pk])
    for response in (client.get(url, follow=True), client.post(url, {"post": "yes"}, follow=True)):
        html = response.content.decode()
        assert "Not deleted" in html and "cannot be deleted" in html and "refund it instead" in html
    assert Payment.objects.filter(pk=payment.pk, status=PaymentStatus.COMPLETED).exists()
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)


def test_delete_selected_is_not_offered_for_payments_and_posting_it_deletes_nothing(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payments = [_completed(debt), PaymentFactory(debt=debt)]
    client.force_login(ops_admin)
    url = reverse(PAYMENTS)
    assert "delete_selected" not in _actions(client, url)
    client.post(url, {"action": "delete_selected", "_selected_action": [p.pk for p in payments], "post": "yes"})
    assert Payment.objects.count() == 2
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)


def test_the_admin_refuses_deleting_a_debt_with_payments_single_and_bulk(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    _completed(debt)
    mistake = DebtFactory()
    client.force_login(ops_admin)

    single = client.post(reverse("admin:debts_debt_delete", args=[debt.pk]), {"post": "yes"}, follow=True).content.decode()
    assert "Not deleted" in single and "has 1 payment(s) and cannot be deleted" in single

    url = reverse(DEBTS)
    selected = {"action": "delete_selected", "_selected_action": [debt.pk, mistake.pk]}
    confirm = client.post(url, selected).content.decode()
    assert "has 1 payment(s) and cannot be deleted" in confirm
    client.post(url, {**selected, "post": "yes"})
    assert Debt.objects.filter(pk__in=[debt.pk, mistake.pk]).count() == 2  # all or nothing
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)

    # A debt recorded by mistake (no payments) is deleted, through the service.
    client.post(reverse("admin:debts_debt_delete", args=[mistake.pk]), {"post": "yes"})
    assert not Debt.objects.filter(pk=mistake.pk).exists()


def test_the_inlines_offer_no_delete_checkbox(client, ops_admin):
    debt = DebtFactory()
    _completed(debt)
    client.force_login(ops_admin)
    for url in (reverse("admin:debts_debt_change", args=[debt.pk]), reverse("admin:customers_customer_change", args=[debt.customer_id])):
        page = client.get(url)
        for inline in page.context["inline_admin_formsets"]:
            assert not inline.formset.can_delete, (url, inline.opts)
        assert "-DELETE" not in page.content.decode()


# --------------------------------------------------------------------------
# balances, statuses and amounts are read-only in every admin form


def test_posting_the_debt_change_form_cannot_move_balance_status_or_amounts(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("500.00"))
    _completed(debt, "100.00")
    client.force_login(ops_admin)
    url = reverse("admin:debts_debt_change", args=[debt.pk])
    form = client.get(url).context["adminform"].form
    for name in ("customer", "original_amount", "current_balance", "status", "days_past_due", "last_payment_date",
                 "last_payment_amount", "settled_amount", "closed_reason"):
        assert name not in form.fields, name

    data = _change_form_post(
        client, url, notes="called the branch", current_balance="1.00", original_amount="1.00", status=DebtStatus.PAID_OFF,
        days_past_due="0", last_payment_amount="500.00", customer=CustomerFactory().pk,
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    fresh = Debt.objects.get(pk=debt.pk)
    assert fresh.notes == "called the branch"  # what may change did, through debt_update
    assert (fresh.current_balance, fresh.status, fresh.original_amount) == (Decimal("400.00"), DebtStatus.ACTIVE, Decimal("500.00"))
    assert fresh.customer_id == debt.customer_id and fresh.last_payment_amount == Decimal("100.00")
    assert fresh.history.first().history_user == ops_admin


def test_posting_a_payment_change_form_cannot_move_amount_status_debt_or_customer(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    other = DebtFactory()
    pending = PaymentFactory(debt=debt, amount=Decimal("30.00"))
    completed = _completed(debt, "20.00")
    client.force_login(ops_admin)
    for payment in (pending, completed):
        url = reverse("admin:debts_payment_change", args=[payment.pk])
        form = client.get(url).context["adminform"].form
        assert not {"amount", "status", "debt", "customer"} & set(form.fields)
        data = _change_form_post(client, url, notes="receipt 12", amount="99.00", status=PaymentStatus.COMPLETED,
                                 debt=other.pk, customer=other.customer_id)
        assert client.post(url, data).status_code == 302
        fresh = Payment.objects.get(pk=payment.pk)
        assert (fresh.amount, fresh.status, fresh.debt_id, fresh.customer_id) == (
            payment.amount, payment.status, debt.pk, debt.customer_id)
        assert fresh.notes == "receipt 12"
    assert _money(debt) == (Decimal("80.00"), DebtStatus.ACTIVE)
    assert _money(other) == (other.original_amount, DebtStatus.ACTIVE)


# --------------------------------------------------------------------------
# void, refund, write-off: own permission, required reason, history row


def test_void_needs_its_permission_and_a_reason_and_writes_the_reason_in_the_history(client, ops_admin, agent):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    pending = PaymentFactory(debt=debt, amount=Decimal("30.00"))
    url = reverse(PAYMENTS)
    selected = {"action": "void_payments", "_selected_action": [pending.pk]}

    client.force_login(agent)
    assert "void_payments" not in _actions(client, url)
    client.post(url, {**selected, "apply": "1", "reason": "typo"})
    assert Payment.objects.get(pk=pending.pk).status == PaymentStatus.PENDING

    client.force_login(ops_admin)
    assert 'name="reason"' in client.post(url, selected).content.decode()  # the small form asking why
    client.post(url, {**selected, "apply": "1", "reason": ""})
    assert Payment.objects.get(pk=pending.pk).status == PaymentStatus.PENDING
    client.post(url, {**selected, "apply": "1", "reason": "entered twice"})

    voided = Payment.objects.get(pk=pending.pk)
    assert (voided.status, voided.void_reason, voided.voided_by) == (PaymentStatus.VOIDED, "entered twice", ops_admin)
    row = voided.history.first()
    assert row.history_change_reason == "voided: entered twice" and row.history_user == ops_admin
    assert _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)
    with pytest.raises(ValidationError, match="only a pending payment can be completed"):
        services.payment_complete(payment_id=pending.pk)


def test_a_completed_payment_is_refunded_not_voided(ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = _completed(debt)
    with pytest.raises(ValidationError, match="a completed one is refunded"):
        services.payment_void(payment_id=payment.pk, voided_by=ops_admin, reason="oops")
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)


def test_refund_through_the_admin_needs_a_reason_and_records_it_on_payment_and_debt(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = _completed(debt, "100.00")
    client.force_login(ops_admin)
    url = reverse(PAYMENTS)
    selected = {"action": "refund_payments", "_selected_action": [payment.pk]}
    client.post(url, {**selected, "apply": "1", "reason": "  "})
    assert _money(debt) == (Decimal("0.00"), DebtStatus.PAID_OFF)
    client.post(url, {**selected, "apply": "1", "reason": "chargeback"})
    assert _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)
    refunded = Payment.objects.get(pk=payment.pk)
    assert refunded.history.first().history_change_reason == "refunded: chargeback"
    assert Debt.objects.get(pk=debt.pk).history.first().history_change_reason == f"payment #{payment.pk} refunded: chargeback"


def test_the_services_check_permission_and_reason_whoever_calls(agent, ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    completed, pending = _completed(debt), PaymentFactory(debt=debt)
    with pytest.raises(PermissionDenied):
        services.payment_refund(payment_id=completed.pk, refunded_by=agent, reason="x")
    with pytest.raises(PermissionDenied):
        services.payment_void(payment_id=pending.pk, voided_by=None, reason="x")
    with pytest.raises(PermissionDenied):
        services.debt_write_off(debt_id=debt.pk, written_off_by=agent, reason="x")
    with pytest.raises(ValidationError) as exc:
        services.payment_refund(payment_id=completed.pk, refunded_by=ops_admin, reason="")
    assert "reason" in exc.value.message_dict
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)
    assert Payment.objects.get(pk=pending.pk).status == PaymentStatus.PENDING


def test_write_off_in_the_admin_writes_the_reason_in_the_history(client, ops_admin):
    debt = DebtFactory()
    client.force_login(ops_admin)
    client.post(reverse(DEBTS), {"action": "write_off_debts", "_selected_action": [debt.pk], "apply": "1", "reason": "deceased"})
    fresh = Debt.objects.get(pk=debt.pk)
    assert fresh.status == DebtStatus.WRITTEN_OFF and fresh.current_balance == debt.current_balance
    assert fresh.history.first().history_change_reason == "written off: deceased"


# --------------------------------------------------------------------------
# the API


@pytest.mark.parametrize("who", ["ops", "agent", "analyst", "reader", "outsider"])
def test_the_api_has_no_delete_for_payments_debts_or_customers(request, who):
    client = request.getfixturevalue(f"{who}_client")
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = _completed(debt)
    for url in (f"{API}/payments/{payment.pk}/", f"{API}/debts/{debt.pk}/", f"{API}/customers/{debt.customer_id}/"):
        assert client.delete(url).status_code in (403, 405), url
    assert Payment.objects.filter(pk=payment.pk).exists() and Debt.objects.filter(pk=debt.pk).exists()
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)


@pytest.mark.parametrize(("who", "expected"), [("ops", 200), ("agent", 403), ("analyst", 403), ("reader", 403), ("outsider", 403)])
def test_refund_and_void_over_the_api_by_role(request, who, expected):
    client = request.getfixturevalue(f"{who}_client")
    debt = DebtFactory(original_amount=Decimal("100.00"))
    completed, pending = _completed(debt), PaymentFactory(debt=debt, amount=Decimal("5.00"))

    assert client.post(f"{API}/payments/{completed.pk}/refund/", {"reason": "bounced"}, format="json").status_code == expected
    assert client.post(f"{API}/payments/{pending.pk}/void/", {"reason": "never came"}, format="json").status_code == expected

    if expected == 200:
        assert _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)
        assert Payment.objects.get(pk=pending.pk).history.first().history_change_reason == "voided: never came"
    else:
        assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)
        assert Payment.objects.get(pk=pending.pk).status == PaymentStatus.PENDING


def test_refund_and_void_over_the_api_need_a_reason(ops_client):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    completed, pending = _completed(debt), PaymentFactory(debt=debt)
    for url in (f"{API}/payments/{completed.pk}/refund/", f"{API}/payments/{pending.pk}/void/"):
        response = ops_client.post(url, {}, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)


@pytest.mark.parametrize("who", ["ops", "agent"])
def test_the_api_cannot_patch_money_or_status(request, who):
    client = request.getfixturevalue(f"{who}_client")
    debt = DebtFactory(original_amount=Decimal("100.00"))
    pending = PaymentFactory(debt=debt, amount=Decimal("10.00"))
    for body in ({"amount": "99.00"}, {"status": "COMPLETED"}, {"customer": CustomerFactory().pk}):
        response = client.patch(f"{API}/payments/{pending.pk}/", body, format="json")
        assert response.status_code in (400, 403), body
    fresh = Payment.objects.get(pk=pending.pk)
    assert (fresh.amount, fresh.status, fresh.customer_id) == (Decimal("10.00"), PaymentStatus.PENDING, debt.customer_id)
    if who == "ops":
        assert client.patch(f"{API}/debts/{debt.pk}/", {"current_balance": "1.00"}, format="json").status_code == 400
        client.patch(f"{API}/debts/{debt.pk}/", {"status": "PAID_OFF", "days_past_due": 0}, format="json")
    assert _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)


def test_an_oversized_refund_or_write_off_reason_is_refused_and_nothing_moves(ops_client):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    completed = _completed(debt)
    huge = {"reason": "x" * 100_000}
    for url in (f"{API}/payments/{completed.pk}/refund/", f"{API}/debts/{debt.pk}/write-off/"):
        response = ops_client.post(url, huge, format="json")
        assert response.status_code == 400 and "reason" in response.json(), (url, response.content)
    assert _money(debt) == (Decimal("60.00"), DebtStatus.ACTIVE)
