"""Rate limits: how often one delegation, one address or one username may try something.

Counters live in this process: with several app servers each counts its own share, which
still stops guessing and floods. (A shared store such as Redis would make them exact.)
"""

import threading
import time
from collections import defaultdict, deque

from fastapi import Request

from app.settings import get_settings

FAILURE_WINDOW = 15 * 60


class Limiter:
    """Count events per key over a sliding window."""

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait(self, bucket: str, key: str, limit: int, window: float) -> int:
        """Return 0 if the key has had fewer than `limit` events lately, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            events = self._events[(bucket, key)]
            while events and events[0] <= now - window:
                events.popleft()
            return 0 if len(events) < limit else max(1, int(events[0] + window - now) + 1)

    def count(self, bucket: str, key: str) -> None:
        """Record one event."""
        with self._lock:
            self._events[(bucket, key)].append(time.monotonic())

    def reset(self) -> None:
        """Forget everything (tests, or a restart)."""
        with self._lock:
            self._events.clear()


limiter = Limiter()


class TooManyRequests(Exception):
    """Slow down: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def client_address(request: Request) -> str:
    """Return the caller's address (behind a proxy, uvicorn --proxy-headers puts it here)."""
    return request.client.host if request.client else "unknown"


def check_card_rate(address: str, delegation_id: int) -> None:
    """Count a card submission; refuse it if its delegation or address sends too many."""
    settings = get_settings()
    keys = (
        ("cards-delegation", str(delegation_id), settings.cards_per_minute_per_delegation),
        ("cards-address", address, settings.cards_per_minute_per_address),
    )
    for bucket, key, limit in keys:
        wait = limiter.wait(bucket, key, limit, 60)
        if wait:
            raise TooManyRequests(wait)
    for bucket, key, _limit in keys:
        limiter.count(bucket, key)


def _failure_keys(request: Request, name: str) -> list[tuple[str, int]]:
    settings = get_settings()
    keys = [(f"address:{client_address(request)}", settings.failures_per_address)]
    if name:
        keys.append((f"name:{name}", settings.failures_per_name))
    return keys


def check_failures(request: Request, bucket: str, name: str = "") -> None:
    """Refuse another try while this address (or this username) has failed too often lately."""
    for key, limit in _failure_keys(request, name):
        wait = limiter.wait(bucket, key, limit, FAILURE_WINDOW)
        if wait:
            raise TooManyRequests(wait)


def count_failure(request: Request, bucket: str, name: str = "") -> None:
    """Remember a failed sign-in or a wrong access code."""
    for key, _limit in _failure_keys(request, name):
        limiter.count(bucket, key)
