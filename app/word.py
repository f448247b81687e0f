"""Word documents set out as a secretariat's: A4 with 2 cm margins, a serif that prints well,
black headings that step down in size, the meeting and the document's title at the top of
every page, the date and "Page X of Y" at its foot. The report (app/report_docx.py) and the
chair's summary (app/summary_docx.py) both start here, so they look alike.
"""

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import docx
from babel.dates import format_date
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import _Footer
from docx.shared import Cm, Emu, Mm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table, _Column, _Row
from docx.text.paragraph import Paragraph

from app.i18n import _, get_language
from app.text import clean, one_line

SERIF = "Times New Roman"  # LibreOffice prints it with Liberation Serif, of the same widths
# Points per style; each heading is bold and a step smaller than the one above.
SIZES = {
    "Normal": 11, "Title": 18, "Heading 1": 15, "Heading 2": 13, "Heading 3": 11,
    "Caption": 10, "Header": 9, "Footer": 9,
}  # fmt: skip
BLACK = RGBColor(0, 0, 0)
TEXT_WIDTH = Cm(17)  # A4 less its two margins
TABLE_STYLES = ("Table Grid", "Light Grid Accent 1")
TABLE_SIZE = Pt(10)
CHAR, BOLD_CHAR = 5, 6  # points a letter takes at that size, generously, in regular and bold
CELL_PADDING = Pt(12)  # the cell's margins, in Word and in LibreOffice
FIELD = "\x00"  # marks where a field goes in a translated sentence; no translation holds it


def new_document(
    meeting_name: str, title: str, moment: datetime, timezone: str, title_page: bool = False
) -> Document:
    """Start an A4 document with sober styles, its header and footer on every page; a
    title page carries the title itself, and only the footer."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    section.header_distance = section.footer_distance = Cm(1)
    _set_styles(document)
    header = section.header.paragraphs[0]
    header.text = one_line(meeting_name)
    _rule_below(section.header.add_paragraph(one_line(title), style="Header"))
    day = format_date(moment.astimezone(ZoneInfo(timezone)).date(), "long", locale=get_language())
    _footer(section.footer, day)
    if title_page:
        section.different_first_page_header_footer = True
        _footer(section.first_page_footer, day)
    return document


def save(document: Document, title: str, moment: datetime) -> bytes:
    """Set the title, language and dates, replacing the template's own; return the file."""
    properties = document.core_properties
    properties.title = one_line(title)
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
        run = cell.paragraphs[0].add_run(one_line(label))
        run.bold, run.font.size = True, TABLE_SIZE
    _repeat_as_header(table.rows[0])
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.paragraphs[0].add_run(clean(str(value))).font.size = TABLE_SIZE
    for index, column in enumerate(table.columns):
        if rows and all(isinstance(row[index], int) for row in rows):
            for cell in column.cells:  # figures line up on their last digit
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _fit_columns(table)
    return table


def _fit_columns(table: Table) -> None:
    """Give each column of figures the width of its longest word, so that none is cut
    ("Memb-er"), and the first column, of names that wrap, the rest of the line."""
    needs = [_longest_word(column) for column in table.columns]
    needs[0] = max(TEXT_WIDTH - sum(needs[1:]), Cm(3))
    for column, need in zip(table.columns, needs, strict=True):
        width = Emu(need * TEXT_WIDTH // sum(needs))  # scaled down only if too wide
        column.width = width
        for cell in column.cells:
            cell.width = width


def _longest_word(column: _Column) -> int:
    """Estimate the width of a column's longest word, its heading's in bold (generously)."""
    heading, *cells = column.cells
    words = [(len(w), BOLD_CHAR) for w in heading.text.split()]
    words += [(len(w), CHAR) for cell in cells for w in cell.text.split()]
    return max((Pt(length * char) for length, char in words), default=0) + CELL_PADDING


def _set_styles(document: Document) -> None:
    """Set every style the documents use in the serif, black, at its size."""
    for name, size in SIZES.items():
        style = document.styles[name]
        _drop_theme_fonts(style)
        style.font.name = SERIF
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:cs"), SERIF)
        style.font.size = Pt(size)
        style.font.color.rgb = BLACK
        if name == "Title" or name.startswith("Heading"):
            style.font.bold = True
    title = document.styles["Title"].element.pPr
    for border in title.findall(qn("w:pBdr")) if title is not None else []:
        title.remove(border)  # the template's blue rule under the title
    caption = document.styles["Caption"]
    caption.font.italic = True
    caption.paragraph_format.space_before, caption.paragraph_format.space_after = Pt(12), Pt(4)
    caption.paragraph_format.keep_with_next = True  # a table's title stays with the table
    footer = document.styles["Footer"].paragraph_format.tab_stops
    footer.clear_all()  # the template's stops are for US Letter
    footer.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)


def _drop_theme_fonts(style: BaseStyle) -> None:
    # A theme font (the template's Calibri and Cambria) wins over a named one: remove it.
    rpr = style.element.rPr
    fonts = rpr.rFonts if rpr is not None else None
    if fonts is None:
        return
    for attribute in [a for a in fonts.attrib if a.endswith("Theme")]:
        del fonts.attrib[attribute]


def _rule_below(paragraph: Paragraph) -> None:
    """Draw a thin line under a paragraph, as under a document's running head."""
    borders = OxmlElement("w:pBdr")
    line = {"w:val": "single", "w:sz": "4", "w:space": "4", "w:color": "auto"}
    borders.append(OxmlElement("w:bottom", {qn(k): v for k, v in line.items()}))
    paragraph._p.get_or_add_pPr().append(borders)


def _footer(footer: _Footer, day: str) -> None:
    """Write the date at the start of the footer and "Page X of Y" at its end."""
    paragraph = footer.paragraphs[0]
    paragraph.add_run(day)
    paragraph.add_run("\t")
    # The sentence is translated whole (word order differs), then cut where the fields go.
    sentence = _(
        "Page %(page)s of %(pages)s", page=f"{FIELD}PAGE{FIELD}", pages=f"{FIELD}NUMPAGES{FIELD}"
    )
    for index, part in enumerate(sentence.split(FIELD)):
        if index % 2:
            _field(paragraph, part)
        elif part:
            paragraph.add_run(part)


def _field(paragraph: Paragraph, code: str) -> None:
    """Add a field that Word and LibreOffice compute (PAGE, NUMPAGES); it shows 1 till then."""
    paragraph.add_run()._r.append(_field_char("begin"))
    instruction = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
    instruction.text = f" {code} "
    paragraph.add_run()._r.append(instruction)
    paragraph.add_run()._r.append(_field_char("separate"))
    paragraph.add_run("1")
    paragraph.add_run()._r.append(_field_char("end"))


def _field_char(kind: str) -> BaseOxmlElement:
    return OxmlElement("w:fldChar", {qn("w:fldCharType"): kind})


def _table_style(document: Document) -> str | None:
    """Return the first table style the document's template has, or None for plain."""
    names = {s.name for s in document.styles if s.type == WD_STYLE_TYPE.TABLE}
    return next((name for name in TABLE_STYLES if name in names), None)


def _repeat_as_header(row: _Row) -> None:
    """Mark a table row as the header, repeated on each page and announced as such."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader", {qn("w:val"): "true"}))
