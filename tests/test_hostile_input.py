"""Every text field of every form, filled with what no person types, gets an answer, not a 500.

The forms are read from the pages themselves, as a browser would find them, so a new form
or field is covered the day it appears. PostgreSQL refuses NUL bytes in text: the suite runs
there too.
"""

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from app.deps import group_by_slug
from app.grouping import create_recommendation
from app.models import Card, Meeting, User
from tests.conftest import browser_like, code_for, sign_in_as

NASTY = ["a\x00b", "x\x01\x1b[31m\x7f\u202e", "9" * 30]
CARD_ID = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SKIPPED_ACTIONS = ("/signout",)  # it would sign the crawler out before it is done


def forms(page: str, base: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Yield each form's method, action and the values a browser would submit."""
    for form in BeautifulSoup(page, "html.parser").select("form"):
        action = form.get("action") or base
        if action.startswith(SKIPPED_ACTIONS) or urlsplit(action).netloc:
            continue
        values: dict[str, str] = {}
        for node in form.select("input[name], textarea[name], select[name]"):
            kind = node.get("type", "text")
            if (
                node.name == "input"
                and kind in ("checkbox", "radio")
                and not node.has_attr("checked")
            ):
                continue
            if node.name == "textarea":
                values[node["name"]] = node.get_text()
            elif node.name == "select":
                chosen = node.select_one("option[selected]") or node.select_one("option")
                values[node["name"]] = chosen.get("value", "") if chosen else ""
            elif kind not in ("submit", "button", "file"):
                values[node["name"]] = node.get("value", "")
        method = form.get("method", "get").lower()
        buttons = form.select("button[name], input[type=submit][name]")
        if not buttons:
            yield method, action, values
        for button in buttons:  # each named button sends the form its own way
            yield method, action, values | {button["name"]: button.get("value", "")}


def attack(client: TestClient, pages: list[str]) -> int:
    """Submit every form of the pages once per field and nasty value; return how many tries."""
    tries = 0
    found = {}
    for url in pages:
        page = client.get(url)
        assert page.status_code < 500, url
        for method, action, values in forms(page.text, url):
            # The same form on every card is tried once.
            kind = (method, CARD_ID.sub("ID", action), tuple(sorted(values)), values.get("action"))
            found.setdefault(kind, (method, action, values))
    for method, action, values in found.values():
        for name in values:
            for nasty in NASTY:
                data = values | {name: nasty}
                if method == "post":
                    answer = client.post(action, data=data, follow_redirects=False)
                else:
                    answer = client.get(action, params=data, follow_redirects=False)
                assert answer.status_code < 500, (method, action, name, repr(nasty))
                assert "Traceback" not in answer.text
                tries += 1
    return tries


def nothing_stored_with_nul(engine: Engine) -> None:
    """No text of any table holds a NUL byte (SQLite would have kept one)."""
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(select(table)):
                assert "\x00" not in repr(tuple(row)), f"{table.name} kept a NUL byte"


@pytest.fixture
def staged(
    session: Session, meeting: Meeting, human: list[Card], accounts: dict[str, User]
) -> None:
    """A group with recommendations, so that their forms are on the pages."""
    human_group = group_by_slug(session, meeting, "human")
    assert human_group is not None
    create_recommendation(session, human_group, "End child detention.", [human[0].id, human[1].id])
    create_recommendation(session, human_group, "Recognise skills.", [human[2].id])
    session.commit()


def test_no_form_of_a_delegate_answers_500(
    app: FastAPI, engine: Engine, session: Session, meeting: Meeting, human: list[Card]
) -> None:
    with browser_like(app) as client:
        client.post("/join", data={"code": code_for(session, meeting, "Mexico")})
        mine = human[0].id
        pages = ["/", "/cards/new?group=human", "/cards", f"/cards/{mine}", f"/cards/{mine}/edit"]
        assert attack(client, pages) > 20
    nothing_stored_with_nul(engine)


def test_no_form_of_the_sign_in_pages_answers_500(app: FastAPI, engine: Engine) -> None:
    with browser_like(app) as client:
        assert attack(client, ["/join", "/signin"]) > 5
    nothing_stored_with_nul(engine)


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        ("ravi", ["/groups", "/groups/human", "/groups/human/report"]),
        ("cora", ["/overview", "/groups/human/review", "/search", "/delegations", "/recurring"]),
        ("sam", ["/accounts", "/audit"]),
    ],
)
def test_no_form_of_the_staff_answers_500(
    app: FastAPI, engine: Engine, staged: None, human: list[Card], username: str, pages: list[str]
) -> None:
    with browser_like(app) as client:
        sign_in_as(client, username)
        if username == "ravi":
            pages = [*pages, f"/groups/human/cards/{human[0].id}"]
        assert attack(client, pages) > 20
    nothing_stored_with_nul(engine)


def test_the_crawler_reads_every_kind_of_field() -> None:
    page = """<form method="post" action="/x"><input name="a" value="1">
      <textarea name="b">two</textarea><select name="c"><option value="3" selected></select>
      <input type="checkbox" name="d" value="4"><input type="checkbox" name="e" value="5" checked>
      <button type="submit" name="f" value="6">Go</button></form>
      <form action="/signout" method="post"><input name="g"></form>"""
    fields = {"a": "1", "b": "two", "c": "3", "e": "5"}
    assert list(forms(page, "/")) == [("post", "/x", fields | {"f": "6"})]


def test_control_characters_in_a_path_or_query_are_not_taken_to_the_database(
    client: TestClient, staged: None
) -> None:
    sign_in_as(client, "ravi")
    assert client.get("/groups/hu%00man").status_code == 404
    assert client.get("/api/cards/%14").json() == {"detail": "This page does not exist."}
    assert client.get("/groups/human?q=a%00b").status_code == 200
    answer = client.get("/search?q=deten%00tion&kind=%00")
    assert answer.status_code in (200, 403)
    found = client.get("/groups/human?q=child%00")
    assert "End child immigration detention." in found.text  # searched as "child"
