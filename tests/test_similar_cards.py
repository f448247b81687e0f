"""While writing, a delegate sees close cards of other delegations and can add their support.

Tests compare by plain words (ACTIONCARDS_ENCODER=words): cards in different languages are close
here because they share words (UNICEF, HCR, OIM, alternatives...).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app import embedding, similarity
from app.access import display
from app.audit import delegation_actor
from app.cards import withdraw_card
from app.grouping import create_recommendation
from app.models import AuditEvent, Card, Delegation, Group, Meeting, SetAside, Support
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import add_card, code_for
from tests.helpers import cards, soup

BELGIUM = (
    "Mettre fin à la détention des enfants migrants: UNICEF, HCR et OIM proposent des alternatives."
)
TYPED = "Poner fin a la detención de niños migrantes: UNICEF, HCR y OIM proponen alternatives."
HX = {"HX-Request": "true"}


def hint(client: TestClient, text: str = TYPED, group: str = "human", lang: str = "es"):  # type: ignore[no-untyped-def]
    params = {"group": group, "language": lang, "answers.commitments": text}
    return client.get("/cards/similar", params=params, headers=HX)


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The delegations whose cards the hint shows, in its order."""
    return [p.get_text(strip=True) for p in soup(response).select(".similar-card .meta")]


@pytest.fixture
def belgium(session: Session, meeting: Meeting) -> Card:
    """A French card of Belgium in the human dimension, with its vector."""
    card = add_card(session, meeting, "human", "Belgium", "fr", {"commitments": BELGIUM})
    embedding.embed_all(session)
    return card


def group_named(session: Session, slug: str) -> Group:
    return session.exec(select(Group).where(Group.slug == slug)).one()


def mexico_cards(session: Session) -> list[Card]:
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    return [c for c in cards(session) if c.delegation_id == mexico.id]


# --- The hint ---------------------------------------------------------------------------------


def test_the_hint_shows_a_close_card_of_another_delegation_in_another_language(
    delegate: TestClient, belgium: Card
) -> None:
    response = hint(delegate)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert shown(response) == ["Belgium"]
    answer = soup(response).select_one(".similar-card .answer")
    assert answer is not None
    assert answer.get_text() == BELGIUM
    assert (answer["lang"], answer["dir"]) == ("fr", "ltr")
    button = soup(response).select_one(".similar-card button")
    assert button is not None and button.get_text(strip=True) == "Add our support"
    assert button["hx-post"] == f"/cards/{belgium.id}/support"


def test_the_hint_leaves_out_own_withdrawn_other_group_and_far_cards(
    delegate: TestClient, session: Session, meeting: Meeting, belgium: Card
) -> None:
    add_card(session, meeting, "human", "Mexico", "es", {"commitments": TYPED})  # our own
    add_card(session, meeting, "global", "France", "fr", {"commitments": BELGIUM})  # other group
    kenya = add_card(session, meeting, "human", "Kenya", "en", {"commitments": BELGIUM})
    withdraw_card(session, kenya, delegation_actor(session.get(Delegation, kenya.delegation_id)))
    add_card(session, meeting, "human", "Chile", "es", {"commitments": "Turismo y cultura."})
    embedding.embed_all(session)
    assert shown(hint(delegate)) == ["Belgium"]


def test_nothing_is_shown_for_the_delegations_own_cards(
    delegate: TestClient, session: Session, meeting: Meeting
) -> None:
    add_card(session, meeting, "human", "Mexico", "fr", {"commitments": BELGIUM})
    embedding.embed_all(session)
    response = hint(delegate)
    assert response.status_code == 200
    assert response.text.strip() == ""


def test_below_the_floor_short_texts_and_unknown_groups_show_nothing(
    delegate: TestClient, belgium: Card
) -> None:
    assert hint(delegate, "Recognise the skills of workers, everywhere.").text.strip() == ""
    assert hint(delegate, "UNICEF HCR").text.strip() == ""  # too short to compare
    assert hint(delegate, group="nowhere").text.strip() == ""
    assert shown(hint(delegate)) == ["Belgium"]


