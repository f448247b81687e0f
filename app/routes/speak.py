"""A delegate's phone asks for the floor in a group, and can withdraw the request."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import audit, floor
from app.audit import delegation_actor
from app.db import SessionDep
from app.deps import CurrentDelegate, Delegate, MeetingDep, RowId, group_by_slug
from app.forms import FormData
from app.i18n import _
from app.meetings import meeting_groups
from app.models import FloorRequest, Meeting, ident
from app.templating import render

router = APIRouter(prefix="/speak", include_in_schema=False)


def _context(session: Session, meeting: Meeting, delegate: Delegate) -> dict[str, Any]:
    groups = {ident(g): g for g in meeting_groups(session, meeting)}
    mine = [r for r in floor.requests_of(session, delegate.delegation) if r.group_id in groups]
    return {
        "meeting": meeting,
        "delegate": delegate,
        "groups": list(groups.values()),
        "closed": {gid for gid in groups if floor.list_of(session, groups[gid]).closed_at},
        "mine": [(r, groups[r.group_id], floor.place(session, r)) for r in mine],
        "kinds": {k: v for k, v in floor.kind_names().items() if k in floor.seconds_for(meeting)},
        "typed": {},
        "errors": {},
    }


@router.get("")
def read_speak(
    request: Request, session: SessionDep, meeting: MeetingDep, delegate: CurrentDelegate
) -> Response:
    """Show where the delegation waits for the floor, and the form to ask for it."""
    return render(request, "floor/speak.html", _context(session, meeting, delegate))


@router.post("")
def ask_for_floor(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    form: FormData,
) -> Response:
    """Put the delegation on a group's speakers list; say next to the field what is wrong."""
    typed = {"group": form.get("group", "")[:40], "kind": form.get("kind", "")[:20]}
    group = group_by_slug(session, meeting, typed["group"])
    errors = {}
    if group is None:
        errors["group"] = _("Choose a group.")
    else:
        try:
            audit.record(
                session,
                delegation_actor(delegate.delegation),
                "floor.ask",
                "group",
                group.id,
                delegation=delegate.delegation.name,
                kind=typed["kind"],
            )
            floor.add(session, meeting, group, delegate.delegation, typed["kind"], "delegation")
            session.commit()
        except floor.FloorError as error:
            session.rollback()
            errors["kind"] = str(error)
    if errors:
        context = _context(session, meeting, delegate) | {"typed": typed, "errors": errors}
        return render(request, "floor/speak.html", context, status_code=422)
    return RedirectResponse("/speak?asked=1", status_code=303)


@router.post("/{request_id}/withdraw")
def withdraw_request(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    request_id: RowId,
) -> Response:
    """Take the delegation's own request off the list, while it still waits."""
    found = session.get(FloorRequest, request_id)
    group = next(
        (g for g in meeting_groups(session, meeting) if found and g.id == found.group_id), None
    )
    try:
        if found is None or group is None:
            raise floor.FloorError(_("That request is no longer waiting."))
        audit.record(
            session,
            delegation_actor(delegate.delegation),
            "floor.withdraw",
            "group",
            group.id,
            delegation=delegate.delegation.name,
        )
        floor.withdraw(session, group, request_id, delegation_id=ident(delegate.delegation))
        session.commit()
    except floor.FloorError as error:
        session.rollback()
        context = _context(session, meeting, delegate) | {"message": str(error)}
        return render(request, "floor/speak.html", context, status_code=409)
    return RedirectResponse("/speak?withdrawn=1", status_code=303)
