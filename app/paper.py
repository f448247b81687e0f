"""Paper cards: serials issued in advance, and a clerk keying a card in under its serial.

A serial (G3-0147) names the group and the card; the QR code beside it carries only the
meeting and the serial, so a scanned card says nothing a passer-by could use.
"""

import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import audit, embedding
from app.access import normalize
from app.audit import user_actor
from app.cards import CardInput, Rows, insert_rows, intake_open, new_card
from app.i18n import LANGUAGES, _, delegation_name, get_language, localize, sort_key
from app.models import (
    AccessCode,
    AuditEvent,
    Card,
    CardSerial,
    Delegation,
    Group,
    Meeting,
    PaperKeying,
    User,
    ident,
    utcnow,
)
from app.search import fold

BANDS = 7  # colours of bands in static/paper-cards.css, by group number
MAX_BATCH = 1000  # cards printed at once: a stack for a whole group, not a typo's worth
# A serial as typed or scanned: "G3-0147", "g3 0147", "G30147", or the QR's
# "puerto-vallarta-2017 G3-0147"; the meeting before it, if any, is checked.
SERIAL = re.compile(
    r"^(?:(?P<meeting>\S+)\s+)?G?\s*(?P<group>\d{1,2})\s*[-–]?\s*(?P<number>\d{4})$"
)


def band(group: Group) -> int:
    """Return the number of a group's colour band on its printed cards (static/paper-cards.css)."""
    return (group.number - 1) % BANDS + 1


def serial_text(group: Group, number: int) -> str:
    """Write a serial as it is printed: the group's number, then the card's."""
    return f"G{group.number}-{number:04d}"


def qr_text(meeting: Meeting, serial: str) -> str:
    """Return what a card's QR code carries: the meeting and the serial, nothing else."""
    return f"{meeting.slug} {serial}"


def issue_serials(
    session: Session,
    meeting: Meeting,
    group: Group,
    count: int,
    actor: audit.Actor,
    delegation: Delegation | None = None,
) -> list[CardSerial]:
    """Issue the next `count` serials of a group as one batch; return them, committed."""
    last = session.exec(
        select(func.max(CardSerial.serial)).where(CardSerial.group_id == group.id)
    ).one()
    start = int(last.rpartition("-")[2]) + 1 if last else 1
    batch = (session.exec(select(func.max(CardSerial.batch))).one() or 0) + 1
    serials = [
        CardSerial(
            meeting_id=ident(meeting),
            group_id=ident(group),
            serial=serial_text(group, number),
            batch=batch,
            delegation_id=delegation.id if delegation else None,
        )
        for number in range(start, start + count)
    ]
    session.add_all(serials)
    first, last_issued = serials[0].serial, serials[-1].serial
    audit.record(
        session, actor, "paper.issue", "batch", batch, first=first, last=last_issued, count=count
    )
    session.commit()
    return serials


def batch_serials(session: Session, meeting: Meeting, batch: int) -> list[CardSerial]:
    """Return the serials of one printed batch, in order."""
    query = select(CardSerial).where(CardSerial.meeting_id == meeting.id, CardSerial.batch == batch)
    return list(session.exec(query.order_by(col(CardSerial.serial))))


