"""The workspace proposes groups of unplaced cards and likely recommendations; the
rapporteur decides. (Cards are compared by plain words here: tests/__init__.py.)"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from app import cli, embedding
from app.deps import group_by_slug
from app.grouping import create_recommendation, recommendations
from app.models import Card, Group, Meeting
from app.suggestions import (
    dismiss_suggestion,
    likely_recommendations,
    shared_words,
    suggestions,
    take_out_of_suggestion,
    unplaced,
)
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, add_card
from tests.helpers import soup

TEXTS = [
    ("Mexico", "es", "Poner fin a la detención de niños migrantes"),
    ("Chile", "es", "Fin de la detención de niños migrantes en frontera"),
    ("Peru", "es", "Detención de niños migrantes: alternativas"),
    ("Kenya", "en", "Recognise skills of migrant workers"),
    ("Ghana", "en", "Recognise the skills and diplomas of migrant workers"),
    ("France", "fr", "Portabilité des pensions"),
]


@pytest.fixture
def group(session: Session, meeting: Meeting) -> Group:
    found = group_by_slug(session, meeting, "human")
    assert found is not None
    return found


@pytest.fixture
def cards(session: Session, meeting: Meeting, group: Group) -> list[Card]:
    made = [
        add_card(session, meeting, "human", name, lang, {"commitments": text})
        for name, lang, text in TEXTS
    ]
    embedding.embed_all(session)
    return made


def ids(cards: list[Card]) -> list[str]:
    return [card.id for card in cards]


def test_unplaced_cards_that_share_words_are_proposed_together(
    session: Session, group: Group, cards: list[Card]
) -> None:
    found = suggestions(session, group, closeness=-2)
    assert [ids(s.cards) for s in found.groups] == [ids(cards[0:3]), ids(cards[3:5])]
    assert ids(found.alone) == [cards[5].id]
    first = found.groups[0]
    assert first.languages == ["es"]
    assert {"detención", "niños", "migrantes"} <= set(first.shared)
    assert first.label in [t for _n, _l, t in TEXTS]
    assert found.not_compared == 0


def test_tighter_proposes_fewer_and_looser_more(
    session: Session, meeting: Meeting, group: Group, cards: list[Card]
) -> None:
    loose = add_card(
        session, meeting, "human", "Haiti", "es", {"commitments": "Escuela para niños migrantes"}
    )
    embedding.embed_all(session)

    def grouped(closeness: int) -> set[str]:
        found = suggestions(session, group, closeness)
        return {card.id for s in found.groups for card in s.cards}

    assert loose.id in grouped(-1)  # looser: it shares two words with the first three
    assert loose.id not in grouped(4)
    assert grouped(4) == set(ids(cards[0:5]))


def test_placed_cards_leave_the_suggestions_and_new_cards_wait_for_their_vector(
    session: Session, meeting: Meeting, group: Group, cards: list[Card]
) -> None:
    create_recommendation(session, group, "Recognise skills.", ids(cards[3:5]))
    session.commit()
    add_card(session, meeting, "human", "Haiti", "fr", {"commitments": "Sans vecteur encore"})
    found = suggestions(session, group, closeness=-2)
    assert [ids(s.cards) for s in found.groups] == [ids(cards[0:3])]
    assert found.not_compared == 1
    assert len(unplaced(session, group)) == 5


def test_a_dismissed_suggestion_stays_dismissed_until_a_new_card_joins_it(
    session: Session, meeting: Meeting, group: Group, cards: list[Card], accounts: dict
) -> None:
    dismiss_suggestion(session, group, ids(cards[0:3]), accounts["rapporteur"].id)
    session.commit()
    found = suggestions(session, group, closeness=-2)
    assert [ids(s.cards) for s in found.groups] == [ids(cards[3:5])]
    assert set(ids(cards[0:3])) <= set(ids(found.alone))
    add_card(
        session,
        meeting,
        "human",
        "Bolivia (Plurinational State of)",
        "es",
        {"commitments": "Niños migrantes y detención"},
    )
    embedding.embed_all(session)
    again = suggestions(session, group, closeness=-2)
    assert len(again.groups[0].cards) == 4


def test_a_card_taken_out_of_a_suggestion_is_not_proposed_with_it_again(
    session: Session, group: Group, cards: list[Card], accounts: dict
) -> None:
    take_out_of_suggestion(session, group, cards[2].id, ids(cards[0:3]), accounts["rapporteur"].id)
    session.commit()
    found = suggestions(session, group, closeness=-2)
    assert ids(found.groups[0].cards) == ids(cards[0:2])
    assert cards[2].id in ids(found.alone)


def test_each_unplaced_card_gets_its_likeliest_recommendations_with_why(
    session: Session, meeting: Meeting, group: Group, cards: list[Card]
) -> None:
    create_recommendation(session, group, "End child detention.", ids(cards[0:2]))
    create_recommendation(session, group, "Recognise skills.", [cards[3].id])
    session.commit()
    views = recommendations(session, group)
    likely = likely_recommendations(session, group, [cards[2], cards[4], cards[5]], views)
    assert [x.view.number for x in likely[cards[2].id]] == [1]
    assert likely[cards[2].id][0].shared[:3] == ["Detención", "niños", "migrantes"]
    assert likely[cards[2].id][0].nearest.startswith("Poner fin")
    assert [x.view.number for x in likely[cards[4].id]] == [2]
    assert likely[cards[5].id] == []  # close to nothing: nothing proposed


def test_shared_words_ignore_case_accents_and_short_words() -> None:
    texts = ["La DETENCION de niños", "detención de los Niños", "otra cosa de"]
    assert shared_words(texts) == ["DETENCION", "niños"]


def test_suggest_groups_prints_every_unplaced_card_once_as_json(
    session: Session, group: Group, cards: list[Card], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(cli, "get_engine", lambda: session.get_bind())
    assert cli.main(["suggest-groups", "--group", "human", "--json", "--closeness", "-2"]) == 0
    entries = json.loads(capsys.readouterr().out)
    listed = [card_id for entry in entries for card_id in entry["cards"]]
    assert sorted(listed) == sorted(ids(cards))
    assert entries[0]["cards"] == ids(cards[0:3])
    assert any(reason.startswith("shared words:") for reason in entries[0]["reasons"])
    assert entries[-1] == {"label": TEXTS[5][2], "cards": [cards[5].id], "reasons": []}
    assert cli.main(["suggest-groups", "--group", "nowhere"]) == 1


def test_the_workspace_shows_suggested_groups_and_acts_on_them(
    rapporteur: TestClient, session: Session, group: Group, cards: list[Card]
) -> None:
    page = soup(rapporteur.get("/groups/human?closeness=-2"))
    panel = page.select_one("#suggestions")
    assert "2 suggested groups" in panel.h2.get_text()
    first = panel.select("article.suggestion")[0]
    assert "Shared words:" in first.get_text() and "Spanish" in first.get_text()
    fields = {i["name"]: i["value"] for i in first.select("form")[-1].select("input[name]")}
    # Make a recommendation of the first group, in the rapporteur's words.
    made = rapporteur.post(
        "/groups/human/suggestions",
        data={**fields, "action": "create", "text": "End child detention."},
        follow_redirects=False,
    )
    assert made.status_code == 303
    [view] = recommendations(session, group)
    assert view.recommendation.text == "End child detention."
    assert sorted(c.id for c in view.cards) == sorted(ids(cards[0:3]))
    assert made.headers["location"].endswith(f"#rec-{view.recommendation.id}")
    # The same cards again: no longer in the inbox, refused whole.
    again = rapporteur.post(
        "/groups/human/suggestions", data={**fields, "action": "add", "into": "R1"}
    )
    assert again.status_code == 422 and "no longer all in the inbox" in again.text
    # Add the second group to R1, then nothing is suggested any more.
    second = soup(rapporteur.get("/groups/human?closeness=-2")).select("article.suggestion")[0]
    fields = {i["name"]: i["value"] for i in second.select("form")[-1].select("input[name]")}
    rapporteur.post("/groups/human/suggestions", data={**fields, "action": "add", "into": "R1"})
    session.expire_all()
    assert len(recommendations(session, group)[0].cards) == 5
    assert soup(rapporteur.get("/groups/human?closeness=-2")).select_one("#suggestions") is None


def test_dismiss_and_take_out_from_the_page(
    rapporteur: TestClient, session: Session, group: Group, cards: list[Card]
) -> None:
    panel = soup(rapporteur.get("/groups/human?closeness=-2")).select_one("#suggestions")
    out = panel.select("article.suggestion")[0].select_one("ul form")
    data = {i["name"]: i["value"] for i in out.select("input[name]")}
    assert rapporteur.post("/groups/human/suggestions", data=data).status_code == 200
    found = suggestions(session, group, closeness=-2)
    assert ids(found.groups[0].cards) == ids(cards[1:3])
    dismiss = soup(rapporteur.get("/groups/human?closeness=-2")).select("article.suggestion")[0]
    data = {i["name"]: i["value"] for i in dismiss.select("form")[-1].select("input[name]")}
    rapporteur.post("/groups/human/suggestions", data={**data, "action": "dismiss"})
    assert len(suggestions(session, group, closeness=-2).groups) == 1
    bad = rapporteur.post("/groups/human/suggestions", data={"action": "create", "text": "x"})
    assert bad.status_code == 422


def test_an_inbox_card_is_placed_in_its_likeliest_recommendation_in_one_press(
    rapporteur: TestClient, session: Session, group: Group, cards: list[Card]
) -> None:
    create_recommendation(session, group, "End child detention.", ids(cards[0:2]))
    session.commit()
    page = soup(rapporteur.get("/groups/human"))
    proposal = page.select_one(f"#card-{cards[2].id} .likely")
    assert "Add to R1" in proposal.get_text()
    assert "close to" in proposal.get_text() and "Shared words" in proposal.get_text()
    form = proposal.select_one("form")
    data = {i["name"]: i["value"] for i in form.select("input[name]")}
    rapporteur.post(form["action"], data=data)
    session.expire_all()
    assert len(recommendations(session, group)[0].cards) == 3
    assert soup(rapporteur.get("/groups/human")).select_one(f"#card-{cards[2].id} .likely") is None


@pytest.fixture
def live(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize(
    ("viewport", "javascript"),
    [(PHONE, True), (PHONE, False), ({"width": 1280, "height": 800}, True)],
    ids=["phone", "phone-no-js", "laptop"],
)
def test_a_rapporteur_sorts_through_suggestions_and_likely_buttons_in_a_browser(
    browser: Browser,
    live: str,
    session: Session,
    group: Group,
    cards: list[Card],
    accounts: dict,
    viewport: dict[str, int],
    javascript: bool,
    tmp_path: Path,
) -> None:
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{live}/signin")
    page.fill("input[name=username]", "ravi")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live}/groups/human?closeness=-2")
    panel = page.locator("#suggestions")
    expect(panel.locator("h2")).to_have_text("2 suggested groups")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=tmp_path / "suggestions.png", full_page=True)
    # Peru's card is taken out of the first group; the rest become R1 in the rapporteur's words.
    first = panel.locator("article.suggestion").first
    expect(first.locator("li")).to_have_count(3)
    first.locator("li", has_text="Peru").get_by_role("button", name="Take this card out").click()
    first = page.locator("#suggestions article.suggestion").first
    expect(first.locator("li")).to_have_count(2)
    first.locator("textarea").fill("End the detention of migrant children.")
    first.get_by_role("button", name="Make a recommendation of these cards").click()
    expect(page.locator("#recommendations")).to_contain_text("End the detention of migrant")
    # Peru's card now proposes R1 with why; one press places it and it leaves "to sort".
    peru = page.locator(f"#card-{cards[2].id}")
    expect(peru.locator(".likely")).to_contain_text("close to")
    peru.get_by_role("button", name="Add to R1").click()
    expect(page.locator(f"#card-{cards[2].id} .likely")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
    session.expire_all()
    [view] = recommendations(session, group)
    assert sorted(c.id for c in view.cards) == sorted(ids(cards[0:3]))