def test_no_vectors_yet_answers_without_encoding(
    delegate: TestClient, session: Session, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_card(session, meeting, "human", "Belgium", "fr", {"commitments": BELGIUM})  # not embedded

    def refuse(texts: object) -> None:
        raise AssertionError("encoded with nothing to compare to")

    monkeypatch.setattr(similarity.encoder(), "encode", refuse)
    response = hint(delegate)
    assert response.status_code == 200
    assert response.text.strip() == ""


def test_the_hint_needs_a_session_and_writes_nothing(
    client: TestClient, delegate: TestClient, session: Session, belgium: Card
) -> None:
    before = len(session.exec(select(AuditEvent)).all()), len(cards(session))
    assert shown(hint(delegate)) == ["Belgium"]
    assert (len(session.exec(select(AuditEvent)).all()), len(cards(session))) == before
    delegate.post("/signout")
    response = hint(client)
    assert response.status_code == 401
    assert response.text == ""


def test_the_hint_is_capped_per_minute(
    delegate: TestClient, belgium: Card, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.routes.cards.SIMILAR_PER_MINUTE", 2)
    assert shown(hint(delegate)) == ["Belgium"]
    assert shown(hint(delegate)) == ["Belgium"]
    assert hint(delegate).text.strip() == ""  # the third in a minute: no encode, no hint


def test_the_form_has_an_empty_hint_area_and_no_htmx_until_used(delegate: TestClient) -> None:
    page = soup(delegate.get("/cards/new?group=human"))
    area = page.select_one("#similar")
    assert area is not None and area.get_text(strip=True) == ""
    field = page.select_one("#answer-commitments")
    assert field is not None
    assert field["hx-get"] == "/cards/similar"
    assert "input changed delay:800ms" in field["hx-trigger"]
    assert field["data-htmx"].startswith("/static/htmx-")
    assert not [s for s in page.select("script[src]") if "htmx" in s["src"]]
    # Only the main answer asks for a hint.
    assert page.select("[hx-get]") == [field]


def test_the_edit_form_has_no_hint(delegate: TestClient, session: Session) -> None:
    form = {"group": "human", "language": "es", "answers.commitments": TYPED}
    sent = delegate.post("/cards", data=form | {"card_id": "1c1b1a2e-0000-4000-8000-000000000001"})
    assert sent.status_code == 200
    [card] = cards(session)
    page = soup(delegate.get(f"/cards/{card.id}/edit"))
    assert page.select_one("#similar") is None and page.select("[hx-get]") == []


# --- Add our support --------------------------------------------------------------------------

NEW_ID = "5e0a7f36-2f0c-4c55-9d59-0d2c1e6a4b11"


def support(client: TestClient, card: Card, headers: dict[str, str] | None = None, **form: str):  # type: ignore[no-untyped-def]
    data = {"card_id": NEW_ID, "group": "human"} | form
    return client.post(
        f"/cards/{card.id}/support", data=data, headers=headers or {}, follow_redirects=False
    )


def test_support_stores_one_card_of_ours_that_backs_theirs(
    delegate: TestClient, session: Session, belgium: Card
) -> None:
    response = support(delegate, belgium, HX)
    assert response.status_code == 200
    said = soup(response).select_one(".similar-done")
    assert said is not None and "now supports the card of Belgium" in said.get_text()
    [card] = mexico_cards(session)
    assert card.id == NEW_ID
    assert card.supports_card_id == belgium.id
    assert card.answers == {"commitments": BELGIUM}  # their words, no sentence added
    assert card.language == "fr"
    assert card.status == "active" and card.seq is not None
    [created] = session.exec(select(AuditEvent).where(AuditEvent.target_id == NEW_ID)).all()
    assert created.action == "card.create"
    assert created.actor_name == "Mexico"
    assert created.detail["supports"] == belgium.id
    assert session.exec(select(Support).where(Support.card_id == NEW_ID)).all() == []  # inbox


def test_support_without_htmx_goes_to_the_stored_card(
    delegate: TestClient, session: Session, belgium: Card
) -> None:
    response = support(delegate, belgium)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cards/{NEW_ID}?sent=1"
    assert delegate.get(response.headers["location"]).status_code == 200


def test_a_supporting_card_stands_behind_the_same_recommendations(
    delegate: TestClient, session: Session, meeting: Meeting, belgium: Card
) -> None:
    human = group_named(session, "human")
    first = create_recommendation(session, human, "End child detention.", [belgium.id])
    second = create_recommendation(session, human, "Alternatives to detention.", [belgium.id])
    create_recommendation(session, human, "Something else.")
    session.commit()
    assert support(delegate, belgium, HX).status_code == 200
    session.expire_all()
    placed = session.exec(select(Support).where(Support.card_id == NEW_ID)).all()
    assert sorted(s.recommendation_id for s in placed) == sorted([first.id, second.id])
    assert all(s.card_version == 1 for s in placed)
    logged = session.exec(
        select(AuditEvent).where(AuditEvent.target_id == NEW_ID, AuditEvent.action == "card.group")
    ).all()
    assert sorted(e.detail["recommendation"] for e in logged) == sorted([first.id, second.id])


def test_supporting_a_set_aside_card_leaves_ours_in_the_inbox(
    delegate: TestClient, session: Session, belgium: Card
) -> None:
    session.add(SetAside(card_id=belgium.id, reason="off_topic"))
    session.commit()
    assert support(delegate, belgium, HX).status_code == 200
    assert session.exec(select(Support).where(Support.card_id == NEW_ID)).all() == []
    assert session.get(SetAside, NEW_ID) is None


def test_supporting_twice_shows_the_existing_card(
    delegate: TestClient, session: Session, belgium: Card
) -> None:
    assert support(delegate, belgium, HX).status_code == 200
    again = support(delegate, belgium, HX, card_id="7d2b3c4d-1111-4222-8333-444455556666")
    assert again.status_code == 200
    assert "already supports the card of Belgium" in again.text
    assert f'href="/cards/{NEW_ID}"' in again.text
    plain = support(delegate, belgium, card_id="8e2b3c4d-1111-4222-8333-444455556666")
    assert plain.headers["location"] == f"/cards/{NEW_ID}"
    assert [c.id for c in mexico_cards(session)] == [NEW_ID]
    # The hint now says so instead of offering the button again; our card is no candidate.
    response = hint(delegate)
    assert shown(response) == ["Belgium"]
    assert "Your delegation supports this card." in response.text
    assert soup(response).select(".similar-card button") == []


def test_a_card_that_backs_another_is_never_offered_the_original_is(
    delegate: TestClient, session: Session, meeting: Meeting, belgium: Card
) -> None:
    kenya = TestClient(delegate.app, headers={"Origin": "http://testserver"})
    kenya.post("/join", data={"code": code_for(session, meeting, "Kenya")})
    kenya_id = "9f1e2d3c-0000-4000-8000-00000000000a"
    assert support(kenya, belgium, HX, card_id=kenya_id).status_code == 200
    embedding.embed_all(session)
    assert shown(hint(delegate)) == ["Belgium"]
    # Supporting Kenya's supporting card supports Belgium's.
    [backing] = [c for c in cards(session) if c.supports_card_id == belgium.id]
    assert support(delegate, backing, HX).status_code == 200
    [ours] = mexico_cards(session)
    assert ours.supports_card_id == belgium.id


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("own", "This card is your delegation's own: it already counts."),
        (
            "other group",
            "This card is for another action group: support it from that group's form.",
        ),
        ("withdrawn", "This card was withdrawn by its delegation: it can no longer be supported."),
        ("closed", "This group no longer takes cards: its intake is closed."),
    ],
)
def test_support_refusals_say_why_and_store_nothing(
    delegate: TestClient,
    session: Session,
    meeting: Meeting,
    belgium: Card,
    case: str,
    message: str,
) -> None:
    target, form = belgium, {}
    if case == "own":
        target = add_card(session, meeting, "human", "Mexico", "es", {"commitments": TYPED})
    elif case == "other group":
        target = add_card(session, meeting, "global", "France", "fr", {"commitments": BELGIUM})
    elif case == "withdrawn":
        withdraw_card(
            session, belgium, delegation_actor(session.get(Delegation, belgium.delegation_id))
        )
    else:
        human = group_named(session, "human")
        human.intake_open = False
        session.add(human)
        session.commit()
    before = len(cards(session))
    response = support(delegate, target, HX, **form)
    assert response.status_code == 409
    error = soup(response).select_one(".error")
    assert error is not None and error.get_text(strip=True) == message
    plain = support(delegate, target)
    assert plain.status_code == 409 and message in soup(plain).get_text()
    assert len(cards(session)) == before


