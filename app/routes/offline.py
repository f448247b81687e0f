"""The service worker, served from the root so that it may keep the delegate's pages offline."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from app.templating import STATIC

router = APIRouter(include_in_schema=False)


@router.get("/sw.js")
def read_service_worker() -> FileResponse:
    """Serve the service worker; browsers must check it for updates on every visit."""
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
