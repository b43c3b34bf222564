FROM python:3.13-slim-bookworm

# Pango and HarfBuzz for WeasyPrint; the fonts themselves ship in static/fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

ENV UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1

WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --compile-bytecode --python python3.13
COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

# var/pdfs exists in the image so the compose volume mounted there starts owned by the app user.
RUN useradd --system --home /app escalation && mkdir -p /app/var/pdfs && chown -R escalation /app/var
USER escalation
EXPOSE 8000
# --preload imports Django and WeasyPrint once, before the workers fork. No access log: its
# request lines would carry executive-link tokens (the app's own logs redact them).
CMD ["sh", "-c", "exec gunicorn escalation.wsgi --preload --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --timeout 60"]
