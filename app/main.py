"""The application factory: middleware, error pages, routers and static files."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app import embedding, i18n
from app.db import ServerBusy, get_engine
from app.deps import Forbidden, NoMeeting, SignInRequired
from app.forms import CleanQuery
from app.i18n import _
from app.limits import TooManyRequests, limiter
from app.routes import (
    across,
    api,
    audit,
    cards,
    desk,
    differences,
    exports,
    floor,
    grouping,
    health,
    join,
    ledger,
    offline,
    paper,
    report,
    review,
    sorting,
    speak,
    staff,
    workspace,
)
from app.schema import SchemaMismatch
from app.security import BodyLimit, SameOriginPosts, SecurityHeaders
from app.settings import get_settings
from app.templating import STATIC, render


class LanguageMiddleware:
    """Set the interface language of each request: the person's choice, else the browser's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            chosen = request.cookies.get("lang", "")
            browser = i18n.negotiate(request.headers.get("accept-language", ""))
            i18n.set_language(
                chosen if chosen in i18n.LANGUAGES else browser or get_settings().default_language
            )
        await self.app(scope, receive, send)


class CachedStatic(StaticFiles):
    """Static files; versioned URLs (?v=hash) may be cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if b"v=" in scope.get("query_string", b""):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Few threads serve the sync handlers: on a small machine forty threads fighting for the
    # GIL stretch every write (which SQLite serialises) and the tail with it.
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().threads
    url = get_settings().database_url
    shared = not url.startswith("sqlite")
    if shared:
        limiter.share(url)  # with any other server on this PostgreSQL (app.counters)
    embedding.wake(get_engine())
    yield
    embedding.stop(get_engine())
    if shared:
        limiter.unshare()
    get_engine().dispose()


def create_app() -> FastAPI:
    """Build the ActionCards application."""
    settings = get_settings()
    app = FastAPI(
        title="ActionCards",
        summary="Index cards from delegations, for the rapporteurs of a meeting.",
        lifespan=lifespan,
        # The interactive docs load scripts from another host; the schema is at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="actioncards",
        same_site="lax",
        https_only=settings.secure_cookies,
        max_age=14 * 24 * 3600,
    )
    # Added innermost first: the language is set before anything else runs, so that even a
    # refused request gets its message in the person's language.
    app.add_middleware(CleanQuery)
    app.add_middleware(SameOriginPosts)
    app.add_middleware(BodyLimit)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(LanguageMiddleware)
    routers = (
        join, cards, staff, workspace, grouping, sorting, report, review, across, exports,
        audit, api, health, offline, desk, differences, paper, floor, speak, ledger,
    )  # fmt: skip
    for router in (module.router for module in routers):
        app.include_router(router)
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    _add_error_pages(app)
    return app


def _bad_request_message() -> str:
    """Say that a request could not be read; going back keeps what the person typed."""
    return _("The request was not understood. Go back and try again.")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/healthz", "/readyz"))


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    def sign_in(request: Request, exc: SignInRequired) -> Response:
        if _wants_json(request):
            detail = _("Send the delegation's access code as a Bearer token.")
            return JSONResponse({"detail": detail}, status_code=401)
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        page = "/signin" if exc.staff else "/join"
        return RedirectResponse(f"{page}?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, _exc: Forbidden) -> Response:
        message = _("Your account cannot open this page. Ask the secretariat if you need it.")
        return render(request, "error.html", {"message": message}, status_code=403)

    @app.exception_handler(TooManyRequests)
    def too_many(request: Request, exc: TooManyRequests) -> Response:
        message = _(
            "Too many tries. Wait %(seconds)s seconds, then try again.", seconds=exc.retry_after
        )
        headers = {"Retry-After": str(exc.retry_after)}
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=429, headers=headers)
        response = render(request, "error.html", {"message": message}, status_code=429)
        response.headers.update(headers)
        return response

    @app.exception_handler(ServerBusy)
    def busy(request: Request, _exc: ServerBusy) -> Response:
        message = _("The server is very busy. Wait a few seconds, then try again.")
        headers = {"Retry-After": "5"}
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=503, headers=headers)
        response = render(request, "error.html", {"message": message}, status_code=503)
        response.headers.update(headers)
        return response

    @app.exception_handler(SchemaMismatch)
    def schema_mismatch(request: Request, exc: SchemaMismatch) -> Response:
        # The person cannot fix it; the log and /readyz tell the secretariat's technician.
        message = _("This server is being updated. Try again in a minute.")
        headers = {"Retry-After": "30"}
        if _wants_json(request):
            detail = {"detail": message, "problem": str(exc)}
            return JSONResponse(detail, status_code=503, headers=headers)
        response = render(request, "error.html", {"message": message}, status_code=503)
        response.headers.update(headers)
        return response

    @app.exception_handler(NoMeeting)
    def no_meeting(request: Request, _exc: NoMeeting) -> Response:
        message = _("No meeting is loaded yet. Load one with: python -m app load-meeting FILE")
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=503)
        return render(request, "error.html", {"message": message}, status_code=503)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        message = _("This page does not exist, or is not yours to see.")
        if exc.status_code == 422 and isinstance(exc.detail, str):
            message = exc.detail  # a message written for the person, already translated
        elif exc.status_code == 405:
            message = _("This page cannot be used that way.")
        elif exc.status_code == 400:
            message = _bad_request_message()
        return render(request, "error.html", {"message": message}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": _jsonable(exc.errors())}, status_code=422)
        return render(request, "error.html", {"message": _bad_request_message()}, status_code=400)


def _jsonable(errors: object) -> object:
    # Pydantic puts the offending exception object in "ctx"; keep only what JSON can carry.
    if isinstance(errors, list | tuple):
        return [
            {k: v for k, v in e.items() if k in ("loc", "msg", "type")}
            for e in errors
            if isinstance(e, dict)
        ]
    return errors


def _settle_garbage_collector() -> None:
    """Keep the cycle collector off the long-lived objects and out of the way of requests.

    By the time the app is built nearly everything the process keeps exists (libraries,
    catalogs, routes), and each full collection walked all of it: under load they paused the
    server for up to 115 ms and took a tenth of its time (bench/load.py). Frozen, those
    objects are no longer walked; a higher first threshold lets a request's short-lived
    objects die by reference counting before a collection looks at them. Cycles are still
    collected, only less often.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


app = create_app()
_settle_garbage_collector()
