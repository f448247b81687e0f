"""A rapporteur sorts cards fast: one at a time with single keys, or many at once."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app import embedding
from app.deps import group_by_slug
from app.grouping import create_recommendation, recommendations
from app.models import AuditEvent, Card, CardTag, Group, Meeting, SetAside
from tests.browser import needs_chromium, serve
from tests.conftest import PASSWORD, add_card
from tests.helpers import soup


@pytest.fixture
def group(session: Session, meeting: Meeting) -> Group:
    found = group_by_slug(session, meeting, "human")
    assert found is not None
    return found


def ticked(cards: list[Card]) -> dict[str, str]:
    return {f"card_{n}": card.id for n, card in enumerate(cards, start=1)}


def test_bulk_places_tags_and_sets_aside_each_card_logged_on_its_own(
    rapporteur: TestClient, session: Session, group: Group, human: list[Card]
) -> None:
    page = soup(rapporteur.get("/groups/human"))
    assert page.select_one("form#bulk") is not None
    assert len(page.select("input[data-bulk][form=bulk]")) == 5
    made = rapporteur.post(
        "/groups/human/cards/bulk",
        data={**ticked(human[0:2]), "action": "place", "text": "End child detention."},
        follow_redirects=False,
    )
    assert made.status_code == 303
    rapporteur.post(
        "/groups/human/cards/bulk",
        data={**ticked([human[4]]), "action": "place", "recommendation": "R1"},
    )
    [view] = recommendations(session, group)
    assert sorted(c.id for c in view.cards) == sorted([human[0].id, human[1].id, human[4].id])
    theme = soup(rapporteur.get("/groups/human")).select_one("#bulk-tag option")["value"]
    rapporteur.post(
        "/groups/human/cards/bulk", data={**ticked(human[0:3]), "action": "tag", "tag": theme}
    )
    rapporteur.post("/groups/human/cards/bulk", data={**ticked([human[3]]), "action": "set_aside"})
    session.expire_all()
    assert len(session.exec(select(CardTag)).all()) == 3
    assert session.get(SetAside, human[3].id) is not None
    actions = [
        e.action for e in session.exec(select(AuditEvent).where(AuditEvent.actor_kind == "user"))
    ]
    assert actions.count("card.group") == 3 and actions.count("card.tag") == 3
    assert actions.count("card.set_aside") == 1


def test_bulk_refuses_whole_what_it_cannot_do(
    rapporteur: TestClient, session: Session, meeting: Meeting, group: Group, human: list[Card]
) -> None:
    other = add_card(session, meeting, "global", "France", "fr", {"commitments": "Ailleurs."})
    cases = [
        ({"action": "place", "text": "x"}, 422, "Tick the cards first"),
        ({**ticked([human[0], other]), "action": "set_aside"}, 422, "no longer in this group"),
        (
            {**ticked([human[0]]), "action": "place", "recommendation": "R9"},
            422,
            "no recommendation R9",
        ),
        ({**ticked([human[0]]), "action": "place"}, 422, "Write the new recommendation"),
        ({**ticked([human[0]]), "action": "tag", "tag": "999"}, 422, "Choose a tag"),
        ({**ticked([human[0]]), "action": "fly"}, 422, "Choose what to do"),
        ({"card_1": "nonsense", "action": "set_aside"}, 400, "not understood"),
    ]
    for data, status, said in cases:
        answer = rapporteur.post("/groups/human/cards/bulk", data=data)
        assert (answer.status_code, said in answer.text) == (status, True), data
    session.expire_all()
    assert session.exec(select(SetAside)).all() == []
    assert recommendations(session, group) == []


def test_triage_shows_one_inbox_card_with_its_likely_recommendations_and_moves_on(
    rapporteur: TestClient, session: Session, meeting: Meeting, group: Group, human: list[Card]
) -> None:
    create_recommendation(session, group, "Recognise skills.", [human[2].id])
    session.commit()
    ghana = add_card(session, meeting, "human", "Ghana", "en", {"commitments": "Recognise skills"})
    embedding.embed_all(session)
    page = soup(rapporteur.get("/groups/human/triage"))
    assert "5 cards left to sort." in page.get_text()
    assert page.select_one(f"article#card-{human[0].id}") is not None  # the first inbox card
    assert "1 of 5" in page.select_one("nav.one-by-one").get_text()
    keys = page.select_one("section.keys").get_text()
    assert "new recommendation" in keys and "set aside" in keys
    # Setting it aside goes on to the next card by itself.
    form = page.select_one(f"#aside-{human[0].id}").find_parent("form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")} | {
        "reason": "off_topic"
    }
    assert data["next"] == f"/groups/human/triage?card={human[1].id}"
    after = rapporteur.post(form["action"], data=data)
    assert "4 cards left to sort." in after.text
    assert soup(after).select_one(f"article#card-{human[1].id}") is not None
    # Ghana's card probably belongs to R1: one press places it.
    last = soup(rapporteur.get(f"/groups/human/triage?card={ghana.id}"))
    assert "Add to R1" in last.select_one(".likely").get_text()
    assert last.select_one("a[rel=next]") is None and last.select_one("a[rel=prev]")
    form = last.select_one(f"#likely-{ghana.id}-1").find_parent("form")
    rapporteur.post(form["action"], data={i["name"]: i["value"] for i in form.select("input")})
    assert len(recommendations(session, group)[0].cards) == 2


def test_triage_says_when_everything_is_sorted(
    rapporteur: TestClient, session: Session, group: Group, human: list[Card]
) -> None:
    rapporteur.post("/groups/human/cards/bulk", data={**ticked(human), "action": "set_aside"})
    page = rapporteur.get("/groups/human/triage")
    assert "0 cards left to sort." in page.text
    assert "Every card of this group is placed or set aside." in page.text


@pytest.fixture
def live(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def sign_in(page: Page, live: str) -> None:
    page.goto(f"{live}/signin")
    page.fill("input[name=username]", "ravi")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False])
def test_a_rapporteur_triages_on_a_phone_with_keys_or_without_javascript(
    browser: Browser,
    live: str,
    session: Session,
    group: Group,
    human: list[Card],
    accounts: dict,
    javascript: bool,
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=javascript
    )
    page = context.new_page()
    sign_in(page, live)
    page.goto(f"{live}/groups/human/triage")
    expect(page.locator("p.lead")).to_have_text("5 cards left to sort.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if javascript:
        page.keyboard.press("n")  # a new recommendation from the first card
        expect(page.locator("p.lead")).to_have_text("4 cards left to sort.")
        page.keyboard.press("s")  # the next one set aside
        expect(page.locator("p.lead")).to_have_text("3 cards left to sort.")
        page.keyboard.press("j")
        expect(page.locator("nav.one-by-one")).to_contain_text("2 of 3")
        page.keyboard.press("k")
        expect(page.locator("nav.one-by-one")).to_contain_text("1 of 3")
    else:
        page.click(f"#rec-add-{human[0].id}")
        expect(page.locator("p.lead")).to_have_text("4 cards left to sort.")
        page.click(f"#aside-{human[1].id}")
        expect(page.locator("p.lead")).to_have_text("3 cards left to sort.")
    context.close()
    session.expire_all()
    assert len(recommendations(session, group)) == 1
    assert session.get(SetAside, human[1].id) is not None


@needs_chromium
@pytest.mark.browser
def test_shift_click_ticks_a_range_for_a_bulk_action(
    browser: Browser, live: str, session: Session, group: Group, human: list[Card], accounts: dict
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, live)
    page.goto(f"{live}/groups/human")
    page.click(f"#pick-{human[0].id}")
    page.click(f"#pick-{human[3].id}", modifiers=["Shift"])
    assert [page.is_checked(f"#pick-{c.id}") for c in human] == [True, True, True, True, False]
    page.check("input[name=action][value=set_aside]")
    page.click("#bulk-go")
    page.wait_for_load_state()
    context.close()
    session.expire_all()
    assert len(session.exec(select(SetAside)).all()) == 4


def test_placed_and_set_aside_cards_leave_the_default_view_to_sort(
    rapporteur: TestClient, human: list[Card]
) -> None:
    rapporteur.post("/groups/human/cards/bulk", data={**ticked([human[0]]), "action": "set_aside"})
    rapporteur.post(
        "/groups/human/cards/bulk", data={**ticked([human[1]]), "action": "place", "text": "R."}
    )

    def shown(query: str = "") -> list[str]:
        page = soup(rapporteur.get(f"/groups/human{query}"))
        return [a["id"].removeprefix("card-") for a in page.select("#card-list article")]

    assert shown() == [c.id for c in human[2:]]
    assert (
        soup(rapporteur.get("/groups/human")).select_one("#f-status option[selected]")["value"]
        == "inbox"
    )
    assert shown("?status=all") == [c.id for c in human]
    assert shown("?status=set_aside") == [human[0].id]
