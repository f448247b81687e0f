"""A group's workspace: reading its cards, filtering, tagging, and following new arrivals.

What rapporteurs make of the cards (recommendations, set-asides, suggestions) is in
app.grouping.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, true
from sqlmodel import Session, col, select

from app.forms import form_id
from app.grouping import awaiting_confirmation, is_grouped, is_set_aside, supported_cards
from app.i18n import get_language
from app.models import (
    Card,
    CardTag,
    CardVersion,
    Delegation,
    Group,
    LastLook,
    SetAside,
    Support,
    Tag,
    ident,
    utcnow,
)
from app.search import search_clause

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond any meeting; keeps OFFSET within what every database takes


def page_number(value: str) -> int:
    """Read a page number from a query string; anything else is the first page."""
    # "²" is a digit to isdigit() but not to int(), which reads no more than 4,300 digits.
    number = int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0
    return number if 0 < number < MAX_PAGE else 1


STATUSES = ("inbox", "grouped", "set_aside", "withdrawn", "all")


@dataclass
class CardFilter:
    """What the rapporteur chose to see; empty values mean everything."""

    status: str = "inbox"  # "to sort": what a rapporteur opens the workspace for
    kind: str = ""
    tag: int | None = None
    language: str = ""
    q: str = ""
    page: int = 1
    closeness: int = 0  # suggested groups: tighter (+1, +2...) or looser (-1...)

    @classmethod
    def from_params(cls, params: Any) -> "CardFilter":
        """Read filters from a query string, ignoring values that make no sense."""
        status = params.get("status", "inbox")
        return cls(
            status=status if status in STATUSES else "inbox",
            kind=params.get("kind", "")[:40],
            tag=form_id(params.get("tag", "")),
            language=params.get("language", "")[:8],
            q=params.get("q", "")[:200],
            page=page_number(params.get("page", "1")),
            closeness=_closeness(params.get("closeness", "")),
        )

    def query_string(self, **changes: Any) -> str:
        """Return these filters as a URL query, with some values changed; defaults left out."""
        values = {
            "status": self.status,
            "kind": self.kind,
            "tag": self.tag or "",
            "language": self.language,
            "q": self.q,
            "page": self.page,
            "closeness": self.closeness,
        }
        values.update(changes)
        defaults = {"status": "inbox", "page": 1, "closeness": 0}
        kept = {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}
        return urlencode(kept)


def _closeness(value: str) -> int:
    """Read the tighter/looser setting: a small whole number, 0 for anything else."""
    number = value.removeprefix("-")
    if not (number.isascii() and number.isdigit() and len(number) < 2):
        return 0
    return -int(number) if value.startswith("-") else int(number)


def _status_clause(status: str) -> ColumnElement[bool]:
    active = col(Card.status) == "active"
    if status == "inbox":
        return and_(active, not_(is_grouped()), not_(is_set_aside()))
    if status == "grouped":
        return and_(active, is_grouped())
    if status == "set_aside":
        return and_(active, is_set_aside())
    if status == "withdrawn":
        return col(Card.status) == "withdrawn"
    return true()


def _filter_clauses(session: Session, group: Group, f: CardFilter) -> list[ColumnElement[bool]]:
    clauses = [col(Card.group_id) == group.id, _status_clause(f.status)]
    if f.kind:
        clauses.append(col(Delegation.kind) == f.kind)
    if f.language:
        clauses.append(col(Card.language) == f.language)
    if f.tag:
        clauses.append(
            exists().where(col(CardTag.card_id) == col(Card.id), col(CardTag.tag_id) == f.tag)
        )
    if f.q.strip():
        clauses.append(search_clause(session, f.q))
    return clauses


@dataclass
class CardRow:
    """A card as the workspace shows it, with what the rapporteur did with it."""

    card: Card
    delegation: Delegation
    number: int
    tags: list[Tag] = field(default_factory=list)
    recommendation_ids: list[int] = field(default_factory=list)
    set_aside: SetAside | None = None
    is_new: bool = False
    supports: tuple[int, Delegation] | None = None  # the card it backs: number, delegation

    @property
    def place(self) -> str:
        return place_of(self.card, self.set_aside is not None, bool(self.recommendation_ids))


def place_of(card: Card, set_aside: bool, grouped: bool) -> str:
    """Say where a card went: withdrawn, set aside, into a recommendation, or still inbox."""
    if card.status == "withdrawn":
        return "withdrawn"
    if set_aside:
        return "set_aside"
    return "grouped" if grouped else "inbox"


def _numbered(group: Group) -> Any:
    """Number a group's cards 1, 2, 3... in order of arrival: the handle rapporteurs use."""
    number = func.row_number().over(order_by=(col(Card.created_at), col(Card.id)))
    return (
        select(col(Card.id).label("card_id"), number.label("number"))
        .where(col(Card.group_id) == group.id)
        .subquery()
    )


