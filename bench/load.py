"""Load: 100 delegates send cards at once for 60 s through the real card form endpoint.

The same load also goes, in the same run, to a bare FastAPI + SQLite insert endpoint
(bench/_bare.py); the ratio compares the two. BENCH_SECONDS shortens the run.
Last line: cards_per_s=... p50_ms=... p99_ms=... errors=... ratio_vs_bare=...
Aim: no errors, p99 under 250 ms, ratio at least 0.5.
"""

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).parent))
from _live import free_port, percentile, prepare, start  # noqa: E402

DELEGATES = 100
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))


async def delegate(base: str, code: str | None, deadline: float, results: list) -> None:
    """One phone: sign in with its code, then send cards one after the other."""
    headers = {"Origin": base}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        if code is not None:
            joined = await client.post("/join", data={"code": code})
            if joined.status_code != 303:
                print(f"join: {joined.status_code} {joined.headers.get('retry-after', '')}")
        while time.monotonic() < deadline:
            card = {
                "card_id": str(uuid.uuid4()), "group": "human", "language": "en",
                "answers.commitments": "End the immigration detention of children.",
                "answers.means": "Community-based alternatives, case management.",
            }  # fmt: skip
            began = time.perf_counter()
            try:
                response = await client.post("/cards", data=card)
                signed_out = "/join" in response.headers.get("location", "")
                outcome = "signed out" if signed_out else str(response.status_code)
            except httpx.HTTPError as error:
                outcome = type(error).__name__
            results.append(((time.perf_counter() - began) * 1000, outcome))


async def load(base: str, codes: list[str | None]) -> list[tuple[float, str]]:
    """Each result: milliseconds, and "303" for a card stored, else what went wrong."""
    results: list[tuple[float, str]] = []
    deadline = time.monotonic() + SECONDS
    await asyncio.gather(*(delegate(base, c, deadline, results) for c in codes))
    return results


def measure(app: str, database: Path, codes: list[str | None]) -> tuple[float, float, float, int]:
    port = free_port()
    server = start(app, port, database)
    try:
        results = asyncio.run(load(f"http://127.0.0.1:{port}", codes))
    finally:
        server.terminate()
        server.wait(timeout=30)
    times = [ms for ms, outcome in results if outcome == "303"]
    errors = Counter(outcome for _ms, outcome in results if outcome != "303")
    if errors:
        print(f"{app}: errors by kind: {dict(errors)}")
    return len(times) / SECONDS, percentile(times, 0.5), percentile(times, 0.99), errors.total()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "load.db"
        codes: list[str | None] = list(prepare(database, DELEGATES))
        bare = measure("bench._bare:app", database, [None] * DELEGATES)
        real = measure("app.main:app", database, codes)
    print(f"{DELEGATES} delegates for {SECONDS:.0f} s each run")
    for name, (rate, p50, p99, errors) in (("bare insert", bare), ("ActionCards", real)):
        print(
            f"{name:12} {rate:6.0f} cards/s  p50 {p50:6.0f} ms  p99 {p99:6.0f} ms  errors {errors}"
        )
    ratio = real[0] / bare[0] if bare[0] else 0.0
    print(
        f"cards_per_s={real[0]:.1f} p50_ms={real[1]:.1f} p99_ms={real[2]:.1f} "
        f"errors={real[3]} ratio_vs_bare={ratio:.2f}"
    )


if __name__ == "__main__":
    main()
