"""A group's report: the self-saving draft and its outputs (print, Word, Markdown, slides)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.deps import CurrentUser, MeetingDep, ReadableGroup, WritableGroup
from app.forms import FormData
from app.i18n import _, localize
from app.models import Group, Meeting, User
from app.report import (
    SECTION_LIMIT,
    SECTIONS,
    ReportConflict,
    ReportData,
    find_report,
    get_report,
    report_data,
    report_markdown,
    report_versions,
    save_report,
    speaking_seconds,
    supported_by,
)
from app.report_docx import report_docx
from app.review import open_count
from app.templating import render

router = APIRouter(prefix="/groups/{slug}", include_in_schema=False)


def _editor(
    session: Session, meeting: Meeting, group: Group, user: User, **extra: Any
) -> dict[str, Any]:
    report = find_report(session, group)
    return {
        "meeting": meeting,
        "group": group,
        "user": user,
        "report": report,
        "data": report_data(session, meeting, group),
        "sections": SECTIONS,
        "limit": SECTION_LIMIT,
        "versions": report_versions(session, report)[:20],
        "can_write": auth.can_write(session, user, group),
        "draft": dict(report.sections),
        "open_remarks": open_count(session, group),
        **extra,
    }


@router.get("/report")
def read_report(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
    saved: bool = False,
) -> Response:
    """Show the report's draft beside what the cards give it: figures and recommendations."""
    context = _editor(session, meeting, group, user, saved=saved)
    return render(request, "report/report.html", context)


@router.post("/report")
def update_report(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: WritableGroup,
    user: CurrentUser,
    form: FormData,
) -> Response:
    """Save the draft; if someone else saved meanwhile, show both texts and keep this one."""
    draft = {s: form.get(s, "").replace("\r\n", "\n") for s in SECTIONS}
    errors = {
        s: _("Keep this section under %(max)s characters.", max=SECTION_LIMIT)
        for s, text in draft.items()
        if len(text) > SECTION_LIMIT
    }
    seen = int(form["version"]) if form.get("version", "").isdigit() else -1
    if errors:
        context = _editor(session, meeting, group, user, draft=draft, errors=errors)
        return render(
            request,
            "report/report.html",
            context,
            status_code=422,
            fragment="report/_save_status.html",
        )
    report = get_report(session, group)
    try:
        save_report(session, report, draft, seen, user)
    except ReportConflict:
        session.refresh(report)
        context = _editor(session, meeting, group, user, draft=draft, conflict=True)
        return render(
            request,
            "report/report.html",
            context,
            status_code=409,
            fragment="report/_save_status.html",
        )
    if "hx-request" in request.headers:
        context = _editor(session, meeting, group, user, draft=draft, saved=True)
        return render(request, "report/_save_status.html", context)
    return RedirectResponse(f"/groups/{group.slug}/report?saved=1", status_code=303)


@router.get("/report/print")
def read_report_print(
    request: Request, session: SessionDep, meeting: MeetingDep, group: ReadableGroup
) -> Response:
    """Show the report as a clean A4 page to print."""
    data = report_data(session, meeting, group)
    return render(request, "report/print.html", {"meeting": meeting, "data": data})


def _filename(data: ReportData, extension: str) -> str:
    return f"report-{data.group.number}-{data.group.slug}.{extension}"


@router.get("/report.docx")
def read_report_docx(session: SessionDep, meeting: MeetingDep, group: ReadableGroup) -> Response:
    """Download the report as a Word document."""
    data = report_data(session, meeting, group)
    return Response(
        report_docx(data),
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "docx")}"'},
    )


@router.get("/report.md")
def read_report_markdown(
    session: SessionDep, meeting: MeetingDep, group: ReadableGroup
) -> Response:
    """Download the report as Markdown."""
    data = report_data(session, meeting, group)
    return Response(
        report_markdown(data),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "md")}"'},
    )


def _slides(data: ReportData) -> list[dict[str, Any]]:
    """Cut the report into screens: the figures, one recommendation each, then the rest."""
    slides: list[dict[str, Any]] = [
        {
            "heading": data.title,
            "text": data.participation,
            "lines": [f"{label}: {count}" for label, count in data.by_kind],
        }
    ]
    for number, view in enumerate(data.recommendations, start=1):
        slides.append(
            {
                "heading": _("Recommendation %(number)s", number=number),
                "text": view.recommendation.text,
                "lines": [supported_by(view)],
            }
        )
    for key in ("priorities", "means", "partnerships", "divergent", "summary"):
        if data.sections[key].strip():
            slides.append({"heading": data.titles[key], "text": data.sections[key], "lines": []})
    return slides


@router.get("/report/present")
def read_report_presentation(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    slide: str = "1",
) -> Response:
    """Present the report on the morning of day 3: large type, one screen at a time."""
    data = report_data(session, meeting, group)
    slides = _slides(data)
    # Past the end (however many digits) is the last slide; anything but a number the first.
    number = int(slide[:7]) if slide.isascii() and slide.isdigit() else 1
    index = min(max(number, 1), len(slides))
    spoken = " ".join(s["text"] + " " + " ".join(s["lines"]) for s in slides)
    context = {
        "meeting": meeting,
        "group": group,
        "data": data,
        "slide": slides[index - 1],
        "index": index,
        "count": len(slides),
        "seconds": speaking_seconds(spoken),
        "title": localize(group.title),
    }
    return render(request, "report/present.html", context)
