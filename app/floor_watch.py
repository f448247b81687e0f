"""Projectors follow their list wherever the change was made: one thread per app process
reads every list's version from the database a few times a second while any stream is open,
and wakes the streams whose list moved. No in-process message can reach another server;
the database is what all servers share."""

import asyncio
import threading
import time
import weakref

from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.models import FloorList

INTERVAL = 0.2  # seconds between looks: the delay a projector may add to a moderator's action


class Watcher:
    """Watch the lists' versions in one database for the streams of this process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.versions: dict[int, int] = {}
        self._streams: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def subscribe(self) -> asyncio.Event:
        """Return an event set whenever some list's version changes."""
        event = asyncio.Event()
        with self._lock:
            self._streams.add((asyncio.get_running_loop(), event))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="floor-watch")
                self._thread.start()
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        """Stop waking this stream's event."""
        with self._lock:
            self._streams = {(loop, e) for loop, e in self._streams if e is not event}

    def version(self, group_id: int) -> int | None:
        """Return the last version seen of a list (None before the first look)."""
        return self.versions.get(group_id)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._streams:
                    self._thread = None
                    return
            try:
                self._look()
            except Exception:  # noqa: BLE001 - a database hiccup: the next look tries again
                time.sleep(1)
            time.sleep(INTERVAL)

    def _look(self) -> None:
        with self.engine.connect() as connection:
            rows = connection.execute(select(FloorList.group_id, FloorList.version)).all()  # type: ignore[call-overload]
        seen = {group_id: version for group_id, version in rows}
        if seen == self.versions:
            return
        self.versions = seen
        with self._lock:
            streams = list(self._streams)
        for loop, event in streams:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)


_watchers: "weakref.WeakKeyDictionary[Engine, Watcher]" = weakref.WeakKeyDictionary()
_made = threading.Lock()


def watcher_for(engine: Engine) -> Watcher:
    """Return the process's watcher of this database, made on first use."""
    with _made:
        if engine not in _watchers:
            _watchers[engine] = Watcher(engine)
        return _watchers[engine]
