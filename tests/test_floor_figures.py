"""Interventions counted: in the figures, the workbook, the chair's summary, the workspace."""

import io
from datetime import timedelta

import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import floor
from app.across import MeetingFilter
from app.exports import cards_xlsx
from app.floor_figures import interventions
from app.models import Card, Delegation, Group, Meeting, User
from tests.conftest import sign_in_as


def speak(session: Session, meeting: Meeting, name: str, kind: str, seconds: int) -> None:
    """Give a delegation the floor in the human dimension and end after `seconds`."""
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    delegation = session.exec(select(Delegation).where(Delegation.name == name)).one()
    floor.add(session, meeting, group, delegation, kind)
    while floor.waiting(session, group):
        floor.call_next(session, meeting, group, floor.version(session, group.id or 0))
    session.commit()
    speaking = floor.current(session, group)
    assert speaking is not None and speaking.deadline is not None
    speaking.deadline -= timedelta(seconds=seconds)  # that much time has passed
    session.add(speaking)
    session.commit()
    floor.end(session, group, floor.version(session, group.id or 0))
    session.commit()


@pytest.fixture
def spoken(session: Session, meeting: Meeting, human: list[Card]) -> None:
    """Mexico (who wrote cards) spoke twice, once over time; Chile and UNICEF wrote none."""
    session.add(Delegation(name="UNICEF", kind="un_entity"))
    session.commit()
    speak(session, meeting, "Mexico", "statement", 130)
    speak(session, meeting, "Mexico", "reply", 30)
    speak(session, meeting, "Chile", "point_of_order", 20)
    speak(session, meeting, "UNICEF", "statement", 60)


def test_interventions_count_by_category_and_kind(
    session: Session, meeting: Meeting, spoken: None
) -> None:
    found = interventions(session, meeting)
    assert found.total == 4 and found.overruns == 1
    assert found.seconds == 130 + 30 + 20 + 60
    assert found.by_category == {"member_states": 3, "un_entities": 1}
    assert found.table[("member_states", "statement")] == 1
    assert found.table[("member_states", "reply")] == 1
    assert found.spoke_no_card == ["Chile", "UNICEF"]
    assert found.card_no_speech == ["Belgium", "France", "Kenya", "Philippines"]
    assert (
        interventions(
            session, meeting, session.exec(select(Group).where(Group.slug == "global")).one()
        ).total
        == 0
    )


def test_overview_and_review_show_interventions(
    client: TestClient, accounts: dict[str, User], spoken: None
) -> None:
    sign_in_as(client, "cora")
    overview = client.get("/overview").text
    assert "Interventions by category and kind" in overview
    assert "Spoke but wrote no card" in overview and "Chile" in overview
    review = client.get("/groups/human/review").text
    assert "4 interventions" in review and "Wrote cards but did not speak" in review


def test_the_workspace_says_who_spoke_and_how_long(rapporteur: TestClient, spoken: None) -> None:
    page = rapporteur.get("/groups/human").text
    assert "spoke 2 times (2:40)" in page  # Mexico: 130 s and 30 s
    assert "did not speak" in page  # Belgium, Kenya, the Philippines
    assert "Spoke but wrote no card: Chile, UNICEF" in page


@pytest.mark.parametrize(
    ("lang", "times", "said"),
    [
        ("ru", 1, "выступала один раз"),
        ("ru", 21, "выступала 21 раз"),  # Russian's form for one serves 21 too
        ("ru", 3, "выступала 3 раза"),
        ("zh", 3, "发言3次"),  # Chinese has one form for every number
        ("en", 1, "spoke once"),
    ],
)
def test_the_workspace_counts_speeches_right_in_every_language(
    session: Session, meeting: Meeting, human: list[Card], rapporteur: TestClient,
    lang: str, times: int, said: str,
) -> None:  # fmt: skip
    for _ in range(times):
        speak(session, meeting, "Kenya", "statement", 10)
    rapporteur.cookies.set("lang", lang)
    page = rapporteur.get("/groups/human").text
    assert said in page


def test_the_workbook_and_the_summary_count_interventions(
    session: Session,
    meeting: Meeting,
    client: TestClient,
    accounts: dict[str, User],
    spoken: None,
) -> None:
    out = io.BytesIO()
    cards_xlsx(session, meeting, MeetingFilter(), out)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames[-1] == "Interventions"
    rows = [
        [c.value for c in row if c.value is not None] for row in book["Interventions"].iter_rows()
    ]
    assert rows[0] == ["Whole meeting"]
    assert rows[1] == ["Category", "Statement", "Point of order", "Right of reply", "Interventions"]
    assert rows[2] == ["Member States", 1, 1, 1, 3]
    assert ["Spoke but wrote no card", "Chile; UNICEF"] in rows
    sign_in_as(client, "cora")
    response = client.get("/exports/summary.docx")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    text = [p.text for p in document.paragraphs]
    assert "Table 4: Interventions by category and kind" in text
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Category")
    assert [c.text for c in table.rows[-1].cells] == ["All", "2", "1", "1", "4"]
