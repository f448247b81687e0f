"""Sorting cards fast: one at a time with single keys (triage), or many at once (bulk)."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.cards import card_versions, parse_card_id
from app.db import SessionDep
from app.deps import CurrentUser, MeetingDep, WritableGroup
from app.forms import FormData
from app.grouping import add_support, create_recommendation, recommendation_numbered, set_aside
from app.i18n import _
from app.models import Card, Group, Recommendation
from app.routes.grouping import no_such_recommendation
from app.routes.workspace import TEXT_LIMIT, back, log, named_tag, workspace_context
from app.suggestions import likely_recommendations, unplaced
from app.templating import render
from app.workspace import card_rows, set_tag

router = APIRouter(prefix="/groups/{slug}", include_in_schema=False)
BULK_LIMIT = 200  # cards in one bulk action: a page and more, never a whole meeting by mistake


@router.get("/triage")
def read_triage(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    card: str = "",
) -> Response:
    """Show one inbox card in full with its likely recommendations, and how many are left."""
    inbox = unplaced(session, group)
    ids = [c.id for c in inbox]
    wanted = parse_card_id(card)
    index = ids.index(wanted) if wanted in ids else 0
    context = workspace_context(session, meeting, group, user, left=len(inbox))
    if not inbox:
        return render(request, "workspace/triage.html", context | {"row": None})
    [row] = card_rows(session, group, [ids[index]])
    views = context["recommendations"]
    likely = likely_recommendations(session, group, [row.card], views).get(row.card.id, [])
    context |= {
        "row": row,
        "proposals": likely,
        "versions": card_versions(session, row.card),
        "previous_id": ids[index - 1] if index > 0 else None,
        "next_id": ids[index + 1] if index + 1 < len(ids) else None,
        "position": index + 1,
        "next_url": f"/groups/{group.slug}/triage",
    }
    return render(request, "workspace/triage.html", context)


@router.post("/cards/bulk")
def update_cards_in_bulk(
    request: Request,
    session: SessionDep,
    group: WritableGroup,
    user: CurrentUser,
    form: FormData,
) -> Response:
    """Place, tag or set aside every card chosen, each change in the audit log card by card."""
    cards = _chosen(session, group, form)
    action = form.get("action", "")
    if action == "place":
        rec = _target(session, group, form)
        for card in cards:
            add_support(session, rec, card.id)
            log(session, user, "card.group", card.id, recommendation=rec.id)
    elif action == "tag":
        tag = named_tag(session, group, form)
        for card in cards:
            set_tag(session, card, tag, on=True)
            log(session, user, "card.tag", card.id, tag=tag.slug)
    elif action == "set_aside":
        for card in cards:
            set_aside(session, card, "off_topic", None, user.id)
            log(session, user, "card.set_aside", card.id, reason="off_topic", duplicate_of=None)
    else:
        raise HTTPException(422, _("Choose what to do with the cards you selected."))
    session.commit()
    return back(request, form, group.slug)


def _chosen(session: Session, group: Group, form: dict[str, str]) -> list[Card]:
    """Return the active cards of the group ticked in the form; refuse anything else whole."""
    ids = {parse_card_id(v) for k, v in form.items() if k.startswith("card_")}
    if not ids:
        raise HTTPException(422, _("Tick the cards first, then choose what to do with them."))
    if None in ids or len(ids) > BULK_LIMIT:
        raise HTTPException(400)
    cards = [session.get(Card, card_id) for card_id in ids if card_id]
    if any(c is None or c.group_id != group.id or c.status != "active" for c in cards):
        raise HTTPException(
            422, _("Some of these cards are no longer in this group's active cards. Reload.")
        )
    return sorted((c for c in cards if c), key=lambda c: (c.created_at, c.id))


def _target(session: Session, group: Group, form: dict[str, str]) -> Recommendation:
    """The recommendation named (R2), or a new one in the words given."""
    number = form.get("recommendation", "").strip()
    if number:
        found = recommendation_numbered(session, group, number)
        if found is None:
            raise HTTPException(422, no_such_recommendation(number[:10]))
        return found
    text = form.get("text", "").strip()
    if not text or len(text) > TEXT_LIMIT:
        raise HTTPException(
            422, _("Write the new recommendation, or give the number of an existing one.")
        )
    return create_recommendation(session, group, text)
