"""Recommendations that recur across groups, so the same idea is not counted six times.

Six action groups hear many of the same delegations, and rapporteurs word the same idea a
little differently, or in another language. A recommendation is compared by what stands
behind it and what it says: the mean of its cards' stored vectors (centred by language, as
the workspace compares cards) plus the vector of its own wording, each of unit length.
Recommendations of different groups that are close (app.similarity.suggest, average linkage
at the workspace's THRESHOLD) are proposed as one idea. Co-facilitators confirm or reject
each proposal (RecurringChoice): only a confirmed idea counts once in the chair's summary,
and a rejected one is not proposed again unless its recommendations change.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session, col, select

from app import similarity
from app.embedding import meeting_vectors
from app.grouping import RecommendationView, recommendations
from app.meetings import meeting_groups
from app.models import Delegation, Group, Meeting, RecurringChoice, ident
from app.similarity import LanguageMeans, Vectors, centred, suggest
from app.suggestions import shared_words

DECISIONS = ("confirmed", "rejected")
_WORDINGS: dict[tuple[str, str], Vectors] = {}  # (model, text): vector, shared by requests
_WORDINGS_KEPT = 20_000


@dataclass
class Member:
    """One group's recommendation within a recurring idea."""

    group: Group
    view: RecommendationView


@dataclass
class Idea:
    """Recommendations of several groups that say the same thing, and why they were joined."""

    members: list[Member]
    delegations: list[Delegation] = field(default_factory=list)
    state: str = "proposed"  # proposed | confirmed | rejected
    similarity: float = 0.0  # the mean over its pairs of recommendations of different groups
    shared: list[str] = field(default_factory=list)  # words two or more of them use
    languages: list[str] = field(default_factory=list)  # of the cards behind them
    stored: list[int] = field(default_factory=list)  # a decision's ids, some since deleted

    @property
    def key(self) -> list[int]:
        """The sorted ids of its recommendations, as a RecurringChoice stores them."""
        return sorted(ident(m.view.recommendation) for m in self.members)

    @property
    def value(self) -> str:
        """The key as a form sends it back."""
        return ",".join(map(str, self.key))

    @property
    def groups(self) -> int:
        return len({ident(m.group) for m in self.members})

    @property
    def counted_separately(self) -> int:
        """The support the groups' reports add up to, counting a delegation in each group."""
        return sum(m.view.support for m in self.members)


@dataclass
class Recurring:
    proposed: list[Idea]
    confirmed: list[Idea]
    rejected: list[Idea]
    recommendations: int  # with cards behind them, in all groups
    distinct: int  # once each confirmed idea counts as one

    def find(self, key: Sequence[int]) -> Idea | None:
        """Return the idea shown with exactly these recommendations, whatever its state."""
        wanted = sorted(key)
        return next((i for i in self.every if i.key == wanted), None)

    @property
    def every(self) -> list[Idea]:
        return [*self.proposed, *self.confirmed, *self.rejected]


def recurring(session: Session, meeting: Meeting) -> Recurring:
    """Gather the meeting's recommendations that recur in several groups."""
    groups = meeting_groups(session, meeting)
    views = [(group, recommendations(session, group)) for group in groups]
    return recurring_among(session, meeting, views)


def recurring_among(
    session: Session, meeting: Meeting, groups: list[tuple[Group, list[RecommendationView]]]
) -> Recurring:
    """Propose the recommendations (with cards behind them) that recur in several groups, and
    apply the co-facilitators' choices: confirmed ideas count once, rejected ones stay so."""
    members = [Member(group, view) for group, views in groups for view in views if view.cards]
    members.sort(key=lambda m: (m.group.number, m.view.number))  # whatever order they came in
    vectors = recommendation_vectors(session, meeting.id or 0, members)
    row_of = {ident(m.view.recommendation): row for row, m in enumerate(members)}
    choices = _choices(session, meeting)

    def idea(rows: list[int], state: str, stored: Sequence[int] = ()) -> Idea:
        found = _idea([members[r] for r in rows], vectors[rows], state)
        found.stored = list(stored)
        return found

    def kept(key: Sequence[int]) -> list[int]:  # rows of those still there, spanning 2+ groups
        rows = [row_of[rec_id] for rec_id in key if rec_id in row_of]
        return rows if len({ident(members[r].group) for r in rows}) > 1 else []

    confirmed = [
        idea(rows, d, key) for key, d in choices.items() if d == "confirmed" if (rows := kept(key))
    ]
    rejected = [
        idea(rows, d, key) for key, d in choices.items() if d == "rejected" if (rows := kept(key))
    ]
    claimed = {rec_id for i in confirmed for rec_id in i.key}
    proposed = []
    for rows in suggest(vectors, similarity.THRESHOLD):
        if len({ident(members[r].group) for r in rows}) < 2:
            continue  # within a group, the rapporteurs merge what they find alike
        found = idea(rows, "proposed")
        if tuple(found.key) in choices or set(found.key) <= claimed:
            continue  # decided already, or all of it within a confirmed idea
        proposed.append(found)
    for ideas in (proposed, confirmed, rejected):
        ideas.sort(key=lambda i: (-len(i.delegations), -i.groups, i.key))
    folded = sum(len(i.members) - 1 for i in confirmed)
    return Recurring(proposed, confirmed, rejected, len(members), len(members) - folded)


