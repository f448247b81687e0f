"""Keyboard only: a delegate and a rapporteur do their whole work with Tab, Shift+Tab, Enter,
Space and typing; and after every part of a page that htmx swaps, focus is somewhere sensible.

No clicks, and no filling of fields that were not reached with Tab: `tab_to` presses Tab until
the wanted element has focus, and fails if the keyboard cannot get there.
"""

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.access import display
from app.models import Card, Meeting, Report, User
from tests.browser import needs_chromium, serve
from tests.conftest import PASSWORD, add_card
from tests.helpers import cards, versions

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def has_focus(page: Page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement.matches(s)", selector)  # type: ignore[no-any-return]


def focused(page: Page) -> str:
    """Describe the element that has focus: its id, else its tag and text."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => { const e = document.activeElement;
                   return e.id || `${e.tagName} ${e.textContent.trim().slice(0, 40)}`; }"""
    )


def tab_to(page: Page, selector: str, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (Shift+Tab backwards) until the element matching `selector` has focus."""
    key = "Shift+Tab" if backwards else "Tab"
    page.wait_for_load_state()  # a page that Enter opened has all its controls
    for _press in range(limit):
        page.keyboard.press(key)
        if has_focus(page, selector):
            return
    raise AssertionError(f"{key} never reaches {selector}; it stops at {focused(page)}")


def test_a_delegate_writes_edits_and_withdraws_a_card_with_the_keyboard(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    page.goto(f"{live_url}/join")
    tab_to(page, "#code")
    page.keyboard.type("HXKM-0000")
    page.keyboard.press("Enter")
    expect(page.locator("#code-error")).to_be_visible()
    assert has_focus(page, "#code[aria-invalid=true]")  # ready to type it again
    page.keyboard.press("Control+A")
    page.keyboard.type(display(mexico).lower())
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are writing cards for Mexico.")).to_be_visible()

    tab_to(page, "a.group-link[href$='group=human']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cards/new\?group=human$"))
    tab_to(page, "#answer-priorities")
    page.keyboard.type("Consular protection")
    tab_to(page, "form.card-form [type=submit]")
    page.keyboard.press("Enter")  # the commitment is required: refused, with the text kept

    expect(page.locator(".alert")).to_contain_text("1 field needs your attention.")
    assert has_focus(page, ".alert")  # what went wrong is read first
    tab_to(page, "#answer-commitments[aria-invalid=true]")
    page.keyboard.type("End the immigration detention of children.")
    tab_to(page, "form.card-form [type=submit]")
    tab_to(page, "#author_name", backwards=True)  # back up to sign it
    page.keyboard.type("Lucía Ramírez")
    tab_to(page, "form.card-form [type=submit]")
    page.keyboard.press("Space")

    expect(page.get_by_text("Card received.")).to_be_visible()
    assert has_focus(page, ".success")  # the confirmation is read first
    expect(page.locator(".meta").first).to_contain_text("Written by Lucía Ramírez")
    tab_to(page, "a[href$='/edit']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/edit$"))
    tab_to(page, "#answer-commitments")
    page.keyboard.press("Control+End")
    page.keyboard.type(" Everywhere.")
    tab_to(page, "form.card-form [type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".answer").nth(1)).to_have_text(
        "End the immigration detention of children. Everywhere."
    )

    tab_to(page, "a[href$='/withdraw']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/withdraw$"))
    tab_to(page, "form.actions [type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".stored .badge")).to_have_text("Withdrawn")
    [card] = cards(session)
    assert card.status == "withdrawn"
    assert card.author_name == "Lucía Ramírez"
    assert [v.action for v in versions(session, card.id)] == ["create", "edit", "withdraw"]


@pytest.fixture
def desktop(page: Page) -> Page:
    page.set_viewport_size({"width": 1280, "height": 900})
    return page


def sign_in_with_the_keyboard(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/signin")
    tab_to(page, "#username")
    page.keyboard.type("ravi")
    page.keyboard.press("Tab")
    assert has_focus(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_url}/groups")


def after_swap(page: Page, status: str, focus: str) -> None:
    """Wait for htmx to say what it did; then focus must be where the rule puts it."""
    expect(page.locator("#ws-status")).to_have_text(status)
    expect(page.locator("#ws-status")).to_have_attribute("role", "status")
    assert has_focus(page, focus), f"focus is on {focused(page)}, not {focus}"


def test_a_rapporteur_sorts_cards_and_writes_the_report_with_the_keyboard(
    desktop: Page, live_url: str, accounts: dict[str, User], human: list[Card], session: Session
) -> None:
    page = desktop
    sign_in_with_the_keyboard(page, live_url)
    tab_to(page, "a[href='/groups/human']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_url}/groups/human")
    first, second, third, fourth = page.locator(".ws-card").evaluate_all(
        "cards => cards.map(c => c.id.slice('card-'.length))"
    )[:4]

    # Tag a card with a new tag: focus comes back to the field, empty for the next tag.
    tab_to(page, f"#new-tag-{first}")
    page.keyboard.type("Children")
    page.keyboard.press("Enter")
    after_swap(page, "Tag added: Children.", f"#new-tag-{first}")
    expect(page.locator(f"#card-{first} .chips")).to_contain_text("Children")

    # A new recommendation from that card (the number left empty), then another card into it.
    tab_to(page, f"#rec-add-{first}", backwards=True)
    page.keyboard.press("Enter")
    after_swap(page, "The card supports R1.", f"#rec-add-{first}")
    expect(page.locator("#recommendations .rec")).to_have_count(1)
    tab_to(page, f"#rec-{second}")
    page.keyboard.type("R1")
    page.keyboard.press("Enter")
    after_swap(page, "The card supports R1.", f"#rec-{second}")
    expect(page.locator(f"#card-{second}")).to_contain_text("Supports R1:")

    # Set a card aside: the same button, now "Back to the inbox", keeps focus.
    tab_to(page, f"#aside-{third}")
    page.keyboard.press("Enter")
    after_swap(page, "Set aside: off topic", f"#aside-{third}")
    expect(page.locator(f"#aside-{third}")).to_have_text("Back to the inbox")

    # A number that does not exist: focus goes to the field, which says why.
    tab_to(page, f"#rec-{fourth}")
    page.keyboard.type("R9")
    page.keyboard.press("Enter")
    expect(page.locator(f"#rec-{fourth}-error")).to_have_text(
        "There is no recommendation R9. Use a number from the list."
    )
    assert has_focus(page, f"#rec-{fourth}[aria-invalid=true]")

    # Take the tag off again: its button is gone, so focus goes to the card's heading.
    tab_to(page, f"[id^='untag-{first}-']", backwards=True)
    page.keyboard.press("Enter")
    after_swap(page, "Tag removed: Children.", f"#card-{first}-title")
    expect(page.locator(f"#card-{first} .chips")).to_have_count(0)

    # Filter: the list is swapped, focus stays in the search field, the count is said. The
    # card searched for is placed now, so the search looks at all cards, not those to sort.
    tab_to(page, "#f-status", backwards=True)
    page.keyboard.press("a")  # "All", the option after "To sort"
    tab_to(page, "#f-q", backwards=True)
    page.keyboard.type("detención")
    page.keyboard.press("Enter")
    after_swap(page, "1 card shown", "#f-q")
    expect(page.locator(".ws-card")).to_have_count(1)

    # The report: write a section; it saves itself while focus stays in the text.
    tab_to(page, "a[href='/groups/human/report']", backwards=True)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_url}/groups/human/report")
    tab_to(page, "#section-summary")
    page.keyboard.type("Delegations converged on ending child immigration detention.")
    expect(page.locator("#save-status")).to_contain_text("Saved: version 1", timeout=8000)
    assert has_focus(page, "#section-summary")
    session.expire_all()
    report = session.exec(select(Report)).one()
    assert report.sections["summary"] == (
        "Delegations converged on ending child immigration detention."
    )


POLL = """() => {
  const poller = document.getElementById("poller");  // what "every 10s" does, now
  return htmx.ajax("GET", poller.getAttribute("hx-get"), {source: poller, swap: "none"});
}"""


def test_the_poll_for_new_cards_never_moves_focus(
    desktop: Page,
    live_url: str,
    accounts: dict[str, User],
    human: list[Card],
    session: Session,
    meeting: Meeting,
) -> None:
    page = desktop
    sign_in_with_the_keyboard(page, live_url)
    page.goto(f"{live_url}/groups/human")
    tab_to(page, "#progress-summary")
    page.keyboard.press("Enter")  # open the list of delegations not yet reflected
    expect(page.locator("#progress-details")).to_have_attribute("open", "")

    add_card(session, meeting, "human", "Chile", "es", {"commitments": "Visados humanitarios."})
    session.commit()
    page.evaluate(POLL)
    expect(page.locator("#arrivals-status")).to_have_text("1 new card arrived.")
    expect(page.locator("#progress")).to_contain_text("6 in the inbox")  # swapped: it changed
    assert has_focus(page, "#progress-summary")
    expect(page.locator("#progress-details")).to_have_attribute("open", "")

    page.evaluate("() => { window.before = document.activeElement; }")
    page.evaluate(POLL)  # nothing new: the progress box is left as it is
    expect(page.locator("#arrivals-status")).to_have_text("")
    assert page.evaluate("() => document.activeElement === window.before")
