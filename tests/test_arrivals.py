"""The rapporteur's live view shows every new card exactly once, however fast cards come."""

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.cards import insert_rows, new_card, read_card_input
from app.meetings import meeting_groups
from app.models import Card, Delegation, Meeting, utcnow
from tests.conftest import add_card
from tests.helpers import soup

HX = {"HX-Request": "true"}


def poller(page) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The URL the open workspace polls next, and when."""
    node = soup(page).select_one("#poller")
    return node["hx-get"], node["hx-trigger"]


def arrived(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The ids of the cards an answer to the poll adds to the list."""
    added = soup(page).select_one("[hx-swap-oob^='beforeend:#card-list']")
    return [article["id"].removeprefix("card-") for article in added.select("article")]


def follow(client: TestClient, url: str) -> tuple[list[str], str]:
    """Poll as the page does: again at once while a backlog waits; return what came."""
    seen: list[str] = []
    for _ in range(100):
        answer = client.get(url, headers=HX)
        assert answer.status_code == 200
        seen += arrived(answer)
        url, trigger = poller(answer)
        if not trigger.startswith("load"):
            return seen, url
    raise AssertionError("the backlog never ended")


def test_a_burst_of_cards_reaches_the_open_workspace_exactly_once(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    url, trigger = poller(rapporteur.get("/groups/human"))
    assert trigger == "every 10s"
    sent = [
        add_card(session, meeting, "human", "Ghana", "en", {"commitments": f"Card {n}"}).id
        for n in range(250)
    ]
    seen, url = follow(rapporteur, url)
    assert seen == sent  # all of them, each once, in the order they were stored
    again, _url = follow(rapporteur, url)
    assert again == []


def test_a_card_stamped_early_and_committed_late_still_arrives(
    rapporteur: TestClient, human: list[Card], engine: Engine, session: Session, meeting: Meeting
) -> None:
    """Its clock time is before the page was read, its commit after: a clock is no cursor."""
    url, _trigger = poller(rapporteur.get("/groups/human"))
    delegation = session.exec(select(Delegation).where(Delegation.name == "Chile")).one()
    card = read_card_input(
        meeting,
        meeting_groups(session, meeting),
        {"group": "human", "language": "es"},
        {"commitments": "Escrita antes, guardada después."},
    )
    late, rows = new_card(meeting, delegation, str(uuid.uuid4()), card)
    rows[0][1]["created_at"] = utcnow() - timedelta(minutes=5)
    with Session(engine) as slow:
        insert_rows(slow, rows)  # written and numbered, not yet committed
        seen, url = follow(rapporteur, url)
        assert seen == []
        slow.commit()
    quick = add_card(session, meeting, "human", "Peru", "es", {"commitments": "Después."})
    seen, url = follow(rapporteur, url)
    assert seen == [late.id, quick.id]
    assert follow(rapporteur, url)[0] == []


def test_a_card_arriving_while_the_page_is_read_is_shown_once(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    """The page lists the cards up to its cursor; later ones come by the poll, not twice."""
    page = rapporteur.get("/groups/human")
    url, _trigger = poller(page)
    listed = [a["id"].removeprefix("card-") for a in soup(page).select("#card-list article")]
    new = add_card(session, meeting, "human", "Chile", "es", {"commitments": "Nueva."})
    seen, _url = follow(rapporteur, url)
    assert seen == [new.id] and new.id not in listed


def test_filtered_out_cards_move_the_cursor_on(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    url, _trigger = poller(rapporteur.get("/groups/human?language=fr"))
    add_card(session, meeting, "human", "Chile", "es", {"commitments": "No es francés."})
    french = add_card(session, meeting, "human", "Haiti", "fr", {"commitments": "En français."})
    seen, url = follow(rapporteur, url)
    assert seen == [french.id]


def test_a_cursor_that_is_not_a_number_is_a_bad_request(
    rapporteur: TestClient, human: list[Card]
) -> None:
    for after in ("2020-01-01", "yesterday", "-1", "99999999999999999999"):
        answer = rapporteur.get(f"/groups/human/arrivals?after={after}")
        assert answer.status_code == 400, after
        assert "not understood" in answer.text
