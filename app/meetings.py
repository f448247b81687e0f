"""Meetings and delegations as data: loading meeting files and delegation lists."""

import csv
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.i18n import localize
from app.models import Delegation, FloorList, Group, Meeting, Tag, ident, utcnow

SHIPPED_DELEGATIONS = Path(__file__).parent / "data" / "delegations.csv"


class MeetingFileError(ValueError):
    """A meeting file that cannot be loaded, with the reason."""


def load_meeting(session: Session, path: Path) -> Meeting:
    """Create or update a meeting and its groups from a TOML file; return the meeting."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise MeetingFileError(f"{path}: {error}") from error
    try:
        meeting = _upsert_meeting(session, data)
        questions = data.get("questions", {})
        for group_data in data["groups"]:
            _upsert_group(session, meeting, group_data, questions)
        for theme in data.get("themes", []):
            _upsert_theme(session, meeting, theme)
    except (KeyError, MeetingFileError) as error:
        session.rollback()  # a broken file changes nothing
        if isinstance(error, MeetingFileError):
            raise
        raise MeetingFileError(f"{path}: missing {error}") from error
    ensure_shipped_delegations(session)
    session.commit()
    session.refresh(meeting)
    return meeting


def _upsert_meeting(session: Session, data: dict[str, Any]) -> Meeting:
    meeting = session.exec(select(Meeting).where(Meeting.slug == data["slug"])).first()
    meeting = meeting or Meeting(
        slug=data["slug"],
        venue=data["venue"],
        start_date=data["start_date"],
        end_date=data["end_date"],
    )
    meeting.name = data["name"]
    meeting.venue = data["venue"]
    meeting.start_date = data["start_date"]
    meeting.end_date = data["end_date"]
    meeting.timezone = data.get("timezone", "UTC")
    meeting.languages = data.get("languages", ["en"])
    meeting.delegation_kinds = data.get("delegation_kinds", [])
    meeting.intake_open = data.get("intake_open", True)
    meeting.delegation_picker = data.get("delegation_picker", False)
    meeting.floor = _floor(data.get("floor", {}))
    paper = data.get("paper", {})
    if "double_entry" in paper:  # else as the secretariat set it on the paper cards' page
        meeting.paper_double_entry = paper["double_entry"] is True
    meeting.loaded_at = utcnow()
    session.add(meeting)
    session.flush()
    return meeting


def _upsert_group(
    session: Session, meeting: Meeting, data: dict[str, Any], questions: dict[str, Any]
) -> None:
    group = session.exec(
        select(Group).where(Group.meeting_id == meeting.id, Group.slug == data["slug"])
    ).first()
    group = group or Group(meeting_id=ident(meeting), slug=data["slug"], number=data["number"])
    group.number = data["number"]
    group.title = data["title"]
    group.description = data.get("description", {})
    if not data.get("questions"):
        raise MeetingFileError(f"the group {data['slug']!r} asks no question")
    group.questions = [_question(key, questions) for key in data["questions"]]
    group.intake_open = data.get("intake_open", True)
    session.add(group)
    session.flush()
    if session.get(FloorList, group.id) is None:  # its speakers list (app.floor)
        session.add(FloorList(group_id=ident(group)))


def _upsert_theme(session: Session, meeting: Meeting, data: dict[str, Any]) -> None:
    tag = session.exec(
        select(Tag).where(
            Tag.meeting_id == meeting.id, col(Tag.group_id).is_(None), Tag.slug == data["slug"]
        )
    ).first()
    tag = tag or Tag(meeting_id=ident(meeting), slug=data["slug"])
    tag.name = data["name"]
    tag.description = _texts(data.get("description", {}), f"the theme {data['slug']!r}")
    session.add(tag)


# Speaking time per kind of intervention when the meeting file says nothing (app.floor).
FLOOR_SECONDS = {"statement": 120, "point_of_order": 60, "reply": 60}
FLOOR_WARNING = 30


def _floor(data: Any) -> dict[str, Any]:
    """Return the speakers lists' rules: the kinds allowed with their seconds, the warning."""
    seconds = data.get("seconds", FLOOR_SECONDS) if isinstance(data, dict) else None
    warning = data.get("warning_seconds", FLOOR_WARNING) if isinstance(data, dict) else None
    if not isinstance(seconds, dict) or not seconds or not isinstance(warning, int):
        raise MeetingFileError("[floor]: give seconds per kind and warning_seconds")
    for kind, value in seconds.items():
        if kind not in FLOOR_SECONDS or not isinstance(value, int) or not 10 <= value <= 3600:
            raise MeetingFileError(f"[floor.seconds]: {kind!r} is not a kind or not 10-3600 s")
    return {"seconds": seconds, "warning_seconds": warning}


