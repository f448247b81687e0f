"""Exports read back as a spreadsheet, Word or a program reads them: every card and figure as
stored, every character kept, the screen's filters honoured, no formula handed to Excel."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from docx.document import Document
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.across import MeetingFilter
from app.audit import delegation_actor
from app.cards import withdraw_card
from app.exports import cards_csv, cards_json, cards_xlsx, sheet_name
from app.grouping import add_support, create_recommendation, set_aside
from app.i18n import set_language
from app.models import Card, Delegation, Group, Meeting, Tag, ident
from app.recurring import decide, recurring
from app.report import get_report
from app.search import card_search_text
from app.summary_docx import summary_data, summary_docx
from app.text import cell
from app.workspace import create_tag, set_tag
from tests.conftest import HOSTILE, add_card, sign_in_as
from tests.test_report_docx import empty_headings, field_codes

ARABIC = "حماية حقوق المهاجرين"
CHINESE = "保护移民权利"
RUSSIAN = "Защита прав мигрантов"
NETWORK = "@Migrants Network"
HEADERS = [
    "Group", "Card", "Card ID", "Delegation", "Kind of delegation", "Language", "Author",
    "Status", "Recommendations", "Tags", "Created", "Updated",
    "National priorities under this dimension", "Actionable commitments for the Global Compact",
    "Means of implementation", "Partnerships needed",
    "Elements of an effective follow-up and review framework",
    "Existing mechanisms to build on", "Participation of States and stakeholders",
    "Source", "Paper serial", "Keyed by",
]  # fmt: skip
GROUP_SHEETS = [
    "1. Global dimension", "2. Regional dimension", "3. National dimension",
    "4. Local sub-national dimension", "5. Community dimension", "6. Human dimension",
    "7. Follow-up and review",
]  # fmt: skip
# 09:00 in Puerto Vallarta on the second day; the cards arrive a minute apart.
START = datetime(2017, 12, 5, 15, 0, tzinfo=UTC)
LOCAL = ZoneInfo("America/Mexico_City")


@pytest.fixture(autouse=True)
def english() -> Any:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def world(session: Session, meeting: Meeting) -> dict[str, Card]:
    """Cards in three groups from States, an observer, a UN entity and two NGOs (one named
    with hostile text), in five languages; grouped, tagged, set aside and withdrawn."""
    session.add(Delegation(name=HOSTILE, kind="civil_society"))
    session.add(Delegation(name=NETWORK, kind="civil_society"))
    session.add(Delegation(name="International Organization for Migration", kind="un_entity"))
    session.commit()
    written = [
        ("mexico2", "global", "Mexico", "en", {"commitments": "Regular pathways."}),
        ("ngo", "global", HOSTILE, "en", {"commitments": "-5% detention", "means": "+1"}),
        ("iom", "global", "International Organization for Migration", "fr",
         {"commitments": "Coopération régionale."}),
        ("mexico", "human", "Mexico", "es",
         {"commitments": HOSTILE, "means": "=1+1", "partnerships": "#N/A"}),
        ("egypt", "human", "Egypt", "ar", {"commitments": ARABIC}),
        ("china", "human", "China", "zh", {"commitments": CHINESE}),
        ("russia", "human", "Russian Federation", "ru", {"commitments": RUSSIAN}),
        ("network", "human", NETWORK, "en", {"commitments": "Data for all.\nTwo lines."}),
        ("holysee", "follow-up", "Holy See", "en", {"framework": "Review every four years."}),
    ]  # fmt: skip
    cards: dict[str, Card] = {}
    for minute, (key, group, name, language, answers) in enumerate(written):
        card = add_card(session, meeting, group, name, language, answers)
        card.created_at = card.updated_at = START + timedelta(minutes=minute)
        cards[key] = card
    cards["mexico"].author_name = "=Ana"
    cards["mexico"].search_text = card_search_text(cards["mexico"].answers, "=Ana")
    cards["egypt"].answers = {"commitments": ARABIC, "priorities": "\x01Bell"}  # older data
    withdraw_card(session, cards["russia"], delegation_actor(session.get(Delegation, 1)))
    cards["russia"].updated_at = START + timedelta(hours=2)
    for card in cards.values():
        session.add(card)
    session.flush()
    groups = {g.slug: g for g in session.exec(select(Group))}
    human, global_ = groups["human"], groups["global"]
    create_recommendation(session, human, f"Protect children: {ARABIC}", [cards["network"].id])
    both = [cards["mexico"].id, cards["network"].id]
    create_recommendation(session, human, "Count every card.", both)
    create_recommendation(session, global_, "Regular pathways for all.", [cards["mexico2"].id])
    add_support(
        session, create_recommendation(session, global_, "Less detention."), cards["ngo"].id
    )
    set_aside(session, cards["egypt"], "off_topic", None, None)
    theme = session.exec(select(Tag).where(Tag.slug == "human-rights")).one()
    set_tag(session, cards["mexico"], theme, True)
    set_tag(session, cards["mexico"], create_tag(session, human, "Детство", "ru"), True)
    session.commit()
    report = get_report(session, human)
    report.sections = report.sections | {
        "moderator": "Ms. Chair",
        "summary": f"{HOSTILE}\n\n{CHINESE}",
    }
    session.add(report)
    session.commit()
    for card in cards.values():
        session.refresh(card)
    return cards


def iso(card: Card, field: str = "created_at") -> str:
    return getattr(card, field).astimezone(LOCAL).isoformat(timespec="seconds")


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == HEADERS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def export_csv(session: Session, meeting: Meeting, f: MeetingFilter) -> list[dict[str, str]]:
    return read_csv("".join(cards_csv(session, meeting, f)))


def export_xlsx(session: Session, meeting: Meeting, f: MeetingFilter) -> openpyxl.Workbook:
    out = io.BytesIO()
    cards_xlsx(session, meeting, f, out)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def export_json(session: Session, meeting: Meeting, f: MeetingFilter) -> list[dict[str, Any]]:
    return json.loads("".join(cards_json(session, meeting, f)))


def sheet_rows(sheet: Any) -> list[dict[str, Any]]:
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_csv_has_every_active_card_as_stored(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    rows = export_csv(session, meeting, MeetingFilter())
    order = ["mexico2", "ngo", "iom", "mexico", "egypt", "china", "network", "holysee"]
    assert [r["Card ID"] for r in rows] == [world[k].id for k in order]
    mexico = rows[3]
    assert mexico == {
        **dict.fromkeys(HEADERS, ""),
        "Group": "6. Human dimension",
        "Card": "#1",
        "Card ID": world["mexico"].id,
        "Delegation": "Mexico",
        "Kind of delegation": "Member State",
        "Language": "Spanish",
        "Author": "'=Ana",
        "Status": "In recommendations",
        "Recommendations": "R2",
        "Tags": "Human rights, inclusion and non-discrimination; Детство",
        "Created": "2017-12-05T09:03:00-06:00",
        "Updated": "2017-12-05T09:03:00-06:00",
        "Actionable commitments for the Global Compact": HOSTILE,
        "Means of implementation": "'=1+1",
        "Partnerships needed": "#N/A",
        "Source": "Phone",
    }
    by_id = {r["Card ID"]: r for r in rows}
    assert by_id[world["ngo"].id]["Delegation"] == HOSTILE
    assert by_id[world["ngo"].id]["Means of implementation"] == "'+1"
    assert by_id[world["egypt"].id]["Status"] == "Set aside: off topic"
    assert by_id[world["egypt"].id]["National priorities under this dimension"] == "Bell"
    assert by_id[world["china"].id]["Status"] == "Inbox"
    assert by_id[world["network"].id]["Delegation"] == "'" + NETWORK
    assert by_id[world["network"].id]["Recommendations"] == "R1 R2"
    assert by_id[world["network"].id]["Card"] == "#5"
    holysee = by_id[world["holysee"].id]
    assert holysee["Kind of delegation"] == "Observer State"
    assert holysee["Elements of an effective follow-up and review framework"] == (
        "Review every four years."
    )
    # Every answer of every card, in its question's column, as stored.
    labels = {q["key"]: q["label"]["en"] for g in session.exec(select(Group)) for q in g.questions}
    for key, card in world.items():
        if key != "russia":
            row = by_id[card.id]
            assert {k: row[labels[k]] for k in card.answers} == {
                k: cell(v) for k, v in card.answers.items()
            }
            assert sum(1 for label in labels.values() if row[label]) == len(card.answers)
            assert row["Created"] == iso(card)


def test_withdrawn_cards_say_so(session: Session, meeting: Meeting, world: dict[str, Card]) -> None:
    (row,) = export_csv(session, meeting, MeetingFilter(status="withdrawn"))
    assert row["Card ID"] == world["russia"].id
    assert row["Status"] == "Withdrawn"
    assert row["Actionable commitments for the Global Compact"] == RUSSIAN
    assert row["Language"] == "Russian"
    assert row["Updated"] == "2017-12-05T11:00:00-06:00"


def test_json_keeps_every_character_and_stable_keys(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    records = {r["id"]: r for r in export_json(session, meeting, MeetingFilter(status="all"))}
    assert set(records) == {c.id for c in world.values()}
    for card in world.values():
        assert records[card.id]["answers"] == card.answers  # no apostrophes: JSON is no sheet
    assert records[world["mexico"].id] == {
        "id": world["mexico"].id,
        "group": "human",
        "group_number": 6,
        "group_title": "Human dimension",
        "number": 1,
        "delegation": "Mexico",
        "delegation_kind": "member_state",
        "language": "es",
        "author_name": "=Ana",
        "status": "active",
        "place": "grouped",
        "set_aside": None,
        "recommendations": ["R2"],
        "tags": ["Human rights, inclusion and non-discrimination", "Детство"],
        "version": 1,
        "created_at": "2017-12-05T09:03:00-06:00",
        "updated_at": "2017-12-05T09:03:00-06:00",
        "answers": {"commitments": HOSTILE, "means": "=1+1", "partnerships": "#N/A"},
        "source": "web",
        "paper_serial": None,
        "keyed_by": None,
    }
    assert records[world["egypt"].id]["answers"]["priorities"] == "\x01Bell"
    assert records[world["egypt"].id]["set_aside"] == "off_topic"
    assert records[world["russia"].id]["status"] == "withdrawn"
    assert records[world["ngo"].id]["delegation"] == HOSTILE


def test_json_of_nothing_is_an_empty_array(session: Session, meeting: Meeting) -> None:
    assert export_json(session, meeting, MeetingFilter()) == []
    assert "".join(cards_json(session, meeting, MeetingFilter())) == "[]\n"


def test_xlsx_has_a_sheet_per_group_with_the_cards_as_stored(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    book = export_xlsx(session, meeting, MeetingFilter())
    assert book.sheetnames == ["Summary", *GROUP_SHEETS]
    human = book["6. Human dimension"]
    header = [c for c in next(human.iter_rows())]
    assert [c.value for c in header] == HEADERS[:12] + [
        "National priorities under this dimension",
        "Actionable commitments for the Global Compact",
        "Means of implementation",
        "Partnerships needed",
        "Source",
        "Paper serial",
        "Keyed by",
    ]
    assert all(c.font.bold for c in header)
    assert human.freeze_panes == "A2"
    assert human.column_dimensions["N"].width == 60
    rows = sheet_rows(human)
    assert [r["Card ID"] for r in rows] == [
        world[k].id for k in ("mexico", "egypt", "china", "network")
    ]
    mexico = rows[0]
    assert mexico["Card"] == 1 and human["B2"].number_format == '"#"0'
    assert mexico["Author"] == "'=Ana"
    assert mexico["Actionable commitments for the Global Compact"] == HOSTILE
    assert mexico["Means of implementation"] == "'=1+1"
    assert mexico["Partnerships needed"] == "#N/A" and human["P2"].data_type == "s"
    assert mexico["Tags"] == "Human rights, inclusion and non-discrimination; Детство"
    assert mexico["Created"] == datetime(2017, 12, 5, 9, 3)  # the meeting's local time
    assert rows[1]["National priorities under this dimension"] == "Bell"  # \x01 cannot be
    assert rows[1]["Actionable commitments for the Global Compact"] == ARABIC
    assert rows[2]["Actionable commitments for the Global Compact"] == CHINESE
    assert rows[3]["Actionable commitments for the Global Compact"] == "Data for all.\nTwo lines."
    assert rows[3]["Delegation"] == "'" + NETWORK
    global_ = sheet_rows(book["1. Global dimension"])
    assert [r["Delegation"] for r in global_] == [
        "Mexico",
        HOSTILE,
        "International Organization for Migration",
    ]
    assert [r["Kind of delegation"] for r in global_] == [
        "Member State",
        "Civil society",
        "UN entity",
    ]
    assert sheet_rows(book["2. Regional dimension"]) == []
    follow_up = book["7. Follow-up and review"]
    assert [c.value for c in next(follow_up.iter_rows())][12:] == HEADERS[16:]


def summary_table(book: openpyxl.Workbook, title: str) -> list[list[Any]]:
    """Return the rows of a summary table: from its title to the next blank row."""
    rows = [
        [c for c in row if c is not None] for row in book["Summary"].iter_rows(values_only=True)
    ]
    start = rows.index([title]) + 1
    end = next((i for i in range(start, len(rows)) if not rows[i]), len(rows))
    return rows[start:end]


def test_xlsx_summary_has_the_figures(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    book = export_xlsx(session, meeting, MeetingFilter())
    summary = book["Summary"]
    assert summary["A1"].value == meeting.name["en"] and summary["A1"].font.bold
    assert summary["B2"].value == "Dec 4\u2009–\u20096, 2017"
    assert summary_table(book, "Cards in this file") == [["Filters", "None"], ["Cards", 8]]
    participation = summary_table(book, "Participation")
    assert participation[1] == [
        "Cards", "Delegations", "Member States", "Observers", "UN entities", "Other stakeholders"
    ]  # fmt: skip
    # Counted by hand from the world: Russia withdrew its only card.
    assert participation[2:] == [
        ["Whole meeting", 8, 7, 3, 1, 1, 2],
        ["1. Global dimension", 3, 3, 1, 0, 1, 1],
        ["2. Regional dimension", 0, 0, 0, 0, 0, 0],
        ["3. National dimension", 0, 0, 0, 0, 0, 0],
        ["4. Local/sub-national dimension", 0, 0, 0, 0, 0, 0],
        ["5. Community dimension", 0, 0, 0, 0, 0, 0],
        ["6. Human dimension", 4, 4, 3, 0, 0, 1],
        ["7. Follow-up and review", 1, 1, 0, 1, 0, 0],
    ]
    kinds = summary_table(book, "Cards by kind of delegation")
    assert kinds[0][:2] == ["Kind of delegation", "Whole meeting"]
    by_kind = {row[0]: row[1:] for row in kinds[1:]}
    assert by_kind["Member State"] == [4, 1, 0, 0, 0, 0, 3, 0]
    assert by_kind["Observer State"] == [1, 0, 0, 0, 0, 0, 0, 1]
    assert by_kind["Civil society"] == [2, 1, 0, 0, 0, 0, 1, 0]
    assert by_kind["Academia"] == [0] * 8


FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({"group": "human"}, {"mexico", "egypt", "china", "network"}),
    ({"group": "human", "status": "all"}, {"mexico", "egypt", "china", "network", "russia"}),
    ({"kind": "civil_society"}, {"ngo", "network"}),
    ({"language": "ar"}, {"egypt"}),
    ({"delegation": "Mexico"}, {"mexico", "mexico2"}),
    ({"q": "移民"}, {"mexico", "ngo", "china"}),  # in an answer, a delegation's name
    ({"q": "=ana"}, {"mexico"}),  # the author's name
    ({"status": "withdrawn"}, {"russia"}),
    ({"kind": "member_state", "language": "es"}, {"mexico"}),
]


def exported_ids(fmt: str, session: Session, meeting: Meeting, f: MeetingFilter) -> list[str]:
    if fmt == "csv":
        return [r["Card ID"] for r in export_csv(session, meeting, f)]
    if fmt == "json":
        return [r["id"] for r in export_json(session, meeting, f)]
    book = export_xlsx(session, meeting, f)
    return [r["Card ID"] for name in book.sheetnames[1:] for r in sheet_rows(book[name])]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_each_format_honours_each_filter(
    fmt: str, session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    for params, expected in FILTERS:
        values = params | ({"delegation": ident(mexico)} if "delegation" in params else {})
        found = exported_ids(fmt, session, meeting, MeetingFilter(**values))
        assert sorted(found) == sorted(world[k].id for k in expected), params


def test_xlsx_filtered_on_a_group_has_only_its_sheet_and_says_so(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    f = MeetingFilter(group="human", language="es", q="Ana", status="all")
    book = export_xlsx(session, meeting, f)
    assert book.sheetnames == ["Summary", "6. Human dimension"]
    assert summary_table(book, "Cards in this file") == [
        ["Search", "Ana"],
        ["Group", "6. Human dimension"],
        ["Language", "Spanish"],
        ["Status", "All, withdrawn ones included"],
        ["Cards", 1],
    ]
    # The figures stay the meeting's: they are not the filtered cards.
    assert summary_table(book, "Participation")[2] == ["Whole meeting", 8, 7, 3, 1, 1, 2]


def test_exports_follow_the_interface_language(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    set_language("fr")
    chunks = cards_csv(session, meeting, MeetingFilter(delegation=world["mexico"].delegation_id))
    set_language("en")  # rows written later, elsewhere, keep the language of the request
    text = "".join(chunks)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert "Engagements concrets pour le Pacte mondial" in rows[0]
    assert rows[1][0] == "1. Dimension mondiale"
    assert rows[1][3:6] == ["Mexique", "État Membre", "Anglais"]
    assert rows[2][5] == "Espagnol"
    assert "Droits de l'homme, inclusion et non-discrimination; Детство" in rows[2]


def test_sheet_names_are_what_excel_accepts() -> None:
    taken = {"history"}
    assert (
        sheet_name("1. Local/sub-national: [cities]*?", taken) == "1. Local sub-national   cities"
    )
    assert sheet_name("History", taken) == "History (2)"
    assert sheet_name("'quoted'", taken) == "quoted"
    long = "7. " + "Suivi et examen " * 4
    first, second = sheet_name(long, taken), sheet_name(long.upper(), taken)
    assert len(first) == 31 and len(second) == 31 and second.endswith(" (2)")
    assert sheet_name("\x00\x01", taken) == "-"
    assert sheet_name(f"6. {ARABIC}", taken) == f"6. {ARABIC}"


# --- The chair's summary ----------------------------------------------------------------------


def open_summary(session: Session, meeting: Meeting) -> Document:
    return docx.Document(io.BytesIO(summary_docx(summary_data(session, meeting))))


def styled(document: Document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == style]


def test_summary_has_the_figures_and_every_groups_report(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    document = open_summary(session, meeting)
    assert styled(document, "Title") == ["Chair's summary (draft)"]
    texts = [p.text for p in document.paragraphs]
    assert meeting.name["en"] in texts and "Dec 4\u2009–\u20096, 2017" in texts
    assert "Puerto Vallarta, Jalisco, Mexico" in texts
    assert styled(document, "Heading 1") == [
        "Participation",
        "Recommendations in several groups",
        "Reports of the action groups",
    ]
    # The groups without cards or report are left out here; the tables count them.
    assert styled(document, "Heading 2") == [
        "Action group 1: Global dimension", "Action group 6: Human dimension",
        "Action group 7: Follow-up and review",
    ]  # fmt: skip
    assert empty_headings(document) == []
    assert "8 cards from 7 delegations." in texts
    overview, by_group, by_kind = (
        [[c.text for c in row.cells] for row in table.rows] for table in document.tables[:3]
    )
    assert overview == [
        ["", "Number"], ["Action groups", "7"], ["Cards", "8"], ["Delegations", "7"],
        ["Member States", "3"], ["Observers", "1"], ["UN entities", "1"],
        ["Other stakeholders", "2"],
    ]  # fmt: skip
    assert by_group[0] == [
        "Action group", "Cards", "Delegations", "Member States", "Observers", "UN entities",
        "Other stakeholders",
    ]  # fmt: skip
    assert by_group[1] == ["1. Global dimension", "3", "3", "1", "0", "1", "1"]
    assert by_group[6] == ["6. Human dimension", "4", "4", "3", "0", "0", "1"]
    assert by_group[-1] == ["Whole meeting", "8", "7", "3", "1", "1", "2"]
    assert by_kind == [
        ["Kind of delegation", "Delegations", "Cards"], ["Member State", "3", "4"],
        ["Observer State", "1", "1"], ["UN entity", "1", "1"], ["Civil society", "2", "2"],
    ]  # fmt: skip


def test_summary_reports_are_the_groups_reports(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    document = open_summary(session, meeting)
    texts = [p.text for p in document.paragraphs]
    human = texts.index("Action group 6: Human dimension")
    follow_up = texts.index("Action group 7: Follow-up and review")
    part = texts[human:follow_up]
    assert "Moderator: Ms. Chair" in part
    assert HOSTILE in part and CHINESE in part  # the rapporteurs' summary, kept exactly
    assert "4 cards from 4 delegations." in part
    headings = [p.text for p in document.paragraphs[human:follow_up] if p.style.name == "Heading 3"]
    assert headings == ["Participation", "Recommendations for actionable commitments", "Summary"]
    assert styled(document, "List Number") == [
        "Regular pathways for all.", "Less detention.",
        "Count every card.", f"Protect children: {ARABIC}",
    ]  # fmt: skip
    assert "Supported by 2 delegations: Mexico, @Migrants Network" in part


def test_summary_numbers_each_groups_recommendations_from_one(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    document = open_summary(session, meeting)
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    num_ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert num_ids[0] == num_ids[1] and num_ids[2] == num_ids[3] and num_ids[0] != num_ids[2]
    numbering = document.part.numbering_part.element
    for num_id in set(num_ids):
        start = numbering.num_having_numId(num_id).xpath("./w:lvlOverride/w:startOverride/@w:val")
        assert start == ["1"]


def test_summary_counts_a_recommendation_heard_in_several_groups_once(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    groups = {g.slug: g for g in session.exec(select(Group))}
    for slug, name in (("regional", "Chile"), ("national", "Kenya")):
        card = add_card(session, meeting, slug, name, "en", {"commitments": "Pathways"})
        create_recommendation(
            session, groups[slug], "Regular pathways for all migrants.", [card.id]
        )
    session.commit()
    [proposed] = recurring(session, meeting).proposed  # counted once only when confirmed
    decide(session, meeting, proposed, "confirmed", None)
    session.commit()
    document = open_summary(session, meeting)
    texts = [p.text for p in document.paragraphs]
    start = texts.index("Recommendations in several groups")
    section = document.paragraphs[start : texts.index("Reports of the action groups")]
    assert section[1].text == (
        "6 recommendations with cards in all groups; "
        "counting each recurring idea once, 4 distinct recommendations."
    )
    ideas = [p.text for p in section if p.style.name == "List Bullet"]
    assert ideas == ["In 3 groups: 3 delegations, each counted once"]  # Mexico, Chile, Kenya
    assert [p.text for p in section if p.style.name == "List Bullet 2"] == [
        "Group 1, R1: Regular pathways for all.",
        "Group 2, R1: Regular pathways for all migrants.",
        "Group 3, R1: Regular pathways for all migrants.",
    ]


def test_summary_pages_carry_the_meeting_the_title_the_date_and_page_numbers(
    session: Session, meeting: Meeting, world: dict[str, Card]
) -> None:
    data = summary_data(session, meeting)
    data.made_at = datetime(2017, 12, 6, 23, 30, tzinfo=UTC)  # the 6th still, in Puerto Vallarta
    section = docx.Document(io.BytesIO(summary_docx(data))).sections[0]
    assert [p.text for p in section.header.paragraphs] == [
        meeting.name["en"],
        "Chair's summary (draft)",
    ]
    # The title page carries the title itself: no header there, the same footer.
    assert section.different_first_page_header_footer
    assert [p.text for p in section.first_page_header.paragraphs] == [""]
    for footer in (section.footer, section.first_page_footer):
        assert footer.paragraphs[0].text == "December 6, 2017\tPage 1 of 1"
        assert field_codes(footer) == ["PAGE", "NUMPAGES"]


def test_summary_of_a_meeting_without_cards_prints_no_empty_heading(
    session: Session, meeting: Meeting
) -> None:
    document = open_summary(session, meeting)
    assert styled(document, "Heading 1") == ["Participation", "Recommendations in several groups"]
    assert len(document.tables) == 2  # no table of the kinds of delegation, all at 0
    assert empty_headings(document) == []


def test_summary_page_and_properties(session: Session, meeting: Meeting) -> None:
    set_language("ru")
    document = open_summary(session, meeting)
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert document.core_properties.language == "ru"
    assert document.core_properties.author == ""
    assert meeting.name["ru"] in [p.text for p in document.paragraphs]
    assert "4–6 дек. 2017\u202fг." in [p.text for p in document.paragraphs]


# --- Over HTTP --------------------------------------------------------------------------------


def today() -> str:
    return datetime.now(LOCAL).date().isoformat()


def test_reviewers_download_every_export(
    client: TestClient, accounts: dict, world: dict[str, Card]
) -> None:
    sign_in_as(client, "cora")
    response = client.get("/exports/cards.csv?group=human&language=es&status=all")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="puerto-vallarta-2017-cards-human-{today()}.csv"'
    )
    assert [r["Card ID"] for r in read_csv(response.content.decode("utf-8"))] == [
        world["mexico"].id
    ]
    response = client.get(f"/exports/cards.json?delegation={world['mexico'].delegation_id}")
    assert response.headers["content-type"] == "application/json"
    assert [r["id"] for r in response.json()] == [world["mexico2"].id, world["mexico"].id]
    response = client.get("/exports/cards.xlsx?kind=civil_society")
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith(f'cards-{today()}.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [r["Delegation"] for r in sheet_rows(book["1. Global dimension"])] == [HOSTILE]
    response = client.get("/exports/summary.docx")
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response.headers["content-disposition"] == (
        f'attachment; filename="puerto-vallarta-2017-chair-summary-{today()}.docx"'
    )
    document = docx.Document(io.BytesIO(response.content))
    assert "Action group 6: Human dimension" in styled(document, "Heading 2")


def test_downloads_in_the_readers_language(
    client: TestClient, accounts: dict, world: dict[str, Card]
) -> None:
    sign_in_as(client, "sam")
    client.cookies.set("lang", "fr")
    text = client.get("/exports/cards.csv?group=global").content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[1][:6] == ["1. Dimension mondiale", "#1", world["mexico2"].id, "Mexique",
                           "État Membre", "Anglais"]  # fmt: skip


def test_a_meeting_named_beyond_ascii_gets_filename_star(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict
) -> None:
    meeting.slug = "réunion-2017"
    session.add(meeting)
    session.commit()
    sign_in_as(client, "sam")
    disposition = client.get("/exports/cards.csv").headers["content-disposition"]
    assert disposition == (
        f'attachment; filename="r-union-2017-cards-{today()}.csv"; '
        f"filename*=UTF-8''r%C3%A9union-2017-cards-{today()}.csv"
    )


@pytest.mark.parametrize(
    "path",
    ["/exports/cards.csv", "/exports/cards.xlsx", "/exports/cards.json", "/exports/summary.docx"],
)
def test_rapporteurs_and_delegates_cannot_download(
    path: str, client: TestClient, accounts: dict
) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")
    sign_in_as(client, "ravi")
    assert client.get(path).status_code == 403
