"""Interventions counted for the figures: by category and kind of delegation (as Table 1
counts cards), by kind of intervention, and who spoke without writing a card or the reverse,
so that rapporteurs can ask for the missing cards."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docx.document import Document
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlmodel import Session, col, select

from app.figures import CATEGORIES, category_labels, kind_categories
from app.floor import kind_names, spoken_by
from app.i18n import _, delegation_name, localize
from app.meetings import kind_label, meeting_groups
from app.models import Card, Delegation, FloorRequest, Group, Meeting, ident
from app.word import add_table


@dataclass
class Interventions:
    """The interventions of a group, or of the whole meeting."""

    total: int = 0
    seconds: int = 0
    overruns: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)  # kind of delegation
    by_intervention: Counter[str] = field(default_factory=Counter)  # statement, point of order...
    # (category, kind of intervention): the table of interventions
    table: Counter[tuple[str, str]] = field(default_factory=Counter)
    spoke_no_card: list[str] = field(default_factory=list)
    card_no_speech: list[str] = field(default_factory=list)


def interventions(session: Session, meeting: Meeting, group: Group | None = None) -> Interventions:
    """Count the interventions made (ended), in one group or in the whole meeting."""
    group_ids = [ident(group)] if group else [ident(g) for g in meeting_groups(session, meeting)]
    categories = kind_categories(meeting)
    query = (
        select(FloorRequest, Delegation)
        .join(Delegation, col(Delegation.id) == FloorRequest.delegation_id)
        .where(col(FloorRequest.group_id).in_(group_ids), col(FloorRequest.ended_at).is_not(None))
    )
    result, spoke = Interventions(), {}
    for request, delegation in session.exec(query):
        category = categories.get(delegation.kind, "stakeholders")
        result.total += 1
        result.seconds += request.spoken_seconds or 0
        result.overruns += 1 if request.overrun_seconds else 0
        result.by_category[category] += 1
        result.by_kind[delegation.kind] += 1
        result.by_intervention[request.kind] += 1
        result.table[(category, request.kind)] += 1
        spoke[(request.group_id, ident(delegation))] = delegation
    wrote = _writers(session, group_ids)
    name = lambda d: delegation_name(d.name, d.iso2)  # noqa: E731
    result.spoke_no_card = sorted({name(d) for key, d in spoke.items() if key not in wrote})
    result.card_no_speech = sorted({name(d) for key, d in wrote.items() if key not in spoke})
    return result


def _writers(session: Session, group_ids: list[int]) -> dict[tuple[int, int], Delegation]:
    """Return the delegations with an active card, per (group, delegation)."""
    query = (
        select(Card.group_id, Delegation)
        .join(Delegation, col(Delegation.id) == Card.delegation_id)
        .where(col(Card.group_id).in_(group_ids), Card.status == "active")
    )
    return {(group_id, ident(d)): d for group_id, d in session.exec(query)}


def context(session: Session, meeting: Meeting, group: Group | None = None) -> dict[str, Any]:
    """What templates/floor/_figures.html shows."""
    found = interventions(session, meeting, group)
    return {"interventions": found, "interventions_table": table_rows(meeting, found)}


def workspace_context(session: Session, meeting: Meeting, group: Group) -> dict[str, Any]:
    """What the rapporteur's workspace shows: who spoke and how long, who spoke without a card."""
    return {
        "spoken": spoken_by(session, group),
        "spoke_no_card": interventions(session, meeting, group).spoke_no_card,
    }


def table_rows(meeting: Meeting, found: Interventions) -> tuple[list[str], list[list[Any]]]:
    """Return the header and rows of the table: a category a row, a kind of intervention a
    column, and the total."""
    kinds = kind_names()
    used = [k for k in kinds if found.by_intervention[k]] or ["statement"]
    header = [_("Category"), *(kinds[k] for k in used), _("Interventions")]
    labels = category_labels()
    rows = [
        [labels[c], *(found.table[(c, k)] for k in used), found.by_category[c]] for c in CATEGORIES
    ]
    rows.append([_("All"), *(found.by_intervention[k] for k in used), found.total])
    return header, rows


def kind_rows(meeting: Meeting, found: Interventions) -> list[list[Any]]:
    """Return a row per kind of delegation that spoke: its name and its interventions."""
    slugs = [k["slug"] for k in meeting.delegation_kinds]
    slugs += sorted(set(found.by_kind) - set(slugs))
    return [[kind_label(meeting, k), found.by_kind[k]] for k in slugs if found.by_kind[k]]


def write_sheet(
    sheet: WriteOnlyWorksheet, session: Session, meeting: Meeting, text: Callable[[str], Any]
) -> None:
    """Write the interventions of the meeting and of each group into a workbook's sheet;
    `text` makes a cell of a text (app.exports: never read as a formula)."""
    sheet.column_dimensions["A"].width = 36
    for label, group in [
        (_("Whole meeting"), None),
        *((f"{g.number}. {localize(g.title)}", g) for g in meeting_groups(session, meeting)),
    ]:
        found = interventions(session, meeting, group)
        sheet.append([text(label)])
        header, rows = table_rows(meeting, found)
        sheet.append([text(h) for h in header])
        for row in rows:
            sheet.append([text(row[0]), *row[1:]])
        sheet.append([text(_("Minutes spoken")), round(found.seconds / 60, 1)])
        sheet.append([text(_("Over time")), found.overruns])
        sheet.append([text(_("Spoke but wrote no card")), text("; ".join(found.spoke_no_card))])
        sheet.append(
            [text(_("Wrote cards but did not speak")), text("; ".join(found.card_no_speech))]
        )
        sheet.append([])


def add_to_summary(document: Document, meeting: Meeting, found: Interventions) -> None:
    """Add the interventions to the chair's summary: a table by category and kind."""
    if not found.total:
        return
    document.add_heading(_("Interventions"), level=2)
    document.add_paragraph(_("Table 4: Interventions by category and kind"), style="Caption")
    header, rows = table_rows(meeting, found)
    add_table(document, header, rows)
    by_kind = kind_rows(meeting, found)
    document.add_paragraph(_("Table 5: Interventions by kind of delegation"), style="Caption")
    add_table(document, (_("Kind of delegation"), _("Interventions")), by_kind)
