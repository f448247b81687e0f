"""Grouping a group's cards: recommendations, the cards behind them, and set-asides.

Every card is in exactly one place: the inbox, one or more recommendations, or set aside
(off topic, a duplicate, or withdrawn by its delegation).
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, select

from app.models import (
    Card,
    CardVersion,
    Delegation,
    Group,
    Recommendation,
    SetAside,
    Support,
    ident,
    utcnow,
)
from app.review import forget_recommendation

SET_ASIDE_REASONS = ("off_topic", "duplicate", "not_recommendation", "outside_dimension", "other")
NOTE_LIMIT = 500  # the words of an "other" reason
MAX_NUMBER = 100_000  # no group has more recommendations; keeps OFFSET within every database


def is_grouped() -> ColumnElement[bool]:
    """The condition for a card that stands behind at least one recommendation."""
    return exists().where(col(Support.card_id) == col(Card.id))


def is_set_aside() -> ColumnElement[bool]:
    """The condition for a card the report leaves out."""
    return exists().where(col(SetAside.card_id) == col(Card.id))


def ordered(group: Group) -> Any:
    """The query for a group's recommendations in the rapporteur's order (R1, R2...)."""
    return (
        select(Recommendation)
        .where(Recommendation.group_id == group.id)
        .order_by(col(Recommendation.position), col(Recommendation.id))
    )


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
    recs = list(session.exec(ordered(group)))
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
    if not number.isdigit() or not 0 < int(number) <= MAX_NUMBER:
        return None
    return session.exec(ordered(group).offset(int(number) - 1).limit(1)).first()


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
    """Count a card behind a recommendation; it leaves the inbox (and any set-aside).

    The placement remembers the card's version: an edit or a withdrawal after it shows as
    "changed since placed" until a rapporteur confirms, moves or removes it.
    """
    if session.get(Support, (rec.id, card_id)) is None:
        version = _current_version(session, card_id)
        session.add(Support(recommendation_id=ident(rec), card_id=card_id, card_version=version))
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
    """Move a card from one recommendation to another, as it reads now (see add_support)."""
    remove_support(session, source, card_id)
    add_support(session, target, card_id)


def merge(session: Session, source: Recommendation, target: Recommendation) -> None:
    """Fold one recommendation into another: its cards now support the target."""
    for support in session.exec(select(Support).where(Support.recommendation_id == source.id)):
        kept = session.get(Support, (target.id, support.card_id))
        # The version the rapporteur last saw goes along: a change not yet confirmed stays so.
        seen = support.card_version or _current_version(session, support.card_id)
        if kept is None:
            session.add(
                Support(recommendation_id=ident(target), card_id=support.card_id, card_version=seen)
            )
        elif seen is not None and kept.card_version is not None and kept.card_version > seen:
            kept.card_version = seen
            session.add(kept)
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
    recs = list(session.exec(ordered(group)))
    index = recs.index(rec)
    other = index + step
    if 0 <= other < len(recs):
        recs[index], recs[other] = recs[other], recs[index]
    for position, item in enumerate(recs, start=1):
        item.position = position
        session.add(item)


def delete_recommendation(session: Session, rec: Recommendation) -> None:
    """Delete a recommendation; cards behind nothing else go back to the inbox."""
    session.exec(delete(Support).where(col(Support.recommendation_id) == rec.id))
    forget_recommendation(session, rec, into=None)
    session.delete(rec)


# --- Set aside --------------------------------------------------------------------------------


def set_aside(
    session: Session,
    card: Card,
    reason: str,
    duplicate_of: str | None,
    user_id: int | None,
    note: str = "",
) -> None:
    """Leave a card out of the report, saying why; it no longer backs any recommendation."""
    session.exec(delete(Support).where(col(Support.card_id) == card.id))
    aside = session.get(SetAside, card.id) or SetAside(card_id=card.id, reason=reason)
    aside.reason, aside.duplicate_of, aside.user_id = reason, duplicate_of, user_id
    aside.note = note
    aside.created_at = utcnow()
    session.add(aside)


def restore(session: Session, card: Card) -> None:
    """Put a set-aside card back in the inbox."""
    aside = session.get(SetAside, card.id)
    if aside is not None:
        session.delete(aside)


def number_of(session: Session, group: Group, rec: Recommendation) -> int:
    """Return the number rapporteurs call a recommendation by (R1, R2...)."""
    ids = [r.id for r in session.exec(ordered(group))]
    return ids.index(rec.id) + 1


# --- Changed since placed ---------------------------------------------------------------------


def _current_version(session: Session, card_id: str) -> int | None:
    card = session.get(Card, card_id)
    return card.version if card is not None else None


def _changed() -> ColumnElement[bool]:
    """The condition for a placement whose card was edited or withdrawn after it was placed."""
    return col(Card.version) > func.coalesce(col(Support.card_version), col(Card.version))


@dataclass
class ChangedPlacement:
    """A card behind a recommendation that its delegation edited or withdrew since."""

    recommendation_id: int
    card: Card
    delegation: Delegation
    placed: CardVersion | None  # the card as it read when placed (or last confirmed)

    @property
    def placed_version(self) -> int:
        return self.placed.version if self.placed else self.card.version - 1

    @property
    def withdrawn(self) -> bool:
        return self.card.status == "withdrawn"

    def compared(self, group: Group) -> list[tuple[str, str, str]]:
        """Return (question key, answer as placed, answer now) for each question either has."""
        before = self.placed.answers if self.placed else {}
        now = self.card.answers
        keys = [q["key"] for q in group.questions]
        keys += sorted((set(before) | set(now)) - set(keys))
        return [(k, before.get(k, ""), now.get(k, "")) for k in keys if before.get(k) or now.get(k)]


def changed_placements(session: Session, group: Group) -> dict[int, list[ChangedPlacement]]:
    """Return the group's placements whose card changed since, by recommendation id."""
    query = (
        select(Support, Card, Delegation)
        .join(Card, col(Card.id) == Support.card_id)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .join(Recommendation, col(Recommendation.id) == Support.recommendation_id)
        .where(col(Recommendation.group_id) == group.id, _changed())
        .order_by(col(Card.created_at), col(Card.id))
    )
    rows = session.exec(query).all()
    if not rows:
        return {}
    versions = session.exec(
        select(CardVersion).where(col(CardVersion.card_id).in_({c.id for _s, c, _d in rows}))
    )
    by_key = {(v.card_id, v.version): v for v in versions}
    found: dict[int, list[ChangedPlacement]] = defaultdict(list)
    for support, card, delegation in rows:
        placed = by_key.get((card.id, support.card_version or 0))
        found[support.recommendation_id].append(
            ChangedPlacement(support.recommendation_id, card, delegation, placed)
        )
    return dict(found)


