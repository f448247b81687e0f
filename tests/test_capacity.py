"""More people than database connections: requests wait their turn, none stalls or fails."""

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.db import Door, ServerBusy, get_session, make_engine, open_session
from app.main import create_app
from app.models import Meeting
from tests.browser import serve
from tests.conftest import ON_POSTGRESQL, code_for

CLIENTS = 60
EVENT_STREAM = {"Accept": "text/event-stream"}  # as EventSource asks


def test_sixty_clients_on_a_pool_of_four_connections_all_get_their_page(
    engine: Engine, meeting: Meeting
) -> None:
    """Past pool + threads requests in flight, the server used to stall 30 s, then answer 500."""
    small = make_engine(engine.url.render_as_string(hide_password=False), pool=2)
    app = create_app()

    async def session() -> AsyncIterator[Session]:
        async for s in open_session(small):
            yield s

    app.dependency_overrides[get_session] = session

    def fetch(url: str) -> int:
        with urllib.request.urlopen(url, timeout=20) as answer:
            return int(answer.status)

    with serve(app) as url, ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(fetch, [f"{url}/join"] * CLIENTS * 3))
    small.dispose()
    assert statuses == [200] * CLIENTS * 3


def test_the_door_lets_in_as_many_as_it_has_room_for_in_turn() -> None:
    async def scenario() -> list[str]:
        door, said = Door(1), []
        await door.enter(timeout=1)
        with pytest.raises(ServerBusy):
            await door.enter(timeout=0.05)  # full for too long: told to come back

        async def person(name: str) -> None:
            await door.enter(timeout=1)
            said.append(name)
            door.leave()

        waiting = [asyncio.create_task(person(n)) for n in ("first", "second", "third")]
        await asyncio.sleep(0.01)
        assert said == []  # nobody gets in while the room is taken
        door.leave()
        await asyncio.gather(*waiting)
        assert door.free == 1
        return said

    # In a thread of its own: after the browser tests Playwright keeps a loop in this one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: asyncio.run(scenario())).result() == [
            "first",
            "second",
            "third",
        ]


def test_a_busy_server_says_so_and_when_to_retry(client) -> None:  # type: ignore[no-untyped-def]
    @client.app.get("/busy-for-this-test")
    def busy() -> None:
        raise ServerBusy()

    answer = client.get("/busy-for-this-test")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "very busy" in answer.text


@ON_POSTGRESQL
def test_projectors_left_open_keep_no_connection_from_the_rest(
    engine: Engine, session: Session, meeting: Meeting
) -> None:
    """A projector's stream lasts hours: were its place at the door kept (as it was), a few
    projectors and phones following the list would lock everyone else out of the server."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no bound on connections, so no door")
    small = make_engine(engine.url.render_as_string(hide_password=False), pool=2)  # room for 3
    app = create_app()

    async def session_on_small() -> AsyncIterator[Session]:
        async for s in open_session(small):
            yield s

    app.dependency_overrides[get_session] = session_on_small
    code = code_for(session, meeting, "Mexico")
    with serve(app) as url, httpx.Client(timeout=10) as phone, ExitStack() as streams:
        joined = phone.post(f"{url}/join", data={"code": code}, headers={"Origin": url})
        assert joined.status_code == 303
        listening = []  # each one's lines, kept: an iterator let go closes its stream
        for _ in range(5):  # more projectors than the door has room for
            stream = streams.enter_context(
                phone.stream("GET", f"{url}/floor/human/events", headers=EVENT_STREAM)
            )
            listening.append(stream.iter_lines())
            assert next(listening[-1]).startswith("retry:")
        for page in ("/floor/human/state", "/cards", "/cards/new"):
            assert phone.get(f"{url}{page}").status_code == 200  # the rest still go in
    small.dispose()
