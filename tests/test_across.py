"""Reading across groups: searching every card, one delegation's cards everywhere, and the
recommendations that recur in several groups."""

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.grouping import create_recommendation, set_aside
from app.models import Card, Delegation, Group, Meeting, User
from tests.conftest import HOSTILE, add_card, sign_in_as


def _found(page: str) -> list[str]:
    """The 'Group N, card #M' links of a result page, in order."""
    soup = BeautifulSoup(page, "html.parser")
    return [e.select_one("p.meta a").get_text(strip=True) for e in soup.select("#results li")]


def test_search_finds_cards_of_every_group_and_honours_each_filter(
    client: TestClient, session: Session, meeting: Meeting, human: list[Card], accounts: dict
) -> None:
    sign_in_as(client, "cora")
    add_card(session, meeting, "national", "Kenya", "en", {"commitments": "Detention of children"})
    everything = _found(client.get("/search").text)
    assert len(everything) == 7
    assert "Group 1, card #1" in everything and "Group 3, card #1" in everything
    # Words, in any group, whatever their case and accents.
    assert _found(client.get("/search?q=DETENTION").text) == [
        "Group 6, card #2",
        "Group 6, card #5",
        "Group 3, card #1",
    ]
    assert _found(client.get("/search?group=human&q=detention").text) == [
        "Group 6, card #2",
        "Group 6, card #5",
    ]
    assert _found(client.get("/search?q=detencion").text) == ["Group 6, card #1"]
    assert _found(client.get("/search?language=fr").text) == [
        "Group 6, card #2",
        "Group 1, card #1",
    ]
    kenya = session.exec(select(Delegation).where(Delegation.name == "Kenya")).one()
    assert _found(client.get(f"/search?delegation={kenya.id}").text) == [
        "Group 6, card #5",
        "Group 3, card #1",
    ]
    assert _found(client.get("/search?kind=observer_state").text) == []
    human[0].status = "withdrawn"
    session.add(human[0])
    session.commit()
    assert "Group 6, card #1" not in _found(client.get("/search").text)
    assert _found(client.get("/search?status=withdrawn").text) == ["Group 6, card #1"]
    assert len(_found(client.get("/search?status=all").text)) == 7


def test_search_offers_exports_of_exactly_what_it_shows(
    client: TestClient, human: list[Card], accounts: dict
) -> None:
    sign_in_as(client, "cora")
    soup = BeautifulSoup(client.get("/search?q=child&group=human&page=1").text, "html.parser")
    links = [a["href"] for a in soup.select("#results .actions a")]
    assert links == [
        "/exports/cards.csv?q=child&group=human",
        "/exports/cards.xlsx?q=child&group=human",
        "/exports/cards.json?q=child&group=human",
    ]


def test_search_for_htmx_returns_the_results_only_and_survives_nonsense(
    client: TestClient, human: list[Card], accounts: dict
) -> None:
    sign_in_as(client, "sam")
    response = client.get("/search?q=%25_&status=nope&page=-3", headers={"HX-Request": "true"})
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("h1") is None and soup.select_one("#results-count").text == "0 cards"
    assert client.get("/search?page=99999999999999999999").status_code == 200


@pytest.mark.parametrize("value", ["²", "٣", "1" * 5000, "99999999999999999999"])
def test_numbers_python_cannot_read_as_ids_or_pages_are_ignored(
    client: TestClient, human: list[Card], accounts: dict, value: str
) -> None:
    """ "²" is a digit to str.isdigit, not to int(); nor does int() read 5,000 digits."""
    sign_in_as(client, "sam")
    for path in ("/search?page=", "/search?delegation=", "/groups/human/review?page=",
                 "/exports/cards.csv?delegation=", "/audit?page="):  # fmt: skip
        assert client.get(path + value).status_code == 200, path


def test_search_shows_where_each_card_went_and_escapes_hostile_text(
    client: TestClient, session: Session, meeting: Meeting, human: list[Card], accounts: dict
) -> None:
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    create_recommendation(session, group, "first", [])
    create_recommendation(session, group, "second", [human[0].id])
    set_aside(session, human[3], "off_topic", None, None)
    session.commit()
    add_card(session, meeting, "human", "France", "ar", {"commitments": HOSTILE})
    sign_in_as(client, "cora")
    page = client.get("/search?group=human").text
    assert "<script>alert(1)</script>" not in page
    soup = BeautifulSoup(page, "html.parser")
    entries = {e.select_one("p.meta a").get_text(strip=True): e for e in soup.select("#results li")}
    assert "R2" in entries["Group 6, card #1"].select_one(".badge").get_text()
    assert "Set aside" in entries["Group 6, card #4"].get_text()
    hostile = entries["Group 6, card #6"].select_one("p.answer")
    assert hostile.get_text() == HOSTILE and hostile["dir"] == "rtl"


def test_a_delegation_page_lists_its_cards_group_by_group(
    client: TestClient, session: Session, meeting: Meeting, human: list[Card], accounts: dict
) -> None:
    add_card(session, meeting, "global", "Mexico", "es", {"commitments": "Cooperación"})
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    sign_in_as(client, "cora")
    soup = BeautifulSoup(client.get(f"/delegations/{mexico.id}").text, "html.parser")
    assert soup.h1.get_text() == "Mexico"
    assert [h.get_text() for h in soup.select("section h2")] == [
        "1. Global dimension",
        "6. Human dimension",
    ]
    assert "3 cards" in soup.select_one(".lead").get_text()
    listing = BeautifulSoup(client.get("/delegations").text, "html.parser")
    rows = {
        r.th.get_text(strip=True): [td.get_text() for td in r.select("td")]
        for r in listing.select("tbody tr")
    }
    assert rows["Mexico"] == ["Member State", "3", "2"]
    assert rows["France"] == ["Member State", "1", "1"]
    assert client.get("/delegations/999999").status_code == 404


def test_only_co_facilitators_and_the_secretariat_read_across_groups(
    client: TestClient, human: list[Card], accounts: dict[str, User]
) -> None:
    sign_in_as(client, "ravi")
    for path in ("/overview", "/search", "/delegations", "/recurring"):
        assert client.get(path).status_code == 403, path
