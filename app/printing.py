"""Printable A4 sheets: a slip per delegation with its code, a poster per group."""

import segno
from sqlmodel import Session, col, select

from app.i18n import delegation_name, get_language, sort_key
from app.meetings import meeting_groups
from app.models import AccessCode, Delegation, Meeting
from app.settings import get_settings
from app.templating import templates


def qr_svg(url: str, scale: int) -> str:
    """Return a QR code for a URL as inline SVG (no image files, prints sharp)."""
    return str(segno.make(url, error="m").svg_inline(scale=scale, border=2))


def slips_html(session: Session, meeting: Meeting, kinds: list[str] | None = None) -> str:
    """Render the A4 sheet of access slips for every delegation holding an active code."""
    base = get_settings().public_url.rstrip("/")
    query = (
        select(AccessCode, Delegation)
        .join(Delegation, col(Delegation.id) == AccessCode.delegation_id)
        .where(AccessCode.meeting_id == meeting.id, col(AccessCode.revoked_at).is_(None))
    )
    if kinds:
        query = query.where(col(Delegation.kind).in_(kinds))
    rows = sorted(session.exec(query), key=lambda r: sort_key(r[1].name))
    slips = [
        {
            "delegation": delegation_name(d.name, d.iso2),
            "code": a.code,
            "qr": qr_svg(f"{base}/j/{a.code}", scale=3),
        }
        for a, d in rows
    ]
    template = templates.env.get_template("print/slips.html")
    return template.render(
        meeting=meeting, slips=slips, join_url=f"{base}/join", language=get_language()
    )


def posters_html(session: Session, meeting: Meeting) -> str:
    """Render one A4 poster per group, whose QR code opens that group's card form."""
    base = get_settings().public_url.rstrip("/")
    posters = [
        {"group": g, "url": f"{base}/g/{g.slug}", "qr": qr_svg(f"{base}/g/{g.slug}", scale=9)}
        for g in meeting_groups(session, meeting)
    ]
    template = templates.env.get_template("print/posters.html")
    return template.render(meeting=meeting, posters=posters, language=get_language())
