"""Printable A4 sheets: a slip per delegation with its code, a poster per group, and
blank paper cards with their serials."""

import ipaddress
import socket
from pathlib import Path
from urllib.parse import urlsplit

import segno
from markupsafe import Markup
from sqlmodel import Session, col, select

from app import paper
from app.i18n import delegation_name, get_language, sort_key, text_direction
from app.meetings import meeting_groups
from app.models import AccessCode, CardSerial, Delegation, Meeting
from app.settings import get_settings
from app.templating import templates

# Printed sizes of the codes, quiet zone included: a phone held at arm's length reads 0.8 mm
# modules; a poster is read across a room.
SLIP_QR_MM = 30
POSTER_QR_MM = 120


def qr_svg(url: str, size_mm: float) -> Markup:
    """Return a QR code for a URL as inline SVG that prints at size_mm, whatever its box."""
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, light="#fff"
    )
    # The viewBox lets it scale; the size in mm (and `flex: none` in the sheets' CSS) keeps it.
    sized = Markup('<svg width="{0}mm" height="{0}mm" role="img" aria-label="{1}" ')
    return Markup(svg).replace("<svg ", sized.format(size_mm, url), 1)


def is_loopback(url: str) -> bool:
    """Tell whether an address leads back to the computer that opens it (127.0.0.1, localhost)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # browsers read 127.1 and 2130706433 as 127.0.0.1 too
            address = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return host == "localhost" or host.endswith(".localhost")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def public_url_problem(url: str) -> str | None:
    """Say why phones scanning a code for this address would not reach the app, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an address a phone opens: it must start with https:// or http://"
    if is_loopback(url):
        return f"{url} is an address only this computer opens: phones scanning it reach nothing"
    return None


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
    slips = [
        {
            "delegation": delegation_name(d.name, d.iso2),
            "code": a.code,
            "qr": qr_svg(f"{base}/j/{a.code}", SLIP_QR_MM),
        }
        for a, d in session.exec(query)
    ]
    # In the order of the names printed: a French sheet starts with Allemagne, not Argentine.
    slips.sort(key=lambda slip: sort_key(slip["delegation"]))
    return _render("print/slips.html", meeting=meeting, slips=slips, join_url=f"{base}/join")


def posters_html(session: Session, meeting: Meeting) -> str:
    """Render one A4 poster per group, whose QR code opens that group's card form."""
    base = get_settings().public_url.rstrip("/")
    posters = [
        {"group": g, "url": f"{base}/g/{g.slug}", "qr": qr_svg(f"{base}/g/{g.slug}", POSTER_QR_MM)}
        for g in meeting_groups(session, meeting)
    ]
    return _render("print/posters.html", meeting=meeting, posters=posters)


def _render(name: str, **context: object) -> str:
    language = get_language()
    template = templates.env.get_template(name)
    return template.render(language=language, direction=text_direction(language), **context)


# A paper card's code carries only the meeting and the serial; held at a desk, 0.7 mm modules.
CARD_QR_MM = 24
CARDS_PER_SHEET = 4  # A6 cards, two by two on A4, cut apart along the marks
CARDS_CSS = Path(__file__).parent.parent / "static" / "paper-cards.css"


def cards_html(
    session: Session, meeting: Meeting, serials: list[CardSerial], inline: bool = True
) -> str:
    """Render blank paper cards for issued serials, four A6 cards to an A4 sheet."""
    groups = {g.id: g for g in meeting_groups(session, meeting)}
    named = {d.id: d for d in session.exec(select(Delegation))} if serials else {}
    cards = []
    for serial in serials:
        delegation = named.get(serial.delegation_id) if serial.delegation_id else None
        cards.append(
            {
                "serial": serial.serial,
                "group": groups[serial.group_id],
                "band": paper.band(groups[serial.group_id]),  # its class in paper-cards.css
                "qr": qr_svg(paper.qr_text(meeting, serial.serial), CARD_QR_MM),
                "delegation": delegation_name(delegation.name, delegation.iso2)
                if delegation
                else "",
            }
        )
    sheets = [cards[i : i + CARDS_PER_SHEET] for i in range(0, len(cards), CARDS_PER_SHEET)]
    # A file opened on its own carries its style; the app serves it from static/ (its CSP).
    css = CARDS_CSS.read_text(encoding="utf-8") if inline else ""
    return _render("print/cards.html", meeting=meeting, sheets=sheets, inline_css=Markup(css))
