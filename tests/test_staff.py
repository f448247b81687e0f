"""Accounts: sign in and out, and the secretariat creating accounts and resetting passwords."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import hasher
from app.models import RapporteurGroup, User, UserSession
from tests.conftest import PASSWORD, browser_like, sign_in_as
from tests.helpers import error_for, soup


def test_sign_in_opens_the_groups_of_the_account(rapporteur: TestClient) -> None:
    page = rapporteur.get("/groups")
    assert [a.get_text() for a in soup(page).select(".group-table h2 a")] == ["6. Human dimension"]


def test_staff_pages_send_strangers_to_sign_in(client: TestClient, accounts: dict) -> None:
    response = client.get("/groups/human", follow_redirects=False)
    assert response.headers["location"] == "/signin?next=/groups/human"


def test_a_wrong_password_is_refused_with_a_message(client: TestClient, accounts: dict) -> None:
    response = client.post("/signin", data={"username": "ravi", "password": "nope"})
    assert response.status_code == 422
    assert "Wrong username or password." in response.text
    assert soup(response).select_one("#username")["value"] == "ravi"
    unknown = client.post("/signin", data={"username": "nobody", "password": PASSWORD})
    assert "Wrong username or password." in unknown.text


def test_sign_out_ends_the_session_on_the_server(
    client: TestClient, accounts: dict, session: Session
) -> None:
    sign_in_as(client, "ravi")
    cookie = client.cookies.get("actioncards")
    assert len(list(session.exec(select(UserSession)))) == 1
    client.post("/signout")
    session.expire_all()
    assert list(session.exec(select(UserSession))) == []
    client.cookies.set("actioncards", cookie)  # replaying the old cookie does not sign in
    assert client.get("/groups", follow_redirects=False).status_code == 303


def test_the_secretariat_creates_an_account(
    client: TestClient, accounts: dict, session: Session
) -> None:
    sign_in_as(client, "sam")
    page = client.get("/accounts")
    [box] = [
        label.input for label in soup(page).select("label.check") if "Regional" in label.get_text()
    ]
    form = {
        "username": "Nadia", "display_name": "Nadia Benali", "role": "rapporteur",
        "password": "a long password", box["name"]: box["value"],
    }  # fmt: skip
    response = client.post("/accounts", data=form)
    assert response.status_code == 200
    assert "Nadia Benali" in response.text
    user = session.exec(select(User).where(User.username == "nadia")).one()
    assert hasher.verify("a long password", user.password_hash)
    assert (
        len(list(session.exec(select(RapporteurGroup).where(RapporteurGroup.user_id == user.id))))
        == 1
    )


def test_account_errors_show_next_to_fields_and_nothing_is_stored(
    client: TestClient, accounts: dict, session: Session
) -> None:
    sign_in_as(client, "sam")
    form = {"username": "ravi", "display_name": "Again", "role": "pirate", "password": "short"}
    response = client.post("/accounts", data=form)
    assert response.status_code == 422
    assert error_for(response, "new-username") == "This username is taken."
    assert error_for(response, "new-role") == "Choose a role."
    assert error_for(response, "new-password") == "Use at least 10 characters."
    assert soup(response).select_one("#new-name")["value"] == "Again"
    assert len(list(session.exec(select(User)))) == 4


def test_a_reset_password_works_and_signs_the_account_out(
    client: TestClient, app, accounts: dict, session: Session
) -> None:  # type: ignore[no-untyped-def]
    with browser_like(app) as ravi:
        sign_in_as(ravi, "ravi")
        sign_in_as(client, "sam")
        rid = accounts["rapporteur"].id
        short = client.post(f"/accounts/{rid}/password", data={"password": "short"})
        assert short.status_code == 422
        assert error_for(short, f"password_{rid}") == "Use at least 10 characters."
        client.post(f"/accounts/{rid}/password", data={"password": "a brand new secret"})
        assert ravi.get("/groups", follow_redirects=False).status_code == 303
        response = ravi.post("/signin", data={"username": "ravi", "password": "a brand new secret"})
        assert response.url.path == "/groups"


def test_only_the_secretariat_manages_accounts(client: TestClient, accounts: dict) -> None:
    sign_in_as(client, "cora")
    assert client.get("/accounts").status_code == 403
    assert client.post("/accounts", data={}).status_code == 403


def test_home_leads_accounts_to_their_groups(rapporteur: TestClient) -> None:
    page = soup(rapporteur.get("/"))
    assert page.select_one("main a.button")["href"] == "/groups"
