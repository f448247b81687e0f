"""Integrations create and read cards through /api with the same rules as the form."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Meeting
from app.settings import get_settings
from tests.conftest import code_for
from tests.helpers import cards

CARD = {
    "group": "regional",
    "answers": {"commitments": "Portability of social security within regions."},
    "language": "es",
}


def auth(code: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {code}"}


def test_openapi_documents_the_card_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/cards", "/api/cards/{card_id}", "/api/groups/{slug}/cards", "/api/groups"} <= set(
        paths
    )
    assert "/cards" not in paths  # HTML pages are not the API


def test_create_and_read_a_card(client: TestClient, mexico: str, session: Session) -> None:
    response = client.post("/api/cards", json=CARD, headers=auth(mexico))
    assert response.status_code == 201
    body = response.json()
    assert body["delegation"] == {"name": "Mexico", "kind": "member_state"}
    assert body["group"] == "regional"
    assert body["answers"] == CARD["answers"]
    assert (body["status"], body["version"]) == ("active", 1)
    read = client.get(f"/api/cards/{body['id']}", headers=auth(mexico)).json()
    assert read["answers"] == CARD["answers"]
    assert [v["action"] for v in read["versions"]] == ["create"]
    assert cards(session)[0].source == "api"


def test_the_client_card_id_makes_retries_safe(
    client: TestClient, mexico: str, session: Session
) -> None:
    card_id = str(uuid.uuid4())
    first = client.post("/api/cards", json=CARD | {"id": card_id}, headers=auth(mexico))
    again = client.post("/api/cards", json=CARD | {"id": card_id}, headers=auth(mexico))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] == card_id
    assert len(cards(session)) == 1


def test_an_idempotency_key_makes_retries_safe(
    client: TestClient, mexico: str, session: Session
) -> None:
    headers = auth(mexico) | {"Idempotency-Key": "batch-7-card-3"}
    first = client.post("/api/cards", json=CARD, headers=headers)
    again = client.post("/api/cards", json=CARD, headers=headers)
    other = client.post("/api/cards", json=CARD, headers=auth(mexico) | {"Idempotency-Key": "x"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    assert len(cards(session)) == 2


def test_a_retry_finds_its_card_even_when_the_delegation_is_at_its_limit(
    client: TestClient, mexico: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repeat is looked for before the rate: it stores nothing, so it costs nothing."""
    monkeypatch.setattr(get_settings(), "cards_per_minute_per_delegation", 2)
    first_id = str(uuid.uuid4())
    first = client.post("/api/cards", json=CARD | {"id": first_id}, headers=auth(mexico))
    client.post("/api/cards", json=CARD, headers=auth(mexico))
    over = client.post("/api/cards", json=CARD, headers=auth(mexico))
    again = client.post("/api/cards", json=CARD | {"id": first_id}, headers=auth(mexico))
    assert (first.status_code, over.status_code, again.status_code) == (201, 429, 200)
    assert again.json()["id"] == first_id
    assert len(cards(session)) == 2


def test_the_same_key_from_two_delegations_makes_two_cards(
    client: TestClient, mexico: str, session: Session, meeting: Meeting
) -> None:
    france = code_for(session, meeting, "France")
    for code in (mexico, france):
        response = client.post(
            "/api/cards", json=CARD, headers=auth(code) | {"Idempotency-Key": "k"}
        )
        assert response.status_code == 201
    assert len(cards(session)) == 2


def test_validation_matches_the_form(client: TestClient, mexico: str, session: Session) -> None:
    bad = {
        "group": "regional",
        "answers": {"priorities": "p" * 1001, "wishes": "more"},
        "language": "tlh",
        "author_name": "a" * 121,
    }
    response = client.post("/api/cards", json=bad, headers=auth(mexico))
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert errors == {
        ("body", "answers", "commitments"): "This answer is required.",
        ("body", "answers", "priorities"): "Keep this answer under 1,000 characters (now 1,001).",
        ("body", "answers", "wishes"): "This group does not ask this question.",
        ("body", "language"): "Choose the language the card is written in.",
        ("body", "author_name"): "Keep the name under 120 characters (now 121).",
    }
    assert cards(session) == []


def test_malformed_bodies_get_422_not_500(client: TestClient, mexico: str) -> None:
    for body in ({}, {"group": 5, "answers": [], "language": None}, {"id": "not-a-uuid", **CARD}):
        response = client.post("/api/cards", json=body, headers=auth(mexico))
        assert response.status_code == 422, body
    response = client.post(
        "/api/cards",
        content=b"{not json",
        headers=auth(mexico) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_without_a_valid_code_the_api_answers_401(client: TestClient) -> None:
    assert client.post("/api/cards", json=CARD).status_code == 401
    assert client.post("/api/cards", json=CARD, headers=auth("WRONG234")).status_code == 401
    assert client.get("/api/groups/global/cards").status_code == 401


def test_a_delegation_reads_only_its_own_cards(
    client: TestClient, mexico: str, session: Session, meeting: Meeting
) -> None:
    france = code_for(session, meeting, "France")
    mine = client.post("/api/cards", json=CARD, headers=auth(mexico)).json()
    client.post("/api/cards", json=CARD, headers=auth(france))
    listed = client.get("/api/groups/regional/cards", headers=auth(mexico)).json()
    assert [c["id"] for c in listed] == [mine["id"]]
    assert client.get(f"/api/cards/{mine['id']}", headers=auth(france)).status_code == 404
    assert client.get("/api/groups/nowhere/cards", headers=auth(mexico)).status_code == 404
    reuse = client.post("/api/cards", json=CARD | {"id": mine["id"]}, headers=auth(france))
    assert reuse.status_code == 409


def test_closed_intake_refuses_api_cards(
    client: TestClient, mexico: str, session: Session, meeting: Meeting
) -> None:
    meeting.intake_open = False
    session.add(meeting)
    session.commit()
    response = client.post("/api/cards", json=CARD, headers=auth(mexico))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "group"]


def test_groups_are_listed_with_their_questions(client: TestClient) -> None:
    groups = client.get("/api/groups").json()
    assert [g["slug"] for g in groups] == [
        "global",
        "regional",
        "national",
        "local",
        "community",
        "human",
        "follow-up",
    ]
    assert [q["key"] for q in groups[0]["questions"]] == [
        "priorities",
        "commitments",
        "means",
        "partnerships",
    ]


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
