"""Shared by the benchmarks: a real ActionCards server in its own process, on a temp database."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(database: Path | str) -> dict[str, str]:
    """Settings for a benchmark server: its own database (a SQLite file, or a database URL),
    limits out of the way."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    return {
        **os.environ,
        "ACTIONCARDS_DATABASE_URL": url,
        "ACTIONCARDS_SECRET_KEY": "benchmark-secret",
        "ACTIONCARDS_CARDS_PER_MINUTE_PER_DELEGATION": "1000000",
        "ACTIONCARDS_CARDS_PER_MINUTE_PER_ADDRESS": "1000000",
    }


def prepare(database: Path | str, delegations: int) -> list[str]:
    """Migrate, load the meeting, and issue codes; return the codes."""
    env = environment(database)
    run = [PYTHON, "-m", "app"]
    subprocess.run([*run, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    meeting = str(ROOT / "meetings" / "puerto-vallarta-2017.toml")
    subprocess.run(
        [*run, "load-meeting", meeting], env=env, cwd=ROOT, check=True, capture_output=True
    )
    issued = subprocess.run(
        [*run, "issue-codes", "--kind", "member_state"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return [line.split("\t")[0] for line in issued.stdout.splitlines()][:delegations]


def start(app: str, port: int, database: Path | str) -> subprocess.Popen[bytes]:
    """Start uvicorn with one worker, as `make run` does; wait until it answers."""
    process = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env=environment(database), cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{app} did not start on port {port}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
