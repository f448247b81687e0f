"""The audit log as people read it: "Ravi (ravi) placed card #41 in R3.", in the interface
language, each card named by its number in its group and each recommendation by its R-number.

What the events point at is looked up once per page of events (a query per kind of thing),
never once per row. An action this module does not know yet still reads as a sentence.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.audit import ACTIONS
from app.i18n import _, localize
from app.meetings import meeting_groups
from app.models import AuditEvent, Card, Comment, Group, Meeting, Recommendation, Report, User


@dataclass
class Entry:
    """An event as the log shows it: in which group, and what happened, in a sentence."""

    event: AuditEvent
    group: str  # "6. Human dimension", or empty for what belongs to no group
    sentence: str


@dataclass
class Names:
    """What a page of events points at, named: cards, recommendations, reports, remarks,
    accounts, and the meeting's groups."""

    groups: dict[int, Group]
    cards: dict[str, tuple[int, int]] = field(default_factory=dict)  # id: (number, group)
    recommendations: dict[int, tuple[int, int]] = field(default_factory=dict)
    reports: dict[int, int] = field(default_factory=dict)  # id: group
    comments: dict[int, Comment] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)

    def group_label(self, group_id: int | None) -> str:
        group = self.groups.get(group_id or 0)
        return f"{group.number}. {localize(group.title)}" if group else ""

    def card(self, card_id: Any) -> str:
        found = self.cards.get(str(card_id))
        return _("card #%(number)s", number=found[0]) if found else _("a card no longer stored")

    def recommendation(self, rec_id: Any) -> str:
        found = self.recommendations.get(_number(rec_id) or 0)
        return _("R%(number)s", number=found[0]) if found else _("a recommendation since deleted")

    def account(self, user_id: Any) -> str:
        return self.accounts.get(_number(user_id) or 0) or _("an account no longer stored")


def entries(session: Session, meeting: Meeting, events: Sequence[AuditEvent]) -> list[Entry]:
    """Name a page of events: their group and a sentence each, in the current language."""
    names = _names(session, meeting, events)
    return [Entry(e, names.group_label(_group_of(e, names)), sentence(e, names)) for e in events]


def N_(message: str) -> str:
    """Mark a message for translation (pybabel finds it); it is translated where it is used."""
    return message


