"""The risk analyst's pages in Chromium at a phone's width (390 px) and a
laptop's: /statements/ sorted by risk with its reasons and the review
queue, /statements/{id}/ with the reasons, the highlighted first break and
the review form — nothing scrolls sideways, and a decision recorded on the
phone takes the statement out of the queue."""
import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By

from core.roles import RISK_ANALYST, sync_roles
from statements.choices import StatementStatus, TamperingLevel, VerificationStatus
from statements.engine.forensics import codes
from statements.models import StatementReview
from statements.tests.ops_factories import make_statement
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _reason(code: str, weight: int, message: str, **kw) -> dict:
    return {"code": code, "message": message, "weight": weight, "page": kw.get("page"), "row": kw.get("row"), "field": kw.get("field", "")}


@pytest.fixture
def analyst_in_browser(browser, live_server, django_user_model):
    user = django_user_model.objects.create_user("riskbrowser", "risk@example.com", "R1sk-pass!", is_staff=True)
    sync_roles()
    user.groups.add(Group.objects.get(name=RISK_ANALYST))
    browser.get(f"{live_server.url}/admin/login/?next=/statements/")
    browser.find_element(By.NAME, "username").send_keys("riskbrowser")
    browser.find_element(By.NAME, "password").send_keys("R1sk-pass!")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "/login/" not in b.current_url)
    return browser, user


def _no_sideways_scroll(browser) -> None:
    wait_for(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    scroll, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (scroll, inner)


@pytest.mark.parametrize("width", [390, 1440])
def test_risk_pages_at_a_phone_and_a_laptop_width(analyst_in_browser, live_server, screenshot, width):
    browser, user = analyst_in_browser
    browser.set_window_size(width, 900)
    long = "page 2, row 41 (Transaction Amount): text in Times-Roman, not one of the format's fonts (Helvetica, Helvetica-Bold)"
    risky = make_statement(txns=8, break_at=4, risk_score=100, status=StatementStatus.FLAGGED, verification_status=VerificationStatus.FAIL,
                           tampering_level=TamperingLevel.FATAL, risk_reasons=[
                               _reason(codes.BALANCE_MISMATCH, 70, "balance mismatch: calculated closing balance 108,000 vs stated 108,500", page=1, row=5, field="Balance"),
                               _reason(codes.FONT_UNEXPECTED, 45, long, page=1, row=2, field="Transaction Amount"),
                           ])
    calm = make_statement(risk_score=0)

    browser.get(f"{live_server.url}/statements/")
    _no_sideways_scroll(browser)
    screenshot(f"statements-{width}")
    rows = browser.find_elements(By.CSS_SELECTOR, "#statements tbody tr")
    assert f"/statements/{risky.pk}/" in rows[0].get_attribute("innerHTML")  # riskiest first
    assert "Times-Roman" in rows[0].text and f"/statements/{calm.pk}/" in rows[1].get_attribute("innerHTML")

    browser.find_element(By.ID, "review-queue").click()  # htmx: the table swaps to the queue
    wait_for(browser, lambda b: f"/statements/{calm.pk}/" not in b.find_element(By.ID, "statements-table").get_attribute("innerHTML"))
    assert f"/statements/{risky.pk}/" in browser.find_element(By.ID, "statements-table").get_attribute("innerHTML")

    browser.get(f"{live_server.url}/statements/{risky.pk}/")
    _no_sideways_scroll(browser)
    screenshot(f"statement-detail-{width}")
    assert "Times-Roman" in browser.find_element(By.ID, "risk-reasons").text
    first_break = browser.find_element(By.ID, "row-5")
    assert "hl-break" in first_break.get_attribute("class") and first_break.is_displayed()
    assert "hl-reason" in browser.find_element(By.ID, "row-2").get_attribute("class")

    form = browser.find_element(By.ID, "review-form")
    browser.execute_script("arguments[0].scrollIntoView()", form)
    form.find_element(By.CSS_SELECTOR, "input[name=decision][value=reject]").click()
    form.find_element(By.NAME, "note").send_keys("Amounts retyped in another font; balance breaks at row 5.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "review-decision"))
    screenshot(f"statement-reviewed-{width}")
    assert StatementReview.objects.get(statement=risky).reviewed_by == user
    assert "Reject" in browser.find_element(By.ID, "review-decision").text

    browser.get(f"{live_server.url}/statements/?needs_review=true")
    _no_sideways_scroll(browser)
    assert f"/statements/{risky.pk}/" not in browser.find_element(By.ID, "statements-table").get_attribute("innerHTML")
