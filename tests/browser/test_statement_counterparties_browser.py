"""The statement page's counterparties (issue 18) in Chromium, at a phone's
width and a laptop's: the top five by value in and out, largest first,
names written once with their numbers, totals in UGX; nothing scrolls
sideways; a role that may not read transactions (Read-only) does not see
who the holder deals with."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By

from core.roles import READ_ONLY, RISK_ANALYST, sync_roles
from statements.models import ProcessedTransaction, RawTransaction
from statements.tests.ops_factories import make_statement
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = datetime(2025, 9, 1, 8, tzinfo=UTC)
# (number, name, amounts): six payers (only five are listed) and two payees.
PAYERS = [
    ("256701000001", "JOHN OKELLO", [400_000, 350_000]),  # 750,000 in two rows
    ("256701000002", "SARAH NAKATO", [600_000]),
    ("4391279", "UEDCL", [90_000]),
    ("256701000004", "MUKASA TRADERS", [120_000, 30_000]),
    ("256701000005", "", [80_000]),  # a number with no name
    ("256701000006", "SMALLEST PAYER", [10_000]),
]
PAYEES = [("", "MTN BUNDLES", [-5_000, -5_000, -5_000]), ("256702000001", "KAMPALA WHOLESALE", [-900_000])]


def statement_with_counterparties():
    statement = make_statement(provider="UMTN", txns=0)
    common = {"statement": statement, "acc_prvdr_code": "UMTN", "acc_number": statement.acc_number, "run_id": statement.run_id}
    balance, n = Decimal(100_000), 0
    for number, name, amounts in PAYERS + PAYEES:
        for amount in amounts:
            n += 1
            balance += amount
            raw = RawTransaction.objects.create(**common, row_number=n, page_number=1, txn_id=f"T{n}", txn_date=START + timedelta(hours=n),
                                                amount=amount, fee=0, balance=balance, from_acc=number, description=f"Transfer {name}")
            ProcessedTransaction.objects.create(**common, raw=raw, sequence=n, txn_id=raw.txn_id, txn_date=raw.txn_date, amount=amount, fee=0,
                                                balance=balance, calculated_running_balance=balance, balance_diff=0,
                                                counterparty_number=number, counterparty_name=name)
    return statement


def log_in(browser, live_server, django_user_model, role: str, next_url: str):
    username = role.lower().replace(" ", "").replace("-", "")
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "Br0wser-pass!", is_staff=True)
    sync_roles()
    user.groups.add(Group.objects.get(name=role))
    browser.get(f"{live_server.url}/admin/login/?next={next_url}")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("Br0wser-pass!")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "/login/" not in b.current_url)


def section_rows(browser) -> list[tuple[str, str, str, str, str]]:
    section = browser.find_element(By.ID, "counterparties")
    out = []
    for tr in section.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = [td.get_attribute("textContent").strip() for td in tr.find_elements(By.TAG_NAME, "td")]
        out.append(tuple(cells))
    return out


@pytest.mark.parametrize("width", [390, 1440])
def test_the_top_counterparties_in_and_out_by_value(browser, live_server, django_user_model, screenshot, width):
    statement = statement_with_counterparties()
    browser.set_window_size(width, 900)
    log_in(browser, live_server, django_user_model, RISK_ANALYST, f"/statements/{statement.pk}/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "counterparties"))
    section = browser.find_element(By.ID, "counterparties")
    browser.execute_script("arguments[0].scrollIntoView()", section)
    screenshot(f"counterparties-{width}")
    assert section.is_displayed() and "Top counterparties" in section.text
    assert section_rows(browser) == [
        ("In", "JOHN OKELLO", "256701000001", "2", "750,000"),
        ("In", "SARAH NAKATO", "256701000002", "1", "600,000"),
        ("In", "MUKASA TRADERS", "256701000004", "2", "150,000"),
        ("In", "UEDCL", "4391279", "1", "90,000"),
        ("In", "—", "256701000005", "1", "80,000"),  # the sixth payer (10,000) is not among the top five
        ("Out", "KAMPALA WHOLESALE", "256702000001", "1", "900,000"),
        ("Out", "MTN BUNDLES", "—", "3", "15,000"),
    ]
    assert "SMALLEST PAYER" not in section.text
    # Nothing scrolls sideways: at 390 px the table stacks into cards.
    wait_for(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    scroll, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (scroll, inner)
    if width == 390:
        first = section.find_element(By.CSS_SELECTOR, "tbody tr")
        # Stacked: each cell on its own line, labelled (data-label), so the row is taller than one line.
        assert first.size["height"] > 3 * section.find_element(By.CSS_SELECTOR, "tbody td").size["height"]


def test_a_read_only_user_does_not_see_the_counterparties(browser, live_server, django_user_model):
    statement = statement_with_counterparties()
    log_in(browser, live_server, django_user_model, READ_ONLY, f"/statements/{statement.pk}/")
    wait_for(browser, lambda b: b.find_elements(By.ID, "transactions-hidden"))
    assert not browser.find_elements(By.ID, "counterparties")
    assert "JOHN OKELLO" not in browser.page_source
