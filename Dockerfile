# ActionCards: migrate, then serve. Configure with ACTIONCARDS_* variables (see README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ACTIONCARDS_DATABASE_URL=sqlite:////data/actioncards.db
WORKDIR /app

COPY pyproject.toml ./
COPY app ./app
RUN pip install --no-cache-dir -e . && useradd --create-home actioncards && mkdir /data \
    && chown actioncards /data

COPY alembic.ini ./
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY meetings ./meetings

USER actioncards
VOLUME /data
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "python -m app migrate && exec uvicorn app.main:app --timeout-graceful-shutdown 5 --host 0.0.0.0 --port 8000 --proxy-headers"]
