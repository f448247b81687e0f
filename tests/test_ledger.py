"""The ledger: what became of every card, shown in the report's annex, released to the
delegations, who agree or disagree card by card; an answer resets when its card is moved."""

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import docx
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.models import AuditEvent, Card, LedgerAnswer, LedgerRelease, Meeting, SetAside, utcnow
from tests.conftest import browser_like, code_for, sign_in_as
from tests.helpers import error_for, soup

CHILDREN = "End the immigration detention of children."
SKILLS = "Recognise the skills and qualifications of migrants."


def sort_cards(rapporteur: TestClient, cards: list[Card]) -> None:
    """Philippines in one recommendation, Mexico and Belgium in another (the most
    supported, so number 1 in the report), Kenya a duplicate of Mexico's card, and Mexico's
    second card set aside for a reason in words."""
    mexico, belgium, philippines, off, kenya = cards
    post = rapporteur.post
    post(f"/groups/human/cards/{philippines.id}/support", data={"recommendation": "new"})
    post(
        f"/groups/human/cards/{mexico.id}/support", data={"recommendation": "new", "text": CHILDREN}
    )
    post(f"/groups/human/cards/{belgium.id}/support", data={"recommendation": "R2"})
    post(
        f"/groups/human/cards/{kenya.id}/set-aside",
        data={"reason": "duplicate", "duplicate_of": "1"},
    )
    post(f"/groups/human/cards/{off.id}/set-aside", data={"reason": "other", "note": "Tourism"})


def deadline_in(meeting: Meeting, hours: int) -> str:
    moment = (utcnow() + timedelta(hours=hours)).astimezone(ZoneInfo(meeting.timezone))
    return moment.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def phones(app: FastAPI, session: Session, meeting: Meeting) -> Iterator[dict[str, TestClient]]:
    """Two delegations signed in with their codes: Mexico and Belgium."""
    clients = {}
    for name in ("Mexico", "Belgium"):
        client = browser_like(app).__enter__()
        client.post("/join", data={"code": code_for(session, meeting, name)})
        clients[name] = client
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def annex_rows(html: str) -> list[list[str]]:
    table = soup_text(html).select("#ledger-annex tbody tr")
    return [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in table]


