"""Accounts: making and changing them, argon2 passwords, server-side sessions, and who may do
what with a group."""

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from pwdlib import PasswordHash
from sqlalchemy import bindparam
from sqlmodel import Session, col, delete, func, select

from app.i18n import _
from app.models import (
    AccessCode,
    DelegateSession,
    Delegation,
    Group,
    Meeting,
    RapporteurGroup,
    User,
    UserSession,
    ident,
    utcnow,
)

# Moderators run speakers lists; clerks key in paper cards.
ROLES = ("secretariat", "cofacilitator", "rapporteur", "moderator", "clerk")
# Roles that work on the groups they are given (RapporteurGroup holds them for both).
GROUP_ROLES = ("rapporteur", "moderator")
SESSION_LIFETIME = timedelta(days=7)
MIN_PASSWORD = 10
MAX_USERNAME = 80
MAX_DISPLAY_NAME = 120
hasher = PasswordHash.recommended()

# Verifying against this when the username is unknown takes as long as a real check,
# so response times do not tell which usernames exist.
_DUMMY_HASH = hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """Hash a password with argon2."""
    return hasher.hash(password)


def normalize_username(typed: str) -> str:
    """Turn a typed username (" Sam ") into the stored form ("sam"): one rule everywhere."""
    return typed.strip().lower()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user with this username and password, or None."""
    query = select(User).where(User.username == normalize_username(username))
    user = session.exec(query).first()
    if user is None or not user.active:
        hasher.verify(password, _DUMMY_HASH)
        return None
    return user if hasher.verify(password, user.password_hash) else None


class AccountErrors(Exception):
    """What is wrong with an account's fields, by field name, in the person's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def create_account(
    session: Session,
    meeting: Meeting,
    username: str,
    display_name: str,
    role: str,
    password: str,
    groups: Iterable[str] = (),
) -> User:
    """Add an account and its groups (slugs; kept for rapporteurs only), or raise
    AccountErrors and add nothing. The one way accounts are made: /accounts and the CLI."""
    name, display_name = normalize_username(username), display_name.strip()
    errors = {}
    if not name or len(name) > MAX_USERNAME or not name.replace(".", "").replace("-", "").isalnum():
        errors["username"] = _("Use letters, digits, dots or dashes (at most 80).")
    elif session.exec(select(User).where(User.username == name)).first():
        errors["username"] = _("This username is taken.")
    if len(display_name) > MAX_DISPLAY_NAME:
        errors["display_name"] = _("Keep the name under 120 characters.")
    if len(password) < MIN_PASSWORD:
        errors["password"] = _password_rule()
    chosen = _checked(session, meeting, role, groups, errors)
    if errors:
        raise AccountErrors(errors)
    user = User(
        username=name,
        display_name=display_name or name,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    _set_groups(session, user, chosen)
    return user


def update_account(
    session: Session, meeting: Meeting, user: User, role: str, groups: Iterable[str]
) -> list[str]:
    """Change an account's role and groups; return the slugs of its groups now.

    Raise AccountErrors, changing nothing, for a wrong role or group, or if the meeting would
    be left without an active secretariat account.
    """
    errors: dict[str, str] = {}
    chosen = _checked(session, meeting, role, groups, errors)
    if errors:
        raise AccountErrors(errors)
    with _secretariat_kept(session, "role"):
        user.role = role
        session.add(user)
        _set_groups(session, user, chosen)
    return sorted(g.slug for g in chosen) if role in GROUP_ROLES else []


def set_active(session: Session, user: User, active: bool) -> None:
    """Activate an account, or deactivate it and end its sessions at once.

    Raise AccountErrors, changing nothing, rather than deactivate the last secretariat account.
    """
    with _secretariat_kept(session, "active"):
        user.active = active
        session.add(user)
    if not active:
        end_all_sessions(session, user)


def set_password(session: Session, user: User, password: str) -> None:
    """Give an account a new password and sign it out everywhere; AccountErrors if too short."""
    if len(password) < MIN_PASSWORD:
        raise AccountErrors({"password": _password_rule()})
    user.password_hash = hash_password(password)
    session.add(user)
    end_all_sessions(session, user)


def _password_rule() -> str:
    return _("Use at least %(min)s characters.", min=MIN_PASSWORD)


def _checked(
    session: Session, meeting: Meeting, role: str, slugs: Iterable[str], errors: dict[str, str]
) -> list[Group]:
    """Check a role and the group slugs chosen; return those groups."""
    if role not in ROLES:
        errors["role"] = _("Choose a role.")
    groups = {g.slug: g for g in session.exec(select(Group).where(Group.meeting_id == meeting.id))}
    wanted = list(dict.fromkeys(slugs))
    unknown = [slug for slug in wanted if slug not in groups]
    if unknown:
        errors["groups"] = _("No group “%(slug)s” in this meeting.", slug=unknown[0])
    return [groups[slug] for slug in wanted if slug in groups]


def _set_groups(session: Session, user: User, groups: list[Group]) -> None:
    """Make these the groups a rapporteur or moderator works on; other roles read across groups."""
    session.exec(delete(RapporteurGroup).where(col(RapporteurGroup.user_id) == user.id))
    for group in groups if user.role in GROUP_ROLES else []:
        session.add(RapporteurGroup(user_id=ident(user), group_id=ident(group)))


@contextmanager
def _secretariat_kept(session: Session, field: str) -> Iterator[None]:
    """Undo the change made inside, and raise AccountErrors (on `field`), if it leaves no
    active secretariat account.

    Safe against two such changes at once: on PostgreSQL the secretariat's rows are locked
    first; on SQLite the change, written first, holds the one writer's place while counting.
    """
    active = select(User.id).where(User.role == "secretariat", col(User.active))
    session.exec(active.order_by(col(User.id)).with_for_update()).all()
    yield
    session.flush()
    count = select(func.count()).select_from(User)
    if session.exec(count.where(User.role == "secretariat", col(User.active))).one() == 0:
        session.rollback()
        message = _("The meeting needs an active secretariat account: make another one first.")
        raise AccountErrors({field: message})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """Open a session for a user; return the token for the cookie (256 random bits)."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + SESSION_LIFETIME
    session.add(UserSession(token_hash=_digest(token), user_id=ident(user), expires_at=expires))
    session.commit()
    return token


def session_user(session: Session, token: str) -> User | None:
    """Return the user of a live session token, or None."""
    found = session.get(UserSession, _digest(token))
    if found is None or found.expires_at < utcnow():
        return None
    user = session.get(User, found.user_id)
    return user if user and user.active else None


def end_session(session: Session, token: str) -> None:
    """End a session at sign-out."""
    session.exec(delete(UserSession).where(col(UserSession.token_hash) == _digest(token)))
    session.commit()


def end_all_sessions(session: Session, user: User) -> None:
    """Sign a user out everywhere (after a password reset)."""
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))


def start_delegate_session(
    session: Session, meeting: Meeting, delegation: Delegation, access: AccessCode | None
) -> str:
    """Sign a phone in as a delegation; return the token for its cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        DelegateSession(
            token_hash=_digest(token),
            delegation_id=ident(delegation),
            access_code_id=access.id if access else None,
            meeting_id=ident(meeting),
            expires_at=utcnow() + SESSION_LIFETIME,
        )
    )
    session.commit()
    return token


