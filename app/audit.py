"""The audit log: every change to cards, recommendations, reports and accounts, with its author."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.models import AuditEvent, Delegation, User

ACTIONS = (
    "card.create", "card.edit", "card.withdraw", "card.tag", "card.untag", "card.group",
    "card.ungroup", "card.move", "card.set_aside", "card.restore", "recommendation.create",
    "card.reinstate",  # a delegation brings back a card it withdrew ("card.restore": from aside)
    "card.refuse_tag",  # a rapporteur turns down a theme proposed for a card (app.themes)
    "card.confirm",  # a rapporteur keeps a card its delegation changed where it was placed
    "recommendation.edit", "recommendation.merge", "recommendation.split",
    "recommendation.reorder", "recommendation.delete", "report.save", "report.review",
    "comment.create", "comment.resolve", "comment.reopen", "account.create", "account.password",
    "account.update", "account.deactivate", "account.activate",
    "recurring.confirm", "recurring.reject", "recurring.reopen",  # co-facilitators on /recurring
    "paper.issue", "paper.void",  # the secretariat's serials for paper cards (app.paper)
    "paper.keying", "paper.double_entry",  # double entry (app.double_entry)
    # speakers lists (app.floor): moderators, and delegations asking for the floor
    "floor.add", "floor.call", "floor.pause", "floor.resume", "floor.end", "floor.put_back",
    "floor.move", "floor.remove", "floor.close", "floor.open", "floor.ask", "floor.withdraw",
    "ledger.release", "ledger.answer", "ledger.confirm",  # how the cards were reflected
)  # fmt: skip
PAGE_SIZE = 100


@dataclass
class Actor:
    """Who acts: a delegation (through its code) or an account."""

    kind: str
    id: int | None
    name: str


def delegation_actor(delegation: Delegation) -> Actor:
    return Actor("delegation", delegation.id, delegation.name)


def user_actor(user: User) -> Actor:
    return Actor("user", user.id, f"{user.display_name} ({user.username})")


def event(actor: Actor, action: str, target_type: str, target_id: Any, **detail: Any) -> AuditEvent:
    """Return an event for the log, not yet stored."""
    assert action in ACTIONS, action
    return AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail,
    )


def record(
    session: Session, actor: Actor, action: str, target_type: str, target_id: Any, **detail: Any
) -> None:
    """Add an event to the log; it is stored with the caller's next commit."""
    session.add(event(actor, action, target_type, target_id, **detail))


def events(session: Session, action: str = "", page: int = 1) -> list[AuditEvent]:
    """Return a page of events, newest first, optionally of one kind of action."""
    query = select(AuditEvent)
    if action:
        query = query.where(col(AuditEvent.action).startswith(action))
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))


def all_events(session: Session, action: str = "") -> list[AuditEvent]:
    """Return every event, oldest first, for export."""
    query = select(AuditEvent)
    if action:
        query = query.where(col(AuditEvent.action).startswith(action))
    return list(session.exec(query.order_by(col(AuditEvent.at), col(AuditEvent.id))))
