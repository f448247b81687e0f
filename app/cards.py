"""Cards: validating what a delegation wrote, and storing it with its history."""

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel, col, select

from app import audit, embedding, grouping
from app.audit import delegation_actor
from app.i18n import _, format_number, ngettext
from app.meetings import main_question
from app.models import (
    AuditEvent,
    Card,
    CardVersion,
    Delegation,
    Group,
    Meeting,
    Support,
    ident,
    utcnow,
)
from app.search import card_search_text

AUTHOR_MAX = 120
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # the Cc category, less \t and \n


@dataclass
class CardInput:
    """A card as submitted, cleaned, with an error message per offending field."""

    group: Group | None = None
    answers: dict[str, str] = field(default_factory=dict)
    author_name: str = ""
    language: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    supports_card_id: str | None = None  # "add our support": the other delegation's card

    @property
    def ok(self) -> bool:
        return not self.errors


class CardConflict(Exception):
    """The card cannot be changed as asked; the message says why, for the person."""


def clean_text(value: Any) -> str:
    """Normalize text from a phone: NFC, \\n line ends, no control characters, trimmed."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    # NUL and other control characters break PostgreSQL text and exports; keep tab and newline.
    return CONTROL.sub("", text).strip()


def intake_open(meeting: Meeting, group: Group) -> bool:
    """Tell whether a group still takes new cards and changes to its cards."""
    return meeting.intake_open and group.intake_open


def read_card_input(
    meeting: Meeting, groups: list[Group], data: dict[str, Any], answers: dict[str, Any]
) -> CardInput:
    """Validate a submitted card against its group's questions and the meeting's languages."""
    card = CardInput(
        author_name=clean_text(data.get("author_name")),
        language=clean_text(data.get("language")),
    )
    slug = clean_text(data.get("group"))
    card.group = next((g for g in groups if g.slug == slug), None)
    if card.group is None:
        card.errors["group"] = _("Choose the action group this card is for.")
    elif not intake_open(meeting, card.group):
        card.errors["group"] = _("This group no longer takes cards: its intake is closed.")
    if len(card.author_name) > AUTHOR_MAX:
        card.errors["author_name"] = ngettext(
            "Keep the name under %(num)s character (now %(count)s).",
            "Keep the name under %(num)s characters (now %(count)s).",
            AUTHOR_MAX,
            num=format_number(AUTHOR_MAX),
            count=format_number(len(card.author_name)),
        )
    if card.language not in meeting.languages:
        card.errors["language"] = _("Choose the language the card is written in.")
    if card.group is not None:
        _read_answers(card, card.group, answers)
    return card


def _read_answers(card: CardInput, group: Group, answers: dict[str, Any]) -> None:
    known = {q["key"] for q in group.questions}
    for key in answers:
        if key not in known:
            card.errors[f"answers.{key}"] = _("This group does not ask this question.")
    for question in group.questions:
        key, limit = question["key"], question["max_length"]
        text = clean_text(answers.get(key))
        card.answers[key] = text
        if question["required"] and not text:
            card.errors[f"answers.{key}"] = _("This answer is required.")
        elif len(text) > limit:
            # The limit is written as the form's hint writes it (cards/form.html): format_number.
            card.errors[f"answers.{key}"] = ngettext(
                "Keep this answer under %(num)s character (now %(count)s).",
                "Keep this answer under %(num)s characters (now %(count)s).",
                limit,
                num=format_number(limit),
                count=format_number(len(text)),
            )
    card.answers = {k: v for k, v in card.answers.items() if v}


def parse_card_id(value: Any) -> str | None:
    """Return the canonical form of a card id (a UUID), or None if it is not one."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def card_id_for_key(delegation: Delegation, key: str) -> str:
    """Derive a card id from an API client's Idempotency-Key, unique to its delegation."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"actioncards:{delegation.id}:{key}"))


Rows = list[tuple[type[SQLModel], dict[str, Any]]]


def create_card(
    session: Session,
    meeting: Meeting,
    delegation: Delegation,
    card_id: str,
    card: CardInput,
    access_code_id: int | None = None,
    source: str = "web",
    looked_up: bool = False,
    also: Sequence[tuple[type[SQLModel], dict[str, Any]]] = (),
) -> tuple[Card, bool]:
    """Store a new card, or return the one already stored under this id; say which.

    `looked_up`: the caller has just looked for this id and found no card, so it is not
    looked for again (a twin that arrives meanwhile is still caught, by the primary key).
    `also`: more rows that go in the card's transaction (where a supporting card is placed).
    """
    existing = None if looked_up else session.get(Card, card_id)
    if existing is not None:
        return _same_delegation(existing, delegation), False
    stored, rows = new_card(meeting, delegation, card_id, card, access_code_id, source)
    rows = [*rows, *also]
    session.flush()  # what the caller added is written first, as the unit of work would
    try:
        insert_rows(session, rows)
        session.commit()
        embedding.cards_changed(session)
    except IntegrityError:
        # The same card arrived twice at once; the other request stored it.
        session.rollback()
        existing = session.get(Card, card_id)
        if existing is None:
            raise
        return _same_delegation(existing, delegation), False
    make_transient_to_detached(stored)
    session.add(stored)  # the caller gets the stored card as if the session had written it
    return stored, True


def new_card(
    meeting: Meeting,
    delegation: Delegation,
    card_id: str,
    card: CardInput,
    access_code_id: int | None = None,
    source: str = "web",
) -> tuple[Card, Rows]:
    """Build a valid card and the rows that store it: itself, its first version, its audit."""
    assert card.group is not None and card.ok
    stored = Card(
        id=card_id,
        meeting_id=ident(meeting),
        group_id=ident(card.group),
        delegation_id=ident(delegation),
        access_code_id=access_code_id,
        language=card.language,
        author_name=card.author_name,
        answers=card.answers,
        source=source,
        search_text=card_search_text(card.answers, card.author_name),
        supports_card_id=card.supports_card_id,
    )
    version = _version_of(stored, "create")
    detail = {"supports": card.supports_card_id} if card.supports_card_id else {}
    actor = delegation_actor(delegation)
    event = audit.event(actor, "card.create", "card", card_id, source=source, **detail)
    rows: Rows = [
        (Card, stored.model_dump()),
        (CardVersion, version.model_dump(exclude={"id"})),
        (AuditEvent, event.model_dump(exclude={"id"})),
    ]
    return stored, rows


def insert_rows(session: Session, rows: Rows) -> None:
    """Insert rows as plain statements, one per table, in the order the tables first appear.

    Every row is built beforehand: from the first insert to the commit other writers wait,
    and the ORM's unit of work costs more than the rows themselves.
    """
    by_table: dict[type[SQLModel], list[dict[str, Any]]] = {}
    for model, row in rows:
        by_table.setdefault(model, []).append(row)
    connection = session.connection()
    for model, values in by_table.items():
        connection.execute(insert(model), values)
    if Card in by_table:
        number_arrivals(connection, [row["id"] for row in by_table[Card]])


# Any fixed number: PostgreSQL's advisory locks are named by a 64-bit key.
ARRIVALS_LOCK = 0x41435F736571


def number_arrivals(connection: Connection, card_ids: list[str]) -> None:
    """Number new cards in the order their transactions commit, for the live workspace.

    Called after the cards are written and right before the commit, so the lock is held
    only for a moment: SQLite's single writer already holds it; on PostgreSQL an advisory
    lock (one for the whole database, so for every app server) keeps a transaction from
    taking numbers until the one before it has committed. Ids or timestamps could not say
    what a reader has missed: on PostgreSQL a card stamped or numbered first can commit last.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ARRIVALS_LOCK})
    last = connection.execute(sa_select(func.max(Card.seq))).scalar() or 0
    numbered = [{"card": card_id, "number": last + i} for i, card_id in enumerate(card_ids, 1)]
    statement = (
        update(Card).where(col(Card.id) == bindparam("card")).values(seq=bindparam("number"))
    )
    connection.execute(statement, numbered)