# Built once, like the other queries of the card path: under load, building a statement
# (and its cache key) costs the app about as much as running it.
_DELEGATE_SESSIONS = (
    select(DelegateSession, Delegation, AccessCode)
    .join(Delegation, col(Delegation.id) == DelegateSession.delegation_id)
    .outerjoin(AccessCode, col(AccessCode.id) == DelegateSession.access_code_id)
)
_DELEGATE_SESSION = _DELEGATE_SESSIONS.where(DelegateSession.token_hash == bindparam("hash"))
_SEVERAL_DELEGATE_SESSIONS = _DELEGATE_SESSIONS.where(
    col(DelegateSession.token_hash).in_(bindparam("hashes", expanding=True))
)
PhoneSession = tuple[DelegateSession, Delegation, AccessCode | None]


def delegate_session(session: Session, token: str) -> PhoneSession | None:
    """Return a phone's live session, its delegation and its code (if signed in with one).

    None if the session ended or expired, or its code was revoked. One query: every page a
    delegate opens, and every card sent, starts here.
    """
    row = session.exec(_DELEGATE_SESSION, params={"hash": _digest(token)}).first()
    return _live(*row) if row is not None else None


def delegate_sessions(session: Session, tokens: list[str]) -> dict[str, PhoneSession]:
    """Return the live sessions among several phones' tokens, in one query, by token."""
    hashes = {_digest(token): token for token in tokens}
    rows = session.exec(_SEVERAL_DELEGATE_SESSIONS, params={"hashes": list(hashes)})
    live = (_live(*row) for row in rows)
    return {hashes[found[0].token_hash]: found for found in live if found is not None}


def _live(
    phone: DelegateSession, delegation: Delegation, access: AccessCode | None
) -> PhoneSession | None:
    if phone.expires_at < utcnow():
        return None
    if phone.access_code_id is not None and (access is None or access.revoked_at is not None):
        return None
    return phone, delegation, access


def end_delegate_session(session: Session, token: str) -> None:
    """End a phone's session at sign-out."""
    session.exec(delete(DelegateSession).where(col(DelegateSession.token_hash) == _digest(token)))
    session.commit()


def rapporteur_group_ids(session: Session, user: User) -> set[int]:
    """Return the ids of the groups a rapporteur works on."""
    query = select(RapporteurGroup.group_id).where(RapporteurGroup.user_id == user.id)
    return set(session.exec(query))


def is_reviewer(user: User) -> bool:
    """Co-facilitators and the secretariat read across all groups and review their reports."""
    return user.role in ("cofacilitator", "secretariat")


def can_read(session: Session, user: User, group: Group) -> bool:
    """Secretariat and co-facilitators read every group; rapporteurs their own."""
    if is_reviewer(user):
        return True
    return user.role == "rapporteur" and group.id in rapporteur_group_ids(session, user)


def can_write(session: Session, user: User, group: Group) -> bool:
    """Rapporteurs change their own groups' work; the secretariat may step in anywhere."""
    if user.role == "secretariat":
        return True
    return user.role == "rapporteur" and group.id in rapporteur_group_ids(session, user)


def can_moderate(session: Session, user: User, group: Group) -> bool:
    """Moderators run their own groups' speakers lists; the secretariat may step in anywhere."""
    if user.role == "secretariat":
        return True
    return user.role == "moderator" and group.id in rapporteur_group_ids(session, user)
