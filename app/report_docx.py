"""A group's report as a Word document, with real headings, lists and a table, and no
heading over nothing: a part with nothing in it is left out.

The parts are shared with the chair's summary (app/summary_docx.py), which holds every
group's report; both are set out by app/word.py, so they look alike.
"""

from docx.document import Document
from docx.text.paragraph import Paragraph

from app.i18n import _, delegation_name, localize
from app.ledger_word import add_ledger_annex
from app.models import utcnow
from app.report import ReportData, supported_by
from app.text import clean, one_line, paragraphs
from app.word import add_table, new_document, save


def report_docx(data: ReportData) -> bytes:
    """Return the report as a Word document."""
    moment = data.updated_at or utcnow()
    meeting = data.meeting
    document = new_document(localize(meeting.name), data.title, moment, meeting.timezone)
    document.add_heading(one_line(data.title), level=1)
    document.add_paragraph(one_line(localize(meeting.name)))
    add_report_body(document, data, level=2)
    add_ledger_annex(document, data.ledger, level=2)
    return save(document, data.title, moment)


def add_report_body(document: Document, data: ReportData, level: int) -> None:
    """Add a report's parts after its title, their headings at `level`."""
    for key in ("moderator", "rapporteurs"):
        _labelled(document, data.titles[key], data.sections[key])
    _participation(document, data, level)
    _section(document, data.titles["priorities"], data.sections["priorities"], level)
    _recommendations(document, data, level)
    if data.awaiting_note:
        document.add_paragraph().add_run(data.awaiting_note).italic = True
    for key in ("means", "partnerships", "divergent", "summary"):
        _section(document, data.titles[key], data.sections[key], level)


def _labelled(document: Document, label: str, text: str) -> None:
    """Add "label: text" with the label in bold, unless the text is empty."""
    text = "\n".join(paragraphs(text))
    if not text:
        return
    paragraph = document.add_paragraph()
    paragraph.add_run(one_line(label) + ":").bold = True
    paragraph.add_run(" " + text)


def _section(document: Document, title: str, text: str, level: int) -> None:
    """Add a heading and the text's paragraphs, unless the text is empty."""
    blocks = paragraphs(text)
    if not blocks:
        return
    document.add_heading(one_line(title), level=level)
    for block in blocks:
        document.add_paragraph(block)  # python-docx writes each "\n" as a line break


def _participation(document: Document, data: ReportData, level: int) -> None:
    """Add the figures: how many cards and delegations, and a table by kind of delegation."""
    document.add_heading(one_line(data.titles["participation"]), level=level)
    document.add_paragraph(data.participation)
    if data.by_kind:
        add_table(document, (_("Kind of delegation"), _("Delegations")), data.by_kind)


def _recommendations(document: Document, data: ReportData, level: int) -> None:
    """Add the recommendations, numbered from 1, each with the delegations that support it."""
    if not data.recommendations:
        return
    document.add_heading(one_line(data.titles["recommendations"]), level=level)
    numbered: list[Paragraph] = []
    for view in data.recommendations:
        text = clean(view.recommendation.text).strip()
        numbered.append(document.add_paragraph(text, style="List Number"))
        names = ", ".join(delegation_name(d.name, d.iso2) for d in view.delegations)
        supported = f"{supported_by(view)}: {one_line(names)}"
        document.add_paragraph(supported, style="List Continue")  # under its number
    _restart_numbering(document, numbered)


def _restart_numbering(document: Document, numbered: list[Paragraph]) -> None:
    """Number these paragraphs from 1: Word continues one "List Number" list through the
    whole document, so a second group's recommendations would start where the first's end."""
    if not numbered:
        return
    style = document.styles["List Number"].element
    numbering = document.part.numbering_part.element
    style_num_id = style.pPr.numPr.numId.val
    abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    for paragraph in numbered:
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num.numId