def awaiting_confirmation(session: Session, group: Group) -> int:
    """Count the group's placements whose card changed since it was placed."""
    query = (
        select(func.count())
        .select_from(Support)
        .join(Card, col(Card.id) == Support.card_id)
        .join(Recommendation, col(Recommendation.id) == Support.recommendation_id)
        .where(col(Recommendation.group_id) == group.id, _changed())
    )
    return session.exec(query).one()


def confirm_placement(session: Session, support: Support, card: Card, seen: int) -> bool:
    """Keep a changed card where it is, as of the version the rapporteur saw; False if no-op.

    A version newer than the one seen stays to be confirmed: nothing changes unseen.
    """
    version = min(seen, card.version)
    if support.card_version is not None and version <= support.card_version:
        return False
    support.card_version = version
    session.add(support)
    return True


# --- Cards that back another delegation's card ----------------------------------------------


def placed_like(session: Session, card_id: str, supported_id: str) -> list[Support]:
    """Place a new card that backs another where that one stands: behind the same
    recommendations, or (returning none) in the inbox with it. Not yet added to the session."""
    recs = session.exec(select(Support.recommendation_id).where(Support.card_id == supported_id))
    return [Support(recommendation_id=rec, card_id=card_id, card_version=1) for rec in recs]


def supported_cards(session: Session, cards: Sequence[Card]) -> dict[str, tuple[int, Delegation]]:
    """For the cards among these that back another card: its number in its group, and who
    wrote it, by the backing card's id."""
    backing = {card.id: card.supports_card_id for card in cards if card.supports_card_id}
    if not backing:
        return {}
    groups = {card.group_id for card in cards if card.supports_card_id}
    # Numbered as the workspace numbers a group's cards: in order of arrival.
    number = func.row_number().over(
        partition_by=col(Card.group_id), order_by=(col(Card.created_at), col(Card.id))
    )
    numbered = (
        sa_select(col(Card.id).label("card_id"), col(Card.delegation_id), number.label("number"))
        .where(col(Card.group_id).in_(groups))
        .subquery()
    )
    query = (
        sa_select(numbered.c.card_id, numbered.c.number, Delegation)
        .join(Delegation, col(Delegation.id) == numbered.c.delegation_id)
        .where(numbered.c.card_id.in_(set(backing.values())))
    )
    found = {card_id: (n, delegation) for card_id, n, delegation in session.execute(query)}
    return {card: found[other] for card, other in backing.items() if other in found}
