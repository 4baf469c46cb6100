"""Headless Debian Chromium driven by Selenium against pytest-django's live server.

Screenshots of every page a test visits are saved under
``artifacts/screenshots/`` (CI keeps them as test artefacts).
"""
from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core.roles import OPS_ADMIN, sync_roles
from debts.models import Disposition

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return
    skip = pytest.mark.skip(reason="Debian chromium and chromium-driver are not installed (.ci/run installs them)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="cd-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # The machine has no network but loopback: these flags stop Chromium's
    # background connections (updates, sync, QUIC) that would only fail.
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # The console, for tests that read it (tests/browser/test_csp.py: CSP violations).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser, request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(name: str) -> Path:
        counter["n"] += 1
        path = ARTIFACTS / f"{request.node.name}-{counter['n']:02d}-{name}.png"
        browser.save_screenshot(str(path))
        return path

    return take


@pytest.fixture
def logged_in(browser, live_server, django_user_model, screenshot):
    """Log in through the real admin login form as a superuser in the Ops admin role."""
    user = django_user_model.objects.create_superuser("opsbrowser", "ops@example.com", "Br0wser-pass!")
    sync_roles()
    user.groups.add(Group.objects.get(name=OPS_ADMIN))
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("opsbrowser")
    browser.find_element(By.NAME, "password").send_keys("Br0wser-pass!")
    screenshot("login")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # Wait for the login to land before the test navigates elsewhere.
    wait_for(browser, lambda b: "/admin/login/" not in b.current_url)
    return browser


def wait_for(browser, condition, timeout=30):
    # htmx swaps replace elements under our feet: a stale element just means "look again".
    return WebDriverWait(
        browser, timeout, poll_frequency=0.2, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    ).until(condition)


@pytest.fixture
def dispositions(transactional_db):
    """The managed disposition list as the migration seeds it. A transactional
    test empties every table, so a browser test that picks a disposition
    puts the list back itself (serialized_rollback would restore the role
    groups too, which post_migrate has already re-made: duplicate names)."""
    seeded = importlib.import_module("debts.migrations.0008_dispositions_from_outcomes").DISPOSITIONS
    for code, label, right_party, needs_next, order in seeded:
        Disposition.objects.get_or_create(
            code=code, defaults={"label": label, "is_right_party_contact": right_party, "needs_next_action": needs_next, "sort_order": order}
        )
