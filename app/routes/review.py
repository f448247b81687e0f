"""Co-facilitators' review: the meeting overview with its figures, and each group's report
read beside its cards, with remarks the rapporteurs answer and resolve."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import audit, auth, floor_figures
from app.audit import user_actor
from app.charts import bar_chart, column_chart
from app.db import SessionDep
from app.deps import CurrentUser, MeetingDep, ReadableGroup, Reviewer, RowId
from app.figures import (
    CATEGORIES,
    Participation,
    TimeBucket,
    category_labels,
    group_figures,
    meeting_figures,
)
from app.forms import FormData, form_id
from app.grouping import RecommendationView, recommendations
from app.i18n import _, get_language, localize, text_direction
from app.models import Comment, Group, Meeting, Recommendation, User, ident
from app.report import find_report, report_data
from app.review import (
    COMMENT_LIMIT,
    add_comment,
    mark_reviewed,
    open_counts,
    resolve,
    review_state,
    review_states,
    threads,
    threads_by_recommendation,
)
from app.templating import is_fragment_request, render
from app.timeline import time_labels
from app.workspace import PAGE_SIZE, CardFilter, list_cards, progress

router = APIRouter(include_in_schema=False)


# --- Figures as charts ------------------------------------------------------------------------


def _rtl() -> bool:
    return text_direction(get_language()) == "rtl"


def category_chart(figures: Participation) -> dict[str, Any]:
    """Delegations taking part, by category: a bar per category and the same as a table."""
    labels = category_labels()
    rows = [(labels[c], {"all": figures.by_category[c]}) for c in CATEGORIES]
    return {"chart": bar_chart(rows, ["all"], _rtl()), "rows": rows}


def time_chart(buckets: list[TimeBucket]) -> dict[str, Any]:
    """Cards over time: a column per bin (app.timeline), labelled as the language writes it."""
    points = list(zip(time_labels(buckets), (b.count for b in buckets), strict=True))
    return {"chart": column_chart(points, _rtl()), "points": points}


def group_charts(figures: list[tuple[Group, Participation]]) -> dict[str, Any]:
    """Cards per group, and each group's delegations stacked by category, with their tables."""
    names = [(f"{g.number}. {localize(g.title)}", p) for g, p in figures]
    cards = [(name, {"cards": p.cards, "delegations": p.delegations}) for name, p in names]
    stacked = [(name, {c: p.by_category[c] for c in CATEGORIES}) for name, p in names]
    labels = category_labels()
    return {
        "cards": bar_chart(cards, ["cards"], _rtl()),
        "cards_rows": cards,
        "stacked": bar_chart(stacked, list(CATEGORIES), _rtl()),
        "stacked_rows": stacked,
        "stacked_headers": [_("Group")] + [labels[c] for c in CATEGORIES],
    }


# --- Overview ---------------------------------------------------------------------------------


@router.get("/overview")
def read_overview(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Reviewer
) -> Response:
    """Show the meeting's figures and where each group's report stands."""
    figures = meeting_figures(session, meeting)
    states, remarks = review_states(session), open_counts(session)
    rows = [
        {
            "group": group,
            "figures": participation,
            "progress": progress(session, group),
            "state": states.get(ident(group)),
            "open": remarks.get(ident(group), 0),
        }
        for group, participation in figures.groups
    ]
    context = {
        "meeting": meeting,
        "user": user,
        "figures": figures,
        "rows": rows,
        "categories": CATEGORIES,
        "labels": category_labels(),
        "by_category": category_chart(figures.meeting),
        "per_group": group_charts(figures.groups),
        "over_time": time_chart(figures.timeline),
        **floor_figures.context(session, meeting),
        "wide": True,
    }
    return render(request, "review/overview.html", context)


# --- One group's review -----------------------------------------------------------------------


def _review_context(
    request: Request, session: Session, meeting: Meeting, group: Group, user: User, **extra: Any
) -> dict[str, Any]:
    everything = CardFilter.from_params(request.query_params)
    f = CardFilter(status=everything.status, q=everything.q, page=everything.page)
    rows, total = list_cards(session, group, f)
    figures, buckets = group_figures(session, meeting, group)
    data = report_data(session, meeting, group)
    return {
        **_threads_context(session, meeting, group, data.recommendations),
        "user": user,
        "data": data,
        "state": review_state(session, group),
        "rows": rows,
        "total": total,
        "f": f,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "can_review": auth.is_reviewer(user),
        "can_write": auth.can_write(session, user, group),
        "by_category": category_chart(figures),
        "over_time": time_chart(buckets),
        "group_figures": figures,
        **floor_figures.context(session, meeting, group),
        "wide": True,
        **extra,
    }


def _threads_context(
    session: Session, meeting: Meeting, group: Group, shown: list[RecommendationView]
) -> dict[str, Any]:
    """What a block of remarks needs: the threads, by the recommendations the report shows."""
    all_threads = threads(session, group)
    numbers = {ident(v.recommendation): f"R{v.number}" for v in shown}
    return {
        "meeting": meeting,
        "group": group,
        "numbers": numbers,
        "threads": threads_by_recommendation(all_threads, set(numbers)),
        "open_count": sum(t.is_open for t in all_threads),
        "limit": COMMENT_LIMIT,
        "errors": {},
        "typed": {},
    }


