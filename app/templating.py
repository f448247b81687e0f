"""Jinja templates with gettext, and the one helper that renders a page or its fragment."""

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app import i18n
from app.access import display as display_code
from app.floor import clock_text
from app.ledger import aside_text
from app.meetings import kind_label

ROOT = Path(__file__).parent.parent
STATIC = ROOT / "static"

env = Environment(
    loader=FileSystemLoader(ROOT / "templates"),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
)
templates = Jinja2Templates(env=env)
# Jinja's newstyle gettext fills in the variables itself: hand it the bare lookups.
env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: i18n.translations(i18n.get_language()).ugettext(message),
    lambda singular, plural, n: i18n.translations(i18n.get_language()).ungettext(
        singular, plural, n
    ),
    newstyle=True,
)
env.filters["loc"] = i18n.localize
env.filters["code"] = display_code
env.filters["delegation_name"] = lambda d: i18n.delegation_name(d.name, d.iso2)
env.globals.update(
    language_name=i18n.language_name,
    format_time=i18n.format_time,
    format_number=i18n.format_number,
    format_dates=i18n.format_dates,
    text_direction=i18n.text_direction,
    plural_samples=lambda: i18n.plural_samples(i18n.get_language()),
    LANGUAGES=i18n.LANGUAGES,
)


def field_attrs(errors: dict[str, str], name: str, hint_id: str | None = None) -> Markup:
    """Return aria attributes that tie a field to its hint and its error message."""
    ids = [hint_id] if hint_id else []
    if errors.get(name):
        ids.append(name.replace(".", "-") + "-error")
    attrs = Markup(' aria-describedby="{}"').format(" ".join(ids)) if ids else Markup("")
    return attrs + Markup(' aria-invalid="true"') if errors.get(name) else attrs


env.globals["field_attrs"] = field_attrs
env.globals["kind_label"] = kind_label
env.globals["floor_clock"] = lambda seconds: clock_text(seconds)


@lru_cache
def static_url(name: str) -> str:
    """Return a static file's URL with a content hash, so browsers may cache it for a year."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


env.globals["static_url"] = static_url


def is_fragment_request(request: Request) -> bool:
    """Tell an htmx request for part of a page from a plain visit (or a boosted one)."""
    return "hx-request" in request.headers and "hx-boosted" not in request.headers


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    fragment: str | None = None,
) -> HTMLResponse:
    """Render a page, or for htmx only `fragment`: a partial that the page itself includes."""
    name = fragment if fragment and is_fragment_request(request) else template
    context = {"language": i18n.get_language(), **(context or {})}
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request, Cookie, Accept-Language"
    return response


env.globals["aside_text"] = aside_text
