"""Reading HTML forms and query strings: text as people type it, whatever was sent."""

import re
from typing import Annotated
from urllib.parse import parse_qsl, unquote_plus, urlencode

from fastapi import Depends, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.i18n import _

# Control characters, less tab and newline: nobody types them, PostgreSQL refuses NUL in text,
# and the others garble pages, exports and terminals.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Return text without control characters, its line ends as newlines."""
    return CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


async def read_form(request: Request) -> dict[str, str]:
    """Return the posted form's text fields, cleaned (the last value of a repeated name wins)."""
    form = await request.form()
    return {clean(key): clean(value) for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(read_form)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Return a local path to go to after a form, never another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


# The largest id an integer column holds on every database (PostgreSQL's INTEGER).
MAX_ID = 2**31 - 1


def form_id(value: object) -> int | None:
    """Return the row id a form names, or None for anything that cannot be one."""
    text = str(value)
    # "²" is a digit to isdigit() but not to int(), which reads no more than 4,300 digits.
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 20 else 0
    return number if 0 < number <= MAX_ID else None


class CleanQuery:
    """Clean every query string as forms are cleaned, before any route reads it; no page has a
    control character in its path.

    A search for "a%00b" reached the database as is, and PostgreSQL answered it with a 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and CONTROL.search(scope.get("path", "")):
            message = _("This page does not exist.")
            response: Response = PlainTextResponse(message, 404)
            if scope["path"].startswith("/api/"):  # the API answers in JSON, as documented
                response = JSONResponse({"detail": message}, 404)
            await response(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("query_string"):
            raw = scope["query_string"].decode("latin-1")
            if CONTROL.search(unquote_plus(raw, encoding="latin-1")):
                pairs = parse_qsl(raw, keep_blank_values=True)
                query = urlencode([(clean(k), clean(v)) for k, v in pairs])
                scope = {**scope, "query_string": query.encode("ascii")}
        await self.app(scope, receive, send)
