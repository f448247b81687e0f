"""axe-core finds no serious or critical violation on the pages, in English and in Arabic,
on a small phone and on a laptop, empty, filled and with errors."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from sqlmodel import Session

from app.access import display
from app.models import Card, User
from tests.browser import CHROMIUM_ARGS, needs_chromium, serve  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]
AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
SIZES = {"phone": {"width": 360, "height": 640}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def violations(page: Page) -> list[str]:
    """Run axe on the page; return the serious and critical violations, described."""
    for _attempt in range(3):  # a click may still be navigating: let it land, then look
        page.wait_for_load_state("networkidle")
        try:
            page.add_script_tag(content=AXE)
            result = page.evaluate("async () => (await axe.run(document)).violations")
            break
        except PlaywrightError as error:
            if "context was destroyed" not in str(error):
                raise
    else:
        raise AssertionError(f"{page.url} kept navigating")
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def delegate_pages(page: Page, url: str, code: str) -> Iterator[str]:
    """Walk the delegate's pages in their states; yield a name after each."""
    page.goto(f"{url}/join")
    yield "join"
    page.fill("#code", "WRONG")
    page.click("form.join button[type=submit]")
    yield "join with an error"
    page.fill("#code", display(code))
    page.click("form.join button[type=submit]")
    yield "home"
    page.goto(f"{url}/cards/new?group=human")
    yield "empty card"
    page.fill("#answer-priorities", "x" * 1001)
    yield "filled card over the limit"
    page.click("form.card-form button[type=submit]")
    yield "card with errors"
    page.fill("#answer-priorities", "Protección consular")
    page.fill("#answer-commitments", "Poner fin a la detención de niñas y niños migrantes.")
    page.click("form.card-form button[type=submit]")
    yield "card received"
    page.goto(f"{url}/cards")
    yield "list"


def staff_pages(page: Page, url: str) -> Iterator[str]:
    page.goto(f"{url}/signin")
    yield "sign-in"
    page.fill("#username", "sam")
    page.fill("#password", PASSWORD)
    page.click("form.join button[type=submit]")
    for path in ("/groups", "/groups/human", "/groups/human/report", "/accounts", "/audit",
                 "/groups/human/report/print", "/groups/human/report/present"):  # fmt: skip
        page.goto(url + path)
        yield path


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("size", SIZES)
def test_no_serious_violations(
    browser: Browser,
    live_url: str,
    mexico: str,
    accounts: dict[str, User],
    human: list[Card],
    session: Session,
    language: str,
    size: str,
) -> None:
    context = browser.new_context(viewport=SIZES[size], bypass_csp=True)  # to inject axe
    context.add_cookies([{"name": "lang", "value": language, "url": live_url}])
    page = context.new_page()
    found = {}
    for walk in (delegate_pages(page, live_url, mexico), staff_pages(page, live_url)):
        for name in walk:
            problems = violations(page)
            if problems:
                found[name] = problems
    context.close()
    assert found == {}


def test_the_check_itself_catches_a_violation(page: Page) -> None:
    page.set_content('<html lang="en"><body><main><input type="text"></main></body></html>')
    assert any(v.startswith("label ") for v in violations(page))
