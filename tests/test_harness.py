"""The suite's own machinery: what one test leaves behind must not stop the next one.

A CI run once stopped at 88% and waited until its hour and a half was spent: these are the
ways a test can hang the ones after it, each closed off in the fixtures."""

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, text

from app.db import make_engine
from tests.browser import serve
from tests.conftest import ON_POSTGRESQL, POSTGRES_URL, _reset_postgres


def endless_stream() -> FastAPI:
    app = FastAPI()

    async def ticks() -> AsyncIterator[str]:
        while True:
            yield "data: tick\n\n"
            await asyncio.sleep(0.1)

    @app.get("/events")
    async def events() -> StreamingResponse:
        return StreamingResponse(ticks(), media_type="text/event-stream")

    return app


def test_a_live_server_stops_though_a_page_keeps_a_stream_open() -> None:
    before = set(threading.enumerate())
    with serve(endless_stream()) as url:
        address = urlsplit(url)
        reader = socket.create_connection((address.hostname, address.port))
        reader.sendall(b"GET /events HTTP/1.1\r\nHost: test\r\n\r\n")
        assert b"200 OK" in reader.recv(4096)  # a projector, listening
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 9
    assert set(threading.enumerate()) - before == set(), "the server's thread is still running"
    reader.close()


@ON_POSTGRESQL
def test_wiping_a_database_does_not_wait_for_an_earlier_test_s_connection(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("wiping a schema per test is PostgreSQL's; SQLite gets a new file")
    leftover = make_engine(POSTGRES_URL)
    held = leftover.connect()
    held.execute(text("SELECT count(*) FROM meeting"))  # a lock on the table, till it ends
    started = time.monotonic()
    _reset_postgres(engine)
    assert time.monotonic() - started < 10
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        ).scalar_one()
    assert tables == 0
    held.invalidate()
    leftover.dispose()
