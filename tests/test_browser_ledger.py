"""In real browsers: a rapporteur releases the ledger, two delegations answer on their phones
(one disagrees with a comment), the rapporteur moves a card and its answer resets, and the
dashboard, the workspace, the print view and the workbook show it."""

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.access import display
from app.grouping import create_recommendation, set_aside
from app.models import Card, Group, Meeting, User
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, code_for

pytestmark = [pytest.mark.browser, needs_chromium]
SHOTS = Path(os.environ.get("LEDGER_SHOTS", "/tmp/ledger-shots"))
SAID = "Our card asks for alternatives to detention, not only for children."


@pytest.fixture
def live_url(
    app: FastAPI, session: Session, human: list[Card], accounts: dict[str, User]
) -> Iterator[str]:
    """The human dimension sorted: Mexico and Belgium behind R1, Philippines behind R2."""
    mexico, belgium, philippines, off, kenya = human
    group = session.get(Group, mexico.group_id)
    assert group is not None
    create_recommendation(
        session, group, "End the detention of migrant children.", [mexico.id, belgium.id]
    )
    create_recommendation(session, group, "Recognise migrants' skills.", [philippines.id])
    set_aside(session, kenya, "duplicate", mexico.id, None)
    set_aside(session, off, "outside_dimension", None, None)
    session.commit()
    with serve(app) as url:
        yield url


def _staff(browser: Browser, url: str, username: str, path: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{url}/signin?next={path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _phone(browser: Browser, url: str, code: str) -> Page:
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{url}/join")
    page.get_by_label("Access code").fill(display(code).lower())
    page.get_by_role("button", name="Sign in").click()
    return page


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_release_answer_move_and_see_it_everywhere(
    browser: Browser, live_url: str, session: Session, meeting: Meeting, human: list[Card]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    mexico_card, belgium_card = human[0], human[1]
    mexico = _phone(browser, live_url, code_for(session, meeting, "Mexico"))
    belgium = _phone(browser, live_url, code_for(session, meeting, "Belgium"))

    # Before the release a delegation sees nothing of it.
    mexico.goto(f"{live_url}/ledger")
    expect(mexico.locator("main")).to_contain_text("have not shown how your cards were reflected")
    expect(mexico.locator("article")).to_have_count(0)

    # The rapporteur releases with a deadline.
    ravi = _staff(browser, live_url, "ravi", "/groups/human/ledger")
    expect(ravi.locator("#release-state")).to_contain_text("Not released")
    ravi.get_by_label("Answers until").fill("2099-12-31T18:00")
    ravi.get_by_role("button", name="Release").click()
    expect(ravi.locator("#release-state")).to_contain_text("Released")

    # Mexico agrees; Belgium disagrees, first without saying why.
    mexico.goto(f"{live_url}/cards")
    mexico.get_by_role("link", name="How your cards were reflected").click()
    expect(mexico.locator("article.ledger-mine")).to_have_count(2)  # its two cards only
    card = mexico.locator(f"#ledger-{mexico_card.id}")
    expect(card).to_contain_text("End the detention of migrant children.")
    card.get_by_label("I agree").check()
    card.get_by_role("button", name="Send my answer").click()
    expect(mexico.locator(f"#ledger-{mexico_card.id}")).to_contain_text("Your answer: Agreed")
    _fits(mexico)
    mexico.screenshot(path=str(SHOTS / "mine-phone.png"), full_page=True)

    belgium.goto(f"{live_url}/ledger")
    card = belgium.locator(f"#ledger-{belgium_card.id}")
    card.get_by_label("I disagree").check()
    card.get_by_role("button", name="Send my answer").click()
    card = belgium.locator(f"#ledger-{belgium_card.id}")
    expect(card.locator(".error")).to_have_text("Say why you disagree.")
    expect(card.get_by_label("I disagree")).to_be_checked()  # kept as chosen
    card.get_by_label("Comment").fill(SAID)
    card.get_by_role("button", name="Send my answer").click()
    expect(belgium.locator(f"#ledger-{belgium_card.id}")).to_contain_text("Your answer: Disagreed")
    _fits(belgium)

    # The dashboard counts them, with the comment; the workspace shows it beside the card.
    ravi.goto(f"{live_url}/groups/human/ledger")
    expect(ravi.locator("#answer-counts")).to_contain_text("Agreed: 1")
    expect(ravi.locator("#answer-counts")).to_contain_text("Disagreed: 1")
    expect(ravi.locator(f"#ledger-{belgium_card.id}")).to_contain_text(SAID)
    ravi.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)
    ravi.goto(f"{live_url}/groups/human?status=all")
    expect(ravi.locator(f"#disagreement-{belgium_card.id}")).to_contain_text(SAID)

    # The rapporteur moves Mexico's card to R2: its answer resets, and Mexico is told.
    box = ravi.locator(f"#card-{mexico_card.id}")
    box.get_by_label("Move to").first.fill("R2")
    box.get_by_role("button", name="Move, or take out if empty").first.click()
    expect(ravi.locator(f"#card-{mexico_card.id} .in-recs")).to_contain_text("Supports R2")
    ravi.goto(f"{live_url}/groups/human/ledger")
    expect(ravi.locator("#answer-counts")).to_contain_text("Changed since answered: 1")
    expect(ravi.locator(f"#ledger-{mexico_card.id}")).to_contain_text("Changed since answered")
    mexico.reload()
    expect(mexico.locator(f"#changed-{mexico_card.id}")).to_be_visible()
    expect(mexico.locator(f"#ledger-{mexico_card.id}")).to_contain_text(
        "Recognise migrants' skills."
    )
    mexico.screenshot(path=str(SHOTS / "mine-changed-phone.png"), full_page=True)

    # The print view carries the annex; so does the secretariat's workbook, with the answers.
    ravi.goto(f"{live_url}/groups/human/report/print")
    annex = ravi.locator("#ledger-annex")
    expect(annex).to_contain_text("How the cards were reflected")
    expect(annex.locator("tbody tr")).to_have_count(5)
    expect(annex).to_contain_text("Set aside: Outside the group's dimension")
    ravi.screenshot(path=str(SHOTS / "print-desktop.png"), full_page=True)
    sam = _staff(browser, live_url, "sam", "/overview")
    workbook = sam.context.request.get(f"{live_url}/exports/ledger.xlsx")  # its cookies
    assert workbook.ok
    sheet = load_workbook(io.BytesIO(workbook.body())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]  # type: ignore[union-attr]
    belgium_row = [r for r in rows if r[1] == "Belgium"][0]
    assert belgium_row[6:8] == ["Disagreed", SAID]
    mexico_row = [r for r in rows if r[1] == "Mexico" and r[2] == 1][0]
    assert mexico_row[6] == "Changed since answered"

    # At phone size the dashboard does not scroll sideways.
    ravi.set_viewport_size(PHONE)
    ravi.goto(f"{live_url}/groups/human/ledger")
    _fits(ravi)
    ravi.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
    ravi.goto(f"{live_url}/groups/human/report")
    expect(ravi.locator("#ledger-annex tbody tr")).to_have_count(5)
    _fits(ravi)
    ravi.screenshot(path=str(SHOTS / "report-phone.png"), full_page=True)
    for page in (mexico, belgium, ravi, sam):
        page.context.close()