class SerialRefused(Exception):
    """The serial cannot be keyed; the message says why, for the clerk."""

    def __init__(self, message: str, keyed: Card | None = None, differs: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.keyed = keyed  # the card already keyed under it
        self.differs = differs  # the serial whose two keyings wait for a third person


def canonical_serial(typed: str, meeting: Meeting) -> str:
    """Read a typed or scanned serial; raise SerialRefused if it is none, or another meeting's."""
    found = SERIAL.match(" ".join(typed.upper().split()))
    if found is None:
        raise SerialRefused(_("Type the serial printed on the card, for example G3-0147."))
    if found["meeting"] and found["meeting"] != meeting.slug.upper():
        raise SerialRefused(_("This card was printed for another meeting: it cannot be keyed."))
    return f"G{int(found['group'])}-{found['number']}"


def issued_serial(session: Session, meeting: Meeting, typed: str) -> CardSerial:
    """Return the serial row a clerk typed, whatever its status, or raise SerialRefused."""
    serial = canonical_serial(typed, meeting)
    row = session.exec(
        select(CardSerial).where(CardSerial.meeting_id == meeting.id, CardSerial.serial == serial)
    ).first()
    if row is None:
        raise SerialRefused(
            _("%(serial)s was never issued: check the serial on the card.", serial=serial)
        )
    return row


def find_serial(
    session: Session,
    meeting: Meeting,
    typed: str,
    desk_group: Group | None = None,
    clerk: User | None = None,
) -> CardSerial:
    """Return the issued serial a clerk typed, or raise SerialRefused saying what is wrong."""
    row = issued_serial(session, meeting, typed)
    serial = row.serial
    if row.status == "voided":
        raise SerialRefused(_("%(serial)s was voided: this card must not be keyed.", serial=serial))
    if row.status == "keyed":
        card = session.get(Card, row.card_id) if row.card_id else None
        message = _("%(serial)s is already keyed: here is its card.", serial=serial)
        raise SerialRefused(message, card)
    if row.status == "differs":
        message = _(
            "%(serial)s was keyed twice and the two differ: a third person settles them.",
            serial=serial,
        )
        raise SerialRefused(message, differs=serial)
    if row.status == "once" and clerk is not None and row.keyed_by == clerk.id:
        raise SerialRefused(
            _("You keyed %(serial)s already: another clerk keys it a second time.", serial=serial)
        )
    group = session.get(Group, row.group_id)
    assert group is not None
    if desk_group is not None and row.group_id != desk_group.id:
        number = group.number
        raise SerialRefused(
            _(
                "%(serial)s is a card of group %(number)s: this desk keys group %(desk)s.",
                serial=serial,
                number=number,
                desk=desk_group.number,
            )
        )
    if not intake_open(meeting, group):
        raise SerialRefused(_("This group no longer takes cards: its intake is closed."))
    return row


def paper_card_id(meeting: Meeting, serial: str) -> str:
    """Derive a paper card's id from its serial: two clerks keying it make the same card."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"actioncards:{meeting.slug}:paper:{serial}"))


def key_card(
    session: Session,
    meeting: Meeting,
    serial: CardSerial,
    delegation: Delegation,
    card: CardInput,
    clerk: User,
    *,
    by: User | None = None,
    expected: str = "issued",
    extra: Rows | None = None,
    marks: dict[str, Any] | None = None,
) -> Card:
    """Store a keyed paper card as the delegation's own, and mark its serial keyed, at once.

    Double entry (app.double_entry) makes the card when the second keying agrees, or when a
    third person (`by`) settles the differences: the serial is then `expected` in another
    status, `extra` rows go in with the card, and `marks` (the serial's differences and
    resolved_by) say how it was settled.
    Raise SerialRefused if the serial was keyed meanwhile (by another clerk): never two cards.
    """
    text = serial.serial  # the rows may be expired by a rollback below
    marks = marks or {}  # the serial's columns saying how double entry settled the card
    card_id = paper_card_id(meeting, text)
    stored, rows = new_card(meeting, delegation, card_id, card, source="paper")
    stored.paper_serial, stored.keyed_by = serial.serial, clerk.id
    rows[0] = (Card, stored.model_dump())
    event = audit.event(
        user_actor(by or clerk), "card.create", "card", card_id,
        source="paper", serial=serial.serial, delegation=delegation.name, **marks,
    )  # fmt: skip
    rows[2] = (AuditEvent, event.model_dump(exclude={"id"}))
    marked = (
        update(CardSerial)
        .where(col(CardSerial.id) == serial.id, col(CardSerial.status) == expected)
        .values(status="keyed", card_id=card_id, keyed_by=clerk.id, keyed_at=utcnow(), **marks)
    )
    try:
        # The card's id comes from its serial: a second clerk's card collides with the first
        # (PostgreSQL makes it wait for the first commit), and a voided serial stays unkeyed.
        insert_rows(session, [*(extra or []), *rows])
        if session.connection().execute(marked).rowcount != 1:
            raise IntegrityError("the serial is no longer issued", None, ValueError())
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SerialRefused(
            _("%(serial)s is already keyed: here is its card.", serial=text),
            session.get(Card, card_id),
        ) from None
    embedding.cards_changed(session)
    return session.get(Card, card_id) or stored


def void_serial(session: Session, meeting: Meeting, typed: str, actor: audit.Actor) -> str:
    """Void a serial not yet keyed (a spoilt or lost card); return it. Keyed ones stay keyed.

    A serial keyed once, or twice with differences, may be voided too: its keyings stay, for
    the record, and no card comes of them.
    """
    row = issued_serial(session, meeting, typed)
    if row.status == "keyed":
        raise SerialRefused(
            _("%(serial)s is already keyed: withdraw its card instead.", serial=row.serial)
        )
    if row.status != "voided":
        row.status = "voided"
        session.add(row)
        audit.record(session, actor, "paper.void", "serial", row.serial)
        session.commit()
    return row.serial


# --- Finding the delegation written on the card -------------------------------------------

# Names people still write that the lists no longer use, and short ones, by ISO code.
OTHER_NAMES = {
    "CZ": ("Czech Republic",), "MK": ("Macedonia", "The former Yugoslav Republic of Macedonia"),
    "SZ": ("Swaziland",), "TR": ("Turkey",), "MM": ("Burma",), "CV": ("Cape Verde",),
    "CI": ("Ivory Coast",), "GB": ("UK", "United Kingdom", "Great Britain"),
    "US": ("USA", "United States"), "NL": ("Netherlands", "Holland"), "KR": ("South Korea",),
    "KP": ("North Korea",), "CD": ("DRC", "DR Congo"), "VN": ("Vietnam", "Viet Nam"),
}  # fmt: skip


@dataclass
class Entry:
    """One delegation and every name it may be keyed by, folded."""

    delegation: Delegation
    names: tuple[str, ...]
    codes: set[str] = field(default_factory=set)  # ISO and access codes, as typed


def lookup_entries(session: Session, meeting: Meeting) -> list[Entry]:
    """Return every delegation with the names a clerk may type for it."""
    codes: dict[int, set[str]] = {}
    active = select(AccessCode).where(
        AccessCode.meeting_id == meeting.id, col(AccessCode.revoked_at).is_(None)
    )
    for access in session.exec(active):
        codes.setdefault(access.delegation_id, set()).add(access.code)
    entries = []
    for delegation in session.exec(select(Delegation)):
        entries.append(
            Entry(
                delegation,
                folded_names(delegation.name, delegation.iso2),
                codes.get(ident(delegation), set()) | {delegation.iso2 or ""} - {""},
            )
        )
    return entries


@lru_cache(maxsize=4096)  # Babel parses a locale per name: once per delegation, not per key
def folded_names(name: str, iso2: str | None) -> tuple[str, ...]:
    """Return a delegation's names in every interface language and its other names, folded."""
    names = {name, *OTHER_NAMES.get(iso2 or "", ())}
    names |= {delegation_name(name, iso2, language) for language in LANGUAGES}
    return tuple(sorted({fold(n) for n in names}))


def rank_delegations(entries: list[Entry], typed: str, most: int = 20) -> list[Delegation]:
    """Return the delegations matching what was typed: exact first, then starts, then contains."""
    folded, code = fold(typed), normalize(typed)
    if not folded:
        return []
    ranked: list[tuple[int, str, Delegation]] = []
    for entry in entries:
        if code in entry.codes or folded in entry.names:
            rank = 0
        elif any(n.startswith(folded) for n in entry.names):
            rank = 1
        elif any(folded in n for n in entry.names):
            rank = 2
        else:
            continue
        shown = shown_name(entry.delegation.name, entry.delegation.iso2, get_language())
        ranked.append((rank, sort_key(shown), entry.delegation))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [delegation for _rank, _name, delegation in ranked[:most]]


def best_delegation(entries: list[Entry], typed: str) -> tuple[Delegation | None, list[Delegation]]:
    """Return the one delegation meant by what was typed (None if unclear), and the matches."""
    found = rank_delegations(entries, typed)
    folded, code = fold(typed), normalize(typed)
    exact = [
        e.delegation
        for e in entries
        if e.delegation in found and (code in e.codes or folded in e.names)
    ]
    if len(exact) == 1:
        return exact[0], found
    return (found[0] if len(found) == 1 else None), found


@lru_cache(maxsize=8192)
def shown_name(name: str, iso2: str | None, language: str) -> str:
    """Name a delegation in a language, as the desk's list shows and sorts it."""
    return delegation_name(name, iso2, language)


def group_label(group: Group) -> str:
    """Name a group as its cards print it: "3. National"."""
    return f"{group.number}. {localize(group.title)}"


# --- Figures for the secretariat ------------------------------------------------------------


@dataclass
class GroupStack:
    """A group's serials: how many were issued, keyed and voided, and which still wait."""

    group: Group
    issued: int = 0
    keyed: int = 0
    voided: int = 0
    waiting: list[str] = field(default_factory=list)  # issued, neither keyed nor voided


@dataclass
class DoubleFigures:
    """What double entry found: cards keyed twice, how many agreed, how many differed."""

    once: int = 0  # serials keyed by one clerk, waiting for the second
    compared: int = 0  # serials keyed twice
    agreed: int = 0
    differed: int = 0  # of which the keyings differed, settled or not
    fields: int = 0  # the fields that differed, in all
    settled: int = 0  # of the differing, settled by a third person
    waiting: int = 0  # of the differing, waiting for a third person


@dataclass
class PaperFigures:
    groups: list[GroupStack]
    clerks: list[tuple[str, int]]  # display name, cards keyed (each keying counts)
    hours: list[tuple[datetime, dict[str, int]]]  # the hour (meeting's time), cards per clerk
    batches: list[dict[str, Any]]
    double: DoubleFigures


def paper_figures(session: Session, meeting: Meeting, groups: list[Group]) -> PaperFigures:
    """Count the paper cards: per group, per clerk and per hour, and list the batches."""
    stacks = {ident(g): GroupStack(g) for g in groups}
    names = {u.id: u.display_name for u in session.exec(select(User))}
    clerks: Counter[str] = Counter()
    hours: dict[datetime, Counter[str]] = defaultdict(Counter)
    zone = ZoneInfo(meeting.timezone)

    def count(clerk_id: int | None, at: datetime) -> None:
        clerk = names.get(clerk_id, "?")
        clerks[clerk] += 1
        hours[at.astimezone(zone).replace(minute=0, second=0, microsecond=0)][clerk] += 1

    keyings: dict[int, list[PaperKeying]] = defaultdict(list)
    query = (
        select(PaperKeying)
        .join(CardSerial, col(CardSerial.id) == PaperKeying.serial_id)
        .where(CardSerial.meeting_id == meeting.id)
    )
    for keying in session.exec(query):
        keyings[keying.serial_id].append(keying)
        count(keying.clerk_id, keying.keyed_at)
    double = DoubleFigures()
    batches: dict[int, dict[str, Any]] = {}
    query_serials = select(CardSerial).where(CardSerial.meeting_id == meeting.id)
    for row in session.exec(query_serials.order_by(col(CardSerial.serial))):
        stack = stacks[row.group_id]
        stack.issued += 1
        if row.status == "keyed" and row.keyed_at is not None:
            stack.keyed += 1
            if not keyings[ident(row)]:  # keyed once, by one clerk
                count(row.keyed_by, row.keyed_at)
        elif row.status == "voided":
            stack.voided += 1
        else:
            stack.waiting.append(row.serial)
            double.once += row.status == "once"
        if row.differences is not None:
            double.compared += 1
            double.agreed += row.differences == 0
            double.differed += row.differences > 0
            double.fields += row.differences
            double.settled += row.resolved_by is not None
            double.waiting += row.status == "differs"
        entry = batches.setdefault(
            row.batch,
            {"batch": row.batch, "group": stack.group, "first": row.serial, "count": 0},
        )
        entry["last"] = row.serial
        entry["count"] += 1
    return PaperFigures(
        groups=list(stacks.values()),
        clerks=sorted(clerks.items(), key=lambda c: (-c[1], c[0])),
        hours=sorted((hour, dict(counts)) for hour, counts in hours.items()),
        batches=[batches[b] for b in sorted(batches, reverse=True)],
        double=double,
    )
