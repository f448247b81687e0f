"""The secretariat reads and exports the audit log."""

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.audit import ACTIONS, PAGE_SIZE, all_events, events
from app.db import SessionDep
from app.deps import MeetingDep, Secretariat
from app.templating import render
from app.text import cell

router = APIRouter(include_in_schema=False)


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
    page: int = 1,
) -> Response:
    """Show who did what and when, newest first."""
    page = max(page, 1)
    rows = events(session, _action(action), page)
    context = {
        "meeting": meeting,
        "user": user,
        "rows": rows,
        "action": _action(action),
        "actions": ACTIONS,
        "page": page,
        "more": len(rows) == PAGE_SIZE,
    }
    return render(request, "staff/audit.html", context)


@router.get("/audit.csv")
def read_audit_csv(session: SessionDep, user: Secretariat, action: str = "") -> Response:
    """Download the audit log as CSV (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["at", "actor_kind", "actor", "action", "target_type", "target_id", "detail"])
    for e in all_events(session, _action(action)):
        row = [e.at.isoformat(timespec="seconds"), e.actor_kind, e.actor_name, e.action,
               e.target_type, e.target_id, str(e.detail or "")]  # fmt: skip
        writer.writerow([cell(v) for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
