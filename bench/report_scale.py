"""How the workspace and the report scale: 2,000 cards in one group against 50.

Renders a group's workspace (first page, counts, recommendations) and its report page on a
fresh SQLite database of each size, in the same run, and prints the median times.
Last line: cards=2000 ms=... ms_50=... ratio=...   (aim: ratio under 5)
"""

import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from app.auth import hash_password  # noqa: E402
from app.db import get_session, make_engine, new_session  # noqa: E402
from app.grouping import add_support, create_recommendation  # noqa: E402
from app.main import create_app  # noqa: E402
from app.meetings import load_meeting, meeting_groups  # noqa: E402
from app.models import (  # noqa: E402
    Card,
    CardTag,
    CardVersion,
    Delegation,
    Group,
    RapporteurGroup,
    SetAside,
    Tag,
    User,
    ident,
    utcnow,
)
from app.schema import create_schema  # noqa: E402

RUNS = 7
WORDS = (
    "migrants rights regular pathways children detention skills remittances cooperation data"
    " return integration labour cities"
).split()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def populate(session: Session, group: Group, cards: int, rng: random.Random) -> None:
    """Fill a group as a busy night would leave it: grouped, tagged, some set aside."""
    delegations = list(session.exec(select(Delegation)))
    tags = list(session.exec(select(Tag)))
    start = utcnow() - timedelta(hours=8)
    stored = []
    for n in range(cards):
        answers = {
            "commitments": text(rng, 40),
            "means": text(rng, 15),
            "partnerships": text(rng, 6),
        }
        card = Card(
            id=str(uuid.uuid4()), meeting_id=group.meeting_id, group_id=ident(group),
            delegation_id=ident(rng.choice(delegations)), language=rng.choice(["en", "fr", "es"]),
            answers=answers, created_at=start + timedelta(seconds=10 * n),
        )  # fmt: skip
        session.add(card)
        stored.append(card)
    session.flush()
    for card in stored:
        session.add(
            CardVersion(
                card_id=card.id,
                version=1,
                action="create",
                group_id=card.group_id,
                language=card.language,
                answers=card.answers,
                status="active",
            )
        )
    recs = [
        create_recommendation(session, group, text(rng, 20)) for _ in range(max(2, cards // 20))
    ]
    for card in stored:
        roll = rng.random()
        if roll < 0.6:
            add_support(session, rng.choice(recs), card.id)
        elif roll < 0.7:
            session.add(SetAside(card_id=card.id, reason="off_topic"))
        if rng.random() < 0.3:
            session.add(CardTag(card_id=card.id, tag_id=ident(rng.choice(tags))))
    session.commit()


def measure(cards: int, folder: Path) -> float:
    """Return the median ms to render the workspace and the report of a group of `cards`."""
    engine = make_engine(f"sqlite:///{folder / f'bench-{cards}.db'}")
    create_schema(engine)
    with Session(engine) as session:
        meeting = load_meeting(session, ROOT / "meetings" / "puerto-vallarta-2017.toml")
        group = meeting_groups(session, meeting)[5]
        populate(session, group, cards, random.Random(cards))
        user = User(
            username="r",
            display_name="R",
            role="rapporteur",
            password_hash=hash_password("bench password"),
        )
        session.add(user)
        session.flush()
        session.add(RapporteurGroup(user_id=ident(user), group_id=ident(group)))
        session.commit()
    app = create_app()

    async def override():  # type: ignore[no-untyped-def]
        with new_session(engine) as s:
            yield s

    app.dependency_overrides[get_session] = override
    timings = []
    with TestClient(app) as client:
        client.post("/signin", data={"username": "r", "password": "bench password"})
        for run in range(RUNS + 1):
            began = time.perf_counter()
            for path in ("/groups/human", "/groups/human/report"):
                response = client.get(path)
                assert response.status_code == 200, response.status_code
            if run:  # the first run warms caches (templates, catalogs)
                timings.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return statistics.median(timings)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        small = measure(50, Path(folder))
        large = measure(2000, Path(folder))
    ratio = large / small
    print(
        f"workspace + report, median of {RUNS}: 50 cards {small:.1f} ms, 2000 cards {large:.1f} ms"
    )
    print(f"cards=2000 ms={large:.1f} ms_50={small:.1f} ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
