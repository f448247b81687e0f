"""Where the rate limits keep their counters: in this process, or in PostgreSQL.

A limit reads and writes its keys' counted events and turns while it holds them (`hold`): a
lock of this process for one server, advisory locks of the database for several app servers
on one PostgreSQL, so that a delegation, an address or a username counts the same whichever
server answers. The rules themselves live in app.limits.
"""

import hashlib
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text

Name = tuple[str, str]  # a bucket ("codes", "cards-address", ...) and a key in it


class Held(Protocol):
    """What a limit may do with the counters of the keys it holds."""

    def events(self, name: Name, since: float, most: int) -> tuple[int, float]:
        """Count the events after `since`, `most` at most, and return the oldest (or 0)."""
        ...

    def add(self, name: Name, at: float) -> None: ...

    def turn(self, name: Name) -> float | None: ...

    def set_turn(self, name: Name, at: float) -> None: ...


class MemoryCounters:
    """Counters of this process: enough for one app server (and every SQLite deployment)."""

    shared = False

    def __init__(self) -> None:
        self._events: dict[Name, deque[float]] = defaultdict(deque)
        self._turns: dict[Name, float] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic()

    @contextmanager
    def hold(self, names: list[Name]) -> Iterator["MemoryCounters"]:
        with self._lock:
            yield self

    def events(self, name: Name, since: float, most: int) -> tuple[int, float]:
        events = self._events[name]
        while events and events[0] <= since:  # each bucket has one window: older never counts
            events.popleft()
        return min(len(events), most), events[0] if events else 0.0

    def add(self, name: Name, at: float) -> None:
        self._events[name].append(at)

    def turn(self, name: Name) -> float | None:
        return self._turns.get(name)

    def set_turn(self, name: Name, at: float) -> None:
        self._turns[name] = at

    def sweep(self, before: float, now: float) -> None:
        """Forget the keys with no event since `before` and no turn ahead."""
        with self._lock:
            for name in list(self._events):
                if self.events(name, before, 1)[0] == 0:
                    del self._events[name]
            for name in [name for name, turn in self._turns.items() if turn <= now]:
                del self._turns[name]

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
            self._turns.clear()


def _stored_key(key: str) -> str:
    """Fit a key in its column: a long one (a pasted username) is named by its hash."""
    return key if len(key) <= 150 else f"{key[:80]}#{hashlib.sha256(key.encode()).hexdigest()}"


class DatabaseCounters:
    """Counters in PostgreSQL, shared by every app server on it (tables limitevent and
    limitturn). The clock is the wall clock: each server's, kept in step by NTP."""

    shared = True

    def __init__(self, url: str) -> None:
        # A small pool of its own: a try is paced before its request opens a session, and
        # the request's connections are counted by app.db's door.
        self.engine: Engine = create_engine(url, pool_size=2, max_overflow=8, pool_pre_ping=True)

    def now(self) -> float:
        return time.time()

    @contextmanager
    def hold(self, names: list[Name]) -> Iterator["_HeldRows"]:
        with self.engine.begin() as connection:
            for bucket, key in sorted(set(names)):  # always in one order: no deadlock
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 7))"),
                    {"name": f"limit {bucket} {_stored_key(key)}"},
                )
            yield _HeldRows(connection)

    def sweep(self, before: float, now: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("DELETE FROM limitevent WHERE at <= :t"), {"t": before})
            connection.execute(text("DELETE FROM limitturn WHERE turn <= :t"), {"t": now})

    def reset(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("DELETE FROM limitevent"))
            connection.execute(text("DELETE FROM limitturn"))

    def close(self) -> None:
        self.engine.dispose()


class _HeldRows:
    """The rows of the keys a DatabaseCounters holds, in its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def events(self, name: Name, since: float, most: int) -> tuple[int, float]:
        # At most `most` rows are read: the index (bucket, key, at) serves the range.
        row = self.connection.execute(
            text(
                "SELECT count(*), coalesce(min(at), 0) FROM (SELECT at FROM limitevent"
                " WHERE bucket = :b AND key = :k AND at > :since ORDER BY at LIMIT :most) e"
            ),
            {"b": name[0], "k": _stored_key(name[1]), "since": since, "most": most},
        ).one()
        return int(row[0]), float(row[1])

    def add(self, name: Name, at: float) -> None:
        self.connection.execute(
            text("INSERT INTO limitevent (bucket, key, at) VALUES (:b, :k, :at)"),
            {"b": name[0], "k": _stored_key(name[1]), "at": at},
        )

    def turn(self, name: Name) -> float | None:
        found = self.connection.execute(
            text("SELECT turn FROM limitturn WHERE bucket = :b AND key = :k"),
            {"b": name[0], "k": _stored_key(name[1])},
        ).first()
        return float(found[0]) if found else None

    def set_turn(self, name: Name, at: float) -> None:
        self.connection.execute(
            text(
                "INSERT INTO limitturn (bucket, key, turn) VALUES (:b, :k, :t)"
                " ON CONFLICT (bucket, key) DO UPDATE SET turn = excluded.turn"
            ),
            {"b": name[0], "k": _stored_key(name[1]), "t": at},
        )


Counters = MemoryCounters | DatabaseCounters
