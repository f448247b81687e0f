"""Cards as files for the secretariat: CSV that Excel opens, and JSON."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from app.meetings import meeting_groups
from app.models import Card, Delegation, Meeting

# A spreadsheet runs a cell that starts like a formula; a leading apostrophe keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """Make a cell safe to open in a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def card_records(
    session: Session, meeting: Meeting, group_slug: str | None = None
) -> Iterator[dict[str, Any]]:
    """Yield every card of a meeting (or of one group) as a flat record, oldest first."""
    groups = {g.id: g for g in meeting_groups(session, meeting)}
    query = (
        select(Card, Delegation)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(Card.meeting_id == meeting.id)
        .order_by(col(Card.created_at), col(Card.id))
    )
    for card, delegation in session.exec(query):
        group = groups[card.group_id]
        if group_slug and group.slug != group_slug:
            continue
        yield {
            "id": card.id,
            "group": group.slug,
            "delegation": delegation.name,
            "delegation_kind": delegation.kind,
            "language": card.language,
            "author_name": card.author_name,
            "status": card.status,
            "version": card.version,
            "created_at": card.created_at.isoformat(timespec="seconds"),
            "updated_at": card.updated_at.isoformat(timespec="seconds"),
            "answers": card.answers,
        }


def cards_csv(records: list[dict[str, Any]]) -> str:
    """Return records as CSV with a byte-order mark, one column per question asked."""
    questions: list[str] = []
    for record in records:
        questions += [k for k in record["answers"] if k not in questions]
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only when the file says so
    writer = csv.writer(out)
    columns = [k for k in records[0] if k != "answers"] if records else ["id"]
    writer.writerow(columns + questions)
    for record in records:
        row = [str(record[c]) for c in columns] + [record["answers"].get(q, "") for q in questions]
        writer.writerow([neutralize(v) for v in row])
    return out.getvalue()


def cards_json(records: list[dict[str, Any]]) -> str:
    """Return records as pretty JSON, non-Latin text kept readable."""
    return json.dumps(records, ensure_ascii=False, indent=2)
