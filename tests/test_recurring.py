"""Recommendations that recur across groups: proposed from the cards' vectors and the
wording's, in any language, and confirmed or rejected by co-facilitators; only a confirmed
idea counts once in the chair's summary."""

import io
import time
from collections.abc import Sequence

import docx
import numpy as np
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app import similarity
from app.embedding import embed_all
from app.grouping import RecommendationView, SupportingCard, create_recommendation
from app.meetings import meeting_groups
from app.models import AuditEvent, Delegation, Group, Meeting, Recommendation, RecurringChoice
from app.recurring import recurring, recurring_among
from app.search import fold
from app.similarity import WORD, Vectors
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, add_card, sign_in_as


def rec(session: Session, meeting: Meeting, slug: str, text: str, *cards: tuple[str, str, str]):
    """A recommendation of a group, in these words, behind cards (delegation, language, text)."""
    group = session.exec(select(Group).where(Group.slug == slug)).one()
    made = [add_card(session, meeting, slug, n, lang, {"commitments": t}) for n, lang, t in cards]
    found = create_recommendation(session, group, text, [c.id for c in made])
    session.commit()
    return found


@pytest.fixture
def detention(session: Session, meeting: Meeting) -> dict[str, Recommendation]:
    """The same idea in three groups (and twice in one), in other words; two other ideas."""
    recs = {
        "human": rec(session, meeting, "human", "End the immigration detention of children",
                     ("Mexico", "en", "No child in immigration detention"),
                     ("Kenya", "en", "Stop detention of migrant children")),
        "national": rec(session, meeting, "national", "National laws end child detention",
                        ("Mexico", "en", "Immigration detention of children must end"),
                        ("Chile", "en", "Children never in detention")),
        "local": rec(session, meeting, "local", "Cities offer alternatives to detention",
                     ("Ghana", "en", "Children should never be in immigration detention")),
        "global": rec(session, meeting, "global", "Open regular pathways for labour migration",
                      ("Mexico", "en", "Regular pathways for labour migration")),
        "regional": rec(session, meeting, "regional", "Share data between regions",
                        ("Chile", "en", "Regional data sharing on labour mobility")),
        "human2": rec(session, meeting, "human", "Care, not detention, for children",
                      ("France", "en", "Children in detention need care")),
    }  # fmt: skip
    embed_all(session)
    return recs


def ids(*recs: Recommendation) -> list[int]:
    return sorted(r.id or 0 for r in recs)


def decide(client: TestClient, key: list[int], decision: str) -> int:
    data = {"recommendations": ",".join(map(str, key)), "decision": decision}
    return client.post("/recurring/choices", data=data, follow_redirects=False).status_code


def test_the_same_idea_in_several_groups_is_proposed_with_why_and_not_yet_counted_once(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict, detention: dict
) -> None:
    result = recurring(session, meeting)
    assert result.recommendations == 6
    [idea] = result.proposed
    assert idea.state == "proposed" and result.confirmed == result.rejected == []
    assert idea.key == ids(*(detention[k] for k in ("human", "human2", "national", "local")))
    assert idea.groups == 3
    assert sorted(d.name for d in idea.delegations) == [
        "Chile",
        "France",
        "Ghana",
        "Kenya",
        "Mexico",
    ]
    assert idea.similarity >= similarity.THRESHOLD
    assert idea.shared[:2] == ["detention", "children"] and idea.languages == ["en"]
    assert result.distinct == 6  # a proposal is not counted as one

    sign_in_as(client, "cora")
    page = client.get("/recurring")
    soup = BeautifulSoup(page.text, "html.parser")
    assert "6 distinct" in soup.select_one(".lead").get_text()
    [box] = soup.select("#proposed > li")
    assert "In 3 groups: 5 delegations" in box.h3.get_text()
    why = box.select_one(".why").get_text()
    assert "Similarity:" in why and "English" in why and "Shared words: detention" in why
    assert [b["value"] for b in box.select("button")] == ["confirm", "reject"]
    assert box.select_one("input[name=recommendations]")["value"] == ",".join(map(str, idea.key))
    assert session.exec(select(RecurringChoice)).all() == []  # a GET never writes


