"""More people than database connections: requests wait their turn, none stalls or fails."""

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.db import Door, ServerBusy, get_session, make_engine, open_session
from app.main import create_app
from app.models import Meeting
from tests.browser import serve

CLIENTS = 60


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
