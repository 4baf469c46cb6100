"""A loan book that would have guessed, in a real browser (issue 19): an agent
uploads a book with a loan of another customer and a phone-only match under
another name, sees both waiting for review (and the in-file loan_id conflict
failed), and an ops admin resolves them with the admin actions."""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from core.roles import COLLECTIONS_AGENT, OPS_ADMIN, sync_roles
from customers.tests.factories import CustomerFactory
from debts.models import Debt
from debts.tests.factories import DebtFactory
from tests.browser.conftest import wait_for
from uploads.choices import RowStatus
from uploads.models import UploadRow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOOK = (
    "name,phone,loan_id,amount\n"
    "Ivan Opio,0772 123 456,LN-99,50000\n"  # Joseph Okello's phone, another name
    "Grace Atim,0701000222,LN-15,0\n"  # Joseph's loan, under Grace's phone
    "Amos Ouma,0752000333,LN-20,1000\n"  # LN-20 twice with different amounts
    "Amos Ouma,0752000333,LN-20,2000\n"
    "Ruth Akello,0782000444,LN-21,3000\n"
)


def _log_in(browser, live_server, username, password):
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/admin/login/")
    wait_for(browser, lambda b: b.find_element(By.NAME, "username")).send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "/admin/login/" not in b.current_url)


def _user(django_user_model, username, role):
    user = django_user_model.objects.create_user(username=username, password=f"{username}-Pass-123!", is_staff=True)
    sync_roles()
    user.groups.add(Group.objects.get(name=role))
    return user


def _run_action(browser, row_ids, action):
    for row_id in row_ids:
        browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{row_id}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()


def test_agent_uploads_ops_admin_resolves_the_review_queue(browser, live_server, screenshot, django_user_model, tmp_path):
    joseph = CustomerFactory(full_name="Joseph Okello", primary_phone="+256772123456")
    DebtFactory(customer=joseph, loan_id="LN-15", current_balance=Decimal("1200000.00"), original_amount=Decimal("1200000.00"))
    _user(django_user_model, "agentbrowser", COLLECTIONS_AGENT)
    _user(django_user_model, "opsreviewer", OPS_ADMIN)
    path = tmp_path / "agent-book.csv"
    path.write_text(BOOK, encoding="utf-8")

    # The agent uploads.
    _log_in(browser, live_server, "agentbrowser", "agentbrowser-Pass-123!")
    browser.get(f"{live_server.url}/admin/uploads/fileupload/add/")
    browser.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "progress" in b.current_url)
    wait_for(browser, lambda b: "Completed" in b.find_element(By.ID, "upload-progress").text, timeout=60)
    screenshot("agent-upload-finished")

    # ... and sees both lines waiting for review, with the candidate and why.
    browser.get(f"{live_server.url}/admin/uploads/uploadrow/?status__exact=needs_review")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"))
    screenshot("agent-review-queue")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2
    text = browser.find_element(By.ID, "result_list").text
    assert "the names disagree" in text and "reached here under another phone" in text
    assert "Joseph Okello" in text
    # The agent cannot resolve: the review actions are not offered.
    options = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "select[name=action] option")]
    assert "attach_to_candidate" not in options
    browser.get(f"{live_server.url}/admin/uploads/uploadrow/?status__exact=failed")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"))
    assert "the same loan_id is on line(s)" in browser.find_element(By.ID, "result_list").text
    assert Debt.objects.get(loan_id="LN-15").current_balance == Decimal("1200000.00")
    assert not Debt.objects.filter(loan_id__in=["LN-99", "LN-20"]).exists()

    # The ops admin attaches Ivan's line to Joseph and rejects Grace's line.
    identity = UploadRow.objects.get(review__kind="identity")
    loan = UploadRow.objects.get(review__kind="loan_owner")
    _log_in(browser, live_server, "opsreviewer", "opsreviewer-Pass-123!")
    browser.get(f"{live_server.url}/admin/uploads/uploadrow/?status__exact=needs_review")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"))
    _run_action(browser, [identity.pk], "attach_to_candidate")
    wait_for(browser, lambda b: "attach to the candidate" in b.find_element(By.CSS_SELECTOR, "ul.messagelist").text.lower())
    screenshot("ops-attached")
    browser.get(f"{live_server.url}/admin/uploads/uploadrow/?status__exact=needs_review")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"))
    _run_action(browser, [loan.pk], "reject_lines")
    wait_for(browser, lambda b: "reject" in b.find_element(By.CSS_SELECTOR, "ul.messagelist").text.lower())
    screenshot("ops-rejected")

    identity.refresh_from_db()
    loan.refresh_from_db()
    assert (identity.status, identity.matched_customer) == (RowStatus.CREATED, joseph)
    assert Debt.objects.get(loan_id="LN-99").customer == joseph
    assert loan.status == RowStatus.REJECTED
    assert Debt.objects.get(loan_id="LN-15").current_balance == Decimal("1200000.00")
    assert identity.review.history.order_by("history_id").last().history_user.username == "opsreviewer"
