"""Suggestions for a group's unplaced cards: which say the same thing, and where each may go.

The machine only proposes; the rapporteur decides. Every proposal says why: the words its
cards share, its languages, how close they are. A dismissed suggestion stays dismissed.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session, col, select

from app.embedding import card_text, meeting_vectors
from app.grouping import RecommendationView, is_grouped, is_set_aside
from app.models import (
    Card,
    Delegation,
    Group,
    SuggestionChoice,
    ident,
)
from app.search import fold
from app.similarity import STEP, THRESHOLD, Vectors, encoder, suggest

LIKELY_FLOOR = 0.25  # below this a recommendation is not proposed for a card at all
LABEL_LENGTH = 90


@dataclass
class Suggestion:
    """Unplaced cards that seem to say the same thing, and why they seem to."""

    cards: list[Card]
    label: str
    shared: list[str]  # words two or more of its cards use
    languages: list[str]
    closeness: float  # the average similarity between its cards


@dataclass
class Suggestions:
    """What the workspace proposes for a group's unplaced cards."""

    groups: list[Suggestion]
    alone: list[Card]  # unplaced cards close to no other
    not_compared: int  # unplaced cards whose vector is not computed yet
    threshold: float
    delegations: dict[int, Delegation] = field(default_factory=dict)  # who wrote each card


def unplaced(session: Session, group: Group) -> list[Card]:
    """Return the group's active cards that no recommendation has and none set aside."""
    query = select(Card).where(
        col(Card.group_id) == group.id,
        col(Card.status) == "active",
        ~is_grouped(),
        ~is_set_aside(),
    )
    return list(session.exec(query.order_by(col(Card.created_at), col(Card.id))))


def threshold_for(closeness: int) -> float:
    """Return the similarity threshold for the rapporteur's tighter (+) / looser (-) setting."""
    return THRESHOLD + STEP * max(-4, min(4, closeness))


def suggestions(session: Session, group: Group, closeness: int = 0) -> Suggestions:
    """Propose groups of the unplaced cards, minus what the rapporteurs dismissed."""
    cards = unplaced(session, group)
    vectors = meeting_vectors(session, group.meeting_id, encoder())
    ids, matrix = vectors.of([card.id for card in cards])
    by_id = {card.id: card for card in cards}
    dismissed, apart = _choices(session, group, ids)
    threshold = threshold_for(closeness)
    groups, alone = [], []
    languages = [by_id[i].language for i in ids] if encoder().by_language else []
    for members in suggest(matrix, threshold, apart, languages):
        chosen = [by_id[ids[i]] for i in members]
        if len(members) < 2 or any({c.id for c in chosen} <= seen for seen in dismissed):
            alone += chosen
            continue
        groups.append(_suggestion(group, chosen, matrix[members]))
    alone.sort(key=lambda c: (c.created_at, c.id))
    wrote = {card.delegation_id for card in cards}
    delegations = session.exec(select(Delegation).where(col(Delegation.id).in_(wrote)))
    by_delegation = {ident(d): d for d in delegations}
    return Suggestions(groups, alone, len(cards) - len(ids), threshold, by_delegation)


def _choices(
    session: Session, group: Group, ids: list[str]
) -> tuple[list[set[str]], list[tuple[int, int]]]:
    index = {card_id: i for i, card_id in enumerate(ids)}
    dismissed: list[set[str]] = []
    apart: list[tuple[int, int]] = []
    for choice in session.exec(
        select(SuggestionChoice).where(SuggestionChoice.group_id == group.id)
    ):
        if choice.kind == "dismissed":
            dismissed.append(set(choice.card_ids))
            continue
        taken, *others = choice.card_ids
        apart += [(index[taken], index[o]) for o in others if taken in index and o in index]
    return dismissed, apart


def _suggestion(group: Group, cards: list[Card], vectors: Vectors) -> Suggestion:
    sims = vectors @ vectors.T
    n = len(cards)
    closeness = float((sims.sum() - n) / (n * (n - 1)))
    medoid = int(sims.sum(axis=1).argmax())
    texts = [card_text(card, group) for card in cards]
    return Suggestion(
        cards=sorted(cards, key=lambda c: (c.created_at, c.id)),
        label=_shorten(texts[medoid]),
        shared=shared_words(texts),
        languages=sorted({card.language for card in cards}),
        closeness=closeness,
    )


def card_label(group: Group, card: Card) -> str:
    """Name a card by the beginning of what it says."""
    return _shorten(card_text(card, group))


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= LABEL_LENGTH:
        return text
    return text[:LABEL_LENGTH].rsplit(" ", 1)[0] + "…"


WORD = re.compile(r"\w{4,}")


def shared_words(texts: Sequence[str], most: int = 5) -> list[str]:
    """Return the words (as first written) that two or more of the texts use, most used first.

    Compared without case or accents; words of three letters or fewer are left out.
    """
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for text in texts:
        words: dict[str, str] = {}
        for word in WORD.findall(text):
            words.setdefault(fold(word), word)
        for key, word in words.items():
            counts[key] += 1
            first.setdefault(key, word)
    common = [key for key, count in counts.most_common() if count > 1]
    return [first[key] for key in common[:most]]


@dataclass
class Likely:
    """A recommendation a card probably belongs to, and why."""

    view: RecommendationView
    score: float
    nearest: str  # the closest of the cards already behind it
    shared: list[str]


def likely_recommendations(
    session: Session, group: Group, cards: Sequence[Card], views: list[RecommendationView]
) -> dict[str, list[Likely]]:
    """For each card, up to three recommendations it is closest to, best first."""
    vectors = meeting_vectors(session, group.meeting_id, encoder())
    texts = {c.id: " ".join(c.answers.values()) for view in views for c in view.cards}
    behind = []
    for view in views:
        ids, rows = vectors.of([c.id for c in view.cards])
        if ids:
            behind.append((view, ids, rows))
    found: dict[str, list[Likely]] = {}
    for card in cards:
        if card.id not in vectors.index:
            continue
        vector = vectors.matrix[vectors.index[card.id]]
        ranked = []
        for view, ids, rows in behind:
            sims = rows @ vector
            centre = rows.mean(axis=0)
            score = float(centre @ vector / (np.linalg.norm(centre) or 1))
            if score >= LIKELY_FLOOR:
                nearest = texts[ids[int(sims.argmax())]]
                shared = shared_words([card_text(card, group), nearest])
                ranked.append(Likely(view, score, _shorten(nearest), shared))
        found[card.id] = sorted(ranked, key=lambda likely: -likely.score)[:3]
    return found


def dismiss_suggestion(session: Session, group: Group, card_ids: list[str], user_id: int) -> None:
    """Keep a suggested group from being proposed again (unless a new card joins it)."""
    choice = SuggestionChoice(
        group_id=ident(group), kind="dismissed", card_ids=sorted(card_ids), user_id=user_id
    )
    session.add(choice)


def take_out_of_suggestion(
    session: Session, group: Group, card_id: str, others: list[str], user_id: int
) -> None:
    """Keep a card out of a suggested group: it is never proposed with those cards again."""
    kept = [other for other in others if other != card_id]
    choice = SuggestionChoice(
        group_id=ident(group), kind="apart", card_ids=[card_id, *kept], user_id=user_id
    )
    session.add(choice)