# One sentence per action (and per variant of one); any of the variables may appear in any.
SENTENCES = {
    "card.create": N_("%(who)s sent %(card)s."),
    "card.create.paper": N_("%(who)s keyed in %(card)s of %(delegation)s from paper: %(serial)s."),
    "paper.issue": N_("%(who)s issued %(count)s paper cards, %(first)s to %(last)s."),
    "paper.void": N_("%(who)s voided paper card %(serial)s."),
    "card.create.agreed": N_(
        "%(who)s keyed %(serial)s a second time, as the first keying had it: %(card)s of "
        "%(delegation)s is in."
    ),
    "card.create.settled": N_(
        "%(who)s settled the differences of %(serial)s: %(card)s of %(delegation)s is in."
    ),
    "paper.keying": N_("%(who)s keyed paper card %(serial)s once: a second keying follows."),
    "paper.keying.differs": N_(
        "%(who)s keyed paper card %(serial)s a second time; fields that differ from the first "
        "keying: %(differences)s."
    ),
    "paper.double_entry.on": N_("%(who)s switched double entry of paper cards on."),
    "paper.double_entry.off": N_("%(who)s switched double entry of paper cards off."),
    "card.edit": N_("%(who)s edited %(card)s."),
    "card.withdraw": N_("%(who)s withdrew %(card)s."),
    "card.restore": N_("%(who)s put %(card)s back in the inbox."),
    "card.reinstate": N_("%(who)s brought back %(card)s, withdrawn before."),
    "card.tag": N_("%(who)s tagged %(card)s: %(tag)s."),
    "card.untag": N_("%(who)s removed the tag %(tag)s from %(card)s."),
    "card.group": N_("%(who)s placed %(card)s in %(recommendation)s."),
    "card.ungroup": N_("%(who)s took %(card)s out of %(recommendation)s."),
    "card.move": N_("%(who)s moved %(card)s from %(source)s to %(target)s."),
    "card.confirm": N_("%(who)s kept %(card)s in %(recommendation)s as of version %(version)s."),
    "card.refuse_tag": N_("%(who)s turned down the proposed tag %(tag)s for %(card)s."),
    "recurring.confirm": N_("%(who)s confirmed that %(recommendations)s are the same idea."),
    "recurring.reject": N_("%(who)s found that %(recommendations)s are not the same idea."),
    "recurring.reopen": N_("%(who)s proposed %(recommendations)s as one idea again."),
    "card.set_aside": N_("%(who)s set %(card)s aside as off topic."),
    "card.set_aside.duplicate": N_("%(who)s set %(card)s aside as a duplicate."),
    "card.set_aside.duplicate_of": N_("%(who)s set %(card)s aside as a duplicate of %(other)s."),
    "recommendation.create": N_("%(who)s created %(recommendation)s."),
    "recommendation.edit": N_("%(who)s reworded %(recommendation)s."),
    "recommendation.merge": N_("%(who)s merged %(recommendation)s with another recommendation."),
    "recommendation.split": N_("%(who)s split %(recommendation)s."),
    "recommendation.reorder": N_("%(who)s moved %(recommendation)s in the list."),
    "recommendation.delete": N_("%(who)s deleted %(recommendation)s."),
    "report.save": N_("%(who)s saved version %(version)s of the report."),
    "report.review": N_("%(who)s marked version %(version)s of the report as reviewed."),
    "comment.create": N_("%(who)s wrote a remark on %(subject)s."),
    "comment.create.reply": N_("%(who)s answered a remark on %(subject)s."),
    "comment.resolve": N_("%(who)s resolved a remark on %(subject)s."),
    "comment.reopen": N_("%(who)s reopened a remark on %(subject)s."),
    "account.create": N_("%(who)s created the account %(account)s (%(role)s)."),
    "account.update": N_("%(who)s changed the account %(account)s to %(role)s."),
    "account.password": N_("%(who)s reset the password of %(account)s."),
    "account.deactivate": N_("%(who)s deactivated the account %(account)s."),
    "account.activate": N_("%(who)s reactivated the account %(account)s."),
    "floor.add": N_("%(who)s put %(delegation)s on the speakers list."),
    "floor.ask": N_("%(who)s asked for the floor."),
    "floor.withdraw": N_("%(who)s withdrew a request for the floor."),
    "floor.call": N_("%(who)s gave the floor to %(delegation)s."),
    "floor.pause": N_("%(who)s paused the clock of %(delegation)s."),
    "floor.resume": N_("%(who)s restarted the clock of %(delegation)s."),
    "floor.end": N_("%(who)s ended the intervention of %(delegation)s."),
    "floor.put_back": N_("%(who)s put %(delegation)s back at the top of the speakers list."),
    "floor.move": N_("%(who)s moved %(delegation)s on the speakers list."),
    "floor.remove": N_("%(who)s took %(delegation)s off the speakers list."),
    "floor.close": N_("%(who)s closed the speakers list."),
    "floor.open": N_("%(who)s reopened the speakers list."),
    "ledger.release": N_(
        "%(who)s released the ledger to the delegations, answers until %(deadline)s."
    ),
    "ledger.answer": N_("%(who)s answered %(answer)s on how %(card)s was reflected."),
    "ledger.confirm": N_("%(who)s marked %(card)s as confirmed in person by its delegation."),
}


def sentence(event: AuditEvent, names: Names) -> str:
    """Say what an event did, as a sentence with its author; an unknown action by its label."""
    detail = event.detail or {}
    target = event.target_id
    comment = names.comments.get(_number(target) or 0) if event.target_type == "comment" else None
    subject = _("the report")
    if comment is not None and comment.recommendation_id:
        subject = names.recommendation(comment.recommendation_id)
    variables = {
        "who": event.actor_name,
        "card": names.card(target),
        "recommendation": names.recommendation(
            detail.get("recommendation") if event.target_type == "card" else target
        ),
        "source": names.recommendation(detail.get("source")),
        "target": names.recommendation(detail.get("to")),
        "other": names.card(detail.get("duplicate_of")),
        "tag": str(detail.get("tag", "")),
        "version": str(detail.get("version", "")),
        "account": names.account(target),
        "role": _role(detail, names),
        "subject": subject,
        "delegation": str(detail.get("delegation", "")),
        "recommendations": ", ".join(str(label) for label in detail.get("labels", [])) or target,
        "serial": str(detail.get("serial", target)),
        "count": str(detail.get("count", "")),
        "differences": str(detail.get("differences", "")),
        "first": str(detail.get("first", "")),
        "last": str(detail.get("last", "")),
        "deadline": str(detail.get("deadline", "")),
        "answer": {"agree": _("agree"), "disagree": _("disagree")}.get(
            str(detail.get("answer")), ""
        ),
    }
    key = event.action
    if key == "card.set_aside" and detail.get("reason") == "duplicate":
        key += ".duplicate_of" if detail.get("duplicate_of") else ".duplicate"
    if key == "card.create" and detail.get("source") == "paper":
        key += _paper_card(detail)
    if key == "paper.keying" and detail.get("round") == 2:
        key += ".differs"
    if key == "paper.double_entry":
        key += ".on" if detail.get("on") else ".off"
    if key == "comment.create" and comment is not None and comment.reply_to:
        key += ".reply"
    if key in SENTENCES:
        return _(SENTENCES[key], **variables)
    action, target = action_labels().get(event.action, event.action), _target(event, names)
    if not target:
        return _("%(who)s: %(action)s.", who=event.actor_name, action=action)
    return _("%(who)s: %(action)s, %(target)s.", who=event.actor_name, action=action, target=target)


