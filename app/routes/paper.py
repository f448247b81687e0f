"""The secretariat's paper cards: issue serials, print the blank cards, void lost ones, and
see what the clerks have keyed."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select

from app import audit, paper, printing
from app.audit import user_actor
from app.db import SessionDep
from app.deps import MeetingDep, RowId, Secretariat, group_by_slug
from app.forms import FormData
from app.i18n import _, delegation_name, sort_key
from app.meetings import meeting_groups
from app.models import Delegation, Meeting, User
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/paper")
def read_paper(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat, voided: str = ""
) -> Response:
    """Show the serials per group, what each clerk keyed, and the forms to issue and void."""
    context = _context(session, meeting, user) | {"voided": voided[:16]}
    return render(request, "paper/paper.html", context)


@router.post("/paper/batches")
def create_batch(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat, form: FormData
) -> Response:
    """Issue the next serials of a group, then open their sheet to print."""
    group = group_by_slug(session, meeting, form.get("group", "")[:40])
    typed = form.get("count", "").strip()
    errors: dict[str, str] = {}
    if group is None:
        errors["group"] = _("Choose the group the cards are for.")
    if not (typed.isdigit() and 1 <= int(typed) <= paper.MAX_BATCH):
        errors["count"] = _("Give a number of cards from 1 to %(most)s.", most=paper.MAX_BATCH)
    chosen = form.get("delegation", "")
    known = chosen.isdigit() and len(chosen) < 10
    delegation = session.get(Delegation, int(chosen)) if known else None
    if chosen and delegation is None:
        errors["delegation"] = _("Choose a delegation from the list, or none.")
    if errors or group is None:
        context = _context(session, meeting, user) | {"errors": errors, "typed": form}
        return render(request, "paper/paper.html", context, status_code=422)
    serials = paper.issue_serials(session, meeting, group, int(typed), user_actor(user), delegation)
    return RedirectResponse(f"/paper/batches/{serials[0].batch}", status_code=303)


@router.get("/paper/batches/{batch}")
def read_batch(
    session: SessionDep, meeting: MeetingDep, user: Secretariat, batch: RowId
) -> Response:
    """Show a batch's blank cards as the A4 sheets to print, in the interface language."""
    serials = paper.batch_serials(session, meeting, batch)
    if not serials:
        raise HTTPException(404)
    return HTMLResponse(printing.cards_html(session, meeting, serials, inline=False))


@router.post("/paper/void")
def create_void(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat, form: FormData
) -> Response:
    """Void the serial of a spoilt or lost card, so that it is never keyed."""
    typed = form.get("serial", "")[:200]
    try:
        serial = paper.void_serial(session, meeting, typed, user_actor(user))
    except paper.SerialRefused as refused:
        context = _context(session, meeting, user)
        context |= {"errors": {"void": refused.message}, "typed": {"serial": typed}}
        return render(request, "paper/paper.html", context, status_code=422)
    return RedirectResponse(f"/paper?voided={serial}", status_code=303)


@router.post("/paper/double-entry")
def update_double_entry(
    session: SessionDep, meeting: MeetingDep, user: Secretariat, form: FormData
) -> Response:
    """Switch double entry on or off; a card keyed once already is keyed a second time anyway."""
    wanted = form.get("double_entry") == "on"
    if wanted != meeting.paper_double_entry:
        meeting.paper_double_entry = wanted
        session.add(meeting)
        audit.record(
            session, user_actor(user), "paper.double_entry", "meeting", meeting.slug, on=wanted
        )
        session.commit()
    return RedirectResponse("/paper#double-entry", status_code=303)


def _context(session: Session, meeting: Meeting, user: User) -> dict[str, Any]:
    groups = meeting_groups(session, meeting)
    delegations = sorted(
        session.exec(select(Delegation)), key=lambda d: sort_key(delegation_name(d.name, d.iso2))
    )
    return {
        "meeting": meeting,
        "user": user,
        "groups": groups,
        "delegations": delegations,
        "figures": paper.paper_figures(session, meeting, groups),
        "errors": {},
        "typed": {},
        "wide": True,
    }
