"""Double entry of paper cards: two clerks key the same card, each blind to the other.

The keyings are kept apart from the cards. When the second agrees with the first the card is
made at once; when they differ, a third person looks at both side by side (and at the paper)
and settles each difference. Only then does the card reach the rapporteurs.
"""

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import audit, paper
from app.audit import user_actor
from app.cards import CardInput, read_card_input
from app.i18n import _, delegation_name, language_name, localize
from app.models import CardSerial, Delegation, Group, Meeting, PaperKeying, User, ident, utcnow

Outcome = Literal["once", "agreed", "differs"]


def keys_twice(meeting: Meeting, serial: CardSerial) -> bool:
    """Tell whether a serial is keyed twice: the meeting asks it, or its first keying is in."""
    return meeting.paper_double_entry or serial.status == "once"


def keying_of(
    serial: CardSerial, round_: int, delegation: Delegation, card: CardInput, clerk: User
) -> PaperKeying:
    """Build a clerk's keying of a card, as it is kept apart from the cards."""
    return PaperKeying(
        serial_id=ident(serial),
        round=round_,
        clerk_id=ident(clerk),
        delegation_id=ident(delegation),
        language=card.language,
        author_name=card.author_name,
        answers=dict(card.answers),
    )


def key_once_more(
    session: Session,
    meeting: Meeting,
    serial: CardSerial,
    delegation: Delegation,
    card: CardInput,
    clerk: User,
) -> Outcome:
    """Store a clerk's keying of a card under double entry; say what came of it.

    The first keying waits for a second; a second that agrees makes the card; one that
    differs waits for a third person. Raise SerialRefused if the serial moved meanwhile.
    """
    text = serial.serial
    if serial.status == "issued":
        if _store_first(session, serial, delegation, card, clerk):
            return "once"
        session.expire_all()  # another clerk's first keying came in meanwhile: this is the second
        serial = paper.find_serial(session, meeting, text, clerk=clerk)
    first = session.exec(
        select(PaperKeying).where(PaperKeying.serial_id == serial.id, PaperKeying.round == 1)
    ).one()
    second = keying_of(serial, 2, delegation, card, clerk)
    group = session.get(Group, serial.group_id)
    assert group is not None
    differing = differences(group, first, second)
    if not differing:
        first_clerk = session.get(User, first.clerk_id)
        assert first_clerk is not None
        paper.key_card(
            session, meeting, serial, delegation, card, first_clerk,
            by=clerk, expected="once", extra=[(PaperKeying, second.model_dump(exclude={"id"}))],
            marks={"differences": 0},
        )  # fmt: skip
        return "agreed"
    marked = (
        update(CardSerial)
        .where(col(CardSerial.id) == serial.id, col(CardSerial.status) == "once")
        .values(status="differs", differences=len(differing))
    )
    _store(session, second, marked, text)
    audit.record(
        session, user_actor(clerk), "paper.keying", "serial", text,
        round=2, differences=len(differing),
    )  # fmt: skip
    session.commit()
    return "differs"


def _store_first(
    session: Session, serial: CardSerial, delegation: Delegation, card: CardInput, clerk: User
) -> bool:
    """Store the first keying of a serial; False if another clerk's came first."""
    marked = (
        update(CardSerial)
        .where(col(CardSerial.id) == serial.id, col(CardSerial.status) == "issued")
        .values(status="once", keyed_by=ident(clerk), keyed_at=utcnow())
    )
    text = serial.serial
    try:
        _store(session, keying_of(serial, 1, delegation, card, clerk), marked, text)
    except paper.SerialRefused:
        return False
    audit.record(session, user_actor(clerk), "paper.keying", "serial", text, round=1)
    session.commit()
    return True


def _store(session: Session, keying: PaperKeying, marked: Any, text: str) -> None:
    """Move the serial on (the row lock makes a racing clerk wait), then add the keying."""
    try:
        if session.connection().execute(marked).rowcount != 1:
            raise IntegrityError("the serial moved on", None, ValueError())
        session.add(keying)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise paper.SerialRefused(
            _("%(serial)s was just keyed by another clerk: open it again.", serial=text)
        ) from None


# --- Comparing the two keyings ----------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    """Compare two keyed texts; spaces and line breaks are nobody's reading of the card."""
    return a.split() == b.split()


def fields_of(group: Group) -> list[str]:
    """Name the fields of a keyed card, as the desk's form names them, in its order."""
    answers = [f"answers.{q['key']}" for q in group.questions]
    return ["delegation", "language", *answers, "author_name"]


def value(keying: PaperKeying, name: str) -> str:
    """Return a keying's value of a field: the delegation's id, a language, or a text."""
    if name == "delegation":
        return str(keying.delegation_id)
    if name == "language":
        return keying.language
    if name == "author_name":
        return keying.author_name
    return keying.answers.get(name.removeprefix("answers."), "")


def differences(group: Group, first: PaperKeying, second: PaperKeying) -> list[str]:
    """Return the fields the two keyings differ in."""
    return [n for n in fields_of(group) if not _same(value(first, n), value(second, n))]


@dataclass
class Side:
    """One keying's reading of a field: its value, and the words that differ, marked."""

    value: str
    shown: str  # what the page shows for a delegation or a language
    words: list[tuple[str, bool]]  # (text, differs from the other keying)


