"""The dashboard in headless Chromium: charts draw, the htmx filter swaps
the table, "Call now" schedules a call. Screenshots go to artifacts/."""
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from calls.tests.factories import CallSessionFactory, DebtFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()), reason="chromium and chromedriver are not installed"),
]


@pytest.fixture
def chrome():
    profile = tempfile.mkdtemp(prefix="cd-calls-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1500,1100", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(predicate, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_dashboard_filters_charts_and_call_now(live_server, chrome, agent, client):
    for i, status in enumerate(["completed", "completed", "busy", "no-answer"]):
        debt = DebtFactory(branch=["Gulu", "Lira"][i % 2], employee_name=["Okello", "Apio"][i % 2])
        CallSessionFactory(customer=debt.customer, debt=debt, status=status, call_sid=f"b{i}")
    ready = DebtFactory(branch="Mbale").customer

    client.force_login(agent)
    chrome.get(live_server.url + "/static/core/creditdesk.css")
    chrome.add_cookie({"name": django_settings.SESSION_COOKIE_NAME, "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value, "path": "/"})
    chrome.get(live_server.url + "/dashboard/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    assert _wait(lambda: chrome.execute_script("return typeof Chart !== 'undefined' && Chart.getChart('chart-branch') !== undefined"))
    branches = chrome.execute_script("return Chart.getChart('chart-branch').data.datasets.map(d => d.label)")
    assert any(label.startswith("Gulu") for label in branches)
    chrome.save_screenshot(str(ARTIFACTS / "calls-dashboard-01-page.png"))

    Select(chrome.find_element(By.NAME, "status")).select_by_value("ready")
    assert _wait(lambda: "status=ready" in chrome.current_url and len(chrome.find_elements(By.CSS_SELECTOR, "#loan-book tbody tr")) == 1)
    assert ready.full_name in chrome.find_element(By.ID, "loan-book").text
    chrome.find_element(By.XPATH, "//button[normalize-space()='Call now']").click()
    assert _wait(lambda: "scheduled" in chrome.find_element(By.ID, "loan-book").text)
    chrome.save_screenshot(str(ARTIFACTS / "calls-dashboard-02-called.png"))
    assert ready.call_sessions.count() == 1
