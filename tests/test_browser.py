"""What only a browser shows: the delegate's whole flow on a phone, htmx, the counters."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session

from app.access import display
from tests.browser import PHONE, needs_chromium, serve
from tests.helpers import cards, versions

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def sign_in(page: Page, live_url: str, code: str) -> None:
    page.goto(f"{live_url}/join")
    page.get_by_label("Access code").fill(display(code).lower())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are writing cards for Mexico.")).to_be_visible()


def assert_fits_the_phone(page: Page) -> None:
    """No sideways scrolling, and every control is at least 44 CSS px tall."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    small = page.evaluate(
        """[...document.querySelectorAll(`main a, main button, main input:not([type=hidden]),
              main select, main textarea, footer a, footer button`)]
           .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
           .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert small == []


def test_delegate_flow_on_a_phone(page: Page, live_url: str, mexico: str, session: Session) -> None:
    sign_in(page, live_url, mexico)
    assert_fits_the_phone(page)
    page.get_by_role("link", name="Human dimension").click()
    expect(page.get_by_label("Action group")).to_have_value("human")
    assert_fits_the_phone(page)

    commitment = page.get_by_label("Actionable commitments for the Global Compact")
    commitment.fill("End the immigration detention of children.")
    expect(page.locator('[data-counter-for="answer-commitments"]')).to_have_text("42 / 1,000")
    page.get_by_label("Means of implementation").fill("Alternatives to detention, case management.")
    page.get_by_label("Your name").fill("Lucía Ramírez")
    page.get_by_role("button", name="Send card").click()

    expect(page.get_by_text("Card received.")).to_be_visible()
    expect(page.locator(".answer").first).to_have_text("End the immigration detention of children.")
    expect(page.get_by_role("link", name="Write another card for this group")).to_be_visible()
    expect(page.locator(".card-list li")).to_have_count(1)
    assert_fits_the_phone(page)

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Actionable commitments for the Global Compact").fill(
        "End the immigration detention of children, everywhere."
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".answer").first).to_have_text(
        "End the immigration detention of children, everywhere."
    )

    page.get_by_role("link", name="Withdraw").click()
    page.get_by_role("button", name="Withdraw card").click()
    expect(page.locator(".stored .badge")).to_have_text("Withdrawn")
    [card] = cards(session)
    assert card.status == "withdrawn"
    assert [v.action for v in versions(session, card.id)] == ["create", "edit", "withdraw"]


def test_the_counter_warns_past_the_limit(page: Page, live_url: str, mexico: str) -> None:
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/cards/new?group=global")
    page.get_by_label("Partnerships needed").fill("x" * 1001)
    counter = page.locator('[data-counter-for="answer-partnerships"]')
    expect(counter).to_have_text("1,001 / 1,000")
    expect(counter).to_have_class("counter over")


def test_errors_show_next_to_the_field_and_keep_the_text(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/cards/new?group=regional")
    page.get_by_label("National priorities under this dimension").fill("Labour mobility in ECOWAS")
    page.get_by_role("button", name="Send card").click()
    error = page.locator("#answers-commitments-error")
    expect(error).to_have_text("This answer is required.")
    expect(page.get_by_label("National priorities under this dimension")).to_have_value(
        "Labour mobility in ECOWAS"
    )
    assert cards(session) == []


def test_a_double_tap_on_send_stores_one_card(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/cards/new?group=local")
    page.get_by_label("Actionable commitments for the Global Compact").fill(
        "Firewalls for services."
    )
    page.get_by_role("button", name="Send card").dblclick()
    expect(page.get_by_text("Card received.")).to_be_visible()
    page.go_back()  # back to the form, and send it again
    page.get_by_role("button", name="Send card").click()
    expect(page.get_by_text("Card received.")).to_be_visible()
    assert len(cards(session)) == 1


def test_the_form_works_with_javascript_off(
    browser: Browser, live_url: str, mexico: str, session: Session
) -> None:
    context: BrowserContext = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/g/national")
    page.get_by_label("Actionable commitments for the Global Compact").fill(
        "A national coordination mechanism on migration."
    )
    page.get_by_label("Card written in").select_option("fr")
    page.get_by_role("button", name="Send card").click()
    expect(page.get_by_text("Card received.")).to_be_visible()
    [card] = cards(session)
    assert card.language == "fr"
    context.close()


def test_the_switcher_speaks_spanish_and_remembers(page: Page, live_url: str, mexico: str) -> None:
    sign_in(page, live_url, mexico)
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Redactar una tarjeta")).to_be_visible()
    page.goto(f"{live_url}/cards/new?group=global")
    expect(page.get_by_label("Grupo de acción")).to_have_value("global")


def test_the_delegate_hears_what_each_change_did_and_restores_a_card(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/cards/new?group=human")
    page.get_by_label("Actionable commitments for the Global Compact").fill("Firewalls.")
    page.get_by_role("button", name="Send card").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Actionable commitments for the Global Compact").fill(
        "Firewalls, everywhere."
    )
    page.get_by_role("button", name="Save changes").click()
    status = page.get_by_role("status").filter(has_text="Changes saved.")
    expect(status).to_be_focused()  # read out first; Tab goes on to the actions

    history = page.locator("details.history")
    summary = history.locator("summary")
    marker = "e => getComputedStyle(e, '::before').content"
    closed = summary.evaluate(marker)
    summary.click()
    expect(history).to_have_attribute("open", "")
    expect(history.get_by_text("Firewalls, everywhere.")).to_be_visible()
    assert summary.evaluate(marker) not in (closed, "none", "normal")

    page.get_by_role("link", name="Withdraw").click()
    page.get_by_role("button", name="Withdraw card").click()
    expect(page.get_by_role("status").filter(has_text="Card withdrawn.")).to_be_focused()
    expect(page.locator(".stored .badge")).to_have_text("Withdrawn")
    page.get_by_role("button", name="Restore card").click()
    expect(page.get_by_role("status").filter(has_text="Card restored.")).to_be_focused()
    expect(page.locator(".stored .badge")).to_have_count(0)
    expect(page.get_by_role("link", name="Withdraw")).to_be_visible()
    assert_fits_the_phone(page)
    [card] = cards(session)
    assert card.status == "active"
    assert [v.action for v in versions(session, card.id)] == [
        "create", "edit", "withdraw", "reinstate",
    ]  # fmt: skip
