"""The ops flows in a real browser: upload a loan book and watch it finish,
upload a statement and see it flagged, filter statements by provider, open
the dashboard, call a customer on the simulator and see the status change."""
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from calls.models import CallSession
from customers.tests.factories import CustomerFactory
from debts.models import Debt
from debts.tests.factories import DebtFactory
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(django_settings.BASE_DIR) / "fixtures"


def test_upload_a_loan_book_and_watch_it_finish(logged_in, live_server, screenshot):
    browser = logged_in
    browser.get(f"{live_server.url}/admin/uploads/fileupload/add/")
    browser.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(FIXTURES / "loan_books" / "demo.csv"))
    screenshot("loan-book-form")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "progress" in b.current_url)
    wait_for(browser, lambda b: "Completed" in b.find_element(By.ID, "upload-progress").text, timeout=60)
    screenshot("loan-book-progress")
    text = browser.find_element(By.ID, "upload-progress").text
    assert "12" in text  # twelve rows imported

    assert Debt.objects.filter(loan_id__startswith="LN-").count() >= 10


def test_upload_a_statement_see_it_flagged_and_filter_by_provider(logged_in, live_server, screenshot):
    browser = logged_in
    samples = FIXTURES / "statements" / "samples"
    browser.get(f"{live_server.url}/admin/statements/statementimport/add/")
    file_input = browser.find_element(By.CSS_SELECTOR, "input[type=file][name=files]")
    file_input.send_keys("\n".join(str(samples / name) for name in ("airtel_f1_tampered_edited_balance.pdf", "mtn_export.xlsx")))
    screenshot("statement-upload-form")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "statementimport" in b.current_url and "/add/" not in b.current_url)
    screenshot("statement-import-job")

    browser.get(f"{live_server.url}/statements/")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#statements-table tbody tr"))
    screenshot("statements-all")
    rows = browser.find_elements(By.CSS_SELECTOR, "#statements-table tbody tr")
    assert len(rows) == 2
    airtel_row = next(r for r in rows if "UATL" in r.text)
    assert "Flagged" in airtel_row.text

    Select(browser.find_element(By.ID, "provider-filter")).select_by_value("UMTN")
    wait_for(browser, lambda b: all("UMTN" in r.text for r in b.find_elements(By.CSS_SELECTOR, "#statements-table tbody tr")))
    screenshot("statements-umtn")
    rows = browser.find_elements(By.CSS_SELECTOR, "#statements-table tbody tr")
    assert len(rows) == 1 and "UATL" not in rows[0].text

    rows[0].find_element(By.CSS_SELECTOR, "a").click()
    wait_for(browser, lambda b: b.find_elements(By.TAG_NAME, "canvas"))
    screenshot("statement-detail")


def test_dashboard_call_now_on_the_simulator(logged_in, live_server, screenshot, settings):
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.CALLING_HOURS = "00:00-23:59"
    customer = CustomerFactory(full_name="Nakato Sarah", primary_phone="+256706015809", first_uploaded_at=timezone.now())
    DebtFactory(customer=customer, loan_id="LN-DASH-1")
    browser = logged_in
    browser.get(f"{live_server.url}/dashboard/")
    wait_for(browser, lambda b: "Nakato Sarah" in b.page_source)
    screenshot("dashboard-before")
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr") if "Nakato Sarah" in r.text)
    assert "ready" in row.text
    row.find_element(By.XPATH, ".//button[contains(., 'Call now')]").click()
    wait_for(browser, lambda b: "scheduled" in b.page_source)
    screenshot("dashboard-call-clicked")

    session = CallSession.objects.get(customer=customer)
    browser.get(f"{live_server.url}/dashboard/")
    wait_for(browser, lambda b: "Nakato Sarah" in b.page_source)
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr") if "Nakato Sarah" in r.text)
    session.refresh_from_db()
    assert session.status != "scheduled"
    screenshot("dashboard-after")
    assert "ready" not in row.text  # the badge moved on from "ready"