@dataclass
class Field:
    name: str
    label: str
    text: bool  # a text the third person may type as the card has it
    differs: bool
    first: Side
    second: Side


def compare(session: Session, group: Group, first: PaperKeying, second: PaperKeying) -> list[Field]:
    """Lay the two keyings side by side, field by field, with their differing words marked."""
    labels = {f"answers.{q['key']}": localize(q["label"]) for q in group.questions}
    labels |= {
        "delegation": _("Delegation on the card"),
        "language": _("Card written in"),
        "author_name": _("Written by"),
    }
    fields = []
    for name in fields_of(group):
        a, b = value(first, name), value(second, name)
        text = name.startswith("answers.") or name == "author_name"
        shown_a, shown_b = _shown(session, name, a), _shown(session, name, b)
        words_a, words_b = marked_words(shown_a, shown_b) if text else ([], [])
        fields.append(
            Field(
                name,
                labels[name],
                text,
                not _same(a, b),
                Side(a, shown_a, words_a),
                Side(b, shown_b, words_b),
            )  # fmt: skip
        )
    return fields


def _shown(session: Session, name: str, value_: str) -> str:
    if name == "delegation":
        delegation = session.get(Delegation, int(value_))
        return delegation_name(delegation.name, delegation.iso2) if delegation else "?"
    if name == "language":
        return language_name(value_)
    return value_


def marked_words(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Split two texts into runs of words, each marked if the other text lacks it."""
    words_a, words_b = a.split(), b.split()
    runs_a: list[tuple[str, bool]] = []
    runs_b: list[tuple[str, bool]] = []
    matcher = difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            runs_a.append((" ".join(words_a[i1:i2]), op != "equal"))
        if j2 > j1:
            runs_b.append((" ".join(words_b[j1:j2]), op != "equal"))
    return runs_a, runs_b


# --- Settling the differences -------------------------------------------------------------------


def keyings(session: Session, serial: CardSerial) -> tuple[PaperKeying, PaperKeying]:
    """Return a serial's two keyings, first and second."""
    query = select(PaperKeying).where(PaperKeying.serial_id == serial.id)
    first, second = sorted(session.exec(query), key=lambda k: k.round)
    return first, second


def _waiting(meeting: Meeting) -> Any:
    return (CardSerial.meeting_id == meeting.id, CardSerial.status == "differs")


def waiting(session: Session, meeting: Meeting) -> list[CardSerial]:
    """Return the serials whose two keyings differ and wait for a third person."""
    query = select(CardSerial).where(*_waiting(meeting))
    return list(session.exec(query.order_by(col(CardSerial.serial))))


def waiting_count(session: Session, meeting: Meeting) -> int:
    """Count the serials waiting for a third person (the desk says so at every card)."""
    return session.exec(
        select(func.count()).select_from(CardSerial).where(*_waiting(meeting))
    ).one()


def keyed_by(session: Session, serials: list[CardSerial], person: User) -> set[int]:
    """Return the ids of those serials the person keyed, and so may not settle."""
    query = select(PaperKeying.serial_id).where(
        col(PaperKeying.serial_id).in_([ident(s) for s in serials]),
        PaperKeying.clerk_id == person.id,
    )
    return set(session.exec(query))


@dataclass
class Settled:
    """A third person's reading of the differences: the card to make, or what is wrong."""

    card: CardInput
    delegation_id: int
    errors: dict[str, str]


def read_settlement(
    meeting: Meeting, group: Group, fields: list[Field], form: dict[str, str]
) -> Settled:
    """Read which keying the third person chose for each difference, or what they typed."""
    errors: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for f in fields:
        if not f.differs:
            chosen[f.name] = f.second.value
            continue
        choice = form.get(f"choice.{f.name}", "")
        if choice in ("first", "second"):
            chosen[f.name] = getattr(f, choice).value
        elif choice == "typed" and f.text:
            chosen[f.name] = form.get(f"typed.{f.name}", "")
        else:
            errors[f.name] = _("Choose the reading that matches the paper card.")
    data = {"group": group.slug, "language": chosen["language"]}
    data["author_name"] = chosen["author_name"]
    answers = {n.removeprefix("answers."): v for n, v in chosen.items() if n.startswith("answers.")}
    card = read_card_input(meeting, [group], data, answers)
    for name, message in card.errors.items():
        errors.setdefault("serial" if name == "group" else name, message)
    return Settled(card, int(chosen["delegation"]), errors)


def settle(
    session: Session, meeting: Meeting, serial: CardSerial, settled: Settled, by: User
) -> None:
    """Make the card a third person settled; raise SerialRefused if it cannot be made."""
    first, second = keyings(session, serial)
    if ident(by) in (first.clerk_id, second.clerk_id):
        raise paper.SerialRefused(_("You keyed this card: a third person settles its differences."))
    delegation = session.get(Delegation, settled.delegation_id)
    clerk = session.get(User, first.clerk_id)
    assert delegation is not None and clerk is not None
    paper.key_card(
        session, meeting, serial, delegation, settled.card, clerk,
        by=by, expected="differs",
        marks={"differences": serial.differences, "resolved_by": ident(by)},
    )  # fmt: skip
