"""A group's report as a Word document, with real headings, lists and a table.

The parts are shared with the chair's summary (app/summary_docx.py), which holds every
group's report: both documents look alike.
"""

import io
import re
from collections.abc import Sequence
from datetime import datetime

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from app.exports import clean
from app.i18n import _, delegation_name, get_language, localize
from app.models import utcnow
from app.report import ReportData

TABLE_STYLES = ("Table Grid", "Light Grid Accent 1")
BLANK_LINE = re.compile(r"\n\s*\n")


def report_docx(data: ReportData) -> bytes:
    """Return the report as a Word document."""
    document = docx.Document()
    page_setup(document)
    document.add_heading(clean(data.title), level=1)
    document.add_paragraph(clean(localize(data.meeting.name)))
    add_report_body(document, data, level=2)
    return save(document, data.title, data.updated_at or utcnow())


def add_report_body(document: Document, data: ReportData, level: int) -> None:
    """Add a report's parts after its title, their headings at `level`."""
    for key in ("moderator", "rapporteurs"):
        _labelled(document, data.titles[key], data.sections[key])
    _participation(document, data, level)
    _section(document, data.titles["priorities"], data.sections["priorities"], level)
    _recommendations(document, data, level)
    for key in ("means", "partnerships", "divergent", "summary"):
        _section(document, data.titles[key], data.sections[key], level)


def page_setup(document: Document) -> None:
    """Make every page A4 with 2 cm margins."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)


def save(document: Document, title: str, moment: datetime) -> bytes:
    """Set the title, language and dates, replacing the template's own; return the file."""
    properties = document.core_properties
    properties.title = clean(title)
    properties.language = get_language()
    properties.author = properties.comments = ""
    properties.created = properties.modified = moment
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_table(document: Document, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    """Add a table with a bold header row, repeated on each page and announced as such."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = _table_style(document)
    for cell, label in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(clean(label)).bold = True
    _repeat_as_header(table.rows[0])
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = clean(str(value))
    return table


def _labelled(document: Document, label: str, text: str) -> None:
    """Add "label: text" with the label in bold, unless the text is empty."""
    text = clean(text).strip()
    if not text:
        return
    paragraph = document.add_paragraph()
    paragraph.add_run(clean(label) + ":").bold = True
    paragraph.add_run(" " + text)


def _section(document: Document, title: str, text: str, level: int) -> None:
    """Add a heading and the text's paragraphs, unless the text is empty."""
    text = clean(text).strip()
    if not text:
        return
    document.add_heading(clean(title), level=level)
    for block in BLANK_LINE.split(text):
        # python-docx writes each "\n" left in a run as a line break.
        document.add_paragraph(block.strip())


def _participation(document: Document, data: ReportData, level: int) -> None:
    """Add the figures: how many cards and delegations, and a table by kind of delegation."""
    document.add_heading(clean(data.titles["participation"]), level=level)
    document.add_paragraph(
        _(
            "%(cards)s cards from %(delegations)s delegations.",
            cards=data.cards,
            delegations=data.delegations,
        )
    )
    add_table(document, (_("Kind of delegation"), _("Delegations")), data.by_kind)


def _table_style(document: Document) -> str | None:
    """Return the first table style the document's template has, or None for plain."""
    names = {s.name for s in document.styles if s.type == WD_STYLE_TYPE.TABLE}
    return next((name for name in TABLE_STYLES if name in names), None)


def _repeat_as_header(row: _Row) -> None:
    """Mark a table row as the header, repeated on each page and announced as such."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader", {qn("w:val"): "true"}))


def _recommendations(document: Document, data: ReportData, level: int) -> None:
    """Add the recommendations, numbered from 1, each with the delegations that support it."""
    document.add_heading(clean(data.titles["recommendations"]), level=level)
    numbered: list[Paragraph] = []
    for view in data.recommendations:
        text = clean(view.recommendation.text).strip()
        numbered.append(document.add_paragraph(text, style="List Number"))
        names = ", ".join(delegation_name(d.name, d.iso2) for d in view.delegations)
        supported = _("Supported by %(count)s delegations", count=view.support)
        document.add_paragraph(clean(f"{supported}: {names}"), style="List Bullet")
    _restart_numbering(document, numbered)


def _restart_numbering(document: Document, paragraphs: list[Paragraph]) -> None:
    """Number these paragraphs from 1: Word continues one "List Number" list through the
    whole document, so a second group's recommendations would start where the first's end."""
    if not paragraphs:
        return
    style = document.styles["List Number"].element
    numbering = document.part.numbering_part.element
    style_num_id = style.pPr.numPr.numId.val
    abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    for paragraph in paragraphs:
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num.numId
