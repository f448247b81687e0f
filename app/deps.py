"""Request dependencies: the meeting served and the delegation signed in."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import select

from app.access import find_active
from app.db import SessionDep
from app.meetings import current_meeting
from app.models import AccessCode, Delegation, Group, Meeting
from app.settings import get_settings

SESSION_KEY = "access_code_id"


class NoMeeting(Exception):
    """No meeting has been loaded into the database yet."""


class SignInRequired(Exception):
    """The page is for a signed-in delegation."""


def get_meeting(session: SessionDep) -> Meeting:
    """Return the meeting this app serves."""
    meeting = current_meeting(session, get_settings().meeting)
    if meeting is None:
        raise NoMeeting()
    return meeting


MeetingDep = Annotated[Meeting, Depends(get_meeting)]


@dataclass
class Delegate:
    """A phone signed in as a delegation, through an access code."""

    delegation: Delegation
    access: AccessCode | None  # None when the meeting lets phones pick their delegation


def find_delegate(request: Request, session: SessionDep, meeting: MeetingDep) -> Delegate | None:
    """Return the signed-in delegation, or None; a revoked code signs the phone out."""
    signed = request.session.get(SESSION_KEY)
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        access = find_active(session, meeting, bearer[7:])
        return _delegate(session, access)
    if isinstance(signed, int):
        access = session.get(AccessCode, signed)
        if access and access.revoked_at is None and access.meeting_id == meeting.id:
            return _delegate(session, access)
        request.session.pop(SESSION_KEY, None)
    picked = request.session.get("delegation_id")
    if meeting.delegation_picker and isinstance(picked, int):
        delegation = session.get(Delegation, picked)
        return Delegate(delegation, None) if delegation else None
    return None


def _delegate(session: SessionDep, access: AccessCode | None) -> Delegate | None:
    if access is None:
        return None
    delegation = session.get(Delegation, access.delegation_id)
    return Delegate(delegation, access) if delegation else None


def require_delegate(delegate: Annotated[Delegate | None, Depends(find_delegate)]) -> Delegate:
    """Return the signed-in delegation, or send the person to the join page."""
    if delegate is None:
        raise SignInRequired()
    return delegate


MaybeDelegate = Annotated[Delegate | None, Depends(find_delegate)]
CurrentDelegate = Annotated[Delegate, Depends(require_delegate)]


def group_by_slug(session: SessionDep, meeting: Meeting, slug: str) -> Group | None:
    """Return one of the meeting's groups by its slug."""
    query = select(Group).where(Group.meeting_id == meeting.id, Group.slug == slug)
    return session.exec(query).first()
