"""A group's workspace: reading and sorting its cards into recommendations.

Every card is in exactly one place: the inbox, one or more recommendations, or set aside
(off topic, a duplicate, or withdrawn by its delegation).
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, select

from app.forms import form_id
from app.models import (
    Card,
    CardTag,
    Delegation,
    Group,
    LastLook,
    Recommendation,
    SetAside,
    Support,
    Tag,
    ident,
    utcnow,
)
from app.review import forget_recommendation
from app.search import search_clause

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond any meeting; keeps OFFSET within what every database takes


def page_number(value: str) -> int:
    """Read a page number from a query string; anything else is the first page."""
    return int(value) if value.isdigit() and 0 < int(value) < MAX_PAGE else 1


STATUSES = ("inbox", "grouped", "set_aside", "withdrawn", "all")
SET_ASIDE_REASONS = ("off_topic", "duplicate")


@dataclass
class CardFilter:
    """What the rapporteur chose to see; empty values mean everything."""

    status: str = "all"
    kind: str = ""
    tag: int | None = None
    language: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> "CardFilter":
        """Read filters from a query string, ignoring values that make no sense."""
        status = params.get("status", "all")
        return cls(
            status=status if status in STATUSES else "all",
            kind=params.get("kind", "")[:40],
            tag=form_id(params.get("tag", "")),
            language=params.get("language", "")[:8],
            q=params.get("q", "")[:200],
            page=page_number(params.get("page", "1")),
        )

    def query_string(self, **changes: Any) -> str:
        """Return these filters as a URL query, with some values changed."""
        values = {
            "status": self.status,
            "kind": self.kind,
            "tag": self.tag or "",
            "language": self.language,
            "q": self.q,
            "page": self.page,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1, "all")})


def _has_support() -> ColumnElement[bool]:
    return exists().where(col(Support.card_id) == col(Card.id))


def _is_set_aside() -> ColumnElement[bool]:
    return exists().where(col(SetAside.card_id) == col(Card.id))


def _status_clause(status: str) -> ColumnElement[bool]:
    active = col(Card.status) == "active"
    if status == "inbox":
        return and_(active, not_(_has_support()), not_(_is_set_aside()))
    if status == "grouped":
        return and_(active, _has_support())
    if status == "set_aside":
        return and_(active, _is_set_aside())
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
    for row in rows:
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
    return result


def new_since(session: Session, group: Group, moment: datetime) -> int:
    """Count the group's cards that arrived after a moment."""
    query = select(func.count()).where(col(Card.group_id) == group.id, Card.created_at > moment)
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
    """Return when the person last opened the workspace, and remember that they do now."""
    look = session.get(LastLook, (user_id, group.id))
    previous = look.seen_at if look else None
    look = look or LastLook(user_id=user_id, group_id=ident(group))
    look.seen_at = utcnow()
    session.add(look)
    session.commit()
    return previous


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


def set_tag(session: Session, card: Card, tag: Tag, on: bool) -> None:
    """Put a tag on a card, or take it off."""
    existing = session.get(CardTag, (card.id, tag.id))
    if on and existing is None:
        session.add(CardTag(card_id=card.id, tag_id=ident(tag)))
    elif not on and existing is not None:
        session.delete(existing)


# --- Recommendations --------------------------------------------------------------------------


@dataclass
class SupportingCard:
    """What a recommendation needs of a card behind it (lighter than loading the card)."""

    id: str
    answers: dict[str, str]
    language: str


@dataclass
class RecommendationView:
    """A recommendation with the cards and delegations behind it."""

    recommendation: Recommendation
    number: int = 0  # its place in the rapporteur's list: R1, R2...
    cards: list[SupportingCard] = field(default_factory=list)
    delegations: list[Delegation] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    means: list[str] = field(default_factory=list)
    partnerships: list[str] = field(default_factory=list)

    @property
    def support(self) -> int:
        return len(self.delegations)


def recommendations(session: Session, group: Group) -> list[RecommendationView]:
    """Return the group's recommendations in the rapporteur's order, with their support."""
    query = select(Recommendation).where(Recommendation.group_id == group.id)
    recs = list(session.exec(query.order_by(col(Recommendation.position), col(Recommendation.id))))
    views = {ident(r): RecommendationView(r, number) for number, r in enumerate(recs, start=1)}
    if not views:
        return []
    # Plain columns, not whole rows: a busy group has thousands of supporting cards.
    support_query = (
        sa_select(  # sqlmodel's select is typed for at most four columns
            col(Support.recommendation_id),
            col(Card.id),
            col(Card.answers),
            col(Card.language),
            Delegation,
        )
        .join(Card, col(Card.id) == Support.card_id)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(col(Support.recommendation_id).in_(views), col(Card.status) == "active")
        .order_by(col(Card.created_at))
    )
    seen: dict[int, set[int]] = defaultdict(set)
    for rec_id, card_id, answers, language, delegation in session.execute(support_query):
        view = views[rec_id]
        card = SupportingCard(card_id, answers, language)
        view.cards.append(card)
        if delegation.id not in seen[rec_id]:
            seen[rec_id].add(ident(delegation))
            view.delegations.append(delegation)
            view.kinds[delegation.kind] += 1
        _add_distinct(view.means, card.answers.get("means", ""))
        _add_distinct(view.partnerships, card.answers.get("partnerships", ""))
    return list(views.values())


