"""A meeting is data: loading its file, the shipped delegations, imports and the demo."""

from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.demo import load_demo
from app.meetings import (
    MeetingFileError,
    import_delegations,
    load_meeting,
    meeting_groups,
)
from app.models import Card, CardVersion, Delegation, Meeting, Tag
from tests.conftest import MEETING_FILE


def test_puerto_vallarta_has_six_action_groups_and_the_follow_up_session(
    session: Session, meeting: Meeting
) -> None:
    groups = meeting_groups(session, meeting)
    assert [g.slug for g in groups] == [
        "global",
        "regional",
        "national",
        "local",
        "community",
        "human",
        "follow-up",
    ]
    assert groups[3].title["en"] == "Local/sub-national dimension"
    for group in groups[:6]:
        assert [q["key"] for q in group.questions] == [
            "priorities",
            "commitments",
            "means",
            "partnerships",
        ]
        assert [q["required"] for q in group.questions] == [False, True, False, False]
        assert all({"en", "fr", "es"} <= set(q["label"]) for q in group.questions)
    assert [q["key"] for q in groups[6].questions] == ["framework", "mechanisms", "participation"]
    assert meeting.languages == ["en", "fr", "es", "ar", "zh", "ru"]
    assert str(meeting.start_date) == "2017-12-04"


def test_member_states_and_observers_ship_with_the_product(
    session: Session, meeting: Meeting
) -> None:
    kinds = Counter(d.kind for d in session.exec(select(Delegation)))
    assert kinds == {"member_state": 193, "observer_state": 2}


def test_loading_the_file_again_updates_and_keeps_one_copy(
    session: Session, meeting: Meeting
) -> None:
    again = load_meeting(session, MEETING_FILE)
    assert again.id == meeting.id
    assert len(meeting_groups(session, again)) == 7
    assert len(list(session.exec(select(Delegation)))) == 195


def test_a_broken_meeting_file_says_what_is_wrong(session: Session, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('slug = "x"\nname = { en = "X" }\n', encoding="utf-8")
    with pytest.raises(MeetingFileError, match="missing 'venue'"):
        load_meeting(session, broken)
    broken.write_text("slug = ", encoding="utf-8")
    with pytest.raises(MeetingFileError, match="broken.toml"):
        load_meeting(session, broken)


def test_import_adds_and_updates_delegations(session: Session, meeting: Meeting) -> None:
    rows = [
        {"name": "International Organization for Migration", "kind": "un_entity", "iso2": ""},
        {"name": "Migrant Forum in Asia", "kind": "civil_society"},
    ]
    result = import_delegations(session, rows, {"un_entity", "civil_society"})
    assert (result.added, result.updated, result.errors) == (2, 0, [])
    result = import_delegations(
        session, [{"name": "Migrant Forum in Asia", "kind": "un_entity"}], {"un_entity"}
    )
    assert (result.added, result.updated) == (0, 1)


def test_an_import_with_a_bad_line_imports_nothing(session: Session, meeting: Meeting) -> None:
    rows = [
        {"name": "Good Org", "kind": "academia"},
        {"name": "", "kind": "academia"},
        {"name": "Odd Org", "kind": "pirates"},
    ]
    result = import_delegations(session, rows, {"academia"})
    assert result.errors == ["line 3: name and kind are required", "line 4: unknown kind 'pirates'"]
    assert session.exec(select(Delegation).where(Delegation.name == "Good Org")).first() is None


def test_the_demo_has_about_300_cards_across_groups_kinds_and_languages(
    session: Session, meeting: Meeting
) -> None:
    added = load_demo(session, meeting)
    assert 280 <= added <= 330
    assert load_demo(session, meeting) == 0  # loading twice adds nothing
    all_cards = list(session.exec(select(Card)))
    groups = {g.id: g.slug for g in meeting_groups(session, meeting)}
    per_group = Counter(groups[c.group_id] for c in all_cards)
    assert set(per_group) == set(groups.values()) and min(per_group.values()) >= 30
    assert set(Counter(c.language for c in all_cards)) == {"en", "es", "fr"}
    delegations = {d.id: d.kind for d in session.exec(select(Delegation))}
    assert len({delegations[c.delegation_id] for c in all_cards}) >= 10
    assert any(c.status == "withdrawn" for c in all_cards)
    # Cards were written on day 2 (day 3 for follow-up), in the meeting's time zone.
    assert {c.created_at.date().isoformat() for c in all_cards} <= {
        "2017-12-05",
        "2017-12-06",
        "2017-12-07",
    }
    assert len(list(session.exec(select(CardVersion)))) == len(all_cards) + sum(
        c.status == "withdrawn" for c in all_cards
    )


def test_each_theme_is_described_in_the_six_languages(session: Session, meeting: Meeting) -> None:
    themes = list(session.exec(select(Tag).where(Tag.meeting_id == meeting.id)))
    assert len(themes) == 6 and all(tag.group_id is None for tag in themes)
    for tag in themes:
        assert set(tag.description) == {"en", "fr", "es", "ar", "zh", "ru"}, tag.slug
        assert all(20 < len(text) < 400 for text in tag.description.values()), tag.slug
    rights = next(tag for tag in themes if tag.slug == "human-rights")
    assert rights.description["en"].startswith("The human rights of all migrants")


THEMELESS = """slug = "small"
venue = "Geneva"
start_date = 2018-01-10
end_date = 2018-01-10
name = { en = "A small meeting" }
[questions.commitments]
required = true
label = { en = "Commitments" }
[[groups]]
slug = "one"
number = 1
questions = ["commitments"]
title = { en = "One" }
[[themes]]
slug = "labour"
name = { en = "Labour" }
"""


def test_a_theme_without_a_description_loads_with_none(
    session: Session, meeting: Meeting, tmp_path: Path
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(THEMELESS, encoding="utf-8")
    small = load_meeting(session, path)
    [tag] = session.exec(select(Tag).where(Tag.meeting_id == small.id))
    assert (tag.slug, tag.name, tag.description) == ("labour", {"en": "Labour"}, {})
    # Described later, then no longer: loading again follows the file each time.
    path.write_text(THEMELESS + 'description = { en = "Decent work.", fr = " " }\n', "utf-8")
    load_meeting(session, path)
    session.refresh(tag)
    assert tag.description == {"en": "Decent work."}  # a blank text is no description
    path.write_text(THEMELESS, encoding="utf-8")
    load_meeting(session, path)
    session.refresh(tag)
    assert tag.description == {}


def test_a_description_that_is_not_a_text_per_language_says_so(
    session: Session, meeting: Meeting, tmp_path: Path
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(THEMELESS + 'description = "Decent work."\n', encoding="utf-8")
    with pytest.raises(MeetingFileError, match="'labour': the description must be a text per"):
        load_meeting(session, path)


def test_a_group_that_asks_no_question_is_refused(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "small.toml"
    path.write_text(THEMELESS.replace('questions = ["commitments"]', "questions = []"), "utf-8")
    with pytest.raises(MeetingFileError, match="the group 'one' asks no question"):
        load_meeting(session, path)
    assert session.exec(select(Meeting).where(Meeting.slug == "small")).first() is None
