"""The meeting's themes are proposed as tags for the cards close to them; the rapporteur accepts
one (the tag goes on) or turns it down (never proposed for that card again). Cards are compared
by plain words here (tests/__init__.py), so each theme's description shares words with a card."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlmodel import Session, select

from app import embedding
from app.deps import group_by_slug
from app.i18n import localize
from app.models import AuditEvent, Card, CardTag, Group, Meeting, Tag, TagRefusal, ident
from app.themes import tag_proposals
from app.workspace import create_tag, set_tag
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, browser_like, sign_in_as
from tests.helpers import soup

DETENTION = {"en": "End the immigration detention of migrant children."}
DETENTION_FR = {"fr": "Mettre fin à la détention des enfants migrants."}
SKILLS = {"en": "Recognise the skills and qualifications of migrant workers, and decent work."}


@pytest.fixture
def group(session: Session, meeting: Meeting) -> Group:
    found = group_by_slug(session, meeting, "human")
    assert found is not None
    return found


@pytest.fixture
def themes(session: Session, meeting: Meeting) -> dict[str, Tag]:
    """The six themes; human rights and regular pathways described in the cards' words, the
    others without a description (never proposed)."""
    found = {t.slug: t for t in session.exec(select(Tag).where(Tag.meeting_id == meeting.id))}
    for tag in found.values():
        tag.description = {}
        session.add(tag)
    found["human-rights"].description = {**DETENTION, **DETENTION_FR}
    found["regular-pathways"].description = SKILLS
    session.commit()
    return found


@pytest.fixture
def embedded(session: Session, human: list[Card], themes: dict[str, Tag]) -> list[Card]:
    embedding.embed_all(session)
    return human


def proposed(session: Session, group: Group, cards: list[Card]) -> dict[str, list[str]]:
    found = tag_proposals(session, group, cards)
    return {card_id: [p.tag.slug for p in ps] for card_id, ps in found.items()}


def test_cards_get_the_themes_whose_description_they_are_close_to(
    session: Session, group: Group, embedded: list[Card]
) -> None:
    mexico, belgium, philippines, tourism, kenya = embedded
    assert proposed(session, group, embedded) == {
        belgium.id: ["human-rights"],  # shares the French description's words
        kenya.id: ["human-rights"],
        philippines.id: ["regular-pathways"],
    }
    found = tag_proposals(session, group, [kenya])[kenya.id][0]
    assert 0.25 <= found.score < 1


def test_nothing_is_proposed_before_the_cards_have_vectors(
    session: Session, group: Group, human: list[Card], themes: dict[str, Tag]
) -> None:
    assert proposed(session, group, human) == {}
    embedding.embed_all(session)
    kenya = human[4]
    kenya.answers = {"commitments": "End child immigration detention, and more."}
    kenya.version += 1  # an edit: its stored vector is stale until embedded again
    session.add(kenya)
    session.commit()
    assert kenya.id not in proposed(session, group, human)


def test_a_theme_without_a_description_is_never_proposed(
    session: Session, group: Group, embedded: list[Card], themes: dict[str, Tag]
) -> None:
    themes["human-rights"].description = {}
    themes["regular-pathways"].description = {"en": "  "}
    session.add_all([themes["human-rights"], themes["regular-pathways"]])
    session.commit()
    assert proposed(session, group, embedded) == {}


def test_at_most_two_and_a_second_only_when_nearly_as_close(
    session: Session, group: Group, embedded: list[Card], themes: dict[str, Tag]
) -> None:
    kenya = embedded[4]
    for slug in ("drivers", "cooperation", "contributions"):
        themes[slug].description = {"en": "End child immigration detention."}
        session.add(themes[slug])
    session.commit()
    # Three themes say exactly what the card says: two are proposed, in the file's order.
    assert proposed(session, group, [kenya]) == {kenya.id: ["drivers", "cooperation"]}
    themes["cooperation"].description = {"en": "Cooperation on child detention."}
    themes["contributions"].description = {}
    session.add_all([themes["cooperation"], themes["contributions"]])
    session.commit()
    # Human rights (0.53) and cooperation are far behind drivers (1.0): drivers alone.
    assert proposed(session, group, [kenya]) == {kenya.id: ["drivers"]}


def test_a_theme_already_on_the_card_or_turned_down_is_not_proposed(
    session: Session, group: Group, embedded: list[Card], themes: dict[str, Tag]
) -> None:
    belgium, kenya = embedded[1], embedded[4]
    set_tag(session, belgium, themes["human-rights"], on=True)
    session.add(TagRefusal(card_id=kenya.id, tag_id=ident(themes["human-rights"])))
    session.commit()
    found = proposed(session, group, embedded)
    assert belgium.id not in found and kenya.id not in found
    assert found == {embedded[2].id: ["regular-pathways"]}


def card_node(response, card: Card):  # type: ignore[no-untyped-def]
    node = soup(response).find(id=f"card-{card.id}")
    assert node is not None
    return node


def test_the_workspace_shows_a_proposal_apart_from_the_tags(
    rapporteur: TestClient, session: Session, embedded: list[Card], themes: dict[str, Tag]
) -> None:
    kenya = embedded[4]
    set_tag(session, kenya, themes["drivers"], on=True)
    session.commit()
    node = card_node(rapporteur.get("/groups/human"), kenya)
    box = node.select_one(".tag-proposals")
    assert box is not None
    assert box["role"] == "group" and box["aria-label"] == "Proposed tags"
    assert box.li.span.get_text(strip=True) == (
        "Proposed: Human rights, inclusion and non-discrimination"
    )
    assert [b.get_text(strip=True) for b in box.select("button")] == ["Accept", "Not this one"]
    assert [b["value"] for b in box.select("button[name=action]")] == ["accept", "refuse"]
    form = box.form
    assert form["method"] == "post" and form["action"].endswith(f"/cards/{kenya.id}/tag-proposals")
    assert form["hx-target"] == f"#card-{kenya.id}" and form["hx-swap"] == "outerHTML"
    # The accepted tag is a chip; the proposal is not one.
    chips = [li.get_text(" ", strip=True) for li in node.select("ul.chips li")]
    assert chips == ["Drivers of migration, climate change and crises ×"]
    assert node.select(".chips .tag-proposals") == []
    # The single-card page shows it too.
    single = card_node(rapporteur.get(f"/groups/human/cards/{kenya.id}"), kenya)
    assert single.select_one(".tag-proposals") is not None


def test_readers_see_no_proposal(client: TestClient, embedded: list[Card], accounts: dict) -> None:
    cofacilitator = sign_in_as(client, "cora")
    page = cofacilitator.get("/groups/human")
    assert page.status_code == 200
    assert soup(page).select(".tag-proposals") == []


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_accepting_puts_the_tag_on_and_logs_it(
    rapporteur: TestClient, session: Session, embedded: list[Card], themes: dict[str, Tag]
) -> None:
    kenya, theme = embedded[4], themes["human-rights"]
    response = rapporteur.post(
        f"/groups/human/cards/{kenya.id}/tag-proposals",
        data={"tag": str(theme.id), "action": "accept", "next": "/groups/human?page=1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/groups/human?page=1"
    assert session.get(CardTag, (kenya.id, theme.id)) is not None
    [event] = events(session, "card.tag")
    assert (event.target_id, event.actor_name) == (kenya.id, "Ravi (ravi)")
    assert event.detail == {"tag": localize(theme.name), "proposed": True}
    node = card_node(rapporteur.get("/groups/human"), kenya)
    assert node.select_one(".tag-proposals") is None
    assert "Human rights" in node.select_one("ul.chips").get_text()


def test_turning_down_stores_it_logs_it_and_hides_it(
    rapporteur: TestClient, session: Session, embedded: list[Card], themes: dict[str, Tag]
) -> None:
    kenya, theme = embedded[4], themes["human-rights"]
    response = rapporteur.post(
        f"/groups/human/cards/{kenya.id}/tag-proposals",
        data={"tag": str(theme.id), "action": "refuse"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200  # htmx: the card comes back, swapped in place
    swapped = card_node(response, kenya)
    assert swapped.select_one(".tag-proposals") is None
    assert "Not proposed again for this card: Human rights" in response.text
    refusal = session.get(TagRefusal, (kenya.id, theme.id))
    assert refusal is not None and refusal.user_id is not None
    assert session.get(CardTag, (kenya.id, theme.id)) is None
    [event] = events(session, "card.refuse_tag")
    assert event.detail == {"tag": localize(theme.name)}
    # Belgium's card still gets the theme: the refusal is for Kenya's card only.
    page = rapporteur.get("/groups/human")
    assert card_node(page, kenya).select_one(".tag-proposals") is None
    assert card_node(page, embedded[1]).select_one(".tag-proposals") is not None
    # Turned down twice (a second tab): still one refusal, no error.
    again = rapporteur.post(
        f"/groups/human/cards/{kenya.id}/tag-proposals",
        data={"tag": str(theme.id), "action": "refuse"},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert len(list(session.exec(select(TagRefusal)))) == 1


def test_a_bad_proposal_form_changes_nothing(
    rapporteur: TestClient,
    session: Session,
    group: Group,
    embedded: list[Card],
    themes: dict[str, Tag],
) -> None:
    kenya, theme = embedded[4], str(themes["human-rights"].id)
    own = create_tag(session, group, "Detention", "en")  # a rapporteur's tag is not a theme
    session.commit()
    for data in (
        {"tag": "999", "action": "accept"},
        {"tag": "x", "action": "accept"},
        {"tag": "²", "action": "refuse"},
        {"tag": str(own.id), "action": "accept"},
        {"tag": theme, "action": "remove"},
        {"tag": theme},
    ):
        response = rapporteur.post(f"/groups/human/cards/{kenya.id}/tag-proposals", data=data)
        assert response.status_code == 400, data
    assert list(session.exec(select(CardTag))) == []
    assert list(session.exec(select(TagRefusal))) == []
    assert events(session, "card.tag") == events(session, "card.refuse_tag") == []


def test_another_groups_card_is_not_found(
    rapporteur: TestClient, session: Session, embedded: list[Card], themes: dict[str, Tag]
) -> None:
    other = session.exec(select(Card).where(Card.group_id != embedded[0].group_id)).first()
    assert other is not None
    response = rapporteur.post(
        f"/groups/human/cards/{other.id}/tag-proposals",
        data={"tag": str(themes["human-rights"].id), "action": "accept"},
    )
    assert response.status_code == 404
    assert list(session.exec(select(CardTag))) == []


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.mark.browser
@needs_chromium
def test_on_a_phone_the_proposal_reads_whole_and_its_buttons_are_44_px(
    browser: Browser, live_url: str, embedded: list[Card], accounts: dict, tmp_path
) -> None:
    kenya = embedded[4]
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_url}/signin")
    page.fill("#username", "ravi")
    page.fill("#password", PASSWORD)
    page.click("form.join button[type=submit]")
    page.goto(f"{live_url}/groups/human")
    box = page.locator(f"#card-{kenya.id} .tag-proposals")
    box.scroll_into_view_if_needed()
    page.locator(f"#card-{kenya.id}").screenshot(path=str(tmp_path / "proposal-390.png"))
    text = box.locator("span").first
    assert text.inner_text() == "Proposed: Human rights, inclusion and non-discrimination"
    sizes = text.evaluate(
        "e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right, innerWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3]  # not cut off, not off the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for button in box.locator("button").all():
        size = button.bounding_box()
        assert size is not None and size["width"] >= 44 and size["height"] >= 44
        assert size["x"] + size["width"] <= PHONE["width"]
    # Accepting swaps the card in place (htmx): the tag is a chip, the proposal is gone.
    page.evaluate("window.stayed = true")  # gone if the page reloads
    page.click(f"#accept-{kenya.id}-{box.locator('input[name=tag]').get_attribute('value')}")
    chips = page.locator(f"#card-{kenya.id} ul.chips")
    chips.wait_for()
    assert "Human rights" in chips.inner_text()
    assert page.locator(f"#card-{kenya.id} .tag-proposals").count() == 0
    assert page.evaluate("window.stayed === true")  # swapped, not reloaded
    context.close()


def test_without_javascript_the_forms_post_and_come_back(
    app: FastAPI, session: Session, embedded: list[Card], themes: dict[str, Tag], accounts: dict
) -> None:
    with browser_like(app) as client:
        sign_in_as(client, "ravi")
        page = client.get("/groups/human")
        form = card_node(page, embedded[2]).select_one(".tag-proposals form")
        data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
        data["action"] = "refuse"
        response = client.post(form["action"], data=data)  # follows the 303
        assert response.status_code == 200
        assert card_node(response, embedded[2]).select_one(".tag-proposals") is None
