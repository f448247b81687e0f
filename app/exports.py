"""Cards as files for the secretariat: CSV that Excel opens, an XLSX workbook, and JSON.

Every export streams the cards that match the reader's filters (app.across.iter_entries),
so the whole meeting is never in memory at once. Labels are resolved once, in the language
of whoever asked, before the first row: a streamed response writes its rows later, in
other threads, where the request's language is not at hand.
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlmodel import Session, select

from app import floor_figures
from app.across import CardEntry, MeetingFilter, iter_entries
from app.figures import CATEGORIES, Figures, category_labels, meeting_figures
from app.i18n import (
    _,
    delegation_name,
    format_dates,
    get_language,
    language_name,
    localize,
    sort_key,
)
from app.meetings import kind_label, meeting_groups
from app.models import Delegation, Group, Meeting, User, ident, utcnow
from app.text import cell, json_text, one_line

# Excel refuses these in a sheet's name, and names longer than 31 characters.
NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
# Rows written to a streamed CSV at a time.
CSV_CHUNK = 200
# Column widths in the workbook, in characters; one per fixed column, then the answers.
WIDTHS = (24, 7, 12, 28, 20, 12, 18, 20, 14, 24, 19, 19)
ANSWER_WIDTH = 60


@dataclass
class CardTable:
    """The columns of a card export and the labels its rows use, in one language."""

    meeting: Meeting
    groups: list[Group]
    language: str
    zone: ZoneInfo
    headers: list[str]  # the fixed columns; the answers follow
    questions: dict[str, str]  # key: label, across the meeting's groups in group order
    kinds: dict[str, str]
    places: dict[str, str]
    # Babel parses a locale on each call: names are looked up once per export, not per card.
    languages: dict[str, str] = field(default_factory=dict)
    delegations: dict[int, str] = field(default_factory=dict)
    # After the answers: where a card came from, and a paper card's serial and clerk.
    paper_headers: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    clerks: dict[int, str] = field(default_factory=dict)

    def group_label(self, group: Group) -> str:
        return f"{group.number}. {localize(group.title, self.language)}"

    def language_name(self, code: str) -> str:
        if code not in self.languages:
            self.languages[code] = language_name(code, self.language)
        return self.languages[code]

    def delegation_name(self, delegation: Delegation) -> str:
        key = ident(delegation)
        if key not in self.delegations:
            self.delegations[key] = delegation_name(delegation.name, delegation.iso2, self.language)
        return self.delegations[key]

    def tag_names(self, entry: CardEntry) -> list[str]:
        return sorted((localize(t.name, self.language) for t in entry.tags), key=sort_key)

    def cells(self, entry: CardEntry, questions: list[str]) -> list[Any]:
        """Return a card's cells: text, its number in its group (int), and local datetimes."""
        card, delegation = entry.card, entry.delegation
        place = f"set_aside_{entry.set_aside}" if entry.place == "set_aside" else entry.place
        return [
            self.group_label(entry.group),
            entry.number,
            card.id,
            self.delegation_name(delegation),
            self.kinds.get(delegation.kind, delegation.kind),
            self.language_name(card.language),
            card.author_name,
            self.places.get(place, place),
            " ".join(entry.recommendations),
            "; ".join(self.tag_names(entry)),
            card.created_at.astimezone(self.zone),
            card.updated_at.astimezone(self.zone),
            *(card.answers.get(key, "") for key in questions),
            self.sources.get(card.source, card.source),
            card.paper_serial or "",
            self.clerks.get(card.keyed_by or 0, ""),
        ]


def card_table(session: Session, meeting: Meeting) -> CardTable:
    """Name the columns and values of a card export in the current language."""
    groups = meeting_groups(session, meeting)
    questions: dict[str, str] = {}
    for group in groups:
        for question in group.questions:
            questions.setdefault(question["key"], localize(question["label"]))
    headers = [
        _("Group"), _("Card"), _("Card ID"), _("Delegation"), _("Kind of delegation"),
        _("Language"), _("Author"), _("Status"), _("Recommendations"), _("Tags"),
        _("Created"), _("Updated"),
    ]  # fmt: skip
    places = {
        "inbox": _("Inbox"),
        "grouped": _("In recommendations"),
        "set_aside_off_topic": _("Set aside: off topic"),
        "set_aside_duplicate": _("Set aside: duplicate"),
        "withdrawn": _("Withdrawn"),
    }
    return CardTable(
        meeting=meeting,
        groups=groups,
        language=get_language(),
        zone=ZoneInfo(meeting.timezone),
        headers=headers,
        questions=questions,
        kinds={k["slug"]: kind_label(meeting, k["slug"]) for k in meeting.delegation_kinds},
        places=places,
        paper_headers=[_("Source"), _("Paper serial"), _("Keyed by")],
        sources={"web": _("Phone"), "api": _("API"), "import": _("Import"), "paper": _("Paper")},
        clerks={ident(u): u.display_name for u in session.exec(select(User))},
    )


