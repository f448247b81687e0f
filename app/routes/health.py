"""Health and readiness checks for the reverse proxy (README, "Several app servers")."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import SessionDep
from app.schema import expected_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
def read_health(session: SessionDep) -> JSONResponse:
    """Answer 200 when the app can reach its database, 503 when it cannot."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def read_readiness(session: SessionDep) -> JSONResponse:
    """Answer 200 when this server may take requests: its database answers and its schema is
    the one this code expects (else app.schema refuses the request with 503 and says why)."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ready", "schema": expected_revision()})
