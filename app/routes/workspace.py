"""The rapporteur's workspace: reading a group's cards, tagging, grouping, setting aside."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from app import audit, auth
from app.audit import user_actor
from app.cards import card_versions, parse_card_id
from app.db import SessionDep
from app.deps import CurrentUser, MeetingDep, ReadableGroup, RowId, WritableGroup
from app.forms import MAX_ID, FormData, form_id, safe_next
from app.i18n import _, get_language, localize
from app.models import Card, Group, Meeting, Recommendation, Support, Tag, User, ident, utcnow
from app.review import open_count
from app.templating import render
from app.workspace import (
    PAGE_SIZE,
    SET_ASIDE_REASONS,
    CardFilter,
    add_support,
    arrivals,
    card_by_number,
    card_rows,
    create_recommendation,
    create_tag,
    delete_recommendation,
    filtered_ids,
    group_tags,
    last_arrival,
    last_look,
    list_cards,
    merge,
    move_card,
    new_since,
    progress,
    recommendation_numbered,
    recommendations,
    remove_support,
    reorder,
    restore,
    set_aside,
    set_tag,
    split,
)

router = APIRouter(prefix="/groups/{slug}", include_in_schema=False)
TEXT_LIMIT = 2000


def _filter(request: Request) -> CardFilter:
    return CardFilter.from_params(request.query_params)


def _context(
    session: Session, meeting: Meeting, group: Group, user: User, **extra: Any
) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "group": group,
        "user": user,
        "can_write": auth.can_write(session, user, group),
        "tags": group_tags(session, group),
        "recommendations": recommendations(session, group),
        "progress": progress(session, group),
        "reasons": SET_ASIDE_REASONS,
        "language": get_language(),
        "open_remarks": open_count(session, group),
        **extra,
    }


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
    context = _context(
        session,
        meeting,
        group,
        user,
        rows=rows,
        total=total,
        f=f,
        pages=max(1, -(-total // PAGE_SIZE)),
        new_count=new_since(session, group, seen_at) if seen_at else 0,
        cursor=cursor,
        more=False,
    )
    return render(request, "workspace/workspace.html", context, fragment="workspace/_cards.html")


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
    context = _context(
        session, meeting, group, user, rows=found.rows, f=f, cursor=found.cursor, more=found.more
    )
    return render(request, "workspace/_arrivals.html", context)


def _card(session: Session, group: Group, card_id: str) -> Card:
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
    card = _card(session, group, card_id)
    f = _filter(request)
    [row] = card_rows(session, group, [card.id])
    ids = _neighbours(session, group, f, card.id)
    context = _context(
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


def _back(request: Request, form: dict[str, str], slug: str, anchor: str = "") -> Response:
    """Go back to the page the form was on; at `anchor`, when a whole page comes back.

    Without JavaScript the page reloads: the anchor brings the person back to the
    recommendation they acted on (and the next Tab to its controls), not to the top.
    """
    target = safe_next(form.get("next"), f"/groups/{slug}")
    if anchor and "#" not in target:
        target += f"#{anchor}"
    return RedirectResponse(target, status_code=303)


def _after_card_change(
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
        return _back(request, form, group.slug)
    [row] = card_rows(session, group, [card.id])
    next_url = form.get("next", "")
    context = _context(
        session, meeting, group, user, row=row, next_url=next_url, error=error, said=said
    )
    if "hx-request" not in request.headers:
        return render(request, "workspace/card_error.html", context, status_code=422)
    return render(
        request, "workspace/_card_changed.html", context, status_code=422 if error else 200
    )


def _number(session: Session, group: Group, rec: Recommendation) -> int:
    """Return the number rapporteurs call a recommendation by (R1, R2...)."""
    query = select(Recommendation.id).where(Recommendation.group_id == group.id)
    ids = session.exec(query.order_by(col(Recommendation.position), col(Recommendation.id))).all()
    return ids.index(rec.id) + 1


def _supports(session: Session, group: Group, rec: Recommendation) -> str:
    return _("The card supports R%(number)s.", number=_number(session, group, rec))


def _no_such_recommendation(number: str) -> str:
    return _("There is no recommendation %(number)s. Use a number from the list.", number=number)


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
    card = _card(session, group, card_id)
    tag: Tag | None = None
    if form.get("new_tag", "").strip():
        tag = create_tag(session, group, form["new_tag"].strip()[:80], get_language())
    elif form.get("tag", "").isdigit():
        tag = next((t for t in group_tags(session, group) if t.id == int(form["tag"])), None)
    if tag is None:
        raise HTTPException(400)
    on = form.get("action", "add") != "remove"
    set_tag(session, card, tag, on=on)
    log(session, user, "card.tag" if on else "card.untag", card.id, tag=localize(tag.name))
    session.commit()
    said = (
        _("Tag added: %(tag)s.", tag=localize(tag.name))
        if on
        else _("Tag removed: %(tag)s.", tag=localize(tag.name))
    )
    return _after_card_change(request, session, meeting, group, user, card, form, said=said)


# How each action on a recommendation is named in the audit log.
_AUDITED = {
    "edit": "edit", "up": "reorder", "down": "reorder", "merge": "merge", "split": "split",
    "delete": "delete",
}  # fmt: skip


def log(
    session: Session, user: User, action: str, target_id: Any, kind: str = "card", **detail: Any
) -> None:
    """Record a rapporteur's change in the audit log (stored with the next commit)."""
    audit.record(session, user_actor(user), action, kind, target_id, **detail)


