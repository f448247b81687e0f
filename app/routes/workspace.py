"""The rapporteur's workspace: reading a group's cards, tagging, grouping, setting aside."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import audit, auth, floor_figures
from app.audit import user_actor
from app.cards import card_versions, parse_card_id
from app.db import SessionDep
from app.deps import CurrentUser, MeetingDep, ReadableGroup, WritableGroup
from app.forms import MAX_ID, FormData, safe_next
from app.grouping import SET_ASIDE_REASONS, RecommendationView, changed_placements, recommendations
from app.i18n import _, get_language, localize
from app.ledger import disagreements
from app.models import Card, Group, Meeting, Tag, User, ident, utcnow
from app.review import open_count
from app.suggestions import Likely, likely_recommendations, suggestions
from app.templating import render
from app.themes import TagProposal, tag_proposals
from app.workspace import (
    PAGE_SIZE,
    CardFilter,
    arrivals,
    card_rows,
    changed_since,
    filtered_ids,
    group_tags,
    last_arrival,
    last_look,
    list_cards,
    mark_seen,
    new_since,
    progress,
    set_tag,
    tag_in_form,
)

router = APIRouter(prefix="/groups/{slug}", include_in_schema=False)
TEXT_LIMIT = 2000


def _filter(request: Request) -> CardFilter:
    return CardFilter.from_params(request.query_params)


def workspace_context(
    session: Session, meeting: Meeting, group: Group, user: User, **extra: Any
) -> dict[str, Any]:
    views = recommendations(session, group)
    return {
        "meeting": meeting,
        "group": group,
        "user": user,
        "can_write": auth.can_write(session, user, group),
        "tags": group_tags(session, group),
        "recommendations": views,
        "changed": changed_placements(session, group),
        "likely": _likely(session, group, views, extra),
        "tag_proposals": _tag_proposals(session, group, extra),
        "progress": progress(session, group),
        "reasons": SET_ASIDE_REASONS,
        "language": get_language(),
        "open_remarks": open_count(session, group),
        **floor_figures.workspace_context(session, meeting, group),
        "disagreements": disagreements(session, group),
        **extra,
    }


def _likely(
    session: Session, group: Group, views: list[RecommendationView], extra: dict[str, Any]
) -> dict[str, list[Likely]]:
    """The likeliest recommendations of the inbox cards shown, for placing each in one click."""
    rows = extra.get("rows") or ([extra["row"]] if "row" in extra else [])
    cards = [row.card for row in rows if row.place == "inbox"]
    return likely_recommendations(session, group, cards, views) if cards and views else {}


def _tag_proposals(
    session: Session, group: Group, extra: dict[str, Any]
) -> dict[str, list[TagProposal]]:
    """The themes proposed as tags for the cards shown that are still in play (app.themes)."""
    rows = extra.get("rows") or ([extra["row"]] if "row" in extra else [])
    cards = [row.card for row in rows if row.place in ("inbox", "grouped")]
    return tag_proposals(session, group, cards) if cards else {}


@router.get("")
def read_workspace(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
) -> Response:
    """Show the group's cards (filtered, a page at a time) beside its recommendations."""
    f = _filter(request)
    seen_at = last_look(session, ident(user), group)
    cursor = last_arrival(session, group)  # read first: see list_cards
    rows, total = list_cards(session, group, f, seen_at, upto=cursor)
    writable = auth.can_write(session, user, group)
    context = workspace_context(
        session,
        meeting,
        group,
        user,
        rows=rows,
        total=total,
        f=f,
        pages=max(1, -(-total // PAGE_SIZE)),
        new_count=new_since(session, group, seen_at) if seen_at else 0,
        changed_count=changed_since(session, group, seen_at) if seen_at else 0,
        cursor=cursor,
        more=False,
        suggested=suggestions(session, group, f.closeness) if writable else None,
        bulk=True,
        shown_at=utcnow().isoformat(),
        ever_seen=seen_at is not None,
    )
    return render(request, "workspace/workspace.html", context, fragment="workspace/_cards.html")


@router.post("/seen")
def mark_workspace_seen(
    session: SessionDep, group: ReadableGroup, user: CurrentUser, form: FormData
) -> Response:
    """Mark everything on the page as seen: the next "since your last look" starts from it."""
    mark_seen(session, ident(user), group, _moment(form.get("shown_at", "")))
    return RedirectResponse(safe_next(form.get("next"), f"/groups/{group.slug}"), status_code=303)


def _moment(value: str) -> datetime:
    """The page's time from its form, or now if it is missing or not a time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return utcnow()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/arrivals")
def read_arrivals(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """Return the cards that arrived after the `after` cursor, for the open workspace to add."""
    f = _filter(request)
    found = arrivals(session, group, f, after)
    for row in found.rows:
        row.is_new = True
    context = workspace_context(
        session, meeting, group, user, rows=found.rows, f=f, cursor=found.cursor, more=found.more
    )
    return render(request, "workspace/_arrivals.html", context)


def card_of(session: Session, group: Group, card_id: str) -> Card:
    card = session.get(Card, parse_card_id(card_id) or "")
    if card is None or card.group_id != group.id:
        raise HTTPException(404)
    return card


@router.get("/cards/{card_id}")
def read_workspace_card(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
    card_id: str,
) -> Response:
    """Show one card at a time (as on a phone), with its history and what was done with it."""
    card = card_of(session, group, card_id)
    f = _filter(request)
    [row] = card_rows(session, group, [card.id])
    ids = _neighbours(session, group, f, card.id)
    context = workspace_context(
        session, meeting, group, user, row=row, f=f, versions=card_versions(session, card), **ids
    )
    return render(request, "workspace/card.html", context)


def _neighbours(session: Session, group: Group, f: CardFilter, card_id: str) -> dict[str, Any]:
    # The previous and next cards within the same filters, for reading one at a time.
    ids = filtered_ids(session, group, f)
    index = ids.index(card_id) if card_id in ids else None
    return {
        "previous_id": ids[index - 1] if index else None,
        "next_id": ids[index + 1] if index is not None and index + 1 < len(ids) else None,
        "position": None if index is None else index + 1,
        "count": len(ids),
    }


def back(request: Request, form: dict[str, str], slug: str, anchor: str = "") -> Response:
    """Go back to the page the form was on; at `anchor`, when a whole page comes back.

    Without JavaScript the page reloads: the anchor brings the person back to the
    recommendation they acted on (and the next Tab to its controls), not to the top.
    """
    target = safe_next(form.get("next"), f"/groups/{slug}")
    if anchor and "#" not in target:
        target += f"#{anchor}"
    return RedirectResponse(target, status_code=303)


def after_card_change(
    request: Request,
    session: Session,
    meeting: Meeting,
    group: Group,
    user: User,
    card: Card,
    form: dict[str, str],
    error: str = "",
    said: str = "",
) -> Response:
    # htmx swaps the changed card and the recommendations, and `said` goes to a live region for
    # screen readers; without htmx, back to the page.
    if "hx-request" not in request.headers and not error:
        return back(request, form, group.slug)
    [row] = card_rows(session, group, [card.id])
    next_url = form.get("next", "")
    context = workspace_context(
        session, meeting, group, user, row=row, next_url=next_url, error=error, said=said
    )
    if "hx-request" not in request.headers:
        return render(request, "workspace/card_error.html", context, status_code=422)
    return render(
        request, "workspace/_card_changed.html", context, status_code=422 if error else 200
    )


@router.post("/cards/{card_id}/tags")
def update_card_tags(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    card_id: str,
    form: FormData,
) -> Response:
    """Put a tag (existing, or new by name) on a card, or take one off."""
    card = card_of(session, group, card_id)
    tag = named_tag(session, group, form)
    on = form.get("action", "add") != "remove"
    set_tag(session, card, tag, on=on)
    log(session, user, "card.tag" if on else "card.untag", card.id, tag=localize(tag.name))
    session.commit()
    said = (
        _("Tag added: %(tag)s.", tag=localize(tag.name))
        if on
        else _("Tag removed: %(tag)s.", tag=localize(tag.name))
    )
    return after_card_change(request, session, meeting, group, user, card, form, said=said)


def named_tag(session: Session, group: Group, form: dict[str, str]) -> Tag:
    """The tag a form names, or a 422 that says what to do."""
    tag = tag_in_form(session, group, form)
    if tag is None:
        raise HTTPException(422, _("Choose a tag, or write a new one."))
    return tag


def log(
    session: Session, user: User, action: str, target_id: Any, kind: str = "card", **detail: Any
) -> None:
    """Record a rapporteur's change in the audit log (stored with the next commit)."""
    audit.record(session, user_actor(user), action, kind, target_id, **detail)
