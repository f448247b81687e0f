"""Projectors follow the moderator: the delay from a moderator's action to its arrival on
30 open pages (15 projectors and 15 delegates' phones, each on an event stream), with two
app servers on one database: the moderator acts on one, half the pages listen on the other.

Last line: p50_ms=... p99_ms=...
"""

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).parent))
from _live import PYTHON, ROOT, environment, free_port, percentile, prepare, start  # noqa: E402

PAGES = 30
ACTIONS = 45
PASSWORD = "benchmark password"


class Page:
    """One open page: a stream of the list's states, and when each version arrived."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client, self.url = client, url
        self.seen: dict[int, float] = {}
        self.ready = asyncio.Event()

    async def listen(self) -> None:
        headers = {"Accept": "text/event-stream"}
        async with self.client.stream("GET", self.url, headers=headers, timeout=None) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    version = int(line.split('"version": ', 1)[1].split(",", 1)[0])
                    self.seen.setdefault(version, time.perf_counter())
                    self.ready.set()


def add_account(database: Path, username: str, role: str, *groups: str) -> None:
    env = {**environment(database), "ACTIONCARDS_PASSWORD": PASSWORD}
    extra = [arg for g in groups for arg in ("--group", g)]
    command = [PYTHON, "-m", "app", "create-user", username, "--role", role, *extra]
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)


async def signed_in(base: str, username: str = "", code: str = "") -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, headers={"Origin": base}, timeout=10)
    if code:
        response = await client.post("/join", data={"code": code})
    else:
        response = await client.post("/signin", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return client


async def run(database: Path, codes: list[str], bases: list[str]) -> list[float]:
    moderator = await signed_in(bases[0], "mona")
    names = [row[0] for row in sqlite3.connect(database).execute(
        "SELECT name FROM delegation WHERE kind = 'member_state' ORDER BY name LIMIT 60"
    )]  # fmt: skip
    for name in names:
        response = await moderator.post(
            "/floor/human/add", data={"delegation": name, "kind": "statement"}
        )
        assert response.status_code == 303, name
    pages = []
    for index in range(PAGES):
        base = bases[index % 2]  # half on the moderator's server, half on the other
        if index < PAGES // 2:
            client = await signed_in(base, "screen")
        else:
            client = await signed_in(base, code=codes[index - PAGES // 2])
        pages.append(Page(client, "/floor/human/events"))
    tasks = [asyncio.create_task(page.listen()) for page in pages]
    await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in pages)), 30)
    delays: list[float] = []
    cycle = ["next", "pause", "resume"]
    for step in range(ACTIONS):
        state = (await moderator.get("/floor/human/state")).json()
        started = time.perf_counter()
        action = cycle[step % 3]
        response = await moderator.post(
            f"/floor/human/{action}", data={"version": state["version"]}
        )
        assert response.status_code == 303, (action, response.status_code)
        wanted = state["version"] + 1
        deadline = started + 5
        while any(wanted not in p.seen for p in pages) and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        for page in pages:
            delays.append((page.seen.get(wanted, deadline) - started) * 1000)
        await asyncio.sleep(0.15 + (step % 7) * 0.04)  # actions fall anywhere between looks
    for task in tasks:
        task.cancel()
    for page in pages:
        await page.client.aclose()
    await moderator.aclose()
    return delays


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        codes = prepare(database, PAGES // 2)
        add_account(database, "mona", "moderator", "human")
        add_account(database, "screen", "cofacilitator")
        ports = [free_port(), free_port()]
        servers = [start("app.main:app", port, database) for port in ports]
        try:
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            delays = asyncio.run(run(database, codes, bases))
        finally:
            for server in servers:
                server.terminate()
                server.wait()
    late = sum(1 for d in delays if d >= 1000)
    print(f"{ACTIONS} actions by a moderator on server 1; {PAGES} pages on servers 1 and 2")
    print(f"deliveries: {len(delays)}, a second or later: {late}")
    for share in (0.5, 0.9, 0.99):
        print(f"p{int(share * 100)}: {percentile(delays, share):.0f} ms")
    print(f"max: {max(delays):.0f} ms")
    print(f"p50_ms={percentile(delays, 0.5):.0f} p99_ms={percentile(delays, 0.99):.0f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
