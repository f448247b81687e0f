"""The report as a Word document: real headings, lists and table, safe text, any language."""

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime

import docx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import RGBColor
from docx.text.paragraph import Paragraph

from app import i18n
from app.grouping import RecommendationView
from app.i18n import set_language
from app.models import Card, Delegation, Group, Meeting, Recommendation
from app.report import SECTIONS, ReportData, section_titles
from app.report_docx import report_docx
from app.text import clean

HOSTILE = '=cmd|" /C calc"!A0 <script>alert(1)</script> & حماية المهاجرين 移民'
# What a translator will write; the real French catalog does not have these messages yet.
FRENCH: dict[str | tuple[str, str], str | tuple[str, str]] = {
    "Action group %(number)s: %(title)s": "Groupe d'action %(number)s : %(title)s",
    "Recommendations for actionable commitments": "Recommandations d'engagements concrets",
    "National priorities raised": "Priorités nationales soulevées",
    "Summary": "Résumé",
    ("%(num)s card %(from_delegations)s.", "%(num)s cards %(from_delegations)s."): (
        "%(num)s fiche %(from_delegations)s.",
        "%(num)s fiches %(from_delegations)s.",
    ),
    ("from %(num)s delegation", "from %(num)s delegations"): (
        "de %(num)s délégation",
        "de %(num)s délégations",
    ),
    "Kind of delegation": "Type de délégation",
    "Delegations": "Délégations",
    ("Supported by %(num)s delegation", "Supported by %(num)s delegations"): (
        "Soutenue par %(num)s délégation",
        "Soutenue par %(num)s délégations",
    ),
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def french(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = Catalog(locale="fr")
    for message, translation in FRENCH.items():
        catalog.add(message, translation)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    fake = Translations(buffer)
    real = i18n.translations

    def translations(language: str) -> NullTranslations:
        return fake if language == "fr" else real(language)

    monkeypatch.setattr(i18n, "translations", translations)
    set_language("fr")


def _data(**sections: str) -> ReportData:
    meeting = Meeting(
        slug="m",
        name={"en": "Test meeting"},
        venue="V",
        start_date=date(2017, 12, 4),
        end_date=date(2017, 12, 6),
        delegation_kinds=[{"slug": "member_state", "label": {"en": "Member State"}}],
    )
    group = Group(meeting_id=1, slug="human", number=6, title={"en": "Human dimension"})
    mexico = Delegation(id=1, name="Mexico", kind="member_state", iso2="MX")
    germany = Delegation(id=2, name="Germany", kind="member_state", iso2="DE")
    card = Card(
        id="c1",
        meeting_id=1,
        group_id=1,
        delegation_id=1,
        language="en",
        answers={"commitments": "x"},
    )
    views = [
        RecommendationView(
            recommendation=Recommendation(group_id=1, text="Protect migrant children."),
            delegations=[mexico, germany],
            cards=[card, card],
        ),
        RecommendationView(
            recommendation=Recommendation(group_id=1, text=f"Count <all> & {HOSTILE}"),
            delegations=[germany],
            cards=[card],
        ),
    ]
    return ReportData(
        meeting=meeting,
        group=group,
        sections={s: "" for s in SECTIONS} | sections,
        titles=section_titles(),
        cards=3,
        delegations=2,
        by_kind=[("Member State", 2)],
        recommendations=views,
    )


def _open(data: ReportData) -> Document:
    return docx.Document(io.BytesIO(report_docx(data)))


def _styled(document: Document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == style]


def test_structure_in_order() -> None:
    data = _data(
        moderator="Ms. Chair",
        priorities="First point\nsecond line\n\n\nSecond paragraph",
        summary=f"{HOSTILE}\x07",
    )
    document = _open(data)
    first = document.paragraphs[0]
    assert first.style is not None and first.style.name == "Heading 1"
    assert first.text == "Action group 6: Human dimension"
    assert document.paragraphs[1].text == "Test meeting"
    moderator = document.paragraphs[2]
    assert moderator.text == "Moderator: Ms. Chair"
    assert [r.bold for r in moderator.runs] == [True, None]
    assert _styled(document, "Heading 2") == [
        "Participation",
        "National priorities raised",
        "Recommendations for actionable commitments",
        "Summary",
    ]
    texts = [p.text for p in document.paragraphs]
    assert "3 cards from 2 delegations." in texts
    assert "First point\nsecond line" in texts
    assert "Second paragraph" in texts
    assert texts[-1] == HOSTILE
    assert texts.index("Second paragraph") < texts.index("Protect migrant children.")


def test_participation_table() -> None:
    document = _open(_data())
    (table,) = document.tables
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Kind of delegation", "Delegations"],
        ["Member State", "2"],
    ]
    assert table.style is not None and table.style.name == "Table Grid"
    header = table.rows[0]._tr.trPr
    assert header is not None and header.xml.count("tblHeader") == 1


def test_recommendations_are_numbered_with_their_supporters() -> None:
    document = _open(_data())
    assert _styled(document, "List Number") == [
        "Protect migrant children.",
        f"Count <all> & {HOSTILE}",
    ]
    assert _styled(document, "List Continue") == [
        "Supported by 2 delegations: Mexico, Germany",
        "Supported by 1 delegation: Germany",
    ]


def test_empty_sections_have_no_heading() -> None:
    document = _open(_data(rapporteurs="  \n ", means="\n\n"))
    assert _styled(document, "Heading 2") == [
        "Participation",
        "Recommendations for actionable commitments",
    ]
    assert not any(p.text.startswith("Rapporteurs") for p in document.paragraphs)
    assert empty_headings(document) == []


def test_a_report_without_recommendations_or_cards_prints_no_empty_heading() -> None:
    data = _data(summary="Nothing yet.")
    data.recommendations, data.by_kind, data.cards, data.delegations = [], [], 0, 0
    document = _open(data)
    assert _styled(document, "Heading 2") == ["Participation", "Summary"]
    assert "0 cards from 0 delegations." in [p.text for p in document.paragraphs]
    assert document.tables == []  # no table of nobody
    assert empty_headings(document) == []


def field_codes(element: object) -> list[str]:
    """Return the codes of the Word fields in a header or footer (PAGE, NUMPAGES...)."""
    xml = element._element  # type: ignore[attr-defined]
    codes = [t.text.strip() for t in xml.iter(qn("w:instrText"))]
    return codes + [f.get(qn("w:instr")).strip() for f in xml.iter(qn("w:fldSimple"))]


def test_every_page_names_the_meeting_and_the_document_and_counts_pages() -> None:
    data = _data()
    data.updated_at = datetime(2017, 12, 6, 18, 30, tzinfo=UTC)
    section = _open(data).sections[0]
    assert [p.text for p in section.header.paragraphs] == [
        "Test meeting",
        "Action group 6: Human dimension",
    ]
    footer = "\n".join(p.text for p in section.footer.paragraphs)
    assert "December 6, 2017" in footer and "Page 1 of 1" in footer
    assert field_codes(section.footer) == ["PAGE", "NUMPAGES"]


def test_styles_print_soberly() -> None:
    document = _open(_data())
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt == 11
    for name, size in (("Title", 18), ("Heading 1", 15), ("Heading 2", 13), ("Heading 3", 11)):
        style = document.styles[name]
        assert style.font.size.pt == size, name
        assert style.font.name == "Times New Roman" and style.font.color.rgb == RGBColor(0, 0, 0)
        fonts = style.element.rPr.rFonts
        assert fonts is None or not [a for a in fonts.attrib if a.endswith("Theme")], name


def test_page_and_properties() -> None:
    raw = report_docx(_data())
    assert zipfile.ZipFile(io.BytesIO(raw)).testzip() is None
    document = docx.Document(io.BytesIO(raw))
    section = document.sections[0]
    size = (section.page_width, section.page_height)
    assert [round(x.cm, 1) for x in size if x is not None] == [21.0, 29.7]
    margins = (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin)
    assert [round(m.cm, 1) for m in margins if m is not None] == [2.0] * 4
    assert document.core_properties.title == "Action group 6: Human dimension"
    assert document.core_properties.language == "en"
    assert document.core_properties.author == ""
    assert "python-docx" not in document.core_properties.comments
    created = document.core_properties.created
    assert created is not None and created.year >= 2025


def test_clean_keeps_text_and_drops_what_xml_cannot_hold() -> None:
    assert clean(f"a\x00b\x07c\td\r\ne\rf\ufffe{HOSTILE}") == f"abc\td\ne\nf{HOSTILE}"
    document = _open(_data(divergent="\x01\x0b\x1f"))
    assert "Divergent views and other points" not in _styled(document, "Heading 2")


@pytest.mark.usefixtures("french")
def test_french() -> None:
    document = _open(_data(summary="Texte"))
    assert document.paragraphs[0].text == "Groupe d'action 6 : Human dimension"
    assert _styled(document, "Heading 2") == [
        "Participation",
        "Recommandations d'engagements concrets",
        "Résumé",
    ]
    assert "3 fiches de 2 délégations." in [p.text for p in document.paragraphs]
    assert [c.text for c in document.tables[0].rows[0].cells] == [
        "Type de délégation",
        "Délégations",
    ]
    # States are named from Babel's locale data, not from the catalog.
    assert _styled(document, "List Continue") == [
        "Soutenue par 2 délégations: Mexique, Allemagne",
        "Soutenue par 1 délégation: Allemagne",
    ]
    assert document.core_properties.language == "fr"


def heading_level(paragraph: Paragraph) -> int | None:
    """Return 0 for the title, 1-9 for a heading, None for any other paragraph."""
    name = paragraph.style.name if paragraph.style is not None else ""
    if name == "Title":
        return 0
    return int(name.removeprefix("Heading ")) if name.startswith("Heading ") else None


def empty_headings(document: Document) -> list[str]:
    """Return the headings with nothing under them: no paragraph of text and no table before
    the next heading of the same or a higher rank, or the end."""
    blocks: list[tuple[int | None, str]] = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:tbl"):
            blocks.append((None, "table"))
        elif element.tag == qn("w:p") and (paragraph := Paragraph(element, document)).text.strip():
            blocks.append((heading_level(paragraph), paragraph.text))
    empty = []
    for index, (level, text) in enumerate(blocks):
        if level is None:
            continue
        after = (lvl for lvl, _text in blocks[index + 1 :] if lvl is None or lvl <= level)
        if next(after, level) is not None:  # a heading of its rank, or the end, came first
            empty.append(text)
    return empty