def list_cards(
    session: Session,
    group: Group,
    f: CardFilter,
    seen_at: datetime | None = None,
    upto: int | None = None,
) -> tuple[list[CardRow], int]:
    """Return one page of the group's cards matching the filters, and how many match.

    `upto`: only cards that had arrived by that arrival number, which the live view takes
    up from, so that a card arriving meanwhile is neither missed nor shown twice.
    """
    clauses = _filter_clauses(session, group, f)
    if upto is not None:
        clauses.append(or_(col(Card.seq) <= upto, col(Card.seq).is_(None)))
    total = session.exec(
        select(func.count())
        .select_from(Card)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(*clauses)
    ).one()
    numbers = _numbered(group)
    query = (
        select(Card, Delegation, numbers.c.number)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .join(numbers, numbers.c.card_id == Card.id)
        .where(*clauses)
        .order_by(col(Card.created_at), col(Card.id))
        .offset((max(f.page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = [
        CardRow(card=card, delegation=delegation, number=number)
        for card, delegation, number in session.exec(query)
    ]
    _attach(session, rows, seen_at)
    return rows, total


def filtered_ids(session: Session, group: Group, f: CardFilter) -> list[str]:
    """Return the ids of every card matching the filters, in order of arrival."""
    query = (
        select(Card.id)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(*_filter_clauses(session, group, f))
        .order_by(col(Card.created_at), col(Card.id))
    )
    return list(session.exec(query))


def card_by_number(session: Session, group: Group, number: int) -> str | None:
    """Return the id of the group's card with this number, if there is one."""
    if not 0 < number <= MAX_PAGE * PAGE_SIZE:
        return None
    numbers = _numbered(group)
    query = select(numbers.c.card_id).where(numbers.c.number == number)
    return session.exec(query).first()


def card_rows(session: Session, group: Group, card_ids: list[str]) -> list[CardRow]:
    """Return the workspace rows of some cards of the group, in order of arrival."""
    if not card_ids:
        return []
    numbers = _numbered(group)
    query = (
        select(Card, Delegation, numbers.c.number)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .join(numbers, numbers.c.card_id == Card.id)
        .where(col(Card.id).in_(card_ids))
        .order_by(col(Card.created_at), col(Card.id))
    )
    rows = [CardRow(card=c, delegation=d, number=n) for c, d, n in session.exec(query)]
    _attach(session, rows, None)
    return rows


@dataclass
class CardMarks:
    """What rapporteurs did with some cards: tags, recommendations backed, set-asides."""

    tags: dict[str, list[Tag]] = field(default_factory=lambda: defaultdict(list))
    supports: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    asides: dict[str, SetAside] = field(default_factory=dict)


def card_marks(session: Session, card_ids: Sequence[str]) -> CardMarks:
    """Read the marks of a page or batch of cards in three queries, not three per card."""
    marks = CardMarks()
    if not card_ids:
        return marks
    tag_query = (
        select(CardTag.card_id, Tag)
        .join(Tag, col(Tag.id) == CardTag.tag_id)
        .where(col(CardTag.card_id).in_(card_ids))
    )
    for card_id, tag in session.exec(tag_query):
        marks.tags[card_id].append(tag)
    for support in session.exec(select(Support).where(col(Support.card_id).in_(card_ids))):
        marks.supports[support.card_id].append(support.recommendation_id)
    for aside in session.exec(select(SetAside).where(col(SetAside.card_id).in_(card_ids))):
        marks.asides[aside.card_id] = aside
    return marks


def _attach(session: Session, rows: list[CardRow], seen_at: datetime | None) -> None:
    marks = card_marks(session, [row.card.id for row in rows])
    backed = supported_cards(session, [row.card for row in rows])
    for row in rows:
        row.supports = backed.get(row.card.id)
        row.tags = marks.tags.get(row.card.id, [])
        row.recommendation_ids = marks.supports.get(row.card.id, [])
        row.set_aside = marks.asides.get(row.card.id)
        row.is_new = seen_at is not None and row.card.created_at > seen_at


@dataclass
class Progress:
    """Where the group's cards stand, and who is not yet reflected in the report."""

    total: int = 0
    inbox: int = 0
    grouped: int = 0
    set_aside: int = 0
    withdrawn: int = 0
    unreflected_delegations: list[str] = field(default_factory=list)
    awaiting: int = 0  # placements whose card changed since (app.grouping.changed_placements)


def progress(session: Session, group: Group) -> Progress:
    """Count the group's cards by place, in a handful of aggregate queries."""
    result = Progress()
    group_cards = col(Card.group_id) == group.id
    result.total = session.exec(select(func.count()).where(group_cards)).one()
    for status in ("inbox", "grouped", "set_aside", "withdrawn"):
        clause = _status_clause(status)
        count = session.exec(
            select(func.count()).select_from(Card).where(group_cards, clause)
        ).one()
        setattr(result, status, count)
    names = session.exec(
        select(Delegation.name)
        .distinct()
        .join(Card, col(Card.delegation_id) == Delegation.id)
        .where(group_cards, _status_clause("inbox"))
        .order_by(col(Delegation.name))
    )
    result.unreflected_delegations = list(names)
    result.awaiting = awaiting_confirmation(session, group)
    return result


def new_since(session: Session, group: Group, moment: datetime) -> int:
    """Count the group's cards that arrived after a moment."""
    query = select(func.count()).where(col(Card.group_id) == group.id, Card.created_at > moment)
    return session.exec(query).one()


def changed_since(session: Session, group: Group, moment: datetime) -> int:
    """Count the group's cards, there before a moment, edited or withdrawn after it."""
    query = (
        select(func.count(func.distinct(CardVersion.card_id)))
        .join(Card, col(Card.id) == CardVersion.card_id)
        .where(
            col(Card.group_id) == group.id,
            col(Card.created_at) <= moment,
            col(CardVersion.action).in_(("edit", "withdraw", "reinstate")),
            col(CardVersion.created_at) > moment,
        )
    )
    return session.exec(query).one()


# Cards sent to an open workspace in one answer; a longer backlog follows at once.
ARRIVALS_BATCH = 100


def last_arrival(session: Session, group: Group) -> int:
    """Return the arrival number of the group's latest card: where the live view takes up."""
    query = select(func.max(Card.seq)).where(col(Card.group_id) == group.id)
    return session.exec(query).one() or 0


@dataclass
class Arrivals:
    """Cards that arrived after a cursor, the cursor to ask from next, and whether more wait."""

    rows: list[CardRow]
    cursor: int
    more: bool


def arrivals(session: Session, group: Group, f: CardFilter, after: int) -> Arrivals:
    """Return the next cards, in commit order, that arrived after the `after` cursor.

    The cursor moves past every card looked at, shown or filtered out, so each card reaches
    the workspace exactly once however fast cards come.
    """
    batch = session.exec(
        select(Card.id, Card.seq)
        .where(col(Card.group_id) == group.id, col(Card.seq) > after)
        .order_by(col(Card.seq))
        .limit(ARRIVALS_BATCH)
    ).all()
    if not batch:
        return Arrivals([], after, more=False)
    shown = session.exec(
        select(Card.id)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(col(Card.id).in_([card_id for card_id, _seq in batch]))
        .where(*_filter_clauses(session, group, f))
    ).all()
    cursor = batch[-1][1] or after
    return Arrivals(card_rows(session, group, list(shown)), cursor, len(batch) == ARRIVALS_BATCH)


def last_look(session: Session, user_id: int, group: Group) -> datetime | None:
    """Return when the person last marked the workspace as seen (None: never)."""
    look = session.get(LastLook, (user_id, group.id))
    return look.seen_at if look else None


def mark_seen(session: Session, user_id: int, group: Group, shown_at: datetime) -> None:
    """Remember what the person has seen: the page as it was at `shown_at`.

    The page's own time, not the click's, so cards that arrived while it was open stay new.
    """
    look = session.get(LastLook, (user_id, group.id))
    look = look or LastLook(user_id=user_id, group_id=ident(group))
    look.seen_at = min(shown_at, utcnow())
    session.add(look)
    session.commit()


# --- Tags -------------------------------------------------------------------------------------


def group_tags(session: Session, group: Group) -> list[Tag]:
    """Return the meeting's themes and the group's own tags."""
    query = select(Tag).where(
        col(Tag.meeting_id) == group.meeting_id,
        or_(col(Tag.group_id).is_(None), col(Tag.group_id) == group.id),
    )
    return sorted(session.exec(query), key=lambda t: (t.group_id is not None, t.id or 0))


def create_tag(session: Session, group: Group, name: str, language: str) -> Tag:
    """Make a tag for the group, or return the one of that name."""
    for tag in group_tags(session, group):
        if name.casefold() in (n.casefold() for n in tag.name.values()):
            return tag
    tag = Tag(meeting_id=group.meeting_id, group_id=group.id, slug=name[:80], name={language: name})
    session.add(tag)
    session.flush()
    return tag


def tag_in_form(session: Session, group: Group, form: dict[str, str]) -> Tag | None:
    """Return the tag a form names: a new one by name (made now), or one of the group's."""
    if form.get("new_tag", "").strip():
        return create_tag(session, group, form["new_tag"].strip()[:80], get_language())
    tag_id = form_id(form.get("tag", ""))
    return next((t for t in group_tags(session, group) if t.id == tag_id), None)


def set_tag(session: Session, card: Card, tag: Tag, on: bool) -> None:
    """Put a tag on a card, or take it off."""
    existing = session.get(CardTag, (card.id, tag.id))
    if on and existing is None:
        session.add(CardTag(card_id=card.id, tag_id=ident(tag)))
    elif not on and existing is not None:
        session.delete(existing)
