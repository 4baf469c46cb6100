# Production image: gunicorn serving Django, static files via WhiteNoise.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential pkg-config libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings DEBUG=0
RUN apt-get update && apt-get install -y --no-install-recommends libmariadb3 && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 creditdesk
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=creditdesk:creditdesk . /app
# collectstatic needs settings to load; these build-time values never reach a running container.
RUN SECRET_KEY=build-only-secret-key-build-only-secret-key-build-only \
    FIELD_ENCRYPTION_KEY=Y3JlZGl0ZGVzay1idWlsZC1vbmx5LWtleS0zMmJ5dGU= \
    python manage.py collectstatic --noinput
USER creditdesk
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
