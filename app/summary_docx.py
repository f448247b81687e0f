"""The draft of the chair's summary: the meeting's figures and every group's report, in one
Word document for the co-facilitators to edit. A group with neither cards nor a written
report is left out (the participation table still counts it), as is any empty table.
"""

from dataclasses import dataclass, field
from datetime import datetime

from docx.document import Document
from docx.shared import Pt
from sqlmodel import Session

from app.figures import CATEGORIES, Figures, Participation, category_labels, meeting_figures
from app.floor_figures import Interventions, add_to_summary, interventions
from app.i18n import _, format_dates, format_time, localize, ngettext
from app.ledger_word import add_summary_annex
from app.meetings import kind_label, meeting_groups
from app.models import Meeting, utcnow
from app.recurring import Recurring, recurring_among
from app.report import ReportData, report_data
from app.report_docx import add_report_body
from app.text import clean, one_line
from app.word import add_table, new_document, save


@dataclass
class SummaryData:
    """Everything the chair's summary shows."""

    meeting: Meeting
    figures: Figures
    reports: list[ReportData]
    recurring: Recurring
    made_at: datetime
    interventions: Interventions = field(default_factory=Interventions)


def summary_data(session: Session, meeting: Meeting) -> SummaryData:
    """Gather the meeting's figures and every group's report, in group order."""
    reports = [report_data(session, meeting, g) for g in meeting_groups(session, meeting)]
    return SummaryData(
        meeting=meeting,
        figures=meeting_figures(session, meeting),
        reports=reports,
        # From the reports' own recommendations, rather than reading every group's again.
        recurring=recurring_among(
            session, meeting, [(r.group, r.recommendations) for r in reports]
        ),
        made_at=utcnow(),
        interventions=interventions(session, meeting),
    )


def summary_title() -> str:
    """Name the document in the current language."""
    return _("Chair's summary (draft)")


def summary_docx(data: SummaryData, ledger: bool = False) -> bytes:
    """Return the chair's summary as a Word document: A4, real headings, one part a line."""
    meeting = data.meeting
    document = new_document(
        localize(meeting.name), summary_title(), data.made_at, meeting.timezone, title_page=True
    )
    add_title_page(document, data)
    add_figures(document, data)
    add_recurring_recommendations(document, data)
    add_group_reports(document, data)
    if ledger:  # the secretariat's choice: the annex of how every card was reflected
        add_summary_annex(document, data.reports)
    return save(document, summary_title(), data.made_at)


def add_title_page(document: Document, data: SummaryData) -> None:
    """Add the title, the meeting, where and when it met, and when this draft was made."""
    meeting = data.meeting
    document.add_heading(one_line(summary_title()), level=0)
    document.add_paragraph(one_line(localize(meeting.name)))
    document.add_paragraph(one_line(meeting.venue))
    document.add_paragraph(format_dates(meeting.start_date, meeting.end_date))
    made = format_time(data.made_at, meeting.timezone)
    document.add_paragraph(_("Draft made from the cards on %(moment)s.", moment=made))
    document.add_page_break()


def add_figures(document: Document, data: SummaryData) -> None:
    """Add the participation figures: the meeting, each group, and each kind of delegation."""
    figures, labels = data.figures, category_labels()
    document.add_heading(_("Participation"), level=1)
    document.add_paragraph(figures.meeting.sentence)
    _caption(document, _("Table 1: Participation in the meeting"))
    overview = [
        (_("Action groups"), len(figures.groups)),
        (_("Cards"), figures.meeting.cards),
        (_("Delegations"), figures.meeting.delegations),
        *((labels[c], figures.meeting.by_category[c]) for c in CATEGORIES),
    ]
    add_table(document, ("", _("Number")), overview)
    _caption(document, _("Table 2: Participation by action group"))
    header = (_("Action group"), _("Cards"), _("Delegations"), *(labels[c] for c in CATEGORIES))
    rows = [_participation_row(f"{g.number}. {localize(g.title)}", p) for g, p in figures.groups]
    rows.append(_participation_row(_("Whole meeting"), figures.meeting))
    add_table(document, header, rows)
    kinds = [k["slug"] for k in data.meeting.delegation_kinds]
    kinds += sorted(set(figures.meeting.by_kind) - set(kinds))
    by_kind = [
        (kind_label(data.meeting, k), figures.meeting.by_kind[k], figures.meeting.cards_by_kind[k])
        for k in kinds
        if figures.meeting.cards_by_kind[k]
    ]
    if by_kind:
        _caption(document, _("Table 3: Participation by kind of delegation"))
        add_table(document, (_("Kind of delegation"), _("Delegations"), _("Cards")), by_kind)
    note = document.add_paragraph(_("Counted from the cards not withdrawn by their delegation."))
    note.paragraph_format.space_before = Pt(6)
    add_to_summary(document, data.meeting, data.interventions)


def _participation_row(label: str, part: Participation) -> list[object]:
    return [label, part.cards, part.delegations, *(part.by_category[c] for c in CATEGORIES)]


def _caption(document: Document, text: str) -> None:
    document.add_paragraph(text, style="Caption")


def add_recurring_recommendations(document: Document, data: SummaryData) -> None:
    """Add the ideas co-facilitators confirmed as heard in several groups, each counted once,
    so that the summary does not count one idea six times. Proposals not yet confirmed are
    neither listed nor counted as one."""
    result = data.recurring
    document.add_heading(_("Recommendations in several groups"), level=1)
    distinct = ngettext(
        "%(num)s distinct recommendation", "%(num)s distinct recommendations", result.distinct
    )
    document.add_paragraph(
        ngettext(
            "%(num)s recommendation with cards in all groups; counting each recurring idea "
            "once, %(distinct)s.",
            "%(num)s recommendations with cards in all groups; counting each recurring idea "
            "once, %(distinct)s.",
            result.recommendations,
            distinct=distinct,
        )
    )
    if result.proposed:
        document.add_paragraph(
            _(
                "Only ideas the co-facilitators confirmed as the same are counted once; the "
                "groups' reports below count their own support."
            )
        )
    if not result.confirmed:
        document.add_paragraph(_("No recommendation recurs in several groups yet."))
    for idea in result.confirmed:
        heading = ngettext(
            "In %(num)s group: %(delegations)s, each counted once",
            "In %(num)s groups: %(delegations)s, each counted once",
            idea.groups,
            delegations=ngettext(
                "%(num)s delegation", "%(num)s delegations", len(idea.delegations)
            ),
        )
        document.add_paragraph(heading, style="List Bullet")
        for member in idea.members:
            line = _(
                "Group %(number)s, R%(rec)s", number=member.group.number, rec=member.view.number
            )
            text = f"{line}: {member.view.recommendation.text}"
            document.add_paragraph(clean(text), style="List Bullet 2")


def add_group_reports(document: Document, data: SummaryData) -> None:
    """Add the report of every group that has cards or a written report, in group order, as
    its own report document shows it."""
    reports = [r for r in data.reports if r.cards or any(map(one_line, r.sections.values()))]
    if reports:
        document.add_heading(_("Reports of the action groups"), level=1)
    for report in reports:
        document.add_heading(one_line(report.title), level=2)
        add_report_body(document, report, level=3)
