"""The ledger: what became of every card of a group, and what its delegation says of it.

A card is reflected in one or more recommendations, merged as a duplicate of another card,
set aside with a reason, withdrawn by its delegation, or not sorted yet. The rapporteur
releases a group's ledger with a deadline; each delegation then agrees or disagrees, card
by card. An answer keeps the disposition and the wording it was given on: when either
changes, the answer no longer counts (it is shown as changed, to be answered again).
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.grouping import NOTE_LIMIT, RecommendationView, by_support, recommendations
from app.i18n import _, delegation_name, sort_key
from app.models import (
    Card,
    Delegation,
    Group,
    LedgerAnswer,
    LedgerRelease,
    SetAside,
    Support,
    User,
    ident,
    utcnow,
)
from app.text import md_inline

KINDS = ("reflected", "duplicate", "set_aside", "withdrawn", "inbox")
ANSWERS = ("agree", "disagree")
COMMENT_LIMIT = 1000
SHORT = 120  # characters of a card's text in the annex


def reason_labels() -> dict[str, str]:
    """Name each reason a card may be set aside for, in the current language."""
    return {
        "off_topic": _("Off topic"),
        "duplicate": _("Duplicate"),
        "not_recommendation": _("Not a recommendation"),
        "outside_dimension": _("Outside the group's dimension"),
        "other": _("Other"),
    }


def aside_text(reason: str, note: str = "") -> str:
    """Say why a card was set aside, the same in the workspace's badge, its status line and
    the ledger."""
    said = {"off_topic": _("Set aside: off topic"), "duplicate": _("Set aside: duplicate")}.get(
        reason
    ) or _("Set aside: %(reason)s", reason=reason_labels().get(reason, reason))
    return f"{said} ({note})" if note else said


def kind_labels() -> dict[str, str]:
    """Name each kind of disposition, for the counts."""
    return {
        "reflected": _("Reflected in a recommendation"),
        "duplicate": _("Merged as a duplicate"),
        "set_aside": _("Set aside"),
        "withdrawn": _("Withdrawn by its delegation"),
        "inbox": _("Not sorted yet"),
    }


def answer_labels() -> dict[str, str]:
    """Name a delegation's answers, and the lack of one."""
    return {
        "agree": _("Agreed"),
        "disagree": _("Disagreed"),
        "none": _("No answer yet"),
        "changed": _("Changed since answered"),
    }


@dataclass
class Disposition:
    """What became of one card."""

    kind: str  # one of KINDS
    numbers: list[int] = field(default_factory=list)  # the recommendations in the report
    rec_ids: list[int] = field(default_factory=list)  # the same, as stored: numbers shift
    wordings: list[str] = field(default_factory=list)
    reason: str = ""
    note: str = ""
    duplicate_of: int | None = None  # the other card's number in the group

    @property
    def key(self) -> str:
        """Say the disposition in a stable form, to compare with what was answered."""
        detail = {
            "reflected": ",".join(map(str, sorted(self.rec_ids))),
            "duplicate": str(self.duplicate_of or ""),
            "set_aside": f"{self.reason}:{self.note}",
        }.get(self.kind, "")
        return f"{self.kind}:{detail}"[:200]

    @property
    def wording(self) -> str:
        """The recommendations' words, in the order they were stored (not their shifting
        order in the report), to compare with what was answered."""
        if not self.rec_ids:
            return "\n".join(self.wordings)
        return "\n".join(w for _r, w in sorted(zip(self.rec_ids, self.wordings, strict=True)))

    def describe(self) -> str:
        """Say the disposition in a short sentence in the current language."""
        if self.kind == "reflected":
            numbers = ", ".join(str(n) for n in self.numbers)
            return _("Reflected in recommendation %(numbers)s", numbers=numbers)
        if self.kind == "duplicate":
            if self.duplicate_of:
                return _("Merged as a duplicate of card #%(number)s", number=self.duplicate_of)
            return _("Merged as a duplicate")
        if self.kind == "set_aside":
            return aside_text(self.reason, self.note)
        return kind_labels()[self.kind]


@dataclass
class LedgerRow:
    """One card in the ledger, with its delegation's answer if it still counts."""

    card: Card
    number: int  # by arrival in its group, as the workspace numbers cards
    delegation: Delegation
    disposition: Disposition
    answer: LedgerAnswer | None = None
    confirmed_by: str = ""  # who confirmed the card in person

    @property
    def short(self) -> str:
        text = " ".join(" ".join(self.card.answers.values()).split())
        return text if len(text) <= SHORT else text[: SHORT - 1].rstrip() + "…"

    @property
    def changed(self) -> bool:
        """The card's disposition or wording changed since its delegation answered."""
        a = self.answer
        return a is not None and (a.disposition, a.wording) != (
            self.disposition.key,
            self.disposition.wording,
        )

    @property
    def state(self) -> str:
        """agree | disagree | none | changed."""
        if self.answer is None:
            return "none"
        return "changed" if self.changed else self.answer.answer


