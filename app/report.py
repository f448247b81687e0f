"""A group's report: the rapporteurs' draft, its versions, and the data every output shares."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, func, select

from app import audit
from app.audit import user_actor
from app.figures import participation_sentence
from app.grouping import RecommendationView, awaiting_confirmation, by_support, recommendations
from app.i18n import _, delegation_name, localize, ngettext
from app.ledger import Ledger, group_ledger, ledger_markdown
from app.meetings import kind_label
from app.models import (
    Card,
    Delegation,
    Group,
    Meeting,
    Report,
    ReportVersion,
    User,
    ident,
    utcnow,
)
from app.text import md_block, md_inline

# The sections the rapporteurs write; the others are computed from the cards.
SECTIONS = (
    "moderator",
    "rapporteurs",
    "priorities",
    "means",
    "partnerships",
    "divergent",
    "summary",
)
SECTION_LIMIT = 20_000
WORDS_PER_MINUTE = 130  # a measured speaking pace, with interpretation


def section_titles() -> dict[str, str]:
    """Return the template's headings in the current language."""
    return {
        "moderator": _("Moderator"),
        "rapporteurs": _("Rapporteurs"),
        "participation": _("Participation"),
        "priorities": _("National priorities raised"),
        "recommendations": _("Recommendations for actionable commitments"),
        "means": _("Means of implementation"),
        "partnerships": _("Partnerships"),
        "divergent": _("Divergent views and other points"),
        "summary": _("Summary"),
    }


class ReportConflict(Exception):
    """Someone saved the report since this person's version; nothing was overwritten."""

    def __init__(self, report: Report) -> None:
        super().__init__("report changed")
        self.report = report


def find_report(session: Session, group: Group) -> Report:
    """Return the group's report; before its first save, an empty draft that is not stored."""
    report = session.exec(select(Report).where(Report.group_id == group.id)).first()
    return report or Report(group_id=ident(group), sections={s: "" for s in SECTIONS})


def get_report(session: Session, group: Group) -> Report:
    """Return the group's report for saving, storing the empty draft the first time."""
    report = find_report(session, group)
    if report.id is None:
        session.add(report)
        session.commit()
        session.refresh(report)
    return report


def save_report(
    session: Session, report: Report, sections: dict[str, str], seen_version: int, user: User
) -> bool:
    """Save a new version written on `seen_version`; return False if nothing changed."""
    if seen_version != report.version:
        raise ReportConflict(report)
    cleaned = {s: sections.get(s, "") for s in SECTIONS}
    if cleaned == {s: report.sections.get(s, "") for s in SECTIONS}:
        return False
    report.sections = cleaned
    report.version += 1
    report.updated_by = user.id
    report.updated_at = utcnow()
    session.add(report)
    session.add(
        ReportVersion(
            report_id=ident(report),
            version=report.version,
            sections=cleaned,
            user_id=user.id,
            created_at=report.updated_at,
        )
    )
    audit.record(
        session, user_actor(user), "report.save", "report", report.id, version=report.version
    )
    session.commit()
    return True


def report_versions(session: Session, report: Report) -> list[tuple[ReportVersion, str]]:
    """Return the report's versions, newest first, with who saved each."""
    query = (
        select(ReportVersion, User.display_name)
        .join(User, col(User.id) == ReportVersion.user_id, isouter=True)
        .where(ReportVersion.report_id == report.id)
        .order_by(col(ReportVersion.version).desc())
    )
    return [(version, name or "") for version, name in session.exec(query)]


@dataclass
class ReportData:
    """Everything a report output shows, in the current language."""

    meeting: Meeting
    group: Group
    sections: dict[str, str]
    titles: dict[str, str]
    cards: int = 0
    delegations: int = 0
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    recommendations: list[RecommendationView] = field(default_factory=list)
    version: int = 0
    updated_at: datetime | None = None
    awaiting: int = 0  # placements whose card changed since it was placed
    ledger: Ledger | None = None  # the annex: how every card was reflected (app.ledger)

    @property
    def awaiting_note(self) -> str:
        """Say how many placements wait for a rapporteur's look, or nothing if none do."""
        if not self.awaiting:
            return ""
        return ngettext(
            "%(num)s placement awaits confirmation: a card changed since it was placed.",
            "%(num)s placements await confirmation: cards changed since they were placed.",
            self.awaiting,
        )

    @property
    def title(self) -> str:
        return _(
            "Action group %(number)s: %(title)s",
            number=self.group.number,
            title=localize(self.group.title),
        )

    @property
    def participation(self) -> str:
        return participation_sentence(self.cards, self.delegations)


