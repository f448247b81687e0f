"""Demo data: about 300 cards written the way delegations write, for a living first look."""

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.access import issue_code
from app.audit import delegation_actor
from app.cards import create_card, read_card_input, withdraw_card
from app.meetings import import_delegations, meeting_groups, read_delegations_csv
from app.models import Card, CardVersion, Delegation, Meeting

DEMO = Path(__file__).parent.parent / "meetings"
# A handful of cards the demo shows as withdrawn, so that history and status are visible.
WITHDRAWN_EVERY = 60


def load_demo(session: Session, meeting: Meeting) -> int:
    """Add demo delegations and cards (again safely: ids are stable); return the cards added."""
    result = import_delegations(session, read_delegations_csv(DEMO / "demo-delegations.csv"))
    if result.errors:
        raise ValueError("; ".join(result.errors))
    delegations = {d.name: d for d in session.exec(select(Delegation))}
    groups = meeting_groups(session, meeting)
    added = 0
    for number, raw in enumerate(_demo_cards()):
        delegation = delegations[raw["delegation"]]
        access = issue_code(session, meeting, delegation)
        session.flush()
        card = read_card_input(meeting, groups, raw, raw["answers"])
        if not card.ok:
            raise ValueError(f"demo card {number}: {card.errors}")
        card_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"actioncards-demo:{meeting.slug}:{number}"))
        stored, created = create_card(session, meeting, delegation, card_id, card, access.id)
        if created:
            _backdate(session, meeting, stored, raw)
            if number % WITHDRAWN_EVERY == WITHDRAWN_EVERY - 1:
                withdraw_card(session, stored, delegation_actor(delegation))
            added += 1
    return added


def _demo_cards() -> list[dict]:
    cards = []
    for path in sorted(DEMO.glob("demo-cards-*.json")):
        cards += json.loads(path.read_text(encoding="utf-8"))
    return cards


def _backdate(session: Session, meeting: Meeting, card: Card, raw: dict) -> None:
    # Action groups sit on day 2 from 09:30, follow-up on day 3, in the meeting's time zone.
    day = meeting.start_date + timedelta(days=2 if raw["group"] == "follow-up" else 1)
    local = datetime.combine(day, time(9, 30), ZoneInfo(meeting.timezone))
    card.created_at = card.updated_at = (local + timedelta(minutes=raw["minutes"])).astimezone(UTC)
    for version in session.exec(select(CardVersion).where(CardVersion.card_id == card.id)):
        version.created_at = card.created_at
        session.add(version)
    session.add(card)
    session.commit()
