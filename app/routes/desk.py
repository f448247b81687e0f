"""The transcription desk: a clerk keys in paper cards, serial first, keyboard only."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from app import double_entry, paper
from app.cards import CardInput, form_answers, read_card_input
from app.db import SessionDep
from app.deps import Clerk, MeetingDep, group_by_slug
from app.forms import FormData
from app.i18n import _, get_language, sort_key
from app.meetings import meeting_groups
from app.models import CardSerial, Delegation, Group, Meeting, User
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/desk")
def read_desk(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: Clerk,
    desk: str = "",
    serial: str = "",
    language: str = "",
    saved: str = "",
    outcome: str = "",
) -> Response:
    """Ask for a card's serial; once it is known, show the form for that card's group."""
    context = _context(session, meeting, user, desk, language)
    context["saved"] = saved[:16]
    context["outcome"] = outcome if outcome in OUTCOMES else ""
    context["typed_serial"] = serial[:200]
    if serial.strip():
        try:
            found = paper.find_serial(session, meeting, serial, context["desk_group"], user)
        except paper.SerialRefused as refused:
            return _refused(request, session, context, refused, 200)
        context |= _card_context(session, meeting, found, CardInput(language=context["language"]))
        if found.delegation_id:
            context["chosen"] = found.delegation_id
    return render(request, "desk/desk.html", context)


@router.get("/desk/delegations")
def read_desk_delegations(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: Clerk,
    delegation_q: str = "",
) -> Response:
    """Return the delegation list narrowed to what was typed, best first (htmx, as typed)."""
    options = _options(session, meeting, delegation_q[:200])
    chosen = options[0].id if delegation_q.strip() and options else None
    context: dict[str, Any] = {"options": options, "chosen": chosen, "errors": {}}
    return render(request, "desk/_delegations.html", context)


@router.post("/desk/cards")
def create_desk_card(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Clerk, form: FormData
) -> Response:
    """Store a keyed card as its delegation's own, then open the next; or say what is wrong."""
    context = _context(session, meeting, user, form.get("desk", ""), form.get("language", ""))
    typed = form.get("serial", "")
    context["typed_serial"] = typed[:200]
    try:
        found = paper.find_serial(session, meeting, typed, context["desk_group"], user)
    except paper.SerialRefused as refused:
        return _refused(request, session, context, refused, 422)
    group = session.get(Group, found.group_id)
    assert group is not None
    data = {**form, "group": group.slug}
    card = read_card_input(meeting, [group], data, form_answers(form))
    typed_q = form.get("delegation_q", "")[:200]
    delegation, options = _read_delegation(session, meeting, typed_q, form.get("delegation", ""))
    if delegation is None:
        card.errors["delegation"] = (
            _("Several delegations match: choose one in the list.")
            if options
            else _("No delegation matches what was typed: check the name on the card.")
        )
        if not typed_q.strip():
            card.errors["delegation"] = _("Type the delegation written on the card.")
    if card.errors.get("group"):
        card.errors["serial"] = card.errors.pop("group")
    if not card.ok or delegation is None:
        context |= _card_context(session, meeting, found, card)
        context |= {"typed_q": typed_q, "errors": card.errors}
        if options and typed_q.strip():
            context["options"] = options
        return render(request, "desk/desk.html", context, status_code=422)
    outcome: str = ""  # keyed once and for all, unless under double entry
    try:
        if double_entry.keys_twice(meeting, found):
            outcome = double_entry.key_once_more(session, meeting, found, delegation, card, user)
        else:
            paper.key_card(session, meeting, found, delegation, card, user)
    except paper.SerialRefused as refused:
        return _refused(request, session, context, refused, 409)
    query = f"desk={context['desk']}&language={card.language}&saved={found.serial}"
    query += f"&outcome={outcome}" if outcome else ""
    return RedirectResponse(f"/desk?{query}", status_code=303)


# What became of a card saved under double entry, for the desk to say: keyed once (waiting
# for a second clerk), agreed (the card is made), or differs (waiting for a third person).
OUTCOMES = ("once", "agreed", "differs")


def _refused(
    request: Request,
    session: Session,
    context: dict[str, Any],
    refused: paper.SerialRefused,
    status_code: int,
) -> Response:
    """Show the serial form again with why the serial cannot be keyed (and its card)."""
    context["errors"] = {"serial": refused.message}
    context["keyed"] = _keyed(session, refused)
    context["differs"] = refused.differs
    return render(request, "desk/desk.html", context, status_code=status_code)


def _context(
    session: Session, meeting: Meeting, user: User, desk: str, language: str
) -> dict[str, Any]:
    desk_group = group_by_slug(session, meeting, desk[:40]) if desk else None
    if language not in meeting.languages:
        language = get_language() if get_language() in meeting.languages else meeting.languages[0]
    return {
        "meeting": meeting,
        "user": user,
        "groups": meeting_groups(session, meeting),
        "desk_group": desk_group,
        "desk": desk_group.slug if desk_group else "",
        "language": language,
        "errors": {},
        "serial": None,
        "double_entry": meeting.paper_double_entry,
        "waiting": double_entry.waiting_count(session, meeting),
    }


def _card_context(
    session: Session, meeting: Meeting, serial: CardSerial, card: CardInput
) -> dict[str, Any]:
    return {
        "serial": serial,
        "group": session.get(Group, serial.group_id),
        "card": card,
        "options": _options(session, meeting, ""),
        "typed_q": "",
        "chosen": None,
    }


def _options(session: Session, meeting: Meeting, typed: str) -> list[Delegation]:
    """Every delegation by its name in the interface language, or the ranked matches."""
    if typed.strip():
        return paper.rank_delegations(paper.lookup_entries(session, meeting), typed)
    every = list(session.exec(select(Delegation)))
    language = get_language()
    return sorted(every, key=lambda d: sort_key(paper.shown_name(d.name, d.iso2, language)))


def _read_delegation(
    session: Session, meeting: Meeting, typed: str, chosen: str
) -> tuple[Delegation | None, list[Delegation]]:
    """Return the delegation meant: the one picked if it matches what was typed, else the
    one match that is clearly meant; and the matches, for the clerk to pick from."""
    picked = session.get(Delegation, int(chosen)) if chosen.isdigit() and len(chosen) < 10 else None
    if not typed.strip():
        return picked, []
    best, found = paper.best_delegation(paper.lookup_entries(session, meeting), typed)
    if picked is not None and picked in found:
        return picked, found
    return best, found


def _keyed(session: Session, refused: paper.SerialRefused) -> dict[str, Any] | None:
    """Describe the card already keyed under a serial, for the clerk to compare."""
    card = refused.keyed
    if card is None:
        return None
    group = session.get(Group, card.group_id)
    delegation = session.get(Delegation, card.delegation_id)
    clerk = session.get(User, card.keyed_by) if card.keyed_by else None
    return {"card": card, "group": group, "delegation": delegation, "clerk": clerk}
