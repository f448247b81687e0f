"""Reading across groups, for co-facilitators and the secretariat: every card of the meeting,
the delegations and what each wrote, and the recommendations that recur in several groups."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, func, select

from app import audit
from app.across import PAGE_SIZE, MeetingFilter, contributions, search
from app.db import SessionDep
from app.deps import MeetingDep, Reviewer, RowId
from app.forms import FormData, form_id
from app.i18n import _, delegation_name, sort_key
from app.meetings import meeting_groups
from app.models import Card, Delegation, ident
from app.recurring import decide, recurring
from app.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/search")
def read_search(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Reviewer
) -> Response:
    """Search every card of the meeting, with the filters the exports follow too."""
    f = MeetingFilter.from_params(request.query_params)
    entries, total = search(session, meeting, f)
    delegation = session.get(Delegation, f.delegation) if f.delegation else None
    context = {
        "meeting": meeting,
        "user": user,
        "f": f,
        "entries": entries,
        "total": total,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "groups": meeting_groups(session, meeting),
        "delegation": delegation,
        "wide": True,
    }
    return render(request, "across/search.html", context, fragment="across/_results.html")


@router.get("/delegations")
def list_delegations(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Reviewer
) -> Response:
    """List the delegations that wrote cards, with how many and in how many groups."""
    query = (
        select(
            Delegation,
            func.count(col(Card.id)),
            func.count(func.distinct(Card.group_id)),
        )
        .join(Card, col(Card.delegation_id) == Delegation.id)
        .where(Card.meeting_id == meeting.id, Card.status == "active")
        .group_by(col(Delegation.id))
    )
    rows = sorted(
        session.exec(query).all(),
        key=lambda row: sort_key(delegation_name(row[0].name, row[0].iso2)),
    )
    context = {"meeting": meeting, "user": user, "rows": rows, "wide": True}
    return render(request, "across/delegations.html", context)


@router.get("/delegations/{delegation_id}")
def read_delegation(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: Reviewer,
    delegation_id: RowId,
) -> Response:
    """Show what one delegation wrote in every group, and where each card went."""
    delegation = session.get(Delegation, delegation_id)
    if delegation is None:
        raise HTTPException(404)
    by_group = contributions(session, meeting, delegation)
    context = {
        "meeting": meeting,
        "user": user,
        "delegation": delegation,
        "by_group": by_group,
        "cards": sum(len(entries) for _group, entries in by_group),
        "wide": True,
    }
    return render(request, "across/delegation.html", context)


@router.get("/recurring")
def read_recurring(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Reviewer
) -> Response:
    """Show the proposed recurring ideas, and those co-facilitators confirmed or rejected."""
    context = {"meeting": meeting, "user": user, "result": recurring(session, meeting)}
    return render(request, "across/recurring.html", context)


# What a co-facilitator says of an idea: stored as, and logged as.
_DECISIONS = {
    "confirm": ("confirmed", "recurring.confirm"),
    "reject": ("rejected", "recurring.reject"),
    "reopen": ("", "recurring.reopen"),
}


@router.post("/recurring/choices")
def decide_recurring(
    session: SessionDep, meeting: MeetingDep, user: Reviewer, form: FormData
) -> Response:
    """Confirm an idea as one (counted once in the chair's summary), reject it, or take back
    the word said on it. The idea must still be the one the page showed."""
    if form.get("decision", "") not in _DECISIONS:
        raise HTTPException(400)
    stored, action = _DECISIONS[form["decision"]]
    values = form.get("recommendations", "").split(",")[:1000]
    key = sorted({rec_id for value in values if (rec_id := form_id(value.strip()))})
    idea = recurring(session, meeting).find(key) if len(key) > 1 else None
    if idea is None:
        message = _("These recommendations are no longer shown together. Reload the page.")
        raise HTTPException(422, message)
    decide(session, meeting, idea, stored, ident(user))
    labels = [
        _("Group %(number)s, R%(rec)s", number=m.group.number, rec=m.view.number)
        for m in idea.members
    ]
    audit.record(
        session, audit.user_actor(user), action, "recurring", idea.value,
        recommendations=idea.key, labels=labels,
    )  # fmt: skip
    session.commit()
    return RedirectResponse(f"/recurring#idea-{idea.key[0]}", status_code=303)
