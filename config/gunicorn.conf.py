"""gunicorn's settings for the Docker image and docker-compose
(``gunicorn -c config/gunicorn.conf.py config.wsgi:application``).

``GUNICORN_TIMEOUT`` (default 60 s) is the worker timeout; the database gives
up sooner (``DB_LOCK_WAIT_TIMEOUT``, and MariaDB's ``max_statement_time`` set
here to ``GUNICORN_TIMEOUT - 10`` for web processes), so a request stuck on a
lock is answered with a 503 instead of the worker being killed mid-request.
The access log goes to stdout with ``token=`` and identifier query values
redacted (``core.gunicorn_logging.RedactingLogger``).
"""
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Read by config/settings.py in each worker (it checks both are below the timeout).
os.environ.setdefault("GUNICORN_TIMEOUT", str(timeout))
os.environ.setdefault("DB_MAX_STATEMENT_SECONDS", str(max(1, timeout - 10)))

accesslog = "-"
logger_class = "core.gunicorn_logging.RedactingLogger"