def supported_by(view: RecommendationView) -> str:
    """Say how many delegations support a recommendation, in the language's plural forms."""
    return ngettext(
        "Supported by %(num)s delegation", "Supported by %(num)s delegations", view.support
    )


def report_data(session: Session, meeting: Meeting, group: Group) -> ReportData:
    """Gather the report: the draft's sections, the figures and the recommendations."""
    report = find_report(session, group)
    data = ReportData(
        meeting=meeting,
        group=group,
        sections={s: report.sections.get(s, "") for s in SECTIONS},
        titles=section_titles(),
        version=report.version,
        updated_at=report.updated_at if report.version else None,
    )
    active = (col(Card.group_id) == group.id, col(Card.status) == "active")
    data.cards = session.exec(select(func.count()).select_from(Card).where(*active)).one()
    kinds = session.exec(
        select(Delegation.kind, func.count(func.distinct(Delegation.id)))
        .join(Card, col(Card.delegation_id) == Delegation.id)
        .where(*active)
        .group_by(col(Delegation.kind))
    )
    counts = Counter(dict(kinds.all()))
    data.delegations = sum(counts.values())
    order = [k["slug"] for k in meeting.delegation_kinds]
    data.by_kind = [
        (kind_label(meeting, k), counts[k])
        for k in sorted(counts, key=lambda k: order.index(k) if k in order else len(order))
    ]
    data.recommendations = [v for v in by_support(recommendations(session, group)) if v.cards]
    data.awaiting = awaiting_confirmation(session, group)
    data.ledger = group_ledger(session, group, data.recommendations)
    return data


def speaking_seconds(text: str) -> int:
    """Estimate how long reading a text aloud takes."""
    return round(len(text.split()) * 60 / WORDS_PER_MINUTE)


def report_markdown(data: ReportData) -> str:
    """Return the report as Markdown; every name and text in it renders as typed (app.text)."""
    lines = [f"# {md_inline(data.title)}", "", f"_{md_inline(localize(data.meeting.name))}_", ""]
    for key in ("moderator", "rapporteurs"):
        if md_block(data.sections[key]):
            label = md_inline(data.titles[key])
            lines += [f"**{label}:** {md_block(data.sections[key])}", ""]
    lines += [f"## {md_inline(data.titles['participation'])}", "", md_inline(data.participation)]
    lines += [""]
    lines += [f"- {md_inline(label)}: {count}" for label, count in data.by_kind] + [""]
    lines += _markdown_section(data, "priorities")
    lines += [f"## {md_inline(data.titles['recommendations'])}", ""]
    for number, view in enumerate(data.recommendations, start=1):
        names = ", ".join(delegation_name(d.name, d.iso2) for d in view.delegations)
        indent = " " * len(f"{number}. ")  # what follows stays inside the numbered item
        lines += [
            f"{number}. {md_block(view.recommendation.text, indent)}",
            f"{indent}- {md_inline(supported_by(view))}: {md_inline(names)}",
        ]
    lines.append("")
    if data.awaiting_note:
        lines += [f"_{md_inline(data.awaiting_note)}_", ""]
    for key in ("means", "partnerships", "divergent", "summary"):
        lines += _markdown_section(data, key)
    lines += ledger_markdown(data.ledger) if data.ledger else []
    return "\n".join(lines).rstrip() + "\n"


def _markdown_section(data: ReportData, key: str) -> list[str]:
    text = md_block(data.sections[key])
    return [f"## {md_inline(data.titles[key])}", "", text, ""] if text else []
