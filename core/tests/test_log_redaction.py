"""Access logs never store the webhook token or an identifier: the redaction
function, Django's logging filter, and gunicorn's access logger, which is
what config/gunicorn.conf.py (the Dockerfile's and docker-compose's command)
turns on."""
import datetime
import logging
import os
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from core.gunicorn_logging import RedactingLogger
from core.logredact import RedactingFilter, redact_text

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-webhook-token-9f"
SSN = "123-45-6789"


@pytest.mark.parametrize(
    "line, secret",
    [
        (f"POST /api/v1/calls/webhooks/exotel/?token={TOKEN} HTTP/1.1", TOKEN),
        (f"GET /api/v1/customers/?page=2&ssn={SSN}&ordering=id HTTP/1.1", SSN),
        ("GET /api/v1/debts/?ACCOUNT_NUMBER=0123456789012 HTTP/1.1", "0123456789012"),
        ("GET /api/v1/customers/?national_id=CM9000%201234 HTTP/1.1", "CM9000%201234"),
        (f"GET /admin/login/?next=%2Fapi%2F%3Ftoken%3D{TOKEN} HTTP/1.1", TOKEN),
        (f'"GET /x?token={TOKEN}" 200', TOKEN),
        (f"routing_number=021000021;token={TOKEN}", TOKEN),
    ],
)
def test_secret_values_are_redacted(line, secret):
    redacted = redact_text(line)
    assert secret not in redacted
    assert "[redacted]" in redacted


def test_other_parameters_are_left_alone():
    line = "GET /api/v1/customers/?page=2&customer_token=abc&search=token HTTP/1.1"
    assert redact_text(line) == line


def test_django_log_records_are_redacted():
    logger = logging.getLogger("django.server")
    record = logger.makeRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s', (f"GET /?token={TOKEN} HTTP/1.1", 200, 5), None)
    assert RedactingFilter().filter(record) is True
    assert TOKEN not in record.getMessage() and "token=[redacted]" in record.getMessage()


def test_the_console_handler_uses_the_filter(settings):
    assert "redact" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.LOGGING["filters"]["redact"]["()"] == "core.logredact.RedactingFilter"


def _gunicorn_logger(tmp_path, fmt=None):
    cfg = Config()
    log_file = tmp_path / "access.log"
    cfg.set("accesslog", str(log_file))
    if fmt:
        cfg.set("access_log_format", fmt)
    return RedactingLogger(cfg), log_file


def test_gunicorn_access_log_is_redacted(tmp_path):
    logger, log_file = _gunicorn_logger(tmp_path, '%(h)s "%(r)s" %(s)s "%(f)s" q=%(q)s auth=%({authorization}i)s')
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/api/v1/calls/webhooks/exotel/?token={TOKEN}&x=1",
        "PATH_INFO": "/api/v1/calls/webhooks/exotel/",
        "QUERY_STRING": f"token={TOKEN}&x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.5",
        "HTTP_REFERER": f"https://example.com/?ssn={SSN}",
    }
    resp = SimpleNamespace(status="200 OK", sent=12, headers=[("Content-Type", "application/json")])
    req = SimpleNamespace(headers=[("AUTHORIZATION", "Token abcdef0123456789"), ("USER-AGENT", "Exotel")])
    logger.access(resp, req, environ, datetime.timedelta(seconds=0, microseconds=1500))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text()
    assert "10.0.0.5" in line and "/api/v1/calls/webhooks/exotel/?token=[redacted]&x=1" in line
    for secret in (TOKEN, SSN, "abcdef0123456789"):
        assert secret not in line


def test_the_gunicorn_config_turns_the_logger_on_and_agrees_with_the_database(monkeypatch):
    monkeypatch.setenv("DB_MAX_STATEMENT_SECONDS", "0")
    monkeypatch.delenv("DB_MAX_STATEMENT_SECONDS")  # restored to unset afterwards
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert config["logger_class"] == "core.gunicorn_logging.RedactingLogger"
    assert config["accesslog"] == "-"
    assert config["timeout"] == 45
    assert int(os.environ["DB_MAX_STATEMENT_SECONDS"]) == 35


def test_the_image_and_compose_start_gunicorn_with_that_config():
    # The Dockerfile's CMD and docker-compose's web service run scripts/start-web.
    assert 'CMD ["scripts/start-web"]' in (ROOT / "Dockerfile").read_text()
    assert "command: scripts/start-web" in (ROOT / "docker-compose.yml").read_text()
    start = (ROOT / "scripts" / "start-web").read_text()
    assert "gunicorn -c config/gunicorn.conf.py config.wsgi:application" in start


@pytest.mark.parametrize("name", ["", "django.server", "django.request", "calls.webhook"])
def test_every_logger_writes_through_the_redacting_handler(name):
    logger = logging.getLogger(name)
    while logger is not None:
        if any(isinstance(f, RedactingFilter) for h in logger.handlers for f in h.filters):
            return
        if not logger.propagate:
            break
        logger = logger.parent
    pytest.fail(f"{name or 'root'} logs without the redacting filter")