def test_support_of_a_card_of_another_group_than_the_form(
    delegate: TestClient, belgium: Card, session: Session
) -> None:
    response = support(delegate, belgium, HX, group="global")
    assert response.status_code == 409
    assert "another action group" in response.text
    assert mexico_cards(session) == []


def test_support_of_an_unknown_card_or_without_a_session(
    client: TestClient, delegate: TestClient, belgium: Card, session: Session
) -> None:
    assert delegate.post("/cards/nothing/support", data={"card_id": NEW_ID}).status_code == 404
    delegate.post("/signout")
    htmx = support(client, belgium, HX)
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/join")
    assert support(client, belgium).headers["location"].startswith("/join")
    assert cards(session) == [belgium] or len(cards(session)) == 1


def test_support_counts_in_the_delegations_card_rate(
    delegate: TestClient, belgium: Card, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.settings import get_settings

    monkeypatch.setattr(get_settings(), "cards_per_minute_per_delegation", 1)
    form = {"group": "human", "language": "es", "answers.commitments": TYPED}
    sent = delegate.post("/cards", data=form | {"card_id": "1c1b1a2e-0000-4000-8000-000000000001"})
    assert sent.status_code == 200
    response = support(delegate, belgium, HX)
    assert response.status_code == 429
    assert response.headers["retry-after"]
    assert len(mexico_cards(session)) == 1


def test_rapporteurs_see_what_a_card_supports(
    rapporteur: TestClient, session: Session, meeting: Meeting, belgium: Card
) -> None:
    phone = TestClient(rapporteur.app, headers={"Origin": "http://testserver"})
    phone.post("/join", data={"code": code_for(session, meeting, "Mexico")})
    assert support(phone, belgium, HX).status_code == 200
    page = soup(rapporteur.get("/groups/human"))
    ours = page.select_one(f"#card-{NEW_ID}")
    assert ours is not None
    line = ours.select_one(".supports")
    assert line is not None and " ".join(line.get_text().split()) == "Supports card #1 (Belgium)"
    link = line.select_one("a")
    assert link is not None and link["href"] == f"/groups/human/cards/{belgium.id}"
    theirs = page.select_one(f"#card-{belgium.id}")
    assert theirs is not None and theirs.select_one(".supports") is None


# --- In a browser -----------------------------------------------------------------------------


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def sign_in(page: Page, live_url: str, code: str) -> None:
    page.goto(f"{live_url}/join")
    page.get_by_label("Access code").fill(display(code).lower())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are writing cards for Mexico.")).to_be_visible()


@pytest.mark.browser
@needs_chromium
def test_typing_shows_the_hint_and_support_is_added(
    page: Page, live_url: str, mexico: str, session: Session, belgium: Card, tmp_path: Path
) -> None:
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/cards/new?group=human")
    assert page.evaluate("typeof window.htmx") == "undefined"  # not loaded until used
    page.get_by_label("Actionable commitments for the Global Compact").press_sequentially(
        TYPED, delay=5
    )
    hint_area = page.locator("#similar")
    expect(hint_area.get_by_text("Belgium")).to_be_visible()
    expect(hint_area.locator(".answer")).to_have_attribute("lang", "fr")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(tmp_path / "similar-390.png"), full_page=True)
    button = page.get_by_role("button", name="Add our support")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    button.click()
    expect(
        hint_area.get_by_text("Your delegation now supports the card of Belgium.")
    ).to_be_visible()
    expect(hint_area.locator(".similar-done")).to_be_focused()
    page.screenshot(path=str(tmp_path / "supported-390.png"), full_page=True)
    [ours] = mexico_cards(session)
    assert ours.supports_card_id == belgium.id
    # The delegate's own text is still there, and can be sent too.
    field = page.get_by_label("Actionable commitments for the Global Compact")
    expect(field).to_have_value(TYPED)
    page.get_by_role("button", name="Send card").click()
    expect(page.get_by_text("Card received.")).to_be_visible()
    assert len(mexico_cards(session)) == 2


@pytest.mark.browser
@needs_chromium
def test_without_javascript_the_form_works_and_shows_no_hint(
    browser: Browser, live_url: str, mexico: str, session: Session, belgium: Card
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/cards/new?group=human")
    page.get_by_label("Actionable commitments for the Global Compact").fill(TYPED)
    page.wait_for_timeout(1200)  # longer than the hint's delay
    assert page.locator("#similar").inner_html().strip() == ""
    page.get_by_role("button", name="Send card").click()
    expect(page.get_by_text("Card received.")).to_be_visible()
    assert [c.supports_card_id for c in mexico_cards(session)] == [None]
    context.close()
