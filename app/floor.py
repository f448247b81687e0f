"""Speakers lists: who waits for the floor, who speaks, the clock, and what was said when.

Every state comes from stored timestamps (app.models.FloorRequest), so a reload or a server
restart loses nothing. Each action writes without committing: the caller commits it together
with its audit event. Each change bumps the list's version in the same transaction; a
moderator's action names the version it saw and does nothing if the list moved meanwhile,
and a partial unique index keeps a second speaker off the floor whatever happens.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exc, func, update
from sqlmodel import Session, col, select

from app.i18n import _, delegation_name, localize
from app.meetings import FLOOR_SECONDS, FLOOR_WARNING
from app.models import Delegation, FloorList, FloorRequest, Group, Meeting, ident, utcnow

SHOWN_NEXT = 5  # the next speakers a projector shows


class FloorError(ValueError):
    """An action the list cannot take now, with the reason to show."""


class Changed(FloorError):
    """Someone else changed the list since the page was shown: nothing was done."""


def kind_names() -> dict[str, str]:
    """Name each kind of intervention in the current language."""
    return {
        "statement": _("Statement"),
        "point_of_order": _("Point of order"),
        "reply": _("Right of reply"),
    }


def seconds_for(meeting: Meeting) -> dict[str, int]:
    """Return the kinds of intervention the meeting allows, with their speaking time."""
    return dict((meeting.floor or {}).get("seconds") or FLOOR_SECONDS)


def warning_for(meeting: Meeting) -> int:
    """Return how many seconds before the end the clock warns."""
    return int((meeting.floor or {}).get("warning_seconds", FLOOR_WARNING))


def list_of(session: Session, group: Group) -> FloorList:
    """Return a group's list; one not stored yet reads as open and empty."""
    return session.get(FloorList, group.id) or FloorList(group_id=ident(group))


def _bump(session: Session, group: Group, seen: int | None) -> FloorList:
    """Take the list for this transaction (a row lock on PostgreSQL) and bump its version.

    With `seen`, only if the list is still at that version: otherwise raise Changed.
    """
    if session.get(FloorList, group.id) is None and seen in (None, 0):
        session.add(FloorList(group_id=ident(group)))
        session.flush()
    query = update(FloorList).where(col(FloorList.group_id) == group.id)
    if seen is not None:
        query = query.where(col(FloorList.version) == seen)
    done = session.execute(query.values(version=FloorList.version + 1, updated_at=utcnow()))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Changed(_("Another moderator changed the list just now; nothing was done."))
    row = session.get(FloorList, group.id)
    assert row is not None
    session.refresh(row)
    return row


def waiting(session: Session, group: Group) -> list[FloorRequest]:
    """Return the requests waiting for the floor, in their order."""
    return _waiting(session, ident(group))


def _waiting(session: Session, group_id: int) -> list[FloorRequest]:
    query = select(FloorRequest).where(
        FloorRequest.group_id == group_id,
        col(FloorRequest.started_at).is_(None),
        col(FloorRequest.withdrawn_at).is_(None),
    )
    return list(session.exec(query.order_by(col(FloorRequest.position), col(FloorRequest.id))))


def place(session: Session, request: FloorRequest) -> int:
    """Return a waiting request's place in its list (1: next)."""
    queue = _waiting(session, request.group_id)
    return next((i for i, r in enumerate(queue, start=1) if r.id == request.id), 0)


def current(session: Session, group: Group) -> FloorRequest | None:
    """Return the request whose delegation has the floor (speaking or paused), if any."""
    query = select(FloorRequest).where(
        FloorRequest.group_id == group.id,
        col(FloorRequest.started_at).is_not(None),
        col(FloorRequest.ended_at).is_(None),
    )
    return session.exec(query).first()


def done(session: Session, group: Group) -> list[FloorRequest]:
    """Return the group's interventions, in the order they were made."""
    query = select(FloorRequest).where(
        FloorRequest.group_id == group.id, col(FloorRequest.ended_at).is_not(None)
    )
    return list(session.exec(query.order_by(col(FloorRequest.started_at))))


def state_of(request: FloorRequest) -> str:
    """Say where a request is: waiting, speaking, paused, done or withdrawn."""
    if request.withdrawn_at:
        return "withdrawn"
    if request.ended_at:
        return "done"
    if request.started_at:
        return "paused" if request.deadline is None else "speaking"
    return "waiting"


def seconds_left(request: FloorRequest, now: datetime) -> float:
    """Return the seconds a speaker has left (negative: over time)."""
    if request.deadline is not None:
        return (request.deadline - now).total_seconds()
    return request.seconds_left or 0.0


