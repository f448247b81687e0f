"""The JSON API for integrations and scripts: the same rules as the card form."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.cards import (
    CardConflict,
    CardInput,
    card_id_for_key,
    card_versions,
    create_card,
    parse_card_id,
    read_card_input,
)
from app.db import SessionDep
from app.deps import CurrentDelegate, MeetingDep, group_by_slug, named_group
from app.limits import check_card_rate, client_address
from app.meetings import meeting_groups
from app.models import Card, Delegation, Group, ident


class Problem(BaseModel):
    """An error answer: what went wrong, for the person or the script."""

    detail: str


# Answers every operation may give besides its own, documented once.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid access code (send it as a Bearer token)"},
    404: {"model": Problem, "description": "No such card or group for this delegation"},
}
router = APIRouter(prefix="/api", tags=["cards"], responses=ERRORS)

TEXT_LIMIT = 5000  # generous: the real limits come from the meeting file, with clear messages


class CardIn(BaseModel):
    """A card to create. Its `id` (a UUID made by the client) makes retries safe."""

    id: str | None = Field(
        default=None, description="A UUID made by the client; a repeat returns the same card."
    )
    group: str = Field(max_length=40, examples=["global"])
    answers: dict[str, Annotated[str, Field(max_length=TEXT_LIMIT)]] = Field(
        examples=[{"commitments": "Reduce remittance costs below 3% by 2030."}]
    )
    author_name: str = Field(default="", max_length=TEXT_LIMIT)
    language: str = Field(max_length=8, examples=["en"])


class DelegationOut(BaseModel):
    name: str
    kind: str


class VersionOut(BaseModel):
    version: int
    action: str
    status: str
    answers: dict[str, str]
    created_at: datetime


class CardOut(BaseModel):
    id: str
    group: str
    delegation: DelegationOut
    language: str
    author_name: str
    answers: dict[str, str]
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    versions: list[VersionOut] | None = None


class GroupOut(BaseModel):
    slug: str
    number: int
    title: dict[str, str]
    questions: list[dict[str, Any]]
    intake_open: bool


def _card_out(session: Session, card: Card, with_versions: bool = False) -> CardOut:
    group = session.get(Group, card.group_id)
    delegation = session.get(Delegation, card.delegation_id)
    assert group is not None and delegation is not None
    versions = None
    if with_versions:
        versions = [VersionOut(**v.model_dump()) for v in card_versions(session, card)]
    return CardOut(
        **card.model_dump(exclude={"versions"}),
        group=group.slug,
        delegation=DelegationOut(name=delegation.name, kind=delegation.kind),
        versions=versions,
    )


def _errors(card: CardInput) -> list[dict[str, Any]]:
    return [
        {"loc": ["body", *field.split(".")], "msg": message, "type": "value_error"}
        for field, message in card.errors.items()
    ]


@router.get("/groups")
def list_groups(session: SessionDep, meeting: MeetingDep) -> list[GroupOut]:
    """List the meeting's groups and the questions their cards answer."""
    return [GroupOut(**g.model_dump()) for g in meeting_groups(session, meeting)]


@router.post(
    "/cards",
    status_code=201,
    responses={
        200: {"model": CardOut, "description": "The same card was already stored (a retry)"},
        409: {"model": Problem, "description": "The card id belongs to another delegation"},
        413: {"description": "The body is over 64 KB"},
        429: {"model": Problem, "description": "Too many cards; wait Retry-After seconds"},
    },
)
def create_api_card(
    request: Request,
    body: CardIn,
    session: SessionDep,
    meeting: MeetingDep,
    delegate: CurrentDelegate,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CardOut:
    """Create a card for the signed-in delegation; a retry returns the stored card with 200."""
    if body.id is not None:
        card_id = parse_card_id(body.id)
        if card_id is None:
            detail = [{"loc": ["body", "id"], "msg": "Must be a UUID.", "type": "value_error"}]
            raise _unprocessable(detail)
    elif idempotency_key:
        card_id = card_id_for_key(delegate.delegation, idempotency_key)
    else:
        card_id = str(uuid.uuid4())
    groups = named_group(session, meeting, {"group": body.group})
    card = read_card_input(meeting, groups, body.model_dump(), body.answers)
    existing = session.get(Card, card_id)
    if not card.ok and existing is None:
        raise _unprocessable(_errors(card))
    access_id = delegate.access.id if delegate.access else None
    if existing is None:  # a retry finds its card whatever the rate, as the form path does
        check_card_rate(client_address(request), ident(delegate.delegation))
    try:
        stored, created = create_card(
            session,
            meeting,
            delegate.delegation,
            card_id,
            card,
            access_id,
            source="api",
            looked_up=existing is None,
        )
    except CardConflict as conflict:
        raise HTTPException(409, str(conflict)) from conflict
    if not created:
        response.status_code = 200
    return _card_out(session, stored)


def _unprocessable(detail: list[dict[str, Any]]) -> HTTPException:
    return HTTPException(422, detail)


@router.get("/cards/{card_id}")
def read_api_card(
    card_id: str, session: SessionDep, meeting: MeetingDep, delegate: CurrentDelegate
) -> CardOut:
    """Read one of the delegation's cards, with its versions."""
    card = session.get(Card, parse_card_id(card_id) or "")
    if (
        card is None
        or card.meeting_id != meeting.id
        or card.delegation_id != delegate.delegation.id
    ):
        raise HTTPException(404, "No such card.")
    return _card_out(session, card, with_versions=True)


@router.get("/groups/{slug}/cards")
def list_group_cards(
    slug: str, session: SessionDep, meeting: MeetingDep, delegate: CurrentDelegate
) -> list[CardOut]:
    """List the delegation's own cards in one group, oldest first."""
    group = group_by_slug(session, meeting, slug)
    if group is None:
        raise HTTPException(404, "No such group.")
    query = select(Card).where(
        Card.group_id == group.id, Card.delegation_id == delegate.delegation.id
    )
    return [_card_out(session, c) for c in session.exec(query.order_by(col(Card.created_at)))]
