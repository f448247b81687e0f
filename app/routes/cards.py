"""The delegate's cards: write, see, edit and withdraw, from a phone."""

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from app.audit import delegation_actor
from app.cards import (
    CardConflict,
    CardInput,
    card_versions,
    clean_text,
    create_card,
    delegation_cards,
    edit_card,
    form_answers,
    intake_open,
    parse_card_id,
    read_card_input,
    reinstate_card,
    support_card,
    support_input,
    support_of,
    withdraw_card,
)
from app.db import SessionDep
from app.deps import (
    SESSION_KEY,
    CurrentDelegate,
    Delegate,
    MaybeDelegate,
    MeetingDep,
    SignInRequired,
    find_delegate,
    get_meeting,
    group_by_slug,
    named_group,
)
from app.embedding import card_text, meeting_vectors
from app.forms import FormData
from app.i18n import _, get_language, ngettext
from app.intake import Submission, intake_for
from app.ledger import released_groups
from app.limits import TooManyRequests, check_card_rate, client_address, limiter
from app.meetings import main_question, meeting_groups
from app.models import Card, Delegation, Group, Meeting, ident
from app.similarity import THRESHOLD, centred, encoder, similar
from app.templating import is_fragment_request, render

router = APIRouter(include_in_schema=False)


@router.get("/g/{slug}")
def read_poster_link(session: SessionDep, meeting: MeetingDep, slug: str) -> Response:
    """Open a group's card form from the QR poster in its room."""
    if group_by_slug(session, meeting, slug) is None:
        raise HTTPException(404)
    return RedirectResponse(f"/cards/new?group={slug}", status_code=303)


@router.get("/cards/new")
def read_new_card(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    group: str = "",
) -> Response:
    """Show an empty card, with a fresh card id so that a repeated submit stores one card."""
    language = get_language() if get_language() in meeting.languages else meeting.languages[0]
    card = CardInput(group=group_by_slug(session, meeting, group), language=language)
    return _card_form(request, session, meeting, delegate, card, str(uuid.uuid4()))


# The hint of close cards while a delegate writes (GET /cards/similar): at most this many, for
# a text of at least this many characters, and this many hints a minute per delegation (one
# encode each); past it the hint stays as it was until the minute has passed.
SIMILAR_MOST = 3
SIMILAR_MIN_TEXT = 12
SIMILAR_PER_MINUTE = 120