def _paper_card(detail: dict[str, Any]) -> str:
    """Tell how a paper card came in: keyed once, or under double entry agreed or settled."""
    if "resolved_by" in detail:
        return ".settled"
    return ".agreed" if "differences" in detail else ".paper"


def action_labels() -> dict[str, str]:
    """Name each kind of action, and each area of them, for the log's filter."""
    return {
        "card": _("All changes to cards"),
        "card.create": _("Card sent"),
        "card.edit": _("Card edited"),
        "card.withdraw": _("Card withdrawn"),
        "card.tag": _("Tag added"),
        "card.untag": _("Tag removed"),
        "card.group": _("Card placed in a recommendation"),
        "card.ungroup": _("Card taken out of a recommendation"),
        "card.move": _("Card moved to another recommendation"),
        "card.confirm": _("Changed card kept in its recommendation"),
        "card.set_aside": _("Card set aside"),
        "card.restore": _("Card put back in the inbox"),
        "card.reinstate": _("Withdrawn card brought back"),
        "card.refuse_tag": _("Proposed tag turned down"),
        "recommendation": _("All changes to recommendations"),
        "recommendation.create": _("Recommendation created"),
        "recommendation.edit": _("Recommendation reworded"),
        "recommendation.merge": _("Recommendations merged"),
        "recommendation.split": _("Recommendation split"),
        "recommendation.reorder": _("Recommendation moved in the list"),
        "recommendation.delete": _("Recommendation deleted"),
        "report": _("All changes to reports"),
        "report.save": _("Report saved"),
        "report.review": _("Report marked as reviewed"),
        "comment": _("All remarks"),
        "comment.create": _("Remark written"),
        "comment.resolve": _("Remark resolved"),
        "comment.reopen": _("Remark reopened"),
        "account": _("All changes to accounts"),
        "account.create": _("Account created"),
        "account.password": _("Password reset"),
        "account.update": _("Account changed"),
        "account.deactivate": _("Account deactivated"),
        "account.activate": _("Account reactivated"),
        "recurring": _("All decisions on recurring ideas"),
        "recurring.confirm": _("Recurring idea confirmed"),
        "recurring.reject": _("Recurring idea rejected"),
        "recurring.reopen": _("Recurring idea proposed again"),
        "paper": _("All about paper cards: serials, keyings, double entry"),
        "paper.issue": _("Paper cards issued"),
        "paper.void": _("Paper card voided"),
        "paper.keying": _("Paper card keyed under double entry"),
        "paper.double_entry": _("Double entry switched on or off"),
        "floor": _("All changes to speakers lists"),
        "floor.add": _("Speaker added"),
        "floor.ask": _("Floor asked for"),
        "floor.withdraw": _("Request for the floor withdrawn"),
        "floor.call": _("Speaker called"),
        "floor.pause": _("Clock paused"),
        "floor.resume": _("Clock restarted"),
        "floor.end": _("Intervention ended"),
        "floor.put_back": _("Speaker put back"),
        "floor.move": _("Speaker moved"),
        "floor.remove": _("Speaker taken off"),
        "floor.close": _("Speakers list closed"),
        "floor.open": _("Speakers list reopened"),
        "ledger": _("All about how the cards were reflected"),
        "ledger.release": _("Ledger released to the delegations"),
        "ledger.answer": _("Delegation answered on its card"),
        "ledger.confirm": _("Card confirmed in person"),
    }


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the filter's choices: each area (cards, reports...) with its actions, labelled."""
    labels = action_labels()
    areas: dict[str, list[tuple[str, str]]] = {}
    for action in ACTIONS:
        area = action.split(".")[0]
        areas.setdefault(area, [(area, labels.get(area, area))])
        areas[area].append((action, labels.get(action, action)))
    return list(areas.items())


def _role(detail: dict[str, Any], names: Names) -> str:
    """Name an account's role, and a rapporteur's or moderator's groups."""
    roles = {
        "secretariat": _("Secretariat"),
        "cofacilitator": _("Co-facilitator"),
        "clerk": _("Clerk"),
        "moderator": _("Moderator"),
    }
    role = roles.get(str(detail.get("role", "")), _("Rapporteur"))
    by_slug = {g.slug: g.id for g in names.groups.values()}
    chosen = detail.get("groups") or []
    groups = [names.group_label(by_slug[s]) for s in chosen if s in by_slug]
    return _("%(role)s of %(groups)s", role=role, groups=", ".join(groups)) if groups else role


