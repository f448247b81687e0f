"""The meeting's themes proposed as tags for the cards that seem to be about them.

A theme's vector is the average of its descriptions' vectors in every language the meeting
file gives, compared with a card's vector as stored, not centred by language. Measured on the
labelled cards of bench/data/grouping (130 cards mapped by hand to the six Puerto Vallarta
themes, sentence encoder): the right theme first for 64% of the cards and among the first two
for 79% that way; 61% and 79% with the description in the card's own language only; 48% and
67% with card and theme vectors centred by the meeting's language means (a meeting's cards are
all about migration, so their mean takes away much of what tells the themes apart).

Nothing is put on a card until a rapporteur accepts a proposal (app.workspace.set_tag); a
proposal turned down (`TagRefusal`) is not made again for that card.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sqlmodel import Session, col, select

from app.models import Card, CardTag, CardVector, Group, Tag, TagRefusal, ident
from app.similarity import Encoder, Vectors, encoder

# Chosen on the same 130 cards: at 0.25 about two cards in three get a proposal and the
# first proposal is the right theme for three in five of them; a second is made only when it
# is nearly as close as the first (within MARGIN), which keeps a card from always getting two.
FLOOR = 0.25
MARGIN = 0.05
PER_CARD = 2


@dataclass
class TagProposal:
    """A theme proposed for a card, and how close the card is to it."""

    tag: Tag
    score: float


def described_themes(session: Session, meeting_id: int) -> list[Tag]:
    """Return the meeting's themes that have a description, the only ones ever proposed."""
    query = select(Tag).where(Tag.meeting_id == meeting_id, col(Tag.group_id).is_(None))
    return [tag for tag in session.exec(query.order_by(col(Tag.id))) if _texts(tag)]


def _texts(tag: Tag) -> tuple[str, ...]:
    return tuple(sorted(t.strip() for t in (tag.description or {}).values() if t.strip()))


@lru_cache(maxsize=256)
def _theme_vector(model: str, texts: tuple[str, ...]) -> Vectors:
    # A theme's descriptions change only when the meeting file is loaded again: encoded once.
    using = encoder()
    assert using.name == model
    return _mean_unit(using.encode(list(texts)))


def _mean_unit(vectors: Vectors) -> Vectors:
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm else mean).astype(np.float32)


def theme_matrix(themes: Sequence[Tag], using: Encoder) -> Vectors:
    """Return one unit vector per theme: its descriptions' vectors averaged."""
    return np.stack([_theme_vector(using.name, _texts(tag)) for tag in themes])


def _card_vectors(session: Session, card_ids: Sequence[str], model: str) -> dict[str, Vectors]:
    """The stored, uncentred vectors of these cards that are up to date."""
    rows = session.exec(
        select(CardVector.card_id, CardVector.vector)
        .join(Card, col(Card.id) == CardVector.card_id)
        .where(
            col(CardVector.card_id).in_(card_ids),
            col(CardVector.model) == model,
            col(CardVector.card_version) == col(Card.version),
        )
    ).all()
    return {card_id: np.frombuffer(vector, dtype=np.float32) for card_id, vector in rows}


def tag_proposals(
    session: Session, group: Group, cards: Sequence[Card]
) -> dict[str, list[TagProposal]]:
    """For each card, up to two described themes it is close to, best first; never a theme
    the card already has or one a rapporteur turned down for it."""
    ids = [card.id for card in cards]
    themes = described_themes(session, group.meeting_id) if ids else []
    if not themes:
        return {}
    using = encoder()
    vectors = _card_vectors(session, ids, using.name)
    if not vectors:
        return {}
    matrix = theme_matrix(themes, using)
    known = list(vectors)
    taken = _pairs(session, CardTag, known) | _pairs(session, TagRefusal, known)
    scores = np.stack([vectors[card_id] for card_id in known]) @ matrix.T
    found: dict[str, list[TagProposal]] = {}
    for row, card_id in enumerate(known):
        order = np.argsort(-scores[row], kind="stable")
        ranked = [(themes[i], float(scores[row, i])) for i in order]
        ranked = [(tag, s) for tag, s in ranked if s >= FLOOR and (card_id, tag.id) not in taken]
        best = ranked[0][1] if ranked else 0.0
        chosen = [TagProposal(tag, s) for tag, s in ranked[:PER_CARD] if s >= best - MARGIN]
        if chosen:
            found[card_id] = chosen
    return found


def _pairs(
    session: Session, table: type[CardTag] | type[TagRefusal], card_ids: list[str]
) -> set[tuple[str, int]]:
    query = select(table.card_id, table.tag_id).where(col(table.card_id).in_(card_ids))
    return {(card_id, tag_id) for card_id, tag_id in session.exec(query)}


def refuse(session: Session, card: Card, tag: Tag, user_id: int | None) -> None:
    """Keep a theme from being proposed for this card again."""
    if session.get(TagRefusal, (card.id, tag.id)) is None:
        session.add(TagRefusal(card_id=card.id, tag_id=ident(tag), user_id=user_id))
