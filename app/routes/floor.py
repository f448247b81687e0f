"""Speakers lists: the moderator's page, the room's projector, its live state (SSE or polling)."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import audit, auth, floor
from app.audit import user_actor
from app.db import SessionDep, admitted, let_go, new_session
from app.deps import (
    CurrentUser,
    Forbidden,
    MaybeDelegate,
    MaybeUser,
    MeetingDep,
    RowId,
    SignInRequired,
    group_by_slug,
)
from app.floor_watch import watcher_for
from app.forms import FormData, form_id
from app.i18n import _, delegation_name
from app.meetings import meeting_groups
from app.models import Delegation, Group, Meeting, User
from app.templating import render

router = APIRouter(prefix="/floor", include_in_schema=False)
HEARTBEAT = 15.0  # seconds between states sent when nothing changes: clocks re-sync, proxies stay


def _group(session: Session, meeting: Meeting, slug: str) -> Group:
    group = group_by_slug(session, meeting, slug)
    if group is None:
        raise HTTPException(404)
    return group


def moderated_group(
    slug: str, session: SessionDep, meeting: MeetingDep, user: CurrentUser
) -> Group:
    """Return the group named in the path, if the account runs its speakers list."""
    group = _group(session, meeting, slug)
    if not auth.can_moderate(session, user, group):
        raise Forbidden()
    return group


def watched_group(
    slug: str, session: SessionDep, meeting: MeetingDep, user: MaybeUser, delegate: MaybeDelegate
) -> Group:
    """Return the group named in the path to anyone signed in: staff, or a delegation's phone."""
    if user is None and delegate is None:
        raise SignInRequired(staff=True)
    return _group(session, meeting, slug)


ModeratedGroup = Annotated[Group, Depends(moderated_group)]
WatchedGroup = Annotated[Group, Depends(watched_group)]


@router.get("")
def list_floors(
    request: Request, session: SessionDep, meeting: MeetingDep, user: CurrentUser
) -> Response:
    """List the groups' speakers lists: those this account runs, and every projector."""
    rows = [
        {
            "group": g,
            "mine": auth.can_moderate(session, user, g),
            "state": floor.state(session, meeting, g),
        }
        for g in meeting_groups(session, meeting)
    ]
    return render(request, "floor/index.html", {"meeting": meeting, "user": user, "rows": rows})


def panel_context(session: Session, meeting: Meeting, group: Group) -> dict[str, Any]:
    """What the moderator's panel shows: the floor, who waits, who has spoken."""
    row = floor.list_of(session, group)
    speaking = floor.current(session, group)
    return {
        "group": group,
        "list": row,
        "state": floor.state(session, meeting, group),
        "speaking": floor.entries(session, [speaking])[0] if speaking else None,
        "queue": floor.entries(session, floor.waiting(session, group)),
        "spoken": floor.entries(session, floor.done(session, group))[::-1],
        "kinds": {k: v for k, v in floor.kind_names().items() if k in floor.seconds_for(meeting)},
        "clock_text": floor.clock_text,
    }