def recommendation_vectors(session: Session, meeting_id: int, members: list[Member]) -> Vectors:
    """Return a unit vector per recommendation: its cards' mean plus its wording's, each unit.

    A recommendation whose cards have no vector yet (the embedder is behind) is compared by
    its wording alone.
    """
    using = similarity.encoder()
    wording = wording_vectors(using, [m.view.recommendation.text for m in members])
    cards = meeting_vectors(session, meeting_id, using)
    rows = wording.astype(np.float64)
    for row, member in enumerate(members):
        ids, found = cards.of([c.id for c in member.view.cards])
        if ids and found.shape[1] == rows.shape[1]:
            rows[row] += _unit(found.mean(axis=0, keepdims=True))[0]
    return _unit(rows)


def wording_vectors(using: similarity.Encoder, texts: list[str]) -> Vectors:
    """Encode recommendations' wordings (each only once per process), centred together where
    the encoder's vectors share a direction per language, as the cards' are."""
    missing = sorted({t for t in texts if (using.name, t) not in _WORDINGS})
    if missing:
        if len(_WORDINGS) + len(missing) > _WORDINGS_KEPT:
            _WORDINGS.clear()
        for text, vector in zip(missing, using.encode(missing), strict=True):
            _WORDINGS[(using.name, text)] = vector
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    vectors = np.stack([_WORDINGS[(using.name, t)] for t in texts])
    if using.by_language:  # the rapporteurs' language is one direction they all share
        same = ["wording"] * len(texts)
        vectors = centred(vectors, same, LanguageMeans.of(vectors, same))
    return vectors


def _unit(vectors: np.ndarray) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


def _choices(session: Session, meeting: Meeting) -> dict[tuple[int, ...], str]:
    """Return the standing decision on each set of recommendations (the latest one wins)."""
    query = (
        select(RecurringChoice)
        .where(RecurringChoice.meeting_id == meeting.id)
        .order_by(col(RecurringChoice.id))
    )
    return {tuple(sorted(c.recommendation_ids)): c.decision for c in session.exec(query)}


def _idea(members: list[Member], vectors: Vectors, state: str) -> Idea:
    order = sorted(
        range(len(members)), key=lambda r: (members[r].group.number, members[r].view.number)
    )
    members, vectors = [members[r] for r in order], vectors[order]
    delegations: dict[int, Delegation] = {}
    for member in members:
        for delegation in member.view.delegations:
            delegations.setdefault(ident(delegation), delegation)
    group_ids = np.array([ident(m.group) for m in members])
    apart = group_ids[:, None] != group_ids[None, :]
    sims = vectors @ vectors.T
    texts = [
        " ".join(
            [m.view.recommendation.text, *(" ".join(c.answers.values()) for c in m.view.cards)]
        )
        for m in members
    ]
    return Idea(
        members=members,
        delegations=list(delegations.values()),
        state=state,
        similarity=float(sims[apart].mean()) if apart.any() else 0.0,
        shared=shared_words(texts),
        languages=sorted({c.language for m in members for c in m.view.cards}),
    )


def decide(
    session: Session, meeting: Meeting, idea: Idea, decision: str, user_id: int | None
) -> None:
    """Store a co-facilitator's word on an idea ("confirmed", "rejected", or "" to withdraw it).

    A recommendation belongs to one confirmed idea at most, so confirming a larger set
    replaces the confirmed ideas it overlaps. Not committed.
    """
    key = idea.key
    standing = session.exec(
        select(RecurringChoice).where(RecurringChoice.meeting_id == meeting.id)
    ).all()
    for choice in standing:
        same = sorted(choice.recommendation_ids) in (key, idea.stored)
        overlaps = choice.decision == "confirmed" and bool(
            set(choice.recommendation_ids) & set(key)
        )
        if same or (decision == "confirmed" and overlaps):
            session.delete(choice)
    if decision in DECISIONS:
        session.add(
            RecurringChoice(
                meeting_id=ident(meeting),
                recommendation_ids=key,
                decision=decision,
                user_id=user_id,
            )
        )
