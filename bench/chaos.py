"""Chaos: 50 delegates send 2,000 cards while the server is killed (SIGKILL) five times.

Each client retries a card, with the same card id, until the server confirms it, as the
offline queue does. Afterwards, every acknowledged card must be stored exactly once, and the
SQLite file must pass its integrity check.
Last line: acknowledged=... stored=... duplicates=... lost=... integrity=ok
"""

import asyncio
import os
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).parent))
from _live import free_port, prepare, start  # noqa: E402

CLIENTS = 50
CARDS = 2000
KILLS = 5


class Server:
    """The app under test, which the chaos task kills and restarts."""

    def __init__(self, database: Path) -> None:
        self.database, self.port = database, free_port()
        self.process = start("app.main:app", self.port, database)

    def kill_and_restart(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = start("app.main:app", self.port, self.database)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def client(base: str, code: str, queue: asyncio.Queue, acknowledged: set[str]) -> None:
    """One phone: sign in, then send cards from the queue, retrying each until confirmed."""
    async with httpx.AsyncClient(base_url=base, headers={"Origin": base}, timeout=10) as http:
        while True:
            try:
                await http.post("/join", data={"code": code})
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
        while not queue.empty():
            card_id, text = queue.get_nowait()
            form = {"card_id": card_id, "group": "global", "language": "en",
                    "answers.commitments": text}  # fmt: skip
            pause = 0.1
            while True:
                try:
                    response = await http.post("/cards", data=form)
                    if response.status_code == 303 and card_id in response.headers["location"]:
                        acknowledged.add(card_id)
                        break
                except httpx.HTTPError:
                    pass  # the server is down: try again, the same card id
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)


async def chaos(server: Server, acknowledged: set[str]) -> None:
    """Kill the server each time another sixth of the cards has been acknowledged."""
    for kill in range(1, KILLS + 1):
        while len(acknowledged) < kill * CARDS // (KILLS + 1):
            await asyncio.sleep(0.05)
        await asyncio.to_thread(server.kill_and_restart)


async def run(server: Server, codes: list[str]) -> set[str]:
    queue: asyncio.Queue = asyncio.Queue()
    for n in range(CARDS):
        queue.put_nowait((str(uuid.uuid4()), f"Card {n}: safe, orderly and regular migration."))
    acknowledged: set[str] = set()
    base = f"http://127.0.0.1:{server.port}"
    clients = [client(base, code, queue, acknowledged) for code in codes]
    await asyncio.gather(chaos(server, acknowledged), *clients)
    return acknowledged


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "chaos.db"
        codes = prepare(database, CLIENTS)
        server = Server(database)
        began = time.monotonic()
        try:
            acknowledged = asyncio.run(run(server, codes))
        finally:
            server.stop()
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT id, answers FROM card").fetchall()
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        stored_ids = {card_id for card_id, _answers in rows}
        texts = [answers for _id, answers in rows]
        duplicates = len(texts) - len(set(texts))
        lost = len(acknowledged - stored_ids)
        seconds = time.monotonic() - began
    print(f"{CLIENTS} clients, {CARDS} cards, {KILLS} SIGKILLs, {seconds:.0f} s")
    print(
        f"acknowledged={len(acknowledged)} stored={len(stored_ids & acknowledged)} "
        f"duplicates={duplicates} lost={lost} integrity={integrity}"
    )


if __name__ == "__main__":
    main()
