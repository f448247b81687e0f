"""A group's report as a Word document, with real headings, lists and a table."""

import io
import re

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm
from docx.table import _Row

from app.i18n import _, delegation_name, get_language, localize
from app.models import utcnow
from app.report import ReportData

TABLE_STYLES = ("Table Grid", "Light Grid Accent 1")
# XML 1.0 cannot hold these: control characters other than tab and newline, lone surrogates,
# and the two non-characters U+FFFE and U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
BLANK_LINE = re.compile(r"\n\s*\n")


def clean(text: str) -> str:
    """Remove the characters a Word document cannot hold, with newlines made uniform."""
    return NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def report_docx(data: ReportData) -> bytes:
    """Return the report as a Word document."""
    document = docx.Document()
    _page_setup(document)
    document.add_heading(clean(data.title), level=1)
    document.add_paragraph(clean(localize(data.meeting.name)))
    for key in ("moderator", "rapporteurs"):
        _labelled(document, data.titles[key], data.sections[key])
    _participation(document, data)
    _section(document, data.titles["priorities"], data.sections["priorities"])
    _recommendations(document, data)
    for key in ("means", "partnerships", "divergent", "summary"):
        _section(document, data.titles[key], data.sections[key])
    _properties(document, data)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page_setup(document: Document) -> None:
    """Make every page A4 with 2 cm margins."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)


def _properties(document: Document, data: ReportData) -> None:
    """Set the title, language and dates, replacing the template's own."""
    properties = document.core_properties
    properties.title = clean(data.title)
    properties.language = get_language()
    properties.author = properties.comments = ""
    properties.created = properties.modified = data.updated_at or utcnow()


def _labelled(document: Document, label: str, text: str) -> None:
    """Add "label: text" with the label in bold, unless the text is empty."""
    text = clean(text).strip()
    if not text:
        return
    paragraph = document.add_paragraph()
    paragraph.add_run(clean(label) + ":").bold = True
    paragraph.add_run(" " + text)


def _section(document: Document, title: str, text: str) -> None:
    """Add a level-2 heading and the text's paragraphs, unless the text is empty."""
    text = clean(text).strip()
    if not text:
        return
    document.add_heading(clean(title), level=2)
    for block in BLANK_LINE.split(text):
        # python-docx writes each "\n" left in a run as a line break.
        document.add_paragraph(block.strip())


def _participation(document: Document, data: ReportData) -> None:
    """Add the figures: how many cards and delegations, and a table by kind of delegation."""
    document.add_heading(clean(data.titles["participation"]), level=2)
    document.add_paragraph(
        _(
            "%(cards)s cards from %(delegations)s delegations.",
            cards=data.cards,
            delegations=data.delegations,
        )
    )
    table = document.add_table(rows=1, cols=2)
    table.style = _table_style(document)
    header = table.rows[0]
    for cell, label in zip(header.cells, (_("Kind of delegation"), _("Delegations")), strict=True):
        cell.paragraphs[0].add_run(label).bold = True
    _repeat_as_header(header)
    for label, count in data.by_kind:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = clean(label), str(count)


def _table_style(document: Document) -> str | None:
    """Return the first table style the document's template has, or None for plain."""
    names = {s.name for s in document.styles if s.type == WD_STYLE_TYPE.TABLE}
    return next((name for name in TABLE_STYLES if name in names), None)


def _repeat_as_header(row: _Row) -> None:
    """Mark a table row as the header, repeated on each page and announced as such."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader", {qn("w:val"): "true"}))


def _recommendations(document: Document, data: ReportData) -> None:
    """Add the recommendations, numbered, each with the delegations that support it."""
    document.add_heading(clean(data.titles["recommendations"]), level=2)
    for view in data.recommendations:
        document.add_paragraph(clean(view.recommendation.text).strip(), style="List Number")
        names = ", ".join(delegation_name(d.name, d.iso2) for d in view.delegations)
        supported = _("Supported by %(count)s delegations", count=view.support)
        document.add_paragraph(clean(f"{supported}: {names}"), style="List Bullet")
