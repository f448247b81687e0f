"""Access codes: what a delegation types, or scans, to sign a phone in."""

import secrets

from sqlmodel import Session, col, select

from app.models import AccessCode, Delegation, Meeting, ident, utcnow

# No 0/O, 1/I/L or 5/S look-alikes: codes are read off paper and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
LENGTH = 8  # 29**8 is about 5e11: not found by trying, even before throttling


def new_code() -> str:
    """Return a random code from the alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(typed: str) -> str:
    """Turn what a person typed ("abcd-efgh ") into the stored form ("ABCDEFGH")."""
    return "".join(c for c in typed.upper() if c.isalnum())


def display(code: str) -> str:
    """Split a code in two halves so it is easy to read aloud and type."""
    return f"{code[:4]}-{code[4:]}"


def could_be_a_code(typed: str) -> bool:
    """Say whether what was typed has a code's length and letters: only that is a guess."""
    code = normalize(typed)
    return len(code) == LENGTH and set(code) <= set(ALPHABET)


def find_active(session: Session, meeting: Meeting, typed: str) -> AccessCode | None:
    """Return the meeting's unrevoked code matching what was typed, if any."""
    if not could_be_a_code(typed):
        return None
    code = normalize(typed)
    return session.exec(
        select(AccessCode).where(
            AccessCode.code == code,
            AccessCode.meeting_id == meeting.id,
            col(AccessCode.revoked_at).is_(None),
        )
    ).first()


def active_code(session: Session, meeting: Meeting, delegation: Delegation) -> AccessCode | None:
    """Return the delegation's current code for the meeting, if it has one."""
    return session.exec(
        select(AccessCode).where(
            AccessCode.meeting_id == meeting.id,
            AccessCode.delegation_id == delegation.id,
            col(AccessCode.revoked_at).is_(None),
        )
    ).first()


def issue_code(session: Session, meeting: Meeting, delegation: Delegation) -> AccessCode:
    """Give a delegation a code for the meeting, keeping the one it already has."""
    existing = active_code(session, meeting, delegation)
    if existing:
        return existing
    taken = set(session.exec(select(AccessCode.code)))
    code = new_code()
    while code in taken:
        code = new_code()
    access = AccessCode(meeting_id=ident(meeting), delegation_id=ident(delegation), code=code)
    session.add(access)
    return access


def revoke_code(session: Session, access: AccessCode) -> None:
    """Revoke a code: phones signed in with it are signed out at their next request."""
    access.revoked_at = utcnow()
    session.add(access)
