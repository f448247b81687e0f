"""Double entry's third person: the two keyings of a paper card side by side, to settle."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import double_entry, paper
from app.db import SessionDep
from app.deps import Clerk, MeetingDep
from app.forms import FormData
from app.models import CardSerial, Group, Meeting, User
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/desk/differences")
def read_differences(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Clerk, settled: str = ""
) -> Response:
    """List the paper cards whose two keyings differ, for a third person to settle."""
    serials = double_entry.waiting(session, meeting)
    mine = double_entry.keyed_by(session, serials, user)
    rows = [{"serial": serial, "mine": serial.id in mine} for serial in serials]
    context = {"meeting": meeting, "user": user, "rows": rows, "settled": settled[:16]}
    return render(request, "desk/differences.html", context)


@router.get("/desk/differences/{serial}")
def read_difference(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Clerk, serial: str
) -> Response:
    """Show a card's two keyings side by side, each difference with its choices."""
    context = _context(session, meeting, user, serial)
    if context is None:
        return _moved_on(serial)
    return render(request, "desk/settle.html", context)


@router.post("/desk/differences/{serial}")
def settle_difference(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: Clerk,
    serial: str,
    form: FormData,
) -> Response:
    """Make the card as the third person read it; or say what is missing, keeping the choices."""
    context = _context(session, meeting, user, serial)
    if context is None:  # settled or voided meanwhile: the desk says which
        return _moved_on(serial)
    if context["mine"]:
        return render(request, "desk/settle.html", context, status_code=403)
    settled = double_entry.read_settlement(meeting, context["group"], context["fields"], form)
    context["form"] = form
    if settled.errors:
        context["errors"] = settled.errors
        return render(request, "desk/settle.html", context, status_code=422)
    try:
        double_entry.settle(session, meeting, context["serial"], settled, user)
    except paper.SerialRefused as refused:
        context["errors"] = {"serial": refused.message}
        return render(request, "desk/settle.html", context, status_code=409)
    return RedirectResponse(f"/desk/differences?settled={context['serial'].serial}", 303)


def _context(session: Session, meeting: Meeting, user: User, typed: str) -> dict[str, Any] | None:
    """Find the serial waiting to be settled, and lay its two keyings side by side."""
    serial = _waiting_serial(session, meeting, typed)
    if serial is None:
        return None
    group = session.get(Group, serial.group_id)
    assert group is not None
    first, second = double_entry.keyings(session, serial)
    return {
        "meeting": meeting,
        "user": user,
        "serial": serial,
        "group": group,
        "fields": double_entry.compare(session, group, first, second),
        "clerks": [session.get(User, k.clerk_id) for k in (first, second)],
        "mine": user.id in (first.clerk_id, second.clerk_id),
        "errors": {},
        "form": {},
        "wide": True,
    }


def _waiting_serial(session: Session, meeting: Meeting, typed: str) -> CardSerial | None:
    """Return the serial if its keyings differ and wait, None if it moved on; 404 if none."""
    try:
        serial = paper.issued_serial(session, meeting, typed[:40])
    except paper.SerialRefused:
        raise HTTPException(404) from None
    if serial.status == "differs":
        return serial
    if serial.differences is None:  # never keyed twice: nothing to compare
        raise HTTPException(404)
    return None


def _moved_on(serial: str) -> Response:
    """Send a stale link to the desk, which says what became of the serial."""
    return RedirectResponse(f"/desk?{urlencode({'serial': serial[:40]})}", status_code=303)
