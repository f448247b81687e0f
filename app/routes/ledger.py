"""The ledger: rapporteurs release it and follow the answers; delegations answer, card by card."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import audit, auth
from app.audit import delegation_actor, user_actor
from app.cards import parse_card_id
from app.db import SessionDep
from app.deps import (
    CurrentDelegate,
    CurrentUser,
    MeetingDep,
    ReadableGroup,
    Reviewer,
    WritableGroup,
)
from app.forms import FormData
from app.i18n import _
from app.ledger import (
    LedgerRow,
    answer_card,
    answer_error,
    answer_labels,
    group_ledger,
    ledger_json,
    release,
    released_groups,
)
from app.ledger_export import ledger_csv, ledger_xlsx
from app.models import Card, Group, LedgerAnswer, LedgerRelease, Meeting, User, utcnow
from app.routes.exports import XLSX, attachment
from app.templating import render

router = APIRouter(include_in_schema=False)


# --- Rapporteurs and co-facilitators ------------------------------------------------------------


def _dashboard(
    session: Session,
    meeting: Meeting,
    group: Group,
    user: User,
    params: dict[str, str],
    **extra: Any,
) -> dict[str, Any]:
    ledger = group_ledger(session, group)
    state, delegation = params.get("answer", ""), params.get("delegation", "")
    rows = [
        r
        for r in ledger.rows
        if (not state or r.state == state or (state == "confirmed" and r.confirmed_by))
        and (not delegation or str(r.delegation.id) == delegation)
    ]
    delegations = {r.delegation.id: r.delegation for r in ledger.rows}
    return {
        "meeting": meeting,
        "group": group,
        "user": user,
        "ledger": ledger,
        "rows": rows,
        "labels": answer_labels(),
        "state": state,
        "delegation": delegation,
        "delegations": list(delegations.values()),
        "can_write": auth.can_write(session, user, group),
        "errors": {},
        "deadline_value": _local_input(ledger.release.deadline, meeting) if ledger.release else "",
        **extra,
    }


def _local_input(moment: datetime, meeting: Meeting) -> str:
    return moment.astimezone(ZoneInfo(meeting.timezone)).strftime("%Y-%m-%dT%H:%M")


@router.get("/groups/{slug}/ledger")
def read_ledger(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
) -> Response:
    """Show how every card was reflected and what the delegations said of it."""
    context = _dashboard(session, meeting, group, user, dict(request.query_params))
    return render(request, "ledger/dashboard.html", context)


@router.get("/groups/{slug}/ledger.json")
def read_ledger_json(session: SessionDep, group: ReadableGroup) -> Response:
    """Download the ledger of the group as JSON: the counts and one object per card."""
    return Response(ledger_json(group_ledger(session, group)), media_type="application/json")


@router.post("/groups/{slug}/ledger/release")
def create_release(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    form: FormData,
) -> Response:
    """Show the ledger to the group's delegations until a deadline (or move the deadline)."""
    typed = form.get("deadline", "")
    deadline = _parse_deadline(typed, meeting)
    error = ""
    if deadline is None:
        error = _("Give the deadline as a date and time.")
    elif deadline <= utcnow():
        error = _("The deadline must be in the future.")
    if error or deadline is None:
        context = _dashboard(session, meeting, group, user, {}, errors={"deadline": error})
        context["deadline_value"] = typed[:20]
        return render(request, "ledger/dashboard.html", context, status_code=422)
    release(session, group, deadline, user)
    audit.record(
        session, user_actor(user), "ledger.release", "group", group.id,
        deadline=deadline.isoformat(timespec="minutes"),
    )  # fmt: skip
    session.commit()
    return RedirectResponse(f"/groups/{group.slug}/ledger", status_code=303)