def _texts(value: Any, where: str) -> dict[str, str]:
    """Return a text per language (TOML `{ en = "...", fr = "..." }`), blank ones left out."""
    if not isinstance(value, dict) or not all(isinstance(t, str) for t in value.values()):
        raise MeetingFileError(f"{where}: the description must be a text per language")
    return {language: text.strip() for language, text in value.items() if text.strip()}


def _question(key: str, questions: dict[str, Any]) -> dict[str, Any]:
    if key not in questions:
        raise MeetingFileError(f"the question {key!r} is asked but not described")
    question = questions[key]
    return {
        "key": key,
        "label": question["label"],
        "hint": question.get("hint", {}),
        "required": question.get("required", False),
        "max_length": question.get("max_length", 1000),
    }


# Built once (every request asks): see app.auth.delegate_session.
_LATEST_MEETING = select(Meeting).order_by(col(Meeting.loaded_at).desc())
_MEETING_BY_SLUG = _LATEST_MEETING.where(Meeting.slug == bindparam("slug"))


def current_meeting(session: Session, slug: str = "") -> Meeting | None:
    """Return the meeting the app serves: the one named, or the most recently loaded."""
    if slug:
        return session.exec(_MEETING_BY_SLUG, params={"slug": slug}).first()
    return session.exec(_LATEST_MEETING).first()


def kind_label(meeting: Meeting, kind: str) -> str:
    """Name a kind of delegation in the current language, as the meeting file does."""
    for item in meeting.delegation_kinds:
        if item["slug"] == kind:
            return localize(item["label"])
    return kind


def main_question(group: Group) -> dict[str, Any]:
    """Return the question a group's cards are compared and placed by: the first required one.

    Every group asks at least one question: load_meeting refuses a group that asks none.
    """
    return next((q for q in group.questions if q.get("required")), group.questions[0])


def meeting_groups(session: Session, meeting: Meeting) -> list[Group]:
    """Return a meeting's groups in their numbered order."""
    query = select(Group).where(Group.meeting_id == meeting.id).order_by(col(Group.number))
    return list(session.exec(query))


@dataclass
class ImportResult:
    """What a delegation import did, line by line where it could not."""

    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def import_delegations(
    session: Session, rows: Iterable[dict[str, str]], kinds: set[str] | None = None
) -> ImportResult:
    """Add or update delegations from rows with name, kind and optional iso2; commit if clean."""
    result = ImportResult()
    existing = {d.name: d for d in session.exec(select(Delegation))}
    for line, row in enumerate(rows, start=2):
        name = (row.get("name") or "").strip()
        kind = (row.get("kind") or "").strip()
        iso2 = (row.get("iso2") or "").strip().upper() or None
        if not name or not kind:
            result.errors.append(f"line {line}: name and kind are required")
        elif kinds is not None and kind not in kinds:
            result.errors.append(f"line {line}: unknown kind {kind!r}")
        elif len(name) > 200 or (iso2 is not None and len(iso2) != 2):
            result.errors.append(f"line {line}: name too long or iso2 not two letters")
        elif name in existing:
            delegation = existing[name]
            if (delegation.kind, delegation.iso2) != (kind, iso2):
                delegation.kind, delegation.iso2 = kind, iso2
                session.add(delegation)
                result.updated += 1
        else:
            existing[name] = Delegation(name=name, kind=kind, iso2=iso2)
            session.add(existing[name])
            result.added += 1
    if result.errors:
        session.rollback()  # all or nothing: a half-imported list is worse than none
    else:
        session.commit()
    return result


def read_delegations_csv(path: Path) -> list[dict[str, str]]:
    """Read a delegation list (columns name, kind, iso2) from a UTF-8 CSV file."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def ensure_shipped_delegations(session: Session) -> None:
    """Add the Member States and observer States that ship with the product, if missing."""
    known = set(session.exec(select(Delegation.name)))
    for row in read_delegations_csv(SHIPPED_DELEGATIONS):
        if row["name"] not in known:
            session.add(Delegation(name=row["name"], kind=row["kind"], iso2=row["iso2"] or None))