@dataclass
class Ledger:
    """A group's ledger: every card, ordered as the delegations are, and the counts."""

    group: Group
    rows: list[LedgerRow]
    release: LedgerRelease | None = None

    @property
    def counts(self) -> list[tuple[str, int]]:
        found = Counter(r.disposition.kind for r in self.rows)
        return [(label, found[k]) for k, label in kind_labels().items() if found[k]]

    @property
    def answer_counts(self) -> dict[str, int]:
        found = Counter(r.state for r in self.rows)
        return {k: found[k] for k in answer_labels()}

    @property
    def open(self) -> bool:
        """Delegations may still answer."""
        return self.release is not None and utcnow() < self.release.deadline


def group_ledger(
    session: Session, group: Group, views: list[RecommendationView] | None = None
) -> Ledger:
    """Work out the disposition of every card of the group, numbered as the report is."""
    if views is None:
        views = [v for v in by_support(recommendations(session, group)) if v.cards]
    number = {ident(v.recommendation): n for n, v in enumerate(views, start=1)}
    wording = {ident(v.recommendation): v.recommendation.text for v in views}
    cards = session.exec(
        select(Card, Delegation)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(Card.group_id == group.id)
        .order_by(col(Card.created_at), col(Card.id))
    ).all()
    ids = [card.id for card, _d in cards]
    numbers = {card_id: n for n, card_id in enumerate(ids, start=1)}
    supports: dict[str, list[int]] = {}
    for support in session.exec(select(Support).where(col(Support.card_id).in_(ids))):
        if support.recommendation_id in number:
            supports.setdefault(support.card_id, []).append(support.recommendation_id)
    asides = {
        a.card_id: a for a in session.exec(select(SetAside).where(col(SetAside.card_id).in_(ids)))
    }
    answers = {
        a.card_id: a
        for a in session.exec(select(LedgerAnswer).where(col(LedgerAnswer.card_id).in_(ids)))
    }
    confirmers = {a.confirmed_by for a in answers.values() if a.confirmed_by}
    names = (
        {
            u.id: u.display_name
            for u in session.exec(select(User).where(col(User.id).in_(confirmers)))
        }
        if confirmers
        else {}
    )
    rows = []
    for card, delegation in cards:
        recs = sorted(supports.get(card.id, []), key=lambda r: number[r])
        disposition = _disposition(card, recs, number, wording, asides.get(card.id), numbers)
        answer = answers.get(card.id)
        row = LedgerRow(card, numbers[card.id], delegation, disposition, answer)
        if answer and answer.confirmed_by:
            row.confirmed_by = names.get(answer.confirmed_by, "")
        rows.append(row)
    rows.sort(
        key=lambda r: (sort_key(delegation_name(r.delegation.name, r.delegation.iso2)), r.number)
    )
    return Ledger(group, rows, session.get(LedgerRelease, group.id))


def _disposition(
    card: Card,
    recs: list[int],
    number: dict[int, int],
    wording: dict[int, str],
    aside: SetAside | None,
    numbers: dict[str, int],
) -> Disposition:
    if card.status == "withdrawn":
        return Disposition("withdrawn")
    if recs:
        return Disposition(
            "reflected",
            numbers=[number[r] for r in recs],
            rec_ids=recs,
            wordings=[wording[r] for r in recs],
        )
    if aside is not None and aside.reason == "duplicate":
        return Disposition("duplicate", duplicate_of=numbers.get(aside.duplicate_of or ""))
    if aside is not None:
        return Disposition("set_aside", reason=aside.reason, note=aside.note)
    return Disposition("inbox")


# --- Release and answers ----------------------------------------------------------------------


def release(session: Session, group: Group, deadline: datetime, user: User) -> LedgerRelease:
    """Show the group's ledger to its delegations until the deadline (or move the deadline)."""
    found = session.get(LedgerRelease, group.id) or LedgerRelease(
        group_id=ident(group), deadline=deadline
    )
    found.deadline, found.user_id, found.released_at = deadline, user.id, utcnow()
    session.add(found)
    return found


