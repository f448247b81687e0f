"""Two real app servers (uvicorn processes) on one PostgreSQL behave as one product."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from app.db import make_engine
from app.models import Card
from tests.conftest import POSTGRES_URL, ROOT, _reset_postgres

PASSWORD = "two servers, one meeting"
SETTINGS = {
    "ACTIONCARDS_SECRET_KEY": "two-servers-one-key",
    "ACTIONCARDS_ENCODER": "words",
    "ACTIONCARDS_EMBED_IN_BACKGROUND": "false",
    # Tight limits, so that a count split between the servers shows.
    "ACTIONCARDS_FAILURES_PER_ADDRESS": "3",
    "ACTIONCARDS_CODE_INTERVAL": "30",
    "ACTIONCARDS_CARDS_PER_MINUTE_PER_DELEGATION": "3",
}

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="several app servers share a PostgreSQL (set TEST_DATABASE_URL)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_command(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


GRACE = ["--timeout-graceful-shutdown", "5"]  # as the Makefile and the Dockerfile start it


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start one app server as a deployment does, and wait until it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", *GRACE, "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"no server ready on port {port}")


@dataclass
class Servers:
    urls: list[str]
    codes: list[str]  # access codes of a few delegations
    processes: list[subprocess.Popen[bytes]]


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Two servers on a freshly migrated database with the meeting."""
    engine = make_engine(POSTGRES_URL)
    _reset_postgres(engine)
    engine.dispose()
    env = {**os.environ, **SETTINGS, "ACTIONCARDS_DATABASE_URL": POSTGRES_URL}
    app_command(env, "migrate")
    app_command(env, "load-meeting", str(ROOT / "meetings" / "puerto-vallarta-2017.toml"))
    issued = app_command(env, "issue-codes", "--kind", "member_state")
    codes = [line.split("\t")[0] for line in issued.splitlines()][:3]
    app_command(
        {**env, "ACTIONCARDS_PASSWORD": PASSWORD},
        "create-user", "mona", "--role", "moderator", "--group", "human",
    )  # fmt: skip
    ports = [free_port(), free_port()]
    running = []
    try:
        for port in ports:
            running.append(start(env, port))
        yield Servers([f"http://127.0.0.1:{port}" for port in ports], codes, running)
    finally:
        for process in running:
            process.terminate()
            process.wait(10)


def post(client: httpx.Client, base: str, path: str, data: dict[str, str]) -> httpx.Response:
    return client.post(f"{base}{path}", data=data, headers={"Origin": base})


def card(card_id: str) -> dict[str, str]:
    commitments = "Open regular pathways for migrant workers, with portable social security."
    return {
        "card_id": card_id,
        "group": "human",
        "language": "en",
        "answers.commitments": commitments,
    }


def stored_cards() -> int:
    engine = make_engine(POSTGRES_URL)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Card)).one()
    engine.dispose()
    return int(count)


def test_two_servers_share_sessions_cards_limits_and_live_updates(
    servers: Servers,
) -> None:
    (a, b), codes = servers.urls, servers.codes
    # Cookies ignore ports: one client is one phone, whichever server answers it.
    with httpx.Client(timeout=15) as phone:
        assert post(phone, a, "/join", {"code": codes[0]}).status_code == 303
        assert phone.get(f"{b}/cards/new").status_code == 200  # signed in on the other

        # A card retried on the other server after a timeout is stored once.
        retried = card(str(uuid.uuid4()))
        first, again = post(phone, a, "/cards", retried), post(phone, b, "/cards", retried)
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
        assert stored_cards() == 1

        # Three cards a minute for a delegation: two more, then the fourth is refused,
        # though each server has seen only two.
        for base in (b, a):
            assert post(phone, base, "/cards", card(str(uuid.uuid4()))).status_code == 303
        assert post(phone, b, "/cards", card(str(uuid.uuid4()))).status_code == 429
        assert stored_cards() == 3

    # Wrong codes from one address, alternating servers: three free, the fourth tried at
    # once, the fifth would wait 30 s for its turn and is refused.
    with httpx.Client(timeout=15) as guesser:
        answers = [
            post(guesser, base, "/join", {"code": "ZZZZ2346"}).status_code
            for base in (a, b, a, b, a)
        ]
        assert answers == [422, 422, 422, 422, 429]

    # A moderator's action on one server reaches a page streaming from the other.
    with httpx.Client(timeout=15) as moderator, httpx.Client(timeout=None) as screen:
        post(moderator, a, "/signin", {"username": "mona", "password": PASSWORD})
        post(screen, b, "/signin", {"username": "mona", "password": PASSWORD})
        arrived: list[tuple[float, str]] = []
        listening = threading.Event()

        def listen() -> None:
            headers = {"Accept": "text/event-stream"}  # as EventSource asks
            with screen.stream("GET", f"{b}/floor/human/events", headers=headers) as stream:
                for line in stream.iter_lines():
                    listening.set()
                    if line.startswith("data: ") and "Mexico" in line:
                        arrived.append((time.perf_counter(), line))
                        return

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        assert listening.wait(10)
        acted = time.perf_counter()
        added = post(
            moderator, a, "/floor/human/add", {"delegation": "Mexico", "kind": "statement"}
        )
        assert added.status_code == 303
        thread.join(5)
        assert arrived, "the other server's stream never showed Mexico on the list"
        assert arrived[0][0] - acted < 2.0  # its usual delay is under a second

    # A server stopped for an upgrade lets go of the projectors streaming from it.
    with httpx.Client(timeout=15) as screen:
        post(screen, a, "/signin", {"username": "mona", "password": PASSWORD})
        headers = {"Accept": "text/event-stream"}
        with screen.stream("GET", f"{a}/floor/human/events", headers=headers) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")  # the projector is listening
            stopping = time.monotonic()
            servers.processes[0].terminate()  # as a deployment stops a server
            servers.processes[0].wait(15)
            assert time.monotonic() - stopping < 8, "the open stream held the server up"
            with pytest.raises(httpx.RemoteProtocolError):  # cut: EventSource reconnects
                list(lines)


@pytest.mark.parametrize("path", ["Makefile", "Dockerfile", "compose.yaml"])
def test_every_way_of_starting_a_server_gives_streams_a_grace_not_for_ever(path: str) -> None:
    lines = (ROOT / path).read_text().splitlines()
    commands = [line for line in lines if re.search(r"uvicorn\W+app\.main:app", line)]
    grace = re.compile(r"--timeout-graceful-shutdown\W+5\b")
    assert commands and all(grace.search(line) for line in commands)


def test_a_server_whose_schema_is_older_than_the_database_refuses_instead_of_writing(
    servers: Servers,
) -> None:
    """A newer version migrated the database while this server ran: it stops writing."""
    (a, _b), codes = servers.urls, servers.codes
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from-a-newer-version'"))
    engine.dispose()
    deadline = time.monotonic() + 30  # a server looks again every 10 s
    while httpx.get(f"{a}/readyz", timeout=5).status_code != 503:
        assert time.monotonic() < deadline, "the server never noticed the newer schema"
        time.sleep(0.5)
    with httpx.Client(timeout=15) as phone:
        answer = post(phone, a, "/join", {"code": codes[1]})
        assert answer.status_code == 503
        assert "This server is being updated" in answer.text
