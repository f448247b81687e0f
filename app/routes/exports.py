"""Downloads for co-facilitators and the secretariat: the cards as CSV, XLSX or JSON, with
the filters of the cross-group search, and the draft chair's summary as Word."""

import io
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from app.across import MeetingFilter
from app.db import SessionDep
from app.deps import MeetingDep, Reviewer
from app.exports import cards_csv, cards_json, cards_xlsx
from app.models import Meeting, utcnow
from app.summary_docx import summary_data, summary_docx

router = APIRouter(prefix="/exports", include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOT_PLAIN = re.compile(r"[^A-Za-z0-9._-]+")


def _filename(meeting: Meeting, what: str, extension: str) -> str:
    """Name a download after the meeting and the day in its time zone."""
    today = utcnow().astimezone(ZoneInfo(meeting.timezone)).date().isoformat()
    return f"{meeting.slug}-{what}-{today}.{extension}"


def _cards_filename(meeting: Meeting, f: MeetingFilter, extension: str) -> str:
    return _filename(meeting, f"cards-{f.group}" if f.group else "cards", extension)


def attachment(filename: str) -> dict[str, str]:
    """Return the Content-Disposition of a download; a name beyond ASCII goes in filename*
    (RFC 6266 and 5987), with a plain fallback for older clients."""
    plain = NOT_PLAIN.sub("-", filename)
    value = f'attachment; filename="{plain}"'
    if plain != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return {"Content-Disposition": value}


@router.get("/cards.csv")
def read_cards_csv(
    request: Request, session: SessionDep, meeting: MeetingDep, _user: Reviewer
) -> Response:
    """Download the cards matching the search's filters as CSV that Excel opens."""
    f = MeetingFilter.from_params(request.query_params)
    return StreamingResponse(
        cards_csv(session, meeting, f),
        media_type="text/csv; charset=utf-8",
        headers=attachment(_cards_filename(meeting, f, "csv")),
    )


@router.get("/cards.json")
def read_cards_json(
    request: Request, session: SessionDep, meeting: MeetingDep, _user: Reviewer
) -> Response:
    """Download the cards matching the search's filters as a JSON array."""
    f = MeetingFilter.from_params(request.query_params)
    return StreamingResponse(
        cards_json(session, meeting, f),
        media_type="application/json",
        headers=attachment(_cards_filename(meeting, f, "json")),
    )


@router.get("/cards.xlsx")
def read_cards_xlsx(
    request: Request, session: SessionDep, meeting: MeetingDep, _user: Reviewer
) -> Response:
    """Download the cards matching the search's filters as a workbook, a sheet per group."""
    f = MeetingFilter.from_params(request.query_params)
    out = io.BytesIO()
    cards_xlsx(session, meeting, f, out)
    return Response(
        out.getvalue(), media_type=XLSX, headers=attachment(_cards_filename(meeting, f, "xlsx"))
    )


@router.get("/summary.docx")
def read_summary_docx(
    session: SessionDep, meeting: MeetingDep, _user: Reviewer, ledger: bool = False
) -> Response:
    """Download the draft chair's summary: the figures and every group's report, and with
    ?ledger=1 the annex of how every card was reflected."""
    data = summary_data(session, meeting)
    return Response(
        summary_docx(data, ledger=ledger),
        media_type=DOCX,
        headers=attachment(_filename(meeting, "chair-summary", "docx")),
    )