def cards_csv(session: Session, meeting: Meeting, f: MeetingFilter) -> Iterator[str]:
    """Stream the cards as CSV: a byte-order mark (Excel reads UTF-8 only when the file says
    so), one column per question of the meeting, every cell safe from formulas."""
    table = card_table(session, meeting)
    return _csv_chunks(table, iter_entries(session, meeting, f))


def _csv_chunks(table: CardTable, entries: Iterator[CardEntry]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    headers = [*table.headers, *table.questions.values(), *table.paper_headers]
    writer.writerow([cell(h) for h in headers])
    questions = list(table.questions)
    for count, entry in enumerate(entries, start=1):
        writer.writerow([cell(_csv_text(v)) for v in table.cells(entry, questions)])
        if count % CSV_CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _csv_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, int):  # the card's number in its group, as rapporteurs write it
        return f"#{value}"
    return str(value)


def cards_json(session: Session, meeting: Meeting, f: MeetingFilter) -> Iterator[str]:
    """Stream the cards as a JSON array, one object a line, non-Latin text kept readable."""
    table = card_table(session, meeting)
    return _json_chunks(table, iter_entries(session, meeting, f))


def card_record(table: CardTable, entry: CardEntry) -> dict[str, Any]:
    """Return a card as a JSON object with stable keys; values are as stored, not labels,
    except the group's title and the tags, which have no other name."""
    card, delegation = entry.card, entry.delegation
    return {
        "id": card.id,
        "group": entry.group.slug,
        "group_number": entry.group.number,
        "group_title": localize(entry.group.title, table.language),
        "number": entry.number,
        "delegation": delegation.name,
        "delegation_kind": delegation.kind,
        "language": card.language,
        "author_name": card.author_name,
        "status": card.status,
        "place": entry.place,
        "set_aside": entry.set_aside or None,
        "recommendations": entry.recommendations,
        "tags": table.tag_names(entry),
        "version": card.version,
        "created_at": card.created_at.astimezone(table.zone).isoformat(timespec="seconds"),
        "updated_at": card.updated_at.astimezone(table.zone).isoformat(timespec="seconds"),
        "answers": card.answers,
        "source": card.source,
        "paper_serial": card.paper_serial,
        "keyed_by": table.clerks.get(card.keyed_by) if card.keyed_by else None,
    }


def _json_chunks(table: CardTable, entries: Iterator[CardEntry]) -> Iterator[str]:
    separator = "[\n"
    for entry in entries:
        yield separator + json_text(json.dumps(card_record(table, entry), ensure_ascii=False))
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def cards_xlsx(session: Session, meeting: Meeting, f: MeetingFilter, out: IO[bytes]) -> int:
    """Write the cards as a workbook: a summary with the meeting's figures, then a sheet per
    group (the group filtered on, or all); return how many cards it holds."""
    table = card_table(session, meeting)
    book = Workbook(write_only=True)
    taken = {"history"}  # Excel keeps this name for itself
    summary = book.create_sheet(sheet_name(_("Summary"), taken))
    sheets = {
        ident(g): _card_sheet(book, table, g, sheet_name(table.group_label(g), taken))
        for g in table.groups
        if not f.group or g.slug == f.group
    }
    questions = {ident(g): [q["key"] for q in g.questions] for g in table.groups}
    count = 0
    for entry in iter_entries(session, meeting, f):
        group_id = ident(entry.group)
        sheet = sheets[group_id]
        sheet.append([_xlsx_cell(sheet, v) for v in table.cells(entry, questions[group_id])])
        count += 1
    # Write-only sheets each stream to their own file: the summary, first in the workbook,
    # can be written last, once the cards are counted.
    figures = meeting_figures(session, meeting)
    _write_summary(summary, table, figures, describe(session, table, f), count)
    if floor_figures.interventions(session, meeting).total:  # no empty sheet
        sheet = book.create_sheet(sheet_name(_("Interventions"), taken))
        floor_figures.write_sheet(sheet, session, meeting, lambda text: _xlsx(text, sheet))
    book.save(out)
    return count


def sheet_name(title: str, taken: set[str]) -> str:
    """Return a name Excel accepts for a sheet, unique (ignoring case) among `taken`."""
    # Nor may a name start or end with an apostrophe.
    name = NOT_IN_SHEET_NAME.sub(" ", one_line(title)).strip(" '")[:SHEET_NAME_MAX].strip(" '")
    name, base, number = name or "-", name or "-", 2
    while name.casefold() in taken:
        suffix = f" ({number})"
        name, number = base[: SHEET_NAME_MAX - len(suffix)] + suffix, number + 1
    taken.add(name.casefold())
    return name


