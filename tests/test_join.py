"""A delegate signs a phone in with the code on the slip, or is told clearly why not."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.access import ALPHABET, LENGTH, display, new_code, normalize, revoke_code
from app.models import AccessCode, DelegateSession, Meeting
from tests.helpers import error_for, soup


def test_codes_avoid_look_alike_characters() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01OIL5S") & set(ALPHABET)


def test_typed_codes_are_forgiving_about_case_spaces_and_dashes() -> None:
    assert normalize(" hxkm-4729 ") == "HXKM4729"
    assert display("HXKM4729") == "HXKM-4729"


def test_typing_the_code_signs_in_as_the_delegation(client: TestClient, mexico: str) -> None:
    response = client.post("/join", data={"code": display(mexico).lower()})
    assert response.url.path == "/"
    assert "You are writing cards for Mexico." in response.text
    assert soup(response).select_one(".who").get_text(strip=True) == "Mexico"


def test_scanning_the_slip_signs_in(client: TestClient, mexico: str) -> None:
    response = client.get(f"/j/{mexico}")
    assert response.url.path == "/"
    assert "You are writing cards for Mexico." in response.text


def test_join_keeps_the_page_the_person_was_going_to(client: TestClient, mexico: str) -> None:
    page = client.get("/cards/new?group=regional")
    assert page.url.path == "/join"
    response = client.post("/join", data={"code": mexico, "next": "/cards/new?group=regional"})
    assert response.url.path == "/cards/new"
    assert response.url.query == b"group=regional" or str(response.url.query) == "group=regional"


def test_join_never_redirects_to_another_site(client: TestClient, mexico: str) -> None:
    response = client.post(
        "/join", data={"code": mexico, "next": "//evil.example/"}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_a_wrong_code_gets_a_clear_message_and_nothing_else(client: TestClient) -> None:
    response = client.post("/join", data={"code": "HXKM-4729"})
    assert response.status_code == 422
    assert "This code does not work" in error_for(response, "code")
    assert soup(response).select_one("#code")["value"] == "HXKM-4729"
    assert client.get("/cards", follow_redirects=False).status_code == 303


def test_an_empty_code_asks_for_the_code(client: TestClient) -> None:
    response = client.post("/join", data={"code": "  "})
    assert "Type the code printed on your delegation's slip." in error_for(response, "code")


def test_a_wrong_slip_link_lands_on_the_join_form(client: TestClient) -> None:
    response = client.get("/j/NOPE1234")
    assert response.status_code == 404
    assert "This code does not work" in error_for(response, "code")


def test_a_revoked_code_no_longer_signs_in_and_signs_phones_out(
    delegate: TestClient, session: Session, meeting: Meeting, mexico: str
) -> None:
    assert delegate.get("/cards").status_code == 200
    access = session.exec(select(AccessCode).where(AccessCode.code == mexico)).one()
    revoke_code(session, access)
    session.commit()
    assert delegate.get("/cards", follow_redirects=False).status_code == 303
    response = delegate.post("/join", data={"code": mexico})
    assert response.status_code == 422


def test_sign_out(delegate: TestClient) -> None:
    response = delegate.post("/signout")
    assert response.url.path == "/"
    assert delegate.get("/cards", follow_redirects=False).status_code == 303


def test_the_delegation_picker_exists_only_when_the_meeting_allows_it(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    assert client.get("/join/delegation").status_code == 404
    meeting.delegation_picker = True
    session.add(meeting)
    session.commit()
    page = client.get("/join/delegation")
    assert page.status_code == 200
    assert len(soup(page).select("#delegations option")) == 195
    assert client.post("/join/delegation", data={"delegation": ""}).status_code == 422
    wrong = client.post("/join/delegation", data={"delegation": "Atlantis"})
    assert wrong.status_code == 422
    assert "No delegation is called “Atlantis”" in error_for(wrong, "delegation")
    assert soup(wrong).select_one("#delegation")["value"] == "Atlantis"
    response = client.post("/join/delegation", data={"delegation": "holy see "})
    assert "You are writing cards for Holy See." in response.text
    assert client.get("/cards").status_code == 200
    client.cookies.set("lang", "fr")
    response = client.post("/join/delegation", data={"delegation": "Mexique"})
    assert "Mexique" in soup(response).select_one(".who").get_text()


def test_sign_out_ends_the_phones_session_on_the_server(
    client: TestClient, mexico: str, session: Session
) -> None:
    client.post("/join", data={"code": mexico})
    cookie = client.cookies.get("actioncards")
    assert len(session.exec(select(DelegateSession)).all()) == 1
    client.post("/signout")
    session.expire_all()
    assert session.exec(select(DelegateSession)).all() == []
    client.cookies.set("actioncards", cookie)  # a copied cookie signs nobody in
    assert client.get("/cards", follow_redirects=False).status_code == 303


def test_each_sign_in_gets_a_new_session(client: TestClient, mexico: str) -> None:
    client.post("/join", data={"code": mexico})
    first = client.cookies.get("actioncards")
    client.post("/join", data={"code": mexico})
    assert client.cookies.get("actioncards") != first