def add(
    session: Session,
    meeting: Meeting,
    group: Group,
    delegation: Delegation,
    kind: str,
    source: str = "moderator",
) -> FloorRequest:
    """Put a delegation on the list; a point of order goes to the top. Commit."""
    if kind not in seconds_for(meeting):
        raise FloorError(_("Choose a kind of intervention."))
    if list_of(session, group).closed_at is not None:
        raise FloorError(_("The speakers list is closed."))
    _bump(session, group, None)
    queue = waiting(session, group)
    if any(r.delegation_id == delegation.id and r.kind == kind for r in queue):
        session.rollback()
        raise FloorError(
            _(
                "%(name)s is already waiting for this kind of intervention.",
                name=delegation_name(delegation.name, delegation.iso2),
            )
        )
    positions = [r.position for r in queue] or [0]
    top = kind == "point_of_order"
    request = FloorRequest(
        group_id=ident(group),
        delegation_id=ident(delegation),
        kind=kind,
        source=source,
        position=min(positions) - 1 if top else max(positions) + 1,
    )
    session.add(request)
    _store(session)
    return request


def _store(session: Session) -> None:
    """Write the change for the caller to commit with its audit event; a constraint another
    moderator's action got to first says so, storing nothing."""
    try:
        session.flush()
    except exc.IntegrityError as error:
        session.rollback()
        raise Changed(
            _("Another moderator changed the list just now; nothing was done.")
        ) from error


def call_next(session: Session, meeting: Meeting, group: Group, seen: int) -> FloorRequest:
    """End the current intervention and give the floor to the first one waiting."""
    _bump(session, group, seen)
    now = utcnow()
    speaking = current(session, group)
    if speaking is not None:
        _finish(session, speaking, now)
    queue = waiting(session, group)
    if not queue:
        session.rollback()
        raise FloorError(_("No one is waiting for the floor."))
    request = queue[0]
    request.started_at = now
    request.allowed_seconds = seconds_for(meeting).get(request.kind, FLOOR_SECONDS["statement"])
    request.deadline = now + timedelta(seconds=request.allowed_seconds)
    session.add(request)
    _store(session)
    return request


def _finish(session: Session, request: FloorRequest, now: datetime) -> None:
    left = seconds_left(request, now)
    request.ended_at = now
    request.spoken_seconds = max(0, round(request.allowed_seconds - left))
    request.overrun_seconds = max(0, round(-left))
    request.deadline, request.seconds_left = None, None
    session.add(request)
    session.flush()  # off the floor before anyone else comes on (the unique index)


def _speaking(session: Session, group: Group, seen: int) -> FloorRequest:
    _bump(session, group, seen)
    request = current(session, group)
    if request is None:
        session.rollback()
        raise FloorError(_("No one has the floor."))
    return request


def pause(session: Session, group: Group, seen: int) -> FloorRequest:
    """Stop the clock: keep the seconds left instead of the deadline."""
    request = _speaking(session, group, seen)
    if request.deadline is not None:
        request.seconds_left = seconds_left(request, utcnow())
        request.deadline = None
        session.add(request)
    _store(session)
    return request


def resume(session: Session, group: Group, seen: int) -> FloorRequest:
    """Start the clock again from the seconds that were left."""
    request = _speaking(session, group, seen)
    if request.deadline is None:
        request.deadline = utcnow() + timedelta(seconds=request.seconds_left or 0)
        request.seconds_left = None
        session.add(request)
    _store(session)
    return request


def end(session: Session, group: Group, seen: int) -> FloorRequest:
    """End the current intervention, recording the time spoken and any overrun."""
    request = _speaking(session, group, seen)
    _finish(session, request, utcnow())
    _store(session)
    return request


def put_back(session: Session, group: Group, seen: int) -> FloorRequest:
    """Put the last speaker called back at the top of the list, as if never called."""
    _bump(session, group, seen)
    query = select(FloorRequest).where(
        FloorRequest.group_id == group.id, col(FloorRequest.started_at).is_not(None)
    )
    last = session.exec(query.order_by(col(FloorRequest.started_at).desc())).first()
    if last is None:
        session.rollback()
        raise FloorError(_("No one has spoken yet."))
    top = min([r.position for r in waiting(session, group)] or [0])
    last.started_at = last.ended_at = last.deadline = None
    last.seconds_left = last.spoken_seconds = last.overrun_seconds = None
    last.allowed_seconds, last.position = 0, top - 1
    session.add(last)
    _store(session)
    return last


def move(session: Session, group: Group, seen: int, request_id: int, step: int) -> FloorRequest:
    """Move a waiting request one place up (step -1) or down (step 1)."""
    _bump(session, group, seen)
    queue = waiting(session, group)
    index = next((i for i, r in enumerate(queue) if r.id == request_id), None)
    if index is None:
        session.rollback()
        raise FloorError(_("That delegation is no longer waiting."))
    other = index + step
    if 0 <= other < len(queue):
        queue[index], queue[other] = queue[other], queue[index]
        for position, request in enumerate(queue):
            request.position = position
            session.add(request)
    moved = queue[other] if 0 <= other < len(queue) else queue[index]
    _store(session)
    return moved