def _card_sheet(book: Workbook, table: CardTable, group: Group, name: str) -> WriteOnlyWorksheet:
    sheet = book.create_sheet(name)
    labels = [table.questions[q["key"]] for q in group.questions]
    # A write-only sheet takes its widths and frozen header before its first row.
    for index, width in enumerate([*WIDTHS, *[ANSWER_WIDTH] * len(labels)], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_bold(sheet, h) for h in [*table.headers, *labels, *table.paper_headers]])
    return sheet


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: the meeting's local time
    if isinstance(value, int):  # the card's number: shown "#12", sorted as a number
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = '"#"0'
        return cell
    return _xlsx(value, sheet)


def _xlsx(value: str, sheet: WriteOnlyWorksheet | None = None) -> Any:
    if not value:
        return None  # no cell at all: a smaller file, written faster
    text = cell(value)
    if text in ERROR_CODES:  # openpyxl would write "#N/A" as an error, not as text
        written = WriteOnlyCell(sheet, value=text)
        written.data_type = "s"
        return written
    return text


def _bold(sheet: WriteOnlyWorksheet, value: str) -> Cell:
    bold = _xlsx(value, sheet)
    bold = bold if isinstance(bold, Cell) else WriteOnlyCell(sheet, value=bold)
    bold.font = Font(bold=True)
    return bold


def _write_summary(
    sheet: WriteOnlyWorksheet,
    table: CardTable,
    figures: Figures,
    filters: list[tuple[str, str]],
    count: int,
) -> None:
    meeting, groups = table.meeting, [table.group_label(g) for g, _p in figures.groups]
    sheet.column_dimensions["A"].width = 36
    for column in range(2, 3 + max(len(groups), len(CATEGORIES) + 1)):
        sheet.column_dimensions[get_column_letter(column)].width = 16
    sheet.append([_bold(sheet, localize(meeting.name))])
    sheet.append([_xlsx(meeting.venue), format_dates(meeting.start_date, meeting.end_date)])
    exported = utcnow().astimezone(table.zone).replace(tzinfo=None)
    sheet.append([_xlsx(_("Exported")), exported, meeting.timezone])
    sheet.append([])
    sheet.append([_bold(sheet, _("Cards in this file"))])
    for label, value in filters or [(_("Filters"), _("None"))]:
        sheet.append([_xlsx(label), _xlsx(value)])
    sheet.append([_xlsx(_("Cards")), count])
    sheet.append([])
    sheet.append([_bold(sheet, _("Participation"))])
    sheet.append([_xlsx(_("Active cards of the whole meeting, whatever the filters."))])
    labels = category_labels()
    header = ["", _("Cards"), _("Delegations"), *(labels[c] for c in CATEGORIES)]
    sheet.append([_bold(sheet, h) for h in header])
    parts = [p for _g, p in figures.groups]
    rows = [(_("Whole meeting"), figures.meeting), *zip(groups, parts, strict=True)]
    for label, part in rows:
        counts = [part.cards, part.delegations, *(part.by_category[c] for c in CATEGORIES)]
        sheet.append([_xlsx(label), *counts])
    sheet.append([])
    sheet.append([_bold(sheet, _("Cards by kind of delegation"))])
    header = [_("Kind of delegation"), _("Whole meeting"), *groups]
    sheet.append([_bold(sheet, h) for h in header])
    kinds = list(table.kinds) + sorted(set(figures.meeting.cards_by_kind) - set(table.kinds))
    for kind in kinds:
        counts = [figures.meeting.cards_by_kind[kind]]
        counts += [part.cards_by_kind[kind] for _g, part in figures.groups]
        sheet.append([_xlsx(table.kinds.get(kind, kind)), *counts])


def describe(session: Session, table: CardTable, f: MeetingFilter) -> list[tuple[str, str]]:
    """Name the filters an export honours, as (label, value) in the current language."""
    found: list[tuple[str, str]] = []
    if f.q.strip():
        found.append((_("Search"), f.q.strip()))
    groups = [table.group_label(g) for g in table.groups if g.slug == f.group]
    if f.group:
        found.append((_("Group"), groups[0] if groups else f.group))
    if f.kind:
        found.append((_("Kind of delegation"), table.kinds.get(f.kind, f.kind)))
    if f.language:
        found.append((_("Language"), table.language_name(f.language)))
    delegation = session.get(Delegation, f.delegation) if f.delegation else None
    if f.delegation:
        name = delegation_name(delegation.name, delegation.iso2) if delegation else "-"
        found.append((_("Delegation"), name))
    if f.status != "active":
        status = {"withdrawn": _("Withdrawn"), "all": _("All, withdrawn ones included")}
        found.append((_("Status"), status.get(f.status, f.status)))
    return found
