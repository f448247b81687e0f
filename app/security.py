"""Protections every response and request goes through: headers, same-origin posts, body size."""

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import _
from app.settings import get_settings

MAX_BODY = 64 * 1024
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# No inline script or style anywhere: htmx runs with allowEval off and its own styles off.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeaders:
    """Add the security headers to every response; HSTS when served over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


class SameOriginPosts:
    """Refuse a state-changing request that carries a cookie unless it comes from us.

    Browsers send Origin (or at least Referer) with every POST; a forged form on another site
    carries that site's origin. Any cookie counts, whatever else the request carries: an
    Authorization header proves nothing until checked (a bogus one used to switch this off),
    and the handler may still act on the cookie. API clients send a Bearer code and no cookie,
    and pass; the app's own pages (and the offline outbox, which posts from them) send their
    Origin.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            if "cookie" in headers and not self._same_origin(scope, headers):
                message = _("This request came from another site and was refused. Reload the page.")
                response = PlainTextResponse(message, 403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _same_origin(scope: Scope, headers: Headers) -> bool:
        if headers.get("sec-fetch-site") == "cross-site":
            return False
        claimed = _origin(headers.get("origin") or headers.get("referer") or "")
        if not claimed:
            return False
        scheme = scope.get("scheme", "http")
        ours = {f"{scheme}://{headers.get('host', '')}".lower()}
        ours.add(_origin(get_settings().public_url))
        return claimed in ours


class BodyLimit:
    """Answer 413 to a request body over 64 KB, announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received, refused = 0, False

        async def counting_receive() -> Message:
            # A streamed body that grows too large: answer 413 now, and tell the app the
            # client went away (whatever it answers to that is dropped).
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit and not refused:
                refused = True
                await self._refuse(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse(_("This request is too large (64 KB at most)."), 413)
        await response(scope, receive, send)
