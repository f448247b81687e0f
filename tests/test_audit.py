"""The audit log records who did what, and the secretariat can read and export it."""

import csv
import io
import json
import os
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from app import audit
from app.grouping import create_recommendation
from app.models import AuditEvent, Card, Group, Meeting
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, add_card, make_user, sign_in_as
from tests.helpers import form_fields, soup


def test_changes_by_delegations_and_rapporteurs_are_logged(
    delegate: TestClient, session: Session, accounts: dict
) -> None:
    form = form_fields(delegate.get("/cards/new?group=human"))
    delegate.post("/cards", data=form | {"answers.commitments": "=cmd|' /C calc'!A0"})
    delegate.post("/cards", data=form | {"answers.commitments": "=cmd|' /C calc'!A0"})  # repeat
    card_id = form["card_id"]
    edit = form_fields(delegate.get(f"/cards/{card_id}/edit"))
    delegate.post(f"/cards/{card_id}/edit", data=edit | {"answers.commitments": "Better."})
    delegate.post("/signout")
    sign_in_as(delegate, "ravi")
    delegate.post(f"/groups/human/cards/{card_id}/support", data={"recommendation": "new"})
    delegate.post(f"/groups/human/cards/{card_id}/tags", data={"new_tag": "Children"})
    report = form_fields(delegate.get("/groups/human/report"), "form#report-form")
    delegate.post("/groups/human/report", data=report | {"summary": "S"})
    log = [(e.actor_name, e.action, e.target_id) for e in session.exec(select(AuditEvent))]
    assert log == [
        ("Mexico", "card.create", card_id),
        ("Mexico", "card.edit", card_id),
        ("Ravi (ravi)", "recommendation.create", log[2][2]),
        ("Ravi (ravi)", "card.group", card_id),
        ("Ravi (ravi)", "card.tag", card_id),
        ("Ravi (ravi)", "report.save", log[5][2]),
    ]
    assert session.get(Card, card_id) is not None


def test_the_secretariat_reads_and_exports_the_log(
    delegate: TestClient, session: Session, accounts: dict
) -> None:
    form = form_fields(delegate.get("/cards/new?group=human"))
    delegate.post("/cards", data=form | {"answers.commitments": "x"})
    delegate.post(f"/cards/{form['card_id']}/withdraw")
    delegate.post(f"/cards/{form['card_id']}/restore")
    delegate.post(f"/cards/{form['card_id']}/withdraw")
    delegate.post("/signout")
    sign_in_as(delegate, "sam")
    assert [what for _group, what in logged(delegate, "?action=card")] == [
        "Mexico withdrew card #1.",
        "Mexico brought back card #1, withdrawn before.",
        "Mexico withdrew card #1.",
        "Mexico sent card #1.",
    ]
    assert logged(delegate, "?action=card.create") == [
        ("6. Human dimension", "Mexico sent card #1.")
    ]
    assert logged(delegate, "?action=report") == []
    exported = delegate.get("/audit.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["action"] for r in rows] == [
        "card.create", "card.withdraw", "card.reinstate", "card.withdraw"
    ]  # fmt: skip
    assert rows[0]["actor"] == "Mexico"


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def logged(client: TestClient, query: str = "") -> list[tuple[str, str]]:
    """Read the log as a person does: each event's group and what happened, newest first."""
    page = soup(client.get(f"/audit{query}"))
    return [
        (row.select_one(".audit-group").get_text(strip=True), row.select_one(".audit-what").text)
        for row in page.select("table.audit-log tbody tr")
        if row.select_one(".audit-what")  # not the row that says the log is empty
    ]