def taken_ids(session: Session, card_ids: list[str]) -> set[str]:
    """Return which of these card ids are already stored."""
    return set(session.exec(select(Card.id).where(col(Card.id).in_(card_ids))))


def form_answers(form: dict[str, str]) -> dict[str, str]:
    """Return a card form's answers, keyed by question (the fields are named answers.KEY)."""
    return {k.removeprefix("answers."): v for k, v in form.items() if k.startswith("answers.")}


def _same_delegation(card: Card, delegation: Delegation) -> Card:
    if card.delegation_id != delegation.id:
        raise CardConflict(_("This card id is already used. Reload the form and try again."))
    return card


def _version_of(card: Card, action: str) -> CardVersion:
    return CardVersion(
        card_id=card.id,
        version=card.version,
        action=action,
        group_id=card.group_id,
        language=card.language,
        author_name=card.author_name,
        answers=card.answers,
        status=card.status,
        created_at=card.updated_at,
    )


def edit_card(
    session: Session, stored: Card, card: CardInput, seen_version: int, actor: audit.Actor
) -> bool:
    """Apply an edit made on version `seen_version`; return False if nothing changed."""
    if stored.status != "active":
        raise CardConflict(_("This card was withdrawn and can no longer be changed."))
    if seen_version != stored.version:
        raise CardConflict(
            _("This card was changed elsewhere since you opened it. Here is the latest version.")
        )
    assert card.group is not None and card.ok
    new = (ident(card.group), card.language, card.author_name, card.answers)
    if new == (stored.group_id, stored.language, stored.author_name, stored.answers):
        return False
    stored.group_id, stored.language, stored.author_name, stored.answers = new
    stored.search_text = card_search_text(stored.answers, stored.author_name)
    _next_version(session, stored, "edit", actor)
    return True


