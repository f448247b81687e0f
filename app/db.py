"""The database engine, SQLite pragmas and the per-request session."""

import json
import threading
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from app.settings import get_settings


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, FULL sync, foreign keys and a busy timeout."""
    # A request holds its connection from its first query to its end, also while it waits for
    # a thread: a burst of delegates must wait for the database, never for a connection.
    if not url.startswith("sqlite"):
        pool = get_settings().database_pool
        return create_engine(
            url, pool_pre_ping=True, json_serializer=_json, pool_size=pool, max_overflow=pool
        )
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


async def get_session() -> AsyncIterator[Session]:
    """Yield a session for one request.

    Async on purpose: opening a Session touches no database (the first query, in the handler's
    thread, does), and each sync dependency would cost the request a trip through the
    thread pool, which under load is where the time goes.
    """
    with new_session(get_engine()) as session:
        yield session


def new_session(engine: Engine) -> Session:
    """Open a session as requests use them."""
    # Objects stay readable after a commit instead of being reloaded one query at a time:
    # a request that commits is about to answer, not to wait for others' changes.
    return Session(engine, expire_on_commit=False)


SessionDep = Annotated[Session, Depends(get_session)]
