"""The ledger's annex in Word: in a group's report, and for every group in the chair's summary."""

from collections.abc import Sequence
from typing import Any

from docx.document import Document

from app.i18n import _, delegation_name
from app.ledger import Ledger, annex_title
from app.text import one_line
from app.word import add_table


def add_ledger_annex(
    document: Document, ledger: Ledger | None, level: int, title: str = ""
) -> None:
    """Add the annex: its heading, the counts, and a row per card; nothing for a group with
    no card."""
    if ledger is None or not ledger.rows:
        return
    document.add_heading(one_line(title or annex_title()), level=level)
    for label, count in ledger.counts:
        document.add_paragraph(f"{label}: {count}", style="List Bullet")
    rows = [
        (
            delegation_name(row.delegation.name, row.delegation.iso2),
            f"#{row.number} {row.short}",
            row.disposition.describe(),
            " / ".join(row.disposition.wordings),
        )
        for row in ledger.rows
    ]
    add_table(document, (_("Delegation"), _("Card"), _("Disposition"), _("Recommendation")), rows)


def add_summary_annex(document: Document, reports: Sequence[Any]) -> None:
    """Add the annex of every group with cards to the chair's summary, in group order
    (each an app.report.ReportData, which imports this module through app.report_docx)."""
    reports = [r for r in reports if r.ledger and r.ledger.rows]
    if not reports:
        return
    document.add_heading(one_line(annex_title()), level=1)
    for report in reports:
        add_ledger_annex(document, report.ledger, level=2, title=report.title)
