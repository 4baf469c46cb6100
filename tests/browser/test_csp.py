"""The Content-Security-Policy, as Chromium enforces it: the admin, both ops
pages and the API docs load with no violation in the console, and the part of
each page that needs its scripts renders (Swagger UI and Redoc draw the API,
the dashboard's chart is drawn, htmx swaps the statements table, the aging
report's select submits without an inline handler)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from calls.tests.factories import CallSessionFactory
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What Chromium writes to the console when the policy blocks something.
VIOLATION_MARKERS = ("Content Security Policy", "Content-Security-Policy")


def console_violations(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if any(m in entry["message"] for m in VIOLATION_MARKERS)]


def record_violations(browser) -> None:
    """Count securitypolicyviolation events from the first byte of every page
    (a DevTools script runs before the page's own and is not subject to it)."""
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', function (e) {"
        "  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });"
    )})


# Redoc's footer always draws the Redocly logo from its CDN (hard-coded in the
# bundle, no option hides it). The policy refuses that third-party request on
# purpose: the image's onerror removes it, nothing else on the page needs it.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def assert_clean(browser, page: str, allowed: tuple[str, ...] = ()) -> None:
    events = browser.execute_script("return window.__cspViolations || null;")
    assert events is not None, f"{page}: the violation recorder did not run"
    assert [e for e in events if e not in allowed] == [], f"{page}: CSP violations: {events}"
    console = [m for m in console_violations(browser) if not any(a.split(" ", 1)[1] in m for a in allowed)]
    assert console == [], f"{page}: CSP messages in the console"


def test_pages_work_under_the_content_security_policy(logged_in, live_server, screenshot, django_user_model):
    browser = logged_in
    record_violations(browser)
    url = live_server.url
    browser.get_log("browser")  # start from an empty console

    # The header is there, with a nonce for the pages' own inline scripts.
    header = browser.execute_script(
        "var r = new XMLHttpRequest(); r.open('GET', '/dashboard/', false); r.send(); "
        "return r.getResponseHeader('Content-Security-Policy');")
    assert "script-src 'self' 'nonce-" in header and "object-src 'none'" in header and "frame-ancestors 'none'" in header

    browser.get(f"{url}/admin/")
    wait_for(browser, lambda b: b.find_element(By.ID, "site-name"))
    assert_clean(browser, "/admin/")

    browser.get(f"{url}/admin/customers/customer/add/")
    wait_for(browser, lambda b: b.find_element(By.CSS_SELECTOR, "form#customer_form"))
    assert_clean(browser, "admin add form")

    browser.get(f"{url}/admin/debts/debt/aging-report/")
    wait_for(browser, lambda b: b.execute_script("return !!Chart.getChart(document.getElementById('aging-chart'));"))
    Select(browser.find_element(By.ID, "group_by")).select_by_index(1)
    wait_for(browser, lambda b: "group_by=" in b.current_url)
    assert_clean(browser, "aging report")

    # A finished call, so the dashboard draws its charts.
    CallSessionFactory(status="completed")
    browser.get(f"{url}/dashboard/")
    wait_for(browser, lambda b: b.find_element(By.ID, "loan-book"))
    wait_for(browser, lambda b: b.execute_script("return !!Chart.getChart(document.getElementById('chart-outcomes'));"))
    screenshot("dashboard-csp")
    assert_clean(browser, "/dashboard/")

    browser.get(f"{url}/statements/")
    wait_for(browser, lambda b: b.find_element(By.ID, "statements-table"))
    browser.execute_script("window.__swapped = false; document.body.addEventListener('htmx:afterSwap', function () { window.__swapped = true; });")
    Select(browser.find_element(By.ID, "provider-filter")).select_by_value("UMTN")
    wait_for(browser, lambda b: b.execute_script("return window.__swapped;"))
    assert_clean(browser, "/statements/")

    # Pages whose inline script carries the nonce: the reports fill their tables from the API.
    browser.get(f"{url}/reports/")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "section.report .tables")
             and all("Loading" not in box.text for box in b.find_elements(By.CSS_SELECTOR, "section.report .tables")), timeout=60)
    assert_clean(browser, "/reports/")
    browser.get(f"{url}/queue/")
    wait_for(browser, lambda b: b.find_element(By.TAG_NAME, "h1"))
    assert_clean(browser, "/queue/")

    browser.get(f"{url}/api/docs/")
    wait_for(browser, lambda b: b.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title"), timeout=60)
    assert "CreditDesk API" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock"))
    screenshot("swagger-csp")
    assert_clean(browser, "/api/docs/")

    browser.get(f"{url}/api/redoc/")
    wait_for(browser, lambda b: b.find_element(By.CSS_SELECTOR, ".api-info h1"), timeout=60)
    assert "CreditDesk API" in browser.find_element(By.CSS_SELECTOR, ".api-info h1").text
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "[data-section-id^='tag/'], [data-section-id^='operation/']"))
    screenshot("redoc-csp")
    assert_clean(browser, "/api/redoc/", allowed=(f"img-src {REDOC_LOGO}",))


def test_an_inline_script_without_the_nonce_is_refused(logged_in, live_server):
    """The policy is not a formality: a script injected without the nonce does not run."""
    browser = logged_in
    browser.get(f"{live_server.url}/dashboard/")
    ran = browser.execute_script(
        "window.__injected = false; var s = document.createElement('script');"
        "s.textContent = 'window.__injected = true;'; document.body.appendChild(s); return window.__injected;")
    assert ran is False
    assert console_violations(browser), "Chromium reported no violation for the refused script"
