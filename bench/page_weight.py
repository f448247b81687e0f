"""Page weight: what each delegate page costs a phone on a crowded network.

Loads each page in Chromium on a fresh profile (first visit), then again (repeat visit),
and counts the requests and the bytes on the wire (compressed bodies and headers).
Last line: form_bytes=... form_requests=...   (aim: at most 30 KB in at most 4 requests,
and a repeat visit that takes its files from the cache)
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from _live import free_port, prepare, start  # noqa: E402

ARGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
    " --disable-background-networking --disable-component-update --disable-sync"
).split()


def visit(page: Page, url: str) -> tuple[int, int, int]:
    """Load a page; return (requests over the network, bytes on the wire, requests from cache)."""
    sizes: list[int] = []
    cached: list[str] = []

    def finished(request) -> None:  # type: ignore[no-untyped-def]
        response = request.response()
        if response is not None and (response.from_service_worker or _from_cache(request)):
            cached.append(request.url)
            return
        measured = request.sizes()
        sizes.append(measured["responseBodySize"] + measured["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("requestfinished", finished)
    return len(sizes), sum(sizes), len(cached)


def _from_cache(request) -> bool:  # type: ignore[no-untyped-def]
    return request.sizes()["responseHeadersSize"] <= 0


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "weight.db"
        code = prepare(database, 1)[0]
        port = free_port()
        server = start("app.main:app", port, database)
        base = f"http://127.0.0.1:{port}"
        rows = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                phone = {"width": 390, "height": 844}
                # Sign in once; every page is then a first visit on a fresh profile that only
                # keeps the sign-in cookie.
                context = browser.new_context(viewport=phone)
                page = context.new_page()
                rows.append(("join", *visit(page, base + "/join")))
                page.fill("#code", code)
                page.click("form.join button[type=submit]")
                page.wait_for_load_state("networkidle")
                signed_in = context.storage_state()
                context.close()
                for name, path in (("home", "/"), ("list", "/cards"),
                                   ("form", "/cards/new?group=human")):  # fmt: skip
                    context = browser.new_context(viewport=phone, storage_state=signed_in)
                    page = context.new_page()
                    rows.append((name, *visit(page, base + path)))
                    if name == "form":
                        repeat = visit(page, base + path)
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{'page':8} {'requests':>8} {'bytes':>8}   (first visit, 390x844)")
    for name, requests, size, _cached in rows:
        print(f"{name:8} {requests:8} {size:8}")
    print(
        f"form, repeat visit: {repeat[0]} request(s) over the network ({repeat[1]} bytes), "
        f"{repeat[2]} answered by the service worker or the cache"
    )
    form = next(r for r in rows if r[0] == "form")
    print(f"form_bytes={form[2]} form_requests={form[1]}")


if __name__ == "__main__":
    main()
