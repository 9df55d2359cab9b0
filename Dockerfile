# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY requirements/base.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    FLEETOPS_ENV=production STATIC_ROOT=/app/static
RUN useradd --create-home --uid 1000 fleetops
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=fleetops:fleetops . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input
USER fleetops
EXPOSE 8000
# Workers and timeout: WEB_CONCURRENCY, GUNICORN_TIMEOUT (see config/gunicorn.py).
CMD ["gunicorn", "-c", "config/gunicorn.py"]
