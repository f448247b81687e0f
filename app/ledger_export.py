"""The whole meeting's ledger with the delegations' answers, for the secretariat (CSV, XLSX)."""

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from app.i18n import _, delegation_name, localize
from app.ledger import Ledger, answer_labels, group_ledger
from app.meetings import meeting_groups
from app.models import Meeting
from app.text import cell

WIDTHS = (24, 28, 7, 60, 36, 50, 16, 40, 20)


def headers() -> list[str]:
    return [
        _("Group"), _("Delegation"), _("Card"), _("Text"), _("Disposition"),
        _("Recommendation"), _("Answer"), _("Comment"), _("Confirmed in person"),
    ]  # fmt: skip


def ledger_rows(session: Session, meeting: Meeting) -> Iterator[list[str | int]]:
    """Yield one line per card of the meeting, group by group, in the current language."""
    labels = answer_labels()
    for group in meeting_groups(session, meeting):
        ledger: Ledger = group_ledger(session, group)
        title = f"{group.number}. {localize(group.title)}"
        for row in ledger.rows:
            current = row.answer if row.answer and not row.changed else None
            yield [
                title,
                delegation_name(row.delegation.name, row.delegation.iso2),
                row.number,
                row.short,
                row.disposition.describe(),
                " / ".join(row.disposition.wordings),
                labels[row.state],
                current.comment if current else "",
                row.confirmed_by if current else "",
            ]


def ledger_csv(session: Session, meeting: Meeting) -> str:
    """Return the meeting's ledger as CSV that Excel opens (a byte-order mark, no formulas)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([cell(h) for h in headers()])
    for line in ledger_rows(session, meeting):
        writer.writerow([v if isinstance(v, int) else cell(v) for v in line])
    return out.getvalue()


def ledger_xlsx(session: Session, meeting: Meeting) -> bytes:
    """Return the meeting's ledger as a workbook of one sheet, its header in bold."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Ledger")[:31]
    sheet.append(headers())
    for header in sheet[1]:
        header.font = Font(bold=True)
    for line in ledger_rows(session, meeting):
        sheet.append([v if isinstance(v, int) else cell(v) or None for v in line])
        for written in sheet[sheet.max_row]:
            if isinstance(written.value, str):
                written.data_type = "s"  # "#N/A" typed on a card stays text, not an error
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
