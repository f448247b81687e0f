"""Double entry of paper cards: two clerks key each card blind, and a third person settles
where they differ; only a card that agrees, or is settled, reaches the rapporteurs."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import double_entry, paper
from app.audit import user_actor
from app.cards import read_card_input
from app.meetings import load_meeting
from app.models import AuditEvent, Card, CardSerial, Delegation, Group, Meeting, PaperKeying, User
from tests.conftest import browser_like, make_user, sign_in_as
from tests.helpers import cards, error_for, form_fields, soup

PRIORITY = "Regularizar a los trabajadores migrantes del sector agrícola."
COMMITMENT = "Alternativas a la detención de niños migrantes."


@pytest.fixture
def people(session: Session, meeting: Meeting) -> dict[str, User]:
    """Two clerks who key, and a secretariat who switches double entry on and settles."""
    meeting.paper_double_entry = True
    session.add(meeting)
    session.commit()
    return {
        "clara": make_user(session, "clara", "clerk"),
        "carl": make_user(session, "carl", "clerk"),
        "sam": make_user(session, "sam", "secretariat"),
    }


@pytest.fixture
def laptops(app: FastAPI, people: dict[str, User]) -> Iterator[dict[str, TestClient]]:
    """A laptop signed in for each person."""
    clients = {name: browser_like(app) for name in people}
    for name, client in clients.items():
        client.__enter__()
        sign_in_as(client, name)
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def issue(session: Session, meeting: Meeting, people: dict[str, User], count: int = 1) -> list[str]:
    national = session.exec(select(Group).where(Group.slug == "national")).one()
    actor = user_actor(people["sam"])
    return [s.serial for s in paper.issue_serials(session, meeting, national, count, actor)]


def key(laptop: TestClient, serial: str, **fields: str):  # type: ignore[no-untyped-def]
    """Type a serial, then the card, as a clerk at the desk does; return the answer."""
    opened = laptop.get("/desk", params={"serial": serial})
    assert opened.status_code == 200
    values = form_fields(opened, "form.desk-form") | fields
    return laptop.post("/desk/cards", data=values, follow_redirects=False)


def serial_row(session: Session, serial: str) -> CardSerial:
    session.expire_all()
    return session.exec(select(CardSerial).where(CardSerial.serial == serial)).one()


CARD = {
    "delegation_q": "Mexico",
    "language": "es",
    "answers.priorities": PRIORITY,
    "answers.commitments": COMMITMENT,
}


def test_two_clerks_who_agree_make_the_card_and_neither_saw_the_other(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    [serial] = issue(session, meeting, people)
    first = key(laptops["clara"], serial, **CARD)
    assert first.headers["location"].endswith(f"saved={serial}&outcome=once")
    saved = soup(laptops["clara"].get(first.headers["location"])).select_one("#saved")
    assert saved.get_text() == (
        f"{serial} saved as its first keying: another clerk keys the same card. Next card:"
    )
    assert cards(session) == []  # kept apart: the rapporteurs see nothing yet
    row = serial_row(session, serial)
    assert (row.status, row.keyed_by, row.card_id) == ("once", people["clara"].id, None)
    # The same clerk cannot be the second keying.
    again = laptops["clara"].get("/desk", params={"serial": serial})
    assert error_for(again, "serial") == (
        f"You keyed {serial} already: another clerk keys it a second time."
    )
    # The second clerk gets a blank card: nothing of the first keying shows.
    blank = laptops["carl"].get("/desk", params={"serial": serial})
    assert PRIORITY not in blank.text and COMMITMENT not in blank.text
    assert form_fields(blank, "form.desk-form")["answers.priorities"] == ""
    # Spaces and line breaks are no difference.
    second = key(laptops["carl"], serial, **CARD | {"answers.priorities": f" {PRIORITY}\n"})
    assert second.headers["location"].endswith("&outcome=agreed")
    following = laptops["carl"].get(second.headers["location"])
    assert "both keyings agree, the card is in" in soup(following).select_one("#saved").get_text()
    [card] = cards(session)
    assert card.answers["priorities"] == PRIORITY.strip()
    assert (card.source, card.paper_serial, card.keyed_by) == ("paper", serial, people["clara"].id)
    row = serial_row(session, serial)
    assert (row.status, row.card_id, row.differences, row.resolved_by) == (
        "keyed", card.id, 0, None,
    )  # fmt: skip
    assert [k.clerk_id for k in double_entry.keyings(session, row)] == [
        people["clara"].id, people["carl"].id,
    ]  # fmt: skip
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "card.create"))
    assert (event.actor_id, event.detail["differences"]) == (people["carl"].id, 0)
    # A third keying finds the card made.
    third = laptops["sam"].get("/desk", params={"serial": serial})
    assert error_for(third, "serial") == f"{serial} is already keyed: here is its card."


def differing(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> str:
    """Key a card twice with four differences: the delegation, a word changed, a word
    added, and an answer one clerk left empty."""
    [serial] = issue(session, meeting, people)
    key(laptops["clara"], serial, **CARD)
    changed = CARD | {
        "delegation_q": "Chile",
        "answers.priorities": PRIORITY.replace("agrícola", "agrario"),
        "answers.commitments": COMMITMENT.replace("de niños", "de los niños"),
        "answers.means": "Fondos",
    }
    second = key(laptops["carl"], serial, **changed)
    assert second.headers["location"].endswith("&outcome=differs")
    return serial


def test_keyings_that_differ_wait_for_a_third_person_and_reach_no_rapporteur(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    serial = differing(session, meeting, people, laptops)
    assert cards(session) == []
    row = serial_row(session, serial)
    assert (row.status, row.differences) == ("differs", 4)  # delegation, three answers
    desk = laptops["carl"].get("/desk", params={"serial": serial})
    assert error_for(desk, "serial") == (
        f"{serial} was keyed twice and the two differ: a third person settles them."
    )
    assert soup(desk).select_one(".desk-differs a")["href"] == f"/desk/differences/{serial}"
    assert (
        "1 card waits for its differences to be settled."
        in soup(desk).select_one(".desk-double").get_text()
    )
    listed = soup(laptops["clara"].get("/desk/differences"))
    [item] = listed.select("ul.differences li")
    assert serial in item.get_text() and "4 differences" in item.get_text()
    assert "you keyed it" in item.get_text()
    assert "you keyed it" not in soup(laptops["sam"].get("/desk/differences")).get_text()


def test_the_third_person_sees_both_keyings_side_by_side_with_the_differing_words_marked(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    serial = differing(session, meeting, people, laptops)
    page = soup(laptops["sam"].get(f"/desk/differences/{serial}"))
    legends = [f.legend.get_text() for f in page.select("fieldset.difference")]
    assert legends[0] == "Delegation on the card"
    assert [legend.split()[0] for legend in legends[1:]] == ["National", "Actionable", "Means"]
    delegation = page.select_one("#field-delegation")
    readings = [r.get_text(" ", strip=True) for r in delegation.select(".reading")]
    assert readings == ["First keying, by Clara Mexico", "Second keying, by Carl Chile"]
    priorities = page.select_one("#field-answers-priorities")
    assert [m.get_text() for m in priorities.select("mark")] == ["agrícola.", "agrario."]
    assert priorities.select_one("textarea[name='typed.answers.priorities']") is not None
    commitments = page.select_one("#field-answers-commitments")
    assert [m.get_text() for m in commitments.select("mark")] == ["los"]  # the second's
    means = page.select_one("#field-answers-means .reading .read").get_text()
    assert means == "(left empty)"
    assert delegation.select_one("textarea") is None  # a delegation is chosen, not typed
    agreed = page.select_one("dl.agreed").get_text(" ", strip=True)
    assert "Card written in Español" in agreed


def settle_form(**choices: str) -> dict[str, str]:
    return {f"choice.{name}": value for name, value in choices.items()}


def test_settling_needs_a_choice_per_difference_and_keeps_what_was_chosen(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    serial = differing(session, meeting, people, laptops)
    url = f"/desk/differences/{serial}"
    typed = "Regularizar a los trabajadores del sector agrícola"
    partial = settle_form(delegation="first") | {"typed.answers.priorities": typed}
    refused = laptops["sam"].post(url, data=partial)
    assert refused.status_code == 422
    page = soup(refused)
    for field in ("answers-priorities", "answers-commitments", "answers-means"):
        message = page.select_one(f"#field-{field} .error").get_text()
        assert message == "Choose the reading that matches the paper card."
    assert page.select_one("#field-delegation .error") is None
    assert page.select_one("input[name='choice.delegation'][value=first]").has_attr("checked")
    assert page.select_one("textarea[name='typed.answers.priorities']").get_text() == typed
    assert cards(session) == [] and serial_row(session, serial).status == "differs"
    # "As written on the card" left empty, for a required answer, is refused too.
    empty = settle_form(
        delegation="first", **{"answers.priorities": "second", "answers.commitments": "typed"},
        **{"answers.means": "second"},
    )  # fmt: skip
    refused = laptops["sam"].post(url, data=empty)
    assert refused.status_code == 422
    assert soup(refused).select_one("#field-answers-commitments .error").get_text() == (
        "This answer is required."
    )
    assert cards(session) == []


def test_a_settled_card_is_made_as_chosen_and_counted(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    serial = differing(session, meeting, people, laptops)
    typed = "Regularizar a los trabajadores del sector agrícola"
    choices = settle_form(
        delegation="first",
        **{
            "answers.priorities": "typed",
            "answers.commitments": "first",
            "answers.means": "second",
        },
    ) | {"typed.answers.priorities": typed}
    # Neither clerk who keyed it may settle it.
    refused = laptops["clara"].post(f"/desk/differences/{serial}", data=choices)
    assert refused.status_code == 403
    assert "You keyed this card: a third person settles its differences." in refused.text
    assert cards(session) == []
    settled = laptops["sam"].post(
        f"/desk/differences/{serial}", data=choices, follow_redirects=False
    )
    assert settled.headers["location"] == f"/desk/differences?settled={serial}"
    listed = soup(laptops["sam"].get(settled.headers["location"]))
    assert listed.select_one(".success").get_text() == f"{serial} settled: the card is in."
    [card] = cards(session)
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    assert card.delegation_id == mexico.id
    assert card.answers == {"priorities": typed, "commitments": COMMITMENT, "means": "Fondos"}
    assert (card.paper_serial, card.keyed_by) == (serial, people["clara"].id)
    row = serial_row(session, serial)
    assert (row.status, row.resolved_by, row.differences) == ("keyed", people["sam"].id, 4)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "card.create")).one()
    assert (event.actor_id, event.detail["resolved_by"]) == (people["sam"].id, people["sam"].id)
    # The paper page counts what double entry found; a stale link goes to the desk.
    figures = " ".join(
        soup(laptops["sam"].get("/paper")).select_one(".paper-double").get_text().split()
    )
    assert "1 card keyed twice: 0 agreed, 1 differed (4 fields in all)." in figures
    assert "1 settled by a third person" in figures and "0 wait to be settled" in figures
    stale = laptops["sam"].get(f"/desk/differences/{serial}")
    assert error_for(stale, "serial") == f"{serial} is already keyed: here is its card."


def test_a_second_first_keying_that_raced_the_first_is_compared_as_the_second(
    session: Session, meeting: Meeting, people: dict[str, User]
) -> None:
    [serial] = issue(session, meeting, people)
    row = serial_row(session, serial)
    stale = CardSerial(**row.model_dump())  # as the second clerk's desk found it: issued
    national = session.get(Group, row.group_id)
    assert national is not None
    card = read_card_input(
        meeting, [national], {"group": "national", "language": "en"}, {"commitments": "Same"}
    )
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    outcome = double_entry.key_once_more(session, meeting, row, mexico, card, people["clara"])
    assert outcome == "once"
    again = double_entry.key_once_more(session, meeting, stale, mexico, card, people["carl"])
    assert again == "agreed"
    assert len(cards(session)) == 1
    rounds = session.exec(select(PaperKeying.round).order_by(PaperKeying.round)).all()
    assert list(rounds) == [1, 2]


def test_a_card_keyed_once_is_keyed_twice_even_if_double_entry_is_switched_off(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    serials = issue(session, meeting, people, 2)
    key(laptops["clara"], serials[0], **CARD)
    switched = laptops["sam"].post("/paper/double-entry", data={"double_entry": "off"})
    assert "Double entry is off: one clerk keys each card." in switched.text
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "paper.double_entry"))
    assert event.one().detail == {"on": False}
    # The card keyed once still needs its second keying; a new card is keyed once.
    assert key(laptops["carl"], serials[0], **CARD).headers["location"].endswith("=agreed")
    single = key(laptops["carl"], serials[1], **CARD)
    assert single.headers["location"].endswith(f"saved={serials[1]}")
    assert len(cards(session)) == 2
    assert serial_row(session, serials[1]).differences is None


def test_a_serial_keyed_once_or_differing_may_be_voided_and_makes_no_card(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    [once] = issue(session, meeting, people)
    key(laptops["clara"], once, **CARD)
    differs = differing(session, meeting, people, laptops)
    for serial in (once, differs):
        voided = laptops["sam"].post("/paper/void", data={"serial": serial})
        assert f"{serial} is voided" in voided.text
        assert serial_row(session, serial).status == "voided"
    assert cards(session) == []
    assert (
        laptops["sam"].get(f"/desk/differences/{differs}", follow_redirects=False).status_code
        == 303
    )
    assert error_for(laptops["carl"].get("/desk", params={"serial": once}), "serial") == (
        f"{once} was voided: this card must not be keyed."
    )


def test_nothing_to_settle_under_a_serial_never_keyed_twice(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    [serial] = issue(session, meeting, people)
    for url in (f"/desk/differences/{serial}", "/desk/differences/G9-9999", "/desk/differences/x"):
        assert laptops["sam"].get(url).status_code == 404
        assert laptops["sam"].post(url, data={}).status_code == 404
    listed = soup(laptops["sam"].get("/desk/differences"))
    assert "No card waits" in listed.get_text()


def test_the_meeting_file_may_set_double_entry(
    session: Session, meeting: Meeting, tmp_path: Path
) -> None:
    source = Path(__file__).parent.parent / "meetings" / "puerto-vallarta-2017.toml"
    text = source.read_text(encoding="utf-8")
    meeting.paper_double_entry = True  # as the secretariat set it
    session.add(meeting)
    session.commit()
    assert load_meeting(session, source).paper_double_entry is True  # the file says nothing
    changed = tmp_path / "meeting.toml"
    changed.write_text(text.replace("[floor]\n", "[paper]\ndouble_entry = false\n\n[floor]\n", 1))
    assert load_meeting(session, changed).paper_double_entry is False


def test_only_the_secretariat_switches_double_entry(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    refused = laptops["clara"].post("/paper/double-entry", data={"double_entry": "off"})
    assert refused.status_code == 403
    session.expire_all()
    assert session.get(Meeting, meeting.id).paper_double_entry is True  # type: ignore[union-attr]
    on = soup(laptops["sam"].get("/paper"))
    assert on.select_one("#double-entry + p + form button").get_text() == (
        "Switch double entry off"
    )


def test_a_clerk_keys_a_card_once_when_the_meeting_does_not_ask_twice(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    meeting.paper_double_entry = False
    session.add(meeting)
    session.commit()
    [serial] = issue(session, meeting, people)
    assert key(laptops["clara"], serial, **CARD).status_code == 303
    [card] = cards(session)
    assert session.exec(select(PaperKeying)).all() == []
    assert isinstance(card, Card) and serial_row(session, serial).differences is None


def test_the_audit_log_tells_each_keying_and_who_settled(
    session: Session, meeting: Meeting, people: dict[str, User], laptops: dict[str, TestClient]
) -> None:
    [agreed] = issue(session, meeting, people)
    key(laptops["clara"], agreed, **CARD)
    key(laptops["carl"], agreed, **CARD)
    serial = differing(session, meeting, people, laptops)
    choices = settle_form(
        delegation="first",
        **{"answers.priorities": "first", "answers.commitments": "first", "answers.means": "first"},
    )
    laptops["sam"].post(f"/desk/differences/{serial}", data=choices)
    laptops["sam"].post("/paper/double-entry", data={"double_entry": "off"})
    log = soup(laptops["sam"].get("/audit"))
    sentences = " ".join(td.get_text(" ", strip=True) for td in log.select("td"))
    for said in (
        f"Clara (clara) keyed paper card {agreed} once: a second keying follows.",
        f"Carl (carl) keyed {agreed} a second time, as the first keying had it: card #1 of Mexico"
        " is in.",
        f"Carl (carl) keyed paper card {serial} a second time; fields that differ from the first"
        " keying: 4.",
        f"Sam (sam) settled the differences of {serial}: card #2 of Mexico is in.",
        "Sam (sam) switched double entry of paper cards off.",
    ):
        assert said in sentences
