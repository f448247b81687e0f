"""The secretariat reads and exports the audit log."""

import csv
import io
import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.audit import ACTIONS, PAGE_SIZE, all_events, events
from app.audit_log import action_choices, entries
from app.db import SessionDep
from app.deps import MeetingDep, Secretariat
from app.templating import render
from app.text import cell
from app.workspace import page_number

router = APIRouter(include_in_schema=False)
# Events named at a time in the export: the lookups behind the sentences go by this many.
CSV_BATCH = 500


def _action(value: str) -> str:
    prefixes = {a.split(".")[0] for a in ACTIONS}
    return value if value in ACTIONS or value in prefixes else ""


@router.get("/audit")
def read_audit(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: Secretariat,
    action: str = "",
    page: str = "1",
) -> Response:
    """Show who did what and when, newest first, each event as a sentence."""
    number = page_number(page)  # a page no database can skip to is the first
    rows = events(session, _action(action), number)
    context = {
        "meeting": meeting,
        "user": user,
        "entries": entries(session, meeting, rows),
        "action": _action(action),
        "choices": action_choices(),
        "page": number,
        "more": len(rows) == PAGE_SIZE,
    }
    return render(request, "staff/audit.html", context)


@router.get("/audit.csv")
def read_audit_csv(
    session: SessionDep, meeting: MeetingDep, user: Secretariat, action: str = ""
) -> Response:
    """Download the audit log as CSV (UTF-8 with BOM for Excel): the codes and ids for
    programs, and the group and sentence for people."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["at", "actor_kind", "actor", "action", "target_type", "target_id", "detail",
                     "group", "sentence"])  # fmt: skip
    logged = all_events(session, _action(action))
    for start in range(0, len(logged), CSV_BATCH):
        for entry in entries(session, meeting, logged[start : start + CSV_BATCH]):
            e = entry.event
            detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
            row = [e.at.isoformat(timespec="seconds"), e.actor_kind, e.actor_name, e.action,
                   e.target_type, e.target_id, detail, entry.group, entry.sentence]  # fmt: skip
            writer.writerow([cell(v) for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
