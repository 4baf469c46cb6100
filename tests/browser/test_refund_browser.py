"""An ops admin refunds a payment in a real browser: the admin asks why,
and the debt's balance is restored (issue 13)."""
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.tests.factories import DebtFactory
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ops_admin_refunds_a_payment_with_a_reason_and_sees_the_balance_restored(logged_in, live_server, screenshot):
    debt = DebtFactory(loan_id="LN-REFUND-1", original_amount=Decimal("100.00"))
    payment = services.payment_create(debt_id=debt.pk, amount="100.00", status=PaymentStatus.COMPLETED, payment_method="cash")
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.PAID_OFF
    browser = logged_in

    browser.get(f"{live_server.url}/admin/debts/payment/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "result_list"))
    browser.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{payment.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("refund_payments")
    screenshot("payments-refund-selected")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()

    # The small form asking why.
    wait_for(browser, lambda b: b.find_elements(By.NAME, "reason"))
    screenshot("refund-reason-form")
    browser.find_element(By.NAME, "reason").send_keys("Customer paid twice; money returned by mobile money")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit].default").click()
    wait_for(browser, lambda b: "Refund: 1 done." in b.page_source)
    screenshot("refund-done")

    browser.get(f"{live_server.url}/admin/debts/debt/{debt.pk}/change/")
    wait_for(browser, lambda b: "LN-REFUND-1" in b.page_source)
    screenshot("debt-after-refund")
    # The change page shows the balance as ops read money: in UGX, with separators.
    balance = browser.find_element(By.CSS_SELECTOR, ".field-current_balance_ugx .readonly").text
    status = browser.find_element(By.CSS_SELECTOR, ".field-status .readonly").text
    assert balance == "UGX 100" and status == "Active"

    refunded = Payment.objects.get(pk=payment.pk)
    assert refunded.status == PaymentStatus.REFUNDED
    assert refunded.refund_reason == "Customer paid twice; money returned by mobile money"
    assert refunded.history.first().history_change_reason.startswith("refunded: Customer paid twice")
