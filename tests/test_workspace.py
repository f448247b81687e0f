"""A rapporteur turns the group's cards into recommendations, and nothing gets lost."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit import Actor
from app.cards import withdraw_card
from app.grouping import recommendations
from app.meetings import meeting_groups
from app.models import Card, LastLook, Meeting, Recommendation, SetAside, Support
from tests.conftest import CARDS, add_card
from tests.helpers import error_for, soup


def numbers(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.get_text() for a in soup(page).select(".ws-card h3 a")]


def test_the_workspace_lists_the_groups_cards_in_order_of_arrival(
    rapporteur: TestClient, human: list[Card]
) -> None:
    page = rapporteur.get("/groups/human")
    assert numbers(page) == ["#1", "#2", "#3", "#4", "#5"]
    first = soup(page).select_one(".ws-card")
    assert "Mexico" in first.h3.get_text()
    assert "Member State" in first.get_text() and "Spanish" in first.get_text()
    assert "Poner fin a la detención" in first.get_text()
    assert "5 cards: 5 in the inbox" in " ".join(
        soup(page).select_one("#progress").get_text().split()
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("language=fr", ["#2"]),
        # Neither case nor accents matter, in the typed words or in the cards.
        ("q=detention", ["#2", "#5"]),
        ("q=D%C3%89TENTION", ["#2", "#5"]),
        ("q=detencion", ["#1"]),
        ("q=mexique", ["#1", "#4"]),  # a delegation by its name in another language
        ("q=kenya", ["#5"]),
        ("kind=member_state&language=en", ["#3", "#5"]),
        ("status=withdrawn", []),
        ("q=100%25", []),  # a % is searched for, not a wildcard
    ],
)
def test_filters(
    rapporteur: TestClient, human: list[Card], query: str, expected: list[str]
) -> None:
    assert numbers(rapporteur.get(f"/groups/human?{query}")) == expected


def test_grouping_cards_into_a_recommendation(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    mexico, belgium, philippines, off_topic, kenya = human
    rapporteur.post(f"/groups/human/cards/{mexico.id}/support", data={"recommendation": "new"})
    [rec] = session.exec(select(Recommendation)).all()
    assert rec.text == CARDS[0][2]["commitments"]
    for card in (belgium, kenya):
        rapporteur.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "R1"})
    rapporteur.post(
        f"/groups/human/recommendations/{rec.id}",
        data={"action": "edit", "text": "End the immigration detention of children."},
    )
    session.expire_all()
    group = meeting_groups(session, session.exec(select(Meeting)).one())[5]
    [view] = recommendations(session, group)
    assert view.recommendation.text == "End the immigration detention of children."
    assert [d.name for d in view.delegations] == ["Mexico", "Belgium", "Kenya"]
    assert view.kinds == {"member_state": 3}
    assert view.means == ["Alternativas comunitarias", "alternatives communautaires"]
    assert view.partnerships == ["UNICEF"]  # "unicef" on another card is the same partner
    page = rapporteur.get("/groups/human")
    assert "2 in the inbox" in page.text and "3 in recommendations" in page.text
    assert "Not yet reflected in the report: 2 cards from 2 delegations" in page.text
    assert "Mexico, Philippines" in soup(page).select_one("#progress details p").get_text()


def test_setting_aside_with_a_reason_and_restoring(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    mexico, belgium, _philippines, off_topic, kenya = human
    rapporteur.post(f"/groups/human/cards/{off_topic.id}/set-aside", data={"reason": "off_topic"})
    rapporteur.post(
        f"/groups/human/cards/{kenya.id}/set-aside",
        data={"reason": "duplicate", "duplicate_of": "#2"},
    )
    asides = {a.card_id: a for a in session.exec(select(SetAside))}
    assert asides[off_topic.id].reason == "off_topic"
    assert asides[kenya.id].duplicate_of == belgium.id
    page = rapporteur.get("/groups/human?status=set_aside")
    assert numbers(page) == ["#4", "#5"]
    assert "Set aside: duplicate" in page.text
    rapporteur.post(f"/groups/human/cards/{kenya.id}/set-aside", data={"reason": "restore"})
    assert numbers(rapporteur.get("/groups/human?status=set_aside")) == ["#4"]


def test_every_card_is_in_exactly_one_place(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    mexico, belgium, philippines, off_topic, kenya = human
    rapporteur.post(f"/groups/human/cards/{mexico.id}/support", data={"recommendation": "new"})
    rapporteur.post(f"/groups/human/cards/{off_topic.id}/set-aside", data={"reason": "off_topic"})
    withdraw_card(session, kenya, Actor("delegation", kenya.delegation_id, "Kenya"))
    places = {}
    for status in ("inbox", "grouped", "set_aside", "withdrawn"):
        for number in numbers(rapporteur.get(f"/groups/human?status={status}")):
            assert number not in places
            places[number] = status
    assert places == {
        "#1": "grouped",
        "#2": "inbox",
        "#3": "inbox",
        "#4": "set_aside",
        "#5": "withdrawn",
    }
    # Grouping a set-aside card brings it back into the report.
    [rec] = session.exec(select(Recommendation)).all()
    rapporteur.post(f"/groups/human/cards/{off_topic.id}/support", data={"recommendation": "1"})
    assert numbers(rapporteur.get("/groups/human?status=set_aside")) == []


def test_merge_split_move_reorder_and_delete(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    mexico, belgium, philippines, _off, kenya = human
    for card in (mexico, philippines):
        rapporteur.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "new"})
    first, second = session.exec(select(Recommendation).order_by(Recommendation.position)).all()
    rapporteur.post(f"/groups/human/cards/{kenya.id}/support", data={"recommendation": "R2"})
    # Kenya's card was put in the wrong place: move it.
    rapporteur.post(f"/groups/human/cards/{kenya.id}/support/{second.id}/delete", data={"to": "R1"})
    session.expire_all()
    assert session.get(Support, (first.id, kenya.id)) and not session.get(
        Support, (second.id, kenya.id)
    )
    rapporteur.post(f"/groups/human/recommendations/{second.id}", data={"action": "up"})
    session.expire_all()
    ordered = session.exec(select(Recommendation).order_by(Recommendation.position)).all()
    assert [r.id for r in ordered] == [second.id, first.id]
    rapporteur.post(
        f"/groups/human/recommendations/{second.id}",
        data={"action": "merge", "into": "R2"},  # first is R2 now
    )
    session.expire_all()
    assert [r.id for r in session.exec(select(Recommendation))] == [first.id]
    split = {"action": "split", "card_1": philippines.id, "split_text": "Recognise skills."}
    rapporteur.post(f"/groups/human/recommendations/{first.id}", data=split)
    session.expire_all()
    new = session.exec(
        select(Recommendation).where(Recommendation.text == "Recognise skills.")
    ).one()
    assert [
        s.card_id for s in session.exec(select(Support).where(Support.recommendation_id == new.id))
    ] == [philippines.id]
    rapporteur.post(f"/groups/human/recommendations/{new.id}", data={"action": "delete"})
    assert numbers(rapporteur.get("/groups/human?status=inbox")) == ["#2", "#3", "#4"]


def test_after_a_change_a_recommendation_comes_back_into_view(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    """Without JavaScript the page reloads: at the recommendation acted on, not at the top."""
    mexico, _belgium, philippines, _off, _kenya = human
    for card in (mexico, philippines):
        rapporteur.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "new"})
    first, second = session.exec(select(Recommendation).order_by(Recommendation.position)).all()
    page = "/groups/human?status=inbox"

    def back_to(rec: Recommendation, **data: str) -> str:
        url = f"/groups/human/recommendations/{rec.id}"
        response = rapporteur.post(url, data={"next": page, **data}, follow_redirects=False)
        return str(response.headers["location"])

    assert back_to(first, action="edit", text="Fair recruitment.") == f"{page}#rec-{first.id}"
    assert back_to(first, action="down") == f"{page}#rec-{first.id}"
    assert back_to(first, action="merge", into="R1") == f"{page}#rec-{second.id}"
    split = {"action": "split", "card_1": philippines.id, "split_text": "Recognise skills."}
    new = back_to(second, **split)
    [made] = session.exec(select(Recommendation).where(Recommendation.text == "Recognise skills."))
    assert new == f"{page}#rec-{made.id}"
    assert back_to(made, action="delete") == f"{page}#recommendations"
    created = rapporteur.post(
        "/groups/human/recommendations",
        data={"next": page, "text": "Portable social protection."},
        follow_redirects=False,
    )
    [latest] = session.exec(
        select(Recommendation).where(Recommendation.text.startswith("Portable"))
    )  # type: ignore[attr-defined]
    assert created.headers["location"] == f"{page}#rec-{latest.id}"
    assert f'id="rec-{latest.id}"' in rapporteur.get(page).text


def test_tags_themes_and_the_rapporteurs_own(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    page = rapporteur.get("/groups/human")
    themes = [o.get_text() for o in soup(page).select("#f-tag option")][1:]
    assert themes[0] == "Human rights, inclusion and non-discrimination" and len(themes) == 6
    card = human[0]
    theme = soup(page).select_one("#f-tag option[value]:not([value=''])")["value"]
    rapporteur.post(f"/groups/human/cards/{card.id}/tags", data={"tag": theme})
    rapporteur.post(f"/groups/human/cards/{card.id}/tags", data={"new_tag": "Children"})
    page = rapporteur.get("/groups/human")
    assert [li.contents[0].strip() for li in soup(page).select(f"#card-{card.id} .chips li")] == [
        "Human rights, inclusion and non-discrimination",
        "Children",
    ]
    children = [
        o["value"] for o in soup(page).select("#f-tag option") if o.get_text() == "Children"
    ][0]
    assert numbers(rapporteur.get(f"/groups/human?tag={children}")) == ["#1"]
    rapporteur.post(
        f"/groups/human/cards/{card.id}/tags", data={"tag": children, "action": "remove"}
    )
    assert numbers(rapporteur.get(f"/groups/human?tag={children}")) == []


def test_htmx_actions_answer_with_the_card_and_the_updated_columns(
    rapporteur: TestClient, human: list[Card]
) -> None:
    response = rapporteur.post(
        f"/groups/human/cards/{human[0].id}/support",
        data={"recommendation": "new"},
        headers={"HX-Request": "true"},
    )
    page = soup(response)
    assert page.select_one(f"article#card-{human[0].id}") is not None
    assert page.select_one("#recommendations[hx-swap-oob]") is not None
    assert page.select_one("#progress[hx-swap-oob]") is not None
    assert "<html" not in response.text


def test_new_cards_arrive_and_are_counted_since_the_last_look(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    first = rapporteur.get("/groups/human")
    poller = soup(first).select_one("#poller")["hx-get"]
    seen = {i["name"]: i["value"] for i in soup(first).select("form[action$='/seen'] input")}
    rapporteur.post("/groups/human/seen", data=seen)
    assert "New" not in [b.get_text() for b in soup(first).select(".badge")]
    add_card(
        session,
        meeting,
        "human",
        "Ghana",
        "en",
        {"commitments": "Protect migrant domestic workers."},
    )
    arrivals = rapporteur.get(poller, headers={"HX-Request": "true"})
    assert "Protect migrant domestic workers." in arrivals.text
    assert "1 new card arrived." in arrivals.text
    assert soup(arrivals).select_one("#poller[hx-swap-oob]")["hx-get"] != poller
    again = rapporteur.get("/groups/human")
    assert "1 new card since your last look" in again.text
    assert [b.get_text() for b in soup(again).select(".badge.new")] == ["New"]


def test_opening_the_workspace_writes_nothing_marking_it_seen_does(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    page = soup(rapporteur.get("/groups/human"))
    assert session.exec(select(LastLook)).all() == []  # a GET remembers nothing
    assert "From then on, new and changed cards are marked." in page.get_text()
    fields = {i["name"]: i["value"] for i in page.select("form[action$='/seen'] input")}
    # A card stored after the page was shown, before the click, stays new.
    add_card(session, meeting, "human", "Ghana", "en", {"commitments": "Protect domestic workers."})
    after = soup(rapporteur.post("/groups/human/seen", data=fields))
    assert len(session.exec(select(LastLook)).all()) == 1
    assert "1 new card since your last look (marked New)." in after.get_text()
    assert [b.get_text() for b in after.select(".badge.new")] == ["New"]
    # A time that is not one is taken as now; nothing breaks.
    rapporteur.post("/groups/human/seen", data={"shown_at": "yesterday\x00"})
    assert "since your last look" not in rapporteur.get("/groups/human").text


def test_one_card_at_a_time_with_previous_and_next(
    rapporteur: TestClient, human: list[Card]
) -> None:
    page = rapporteur.get(f"/groups/human/cards/{human[1].id}?language=es")
    # Within the filter (Spanish cards: #1 and #4), card #2 is not there: no neighbours.
    assert soup(page).select_one("a[rel=next]") is None
    page = rapporteur.get(f"/groups/human/cards/{human[1].id}")
    assert (
        soup(page)
        .select_one("a[rel=prev]")["href"]
        .startswith(f"/groups/human/cards/{human[0].id}")
    )
    assert (
        soup(page)
        .select_one("a[rel=next]")["href"]
        .startswith(f"/groups/human/cards/{human[2].id}")
    )
    assert "2 of 5" in page.text


def test_bad_workspace_requests_get_messages_not_crashes(
    rapporteur: TestClient, human: list[Card]
) -> None:
    card = human[0].id
    assert rapporteur.get("/groups/human/arrivals?after=yesterday").status_code == 400
    assert (
        rapporteur.post(f"/groups/human/cards/{card}/set-aside", data={"reason": "x"}).status_code
        == 400
    )
    assert (
        rapporteur.post(
            f"/groups/human/cards/{card}/support", data={"recommendation": "99"}
        ).status_code
        == 422
    )
    assert rapporteur.post("/groups/human/recommendations", data={"text": " "}).status_code == 400
    no_tag = rapporteur.post(f"/groups/human/cards/{card}/tags", data={"tag": "99"})
    assert no_tag.status_code == 422 and "Choose a tag, or write a new one." in no_tag.text
    assert (
        rapporteur.post("/groups/human/recommendations/1", data={"action": "x"}).status_code == 404
    )
    assert rapporteur.get("/groups/human?page=abc&tag=x&status=nope").status_code == 200


def test_an_unknown_recommendation_number_is_explained_at_the_card(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    card = human[0]
    response = rapporteur.post(
        f"/groups/human/cards/{card.id}/support", data={"recommendation": "R9"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 422
    assert error_for(response, f"rec-{card.id}") == (
        "There is no recommendation R9. Use a number from the list."
    )
    plain = rapporteur.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "R9"})
    assert plain.status_code == 422 and "There is no recommendation R9." in plain.text
    assert session.exec(select(Support)).all() == []


def test_filtering_with_htmx_answers_with_the_card_list_only(
    rapporteur: TestClient, human: list[Card]
) -> None:
    response = rapporteur.get("/groups/human?language=fr", headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert soup(response).select_one("section#cards") is not None
    assert numbers(response) == ["#2"]
    assert response.headers["vary"].startswith("HX-Request")


def test_an_empty_recommendation_is_explained_not_called_missing(
    rapporteur: TestClient, human: list[Card]
) -> None:
    response = rapporteur.post("/groups/human/recommendations", data={"text": " "})
    assert response.status_code == 400
    assert "The request was not understood" in response.text


def test_a_card_behind_two_recommendations_repeats_no_id(
    rapporteur: TestClient, human: list[Card]
) -> None:
    for _new in range(2):  # two recommendations written from the same card
        rapporteur.post(f"/groups/human/cards/{human[0].id}/support", data={"recommendation": ""})
    ids = [node["id"] for node in soup(rapporteur.get("/groups/human")).select("[id]")]
    assert len(ids) == len(set(ids))  # focus and hints find their element by id


def test_a_split_or_a_move_names_only_cards_behind_the_recommendation(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    """A rapporteur of one group cannot reach another group's cards by naming them."""
    mexico, belgium, *_rest = human
    rapporteur.post(f"/groups/human/cards/{mexico.id}/support", data={"recommendation": "new"})
    [rec] = session.exec(select(Recommendation)).all()
    other = add_card(session, meeting, "global", "France", "fr", {"commitments": "Autre."})
    session.add(SetAside(card_id=other.id, reason="off_topic"))
    session.commit()
    url = f"/groups/human/recommendations/{rec.id}"
    for stranger in (other.id, belgium.id, "00000000-0000-0000-0000-000000000000", "x"):
        split = {"action": "split", "card_1": stranger, "split_text": "Taken."}
        answer = rapporteur.post(url, data=split)
        assert answer.status_code == 422, stranger
        assert "Only cards behind this recommendation" in answer.text
    answer = rapporteur.post(url, data={"action": "split", "split_text": "Nothing chosen."})
    assert answer.status_code == 422 and "Choose the cards" in answer.text
    move = f"/groups/human/cards/{belgium.id}/support/{rec.id}/delete"
    assert rapporteur.post(move, data={"to": "R1"}).status_code == 404
    session.expire_all()
    assert [r.text for r in session.exec(select(Recommendation))] == [rec.text]
    assert session.get(SetAside, other.id) is not None  # the other group's set-aside stays
    assert session.exec(select(Support)).all() == [
        Support(recommendation_id=rec.id, card_id=mexico.id, card_version=1)
    ]
