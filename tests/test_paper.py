"""Paper cards: the secretariat issues serials and prints blank cards, a clerk keys them in,
and every paper card counts, is traced and is exported like a card from a phone."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import paper
from app.audit import user_actor
from app.cards import read_card_input
from app.cli import main
from app.figures import meeting_figures
from app.i18n import set_language
from app.meetings import meeting_groups
from app.models import AuditEvent, Card, CardSerial, Delegation, Group, Meeting, User
from tests.conftest import PASSWORD, browser_like, code_for, make_user, sign_in_as
from tests.helpers import cards, error_for, form_fields, soup


@pytest.fixture
def clerk(session: Session, meeting: Meeting) -> User:
    return make_user(session, "clara", "clerk")


@pytest.fixture
def secretariat(session: Session, meeting: Meeting) -> User:
    return make_user(session, "sam", "secretariat")


def group(session: Session, slug: str) -> Group:
    return session.exec(select(Group).where(Group.slug == slug)).one()


def delegation(session: Session, name: str) -> Delegation:
    return session.exec(select(Delegation).where(Delegation.name == name)).one()


def issue(session: Session, meeting: Meeting, slug: str, count: int, by: User) -> list[str]:
    found = paper.issue_serials(session, meeting, group(session, slug), count, user_actor(by))
    return [s.serial for s in found]


@pytest.fixture
def desk(client: TestClient, clerk: User) -> TestClient:
    """A laptop signed in as a clerk."""
    return sign_in_as(client, "clara")


def serial_row(session: Session, serial: str) -> CardSerial:
    session.expire_all()
    return session.exec(select(CardSerial).where(CardSerial.serial == serial)).one()


def key(desk: TestClient, serial: str, **fields: str) -> object:
    """Type a serial, then the card, as a clerk at the desk does."""
    opened = desk.get("/desk", params={"serial": serial})
    assert opened.status_code == 200
    values = form_fields(opened, "form.desk-form") | fields
    return desk.post("/desk/cards", data=values, follow_redirects=False)


COMMITMENT = {"answers.commitments": "Alternativas a la detención de niños migrantes."}


# --- Serials ---------------------------------------------------------------------------------


def test_serials_are_issued_in_order_per_group_and_unique_per_meeting(
    session: Session, meeting: Meeting, secretariat: User
) -> None:
    assert issue(session, meeting, "national", 3, secretariat) == ["G3-0001", "G3-0002", "G3-0003"]
    assert issue(session, meeting, "global", 2, secretariat) == ["G1-0001", "G1-0002"]
    assert issue(session, meeting, "national", 2, secretariat) == ["G3-0004", "G3-0005"]
    rows = list(session.exec(select(CardSerial)))
    assert len({r.serial for r in rows}) == len(rows) == 7
    assert {r.status for r in rows} == {"issued"}
    assert sorted({r.batch for r in rows}) == [1, 2, 3]


@pytest.mark.parametrize(
    ("typed", "serial"),
    [
        ("G3-0147", "G3-0147"),
        ("g3-0147 ", "G3-0147"),
        ("G3 0147", "G3-0147"),
        ("G30147", "G3-0147"),
        ("3-0147", "G3-0147"),
        ("puerto-vallarta-2017 G3-0147", "G3-0147"),  # as the QR code says, from a scanner
    ],
)
def test_a_serial_is_read_as_people_type_it(meeting: Meeting, typed: str, serial: str) -> None:
    assert paper.canonical_serial(typed, meeting) == serial


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("hello", "Type the serial printed on the card"),
        ("", "Type the serial printed on the card"),
        ("G3-147", "Type the serial printed on the card"),
        ("new-york-2018 G3-0147", "printed for another meeting"),
    ],
)
def test_what_is_no_serial_of_this_meeting_is_refused(
    meeting: Meeting, typed: str, message: str
) -> None:
    with pytest.raises(paper.SerialRefused, match=message):
        paper.canonical_serial(typed, meeting)


# --- Finding the delegation --------------------------------------------------------------


@pytest.fixture
def entries(session: Session, meeting: Meeting) -> list[paper.Entry]:
    code_for(session, meeting, "Mexico")
    return paper.lookup_entries(session, meeting)


@pytest.mark.parametrize(
    "typed",
    ["Mexico", "mexique", "México", "Мексика", "墨西哥", "المكسيك", "MX", "mx", "Mexiko"],
)
def test_a_delegation_is_found_by_any_of_its_names_or_its_iso_code(
    entries: list[paper.Entry], typed: str
) -> None:
    if typed == "Mexiko":  # German is no interface language: found by nothing
        assert paper.best_delegation(entries, typed)[0] is None
        return
    best, _found = paper.best_delegation(entries, typed)
    assert best is not None and best.name == "Mexico"


def test_a_delegation_is_found_by_its_access_code(
    session: Session, meeting: Meeting, entries: list[paper.Entry]
) -> None:
    code = code_for(session, meeting, "Mexico")
    best, _found = paper.best_delegation(entries, f"{code[:4]}-{code[4:]}".lower())
    assert best is not None and best.name == "Mexico"


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Czech Republic", "Czechia"),
        ("Macedonia", "North Macedonia"),
        ("UK", "United Kingdom of Great Britain and Northern Ireland"),
        ("Bolivia", "Bolivia (Plurinational State of)"),
    ],
)
def test_a_delegation_is_found_by_a_short_or_former_name(
    entries: list[paper.Entry], typed: str, name: str
) -> None:
    best, _found = paper.best_delegation(entries, typed)
    assert best is not None and best.name == name


def test_matches_are_ranked_exact_then_starts_with_then_contains(
    entries: list[paper.Entry],
) -> None:
    found = [d.name for d in paper.rank_delegations(entries, "niger")]
    assert found[0] == "Niger"  # exact
    assert found[1] == "Nigeria"  # starts with it
    # "Guinea" itself first, then the names starting with it in some language (Spanish:
    # "Guinea Ecuatorial"), then those with it inside in every language.
    found = [d.name for d in paper.rank_delegations(entries, "guinea")]
    assert found == ["Guinea", "Equatorial Guinea", "Guinea-Bissau", "Papua New Guinea"]


def test_an_unclear_name_picks_no_delegation_but_lists_the_matches(
    entries: list[paper.Entry],
) -> None:
    best, found = paper.best_delegation(entries, "guin")
    assert best is None
    assert {"Guinea", "Guinea-Bissau", "Equatorial Guinea"} <= {d.name for d in found}
    assert paper.best_delegation(entries, "zzzz") == (None, [])


# --- The desk ----------------------------------------------------------------------------


def test_a_clerk_keys_a_card_as_the_delegation_own_marked_from_paper(
    session: Session, meeting: Meeting, desk: TestClient, clerk: User, secretariat: User
) -> None:
    [serial] = issue(session, meeting, "national", 1, secretariat)
    opened = desk.get("/desk", params={"serial": serial.lower()})
    page = soup(opened)
    assert "3. National dimension" in page.select_one(".desk-card").get_text()
    assert page.select_one("#delegation_q").has_attr("autofocus")
    # The group follows from the serial: its questions, nothing to choose.
    assert [t["name"] for t in page.select("form.desk-form textarea")] == [
        "answers.priorities", "answers.commitments", "answers.means", "answers.partnerships",
    ]  # fmt: skip
    response = key(desk, serial, delegation_q="Mexique", language="es", **COMMITMENT)
    assert response.status_code == 303
    assert response.headers["location"] == f"/desk?desk=&language=es&saved={serial}"
    [card] = cards(session)
    assert card.delegation_id == delegation(session, "Mexico").id
    assert (card.source, card.paper_serial, card.keyed_by) == ("paper", serial, clerk.id)
    assert card.group_id == group(session, "national").id
    assert card.answers == {"commitments": COMMITMENT["answers.commitments"]}
    row = serial_row(session, serial)
    assert (row.status, row.card_id, row.keyed_by) == ("keyed", card.id, clerk.id)
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "card.create"))
    assert (event.actor_kind, event.actor_id) == ("user", clerk.id)
    assert event.detail == {"source": "paper", "serial": serial, "delegation": "Mexico"}
    # The next card starts with its serial again, in the language just used.
    following = desk.get(response.headers["location"])
    assert f"{serial} saved" in soup(following).select_one("#saved").get_text()
    assert soup(following).select_one("#serial").has_attr("autofocus")
    assert form_fields(following, "form.desk-serial")["language"] == "es"


def test_the_delegation_sees_edits_and_withdraws_its_paper_card(
    session: Session, meeting: Meeting, app: FastAPI, desk: TestClient, secretariat: User
) -> None:
    [serial] = issue(session, meeting, "national", 1, secretariat)
    assert key(desk, serial, delegation_q="MX", **COMMITMENT).status_code == 303
    [card] = cards(session)
    with browser_like(app) as phone:
        phone.post("/join", data={"code": code_for(session, meeting, "Mexico")})
        listed = phone.get("/cards")
        assert f"Paper card {serial}" in listed.text
        edit = phone.get(f"/cards/{card.id}/edit")
        values = form_fields(edit) | {"answers.commitments": "Corrected by the delegation."}
        assert phone.post(f"/cards/{card.id}/edit", data=values).status_code == 200
        assert phone.post(f"/cards/{card.id}/withdraw").status_code == 200
    [card] = cards(session)
    assert (card.version, card.status, card.paper_serial) == (3, "withdrawn", serial)
    assert card.answers["commitments"] == "Corrected by the delegation."


def test_a_serial_keyed_twice_shows_the_card_already_keyed_and_stores_no_second(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User
) -> None:
    [serial] = issue(session, meeting, "national", 1, secretariat)
    opened = desk.get("/desk", params={"serial": serial})
    values = form_fields(opened, "form.desk-form") | {"delegation_q": "Chile", **COMMITMENT}
    assert desk.post("/desk/cards", data=values, follow_redirects=False).status_code == 303
    again = desk.get("/desk", params={"serial": serial})
    assert error_for(again, "serial") == f"{serial} is already keyed: here is its card."
    assert form_fields(again, "form.desk-serial")["serial"] == serial
    keyed = soup(again).select_one(".keyed")
    assert "Chile" in keyed.get_text() and COMMITMENT["answers.commitments"] in keyed.get_text()
    assert "keyed by Clara" in keyed.get_text()
    # The form opened before the first save, sent again (a second clerk, a double Enter).
    values["answers.commitments"] = "Something else"
    twice = desk.post("/desk/cards", data=values)
    assert twice.status_code == 422
    assert error_for(twice, "serial") == f"{serial} is already keyed: here is its card."
    assert len(cards(session)) == 1


def test_a_second_clerk_racing_the_first_is_refused_by_the_serial(
    session: Session, meeting: Meeting, clerk: User, secretariat: User
) -> None:
    """Both found the serial issued; the second save finds it keyed: never two cards."""
    [serial] = issue(session, meeting, "national", 1, secretariat)
    row = serial_row(session, serial)
    mexico, chile = delegation(session, "Mexico"), delegation(session, "Chile")
    groups = [group(session, "national")]
    card = read_card_input(
        meeting, groups, {"group": "national", "language": "en"}, {"commitments": "First"}
    )
    stale = CardSerial(**row.model_dump())  # as the second clerk's desk found it
    paper.key_card(session, meeting, row, mexico, card, clerk)
    with pytest.raises(paper.SerialRefused, match="already keyed") as refused:
        paper.key_card(session, meeting, stale, chile, card, secretariat)
    assert refused.value.keyed is not None and refused.value.keyed.delegation_id == mexico.id
    assert [c.delegation_id for c in cards(session)] == [mexico.id]


@pytest.mark.parametrize(
    ("typed", "desk_group", "message"),
    [
        ("G3-0099", "", "G3-0099 was never issued: check the serial on the card."),
        ("G5-0001", "", "G5-0001 was never issued: check the serial on the card."),
        ("G3-0001", "global", "G3-0001 is a card of group 3: this desk keys group 1."),
        ("other-meeting G3-0001", "", "This card was printed for another meeting"),
        ("G3-0002", "", "G3-0002 was voided: this card must not be keyed."),
        ("0147", "", "Type the serial printed on the card, for example G3-0147."),
    ],
)
def test_unknown_voided_and_other_group_serials_are_refused_next_to_the_field(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User,
    typed: str, desk_group: str, message: str,
) -> None:  # fmt: skip
    issue(session, meeting, "national", 2, secretariat)
    paper.void_serial(session, meeting, "G3-0002", user_actor(secretariat))
    opened = desk.get("/desk", params={"serial": typed, "desk": desk_group})
    assert error_for(opened, "serial").startswith(message)
    assert form_fields(opened, "form.desk-serial")["serial"] == typed  # kept as typed
    assert soup(opened).select_one("form.desk-form") is None
    # Posted anyway (a form opened elsewhere): refused the same way, nothing stored.
    posted = desk.post(
        "/desk/cards",
        data={"serial": typed, "desk": desk_group, "delegation_q": "Chile", **COMMITMENT},
    )
    assert posted.status_code == 422
    assert error_for(posted, "serial").startswith(message)
    assert cards(session) == []


def test_a_card_with_mistakes_keeps_what_was_typed_and_stores_nothing(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User
) -> None:
    [serial] = issue(session, meeting, "national", 1, secretariat)
    response = key(
        desk, serial, delegation_q="guin", **{"answers.means": "Fondos", "author_name": "Ana"}
    )
    assert response.status_code == 422
    assert error_for(response, "delegation_q") == (
        "Several delegations match: choose one in the list."
    )
    assert error_for(response, "answer-commitments") == "This answer is required."
    kept = form_fields(response, "form.desk-form")
    assert (kept["delegation_q"], kept["answers.means"], kept["author_name"]) == (
        "guin", "Fondos", "Ana",
    )  # fmt: skip
    # The list offers only the matches now; picking one from it is enough.
    options = [o.get_text() for o in soup(response).select("#delegation option")]
    assert "Guinea (GN)" in options and len(options) < 10
    assert cards(session) == [] and serial_row(session, serial).status == "issued"
    guinea = delegation(session, "Guinea")
    fixed = kept | {"delegation": str(guinea.id), **COMMITMENT}
    assert desk.post("/desk/cards", data=fixed, follow_redirects=False).status_code == 303
    assert [c.delegation_id for c in cards(session)] == [guinea.id]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type the delegation written on the card."),
        ("qqqq", "No delegation matches what was typed: check the name on the card."),
    ],
)
def test_a_missing_or_unknown_delegation_is_refused(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User, typed: str,
    message: str,
) -> None:  # fmt: skip
    [serial] = issue(session, meeting, "national", 1, secretariat)
    response = key(desk, serial, delegation_q=typed, **COMMITMENT)
    assert response.status_code == 422
    assert error_for(response, "delegation_q") == message
    assert cards(session) == []


def test_a_delegation_picked_from_the_list_needs_no_typing(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User
) -> None:
    [serial] = issue(session, meeting, "national", 1, secretariat)
    chile = delegation(session, "Chile")
    response = key(desk, serial, delegation=str(chile.id), **COMMITMENT)
    assert response.status_code == 303
    assert [c.delegation_id for c in cards(session)] == [chile.id]


def test_the_list_narrows_as_the_clerk_types_best_first(
    desk: TestClient, session: Session, meeting: Meeting
) -> None:
    listed = desk.get("/desk/delegations", params={"delegation_q": "niger"})
    options = soup(listed).select("option")
    assert [o.get_text() for o in options][:2] == ["Niger (NE)", "Nigeria (NG)"]
    assert options[0].has_attr("selected")
    every = desk.get("/desk/delegations", params={"delegation_q": ""})
    assert len(soup(every).select("option")) == len(list(session.exec(select(Delegation)))) + 1


def test_a_pre_printed_delegation_is_chosen_already(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User
) -> None:
    chile = delegation(session, "Chile")
    national = group(session, "national")
    [row] = paper.issue_serials(session, meeting, national, 1, user_actor(secretariat), chile)
    opened = desk.get("/desk", params={"serial": row.serial})
    assert form_fields(opened, "form.desk-form")["delegation"] == str(chile.id)
    assert soup(opened).select_one("#language").has_attr("autofocus")
    assert key(desk, row.serial, **COMMITMENT).status_code == 303
    assert [c.delegation_id for c in cards(session)] == [chile.id]


def test_a_closed_group_takes_no_paper_card_either(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User
) -> None:
    [serial] = issue(session, meeting, "national", 1, secretariat)
    national = group(session, "national")
    national.intake_open = False
    session.add(national)
    session.commit()
    closed = "This group no longer takes cards: its intake is closed."
    assert error_for(desk.get("/desk", params={"serial": serial}), "serial") == closed
    response = desk.post("/desk/cards", data={"serial": serial, "delegation_q": "Chile"})
    assert response.status_code == 422
    assert error_for(response, "serial") == closed
    assert cards(session) == []


# --- The secretariat ---------------------------------------------------------------------


@pytest.fixture
def office(client: TestClient, secretariat: User) -> TestClient:
    return sign_in_as(client, "sam")


def test_the_secretariat_issues_serials_and_opens_their_sheet(
    session: Session, office: TestClient
) -> None:
    chile = delegation(session, "Chile")
    response = office.post(
        "/paper/batches",
        data={"group": "local", "count": "6", "delegation": str(chile.id)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/paper/batches/1"
    sheet = soup(office.get("/paper/batches/1"))
    assert len(sheet.select(".sheet")) == 2
    assert [len(s.select(".card")) for s in sheet.select(".sheet")] == [4, 2]
    assert [c["data-serial"] for c in sheet.select(".card")] == [f"G4-000{n}" for n in range(1, 7)]
    first = sheet.select_one(".card")
    assert first.select_one(".serial").get_text() == "G4-0001"
    assert first.select_one("svg.qr")["aria-label"] == "puerto-vallarta-2017 G4-0001"
    assert first.select_one(".box").get_text() == "Chile"
    assert "One recommendation per card" in first.get_text()
    assert "Group 4 · Local/sub-national dimension" in first.select_one(".band").get_text()
    assert len(first.select(".q")) == 4 and "Written by" in first.get_text()
    page = soup(office.get("/paper"))
    row = page.select_one("tr[data-group=local]")
    assert [td.get_text(" ", strip=True).split(" ")[0] for td in row.select("td")] == [
        "6", "0", "0", "6",
    ]  # fmt: skip
    assert "G4-0001–G4-0006" in page.select_one(".paper-batches").get_text()
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "paper.issue"))
    assert event.detail == {"first": "G4-0001", "last": "G4-0006", "count": 6}


def test_cards_print_in_the_interface_language(
    session: Session, meeting: Meeting, office: TestClient, secretariat: User
) -> None:
    issue(session, meeting, "global", 1, secretariat)
    office.cookies.set("lang", "ar")
    sheet = soup(office.get("/paper/batches/1"))
    assert (sheet.html["lang"], sheet.html["dir"]) == ("ar", "rtl")
    assert "البُعد العالمي" in sheet.select_one(".band").get_text()
    assert sheet.select_one(".serial")["dir"] == "ltr"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"group": "local", "count": "0"}, "count", "Give a number of cards from 1 to 1000."),
        ({"group": "local", "count": "lots"}, "count", "Give a number of cards from 1 to 1000."),
        ({"group": "nowhere", "count": "4"}, "group", "Choose the group the cards are for."),
        (
            {"group": "local", "count": "4", "delegation": "99999"},
            "delegation",
            "Choose a delegation from the list, or none.",
        ),
    ],
)
def test_a_wrong_batch_is_refused_and_issues_nothing(
    session: Session, office: TestClient, data: dict[str, str], field: str, message: str
) -> None:
    response = office.post("/paper/batches", data=data)
    assert response.status_code == 422
    assert error_for(response, field) == message
    assert form_fields(response, "form.paper-issue")["count"] == data["count"]
    assert list(session.exec(select(CardSerial))) == []


def test_a_serial_is_voided_and_a_keyed_one_cannot_be(
    session: Session, meeting: Meeting, office: TestClient, secretariat: User, clerk: User
) -> None:
    issue(session, meeting, "local", 2, secretariat)
    response = office.post("/paper/void", data={"serial": "g4-0001"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/paper?voided=G4-0001"
    assert serial_row(session, "G4-0001").status == "voided"
    row = serial_row(session, "G4-0002")
    card = read_card_input(
        meeting, [group(session, "local")], {"group": "local", "language": "en"},
        {"commitments": "x"},
    )  # fmt: skip
    paper.key_card(session, meeting, row, delegation(session, "Chile"), card, clerk)
    refused = office.post("/paper/void", data={"serial": "G4-0002"})
    assert refused.status_code == 422
    assert error_for(refused, "void") == "G4-0002 is already keyed: withdraw its card instead."
    assert form_fields(refused, "form.inline-form")["serial"] == "G4-0002"
    unknown = office.post("/paper/void", data={"serial": "G4-0900"})
    assert error_for(unknown, "void") == "G4-0900 was never issued: check the serial on the card."


def test_figures_count_per_clerk_per_hour_and_what_is_not_keyed_per_group(
    session: Session, meeting: Meeting, office: TestClient, secretariat: User, clerk: User
) -> None:
    issue(session, meeting, "local", 3, secretariat)
    issue(session, meeting, "human", 2, secretariat)
    local = [group(session, "local")]
    for serial, who in (("G4-0001", clerk), ("G4-0002", clerk), ("G6-0001", secretariat)):
        slug = "local" if serial.startswith("G4") else "human"
        groups = local if slug == "local" else [group(session, "human")]
        card = read_card_input(
            meeting, groups, {"group": slug, "language": "en"}, {"commitments": serial}
        )
        paper.key_card(session, meeting, serial_row(session, serial), delegation(session, "Chile"),
                       card, who)  # fmt: skip
    figures = paper.paper_figures(session, meeting, meeting_groups(session, meeting))
    stacks = {s.group.slug: s for s in figures.groups}
    assert (stacks["local"].issued, stacks["local"].keyed, stacks["local"].waiting) == (
        3, 2, ["G4-0003"],
    )  # fmt: skip
    assert stacks["human"].waiting == ["G6-0002"] and stacks["global"].issued == 0
    assert figures.clerks == [("Clara", 2), ("Sam", 1)]
    [(_hour, counts)] = figures.hours
    assert counts == {"Clara": 2, "Sam": 1}
    page = soup(office.get("/paper"))
    assert [li.get_text() for li in page.select(".paper-clerks li")] == [
        "Clara: 2 cards", "Sam: 1 card",
    ]  # fmt: skip
    assert "G4-0003" in page.select_one("tr[data-group=local] .waiting").get_text()


# --- Everywhere a card is shown ------------------------------------------------------------


@pytest.fixture
def keyed(session: Session, meeting: Meeting, desk: TestClient, secretariat: User) -> Card:
    [serial] = issue(session, meeting, "human", 1, secretariat)
    assert key(desk, serial, delegation_q="Chile", **COMMITMENT).status_code == 303
    [card] = cards(session)
    desk.post("/signout")
    return card


def test_workspace_search_exports_and_audit_show_the_paper_card(
    session: Session, meeting: Meeting, client: TestClient, keyed: Card
) -> None:
    office = sign_in_as(client, "sam")
    workspace = soup(office.get("/groups/human"))
    assert workspace.select_one(f"#card-{keyed.id} .badge.paper").get_text() == (
        "Paper card G6-0001"
    )
    found = soup(office.get("/search", params={"q": "g6-0001"}))
    assert [e["id"] for e in found.select("li.review-card")] == [f"card-{keyed.id}"]
    exported = office.get("/exports/cards.csv", params={"status": "all"})
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    [row] = [r for r in rows if r["Card ID"] == keyed.id]
    assert (row["Source"], row["Paper serial"], row["Keyed by"]) == ("Paper", "G6-0001", "Clara")
    overview = soup(office.get("/overview"))
    assert overview.select_one(".paper-count").get_text() == "1 card keyed in from paper."
    figures = meeting_figures(session, meeting)
    assert figures.meeting.paper == 1
    assert {g.slug: f.paper for g, f in figures.groups}["human"] == 1
    log = soup(office.get("/audit"))
    sentences = [td.get_text(" ", strip=True) for td in log.select("td")]
    assert any(
        "Clara (clara) keyed in card #1 of Chile from paper: G6-0001." in s for s in sentences
    )
    assert any("Sam (sam) issued 1 paper cards, G6-0001 to G6-0001." in s for s in sentences)


# --- The command line ----------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from app.db import get_engine
    from app.settings import get_settings
    from tests.conftest import MEETING_FILE

    monkeypatch.setenv("ACTIONCARDS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    assert main(["migrate"]) == 0
    assert main(["load-meeting", str(MEETING_FILE)]) == 0
    yield tmp_path
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()
    set_language("en")


def test_print_cards_issues_serials_and_writes_the_sheet(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    sheet = cli / "cards.html"
    assert main(["print-cards", str(sheet), "--group", "human", "--count", "5"]) == 0
    assert "batch 1, G6-0001 to G6-0005" in capsys.readouterr().out
    page = BeautifulSoup(sheet.read_text(encoding="utf-8"), "html.parser")
    assert [c["data-serial"] for c in page.select(".card")] == [f"G6-000{n}" for n in range(1, 6)]
    assert main(["print-cards", str(sheet), "--group", "human", "--count", "2"]) == 0
    assert "batch 2, G6-0006 to G6-0007" in capsys.readouterr().out
    # A batch printed again, in French: the same serials, none new.
    assert main(["--language", "fr", "print-cards", str(sheet), "--batch", "1"]) == 0
    page = BeautifulSoup(sheet.read_text(encoding="utf-8"), "html.parser")
    assert page.html["lang"] == "fr" and len(page.select(".card")) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "nowhere"], "error: no group 'nowhere'"),
        (["--group", "human", "--count", "0"], "error: --count from 1 to 1000"),
        (["--group", "human", "--delegation", "Atlantis"], "error: no delegation 'Atlantis'"),
        (["--batch", "9"], "error: no batch 9"),
    ],
)
def test_print_cards_refuses_what_it_cannot_print(
    cli: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    capsys.readouterr()
    assert main(["print-cards", str(cli / "cards.html"), *args]) == 1
    assert message in capsys.readouterr().err
    assert not (cli / "cards.html").exists()


# --- Who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/desk", 200),
        ("GET", "/desk/delegations?delegation_q=chile", 200),
        ("POST", "/desk/cards", 422),
        ("GET", "/paper", 403),
        ("POST", "/paper/batches", 403),
        ("GET", "/paper/batches/1", 403),
        ("POST", "/paper/void", 403),
        ("GET", "/groups/human", 403),
        ("GET", "/overview", 403),
        ("GET", "/search", 403),
        ("GET", "/accounts", 403),
        ("GET", "/exports/cards.csv", 403),
        ("GET", "/cards/new", 303),  # a clerk writes no card as a delegation
    ],
)
def test_a_clerk_keys_cards_and_reads_nothing_else(
    session: Session, meeting: Meeting, desk: TestClient, secretariat: User,
    method: str, path: str, status: int,
) -> None:  # fmt: skip
    issue(session, meeting, "human", 1, secretariat)
    response = desk.request(method, path, data={"serial": "nope"}, follow_redirects=False)
    assert response.status_code == status


def test_a_clerk_signs_in_to_the_desk_and_is_an_account_the_secretariat_makes(
    session: Session, meeting: Meeting, client: TestClient, clerk: User, office: TestClient
) -> None:
    created = office.post(
        "/accounts",
        data={"username": "kim", "display_name": "Kim", "role": "clerk",
              "password": "a long enough password"},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303
    assert session.exec(select(User).where(User.username == "kim")).one().role == "clerk"
    office.post("/signout")
    signed_in = {"username": "clara", "password": PASSWORD}
    response = client.post("/signin", data=signed_in, follow_redirects=False)
    assert response.headers["location"] == "/desk"
    # The clerk's bar leads to the desk, not to groups a clerk has none of.
    links = [a.get_text() for a in soup(client.get("/desk")).select(".staff-nav a")]
    assert links == ["Paper desk"]
