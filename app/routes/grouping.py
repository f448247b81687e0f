"""Grouping a group's cards: recommendations, the cards behind them, set-asides."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, select

from app.cards import parse_card_id
from app.db import SessionDep
from app.deps import CurrentUser, MeetingDep, RowId, WritableGroup
from app.forms import FormData, form_id
from app.grouping import (
    SET_ASIDE_REASONS,
    add_support,
    confirm_placement,
    create_recommendation,
    delete_recommendation,
    merge,
    move_card,
    number_of,
    recommendation_numbered,
    remove_support,
    reorder,
    restore,
    set_aside,
    split,
)
from app.i18n import _, localize
from app.ledger import aside_note_error, aside_text
from app.meetings import main_question
from app.models import Card, Group, Recommendation, Support, ident, utcnow
from app.routes.workspace import TEXT_LIMIT, after_card_change, back, card_of, log
from app.suggestions import dismiss_suggestion, take_out_of_suggestion, unplaced
from app.themes import refuse
from app.workspace import card_by_number, group_tags, set_tag

router = APIRouter(prefix="/groups/{slug}", include_in_schema=False)


def _supports(session: Session, group: Group, rec: Recommendation) -> str:
    return _("The card supports R%(number)s.", number=number_of(session, group, rec))


def no_such_recommendation(number: str) -> str:
    return _("There is no recommendation %(number)s. Use a number from the list.", number=number)


# How each action on a recommendation is named in the audit log.
_AUDITED = {
    "edit": "edit", "up": "reorder", "down": "reorder", "merge": "merge", "split": "split",
    "delete": "delete",
}  # fmt: skip


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
    card = card_of(session, group, card_id)
    chosen = form.get("recommendation", "").strip()
    if chosen in ("", "new"):
        text = form.get("text", "").strip() or card.answers.get(main_question(group)["key"], "")
        rec = create_recommendation(session, group, text[:TEXT_LIMIT], [card.id])
        log(session, user, "recommendation.create", rec.id, "recommendation")
    else:
        found = recommendation_numbered(session, group, chosen)
        if found is None:
            error = no_such_recommendation(chosen[:10])
            return after_card_change(request, session, meeting, group, user, card, form, error)
        rec = found
        add_support(session, rec, card.id)
    log(session, user, "card.group", card.id, recommendation=rec.id)
    session.commit()
    said = _supports(session, group, rec)
    return after_card_change(request, session, meeting, group, user, card, form, said=said)


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
    card = card_of(session, group, card_id)
    source = _recommendation(session, group, recommendation_id)
    if session.get(Support, (source.id, card.id)) is None:
        raise HTTPException(404)  # a stale page: the card is no longer behind it
    target = form.get("to", "").strip()
    if target:
        rec = recommendation_numbered(session, group, target)
        if rec is None:
            error = no_such_recommendation(target[:10])
            return after_card_change(request, session, meeting, group, user, card, form, error)
        move_card(session, card.id, source, rec)
        log(session, user, "card.move", card.id, source=source.id, to=rec.id)
        said = _supports(session, group, rec)
    else:
        remove_support(session, source, card.id)
        log(session, user, "card.ungroup", card.id, recommendation=source.id)
        number = number_of(session, group, source)
        said = _("The card no longer supports R%(number)s.", number=number)
    session.commit()
    return after_card_change(request, session, meeting, group, user, card, form, said=said)


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
    card = card_of(session, group, card_id)
    reason = form.get("reason", "")
    if reason == "restore":
        restore(session, card)
        log(session, user, "card.restore", card.id)
        said = _("Back in the inbox.")
    elif reason in SET_ASIDE_REASONS:
        note = " ".join(form.get("note", "").split()) if reason == "other" else ""
        if error := aside_note_error(reason, note):
            return after_card_change(request, session, meeting, group, user, card, form, error)
        duplicate_of = _duplicate_of(session, group, form.get("duplicate_of", ""))
        set_aside(session, card, reason, duplicate_of, user.id, note)
        detail = {"note": note} if note else {}
        log(
            session,
            user,
            "card.set_aside",
            card.id,
            reason=reason,
            duplicate_of=duplicate_of,
            **detail,
        )
        said = aside_text(reason)
    else:
        raise HTTPException(400)
    session.commit()
    return after_card_change(request, session, meeting, group, user, card, form, said=said)


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
    return back(request, form, group.slug, f"rec-{rec.id}")


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
            raise HTTPException(422, no_such_recommendation(form.get("into", "")[:10]))
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
    return back(request, form, group.slug, anchor)


@router.post("/suggestions")
def update_suggestion(
    session: SessionDep, group: WritableGroup, user: CurrentUser, request: Request, form: FormData
) -> Response:
    """Act on a suggested group: make it a recommendation, add it to one, dismiss it, or take
    one card out of it. Every card named must still be in the group's inbox."""
    ids = _inbox_cards(session, group, [v for k, v in form.items() if k.startswith("card_")])
    action = form.get("action", "")
    anchor = "suggestions"
    if action == "create":
        rec = create_recommendation(session, group, _text(form), ids)
        log(session, user, "recommendation.create", rec.id, "recommendation")
        for card_id in ids:
            log(session, user, "card.group", card_id, recommendation=rec.id)
        anchor = f"rec-{rec.id}"
    elif action == "add":
        found = recommendation_numbered(session, group, form.get("into", ""))
        if found is None:
            raise HTTPException(422, no_such_recommendation(form.get("into", "")[:10]))
        for card_id in ids:
            add_support(session, found, card_id)
            log(session, user, "card.group", card_id, recommendation=found.id)
        anchor = f"rec-{found.id}"
    elif action == "dismiss":
        dismiss_suggestion(session, group, ids, ident(user))
    elif action == "apart":
        [taken] = _inbox_cards(session, group, [form.get("card", "")])
        take_out_of_suggestion(session, group, taken, ids, ident(user))
    else:
        raise HTTPException(400)
    session.commit()
    return back(request, form, group.slug, anchor)


