"""Rate limits and pacing: how often one delegation, address, username or browser may try.

Card floods are counted per minute and refused past their limit. Guesses at access codes and
passwords are paced instead of locked out: a key (an address, a username, a known browser)
has a free allowance of failures in FAILURE_WINDOW; past it, its tries take turns, one per
interval, and each try that gets its turn is evaluated, so a right code or password still gets
in, however many wrong ones others sent from the same address. A try whose turn is further off
than `pace_max_wait` is refused untried, with Retry-After. Requests wait for their turn with
`await`, never in a worker thread: the app has only a few of those.

A try counts as a failure once it has failed, not while it is being evaluated: a hundred
phones on a venue's Wi-Fi scanning their slips in the same second are not "wrong codes". At
most a free allowance of tries of one key are evaluated at once; the others wait a moment for
a place, so a burst of guesses cannot outrun the pace.

One app server keeps its counters in memory. Several app servers on one PostgreSQL keep them
there (app.counters), so that each key counts the same whichever server answers; only the
tries being evaluated at once are counted per server.
"""

import asyncio
import math
import secrets
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from anyio import to_thread
from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.counters import Counters, DatabaseCounters, Held, MemoryCounters, Name
from app.settings import get_settings

FAILURE_WINDOW = 15 * 60
SWEEP_EVERY = 10_000  # holds of the counters between two sweeps of keys that have gone quiet


@dataclass(frozen=True)
class Pace:
    """`free` failures per window, then one try per interval: `first` seconds, doubling with
    each further failure up to `cap`."""

    free: int
    first: float
    cap: float

    @property
    def most(self) -> int:
        """Failures worth counting: past these the interval no longer grows."""
        return self.free + 33

    def interval(self, failures: int) -> float:
        """Return the seconds between two tries of a key that has failed this often."""
        return min(self.cap, self.first * 2 ** min(failures - self.free, 32))


Keys = list[tuple[str, Pace | None]]  # a key with no pace is counted, not paced


class TooManyRequests(Exception):
    """Slow down: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class Limiter:
    """Count events per key over a sliding window, and give paced keys their turns.

    The counters (app.counters) are this process's, or PostgreSQL's once `share` is called
    (several app servers). `clock` and `sleep` can be replaced, so that tests move time by hand.
    """

    def __init__(
        self,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        counters: Counters | None = None,
    ) -> None:
        self.counters: Counters = counters or MemoryCounters()
        self.clock = clock or self._counters_clock
        self.sleep = sleep
        self._pending: dict[Name, int] = defaultdict(int)  # tries being evaluated here
        self._holds = 0
        self._lock = threading.Lock()

    def _counters_clock(self) -> float:
        return self.counters.now()  # a monotonic clock in memory, the wall clock in a database

    @property
    def shared(self) -> bool:
        """Whether the counters are in the database (a call may then wait on it)."""
        return self.counters.shared

    def share(self, url: str) -> None:
        """Keep the counters in this PostgreSQL database, with every other app server on it."""
        self.counters = DatabaseCounters(url)

    def unshare(self) -> None:
        """Go back to counters in memory (a server stopping, or a test)."""
        if isinstance(self.counters, DatabaseCounters):
            self.counters.close()
        self.counters = MemoryCounters()

    @contextmanager
    def _hold(self, names: list[Name]) -> Iterator[Held]:
        with self.counters.hold(names) as held:
            yield held
        with self._lock:
            self._holds += 1
            sweep = self._holds % SWEEP_EVERY == 0
        if sweep:
            now = self.clock()
            self.counters.sweep(now - FAILURE_WINDOW, now)

    @staticmethod
    def _wait(held: Held, name: Name, limit: int, window: float, now: float) -> int:
        """Return 0 if the key has had fewer than `limit` events lately, else seconds to wait."""
        count, oldest = held.events(name, now - window, limit)
        return 0 if count < limit else max(1, int(oldest + window - now) + 1)

    def count(self, bucket: str, key: str) -> None:
        """Record one event."""
        now = self.clock()
        with self._hold([(bucket, key)]) as held:
            held.add((bucket, key), now)

    def take(self, limits: list[tuple[str, str, int]], window: float) -> None:
        """Count one event on every (bucket, key, limit), or raise TooManyRequests, counting
        nothing, if one of them has had its limit lately."""
        now = self.clock()
        names = [(bucket, key) for bucket, key, _limit in limits]
        with self._hold(names) as held:
            for bucket, key, limit in limits:
                if wait := self._wait(held, (bucket, key), limit, window, now):
                    raise TooManyRequests(wait)
            for name in names:
                held.add(name, now)

    def crowded(self, bucket: str, keys: Keys) -> bool:
        """Whether a paced key has its free allowance of tries being evaluated already here.

        Counted per server: with several, each evaluates at most that many at once."""
        with self._lock:
            return any(
                pace is not None and self._pending[(bucket, key)] >= pace.free for key, pace in keys
            )

    def book(self, bucket: str, keys: Keys, max_wait: float) -> tuple[float, float]:
        """Book a try on every key; return when it was booked and how many seconds it must
        wait for its turn. `finish` must follow, once the try is evaluated.

        Raise TooManyRequests, booking nothing, when its turn is more than max_wait away.
        """
        now = self.clock()
        with self._hold([(bucket, key) for key, _pace in keys]) as held:
            turns = {}
            for key, pace in keys:
                if pace is None:
                    continue
                failures, _oldest = held.events((bucket, key), now - FAILURE_WINDOW, pace.most)
                if failures >= pace.free:
                    turn = max(now, held.turn((bucket, key)) or now)
                    turns[key] = (turn, pace.interval(failures))
            wait = max((turn for turn, _interval in turns.values()), default=now) - now
            if wait > max_wait:
                raise TooManyRequests(math.ceil(wait))
            for key, (turn, interval) in turns.items():
                held.set_turn((bucket, key), turn + interval)
        with self._lock:
            for key, _pace in keys:
                self._pending[(bucket, key)] += 1
        return now, wait

    def finish(self, bucket: str, keys: Keys, booked: float, failed: bool) -> None:
        """End a booked try: a wrong one counts as a failure (as of when it was booked)."""
        with self._lock:
            for key, _pace in keys:
                self._pending[(bucket, key)] -= 1
                if not self._pending[(bucket, key)]:
                    del self._pending[(bucket, key)]
        if failed:
            with self._hold([(bucket, key) for key, _pace in keys]) as held:
                for key, _pace in keys:
                    held.add((bucket, key), booked)

    def reset(self) -> None:
        """Forget everything (tests, or a restart)."""
        self.counters.reset()
        with self._lock:
            self._pending.clear()


limiter = Limiter()


@dataclass
class Attempt:
    """One try at a code or password: a failure unless `succeeded()` is called before
    `finish()`. The dependency that admits it holds it in a `with` for the whole request.

    `retry_after` > 0: refused untried, its turn was too far off.
    """

    bucket: str
    keys: Keys = field(default_factory=list)
    booked: float = 0.0
    retry_after: int = 0
    right: bool = False
    done: bool = False

    def succeeded(self) -> None:
        """Say the code or password was right: it does not count as a failure."""
        self.right = True

    def finish(self) -> None:
        """End the try; a wrong one now counts against its keys."""
        if self.keys and not self.retry_after and not self.done:
            self.done = True
            limiter.finish(self.bucket, self.keys, self.booked, failed=not self.right)

    def __enter__(self) -> "Attempt":
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    async def __aenter__(self) -> "Attempt":
        return self

    async def __aexit__(self, *exc: object) -> None:
        if limiter.shared:  # a database's round trip: off the event loop
            await to_thread.run_sync(self.finish)
        else:
            self.finish()


PLACE_WAIT = 0.01  # seconds between two looks for a place among the tries being evaluated


async def admit(bucket: str, keys: Keys) -> Attempt:
    """Wait for a place and for this try's turn, or return it refused if either is too far."""
    max_wait = get_settings().pace_max_wait
    looks = int(max_wait / PLACE_WAIT)
    while limiter.crowded(bucket, keys):
        if not looks:
            return Attempt(bucket, retry_after=1)
        looks -= 1
        await asyncio.sleep(PLACE_WAIT)  # real time: the others are being evaluated now
    try:
        if limiter.shared:  # a database's round trip: off the event loop
            booked, wait = await to_thread.run_sync(limiter.book, bucket, keys, max_wait)
        else:
            booked, wait = limiter.book(bucket, keys, max_wait)
    except TooManyRequests as slow:
        return Attempt(bucket, retry_after=slow.retry_after)
    if wait > 0:
        await limiter.sleep(wait)
    return Attempt(bucket, keys, booked)