def _recommendation(session: Session, group: Group, value: str | int) -> Recommendation:
    rec_id = form_id(value)
    rec = session.get(Recommendation, rec_id) if rec_id else None
    if rec is None or rec.group_id != group.id:
        raise HTTPException(404)
    return rec


def _cards_behind(session: Session, rec: Recommendation, values: list[str]) -> list[str]:
    """Return the cards named in a form, each of which must stand behind the recommendation.

    The card ids come from the page, so one that is not behind it (another group's card, a
    made-up id) is refused whole before anything changes.
    """
    behind = set(session.exec(select(Support.card_id).where(Support.recommendation_id == rec.id)))
    ids = [parse_card_id(value) for value in values]
    if not ids:
        raise HTTPException(422, _("Choose the cards to move into the new recommendation."))
    if any(card_id not in behind for card_id in ids):
        raise HTTPException(422, _("Only cards behind this recommendation can be split from it."))
    return [card_id for card_id in ids if card_id]


def _text(form: dict[str, str], name: str = "text") -> str:
    text = form.get(name, "").strip()
    if not text or len(text) > TEXT_LIMIT:
        raise HTTPException(400)
    return text


@router.post("/cards/{card_id}/support")
def create_support(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    card_id: str,
    form: FormData,
) -> Response:
    """Put a card behind a recommendation, or behind a new one written from it."""
    card = _card(session, group, card_id)
    chosen = form.get("recommendation", "").strip()
    if chosen in ("", "new"):
        text = form.get("text", "").strip() or card.answers.get(_main_key(group), "")
        rec = create_recommendation(session, group, text[:TEXT_LIMIT], [card.id])
        log(session, user, "recommendation.create", rec.id, "recommendation")
    else:
        found = recommendation_numbered(session, group, chosen)
        if found is None:
            error = _no_such_recommendation(chosen[:10])
            return _after_card_change(request, session, meeting, group, user, card, form, error)
        rec = found
        add_support(session, rec, card.id)
    log(session, user, "card.group", card.id, recommendation=rec.id)
    session.commit()
    said = _supports(session, group, rec)
    return _after_card_change(request, session, meeting, group, user, card, form, said=said)


def _main_key(group: Group) -> str:
    return next((q["key"] for q in group.questions if q["required"]), group.questions[0]["key"])