def withdraw(
    session: Session,
    group: Group,
    request_id: int,
    seen: int | None = None,
    delegation_id: int | None = None,
) -> FloorRequest:
    """Take a waiting request off the list (a moderator, or the delegation that asked)."""
    _bump(session, group, seen)
    request = session.get(FloorRequest, request_id)
    mine = request is not None and delegation_id in (None, request.delegation_id)
    if (
        request is None
        or not mine
        or request.group_id != group.id
        or state_of(request) != "waiting"
    ):
        session.rollback()
        raise FloorError(_("That delegation is no longer waiting."))
    request.withdrawn_at = utcnow()
    session.add(request)
    _store(session)
    return request


def set_closed(session: Session, group: Group, closed: bool) -> None:
    """Close the list to new requests (those waiting still speak), or open it again."""
    row = _bump(session, group, None)
    row.closed_at = utcnow() if closed else None
    session.add(row)
    _store(session)


def names(session: Session, requests: list[FloorRequest]) -> dict[int, Delegation]:
    """Return the delegations of these requests, by id, in one query."""
    ids = {r.delegation_id for r in requests}
    if not ids:
        return {}
    return {
        ident(d): d for d in session.exec(select(Delegation).where(col(Delegation.id).in_(ids)))
    }


def version(session: Session, group_id: int) -> int:
    """Return a list's version: the cheap query projectors watch."""
    query = select(FloorList.version).where(FloorList.group_id == group_id)
    return session.exec(query).first() or 0


@dataclass
class Entry:
    """A request as pages show it."""

    request: FloorRequest
    name: str
    kind: str


def entries(session: Session, requests: list[FloorRequest]) -> list[Entry]:
    """Name the delegation and the kind of each request."""
    found, kinds = names(session, requests), kind_names()
    return [
        Entry(
            r,
            delegation_name(found[r.delegation_id].name, found[r.delegation_id].iso2),
            kinds.get(r.kind, r.kind),
        )
        for r in requests
    ]


def state(session: Session, meeting: Meeting, group: Group) -> dict[str, Any]:
    """Return what a projector, a phone or a moderator's page shows, with the server's time."""
    row, now = list_of(session, group), utcnow()
    speaking = current(session, group)
    queue = waiting(session, group)
    shown = entries(session, ([speaking] if speaking else []) + queue)
    on_floor = shown.pop(0) if speaking else None
    return {
        "version": row.version,
        "now": now.timestamp(),
        "group": f"{group.number}. {localize(group.title)}",
        "closed": row.closed_at is not None,
        "warning": warning_for(meeting),
        "current": _speaker(on_floor, now) if on_floor else None,
        "next": [{"id": e.request.id, "name": e.name, "kind": e.kind} for e in shown[:SHOWN_NEXT]],
        "waiting": len(queue),
    }


def _speaker(entry: Entry, now: datetime) -> dict[str, Any]:
    request = entry.request
    return {
        "id": request.id,
        "name": entry.name,
        "kind": entry.kind,
        "state": state_of(request),
        "allowed": request.allowed_seconds,
        "deadline": request.deadline.timestamp() if request.deadline else None,
        "seconds_left": round(seconds_left(request, now), 1),
    }


def clock_text(seconds: float) -> str:
    """Show seconds left as m:ss, with a minus sign once over time (as the browser does)."""
    whole = math.ceil(abs(seconds) - 0.001)
    sign = "−" if seconds < 0 else ""
    return f"{sign}{whole // 60}:{whole % 60:02d}"


def requests_of(session: Session, delegation: Delegation) -> list[FloorRequest]:
    """Return a delegation's requests still waiting, in any group."""
    query = select(FloorRequest).where(
        FloorRequest.delegation_id == delegation.id,
        col(FloorRequest.started_at).is_(None),
        col(FloorRequest.withdrawn_at).is_(None),
    )
    return list(session.exec(query.order_by(col(FloorRequest.requested_at))))


def spoken_by(session: Session, group: Group) -> dict[int, tuple[int, int]]:
    """Return, per delegation, how many times it spoke in a group and for how many seconds."""
    query = (
        select(
            FloorRequest.delegation_id,
            func.count(),
            func.coalesce(func.sum(FloorRequest.spoken_seconds), 0),
        )
        .where(FloorRequest.group_id == group.id, col(FloorRequest.ended_at).is_not(None))
        .group_by(col(FloorRequest.delegation_id))
    )
    return {d: (int(n), int(s or 0)) for d, n, s in session.exec(query)}