def _moderate_page(
    request: Request,
    session: Session,
    meeting: Meeting,
    user: User,
    group: Group,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    delegations = sorted(
        (delegation_name(d.name, d.iso2) for d in session.exec(select(Delegation))),
        key=str.casefold,
    )
    context = (
        panel_context(session, meeting, group)
        | {
            "meeting": meeting,
            "user": user,
            "delegations": delegations,
            "typed": {},
            "errors": {},
            "wide": True,
        }
        | extra
    )
    return render(
        request,
        "floor/moderate.html",
        context,
        status_code=status_code,
        fragment="floor/_panel.html",
    )


@router.get("/{slug}")
def read_floor(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: CurrentUser,
    group: ModeratedGroup,
) -> Response:
    """Show the moderator's page: the floor, the clock, the list and the controls."""
    return _moderate_page(request, session, meeting, user, group)


def find_delegation(session: Session, typed: str) -> Delegation:
    """Find the delegation typed: its name in any case, or the one name that starts so."""
    wanted = typed.strip().casefold()
    if not wanted:
        raise floor.FloorError(_("Type the name of a delegation."))
    found = list(session.exec(select(Delegation).where(col(Delegation.name) != "")))
    for test in (lambda n: n == wanted, lambda n: n.startswith(wanted), lambda n: wanted in n):
        matches = [
            d
            for d in found
            if test(d.name.casefold()) or test(delegation_name(d.name, d.iso2).casefold())
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(sorted(delegation_name(d.name, d.iso2) for d in matches)[:5])
            raise floor.FloorError(_("Several delegations match: %(names)s.", names=names))
    raise floor.FloorError(_("No delegation is called “%(name)s”.", name=typed.strip()[:80]))


@router.post("/{slug}/add")
def add_speaker(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: CurrentUser,
    group: ModeratedGroup,
    form: FormData,
) -> Response:
    """Put a delegation on the list; a wrong name or kind is said next to its field."""
    typed = {"delegation": form.get("delegation", "")[:200], "kind": form.get("kind", "")}
    field = "delegation"
    try:
        delegation = find_delegation(session, typed["delegation"])
        field = "kind"
        audit.record(
            session,
            user_actor(user),
            "floor.add",
            "group",
            group.id,
            delegation=delegation.name,
            kind=typed["kind"],
        )
        floor.add(session, meeting, group, delegation, typed["kind"])
        session.commit()
    except floor.FloorError as error:
        session.rollback()
        return _moderate_page(
            request, session, meeting, user, group, 422, typed=typed, errors={field: str(error)}
        )
    return RedirectResponse(f"/floor/{group.slug}#add", status_code=303)


def _act(
    request: Request,
    session: Session,
    meeting: Meeting,
    user: User,
    group: Group,
    action: str,
    run: Callable[[int], Any],
    form: dict[str, str],
) -> Response:
    """Run a moderator's action at the version their page showed; say so if the list moved."""
    seen = form_id(form.get("version", "x") or "x")
    try:
        if seen is None and form.get("version") != "0":
            raise floor.Changed(_("Reload the page: it did not say which list it showed."))
        request_row = run(seen or 0)
    except floor.FloorError as error:
        session.rollback()
        status = 409 if isinstance(error, floor.Changed) else 422
        return _moderate_page(request, session, meeting, user, group, status, message=str(error))
    name = ""
    if request_row is not None:
        d = session.get(Delegation, request_row.delegation_id)
        name = d.name if d else ""
    audit.record(session, user_actor(user), action, "group", group.id, delegation=name)
    session.commit()
    return RedirectResponse(f"/floor/{group.slug}", status_code=303)


ACTIONS = {
    "next": ("floor.call", lambda s, m, g, v: floor.call_next(s, m, g, v)),
    "pause": ("floor.pause", lambda s, m, g, v: floor.pause(s, g, v)),
    "resume": ("floor.resume", lambda s, m, g, v: floor.resume(s, g, v)),
    "end": ("floor.end", lambda s, m, g, v: floor.end(s, g, v)),
    "put-back": ("floor.put_back", lambda s, m, g, v: floor.put_back(s, g, v)),
}


@router.post("/{slug}/{action}")
def act_on_floor(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: CurrentUser,
    group: ModeratedGroup,
    action: str,
    form: FormData,
) -> Response:
    """Call the next speaker, pause, resume, end, put back; or close or open the list."""
    if action in ("close", "open"):
        floor.set_closed(session, group, action == "close")
        audit.record(session, user_actor(user), f"floor.{action}", "group", group.id)
        session.commit()
        return RedirectResponse(f"/floor/{group.slug}", status_code=303)
    if action not in ACTIONS:
        raise HTTPException(404)
    name, run = ACTIONS[action]
    return _act(
        request,
        session,
        meeting,
        user,
        group,
        name,
        lambda seen: run(session, meeting, group, seen),
        form,
    )


@router.post("/{slug}/requests/{request_id}/{action}")
def change_request(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: CurrentUser,
    group: ModeratedGroup,
    request_id: RowId,
    action: str,
    form: FormData,
) -> Response:
    """Move a waiting delegation up or down the list, or take it off."""
    steps = {"up": -1, "down": 1}
    if action in steps:
        return _act(
            request,
            session,
            meeting,
            user,
            group,
            "floor.move",
            lambda seen: floor.move(session, group, seen, request_id, steps[action]),
            form,
        )
    if action == "remove":
        return _act(
            request,
            session,
            meeting,
            user,
            group,
            "floor.remove",
            lambda seen: floor.withdraw(session, group, request_id, seen),
            form,
        )
    raise HTTPException(404)


@router.get("/{slug}/projector")
def read_projector(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: MaybeUser,
    delegate: MaybeDelegate,
    group: WatchedGroup,
) -> Response:
    """Show the room's screen: the speaker in large type, the clock, who comes next."""
    context = {
        "meeting": meeting,
        "group": group,
        "state": floor.state(session, meeting, group),
        "clock_text": floor.clock_text,
        "user": user,
        "delegate": delegate,
    }
    return render(request, "floor/projector.html", context)


@router.get("/{slug}/state")
def read_state(session: SessionDep, meeting: MeetingDep, group: WatchedGroup) -> Response:
    """Return the list's state as JSON, with the server's time: the polling fallback."""
    return JSONResponse(floor.state(session, meeting, group), headers={"Cache-Control": "no-store"})


def _state_now(engine: Engine, meeting_id: int, group_id: int) -> dict[str, Any]:
    with new_session(engine) as session:
        meeting, group = session.get(Meeting, meeting_id), session.get(Group, group_id)
        assert meeting is not None and group is not None
        return floor.state(session, meeting, group)


async def _read_state(engine: Engine, meeting_id: int, group_id: int) -> dict[str, Any]:
    """Read a list's state for a stream, waiting for a connection as a request does."""
    async with admitted(engine):
        return await asyncio.to_thread(_state_now, engine, meeting_id, group_id)


@router.get("/{slug}/events")
async def stream_events(
    request: Request, session: SessionDep, meeting: MeetingDep, group: WatchedGroup
) -> Response:
    """Send the list's state each time its version changes in the database (any server).

    A client that does not ask for an event stream (EventSource always does) gets the
    current state as one event, and the response ends.
    """
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    meeting_id, group_id = meeting.id or 0, group.id or 0
    let_go(session)  # the stream holds no connection, nor a place at the door, between reads
    once = "text/event-stream" not in request.headers.get("accept", "")
    return StreamingResponse(
        _events(request, engine, meeting_id, group_id, once),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, engine: Engine, meeting_id: int, group_id: int, once: bool
) -> AsyncIterator[str]:
    if once:
        state = await _read_state(engine, meeting_id, group_id)
        yield f"data: {json.dumps(state)}\n\n"
        return
    watcher = watcher_for(engine)
    changed = watcher.subscribe()
    sent = -1
    try:
        while not await request.is_disconnected():
            state = await _read_state(engine, meeting_id, group_id)
            sent = state["version"]
            yield f"retry: 1000\ndata: {json.dumps(state)}\n\n"
            deadline = asyncio.get_running_loop().time() + HEARTBEAT
            while True:
                changed.clear()  # before looking, so that a change meanwhile wakes the wait
                left = deadline - asyncio.get_running_loop().time()
                if watcher.version(group_id) not in (None, sent) or left <= 0:
                    break
                try:
                    await asyncio.wait_for(changed.wait(), timeout=left)
                except TimeoutError:
                    break
    finally:
        watcher.unsubscribe(changed)
