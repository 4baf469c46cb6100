"""An ops admin (the role, not a superuser) records a review decision on a
FATAL statement in the admin, with a note, and sees it beside the engine's
verdict, which stays as it was — on the admin page and on /statements/{id}/."""
import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By

from core.roles import OPS_ADMIN, sync_roles
from statements.choices import StatementStatus, TamperingLevel, VerificationStatus
from statements.models import StatementReview, StatementSummary
from statements.tests.ops_factories import make_statement
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ops_in_browser(browser, live_server, django_user_model, screenshot):
    user = django_user_model.objects.create_user("opsreviewer", "opsreviewer@example.com", "Rev1ew-pass!", is_staff=True)
    sync_roles()
    user.groups.add(Group.objects.get(name=OPS_ADMIN))
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("opsreviewer")
    browser.find_element(By.NAME, "password").send_keys("Rev1ew-pass!")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "/admin/login/" not in b.current_url)
    return browser, user


def test_ops_admin_records_a_review_with_a_note_beside_the_verdict(ops_in_browser, live_server, screenshot):
    browser, user = ops_in_browser
    statement = make_statement(status=StatementStatus.FLAGGED, verification_status=VerificationStatus.FAIL, tampering_level=TamperingLevel.FATAL)
    browser.get(f"{live_server.url}/admin/statements/statement/{statement.pk}/change/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "record-review"))
    screenshot("statement-before-review")
    # The verdict is shown, not editable.
    assert not browser.find_elements(By.NAME, "status")
    assert "not reviewed" in browser.page_source

    browser.find_element(By.ID, "record-review").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "review-form"))
    assert "Fatal" in browser.find_element(By.ID, "machine-verdict").text
    # A blank note is refused, with the reason on the page.
    browser.find_element(By.CSS_SELECTOR, "input[name=decision][value=accept]").click()
    browser.find_element(By.NAME, "note").send_keys("   ")
    browser.find_element(By.CSS_SELECTOR, "input[name=_record]").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".errorlist"))
    screenshot("review-blank-note-refused")
    assert not StatementReview.objects.exists()

    browser.find_element(By.CSS_SELECTOR, "input[name=decision][value=accept]").click()
    note = browser.find_element(By.NAME, "note")
    note.clear()
    note.send_keys("Called the bank: the balance edit is theirs, statement genuine.")
    screenshot("review-form-filled")
    browser.find_element(By.CSS_SELECTOR, "input[name=_record]").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "latest-review"))
    screenshot("statement-after-review")
    assert "Review: Accept" in browser.find_element(By.ID, "latest-review").text
    assert "Fatal" in browser.page_source  # the engine's verdict, beside it, unchanged
    assert "Called the bank" in browser.page_source  # the history inline

    review = StatementReview.objects.get()
    assert (review.decision, review.reviewed_by_id, review.tampering_level) == ("accept", user.pk, "FATAL")
    summary = StatementSummary.objects.get(statement=statement)
    assert (summary.tampering_level, summary.verification_status) == ("FATAL", "FAIL")

    browser.get(f"{live_server.url}/statements/{statement.pk}/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "review-decision"))
    screenshot("statement-page-with-review")
    assert browser.find_element(By.ID, "review-decision").text == "Review: Accept"
    assert "Tampering: Fatal" in browser.find_element(By.TAG_NAME, "h1").text