def test_the_log_reads_as_sentences_naming_cards_by_number(
    client: TestClient, session: Session, accounts: dict, human: list[Card]
) -> None:
    mexico, belgium, philippines, off_topic, kenya = human
    sign_in_as(client, "ravi")
    client.post(f"/groups/human/cards/{philippines.id}/support", data={"recommendation": "new"})
    client.post(f"/groups/human/cards/{mexico.id}/support", data={"recommendation": "new"})
    client.post(f"/groups/human/cards/{belgium.id}/support", data={"recommendation": "R2"})
    client.post(f"/groups/human/cards/{belgium.id}/tags", data={"new_tag": "Children"})
    client.post(f"/groups/human/cards/{off_topic.id}/set-aside", data={"reason": "off_topic"})
    client.post(
        f"/groups/human/cards/{kenya.id}/set-aside",
        data={"reason": "duplicate", "duplicate_of": "#1"},
    )
    rec_ids = [
        t["id"].removeprefix("rec-text-")
        for t in soup(client.get("/groups/human")).select("textarea[id^=rec-text-]")
    ]
    client.post(f"/groups/human/cards/{belgium.id}/support/{rec_ids[1]}/delete", data={"to": "R1"})
    client.post(f"/groups/human/recommendations/{rec_ids[0]}", data={"action": "edit", "text": "X"})
    report = form_fields(client.get("/groups/human/report"), "form#report-form")
    client.post("/groups/human/report", data=report | {"summary": "S"})
    client.post("/signout")
    sign_in_as(client, "cora")
    client.post("/groups/human/comments", data={"body": "Which delegations?"})
    client.post("/groups/human/comments", data={"recommendation": rec_ids[1], "body": "Why?"})
    client.post("/signout")
    sign_in_as(client, "sam")
    human_group = "6. Human dimension"
    assert logged(client)[:12] == [
        (human_group, "Cora (cora) wrote a remark on R2."),
        (human_group, "Cora (cora) wrote a remark on the report."),
        (human_group, "Ravi (ravi) saved version 1 of the report."),
        (human_group, "Ravi (ravi) reworded R1."),
        (human_group, "Ravi (ravi) moved card #2 from R2 to R1."),
        (human_group, "Ravi (ravi) set card #5 aside as a duplicate of card #1."),
        (human_group, "Ravi (ravi) set card #4 aside as off topic."),
        (human_group, "Ravi (ravi) tagged card #2: Children."),
        (human_group, "Ravi (ravi) placed card #2 in R2."),
        (human_group, "Ravi (ravi) placed card #1 in R2."),
        (human_group, "Ravi (ravi) created R2."),
        (human_group, "Ravi (ravi) placed card #3 in R1."),
    ]
    assert ("1. Global dimension", "France sent card #1.") in logged(client)
    assert (human_group, "Kenya sent card #5.") in logged(client)
    assert not UUID.search(soup(client.get("/audit")).select_one("table.audit-log").text)


def test_accounts_and_actions_not_known_yet_read_as_sentences(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict
) -> None:
    sam = audit.user_actor(accounts["secretariat"])
    rita = make_user(session, "rita", "rapporteur", ("human", "global"))
    for action, detail in [
        ("account.create", {"role": "rapporteur", "groups": ["global", "human"]}),
        ("account.update", {"role": "cofacilitator", "groups": []}),
        ("account.password", {}),
        ("account.deactivate", {}),
        ("account.activate", {}),
        ("account.lock", {}),  # an action this page does not know yet
    ]:  # stored as the app stores them, whatever ACTIONS holds today
        session.add(
            AuditEvent(
                actor_kind=sam.kind,
                actor_id=sam.id,
                actor_name=sam.name,
                action=action,
                target_type="user",
                target_id=str(rita.id),
                detail=detail,
            )  # fmt: skip
        )
    session.add(AuditEvent(actor_kind="system", actor_name="cli", action="backup.run",
                           target_type="", target_id=""))  # fmt: skip
    session.commit()
    sign_in_as(client, "sam")
    assert logged(client) == [
        ("", "cli: backup.run."),
        ("", "Sam (sam): account.lock, Rita (rita)."),
        ("", "Sam (sam) reactivated the account Rita (rita)."),
        ("", "Sam (sam) deactivated the account Rita (rita)."),
        ("", "Sam (sam) reset the password of Rita (rita)."),
        ("", "Sam (sam) changed the account Rita (rita) to Co-facilitator."),
        (
            "",
            "Sam (sam) created the account Rita (rita) "
            "(Rapporteur of 1. Global dimension, 6. Human dimension).",
        ),
    ]


def test_a_page_of_the_log_costs_the_same_queries_however_many_rows(
    client: TestClient, engine: Engine, session: Session, meeting: Meeting, accounts: dict
) -> None:
    sign_in_as(client, "sam")

    def queries() -> int:
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            assert client.get("/audit").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return len(statements)

    def write(cards: int) -> None:
        for _n in range(cards):
            card = add_card(session, meeting, "human", "Kenya", "en", {"commitments": "x"})
            rec = create_recommendation(session, session.get(Group, card.group_id), "R", [])
            session.add(AuditEvent(actor_kind="user", actor_name="Ravi", action="card.group",
                                   target_type="card", target_id=card.id,
                                   detail={"recommendation": rec.id}))  # fmt: skip
        session.commit()

    write(2)
    few = queries()
    write(20)
    assert queries() == few


