"""Accounts: sign in and out, and the secretariat creating, changing and deactivating them."""

import os

import pytest
from bs4 import Tag
from fastapi.testclient import TestClient
from httpx2 import Response
from playwright.sync_api import Page
from sqlmodel import Session, col, select

from app.auth import hasher
from app.models import AuditEvent, Group, RapporteurGroup, User, UserSession
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, browser_like, sign_in_as
from tests.helpers import error_for, form_fields, soup


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
        label.input
        for label in soup(page).select('form[action="/accounts"] label.check')
        if "Regional" in label.get_text()
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


def test_names_are_one_whatever_their_case(
    client: TestClient, accounts: dict, session: Session
) -> None:
    sign_in_as(client, "sam")
    form = {"username": " RAVI ", "display_name": "", "role": "rapporteur", "password": "x" * 12}
    response = client.post("/accounts", data=form)
    assert error_for(response, "new-username") == "This username is taken."
    assert len(list(session.exec(select(User)))) == 4


def ticked_fields(response: Response, selector: str) -> dict[str, str]:
    """What a browser submits for a form: its fields, and only the boxes that are ticked."""
    fields = form_fields(response, selector)
    boxes = soup(response).select(f"{selector} input[type=checkbox]")
    return {
        k: v
        for k, v in fields.items()
        if k not in {b["name"] for b in boxes if not b.has_attr("checked")}
    }


def account_page(client: TestClient, account_id: int) -> Tag:
    """The block of one account on /accounts."""
    block = soup(client.get("/accounts")).select_one(f"#account-{account_id}")
    assert block is not None
    return block


def test_the_secretariat_deactivates_an_account_and_its_sessions_end(
    app, client: TestClient, accounts: dict, session: Session
) -> None:  # type: ignore[no-untyped-def]
    rid = accounts["rapporteur"].id
    with browser_like(app) as ravi:
        sign_in_as(ravi, "ravi")
        sign_in_as(client, "sam")
        response = client.post(f"/accounts/{rid}/deactivate")
        assert response.url.path == "/accounts"
        assert "Deactivated" in account_page(client, rid).get_text()
        assert ravi.get("/groups", follow_redirects=False).status_code == 303
        again = ravi.post("/signin", data={"username": "ravi", "password": PASSWORD})
        assert again.status_code == 422
        assert error_for(again, "username") == "Wrong username or password."
        session.expire_all()
        assert list(session.exec(select(UserSession).where(UserSession.user_id == rid))) == []
        client.post(f"/accounts/{rid}/activate")
        sign_in_as(ravi, "ravi")
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
    assert actions == ["account.deactivate", "account.activate"]


def test_the_secretariat_changes_a_role_and_groups(
    client: TestClient, accounts: dict, session: Session
) -> None:
    rid = accounts["rapporteur"].id
    sign_in_as(client, "sam")
    form = ticked_fields(client.get("/accounts"), f"#account-{rid} form.account-update")
    assert form == {"role": "rapporteur", "group_human": "human"}
    del form["group_human"]
    response = client.post(f"/accounts/{rid}", data=form | {"group_global": "global"})
    assert response.url.path == "/accounts"
    assert "1. Global dimension" in account_page(client, rid).get_text()
    session.expire_all()
    links = session.exec(select(RapporteurGroup).where(RapporteurGroup.user_id == rid)).all()
    assert [session.get(Group, link.group_id).slug for link in links] == ["global"]  # type: ignore[union-attr]
    client.post(f"/accounts/{rid}", data={"role": "cofacilitator", "group_global": "global"})
    session.expire_all()
    assert session.get(User, rid).role == "cofacilitator"  # type: ignore[union-attr]
    assert session.exec(select(RapporteurGroup).where(RapporteurGroup.user_id == rid)).all() == []
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "account.update")).all()
    assert [e.detail for e in events] == [
        {"role": "rapporteur", "groups": ["global"]},
        {"role": "cofacilitator", "groups": []},
    ]


def test_a_bad_role_is_shown_next_to_its_field_and_nothing_changes(
    client: TestClient, accounts: dict, session: Session
) -> None:
    rid = accounts["rapporteur"].id
    sign_in_as(client, "sam")
    response = client.post(f"/accounts/{rid}", data={"role": "pirate", "group_global": "global"})
    assert response.status_code == 422
    assert error_for(response, f"role-{rid}") == "Choose a role."
    assert soup(response).select_one(f"#account-{rid} details")["open"] is not None
    assert soup(response).select_one(f"#account-{rid} input[name=group_global]").has_attr("checked")
    session.expire_all()
    assert session.get(User, rid).role == "rapporteur"  # type: ignore[union-attr]
    assert session.exec(select(AuditEvent)).all() == []
    missing = client.post("/accounts/999/deactivate")
    assert missing.status_code == 404


def test_the_last_secretariat_account_stays(
    client: TestClient, accounts: dict, session: Session
) -> None:
    sid = accounts["secretariat"].id
    sign_in_as(client, "sam")
    message = "The meeting needs an active secretariat account: make another one first."
    response = client.post(f"/accounts/{sid}/deactivate")
    assert response.status_code == 422
    assert error_for(response, f"deactivate-{sid}") == message
    demoted = client.post(f"/accounts/{sid}", data={"role": "rapporteur"})
    assert demoted.status_code == 422
    assert error_for(demoted, f"role-{sid}") == message
    session.expire_all()
    sam = session.get(User, sid)
    assert sam is not None and sam.active and sam.role == "secretariat"
    # With a second one, either may go.
    cora = accounts["cofacilitator"]
    client.post(f"/accounts/{cora.id}", data={"role": "secretariat"})
    assert client.post(f"/accounts/{sid}/deactivate", follow_redirects=False).status_code == 303
    assert client.get("/accounts", follow_redirects=False).status_code == 303  # signed out


@pytest.mark.browser
@needs_chromium
def test_accounts_fit_a_phone(app, page: Page, accounts: dict) -> None:  # type: ignore[no-untyped-def]
    with serve(app) as url:
        page.goto(f"{url}/signin")
        page.fill("#username", "sam")
        page.fill("#password", PASSWORD)
        page.click("form.join button[type=submit]")
        page.wait_for_url(f"{url}/overview")
        page.goto(f"{url}/accounts")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        page.locator(f"#deactivate-{accounts['secretariat'].id}").click()
        page.wait_for_selector(f"#account-{accounts['secretariat'].id} .error")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if shots := os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{shots}/accounts-phone.png", full_page=True)
