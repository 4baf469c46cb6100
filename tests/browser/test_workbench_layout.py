"""The ops pages and the admin lists at a phone's width (390 px) and a
laptop's (1440 px): nothing scrolls sideways. Screenshots of each page at
each width go to a temporary directory (its path is printed)."""
import tempfile
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command

from customers.models import Customer
from debts.models import Debt
from tests.browser.conftest import wait_for

# The dispositions a migration seeds are put back for each test (a transactional test empties the tables).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("dispositions")]

SHOTS = Path(tempfile.mkdtemp(prefix="cd-layout-"))


def _width_overflow(browser) -> tuple[int, int]:
    return browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")


def _visit(browser, url: str, name: str, width: int) -> tuple[int, int]:
    browser.get(url)
    wait_for(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    browser.save_screenshot(str(SHOTS / f"{width}-{name}.png"))
    return _width_overflow(browser)


@pytest.fixture
def demo(logged_in):
    call_command("seed_demo", verbosity=0)
    debt = Debt.objects.select_related("customer").order_by("-days_past_due", "id").first()
    Debt.objects.update(assigned_to=Customer.objects.none().first())  # nobody: the ops admin's "all" queue shows them
    return debt


@pytest.mark.parametrize("width", [390, 1440])
def test_ops_pages_do_not_scroll_sideways(logged_in, live_server, demo, width):
    browser = logged_in
    browser.set_window_size(width, 900)
    pages = {
        "queue": "/queue/?scope=all",
        "customer": f"/customers/{demo.customer_id}/",
        "dashboard": "/dashboard/",
        "statements": "/statements/",
    }
    wide = {}
    for name, path in pages.items():
        scroll, inner = _visit(browser, live_server.url + path, name, width)
        if scroll > inner:
            wide[name] = (scroll, inner)
    print(f"screenshots: {SHOTS}")
    assert wide == {}, wide


def test_admin_lists_do_not_scroll_sideways_at_1440(logged_in, live_server, demo):
    browser = logged_in
    browser.set_window_size(1440, 900)
    wide = {}
    for model in admin.site._registry:
        opts = model._meta
        url = f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/"
        scroll, inner = _visit(browser, url, f"admin-{opts.app_label}-{opts.model_name}", 1440)
        # The admin puts the list in a box that scrolls by itself (.results,
        # overflow-x: auto): the page never does, the list may.
        results = browser.execute_script(
            "var r = document.querySelector('#changelist .results'); return r ? [r.scrollWidth, r.clientWidth] : null"
        )
        if scroll > inner or (results and results[0] > results[1]):
            wide[opts.label] = (scroll, inner, results)
    print(f"screenshots: {SHOTS}")
    for label, sizes in sorted(wide.items()):
        print("too wide:", label, sizes)
    assert wide == {}, sorted(wide)
