"""How fast the paper desk answers a clerk: saving a keyed card, and finding a delegation.

Builds a temporary SQLite database (or uses ACTIONCARDS_DATABASE_URL if it names PostgreSQL)
with the Puerto Vallarta meeting, its shipped delegations (every one with an access code) and
600 issued serials, then drives the app in process (FastAPI's TestClient, no network) as a
signed-in clerk:

- save_ms: the time of POST /desk/cards for one card (validate, find the delegation from
  what was typed, store the card, its version, its audit event and the keyed serial, commit),
  over 300 cards, each with a delegation typed as a clerk would (a name in one of the six
  languages, an ISO code or an access code);
- lookup_ms: the time of GET /desk/delegations (the list narrowed as the clerk types), for
  the first three letters of every delegation's name in every language, over all delegations;
- with double entry on, first_ms and second_ms: a first clerk keys 100 further serials, a
  second clerk keys them again (compared with the first keying; equal, the card is stored).

Each is per request, including the app's middleware; printed as median and p95.
Last line: save_ms=<p95> lookup_ms=<p95> first_ms=<p95> second_ms=<p95>
(goal: save_ms and lookup_ms under 50 ms)
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app import paper  # noqa: E402
from app.access import issue_code  # noqa: E402
from app.audit import user_actor  # noqa: E402
from app.auth import hash_password  # noqa: E402
from app.db import get_engine, make_engine  # noqa: E402
from app.i18n import LANGUAGES, delegation_name  # noqa: E402
from app.main import create_app  # noqa: E402
from app.meetings import load_meeting, meeting_groups  # noqa: E402
from app.models import AccessCode, CardSerial, Delegation, Meeting, User  # noqa: E402
from app.schema import create_schema  # noqa: E402
from app.settings import get_settings  # noqa: E402

MEETING = ROOT / "meetings" / "puerto-vallarta-2017.toml"
CARDS = 300
DOUBLE = 100  # serials keyed twice, after the CARDS keyed once
PASSWORD = "a bench password"


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def setup(url: str) -> list[str]:
    """Load the meeting, give every delegation a code, make a clerk; return what to type."""
    engine = make_engine(url)
    create_schema(engine)
    with Session(engine) as session:
        meeting = load_meeting(session, MEETING)
        for delegation in session.exec(select(Delegation)):
            issue_code(session, meeting, delegation)
        for name in ("clara", "carl"):
            session.add(
                User(username=name, display_name=name.title(), role="clerk",
                     password_hash=hash_password(PASSWORD))
            )  # fmt: skip
        session.commit()
        clerk = session.exec(select(User).where(User.username == "clara")).one()
        national = [g for g in meeting_groups(session, meeting) if g.slug == "national"][0]
        paper.issue_serials(session, meeting, national, 2 * CARDS, user_actor(clerk))
        typed = []
        codes = {a.delegation_id: a.code for a in session.exec(select(AccessCode))}
        for i, d in enumerate(session.exec(select(Delegation).order_by(Delegation.name))):
            language = LANGUAGES[i % len(LANGUAGES)]
            choices = [delegation_name(d.name, d.iso2, language), d.iso2 or d.name, codes[d.id]]
            typed.append(choices[i % 3])
    engine.dispose()
    return typed


def form_for(n: int, typed: list[str]) -> dict[str, str]:
    return {
        "serial": f"G3-{n + 1:04d}", "desk": "", "delegation_q": typed[n % len(typed)],
        "delegation": "", "language": "es", "author_name": "Ana",
        "answers.commitments": f"Compromiso número {n}: alternativas a la detención.",
    }  # fmt: skip


def key(client: TestClient, serials: range, typed: list[str]) -> list[float]:
    """Key these serials at the desk; return each save's milliseconds."""
    times = []
    for n in serials:
        form = form_for(n, typed)
        start = time.perf_counter()
        response = client.post("/desk/cards", data=form, follow_redirects=False)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 303, (form, response.text[:300])
    return times


def double_entry(typed: list[str]) -> tuple[list[float], list[float]]:
    """Turn double entry on; clara keys DOUBLE serials first, carl keys them again."""
    with Session(get_engine()) as session:
        meeting = session.exec(select(Meeting)).one()
        meeting.paper_double_entry = True
        session.add(meeting)
        session.commit()
    serials = range(CARDS, CARDS + DOUBLE)
    keyed = []
    for clerk in ("clara", "carl"):
        with TestClient(create_app(), headers={"Origin": "http://testserver"}) as client:
            client.post("/signin", data={"username": clerk, "password": PASSWORD})
            keyed.append(key(client, serials, typed))
    with Session(get_engine()) as session:
        agreed = [s for s in session.exec(select(CardSerial)) if s.card_id is not None]
        assert len(agreed) == CARDS + DOUBLE, "a second keying did not store its card"
    return keyed[0], keyed[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("ACTIONCARDS_DATABASE_URL", "")
        if not url.startswith("postgresql"):
            url = f"sqlite:///{Path(folder) / 'keying.db'}"
        os.environ["ACTIONCARDS_DATABASE_URL"] = url
        get_settings.cache_clear()
        get_engine.cache_clear()
        typed = setup(url)
        with TestClient(create_app(), headers={"Origin": "http://testserver"}) as client:
            client.post("/signin", data={"username": "clara", "password": PASSWORD})
            saves = key(client, range(CARDS), typed)
            lookups = []
            with Session(get_engine()) as session:
                every = list(session.exec(select(Delegation)))
            prefixes = {
                delegation_name(d.name, d.iso2, lang)[:3] for d in every for lang in LANGUAGES
            }
            for prefix in sorted(prefixes):
                start = time.perf_counter()
                response = client.get("/desk/delegations", params={"delegation_q": prefix})
                lookups.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
        first, second = double_entry(typed)
        get_engine().dispose()
        get_engine.cache_clear()
    print(f"database: {url.split(':')[0]}, {len(every)} delegations, {CARDS} cards keyed")
    print(f"save: median {statistics.median(saves):.1f} ms, p95 {p95(saves):.1f} ms")
    print(
        f"lookup ({len(lookups)} prefixes): median {statistics.median(lookups):.1f} ms,"
        f" p95 {p95(lookups):.1f} ms"
    )
    print(
        f"double entry ({DOUBLE} serials): first keying median {statistics.median(first):.1f} ms,"
        f" p95 {p95(first):.1f} ms; second keying median {statistics.median(second):.1f} ms,"
        f" p95 {p95(second):.1f} ms"
    )
    print(
        f"save_ms={p95(saves):.1f} lookup_ms={p95(lookups):.1f}"
        f" first_ms={p95(first):.1f} second_ms={p95(second):.1f}"
    )


if __name__ == "__main__":
    main()