def _inbox_cards(session: Session, group: Group, values: list[str]) -> list[str]:
    """Return the cards named, each of which must be one of the group's inbox cards."""
    inbox = {card.id for card in unplaced(session, group)}
    ids = [parse_card_id(value) for value in values]
    if not ids or any(card_id not in inbox for card_id in ids):
        raise HTTPException(
            422, _("These cards are no longer all in the inbox. Reload the page to see why.")
        )
    return [card_id for card_id in ids if card_id]


@router.post("/recommendations/{recommendation_id}/placements/{card_id}")
def update_placement(
    session: SessionDep,
    group: WritableGroup,
    user: CurrentUser,
    request: Request,
    recommendation_id: RowId,
    card_id: str,
    form: FormData,
) -> Response:
    """Settle a card changed since it was placed: keep it (as of the version seen), move it to
    another recommendation (`to`), or take it out."""
    rec = _recommendation(session, group, recommendation_id)
    card = session.get(Card, parse_card_id(card_id) or "")
    support = session.get(Support, (rec.id, card.id)) if card else None
    if card is None or support is None:
        number = number_of(session, group, rec)
        raise HTTPException(
            422, _("This card is no longer behind R%(number)s. Reload the page.", number=number)
        )
    action = form.get("action", "")
    if action == "confirm":
        seen = form_id(form.get("version", ""))
        if seen is None:
            raise HTTPException(400)
        if confirm_placement(session, support, card, seen):
            log(session, user, "card.confirm", card.id, recommendation=rec.id, version=seen)
    elif action == "move":
        target = recommendation_numbered(session, group, form.get("to", ""))
        if target is None:
            raise HTTPException(422, no_such_recommendation(form.get("to", "")[:10]))
        if target.id != rec.id:
            move_card(session, card.id, rec, target)
            log(session, user, "card.move", card.id, source=rec.id, to=target.id)
    elif action == "remove":
        remove_support(session, rec, card.id)
        log(session, user, "card.ungroup", card.id, recommendation=rec.id)
    else:
        raise HTTPException(400)
    session.commit()
    return back(request, form, group.slug, f"rec-{rec.id}")


@router.post("/cards/{card_id}/tag-proposals")
def update_tag_proposal(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    card_id: str,
    form: FormData,
) -> Response:
    """Accept a theme proposed for a card (the tag goes on), or turn it down for good."""
    card = card_of(session, group, card_id)
    tag_id = form_id(form.get("tag", ""))
    themes = [t for t in group_tags(session, group) if t.group_id is None]
    tag = next((t for t in themes if t.id == tag_id), None)
    action = form.get("action", "")
    if tag is None or action not in ("accept", "refuse"):
        raise HTTPException(400)
    name = localize(tag.name)
    if action == "accept":
        set_tag(session, card, tag, on=True)
        log(session, user, "card.tag", card.id, tag=name, proposed=True)
        said = _("Tag added: %(tag)s.", tag=name)
    else:
        refuse(session, card, tag, user.id)
        log(session, user, "card.refuse_tag", card.id, tag=name)
        said = _("Not proposed again for this card: %(tag)s.", tag=name)
    session.commit()
    return after_card_change(request, session, meeting, group, user, card, form, said=said)