def withdraw_card(session: Session, stored: Card, actor: audit.Actor) -> None:
    """Withdraw a card: the rapporteur no longer counts it, its history stays."""
    if stored.status == "withdrawn":
        return
    stored.status = "withdrawn"
    _next_version(session, stored, "withdraw", actor)


def reinstate_card(session: Session, stored: Card, actor: audit.Actor) -> None:
    """Bring back a withdrawn card: the rapporteurs count it again, as its next version."""
    if stored.status == "active":
        return
    stored.status = "active"
    _next_version(session, stored, "reinstate", actor)


def _next_version(session: Session, stored: Card, action: str, actor: audit.Actor) -> None:
    stored.version += 1
    stored.updated_at = utcnow()
    session.add(stored)
    session.add(_version_of(stored, action))
    audit.record(session, actor, f"card.{action}", "card", stored.id, version=stored.version)
    try:
        session.commit()
    except IntegrityError as error:
        # Two changes raced from the same version; the first one won.
        session.rollback()
        raise CardConflict(
            _("This card was changed elsewhere since you opened it. Here is the latest version.")
        ) from error


def card_versions(session: Session, card: Card) -> list[CardVersion]:
    """Return a card's versions, newest first."""
    query = select(CardVersion).where(CardVersion.card_id == card.id)
    return list(session.exec(query.order_by(col(CardVersion.version).desc())))


def delegation_cards(session: Session, meeting: Meeting, delegation: Delegation) -> list[Card]:
    """Return a delegation's cards in a meeting, newest first."""
    query = select(Card).where(Card.meeting_id == meeting.id, Card.delegation_id == delegation.id)
    return list(session.exec(query.order_by(col(Card.created_at).desc())))


# --- "Add our support": a card of one's own that backs another delegation's card ------------


def support_input(
    session: Session, meeting: Meeting, delegation: Delegation, other: Card, group: Group | None
) -> CardInput:
    """Return the card that backs another delegation's card, or say why there can be none.

    `group`: the group the delegate is writing for (None: the other card's). The card says
    what the other one says, its main answer in its language with no word added: the
    rapporteurs see it as support, and it compares as the same text.
    """
    if other.status != "active":
        raise CardConflict(
            _("This card was withdrawn by its delegation: it can no longer be supported.")
        )
    if other.delegation_id == delegation.id:
        raise CardConflict(_("This card is your delegation's own: it already counts."))
    own_group = session.get(Group, other.group_id)
    if own_group is None or (group is not None and group.id != own_group.id):
        raise CardConflict(
            _("This card is for another action group: support it from that group's form.")
        )
    if not intake_open(meeting, own_group):
        raise CardConflict(_("This group no longer takes cards: its intake is closed."))
    main = main_question(own_group)
    text = embedding.card_text(other, own_group)[: main["max_length"]]
    return CardInput(
        group=own_group,
        answers={main["key"]: text},
        language=other.language,
        supports_card_id=other.id,
    )


def support_of(session: Session, delegation: Delegation, other: Card) -> Card | None:
    """Return the delegation's active card that already backs this card, if there is one."""
    query = select(Card).where(
        Card.delegation_id == delegation.id,
        Card.supports_card_id == other.id,
        Card.status == "active",
    )
    return session.exec(query.order_by(col(Card.created_at))).first()


def support_rows(delegation: Delegation, card_id: str, placements: list[Support]) -> Rows:
    """Return the rows that place a supporting card, each placement in the audit log."""
    actor = delegation_actor(delegation)
    rows: Rows = []
    for support in placements:
        rec = support.recommendation_id
        event = audit.event(actor, "card.group", "card", card_id, recommendation=rec)
        rows.append((Support, support.model_dump()))
        rows.append((AuditEvent, event.model_dump(exclude={"id"})))
    return rows


def support_card(
    session: Session,
    meeting: Meeting,
    delegation: Delegation,
    card_id: str,
    card: CardInput,
    access_code_id: int | None = None,
) -> tuple[Card, bool]:
    """Store a card that backs another one, placed where that one stands, in one transaction."""
    assert card.supports_card_id is not None
    placements = grouping.placed_like(session, card_id, card.supports_card_id)
    rows = support_rows(delegation, card_id, placements)
    return create_card(session, meeting, delegation, card_id, card, access_code_id, also=rows)
