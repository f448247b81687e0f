"""Request dependencies: the meeting served, the delegation or account signed in, and the
turn a code or password waits for before it is tried (app.limits)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy import bindparam
from sqlmodel import select

from app import auth
from app.access import could_be_a_code, find_active
from app.db import SessionDep
from app.forms import MAX_ID, FormData
from app.limits import Attempt, admit, admit_now, code_keys, sign_in_keys
from app.meetings import current_meeting
from app.models import AccessCode, Delegation, Group, Meeting, User
from app.settings import get_settings

SESSION_KEY = "delegate_token"
USER_KEY = "user_token"


class NoMeeting(Exception):
    """No meeting has been loaded into the database yet."""


class SignInRequired(Exception):
    """The page is for a signed-in delegation, or (staff=True) a signed-in account."""

    def __init__(self, staff: bool = False) -> None:
        super().__init__()
        self.staff = staff


class Forbidden(Exception):
    """Signed in, but this is not theirs to see or change."""


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


# Handlers take these before their database session, so that a try waiting for its turn holds
# no database connection.
async def code_turn(request: Request, code: str) -> Attempt:
    """Wait for the turn of a code typed or scanned from this address."""
    if not could_be_a_code(code):
        return Attempt("codes")  # never looked up: not a guess
    return await admit("codes", code_keys(request))


async def typed_code(request: Request, form: FormData) -> AsyncIterator[Attempt]:
    """The turn of the code typed at /join; a try not found right counts when it ends."""
    async with await code_turn(request, form.get("code", "")) as attempt:
        yield attempt


async def slip_code(request: Request, code: str) -> AsyncIterator[Attempt]:
    """The turn of the code in a slip's link; a try not found right counts when it ends."""
    async with await code_turn(request, code) as attempt:
        yield attempt


async def password_attempt(request: Request, form: FormData) -> AsyncIterator[Attempt]:
    """Wait for the turn of a password for the username typed (app.limits.sign_in_keys)."""
    username = auth.normalize_username(form.get("username", ""))[:80]
    async with await admit("signin", sign_in_keys(request, username)) as attempt:
        yield attempt


# scope="function": a wrong try counts before its answer goes out, so a guesser waiting for
# each answer cannot send the next try before the last one is counted (by default the exit
# code of a dependency runs after the response is sent).
TypedCode = Annotated[Attempt, Depends(typed_code, scope="function")]
SlipCode = Annotated[Attempt, Depends(slip_code, scope="function")]
PasswordAttempt = Annotated[Attempt, Depends(password_attempt, scope="function")]


def find_delegate(request: Request, session: SessionDep, meeting: MeetingDep) -> Delegate | None:
    """Return the signed-in delegation, or None; a revoked code signs the phone out.

    A Bearer code outranks the cookie. It takes its turn with typed codes, but never waits
    for it: handlers open their database session before they ask for the delegation, and a
    request waiting with it would hold a connection. Its turn is now, or 429 with Retry-After.
    """
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        code = bearer[7:]
        turn = admit_now("codes", code_keys(request)) if could_be_a_code(code) else None
        access = find_active(session, meeting, code)
        delegation = session.get(Delegation, access.delegation_id) if access else None
        if turn:
            if delegation:
                turn.succeeded()
            turn.finish()
        return Delegate(delegation, access) if delegation else None
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    found = auth.delegate_session(session, token)
    if found is None or found[0].meeting_id != meeting.id:
        request.session.pop(SESSION_KEY, None)
        return None
    _phone, delegation, access = found
    return Delegate(delegation, access)


async def require_delegate(
    delegate: Annotated[Delegate | None, Depends(find_delegate)],
) -> Delegate:
    """Return the signed-in delegation, or send the person to the join page."""
    if delegate is None:
        raise SignInRequired()
    return delegate


MaybeDelegate = Annotated[Delegate | None, Depends(find_delegate)]
CurrentDelegate = Annotated[Delegate, Depends(require_delegate)]


_GROUP_BY_SLUG = select(Group).where(
    Group.meeting_id == bindparam("meeting_id"), Group.slug == bindparam("slug")
)  # built once: see app.auth.delegate_session


def group_by_slug(session: SessionDep, meeting: Meeting, slug: str) -> Group | None:
    """Return one of the meeting's groups by its slug."""
    return session.exec(_GROUP_BY_SLUG, params={"meeting_id": meeting.id, "slug": slug}).first()


def find_user(request: Request, session: SessionDep) -> User | None:
    """Return the signed-in account (secretariat, co-facilitator, rapporteur), or None."""
    token = request.session.get(USER_KEY)
    if not isinstance(token, str):
        return None
    user = auth.session_user(session, token)
    if user is None:
        request.session.pop(USER_KEY, None)
    return user


MaybeUser = Annotated[User | None, Depends(find_user)]


async def require_user(user: MaybeUser) -> User:
    """Return the signed-in account, or send the person to the sign-in page."""
    if user is None:
        raise SignInRequired(staff=True)
    return user


CurrentUser = Annotated[User, Depends(require_user)]


async def require_secretariat(user: CurrentUser) -> User:
    """Return the signed-in account if it belongs to the secretariat."""
    if user.role != "secretariat":
        raise Forbidden()
    return user


Secretariat = Annotated[User, Depends(require_secretariat)]


async def require_reviewer(user: CurrentUser) -> User:
    """Return the signed-in account if it reads across all groups: co-facilitators and the
    secretariat. A rapporteur sees only the groups they work on."""
    if not auth.is_reviewer(user):
        raise Forbidden()
    return user


Reviewer = Annotated[User, Depends(require_reviewer)]


def readable_group(slug: str, session: SessionDep, meeting: MeetingDep, user: CurrentUser) -> Group:
    """Return the group named in the path, if the account may read it."""
    group = group_by_slug(session, meeting, slug)
    if group is None:
        raise HTTPException(404)
    if not auth.can_read(session, user, group):
        raise Forbidden()
    return group


def writable_group(
    group: Annotated[Group, Depends(readable_group)], session: SessionDep, user: CurrentUser
) -> Group:
    """Return the group named in the path, if the account may change its work."""
    if not auth.can_write(session, user, group):
        raise Forbidden()
    return group


# An id in a path: a number no table can hold is refused as a bad request, not looked up.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
ReadableGroup = Annotated[Group, Depends(readable_group)]
WritableGroup = Annotated[Group, Depends(writable_group)]


def named_group(session: SessionDep, meeting: Meeting, form: dict[str, str]) -> list[Group]:
    """Return the group a submitted card names, as the list card validation expects."""
    group = group_by_slug(session, meeting, str(form.get("group", ""))[:40])
    return [group] if group else []


async def require_clerk(user: CurrentUser) -> User:
    """Return the signed-in account if it keys in paper cards: clerks and the secretariat."""
    if user.role not in ("clerk", "secretariat"):
        raise Forbidden()
    return user


Clerk = Annotated[User, Depends(require_clerk)]