def _add_distinct(texts: list[str], text: str) -> None:
    key = " ".join(text.split()).casefold()
    if key and all(" ".join(t.split()).casefold() != key for t in texts):
        texts.append(text)


def recommendation_numbered(session: Session, group: Group, number: str) -> Recommendation | None:
    """Return the recommendation a rapporteur names by its number in the list ("R3" or "3")."""
    number = number.strip().upper().removeprefix("R")
    if not number.isdigit() or not 0 < int(number) <= MAX_PAGE:
        return None
    query = select(Recommendation).where(Recommendation.group_id == group.id)
    ordered = query.order_by(col(Recommendation.position), col(Recommendation.id))
    return session.exec(ordered.offset(int(number) - 1).limit(1)).first()


def by_support(views: list[RecommendationView]) -> list[RecommendationView]:
    """Order recommendations for the report: most supported first, then the rapporteur's order."""
    return sorted(views, key=lambda v: -v.support)


def create_recommendation(
    session: Session, group: Group, text: str, card_ids: Sequence[str] = ()
) -> Recommendation:
    """Write a new recommendation at the end of the list, backed by some cards."""
    last = session.exec(
        select(func.max(Recommendation.position)).where(Recommendation.group_id == group.id)
    ).one()
    rec = Recommendation(group_id=ident(group), text=text, position=(last or 0) + 1)
    session.add(rec)
    session.flush()
    for card_id in card_ids:
        add_support(session, rec, card_id)
    return rec


def add_support(session: Session, rec: Recommendation, card_id: str) -> None:
    """Count a card behind a recommendation; it leaves the inbox (and any set-aside)."""
    if session.get(Support, (rec.id, card_id)) is None:
        session.add(Support(recommendation_id=ident(rec), card_id=card_id))
    aside = session.get(SetAside, card_id)
    if aside is not None:
        session.delete(aside)


def remove_support(session: Session, rec: Recommendation, card_id: str) -> None:
    """Take a card from behind a recommendation."""
    support = session.get(Support, (rec.id, card_id))
    if support is not None:
        session.delete(support)


def move_card(
    session: Session, card_id: str, source: Recommendation, target: Recommendation
) -> None:
    """Move a card from one recommendation to another."""
    remove_support(session, source, card_id)
    add_support(session, target, card_id)


def merge(session: Session, source: Recommendation, target: Recommendation) -> None:
    """Fold one recommendation into another: its cards now support the target."""
    for support in session.exec(select(Support).where(Support.recommendation_id == source.id)):
        if session.get(Support, (target.id, support.card_id)) is None:
            session.add(Support(recommendation_id=ident(target), card_id=support.card_id))
        session.delete(support)
    forget_recommendation(session, source, into=target)
    session.flush()
    session.delete(source)


def split(
    session: Session, group: Group, source: Recommendation, card_ids: list[str], text: str
) -> Recommendation:
    """Make a new recommendation from some of the cards behind another."""
    new = create_recommendation(session, group, text)
    for card_id in card_ids:
        move_card(session, card_id, source, new)
    return new


def reorder(session: Session, group: Group, rec: Recommendation, step: int) -> None:
    """Move a recommendation up (-1) or down (+1) in the rapporteur's list."""
    query = select(Recommendation).where(Recommendation.group_id == group.id)
    ordered = list(
        session.exec(query.order_by(col(Recommendation.position), col(Recommendation.id)))
    )
    index = ordered.index(rec)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
        session.add(item)


def delete_recommendation(session: Session, rec: Recommendation) -> None:
    """Delete a recommendation; cards behind nothing else go back to the inbox."""
    session.exec(delete(Support).where(col(Support.recommendation_id) == rec.id))
    forget_recommendation(session, rec, into=None)
    session.delete(rec)


# --- Set aside --------------------------------------------------------------------------------


def set_aside(
    session: Session, card: Card, reason: str, duplicate_of: str | None, user_id: int | None
) -> None:
    """Leave a card out of the report, saying why; it no longer backs any recommendation."""
    session.exec(delete(Support).where(col(Support.card_id) == card.id))
    aside = session.get(SetAside, card.id) or SetAside(card_id=card.id, reason=reason)
    aside.reason, aside.duplicate_of, aside.user_id = reason, duplicate_of, user_id
    aside.created_at = utcnow()
    session.add(aside)


def restore(session: Session, card: Card) -> None:
    """Put a set-aside card back in the inbox."""
    aside = session.get(SetAside, card.id)
    if aside is not None:
        session.delete(aside)
