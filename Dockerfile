# Production image: gunicorn serving Django, static files via WhiteNoise.
# The same image runs the Celery worker and beat (see docker-compose.yml); the
# start commands are scripts/start-web, -worker and -beat, which CI's
# scripts/prod_smoke runs outside Docker. Linted by hadolint (scripts/lint).
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
# Uploaded files live in the media volume; the app writes them mode 0600.
RUN mkdir -p /app/media && chown creditdesk:creditdesk /app/media
USER 1000:1000
EXPOSE 8000
CMD ["scripts/start-web"]
