"""Co-facilitators review each group's report: remarks, answers, and the reviewed mark.

A remark is on the report as a whole or on one recommendation. The rapporteurs answer in
its thread and resolve it when the report takes it into account. A co-facilitator marks a
report reviewed as of its current version; a later save shows it changed since.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from app.models import Comment, Group, Recommendation, Report, Review, User, ident, utcnow

COMMENT_LIMIT = 2000
# Where a group's report stands, in the order the overview explains them.
STATUSES = ("empty", "draft", "reviewed", "changed")


@dataclass
class Thread:
    """A remark and its answers, oldest first."""

    comment: Comment
    author: str
    replies: list[tuple[Comment, str]] = field(default_factory=list)
    resolved_by: str = ""

    @property
    def is_open(self) -> bool:
        return self.comment.resolved_at is None


def add_comment(
    session: Session,
    group: Group,
    user: User,
    body: str,
    recommendation: Recommendation | None = None,
    reply_to: Comment | None = None,
) -> Comment:
    """Store a remark, or an answer in a thread (an answer reopens a resolved thread)."""
    comment = Comment(
        group_id=ident(group),
        recommendation_id=reply_to.recommendation_id if reply_to else _id(recommendation),
        reply_to=_id(reply_to),
        author_id=ident(user),
        body=body,
    )
    if reply_to is not None and reply_to.resolved_at is not None:
        reply_to.resolved_at, reply_to.resolved_by = None, None
        session.add(reply_to)
    session.add(comment)
    session.flush()
    return comment


def _id(row: Comment | Recommendation | None) -> int | None:
    return None if row is None else ident(row)


def resolve(session: Session, comment: Comment, user: User, resolved: bool = True) -> None:
    """Close a thread (or open it again)."""
    comment.resolved_at = utcnow() if resolved else None
    comment.resolved_by = ident(user) if resolved else None
    session.add(comment)


def threads(session: Session, group: Group) -> list[Thread]:
    """Return the group's threads, open ones first, each oldest first."""
    names = {u.id: u.display_name for u in session.exec(select(User))}
    query = (
        select(Comment)
        .where(Comment.group_id == group.id)
        .order_by(col(Comment.created_at), col(Comment.id))
    )
    comments = list(session.exec(query))
    by_id = {ident(c): Thread(c, names.get(c.author_id, "")) for c in comments if not c.reply_to}
    for comment in comments:
        if comment.reply_to in by_id:
            by_id[comment.reply_to].replies.append((comment, names.get(comment.author_id, "")))
    for thread in by_id.values():
        thread.resolved_by = names.get(thread.comment.resolved_by, "")
    return sorted(by_id.values(), key=lambda t: not t.is_open)


def threads_by_recommendation(
    all_threads: list[Thread], shown: set[int]
) -> dict[int | None, list[Thread]]:
    """Sort threads by what they are on: None for the report as a whole, and for remarks on a
    recommendation the report does not show now (no card behind it), so none is hidden."""
    result: dict[int | None, list[Thread]] = defaultdict(list)
    for thread in all_threads:
        on = thread.comment.recommendation_id
        result[on if on in shown else None].append(thread)
    return result


def open_counts(session: Session) -> dict[int, int]:
    """Count open remarks per group, for every group at once."""
    query = (
        select(Comment.group_id, func.count())
        .where(col(Comment.reply_to).is_(None), col(Comment.resolved_at).is_(None))
        .group_by(col(Comment.group_id))
    )
    return dict(session.exec(query).all())


def open_count(session: Session, group: Group) -> int:
    return open_counts(session).get(ident(group), 0)


def mark_reviewed(session: Session, group: Group, report: Report, user: User) -> Review:
    """Record that a co-facilitator reviewed the report as it stands now."""
    review = Review(group_id=ident(group), report_version=report.version, user_id=ident(user))
    session.add(review)
    session.flush()
    return review


@dataclass
class ReviewState:
    """Where a group's report stands in review."""

    status: str  # one of STATUSES
    version: int = 0
    reviewed_version: int = 0
    reviewed_by: str = ""
    reviewed_at: datetime | None = None


def review_states(session: Session) -> dict[int, ReviewState]:
    """Return each group's review state: no draft, draft, reviewed, or changed since review."""
    versions = dict(session.exec(select(Report.group_id, Report.version)).all())
    latest: dict[int, tuple[Review, str]] = {}
    query = (
        select(Review, User.display_name)
        .join(User, col(User.id) == Review.user_id)
        .order_by(col(Review.created_at), col(Review.id))
    )
    for review, name in session.exec(query):
        latest[review.group_id] = (review, name)
    states = {}
    for group_id in set(versions) | set(latest):
        states[group_id] = _state(versions.get(group_id, 0), latest.get(group_id))
    return states


def review_state(session: Session, group: Group) -> ReviewState:
    return review_states(session).get(ident(group), ReviewState("empty"))


def _state(version: int, latest: tuple[Review, str] | None) -> ReviewState:
    if latest is None:
        return ReviewState("draft" if version else "empty", version)
    review, name = latest
    status = "reviewed" if review.report_version >= version else "changed"
    return ReviewState(status, version, review.report_version, name, review.created_at)


def forget_recommendation(
    session: Session, rec: Recommendation, into: Recommendation | None
) -> None:
    """Keep remarks when their recommendation goes: they follow it into a merge, or move to
    the report as a whole when it is deleted."""
    session.execute(
        update(Comment)
        .where(col(Comment.recommendation_id) == rec.id)
        .values(recommendation_id=_id(into))
    )