def _target(event: AuditEvent, names: Names) -> str:
    """Name what an unknown action acted on, as well as its type allows."""
    if event.target_type == "card":
        return names.card(event.target_id)
    if event.target_type == "recommendation":
        return names.recommendation(event.target_id)
    if event.target_type == "user":
        return names.account(event.target_id)
    if event.target_type == "report":
        return _("the report")
    return f"{event.target_type} {event.target_id}".strip()


# --- Looking up what a page of events points at ------------------------------------------------


def _number(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else None  # within a BIGINT


def _group_of(event: AuditEvent, names: Names) -> int | None:
    if event.target_type == "card":
        return names.cards.get(event.target_id, (0, None))[1]
    if event.target_type == "recommendation":
        return names.recommendations.get(_number(event.target_id) or 0, (0, None))[1]
    if event.target_type == "report":
        return names.reports.get(_number(event.target_id) or 0)
    if event.target_type == "comment":
        comment = names.comments.get(_number(event.target_id) or 0)
        return comment.group_id if comment else None
    if event.target_type == "group":  # speakers lists
        return _number(event.target_id)
    return None


def _ids(events: Iterable[AuditEvent], kind: str, *keys: str) -> set[str]:
    """Collect the ids of one kind of thing: the events' targets, and these detail values."""
    found = {e.target_id for e in events if e.target_type == kind}
    found |= {str(e.detail[k]) for e in events for k in keys if (e.detail or {}).get(k)}
    return found


def _row_ids(events: Iterable[AuditEvent], kind: str, *keys: str) -> set[int]:
    return {n for i in _ids(events, kind, *keys) if (n := _number(i)) is not None}


def _names(session: Session, meeting: Meeting, events: Sequence[AuditEvent]) -> Names:
    names = Names(groups={g.id or 0: g for g in meeting_groups(session, meeting)})
    if comment_ids := _row_ids(events, "comment"):
        comments = session.exec(select(Comment).where(col(Comment.id).in_(comment_ids)))
        names.comments = {c.id or 0: c for c in comments}
    if card_ids := _ids(events, "card", "duplicate_of"):
        names.cards = _card_numbers(session, card_ids)
    rec_ids = _row_ids(events, "recommendation", "recommendation", "source", "to")
    rec_ids |= {c.recommendation_id for c in names.comments.values() if c.recommendation_id}
    if rec_ids:
        names.recommendations = _recommendation_numbers(session, rec_ids)
    if report_ids := _row_ids(events, "report"):
        reports = session.exec(
            select(Report.id, Report.group_id).where(col(Report.id).in_(report_ids))
        )
        names.reports = {report_id or 0: group_id for report_id, group_id in reports}
    if user_ids := _row_ids(events, "user"):
        users = session.exec(
            select(User.id, User.display_name, User.username).where(col(User.id).in_(user_ids))
        )
        names.accounts = {i or 0: f"{name} ({login})" for i, name, login in users}
    return names


def _card_numbers(session: Session, card_ids: set[str]) -> dict[str, tuple[int, int]]:
    """Number cards by arrival in their group, as the workspace does: id -> (number, group)."""
    groups = select(Card.group_id).where(col(Card.id).in_(card_ids))
    number = func.row_number().over(
        partition_by=col(Card.group_id), order_by=(col(Card.created_at), col(Card.id))
    )
    numbered = (
        sa_select(col(Card.id).label("id"), col(Card.group_id).label("group_id"), number.label("n"))
        .where(col(Card.group_id).in_(groups))
        .subquery()
    )
    query = sa_select(numbered.c.id, numbered.c.n, numbered.c.group_id).where(
        numbered.c.id.in_(card_ids)
    )
    return {card_id: (n, group_id) for card_id, n, group_id in session.execute(query)}


def _recommendation_numbers(session: Session, rec_ids: set[int]) -> dict[int, tuple[int, int]]:
    """Number recommendations in their group's list (R1, R2...): id -> (number, group)."""
    groups = select(Recommendation.group_id).where(col(Recommendation.id).in_(rec_ids))
    number = func.row_number().over(
        partition_by=col(Recommendation.group_id),
        order_by=(col(Recommendation.position), col(Recommendation.id)),
    )
    numbered = (
        sa_select(
            col(Recommendation.id).label("id"),
            col(Recommendation.group_id).label("group_id"),
            number.label("n"),
        )
        .where(col(Recommendation.group_id).in_(groups))
        .subquery()
    )
    query = sa_select(numbered.c.id, numbered.c.n, numbered.c.group_id).where(
        numbered.c.id.in_(rec_ids)
    )
    return {rec_id: (n, group_id) for rec_id, n, group_id in session.execute(query)}
