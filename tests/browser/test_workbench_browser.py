"""The collector's workbench in Chromium (issue 16): an agent works an
account from the queue to a promise and a call; one ops admin asks to write
off a large debt and another approves it. Screenshots go to artifacts/."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from calls.models import CallSession
from core.roles import COLLECTIONS_AGENT, OPS_ADMIN, sync_roles
from customers.tests.factories import CustomerFactory
from debts.choices import ApprovalStatus, DebtStatus
from debts.models import ApprovalRequest, CommunicationLog, Debt, PromiseToPay
from debts.tests.factories import DebtFactory
from tests.browser.conftest import wait_for

# The dispositions a migration seeds are put back for each test (a transactional test empties the tables).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("dispositions")]


def _user(django_user_model, username: str, role: str):
    user = django_user_model.objects.create_user(username=username, password=f"Pw-{username}-16!", is_staff=True)
    sync_roles()
    user.groups.add(Group.objects.get(name=role))
    return user


def _login(browser, live_server, username: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(f"Pw-{username}-16!")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "/admin/login/" not in b.current_url)


def _set_date(browser, element, value) -> None:
    # A date input's typing order depends on the browser's locale: set the value as the form posts it.
    browser.execute_script("arguments[0].value = arguments[1]", element, value.isoformat())


def test_an_agent_works_an_account_from_the_queue_to_a_promise_and_a_call(browser, live_server, django_user_model, screenshot, settings):
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.CALLING_HOURS = "00:00-00:01"  # closed: the call waits, and the page says until when
    agent = _user(django_user_model, "agentsarah", COLLECTIONS_AGENT)
    sarah = CustomerFactory(full_name="Nakato Sarah", primary_phone="+256772123456")
    CustomerFactory(full_name="Nakato Sarah", primary_phone="+256701999888")  # the other Sarah
    debt = DebtFactory(customer=sarah, loan_id="LN-WB-1", original_amount=Decimal("1250000.00"), days_past_due=12, assigned_to=agent)

    _login(browser, live_server, "agentsarah")
    browser.get(f"{live_server.url}/queue/")
    wait_for(browser, lambda b: "LN-WB-1" in b.find_element(By.ID, "queue").text)
    screenshot("queue")

    # Search by the phone as the customer reads it out.
    browser.get(f"{live_server.url}/dashboard/")
    search = browser.find_element(By.NAME, "search")
    search.send_keys("0772 123 456")
    search.submit()
    wait_for(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#loan-book tbody tr")) == 1 and "Nakato Sarah" in b.find_element(By.ID, "loan-book").text)
    screenshot("dashboard-search")
    browser.find_element(By.LINK_TEXT, "Nakato Sarah").click()
    wait_for(browser, lambda b: b.current_url.endswith(f"/customers/{sarah.pk}/"))
    assert "UGX 1,250,000" in browser.page_source
    screenshot("customer")

    # Log a contact: a disposition from the list and a next action date.
    browser.find_element(By.CSS_SELECTOR, "#action-contact summary").click()
    form = browser.find_element(By.ID, "form-page-contact")
    Select(form.find_element(By.NAME, "disposition")).select_by_index(1)
    next_day = timezone.localdate() + timedelta(days=3)
    _set_date(browser, form.find_element(By.NAME, "next_action_date"), next_day)
    form.find_element(By.NAME, "notes").send_keys("Will pay on Friday")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda b: "Contact logged" in b.find_element(By.ID, "action-contact").text)
    wait_for(browser, lambda b: "Will pay on Friday" in b.find_element(By.ID, "timeline").text)  # the timeline reloads itself
    screenshot("contact-logged")

    # Take a promise: first refused (a date in the past), the typed amount stays; then taken.
    browser.find_element(By.CSS_SELECTOR, "#action-promise summary").click()
    form = browser.find_element(By.ID, "form-page-promise")
    form.find_element(By.NAME, "amount").send_keys("300000")
    _set_date(browser, form.find_element(By.NAME, "promised_date"), timezone.localdate() - timedelta(days=2))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#form-page-promise [role=alert]"))
    form = browser.find_element(By.ID, "form-page-promise")
    assert form.find_element(By.NAME, "amount").get_attribute("value") == "300000"
    screenshot("promise-refused")
    _set_date(browser, form.find_element(By.NAME, "promised_date"), timezone.localdate() + timedelta(days=2))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda b: "Promise taken" in b.find_element(By.ID, "action-promise").text)

    # Call now: outside calling hours it says when the call will be placed.
    browser.find_element(By.CSS_SELECTOR, "#action-call summary").click()
    browser.find_element(By.CSS_SELECTOR, "#form-page-call button[type=submit]").click()
    wait_for(browser, lambda b: "waits until" in b.find_element(By.ID, "action-call").text)
    screenshot("called")

    log = CommunicationLog.objects.get(customer=sarah)
    assert log.disposition is not None and log.next_action_date == next_day and log.agent_user == agent
    assert Debt.objects.get(pk=debt.pk).next_action_date == next_day
    assert PromiseToPay.objects.get(debt=debt).amount == Decimal("300000.00")
    session = CallSession.objects.get(customer=sarah)
    assert session.status == "scheduled" and session.scheduled_for > timezone.now()


def test_an_ops_admin_asks_to_write_off_and_another_approves(browser, live_server, django_user_model, screenshot, settings):
    settings.APPROVAL_THRESHOLD_UGX = 1_000_000
    _user(django_user_model, "opsasker", OPS_ADMIN)
    _user(django_user_model, "opsdecider", OPS_ADMIN)
    debt = DebtFactory(loan_id="LN-WO-1", original_amount=Decimal("2500000.00"), days_past_due=200)

    _login(browser, live_server, "opsasker")
    browser.get(f"{live_server.url}/admin/debts/debt/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "result_list"))
    browser.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{debt.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("write_off_debts")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    wait_for(browser, lambda b: b.find_elements(By.NAME, "reason"))
    browser.find_element(By.NAME, "reason").send_keys("Customer deceased; estate has no assets")
    screenshot("write-off-reason")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "sent for approval" in b.page_source)
    screenshot("write-off-requested")
    request = ApprovalRequest.objects.get(debt=debt)
    assert request.status == ApprovalStatus.PENDING and Debt.objects.get(pk=debt.pk).status != DebtStatus.WRITTEN_OFF

    _login(browser, live_server, "opsdecider")
    browser.get(f"{live_server.url}/admin/debts/approvalrequest/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "result_list"))
    browser.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{request.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("approve_requests")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    wait_for(browser, lambda b: b.find_elements(By.NAME, "note"))
    browser.find_element(By.NAME, "note").send_keys("Checked the death certificate")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "Approve: 1 done." in b.page_source)
    screenshot("write-off-approved")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED and request.decided_by.username == "opsdecider"
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.WRITTEN_OFF


def test_a_queue_row_logs_a_contact_and_calls_without_leaving_the_page(browser, live_server, django_user_model, screenshot, settings):
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.CALLING_HOURS = "00:00-00:01"
    agent = _user(django_user_model, "agentrow", COLLECTIONS_AGENT)
    debt = DebtFactory(customer=CustomerFactory(full_name="Okello James"), loan_id="LN-ROW-1", days_past_due=40, assigned_to=agent)

    _login(browser, live_server, "agentrow")
    browser.get(f"{live_server.url}/queue/")
    row = wait_for(browser, lambda b: b.find_element(By.ID, f"queue-row-{debt.pk}"))
    row.find_element(By.XPATH, ".//button[normalize-space()='Log contact']").click()
    form = wait_for(browser, lambda b: b.find_element(By.ID, f"form-q{debt.pk}c-contact"))
    Select(form.find_element(By.NAME, f"q{debt.pk}c-disposition")).select_by_index(1)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda b: "Contact logged" in b.find_element(By.ID, f"slot-{debt.pk}-contact").text)
    browser.find_element(By.ID, f"queue-row-{debt.pk}").find_element(By.XPATH, ".//button[normalize-space()='Call now']").click()
    wait_for(browser, lambda b: "waits until" in b.find_element(By.ID, f"call-answer-{debt.pk}").text)
    wait_for(browser, lambda b: "waiting" in b.find_element(By.ID, f"call-state-{debt.pk}").text)  # the poll moved the badge
    screenshot("queue-row-acted")
    assert browser.current_url.endswith("/queue/")
    assert CommunicationLog.objects.get(customer=debt.customer).debt_id == debt.pk
    assert CallSession.objects.get(customer=debt.customer).debt_id == debt.pk
