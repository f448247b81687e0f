"""Home, signing a phone in as a delegation, signing out, and the language switcher."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from app import auth, i18n
from app.access import find_active
from app.cards import delegation_cards
from app.db import SessionDep
from app.deps import SESSION_KEY, MaybeDelegate, MaybeUser, MeetingDep, SlipCode, TypedCode
from app.forms import FormData, safe_next
from app.i18n import _, ngettext
from app.limits import Attempt
from app.meetings import meeting_groups
from app.models import AccessCode, Delegation
from app.settings import get_settings
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def read_home(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: MaybeDelegate,
    user: MaybeUser,
) -> Response:
    """Show the meeting, its groups, and what the signed-in delegation has written."""
    cards = delegation_cards(session, meeting, delegate.delegation) if delegate else []
    context = {
        "meeting": meeting,
        "groups": meeting_groups(session, meeting),
        "delegate": delegate,
        "user": user,
        "card_count": sum(1 for c in cards if c.status == "active"),
    }
    return render(request, "home.html", context)


@router.get("/join")
def read_join(request: Request, meeting: MeetingDep, next: str = "/") -> Response:
    """Show the form where a delegate types the code from the slip."""
    return render(request, "join/join.html", {"meeting": meeting, "next": safe_next(next)})


@router.post("/join")
def create_sign_in(
    request: Request, turn: TypedCode, session: SessionDep, meeting: MeetingDep, form: FormData
) -> Response:
    """Sign the phone in with a typed code, or say clearly that the code does not work."""
    typed, target = form.get("code", ""), safe_next(form.get("next"))
    if turn.retry_after:
        return _refused(request, meeting, target, typed, turn)
    access = find_active(session, meeting, typed)
    if access is None:
        error = _("This code does not work. Check it against your slip, or ask the secretariat.")
        if not typed.strip():
            error = _("Type the code printed on your delegation's slip.")
        context = {"meeting": meeting, "next": target, "code": typed[:40], "error": error}
        return render(request, "join/join.html", context, status_code=422)
    turn.succeeded()
    return _sign_in(request, session, meeting, target, access=access)


@router.get("/j/{code}")
def read_slip_link(
    request: Request, turn: SlipCode, session: SessionDep, meeting: MeetingDep, code: str
) -> Response:
    """Sign in from the QR code on a slip; a bad code lands on the join form with a message."""
    if turn.retry_after:
        return _refused(request, meeting, "/", code, turn)
    access = find_active(session, meeting, code)
    if access is None:
        error = _("This code does not work. Check it against your slip, or ask the secretariat.")
        context = {"meeting": meeting, "next": "/", "code": code[:40], "error": error}
        return render(request, "join/join.html", context, status_code=404)
    turn.succeeded()
    return _sign_in(request, session, meeting, "/", access=access)


def _refused(
    request: Request, meeting: MeetingDep, target: str, typed: str, turn: Attempt
) -> Response:
    """Show the join form again, the code kept: this address must wait before trying it."""
    error = ngettext(
        "Too many wrong codes were tried from this network. Wait %(num)s second, then try again.",
        "Too many wrong codes were tried from this network. Wait %(num)s seconds, then try again.",
        turn.retry_after,
    )
    context = {"meeting": meeting, "next": target, "code": typed[:40], "error": error}
    response = render(request, "join/join.html", context, status_code=429)
    response.headers["Retry-After"] = str(turn.retry_after)
    return response


def _sign_in(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    target: str,
    access: AccessCode | None = None,
    delegation: Delegation | None = None,
) -> Response:
    # A new session (and a new cookie) at each sign-in, whatever this browser held before.
    delegation = delegation or (session.get(Delegation, access.delegation_id) if access else None)
    if delegation is None:
        raise HTTPException(404)
    request.session.clear()
    request.session[SESSION_KEY] = auth.start_delegate_session(session, meeting, delegation, access)
    return RedirectResponse(target, status_code=303)


@router.get("/join/delegation")
def read_delegation_picker(
    request: Request, session: SessionDep, meeting: MeetingDep, next: str = "/"
) -> Response:
    """List delegations to choose from, where the meeting allows it (informal sessions)."""
    if not meeting.delegation_picker:
        raise HTTPException(404)
    context = {"meeting": meeting, "next": safe_next(next), **_picker(session)}
    return render(request, "join/picker.html", context)


@router.post("/join/delegation")
def create_picked_sign_in(
    request: Request, session: SessionDep, meeting: MeetingDep, form: FormData
) -> Response:
    """Sign the phone in as the delegation chosen from the list."""
    if not meeting.delegation_picker:
        raise HTTPException(404)
    target, typed = safe_next(form.get("next")), form.get("delegation", "").strip()
    delegation = _find_delegation(session, typed)
    if delegation is None:
        error = _("Type your delegation's name and choose it from the list.")
        if typed:
            error = _("No delegation is called “%(name)s”. Choose one from the list.", name=typed)
        context = {"meeting": meeting, "next": target, "typed": typed[:200], "error": error}
        return render(request, "join/picker.html", context | _picker(session), status_code=422)
    return _sign_in(request, session, meeting, target, delegation=delegation)


def _picker(session: SessionDep) -> dict[str, object]:
    names = {i18n.delegation_name(d.name, d.iso2) for d in session.exec(select(Delegation))}
    return {"names": sorted(names, key=i18n.sort_key)}


def _find_delegation(session: SessionDep, typed: str) -> Delegation | None:
    # The list shows names in the interface language; accept those and the stored ones.
    wanted = i18n.sort_key(typed)
    for delegation in session.exec(select(Delegation)):
        shown = i18n.delegation_name(delegation.name, delegation.iso2)
        if wanted and wanted in (i18n.sort_key(shown), i18n.sort_key(delegation.name)):
            return delegation
    return None


@router.get("/language/{code}")
def update_language(code: str, next: str = "/") -> Response:
    """Switch the interface language and remember it in a cookie for a year."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(
            "lang",
            code,
            max_age=365 * 24 * 3600,
            samesite="lax",
            httponly=True,
            secure=get_settings().secure_cookies,
        )
    return response
