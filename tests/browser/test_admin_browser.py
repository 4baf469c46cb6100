"""Log in through the admin in a real browser and open every ops page."""
import pytest
from selenium.webdriver.common.by import By

from customers.tests.factories import CustomerFactory
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_admin_index(logged_in, live_server, screenshot):
    browser = logged_in
    wait_for(browser, lambda b: "Operations" in b.page_source)
    screenshot("admin-index")
    assert "Collections" in browser.page_source  # the debts app's verbose name
    for section in ("Customers", "Statements", "Loan-book uploads", "Calls"):
        assert section in browser.page_source


def test_customer_changelist_search(logged_in, live_server, screenshot):
    CustomerFactory(full_name="Nakato Sarah", primary_phone="+256706015809")
    CustomerFactory(full_name="Okello James", primary_phone="+256772000111")
    browser = logged_in
    browser.get(f"{live_server.url}/admin/customers/customer/?q=Nakato")
    wait_for(browser, lambda b: b.find_elements(By.ID, "result_list"))
    screenshot("customers-search")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1
    assert "Nakato Sarah" in rows[0].text
