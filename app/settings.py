"""Settings read from the environment (prefix ACTIONCARDS_), with defaults for a laptop."""

import secrets
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that differs between a laptop, a test run and a deployment."""

    model_config = SettingsConfigDict(env_prefix="ACTIONCARDS_")

    # SQLite next to the checkout by default; PostgreSQL for several app servers.
    database_url: str = "sqlite:///./actioncards.db"
    # Signs session cookies. A random default keeps a laptop safe but signs everyone out on
    # restart; every deployment (and every app server of one deployment) must set the same one.
    secret_key: str = secrets.token_urlsafe(32)
    # Which loaded meeting the app serves; empty means the most recently loaded one.
    meeting: str = ""
    # The address printed in QR codes on slips and posters.
    public_url: str = "http://127.0.0.1:8000"
    # Threads that run the request handlers of one app server.
    threads: int = 8
    # Connections each app server keeps to PostgreSQL (and as many more at busy moments).
    database_pool: int = 20
    # Seconds a request may wait for a free connection before it is told to retry (503).
    database_wait: float = 30
    # Mark cookies Secure; turn on behind HTTPS.
    secure_cookies: bool = False
    default_language: str = "en"
    # What compares cards (app.similarity): "sentence", the multilingual model, or "words".
    encoder: str = "sentence"
    # Compute card vectors in a thread of each server as cards arrive (off for tests).
    embed_in_background: bool = True
    # Rate limits. A venue's Wi-Fi puts hundreds of phones behind one address: per-address
    # limits are generous, per-delegation and per-username ones are tight.
    cards_per_minute_per_delegation: int = 30
    cards_per_minute_per_address: int = 600
    # Guessing is paced, not locked out (app.limits): past these free failures in 15 minutes,
    # tries from one address, or at one username, take turns.
    failures_per_name: int = 5
    failures_per_address: int = 50
    # Seconds between two turns of an address trying codes (and passwords) past its allowance.
    code_interval: float = 1.0
    # A username's turns start 1 s apart and double with each failure, up to this.
    signin_interval_cap: float = 30.0
    # A try waits this long at most for its turn; further off, it is refused with Retry-After.
    pace_max_wait: float = 10.0


@lru_cache
def get_settings() -> Settings:
    """Return the settings, read once per process."""
    return Settings()