def _parse_deadline(typed: str, meeting: Meeting) -> datetime | None:
    try:
        moment = datetime.strptime(typed.strip()[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return moment.replace(tzinfo=ZoneInfo(meeting.timezone))


@router.post("/groups/{slug}/ledger/cards/{card_id}/confirm")
def confirm_in_person(
    session: SessionDep, group: ReadableGroup, user: CurrentUser, card_id: str
) -> Response:
    """Mark that the card's delegation confirmed its disposition in person."""
    row = _row(session, group, card_id)
    if session.get(LedgerRelease, group.id) is None:
        raise HTTPException(409, _("Release the ledger to the delegations first."))
    answer = row.answer if row.answer and not row.changed else None
    kept = answer_card(session, row, row.delegation, "agree", answer.comment if answer else "")
    kept.confirmed_by, kept.confirmed_at = user.id, utcnow()
    audit.record(session, user_actor(user), "ledger.confirm", "card", row.card.id)
    session.commit()
    return RedirectResponse(f"/groups/{group.slug}/ledger#ledger-{row.card.id}", status_code=303)


def _row(session: Session, group: Group, card_id: str) -> LedgerRow:
    wanted = parse_card_id(card_id)
    for row in group_ledger(session, group).rows:
        if row.card.id == wanted:
            return row
    raise HTTPException(404)


# --- Delegations ------------------------------------------------------------------------------


def _delegation_page(
    session: Session, meeting: Meeting, delegate: Any, **extra: Any
) -> dict[str, Any]:
    mine = delegate.delegation.id
    ledgers = []
    for group, _release in released_groups(session, meeting.id or 0):
        ledger = group_ledger(session, group)
        rows = [r for r in ledger.rows if r.delegation.id == mine]
        if rows:
            ledgers.append((ledger, rows))
    return {
        "meeting": meeting,
        "delegate": delegate,
        "ledgers": ledgers,
        "labels": answer_labels(),
        "errors": {},
        "typed": {},
        **extra,
    }


@router.get("/ledger")
def read_my_ledger(
    request: Request, session: SessionDep, meeting: MeetingDep, delegate: CurrentDelegate
) -> Response:
    """Show the delegation how each of its cards was reflected, once the rapporteurs release it."""
    return render(request, "ledger/mine.html", _delegation_page(session, meeting, delegate))


@router.post("/ledger/cards/{card_id}")
def update_my_answer(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    card_id: str,
    form: FormData,
) -> Response:
    """Agree, or disagree with a comment, on how one of the delegation's cards was reflected."""
    card = session.get(Card, parse_card_id(card_id) or "")
    if (
        card is None
        or card.meeting_id != meeting.id
        or card.delegation_id != delegate.delegation.id
    ):
        raise HTTPException(404)  # another delegation's card is not confirmed to exist
    group = session.get(Group, card.group_id)
    ledger = group_ledger(session, group) if group else None
    if ledger is None or ledger.release is None:
        raise HTTPException(404)
    if not ledger.open:
        raise HTTPException(409, _("The deadline for answers has passed."))
    [row] = [r for r in ledger.rows if r.card.id == card.id]
    answer, comment = form.get("answer", ""), form.get("comment", "").strip()
    if error := answer_error(answer, comment):
        typed = {card.id: {"answer": answer, "comment": comment}}
        context = _delegation_page(session, meeting, delegate, errors={card.id: error}, typed=typed)
        return render(request, "ledger/mine.html", context, status_code=422)
    stored: LedgerAnswer = answer_card(session, row, delegate.delegation, answer, comment)
    audit.record(
        session, delegation_actor(delegate.delegation), "ledger.answer", "card", card.id,
        answer=stored.answer,
    )  # fmt: skip
    session.commit()
    return RedirectResponse(f"/ledger?saved={card.id}#ledger-{card.id}", status_code=303)


# --- The secretariat's export of the whole meeting ----------------------------------------------


@router.get("/exports/ledger.csv")
def read_ledger_csv(session: SessionDep, meeting: MeetingDep, _user: Reviewer) -> Response:
    """Download every card's disposition and its delegation's answer as CSV."""
    return Response(
        ledger_csv(session, meeting),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{meeting.slug}-ledger.csv"),
    )


@router.get("/exports/ledger.xlsx")
def read_ledger_xlsx(session: SessionDep, meeting: MeetingDep, _user: Reviewer) -> Response:
    """Download every card's disposition and its delegation's answer as a workbook."""
    return Response(
        ledger_xlsx(session, meeting),
        media_type=XLSX,
        headers=attachment(f"{meeting.slug}-ledger.xlsx"),
    )
