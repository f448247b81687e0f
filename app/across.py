"""Reading across groups: every card of the meeting, one delegation's contributions, and the
rows the exports write. Co-facilitators and the secretariat see all groups at once.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.forms import form_id
from app.meetings import meeting_groups
from app.models import (
    Card,
    Delegation,
    Group,
    Meeting,
    Recommendation,
    Tag,
    ident,
)
from app.search import search_clause
from app.workspace import card_marks, page_number, place_of

PAGE_SIZE = 50
STATUSES = ("active", "withdrawn", "all")
# Rows read from the database at a time when an export streams every card.
EXPORT_BATCH = 500


@dataclass
class MeetingFilter:
    """What the reader chose to see across the meeting; empty values mean everything."""

    q: str = ""
    group: str = ""  # a group's slug
    kind: str = ""
    language: str = ""
    delegation: int | None = None
    status: str = "active"
    page: int = 1

    def query_string(self, **changes: Any) -> str:
        """Return these filters as a URL query, with some values changed."""
        values = {
            "q": self.q,
            "group": self.group,
            "kind": self.kind,
            "language": self.language,
            "delegation": self.delegation or "",
            "status": self.status,
            "page": self.page,
        }
        values.update(changes)
        skip = ("", None, 1, "active")
        return urlencode({k: v for k, v in values.items() if v not in skip})

    @classmethod
    def from_params(cls, params: Any) -> "MeetingFilter":
        """Read filters from a query string, ignoring values that make no sense."""
        status = params.get("status", "active")
        return cls(
            q=params.get("q", "")[:200],
            group=params.get("group", "")[:40],
            kind=params.get("kind", "")[:40],
            language=params.get("language", "")[:8],
            delegation=form_id(params.get("delegation", "")),
            status=status if status in STATUSES else "active",
            page=page_number(params.get("page", "1")),
        )


def _clauses(
    session: Session, meeting: Meeting, groups: list[Group], f: MeetingFilter
) -> list[ColumnElement[bool]]:
    clauses = [col(Card.meeting_id) == meeting.id]
    if f.status != "all":
        clauses.append(col(Card.status) == f.status)
    if f.group:
        ids = [ident(g) for g in groups if g.slug == f.group]
        clauses.append(col(Card.group_id).in_(ids))
    if f.kind:
        clauses.append(col(Delegation.kind) == f.kind)
    if f.language:
        clauses.append(col(Card.language) == f.language)
    if f.delegation:
        clauses.append(col(Card.delegation_id) == f.delegation)
    if f.q.strip():
        clauses.append(search_clause(session, f.q))
    return clauses


def _numbered() -> Any:
    """Number each group's cards 1, 2, 3... in order of arrival, as its workspace does."""
    number = func.row_number().over(
        partition_by=col(Card.group_id), order_by=(col(Card.created_at), col(Card.id))
    )
    return select(col(Card.id).label("card_id"), number.label("number")).subquery()


@dataclass
class CardEntry:
    """A card as the cross-group views and the exports show it."""

    card: Card
    delegation: Delegation
    group: Group
    number: int
    tags: list[Tag] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)  # "R3" in its group's list
    set_aside: str = ""  # off_topic | duplicate, or empty

    @property
    def place(self) -> str:
        return place_of(self.card, bool(self.set_aside), bool(self.recommendations))


def _query(session: Session, meeting: Meeting, groups: list[Group], f: MeetingFilter) -> Any:
    numbers = _numbered()
    return (
        select(Card, Delegation, numbers.c.number)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .join(numbers, numbers.c.card_id == Card.id)
        .where(*_clauses(session, meeting, groups, f))
    )


def search(session: Session, meeting: Meeting, f: MeetingFilter) -> tuple[list[CardEntry], int]:
    """Return one page of the meeting's cards matching the filters, and how many match."""
    groups = meeting_groups(session, meeting)
    total = session.exec(
        select(func.count())
        .select_from(Card)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(*_clauses(session, meeting, groups, f))
    ).one()
    query = (
        _query(session, meeting, groups, f)
        .order_by(col(Card.created_at), col(Card.id))
        .offset((f.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    by_id = {ident(g): g for g in groups}
    entries = [CardEntry(c, d, by_id[c.group_id], n) for c, d, n in session.exec(query)]
    _attach(session, entries, _recommendation_numbers(session, groups))
    return entries, total


def contributions(
    session: Session, meeting: Meeting, delegation: Delegation
) -> list[tuple[Group, list[CardEntry]]]:
    """Return a delegation's cards in every group, withdrawn ones included, group by group."""
    f = MeetingFilter(delegation=ident(delegation), status="all")
    by_group: dict[int, tuple[Group, list[CardEntry]]] = {}
    for entry in iter_entries(session, meeting, f):  # group by group, in the groups' order
        by_group.setdefault(ident(entry.group), (entry.group, []))[1].append(entry)
    return list(by_group.values())


def iter_entries(session: Session, meeting: Meeting, f: MeetingFilter) -> Iterator[CardEntry]:
    """Yield every card matching the filters, group by group in order of arrival, in batches
    so that an export of the whole meeting never holds every card in memory at once."""
    groups = meeting_groups(session, meeting)
    by_id = {ident(g): g for g in groups}
    numbers = _recommendation_numbers(session, groups)
    query = (
        _query(session, meeting, groups, f)
        .join(Group, col(Group.id) == Card.group_id)
        .order_by(col(Group.number), col(Card.created_at), col(Card.id))
    )
    batch: list[CardEntry] = []
    rows = session.exec(query.execution_options(yield_per=EXPORT_BATCH))
    for card, delegation, number in rows:
        batch.append(CardEntry(card, delegation, by_id[card.group_id], number))
        if len(batch) == EXPORT_BATCH:
            yield from _attached(session, batch, numbers)
            batch = []
    yield from _attached(session, batch, numbers)


def _attached(
    session: Session, entries: list[CardEntry], numbers: dict[int, str]
) -> list[CardEntry]:
    _attach(session, entries, numbers)
    return entries


def _attach(session: Session, entries: list[CardEntry], numbers: dict[int, str]) -> None:
    marks = card_marks(session, [entry.card.id for entry in entries])
    for entry in entries:
        card_id = entry.card.id
        entry.tags = marks.tags.get(card_id, [])
        recs = [numbers.get(rec_id, "") for rec_id in marks.supports.get(card_id, [])]
        entry.recommendations = sorted(recs, key=lambda r: int(r[1:] or 0))
        aside = marks.asides.get(card_id)
        entry.set_aside = aside.reason if aside else ""


def _recommendation_numbers(session: Session, groups: list[Group]) -> dict[int, str]:
    """Return "R1", "R2"... for every recommendation, numbered in its group's list."""
    position = func.row_number().over(
        partition_by=col(Recommendation.group_id),
        order_by=(col(Recommendation.position), col(Recommendation.id)),
    )
    query = sa_select(col(Recommendation.id), position).where(
        col(Recommendation.group_id).in_([ident(g) for g in groups])
    )
    return {rec_id: f"R{number}" for rec_id, number in session.execute(query)}