@router.get("/cards/similar")
def read_similar_cards(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: MaybeDelegate,
    group: str = "",
    language: str = "",
) -> Response:
    """Show the cards of other delegations in the group that say something close to the
    main answer being typed; nothing when none is close enough. Filled in by htmx only."""
    if delegate is None:
        # Not the sign-in page, which htmx would put in the form: an empty hint.
        return Response(status_code=401, headers={"Cache-Control": "no-store"})
    found = group_by_slug(session, meeting, group)
    context: dict[str, Any] = {"similar": [], "group": found}
    if found is not None and found.questions:
        main = main_question(found)
        text = clean_text(request.query_params.get(f"answers.{main['key']}"))
        text = text[: main["max_length"]]
        if len(text) >= SIMILAR_MIN_TEXT and _may_compare(delegate):
            context["similar"] = _similar_cards(session, found, delegate, text, language)
    response = render(request, "cards/_similar.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _may_compare(delegate: Delegate) -> bool:
    try:
        limiter.take([("similar", str(delegate.delegation.id), SIMILAR_PER_MINUTE)], 60)
    except TooManyRequests:
        return False
    return True


def _similar_cards(
    session: Session, group: Group, delegate: Delegate, text: str, language: str
) -> list[dict[str, Any]]:
    vectors = meeting_vectors(session, group.meeting_id, encoder())
    if not vectors.ids:
        return []  # nothing embedded yet: answered without encoding anything
    # Cards that back another are left out: the card they back is shown instead.
    others = dict(
        session.exec(
            select(Card.id, Card.language).where(
                Card.group_id == group.id,
                Card.status == "active",
                Card.delegation_id != delegate.delegation.id,
                col(Card.supports_card_id).is_(None),
            )
        ).all()
    )
    ids, matrix = vectors.of(list(others))
    if not ids:
        return []
    query = encoder().encode([text])
    if vectors.means is not None:
        query = centred(query, [language], vectors.means)
    languages = [others[card_id] for card_id in ids] if vectors.means is not None else []
    nearest = similar(query[0], matrix, SIMILAR_MOST, language, languages)
    close = {ids[i]: score for i, score in nearest}
    close = {card_id: score for card_id, score in close.items() if score >= THRESHOLD}
    if not close:
        return []
    rows = session.exec(
        select(Card, Delegation)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(col(Card.id).in_(close))
    ).all()
    backed = set(
        session.exec(
            select(Card.supports_card_id).where(
                Card.delegation_id == delegate.delegation.id,
                Card.status == "active",
                col(Card.supports_card_id).in_(close),
            )
        )
    )
    found = [
        {
            "card": card,
            "delegation": delegation,
            "text": card_text(card, group),
            "backed": card.id in backed,
            "new_id": str(uuid.uuid4()),
        }
        for card, delegation in rows
    ]
    return sorted(found, key=lambda item: -close[item["card"].id])


@router.post("/cards/{card_id}/support")
def create_support(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: MaybeDelegate,
    card_id: str,
    form: FormData,
) -> Response:
    """Store a card of the delegate's own delegation that backs another delegation's card,
    or show the one that already does."""
    if delegate is None and is_fragment_request(request):
        # The sign-in page, not inside the form: the typed card waits there as a draft.
        return Response(status_code=401, headers={"HX-Redirect": "/join?next=/cards/new"})
    if delegate is None:
        raise SignInRequired()
    other = session.get(Card, parse_card_id(card_id) or "")
    if other is None or other.meeting_id != meeting.id:
        raise HTTPException(404)
    if other.supports_card_id:  # a card that backs another: the support goes to that one
        other = session.get(Card, other.supports_card_id) or other
    slug = clean_text(form.get("group"))
    group = group_by_slug(session, meeting, slug) if slug else None
    try:
        if slug and group is None:
            raise CardConflict(_("Choose the action group this card is for."))
        card = support_input(session, meeting, delegate.delegation, other, group)
        stored = support_of(session, delegate.delegation, other)
        created = stored is None
        if stored is None:
            new_id = parse_card_id(form.get("card_id")) or str(uuid.uuid4())
            check_card_rate(client_address(request), ident(delegate.delegation))
            access_id = delegate.access.id if delegate.access else None
            stored, created = support_card(
                session, meeting, delegate.delegation, new_id, card, access_id
            )
    except CardConflict as refused:
        return _support_answer(request, session, other, error=str(refused), status_code=409)
    except TooManyRequests as slow:
        response = _support_answer(request, session, other, error=_too_fast(slow), status_code=429)
        response.headers["Retry-After"] = str(slow.retry_after)
        return response
    if not is_fragment_request(request):
        return RedirectResponse(f"/cards/{stored.id}{'?sent=1' if created else ''}", 303)
    return _support_answer(request, session, other, stored=stored, created=created)


def _support_answer(
    request: Request,
    session: Session,
    other: Card,
    *,
    stored: Card | None = None,
    created: bool = False,
    error: str = "",
    status_code: int = 200,
) -> Response:
    """Answer "add our support": in the form's hint for htmx, else as a page of its own."""
    context = {
        "other": other,
        "delegation": session.get(Delegation, other.delegation_id),
        "stored": stored,
        "created": created,
        "error": error,
    }
    if is_fragment_request(request):
        return render(request, "cards/_similar.html", context, status_code=status_code)
    return render(request, "error.html", {"message": error}, status_code=status_code)


@router.post("/cards")
async def create_card_from_form(request: Request, session: SessionDep, form: FormData) -> Response:
    """Store a card from the form, or show it again with a message next to each problem."""
    # The busiest page under load. A plain new card is stored with the others waiting, one
    # commit for all (app.intake); anything else takes the full path, in one trip to a
    # worker thread: as sync dependencies and a sync handler it took three, and under load
    # each trip costs more than the queries it carries.
    card_id = parse_card_id(form.get("card_id"))
    token = request.session.get(SESSION_KEY)
    # A Bearer code outranks the cookie (app.deps.find_delegate): such a card goes the full way.
    if card_id and isinstance(token, str) and "authorization" not in request.headers:
        submission = Submission(token, client_address(request), card_id, form)
        if await intake_for(session).store(submission):
            return RedirectResponse(f"/cards/{card_id}?sent=1", status_code=303)
    return await run_in_threadpool(_create_card_from_form, request, session, form)


def _create_card_from_form(request: Request, session: Session, form: dict[str, str]) -> Response:
    meeting = get_meeting(session)
    delegate = find_delegate(request, session, meeting)
    if delegate is None:
        raise SignInRequired()
    card_id = parse_card_id(form.get("card_id")) or str(uuid.uuid4())
    repeat = session.get(Card, card_id)
    if repeat is not None and repeat.delegation_id == delegate.delegation.id:
        # Sent before (a retry whose answer was lost): it is stored, whatever changed since.
        return RedirectResponse(f"/cards/{repeat.id}?sent=1", status_code=303)
    card = read_card_input(meeting, named_group(session, meeting, form), form, form_answers(form))
    if not card.ok:
        return _card_form(request, session, meeting, delegate, card, card_id, status_code=422)
    access_id = delegate.access.id if delegate.access else None
    try:
        check_card_rate(client_address(request), ident(delegate.delegation))
        stored, _created = create_card(
            session,
            meeting,
            delegate.delegation,
            card_id,
            card,
            access_code_id=access_id,
            looked_up=repeat is None,
        )
    except TooManyRequests as slow:
        card.errors["form"] = _too_fast(slow)
        response = _card_form(request, session, meeting, delegate, card, card_id, 429)
        response.headers["Retry-After"] = str(slow.retry_after)
        return response
    except CardConflict as conflict:
        card.errors["form"] = str(conflict)
        return _card_form(request, session, meeting, delegate, card, str(uuid.uuid4()), 409)
    return RedirectResponse(f"/cards/{stored.id}?sent=1", status_code=303)


def _too_fast(slow: TooManyRequests) -> str:
    return ngettext(
        "Your delegation is sending cards very fast. Wait %(num)s second, then send again:"
        " your text is kept.",
        "Your delegation is sending cards very fast. Wait %(num)s seconds, then send again:"
        " your text is kept.",
        slow.retry_after,
    )


def _card_form(
    request: Request,
    session: Session,
    meeting: Meeting,
    delegate: Delegate,
    card: CardInput,
    card_id: str,
    status_code: int = 200,
    stored: Card | None = None,
) -> Response:
    groups = meeting_groups(session, meeting)
    context: dict[str, Any] = {
        "meeting": meeting,
        "delegate": delegate,
        "groups": [g for g in groups if intake_open(meeting, g) or g == card.group],
        "card": card,
        "card_id": card_id,
        "stored": stored,
    }
    return render(request, "cards/form.html", context, status_code=status_code)


@router.get("/cards")
def read_cards(
    request: Request, session: SessionDep, meeting: MeetingDep, delegate: CurrentDelegate
) -> Response:
    """List the delegation's own cards, newest first."""
    context = _list_context(session, meeting, delegate)
    return render(request, "cards/list.html", context)


def _list_context(session: Session, meeting: Meeting, delegate: Delegate) -> dict[str, Any]:
    groups = {g.id: g for g in meeting_groups(session, meeting)}
    return {
        "meeting": meeting,
        "delegate": delegate,
        "cards": delegation_cards(session, meeting, delegate.delegation),
        "groups": groups,
        "ledger_released": bool(released_groups(session, ident(meeting))),
    }


def _own_card(session: Session, meeting: Meeting, delegate: Delegate, card_id: str) -> Card:
    card = session.get(Card, parse_card_id(card_id) or "")
    if card is None or card.meeting_id != meeting.id:
        raise HTTPException(404)
    if card.delegation_id != delegate.delegation.id:
        raise HTTPException(404)  # not 403: do not confirm that another delegation's card exists
    return card


# What the delegate just did, as the card page confirms it (?done=), and the card's status then.
DONE = {"edit": "active", "unchanged": "active", "withdraw": "withdrawn", "reinstate": "active"}


@router.get("/cards/{card_id}")
def read_card(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    card_id: str,
    sent: bool = False,
    done: str = "",
) -> Response:
    """Show one card as stored, with its history, and the delegation's other cards."""
    card = _own_card(session, meeting, delegate, card_id)
    return _card_page(request, session, meeting, delegate, card, sent=sent, done=done)


def _card_page(
    request: Request,
    session: Session,
    meeting: Meeting,
    delegate: Delegate,
    card: Card,
    status_code: int = 200,
    *,
    sent: bool = False,
    done: str = "",
    error: str = "",
) -> Response:
    group = session.get(Group, card.group_id)
    open_ = group is not None and intake_open(meeting, group)
    context = _list_context(session, meeting, delegate) | {
        "card": card,
        "group": group,
        "versions": card_versions(session, card),
        "sent": sent,
        # A confirmation that no longer holds (the card changed since on another phone) is left out.
        "done": done if DONE.get(done) == card.status else "",
        "error": error,
        "can_change": card.status == "active" and open_,
        "can_reinstate": card.status == "withdrawn" and open_,
    }
    return render(request, "cards/card.html", context, status_code=status_code)


@router.get("/cards/{card_id}/edit")
def read_card_edit(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    card_id: str,
) -> Response:
    """Show a card in its form, to change it."""
    stored = _own_card(session, meeting, delegate, card_id)
    card = CardInput(
        group=session.get(Group, stored.group_id),
        answers=dict(stored.answers),
        author_name=stored.author_name,
        language=stored.language,
    )
    return _card_form(request, session, meeting, delegate, card, stored.id, stored=stored)


@router.post("/cards/{card_id}/edit")
def update_card(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    card_id: str,
    form: FormData,
) -> Response:
    """Save a new version of a card, unless it changed meanwhile or its group closed."""
    stored = _own_card(session, meeting, delegate, card_id)
    card = read_card_input(meeting, named_group(session, meeting, form), form, form_answers(form))
    old_group = session.get(Group, stored.group_id)
    if old_group and not intake_open(meeting, old_group):
        card.errors["group"] = _closed_message()
    if not card.ok:
        return _card_form(request, session, meeting, delegate, card, stored.id, 422, stored)
    seen = int(form["version"]) if form.get("version", "").isdigit() else 0
    try:
        changed = edit_card(session, stored, card, seen, delegation_actor(delegate.delegation))
    except CardConflict as conflict:
        session.refresh(stored)
        card.errors["form"] = str(conflict)
        return _card_form(request, session, meeting, delegate, card, stored.id, 409, stored)
    done = "edit" if changed else "unchanged"
    return RedirectResponse(f"/cards/{stored.id}?done={done}", status_code=303)


def _closed_message() -> str:
    return _("This group no longer takes cards: its intake is closed.")


@router.get("/cards/{card_id}/withdraw")
def read_card_withdraw(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    card_id: str,
) -> Response:
    """Ask before withdrawing a card."""
    card = _own_card(session, meeting, delegate, card_id)
    group = session.get(Group, card.group_id)
    context = {"meeting": meeting, "delegate": delegate, "card": card, "group": group}
    return render(request, "cards/withdraw.html", context)


@router.post("/cards/{card_id}/withdraw")
def delete_card(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    card_id: str,
) -> Response:
    """Withdraw a card while its group's intake is open; its history is kept."""
    card = _own_card(session, meeting, delegate, card_id)
    group = session.get(Group, card.group_id)
    if group is None or not intake_open(meeting, group):
        context = {"meeting": meeting, "delegate": delegate, "card": card, "group": group}
        context["error"] = _closed_message()
        return render(request, "cards/withdraw.html", context, status_code=409)
    withdraw_card(session, card, delegation_actor(delegate.delegation))
    return RedirectResponse(f"/cards/{card.id}?done=withdraw", status_code=303)


@router.post("/cards/{card_id}/restore")
def restore_card(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    card_id: str,
) -> Response:
    """Bring back a withdrawn card while its group's intake is open, as a new version."""
    card = _own_card(session, meeting, delegate, card_id)
    group = session.get(Group, card.group_id)
    if card.status == "withdrawn" and (group is None or not intake_open(meeting, group)):
        error = _closed_message()
        return _card_page(request, session, meeting, delegate, card, 409, error=error)
    reinstate_card(session, card, delegation_actor(delegate.delegation))
    return RedirectResponse(f"/cards/{card.id}?done=reinstate", status_code=303)