@router.post("/cards/{card_id}/support/{recommendation_id}/delete")
def delete_support(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    card_id: str,
    recommendation_id: RowId,
    form: FormData,
) -> Response:
    """Take a card from behind a recommendation, or move it to another (`to`)."""
    card = _card(session, group, card_id)
    source = _recommendation(session, group, recommendation_id)
    if session.get(Support, (source.id, card.id)) is None:
        raise HTTPException(404)  # a stale page: the card is no longer behind it
    target = form.get("to", "").strip()
    if target:
        rec = recommendation_numbered(session, group, target)
        if rec is None:
            error = _no_such_recommendation(target[:10])
            return _after_card_change(request, session, meeting, group, user, card, form, error)
        move_card(session, card.id, source, rec)
        log(session, user, "card.move", card.id, source=source.id, to=rec.id)
        said = _supports(session, group, rec)
    else:
        remove_support(session, source, card.id)
        log(session, user, "card.ungroup", card.id, recommendation=source.id)
        number = _number(session, group, source)
        said = _("The card no longer supports R%(number)s.", number=number)
    session.commit()
    return _after_card_change(request, session, meeting, group, user, card, form, said=said)


@router.post("/cards/{card_id}/set-aside")
def create_set_aside(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    card_id: str,
    form: FormData,
) -> Response:
    """Set a card aside as off topic, or as a duplicate of another card; or restore it."""
    card = _card(session, group, card_id)
    reason = form.get("reason", "")
    if reason == "restore":
        restore(session, card)
        log(session, user, "card.restore", card.id)
        said = _("Back in the inbox.")
    elif reason in SET_ASIDE_REASONS:
        duplicate_of = _duplicate_of(session, group, form.get("duplicate_of", ""))
        set_aside(session, card, reason, duplicate_of, user.id)
        log(session, user, "card.set_aside", card.id, reason=reason, duplicate_of=duplicate_of)
        said = _("Set aside: duplicate") if reason == "duplicate" else _("Set aside: off topic")
    else:
        raise HTTPException(400)
    session.commit()
    return _after_card_change(request, session, meeting, group, user, card, form, said=said)


def _duplicate_of(session: Session, group: Group, number: str) -> str | None:
    # Rapporteurs name cards by their number in the group (#12).
    number = number.strip().lstrip("#")
    return card_by_number(session, group, int(number)) if number.isdigit() else None


@router.post("/recommendations")
def create_group_recommendation(
    session: SessionDep, group: WritableGroup, user: CurrentUser, request: Request, form: FormData
) -> Response:
    """Write a new recommendation."""
    rec = create_recommendation(session, group, _text(form))
    log(session, user, "recommendation.create", rec.id, "recommendation")
    session.commit()
    return _back(request, form, group.slug, f"rec-{rec.id}")


@router.post("/recommendations/{recommendation_id}")
def update_recommendation(
    session: SessionDep,
    group: WritableGroup,
    user: CurrentUser,
    request: Request,
    recommendation_id: RowId,
    form: FormData,
) -> Response:
    """Change a recommendation: its text, its place, merge it, split it, or delete it."""
    rec = _recommendation(session, group, recommendation_id)
    action = form.get("action", "edit")
    shown = rec  # the recommendation to come back to
    if action == "edit":
        rec.text, rec.updated_at = _text(form), utcnow()
        session.add(rec)
    elif action in ("up", "down"):
        reorder(session, group, rec, -1 if action == "up" else 1)
    elif action == "merge":
        target = recommendation_numbered(session, group, form.get("into", ""))
        if target is None:
            raise HTTPException(422, _no_such_recommendation(form.get("into", "")[:10]))
        if target.id != rec.id:
            merge(session, rec, target)
        shown = target
    elif action == "split":
        ids = _cards_behind(session, rec, [v for k, v in form.items() if k.startswith("card_")])
        shown = split(session, group, rec, ids, _text(form, "split_text"))
    elif action == "delete":
        delete_recommendation(session, rec)
    else:
        raise HTTPException(400)
    log(session, user, f"recommendation.{_AUDITED[action]}", recommendation_id, "recommendation")
    session.commit()
    anchor = "recommendations" if action == "delete" else f"rec-{shown.id}"
    return _back(request, form, group.slug, anchor)