class Concepts:
    """A tiny stand-in for the multilingual model: words of two languages, one meaning each."""

    name = "test-concepts"
    by_language = False
    MEANINGS = {
        "detention": 0, "detencion": 0, "children": 1, "child": 1, "ninos": 1, "ninas": 1,
        "alternatives": 2, "alternativas": 2, "pathways": 3, "vias": 3,
    }  # fmt: skip

    def encode(self, texts: Sequence[str]) -> Vectors:
        vectors = np.zeros((len(texts), 8), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(fold(text)):
                if word in self.MEANINGS:
                    vectors[row, self.MEANINGS[word]] += 1
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def test_an_idea_in_two_languages_is_proposed_by_meaning_not_by_words(
    monkeypatch: pytest.MonkeyPatch, session: Session, meeting: Meeting
) -> None:
    english = rec(session, meeting, "human", "Alternatives to detention for children",
                  ("Mexico", "en", "Use alternatives to child detention"))  # fmt: skip
    spanish = rec(session, meeting, "national", "Alternativas a la detención de niñas y niños",
                  ("Chile", "es", "Alternativas a la detención para los niños"))  # fmt: skip
    rec(session, meeting, "global", "Regular pathways", ("Ghana", "en", "Regular pathways"))
    embed_all(session)
    assert recurring(session, meeting).proposed == []  # no word in common

    monkeypatch.setattr(similarity, "encoder", lambda: Concepts())
    embed_all(session, Concepts())
    [idea] = recurring(session, meeting).proposed
    assert idea.key == ids(english, spanish)
    assert idea.languages == ["en", "es"] and idea.shared == []
    assert idea.similarity > 0.9


def test_co_facilitators_confirm_and_reject_ideas_and_the_log_says_who(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict, detention: dict
) -> None:
    pathways = rec(session, meeting, "regional", "Regular pathways for labour migration",
                   ("Kenya", "en", "Open regular pathways for labour migration"))  # fmt: skip
    embed_all(session)
    [same, pathways_idea] = recurring(session, meeting).proposed
    assert pathways_idea.key == ids(detention["global"], pathways)

    sign_in_as(client, "cora")
    assert decide(client, same.key, "confirm") == 303
    assert decide(client, pathways_idea.key, "reject") == 303
    choices = {tuple(c.recommendation_ids): c for c in session.exec(select(RecurringChoice))}
    assert {k: c.decision for k, c in choices.items()} == {
        tuple(same.key): "confirmed",
        tuple(pathways_idea.key): "rejected",
    }
    assert choices[tuple(same.key)].user_id == accounts["cofacilitator"].id
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
    logged = [(e.action, e.target_id, e.actor_name) for e in events if e.target_type == "recurring"]
    cora = f"{accounts['cofacilitator'].display_name} (cora)"
    assert logged == [
        ("recurring.confirm", ",".join(map(str, same.key)), cora),
        ("recurring.reject", ",".join(map(str, pathways_idea.key)), cora),
    ]
    assert events[-1].detail["labels"] == ["Group 1, R1", "Group 2, R2"]

    # Confirmed: shown as such and counted once; rejected: not proposed again, reading after
    # reading, but kept where it can be proposed again.
    for _reading in range(2):
        result = recurring(session, meeting)
        assert result.proposed == []
        assert [i.key for i in result.confirmed] == [same.key]
        assert [i.key for i in result.rejected] == [pathways_idea.key]
        assert result.distinct == 7 - 3
    soup = BeautifulSoup(client.get("/recurring").text, "html.parser")
    assert "4 distinct" in soup.select_one(".lead").get_text()
    assert soup.select("#proposed > li") == []
    assert [b["value"] for b in soup.select("#confirmed button")] == ["reopen"]
    assert len(soup.select("details.rejected-ideas #rejected > li")) == 1

    # A recommendation of a third group joins the rejected idea: its set changed, proposed again.
    more = rec(session, meeting, "local", "Regular pathways for labour migration, locally",
               ("Ghana", "en", "Regular pathways for labour migration"))  # fmt: skip
    embed_all(session)
    [again] = recurring(session, meeting).proposed
    assert again.key == ids(detention["global"], pathways, more)

    # Taking back a confirmation makes it a proposal again, in the log too.
    assert decide(client, same.key, "reopen") == 303
    result = recurring(session, meeting)
    assert same.key in [i.key for i in result.proposed] and result.confirmed == []
    action = session.exec(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert action == "recurring.reopen"


def test_a_decision_on_what_the_page_no_longer_shows_is_refused_whole(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict, detention: dict
) -> None:
    [idea] = recurring(session, meeting).proposed
    sign_in_as(client, "cora")
    assert decide(client, idea.key, "maybe") == 400
    for key in ([idea.key[0]], idea.key[:2], [999_999, idea.key[0]], []):
        assert decide(client, key, "confirm") == 422, key
    response = client.post(
        "/recurring/choices", data={"recommendations": "²,x,-1", "decision": "confirm"}
    )
    assert response.status_code == 422 and "Reload the page" in response.text
    sign_in_as(client, "ravi")  # a rapporteur reads their groups, but decides nothing here
    assert decide(client, idea.key, "confirm") == 403
    assert session.exec(select(RecurringChoice)).all() == []
    assert session.exec(select(AuditEvent).where(AuditEvent.target_type == "recurring")).all() == []


def summary_section(client: TestClient) -> list[tuple[str, str]]:
    document = docx.Document(io.BytesIO(client.get("/exports/summary.docx").content))
    texts = [p.text for p in document.paragraphs]
    start = texts.index("Recommendations in several groups")
    end = texts.index("Reports of the action groups")
    return [(p.style.name, p.text) for p in document.paragraphs[start + 1 : end]]


def test_the_chairs_summary_counts_a_confirmed_idea_once_and_a_proposal_not(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict, detention: dict
) -> None:
    sign_in_as(client, "cora")
    section = summary_section(client)
    assert section[0][1] == (
        "6 recommendations with cards in all groups; "
        "counting each recurring idea once, 6 distinct recommendations."
    )
    assert ("Normal", "No recommendation recurs in several groups yet.") in section
    assert not [text for style, text in section if style.startswith("List")]

    [idea] = recurring(session, meeting).proposed
    assert decide(client, idea.key, "confirm") == 303
    section = summary_section(client)
    assert section[0][1].endswith("counting each recurring idea once, 3 distinct recommendations.")
    assert [t for s, t in section if s == "List Bullet"] == [
        "In 3 groups: 5 delegations, each counted once"
    ]
    assert [t for s, t in section if s == "List Bullet 2"] == [
        "Group 3, R1: National laws end child detention",
        "Group 4, R1: Cities offer alternatives to detention",
        "Group 6, R1: End the immigration detention of children",
        "Group 6, R2: Care, not detention, for children",
    ]


def test_recurring_among_two_hundred_recommendations_is_quick(
    session: Session, meeting: Meeting
) -> None:
    groups = meeting_groups(session, meeting)
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    topics = [f"topic{n} measure{n} action{n}" for n in range(40)]
    views: list[tuple[Group, list[RecommendationView]]] = []
    for g, group in enumerate(groups):
        mine = []
        for n in range(34):
            text = f"{topics[(n + g) % 40]} in group {group.slug} number {n}"
            r = Recommendation(id=1000 * (g + 1) + n, group_id=group.id or 0, text=text)
            card = SupportingCard(f"card-{g}-{n}", {"commitments": text}, "en")
            mine.append(RecommendationView(r, n + 1, [card], [mexico]))
        views.append((group, mine))
    start = time.perf_counter()
    result = recurring_among(session, meeting, views)
    elapsed = time.perf_counter() - start
    assert result.recommendations == 34 * len(groups) >= 200
    assert result.proposed and all(i.groups > 1 for i in result.proposed)
    assert elapsed < 1.5, elapsed


@pytest.mark.browser
@needs_chromium
def test_on_a_phone_a_co_facilitator_confirms_an_idea_without_sideways_scrolling(
    app: FastAPI, page: Page, accounts: dict, detention: dict
) -> None:
    with serve(app) as url:
        page.goto(f"{url}/recurring")
        page.get_by_label("Username").fill("cora")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="1 proposed idea")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path="/tmp/recurring-proposed-390.png", full_page=True)
        page.get_by_role("button", name="Same idea: count it once").click()
        expect(page.get_by_role("heading", name="1 confirmed idea, counted once")).to_be_visible()
        expect(page.locator(".lead")).to_contain_text("3 distinct recommendations")
        expect(page.get_by_role("button", name="Take back the confirmation")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path="/tmp/recurring-confirmed-390.png", full_page=True)
