# syntax=docker/dockerfile:1
# The production image: what requirements/base.lock pins (hash-checked), nothing from dev.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY requirements/base.lock /tmp/base.lock
RUN /venv/bin/pip install --require-hashes --no-deps -r /tmp/base.lock

FROM python:3.11-slim
# STATIC_ROOT is the settings' default (var/static), where collectstatic writes below: an
# environment value here would lose to an empty one from an env_file.
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLEETOPS_ENV=production
RUN useradd --create-home --uid 1000 fleetops
COPY --from=build /venv /venv
WORKDIR /app
# .dockerignore keeps the venv, databases, .env, .git and local output out of the image.
COPY --chown=fleetops:fleetops . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input
USER fleetops
EXPOSE 8000
# Workers and timeout: WEB_CONCURRENCY, GUNICORN_TIMEOUT (config/gunicorn.py, the one place).
CMD ["gunicorn", "-c", "config/gunicorn.py"]
