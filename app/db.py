"""The database engine, SQLite pragmas and the per-request session."""

import asyncio
import json
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from app import schema
from app.settings import get_settings


def make_engine(url: str, pool: int | None = None) -> Engine:
    """Create an engine; SQLite gets WAL, FULL sync, foreign keys and a busy timeout."""
    if not url.startswith("sqlite"):
        pool = pool or get_settings().database_pool
        engine = create_engine(
            url, pool_pre_ping=True, json_serializer=_json, pool_size=pool, max_overflow=pool
        )
        # One connection stays free for the card intake's thread (app.intake).
        _doors[engine] = Door(2 * pool - 1)
        return engine
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 10},
        json_serializer=_json,
        pool_size=20,
        max_overflow=-1,  # SQLite connections are cheap: never make a request wait for one
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    _serialize_writes(engine)
    return engine


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _serialize_writes(engine: Engine) -> None:
    """Let one write transaction at a time into SQLite, queueing the others in Python.

    SQLite allows one writer; left to itself, the others sleep and retry in its busy handler,
    which gives long tails and, past the timeout, "database is locked". A lock held from a
    connection's first write to its commit or rollback queues them fairly instead. Reads
    never take it.
    """
    lock = threading.Lock()

    def before_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get("writing") or not statement.lstrip().upper().startswith(WRITES):
            return
        # A timeout rather than a deadlock if something holds the lock too long; SQLite's
        # own busy timeout still guards the write then.
        conn.info["writing"] = lock.acquire(timeout=30)

    def release(info: dict[str, Any]) -> None:
        if info.pop("writing", False):
            lock.release()

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", lambda conn: release(conn.info))
    event.listen(engine, "rollback", lambda conn: release(conn.info))
    event.listen(engine, "checkin", lambda _dbapi, record: release(record.info))


def _json(value: Any) -> str:
    # Stored as written, not as \u escapes, so that searching the text finds "é" and "移民".
    return json.dumps(value, ensure_ascii=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets delegates read while a card is written; FULL means an acknowledged card
    # survives a power cut; SQLite ignores foreign keys unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@lru_cache
def get_engine() -> Engine:
    """Return the process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


class ServerBusy(Exception):
    """Every database connection has been taken for too long: ask the person to retry."""


class Door:
    """Let in as many requests at a time as there are database connections for them.

    A request holds its connection from its first query to its end, also while it waits for
    a thread to run its next step. Left alone, past pool + overflow requests in flight the
    threads all waited for a connection while the requests holding connections waited for a
    thread: the server stalled for the pool's 30 s timeout, then answered 500. Requests now
    wait here, on the event loop and holding nothing, in the order they came.

    Loop-agnostic on purpose (a lock and futures woken thread-safely): test clients and
    live servers each run their own event loop on the same engine.
    """

    def __init__(self, capacity: int) -> None:
        self.free = capacity
        self._lock = threading.Lock()
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def enter(self, timeout: float) -> None:
        """Wait for a free connection; ServerBusy after `timeout` seconds."""
        with self._lock:
            if self.free > 0 and not self._waiting:
                self.free -= 1
                return
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), timeout)
        except BaseException as error:  # timed out, or the client went away
            with self._lock:
                queued = turn in self._waiting
                if queued:
                    self._waiting.remove(turn)
            timed_out = isinstance(error, TimeoutError)
            if queued:
                raise ServerBusy() if timed_out else error from None
            if timed_out:
                return  # let in just as the wait ran out: keep the place it was given
            self.leave()  # let in, but nobody is left to use it
            raise

    def leave(self) -> None:
        """Free a connection: the next request waiting goes in."""
        with self._lock:
            while self._waiting:
                turn = self._waiting.popleft()
                if not turn.done():
                    turn.get_loop().call_soon_threadsafe(_let_in, turn)
                    return
            self.free += 1


def _let_in(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)


# The door of each engine with a bounded pool (PostgreSQL). SQLite's pool has no bound.
_doors: "weakref.WeakKeyDictionary[Engine, Door]" = weakref.WeakKeyDictionary()


class Place:
    """A request's place at the door, given back once, at its end or before."""

    def __init__(self, door: Door | None) -> None:
        self._door = door

    def leave(self) -> None:
        door, self._door = self._door, None
        if door is not None:
            door.leave()


@asynccontextmanager
async def admitted(engine: Engine) -> AsyncIterator[Place]:
    """Hold one of the engine's connections for a request, waiting for one if need be."""
    door = _doors.get(engine)
    if door is not None:
        await door.enter(get_settings().database_wait)
    place = Place(door)
    try:
        yield place
    finally:
        place.leave()


async def open_session(engine: Engine) -> AsyncIterator[Session]:
    """Yield a session for one request, once the engine has a connection for it.

    Async on purpose: opening a Session touches no database (the first query, in the handler's
    thread, does), and each sync dependency would cost the request a trip through the
    thread pool, which under load is where the time goes.
    """
    await schema.guard(engine)
    async with admitted(engine) as place:
        with new_session(engine) as session:
            session.info["place"] = place
            yield session


def let_go(session: Session) -> None:
    """Close a request's session and give its place at the door to the next request now.

    For a response that outlives its queries: FastAPI ends the session's dependency only
    once the response is sent, and an event stream is sent for hours. Left holding their
    places, a few dozen projectors and phones following a list would leave none for anyone.
    """
    session.close()
    place = session.info.pop("place", None)
    if place is not None:
        place.leave()


async def get_session() -> AsyncIterator[Session]:
    """Yield a session for one request, on the configured database."""
    async for session in open_session(get_engine()):
        yield session


def new_session(engine: Engine) -> Session:
    """Open a session as requests use them."""
    # Objects stay readable after a commit instead of being reloaded one query at a time:
    # a request that commits is about to answer, not to wait for others' changes.
    return Session(engine, expire_on_commit=False)


SessionDep = Annotated[Session, Depends(get_session)]