def admit_now(bucket: str, keys: Keys) -> Attempt:
    """Book this try if its turn is now; else raise TooManyRequests (for a worker thread,
    which must never wait)."""
    if limiter.crowded(bucket, keys):
        raise TooManyRequests(1)
    booked, _wait = limiter.book(bucket, keys, 0)
    return Attempt(bucket, keys, booked)


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
    limiter.take(list(keys), 60)


def code_keys(request: Request) -> Keys:
    """Access codes, typed, scanned or sent as a Bearer token, are paced per address."""
    settings = get_settings()
    pace = Pace(settings.failures_per_address, settings.code_interval, settings.code_interval)
    return [(f"address:{client_address(request)}", pace)]


def sign_in_keys(request: Request, username: str) -> Keys:
    """Passwords are paced per address and per username; on a browser that signed in as this
    username before, only by that browser's own failures (which still count for the name)."""
    settings = get_settings()
    name_pace = Pace(settings.failures_per_name, 1, settings.signin_interval_cap)
    device = known_device(request)
    if device is not None and username in device[1]:
        return [(f"device:{device[0]}", name_pace), (f"name:{username}", None)]
    address_pace = Pace(settings.failures_per_address, 1, 1)
    return [(f"address:{client_address(request)}", address_pace), (f"name:{username}", name_pace)]


# A browser an account signed in on: OWASP's "device cookie". Signed with the secret key,
# it holds a random id (its own pace) and the usernames that signed in on it.
DEVICE_COOKIE = "actioncards_device"
DEVICE_LIFETIME = 365 * 24 * 3600
DEVICE_NAMES = 10


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="known-device")


def known_device(request: Request) -> tuple[str, list[str]] | None:
    """Return this browser's device id and the usernames known on it, if it has a valid mark."""
    mark = request.cookies.get(DEVICE_COOKIE)
    if not mark:
        return None
    try:
        found = _devices().loads(mark, max_age=DEVICE_LIFETIME)
    except BadSignature:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        return None
    names = found.get("names")
    return found["id"], [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def remember_device(request: Request, response: Response, username: str) -> None:
    """Mark this browser as one the account signs in on; the mark outlives sign-out."""
    device_id, names = known_device(request) or (secrets.token_urlsafe(16), [])
    names = [username, *(n for n in names if n != username)][:DEVICE_NAMES]
    response.set_cookie(
        DEVICE_COOKIE,
        _devices().dumps({"id": device_id, "names": names}),
        max_age=DEVICE_LIFETIME,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )
