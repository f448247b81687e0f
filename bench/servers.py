"""Several app servers: 100 delegates for 30 s against one server and two servers on one
PostgreSQL, and one server on SQLite, in the same run; then the two-server load while one
server is killed (SIGKILL) three times and restarted.

Each phone sends its cards to the servers in turn, as a balancer may; a card whose server
dies under it is sent again, with the same card id, to the other server. Afterwards every card
a phone was told was stored must be in the database once.

BENCH_DATABASE_URL names the PostgreSQL (default: the local one, database actioncards_bench,
created if missing and emptied each run). BENCH_SECONDS shortens the runs.
Last line: one_pg_cards_per_s=... two_pg_cards_per_s=... sqlite_cards_per_s=... p99_ms=...
lost=... duplicates=... errors=...
Aims: lost = 0, duplicates = 0, no errors but connections refused by the killed server, two
servers at least as fast as one (this machine's two cores also run the load and PostgreSQL).
"""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).parent))
from _live import free_port, percentile, prepare, start  # noqa: E402

DELEGATES = 100
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/actioncards_bench"
)
KILLS = 3
# Connections a killed server refuses or drops: the phone sends the card to the other one.
GONE = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass
class Run:
    """What the phones saw: each stored card's id and time, and what else happened."""

    stored: dict[str, float] = field(default_factory=dict)  # card id: milliseconds
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: int = 0  # tries that met a killed server (each sent again elsewhere)


async def phone(bases: list[str], code: str, deadline: float, run: Run, offset: int) -> None:
    """Sign in, then send cards one after the other, each to the next server in turn."""
    async with httpx.AsyncClient(timeout=30) as client:
        turn = offset
        while not await _joined(client, bases[turn % len(bases)], code):
            turn += 1
            await asyncio.sleep(0.2)
        while time.monotonic() < deadline:
            card_id = str(uuid.uuid4())
            card = {
                "card_id": card_id, "group": "human", "language": "en",
                "answers.commitments": f"End the immigration detention of children ({card_id}).",
            }  # fmt: skip
            began = time.perf_counter()
            for _try in range(20):
                base = bases[turn % len(bases)]
                turn += 1
                try:
                    response = await client.post(
                        f"{base}/cards", data=card, headers={"Origin": base}
                    )
                except GONE:
                    run.refused += 1
                    await asyncio.sleep(0.05)
                    continue
                outcome = str(response.status_code)
                if "/join" in response.headers.get("location", ""):
                    outcome = "signed out"
                if outcome == "303":
                    run.stored[card_id] = (time.perf_counter() - began) * 1000
                else:
                    run.outcomes[outcome] += 1
                break
            else:
                run.outcomes["never reached a server"] += 1


async def _joined(client: httpx.AsyncClient, base: str, code: str) -> bool:
    try:
        response = await client.post(f"{base}/join", data={"code": code}, headers={"Origin": base})
    except GONE:
        return False
    return response.status_code == 303


async def load(bases: list[str], codes: list[str], run: Run) -> None:
    deadline = time.monotonic() + SECONDS
    await asyncio.gather(*(phone(bases, c, deadline, run, i) for i, c in enumerate(codes)))


def cpu_of(pids: list[int]) -> dict[int, float]:
    """User and system CPU seconds of each of these processes so far (from /proc)."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_of(pids).values())


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds these processes spent since `before` (a process gone since is missed)."""
    return sum(now - before.get(pid, 0.0) for pid, now in cpu_of(pids).items())


def postgres_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def fresh_postgres() -> bool:
    """Empty the benchmark's database (creating it if needed); False if there is none."""
    url = make_url(URL)
    try:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            known = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}
            ).first()
            if known is None:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL to use
        print(f"no PostgreSQL at {URL}: {type(error).__name__}")
        return False
    return True


def stored_rows(database: Path | str) -> tuple[set[str], int]:
    """The card ids stored, and how many cards carry a text already counted."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, answers FROM card")).all()
    engine.dispose()
    texts = Counter(str(answers) for _id, answers in rows)
    return {card_id for card_id, _answers in rows}, sum(n - 1 for n in texts.values())


def measure(database: Path | str, servers: int, kill: bool = False) -> dict[str, float]:
    """Run the load against fresh servers on this database; return its figures."""
    codes = prepare(database, DELEGATES)
    ports = [free_port() for _ in range(servers)]
    processes = [start("app.main:app", port, database) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    run = Run()
    on_postgres = isinstance(database, str)
    app_before = cpu_seconds([p.pid for p in processes])
    database_before = cpu_of(postgres_pids()) if on_postgres else {}

    async def killer() -> None:
        for _kill in range(KILLS):
            await asyncio.sleep(SECONDS / (KILLS + 1))
            victim = processes[-1]
            cpu_seconds_of_dead.append(cpu_seconds([victim.pid]))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            processes[-1] = await asyncio.to_thread(start, "app.main:app", ports[-1], database)

    cpu_seconds_of_dead: list[float] = []

    async def both() -> None:
        await asyncio.gather(load(bases, codes, run), *([killer()] if kill else []))

    asyncio.run(both())
    app_cpu = cpu_seconds([p.pid for p in processes]) + sum(cpu_seconds_of_dead) - app_before
    # A killed server's database connections end with it, and their CPU time is lost.
    db_cpu = cpu_since(database_before, postgres_pids()) if on_postgres and not kill else 0.0
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
    ids, duplicates = stored_rows(database)
    lost = len(set(run.stored) - ids)
    cards = len(run.stored)
    name = f"{servers} server{'s' if servers > 1 else ''} on " + (
        "PostgreSQL" if isinstance(database, str) else "SQLite"
    )
    print(
        f"{name}{', one killed 3 times' if kill else ''}: {cards / SECONDS:.0f} cards/s, "
        f"p50 {percentile(list(run.stored.values()), 0.5):.0f} ms, "
        f"p99 {percentile(list(run.stored.values()), 0.99):.0f} ms, lost {lost}, "
        f"duplicates {duplicates}, refused connections {run.refused}, "
        f"other answers {dict(run.outcomes) or 0}"
    )
    if cards:
        print(
            f"  CPU per card: app servers {app_cpu / cards * 1000:.2f} ms"
            + (" (with their restarts)" if kill else "")
            + (f", PostgreSQL {db_cpu / cards * 1000:.2f} ms" if db_cpu else "")
        )
    return {
        "rate": cards / SECONDS,
        "p99": percentile(list(run.stored.values()), 0.99),
        "lost": lost,
        "duplicates": duplicates,
        "errors": sum(run.outcomes.values()),
        "app_ms": app_cpu / cards * 1000 if cards else 0.0,
        "db_ms": db_cpu / cards * 1000 if cards else 0.0,
    }


def main() -> None:
    # Card vectors are computed off the request path, once across servers (claimed in the
    # database); their cost is bench/grouping.py's embed_s_per_1000. Here: serving cards.
    os.environ["ACTIONCARDS_EMBED_IN_BACKGROUND"] = "false"
    if not fresh_postgres():
        print("skipped=no_postgresql")
        return
    with tempfile.TemporaryDirectory() as folder:
        sqlite = measure(Path(folder) / "servers.db", 1)
    one = measure(URL, 1)
    fresh_postgres()
    two = measure(URL, 2)
    fresh_postgres()
    killed = measure(URL, 2, kill=True)
    print(f"{DELEGATES} delegates for {SECONDS:.0f} s each run; two servers / one: "
          f"{two['rate'] / one['rate'] if one['rate'] else 0:.2f}")  # fmt: skip
    # What one more server adds on a larger machine: its own cores serve cards at the app's CPU
    # cost per card, until the database's cores are spent at PostgreSQL's cost per card.
    if two["app_ms"] and two["db_ms"]:
        print(
            f"estimate: each app server core adds up to {1000 / two['app_ms']:.0f} cards/s; "
            f"each PostgreSQL core carries {1000 / two['db_ms']:.0f} cards/s"
        )
    print(
        f"one_pg_cards_per_s={one['rate']:.1f} two_pg_cards_per_s={two['rate']:.1f} "
        f"sqlite_cards_per_s={sqlite['rate']:.1f} p99_ms={two['p99']:.0f} "
        f"lost={killed['lost'] + two['lost'] + one['lost']:.0f} "
        f"duplicates={killed['duplicates'] + two['duplicates'] + one['duplicates']:.0f} "
        f"errors={killed['errors'] + two['errors'] + one['errors']:.0f}"
    )


if __name__ == "__main__":
    main()