@pytest.mark.parametrize("page", ["200000000000000000", "99999999999999999999999", "-1", "0",
                                  "abc", "1e9", "", "²", "٣", "1" * 5000])  # fmt: skip
def test_a_page_no_database_can_reach_is_the_first(
    client: TestClient, accounts: dict, human: list[Card], page: str
) -> None:
    sign_in_as(client, "sam")
    response = client.get(f"/audit?page={page}")
    assert response.status_code == 200
    assert len(logged(client, f"?page={page}")) == 6  # the six cards sent, as on page 1


def test_the_export_keeps_codes_and_adds_the_group_and_the_sentence(
    client: TestClient, accounts: dict, human: list[Card]
) -> None:
    sign_in_as(client, "sam")
    exported = client.get("/audit.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0]) == ["at", "actor_kind", "actor", "action", "target_type", "target_id",
                             "detail", "group", "sentence"]  # fmt: skip
    first = rows[0]
    assert (first["action"], first["target_id"]) == ("card.create", human[0].id)
    assert json.loads(first["detail"]) == {"source": "web"}
    assert (first["group"], first["sentence"]) == ("6. Human dimension", "Mexico sent card #1.")


# Every word of an element's text, and whether the browser laid it out on more than one line.
BROKEN_WORDS = """selector => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    for (const word of node.data.matchAll(/[^\\s\\/\\-–]+/g)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(word[0]);
    }
  }
  return broken;
}"""


@pytest.mark.browser
@needs_chromium
def test_the_log_on_a_phone_keeps_its_words_whole(
    app: FastAPI, client: TestClient, page: Page, accounts: dict, human: list[Card]
) -> None:
    sign_in_as(client, "ravi")
    for card in human[:3]:
        client.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "new"})
    client.post(f"/groups/human/cards/{human[3].id}/set-aside", data={"reason": "off_topic"})
    client.post(
        f"/groups/human/cards/{human[4].id}/set-aside",
        data={"reason": "duplicate", "duplicate_of": "#1"},
    )
    with serve(app) as url:
        page.goto(f"{url}/signin")
        page.fill("#username", "sam")
        page.fill("#password", PASSWORD)
        page.click("form.join button[type=submit]")
        page.wait_for_url(f"{url}/overview")
        for size in (PHONE, {"width": 1280, "height": 800}):
            page.set_viewport_size(size)
            page.goto(f"{url}/audit")
            expect(page.locator(".audit-what").first).to_have_text(
                "Ravi (ravi) set card #5 aside as a duplicate of card #1."
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            assert page.evaluate(BROKEN_WORDS, "table.audit-log") == []
            if shots := os.environ.get("SCREENSHOTS"):
                page.screenshot(path=f"{shots}/audit-{size['width']}.png", full_page=True)


def test_decisions_on_recurring_ideas_and_refused_tags_read_as_sentences(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict, human: list
) -> None:
    cora = audit.user_actor(accounts["cofacilitator"])
    ravi = audit.user_actor(accounts["rapporteur"])
    labels = {"recommendations": "1,2", "labels": ["Group 1, R1", "Group 6, R2"]}
    for actor, action, kind, target, detail in [
        (ravi, "card.refuse_tag", "card", human[0].id, {"tag": "Human rights"}),
        (cora, "recurring.confirm", "recurring", "1,2", labels),
        (cora, "recurring.reject", "recurring", "1,2", labels),
        (cora, "recurring.reopen", "recurring", "1,2", labels),
    ]:
        audit.record(session, actor, action, kind, target, **detail)
    session.commit()
    sign_in_as(client, "sam")
    said = [text for _group, text in logged(client)]
    assert said[:4] == [
        "Cora (cora) proposed Group 1, R1, Group 6, R2 as one idea again.",
        "Cora (cora) found that Group 1, R1, Group 6, R2 are not the same idea.",
        "Cora (cora) confirmed that Group 1, R1, Group 6, R2 are the same idea.",
        "Ravi (ravi) turned down the proposed tag Human rights for card #1.",
    ]