def soup_text(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_setting_aside_for_another_reason_needs_the_reason_in_words(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    off = human[3]
    response = rapporteur.post(f"/groups/human/cards/{off.id}/set-aside", data={"reason": "other"})
    assert response.status_code == 422
    assert "Say why the card is set aside." in response.text
    assert session.get(SetAside, off.id) is None
    for reason in ("not_recommendation", "outside_dimension"):
        rapporteur.post(f"/groups/human/cards/{off.id}/set-aside", data={"reason": reason})
        session.expire_all()
        assert session.get(SetAside, off.id).reason == reason  # type: ignore[union-attr]
    rapporteur.post(
        f"/groups/human/cards/{off.id}/set-aside",
        data={"reason": "other", "note": " Tourism  only "},
    )
    session.expire_all()
    aside = session.get(SetAside, off.id)
    assert aside is not None and (aside.reason, aside.note) == ("other", "Tourism only")
    page = rapporteur.get("/groups/human?status=set_aside").text
    assert "Set aside: Other (Tourism only)" in page


def test_the_annex_shows_every_card_in_the_report_print_word_markdown_and_json(
    rapporteur: TestClient, human: list[Card]
) -> None:
    sort_cards(rapporteur, human)
    expected = [
        ["Belgium", "#2", "Reflected in recommendation 1", CHILDREN],
        ["Kenya", "#5", "Merged as a duplicate of card #1", ""],
        ["Mexico", "#1", "Reflected in recommendation 1", CHILDREN],
        ["Mexico", "#4", "Set aside: Other (Tourism)", ""],
        ["Philippines", "#3", "Reflected in recommendation 2", SKILLS],
    ]
    for path in ("/groups/human/report", "/groups/human/report/print"):
        html = rapporteur.get(path).text
        rows = annex_rows(html)
        assert [[r[0], r[1].split()[0], r[2], r[3]] for r in rows] == expected, path
        counts = [
            li.get_text(" ", strip=True)
            for li in soup_text(html).select("#ledger-annex .ledger-counts li")
        ]
        assert counts == [
            "Reflected in a recommendation: 3", "Merged as a duplicate: 1", "Set aside: 1",
        ]  # fmt: skip

    document = docx.Document(io.BytesIO(rapporteur.get("/groups/human/report.docx").content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[-1] == "How the cards were reflected"
    table = document.tables[-1]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["Delegation", "Card", "Disposition", "Recommendation"]
    assert [[r[0], r[1].split()[0], r[2], r[3]] for r in cells[1:]] == expected
    assert "Reflected in a recommendation: 3" in [p.text for p in document.paragraphs]

    markdown = rapporteur.get("/groups/human/report.md").text
    annex = markdown.split("## How the cards were reflected")[1]
    assert "- Merged as a duplicate: 1" in annex
    assert (
        "| Mexico | \\#4 Tema fuera de la dimensión humana: turismo. "
        "| Set aside: Other (Tourism) |  |" in annex
    )

    ledger = rapporteur.get("/groups/human/ledger.json").json()
    assert ledger["counts"] == {
        "reflected": 3, "duplicate": 1, "set_aside": 1, "withdrawn": 0, "inbox": 0,
    }  # fmt: skip
    by_number = {c["number"]: c for c in ledger["cards"]}
    assert by_number[3]["recommendations"] == [2]
    assert (by_number[4]["reason"], by_number[4]["note"]) == ("other", "Tourism")
    assert by_number[5]["duplicate_of"] == 1


def test_a_withdrawn_card_and_an_unsorted_one_say_so(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    human[4].status = "withdrawn"
    session.add(human[4])
    session.commit()
    ledger = rapporteur.get("/groups/human/ledger.json").json()
    assert ledger["counts"]["withdrawn"] == 1 and ledger["counts"]["inbox"] == 4
    assert "Withdrawn by its delegation" in rapporteur.get("/groups/human/report").text


def test_nothing_shows_a_delegation_before_release(
    rapporteur: TestClient, human: list[Card], phones: dict[str, TestClient]
) -> None:
    sort_cards(rapporteur, human)
    mexico = phones["Mexico"]
    page = mexico.get("/ledger")
    assert page.status_code == 200
    assert "have not shown how your cards were reflected yet" in page.text
    assert CHILDREN not in page.text and "Reflected" not in page.text
    assert "ledger-link" not in mexico.get("/cards").text
    answer = mexico.post(f"/ledger/cards/{human[0].id}", data={"answer": "agree"})
    assert answer.status_code == 404


def test_release_needs_a_deadline_in_the_future(
    rapporteur: TestClient, human: list[Card], meeting: Meeting, session: Session
) -> None:
    for typed, message in (
        ("tomorrow", "Give the deadline as a date and time."),
        (deadline_in(meeting, -2), "The deadline must be in the future."),
    ):
        response = rapporteur.post("/groups/human/ledger/release", data={"deadline": typed})
        assert response.status_code == 422
        assert error_for(response, "deadline") == message
        assert soup(response).select_one("#deadline")["value"] == typed  # kept as typed
    assert session.exec(select(LedgerRelease)).all() == []


def release(rapporteur: TestClient, meeting: Meeting) -> None:
    response = rapporteur.post(
        "/groups/human/ledger/release", data={"deadline": deadline_in(meeting, 24)}
    )
    assert response.status_code == 200  # followed to the dashboard


def test_delegations_answer_and_a_moved_card_resets_its_answer(
    rapporteur: TestClient,
    human: list[Card],
    phones: dict[str, TestClient],
    meeting: Meeting,
    session: Session,
) -> None:
    mexico_card, belgium_card, _philippines, off, _kenya = human
    sort_cards(rapporteur, human)
    release(rapporteur, meeting)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "ledger.release")).one()
    assert event.actor_name == "Ravi (ravi)"

    mexico, belgium = phones["Mexico"], phones["Belgium"]
    assert "ledger-link" in mexico.get("/cards").text
    mine = soup(mexico.get("/ledger"))
    cards = [a["id"] for a in mine.select("article.ledger-mine")]
    assert cards == [f"ledger-{mexico_card.id}", f"ledger-{off.id}"]  # only its own
    assert CHILDREN in mine.select_one(f"#ledger-{mexico_card.id} .wording").get_text()

    # Nobody answers for another delegation.
    assert (
        mexico.post(f"/ledger/cards/{belgium_card.id}", data={"answer": "agree"}).status_code == 404
    )
    # A disagreement needs its reason; what was typed stays.
    refused = mexico.post(f"/ledger/cards/{off.id}", data={"answer": "disagree", "comment": " "})
    assert refused.status_code == 422
    assert "Say why you disagree." in refused.text
    assert soup(refused).select_one(f"#ledger-{off.id} input[value=disagree]").has_attr("checked")
    assert session.exec(select(LedgerAnswer)).all() == []

    assert (
        mexico.post(f"/ledger/cards/{mexico_card.id}", data={"answer": "agree"}).status_code == 200
    )
    said = "Our card is about detention alternatives, not only children."
    belgium.post(f"/ledger/cards/{belgium_card.id}", data={"answer": "disagree", "comment": said})
    # Changeable until the deadline.
    belgium.post(f"/ledger/cards/{belgium_card.id}", data={"answer": "agree"})
    belgium.post(f"/ledger/cards/{belgium_card.id}", data={"answer": "disagree", "comment": said})

    dashboard = soup(rapporteur.get("/groups/human/ledger"))
    counts = [li.get_text(" ", strip=True) for li in dashboard.select("#answer-counts li")]
    assert counts == [
        "Agreed: 1", "Disagreed: 1", "No answer yet: 3", "Changed since answered: 0",
    ]  # fmt: skip
    assert said in dashboard.select_one(f"#ledger-{belgium_card.id}").get_text()
    only = soup(rapporteur.get("/groups/human/ledger?answer=disagree"))
    assert [li["id"] for li in only.select(".ledger-row")] == [f"ledger-{belgium_card.id}"]
    workspace = soup(rapporteur.get("/groups/human?status=all"))
    assert said in workspace.select_one(f"#disagreement-{belgium_card.id}").get_text()
    assert workspace.select_one(f"#disagreement-{mexico_card.id}") is None

    # The rapporteur moves Mexico's card to the other recommendation: its answer no longer counts.
    page = soup(rapporteur.get("/groups/human?status=all"))
    rec_ids = [t["id"].removeprefix("rec-text-") for t in page.select("textarea[id^=rec-text-]")]
    moved = rapporteur.post(
        f"/groups/human/cards/{mexico_card.id}/support/{rec_ids[1]}/delete", data={"to": "R1"}
    )
    assert moved.status_code in (200, 303)
    changed = soup(rapporteur.get("/groups/human/ledger?answer=changed"))
    assert [li["id"] for li in changed.select(".ledger-row")] == [f"ledger-{mexico_card.id}"]
    mine = soup(mexico.get("/ledger"))
    assert mine.select_one(f"#changed-{mexico_card.id}") is not None
    assert not mine.select_one(f"#ledger-{mexico_card.id} input[value=agree]").has_attr("checked")
    assert SKILLS in mine.select_one(f"#ledger-{mexico_card.id} .wording").get_text()

    # Rewording Belgium's recommendation resets its answer too: it disagreed with other words.
    rapporteur.post(
        f"/groups/human/recommendations/{rec_ids[1]}",
        data={"action": "edit", "text": "End immigration detention; use alternatives."},
    )
    assert rapporteur.get("/groups/human/ledger.json").json()["cards"][0]["answer"] == "changed"
    actions = session.exec(select(AuditEvent.action, AuditEvent.actor_name)).all()
    assert ("ledger.answer", "Belgium") in actions


def test_a_card_confirmed_in_person_is_logged_with_who(
    app: FastAPI,
    rapporteur: TestClient,
    human: list[Card],
    meeting: Meeting,
    session: Session,
) -> None:
    sort_cards(rapporteur, human)
    release(rapporteur, meeting)
    with browser_like(app) as cora:
        sign_in_as(cora, "cora")
        assert cora.post("/groups/human/ledger/release", data={"deadline": "x"}).status_code == 403
        response = cora.post(f"/groups/human/ledger/cards/{human[2].id}/confirm")
        assert response.status_code == 200
        row = soup(response).select_one(f"#ledger-{human[2].id}").get_text(" ", strip=True)
        assert "Agreed" in row and "Confirmed in person (Cora)" in row
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "ledger.confirm")).one()
    assert (event.actor_name, event.target_id) == ("Cora (cora)", human[2].id)
    with browser_like(app) as sam:
        sign_in_as(sam, "sam")
        log = soup(sam.get("/audit")).get_text(" ", strip=True)
    assert "Cora (cora) marked card #3 as confirmed in person by its delegation." in log
    assert "Ravi (ravi) released the ledger to the delegations" in log


def test_after_the_deadline_nobody_answers(
    rapporteur: TestClient,
    human: list[Card],
    phones: dict[str, TestClient],
    meeting: Meeting,
    session: Session,
) -> None:
    sort_cards(rapporteur, human)
    release(rapporteur, meeting)
    found = session.get(LedgerRelease, human[0].group_id)
    assert found is not None
    found.deadline = utcnow() - timedelta(minutes=1)
    session.add(found)
    session.commit()
    mexico = phones["Mexico"]
    page = mexico.get("/ledger")
    assert "The deadline for answers passed" in page.text
    assert soup(page).select(f"form[action='/ledger/cards/{human[0].id}']") == []
    response = mexico.post(f"/ledger/cards/{human[0].id}", data={"answer": "agree"})
    assert response.status_code == 409
    assert session.exec(select(LedgerAnswer)).all() == []


def test_the_secretariat_exports_the_meeting_ledger_and_adds_it_to_the_chairs_summary(
    app: FastAPI,
    rapporteur: TestClient,
    human: list[Card],
    phones: dict[str, TestClient],
    meeting: Meeting,
) -> None:
    sort_cards(rapporteur, human)
    release(rapporteur, meeting)
    said = "Not only children."
    phones["Belgium"].post(
        f"/ledger/cards/{human[1].id}", data={"answer": "disagree", "comment": said}
    )
    with browser_like(app) as sam:
        sign_in_as(sam, "sam")
        links = {a["href"] for a in soup(sam.get("/overview")).select(".actions a")}
        assert {
            "/exports/ledger.csv",
            "/exports/ledger.xlsx",
            "/exports/summary.docx?ledger=1",
        } <= links
        text = sam.get("/exports/ledger.csv").content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:3] == ["Group", "Delegation", "Card"]
        belgium = [r for r in rows if r[1] == "Belgium"]
        assert belgium[0][4:8] == ["Reflected in recommendation 1", CHILDREN, "Disagreed", said]
        # Every card of the meeting: five in the human dimension, one in the global.
        assert len(rows) == 7
        book = load_workbook(io.BytesIO(sam.get("/exports/ledger.xlsx").content))
        sheet = [[c.value for c in row] for row in book.active.iter_rows()]  # type: ignore[union-attr]
        assert [r for r in sheet if r[1] == "Belgium"][0][6:8] == ["Disagreed", said]
        assert sheet[1][0].startswith("1. ")  # group order: the global group first
        plain = docx.Document(io.BytesIO(sam.get("/exports/summary.docx").content))
        assert "How the cards were reflected" not in [p.text for p in plain.paragraphs]
        summary = docx.Document(io.BytesIO(sam.get("/exports/summary.docx?ledger=1").content))
        texts = [p.text for p in summary.paragraphs]
        annex = texts.index("How the cards were reflected")
        assert any("Human" in t for t in texts[annex:])
        last = summary.tables[-1]
        assert [c.text for c in last.rows[1].cells][0] == "Belgium"
