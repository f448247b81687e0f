"""The audit log records who did what, and the secretariat can read and export it."""

import csv
import io

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEvent, Card
from tests.conftest import sign_in_as
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
    delegate.post("/signout")
    sign_in_as(delegate, "sam")
    page = soup(delegate.get("/audit?action=card"))
    assert [td.get_text() for td in page.select("tbody td code")] == [
        "card.withdraw",
        "card.create",
    ]
    exported = delegate.get("/audit.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["action"] for r in rows] == ["card.create", "card.withdraw"]
    assert rows[0]["actor"] == "Mexico"