@router.get("/groups/{slug}/review")
def read_review(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
) -> Response:
    """Show the group's report draft beside its cards, with the remarks on both."""
    context = _review_context(request, session, meeting, group, user)
    return render(request, "review/review.html", context)


def _target(session: Session, group: Group, form: dict[str, str]) -> tuple[Any, Any]:
    """Return the recommendation and the comment a remark is on, as the form names them."""
    recommendation = reply_to = None
    if form.get("recommendation"):
        rec_id = form_id(form["recommendation"])
        recommendation = session.get(Recommendation, rec_id) if rec_id else None
        if recommendation is None or recommendation.group_id != group.id:
            raise HTTPException(404)
    if form.get("reply_to"):
        comment_id = form_id(form["reply_to"])
        reply_to = session.get(Comment, comment_id) if comment_id else None
        if reply_to is None or reply_to.group_id != group.id or reply_to.reply_to is not None:
            raise HTTPException(404)
    return recommendation, reply_to


def _form_key(recommendation: Recommendation | None, reply_to: Comment | None) -> str:
    """Name the form a remark came from, so an error shows next to that form only."""
    if reply_to is not None:
        return f"reply-{reply_to.id}"
    return f"rec-{recommendation.id}" if recommendation else "report"


def _threads_block(
    request: Request,
    session: Session,
    meeting: Meeting,
    group: Group,
    user: User,
    recommendation_id: int | None,
    **extra: Any,
) -> Response:
    """Answer htmx with the one block of threads that changed; others get the whole page."""
    if is_fragment_request(request):  # only the block: no cards, charts or report to gather
        shown = [v for v in recommendations(session, group) if v.cards]
        context = _threads_context(session, meeting, group, shown) | extra
    else:
        context = _review_context(request, session, meeting, group, user, **extra)
    context["block"] = recommendation_id if recommendation_id in context["numbers"] else None
    status = 422 if extra.get("errors") else 200
    return render(
        request,
        "review/review.html",
        context,
        status_code=status,
        fragment="review/_threads.html",
    )


@router.post("/groups/{slug}/comments")
def create_comment(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
    form: FormData,
) -> Response:
    """Leave a remark on the report or a recommendation, or answer one."""
    recommendation, reply_to = _target(session, group, form)
    body = form.get("body", "").replace("\r\n", "\n").strip()
    key = _form_key(recommendation, reply_to)
    block = reply_to.recommendation_id if reply_to else (recommendation and recommendation.id)
    error = ""
    if not body:
        error = _("Write the remark before sending it.")
    elif len(body) > COMMENT_LIMIT:
        error = _("Keep the remark under %(max)s characters.", max=COMMENT_LIMIT)
    if error:
        typed = {key: form.get("body", "")[: COMMENT_LIMIT * 2]}
        return _threads_block(
            request, session, meeting, group, user, block, errors={key: error}, typed=typed
        )
    comment = add_comment(session, group, user, body, recommendation, reply_to)
    audit.record(
        session, user_actor(user), "comment.create", "comment", comment.id, group=group.slug
    )
    session.commit()
    if "hx-request" in request.headers:
        return _threads_block(request, session, meeting, group, user, block)
    return RedirectResponse(f"/groups/{group.slug}/review#comment-{comment.id}", status_code=303)


@router.post("/groups/{slug}/comments/{comment_id}/resolve")
def update_comment_resolved(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    group: ReadableGroup,
    user: CurrentUser,
    comment_id: RowId,
    form: FormData,
) -> Response:
    """Resolve a thread, or open it again."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.group_id != group.id or comment.reply_to is not None:
        raise HTTPException(404)
    resolved = form.get("resolved", "1") != "0"
    resolve(session, comment, user, resolved)
    action = "comment.resolve" if resolved else "comment.reopen"
    audit.record(session, user_actor(user), action, "comment", comment.id, group=group.slug)
    session.commit()
    if "hx-request" in request.headers:
        return _threads_block(request, session, meeting, group, user, comment.recommendation_id)
    return RedirectResponse(f"/groups/{group.slug}/review#comment-{comment.id}", status_code=303)


@router.post("/groups/{slug}/reviewed")
def create_review(session: SessionDep, group: ReadableGroup, user: Reviewer) -> Response:
    """Mark the report reviewed as it stands now."""
    report = find_report(session, group)
    if report.version == 0:  # the button shows only with a draft: a stale page raced here
        return RedirectResponse(f"/groups/{group.slug}/review?reviewed=none", status_code=303)
    mark_reviewed(session, group, report, user)
    audit.record(
        session, user_actor(user), "report.review", "report", report.id, version=report.version
    )
    session.commit()
    return RedirectResponse(f"/groups/{group.slug}/review?reviewed=1", status_code=303)