def answer_card(
    session: Session, row: LedgerRow, delegation: Delegation, answer: str, comment: str
) -> LedgerAnswer:
    """Store a delegation's answer on one of its cards, with what it answered on."""
    found = session.get(LedgerAnswer, row.card.id) or LedgerAnswer(
        card_id=row.card.id, delegation_id=ident(delegation), answer=answer, disposition=""
    )
    found.answer, found.comment = answer, comment
    found.disposition, found.wording = row.disposition.key, row.disposition.wording
    found.answered_at = utcnow()
    found.confirmed_by, found.confirmed_at = None, None
    session.add(found)
    return found


def answer_error(answer: str, comment: str) -> str:
    """Say what is wrong with an answer, or nothing."""
    if answer not in ANSWERS:
        return _("Choose whether you agree or disagree.")
    if answer == "disagree" and not comment:
        return _("Say why you disagree.")
    if len(comment) > COMMENT_LIMIT:
        return _("Keep your comment under %(max)s characters.", max=COMMENT_LIMIT)
    return ""


def released_groups(session: Session, meeting_id: int) -> list[tuple[Group, LedgerRelease]]:
    """Return the meeting's groups whose ledger has been released, in group order."""
    query = (
        select(Group, LedgerRelease)
        .join(LedgerRelease, col(LedgerRelease.group_id) == Group.id)
        .where(Group.meeting_id == meeting_id)
        .order_by(col(Group.number))
    )
    return list(session.exec(query).all())


def disagreements(session: Session, group: Group) -> dict[str, LedgerAnswer]:
    """Return the group's cards whose delegation disagrees (and still counts), by card id."""
    query = (
        select(LedgerAnswer.card_id)
        .join(Card, col(Card.id) == LedgerAnswer.card_id)
        .where(Card.group_id == group.id, LedgerAnswer.answer == "disagree")
    )
    if session.exec(query.limit(1)).first() is None:
        return {}  # the workspace asks on every page: most groups have none
    ledger = group_ledger(session, group)
    return {r.card.id: r.answer for r in ledger.rows if r.state == "disagree" and r.answer}


def aside_note_error(reason: str, note: str) -> str:
    """Say what is wrong with the words of a set-aside's reason, or nothing."""
    if reason == "other" and not note:
        return _("Say why the card is set aside.")
    if len(note) > NOTE_LIMIT:
        return _("Keep the reason under %(max)s characters.", max=NOTE_LIMIT)
    return ""


# --- The annex in the report's outputs ----------------------------------------------------------


def annex_title() -> str:
    return _("How the cards were reflected")


def row_record(row: LedgerRow) -> dict[str, Any]:
    """Return a card's line of the ledger with stable keys, for JSON."""
    d = row.disposition
    answer = row.answer
    return {
        "card": row.card.id,
        "number": row.number,
        "delegation": row.delegation.name,
        "text": row.short,
        "disposition": d.kind,
        "recommendations": d.numbers,
        "reason": d.reason or None,
        "note": d.note or None,
        "duplicate_of": d.duplicate_of,
        "answer": row.state,
        "comment": answer.comment if answer and not row.changed else "",
        "confirmed_in_person": bool(answer and answer.confirmed_by and not row.changed),
    }


def ledger_json(ledger: Ledger) -> str:
    """Return the ledger of a group as JSON: the counts by disposition, then every card."""
    found = Counter(r.disposition.kind for r in ledger.rows)
    body = {
        "group": ledger.group.slug,
        "released": ledger.release is not None,
        "deadline": ledger.release.deadline.isoformat() if ledger.release else None,
        "counts": {k: found[k] for k in KINDS},
        "cards": [row_record(r) for r in ledger.rows],
    }
    return json.dumps(body, ensure_ascii=False, indent=1)


def ledger_markdown(ledger: Ledger) -> list[str]:
    """Return the annex as Markdown lines: the counts, then a table of every card."""
    if not ledger.rows:
        return []
    lines = [f"## {md_inline(annex_title())}", ""]
    lines += [f"- {md_inline(label)}: {count}" for label, count in ledger.counts] + [""]
    headers = (_("Delegation"), _("Card"), _("Disposition"), _("Recommendation"))
    lines += ["| " + " | ".join(md_cell(h) for h in headers) + " |", "|---|---|---|---|"]
    for row in ledger.rows:
        cells = (
            delegation_name(row.delegation.name, row.delegation.iso2),
            f"#{row.number} {row.short}",
            row.disposition.describe(),
            " / ".join(row.disposition.wordings),
        )
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return lines + [""]


def md_cell(text: str) -> str:
    """Write text in a Markdown table cell: on one line, its pipes escaped."""
    return md_inline(text)  # one line, its pipes escaped
