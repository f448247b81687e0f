"""The meeting's figures: who took part and how many cards, for the meeting and each group.

Counted from active cards only (a withdrawn card was taken back by its delegation). Each
kind of delegation counts in one category of the meeting file: Member States, observers,
UN entities or other stakeholders, as the secretariat reports participation.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.i18n import _, ngettext
from app.meetings import meeting_groups
from app.models import Card, Delegation, Group, Meeting, ident
from app.timeline import TimeBucket, timeline

CATEGORIES = ("member_states", "observers", "un_entities", "stakeholders")


def category_labels() -> dict[str, str]:
    """Name the categories in the current language."""
    return {
        "member_states": _("Member States"),
        "observers": _("Observers"),
        "un_entities": _("UN entities"),
        "stakeholders": _("Other stakeholders"),
    }


def kind_categories(meeting: Meeting) -> dict[str, str]:
    """Map each kind of delegation to its category; kinds the file leaves out are stakeholders."""
    return {k["slug"]: k.get("category", "stakeholders") for k in meeting.delegation_kinds}


def participation_sentence(cards: int, delegations: int) -> str:
    """Say how many cards came from how many delegations, in the language's plural forms."""
    # "from ..." is a message of its own: the preposition decides the noun's case.
    return ngettext(
        "%(num)s card %(from_delegations)s.",
        "%(num)s cards %(from_delegations)s.",
        cards,
        from_delegations=ngettext(
            "from %(num)s delegation", "from %(num)s delegations", delegations
        ),
    )


@dataclass
class Participation:
    """Cards and the delegations behind them, for the meeting or for one group."""

    cards: int = 0
    delegations: int = 0
    # Distinct delegations, and their cards, per category and per kind.
    by_category: Counter[str] = field(default_factory=Counter)
    cards_by_category: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    cards_by_kind: Counter[str] = field(default_factory=Counter)
    paper: int = 0  # of the cards, those keyed in from paper (app.paper)

    @property
    def sentence(self) -> str:
        """Say "8 cards from 6 delegations." in the current language."""
        return participation_sentence(self.cards, self.delegations)


@dataclass
class Figures:
    meeting: Participation
    groups: list[tuple[Group, Participation]]
    timeline: list[TimeBucket]


def meeting_figures(session: Session, meeting: Meeting) -> Figures:
    """Count the meeting's participation, per group and in all, and its cards over time."""
    groups = meeting_groups(session, meeting)
    categories = kind_categories(meeting)
    per_group: dict[int, Participation] = {ident(g): Participation() for g in groups}
    total = Participation()
    seen: dict[int, set[int]] = defaultdict(set)
    times: list[datetime] = []
    for group_id, delegation_id, kind, created_at in _active_cards(
        session, Card.meeting_id, meeting
    ):
        category = categories.get(kind, "stakeholders")
        for key, figures in ((group_id, per_group[group_id]), (0, total)):
            _count(figures, kind, category, new_delegation=delegation_id not in seen[key])
            seen[key].add(delegation_id)
        times.append(created_at)
    paper = _paper_cards(session, meeting)
    total.paper = sum(paper.values())
    for group_id, figures in per_group.items():
        figures.paper = paper[group_id]
    return Figures(
        meeting=total,
        groups=[(g, per_group[ident(g)]) for g in groups],
        timeline=timeline(times, meeting.timezone),
    )


def group_figures(
    session: Session, meeting: Meeting, group: Group
) -> tuple[Participation, list[TimeBucket]]:
    """Count one group's participation and its cards over time."""
    categories = kind_categories(meeting)
    figures, seen, times = Participation(), set(), []
    for _group, delegation_id, kind, created_at in _active_cards(session, Card.group_id, group):
        _count(figures, kind, categories.get(kind, "stakeholders"), delegation_id not in seen)
        seen.add(delegation_id)
        times.append(created_at)
    return figures, timeline(times, meeting.timezone)


def _active_cards(session: Session, column: Any, owner: Meeting | Group) -> Any:
    """Yield (group, delegation, kind, created) of the active cards whose column is the owner."""
    query = (
        select(Card.group_id, Card.delegation_id, Delegation.kind, Card.created_at)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(column == owner.id, Card.status == "active")
    )
    return session.exec(query)


def _count(figures: Participation, kind: str, category: str, new_delegation: bool) -> None:
    figures.cards += 1
    figures.cards_by_category[category] += 1
    figures.cards_by_kind[kind] += 1
    if new_delegation:
        figures.delegations += 1
        figures.by_category[category] += 1
        figures.by_kind[kind] += 1


def _paper_cards(session: Session, meeting: Meeting) -> Counter[int]:
    """Count the active cards keyed in from paper, per group."""
    query = (
        select(Card.group_id, func.count())
        .where(Card.meeting_id == meeting.id, Card.status == "active", Card.source == "paper")
        .group_by(col(Card.group_id))
    )
    return Counter({group_id: n for group_id, n in session.exec(query)})
