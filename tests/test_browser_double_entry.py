"""Double entry in a browser: two clerks key the same paper card with the keyboard, and a
third person settles their differences side by side, on a laptop or a phone."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app import paper
from app.audit import user_actor
from app.models import Card, Delegation, Group, Meeting
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, make_user
from tests.test_accessibility import violations

pytestmark = [pytest.mark.browser, needs_chromium]

SHOTS = Path(__file__).parent.parent / "screenshots" / "paper"
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture
def live_url(app: FastAPI, session: Session, meeting: Meeting) -> Iterator[str]:
    meeting.paper_double_entry = True
    session.add(meeting)
    session.commit()
    for name, role in (("clara", "clerk"), ("carl", "clerk"), ("sam", "secretariat")):
        make_user(session, name, role)
    with serve(app) as url:
        yield url


def signed_in(browser: Browser, url: str, username: str, viewport: dict[str, int]) -> Page:
    # bypass_csp: axe is injected into the page to check it
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{url}/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    return page


def key_by_keyboard(page: Page, serial: str, delegation: str, commitment: str) -> None:
    """Key a card from the serial on, with the keys alone."""
    expect(page.locator("#serial")).to_be_focused()
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    expect(page.locator("#delegation_q")).to_be_focused()
    page.keyboard.type(delegation)
    for _field in ("list", "language", "priorities", "commitments"):
        page.keyboard.press("Tab")
    page.keyboard.type(commitment)
    page.keyboard.press("Enter")


def test_two_clerks_key_a_card_and_a_third_person_settles_it_by_keyboard(
    browser: Browser, live_url: str, session: Session, meeting: Meeting
) -> None:
    national = session.exec(select(Group).where(Group.slug == "national")).one()
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    actor = user_actor(make_user(session, "issuer", "secretariat"))
    [serial] = [s.serial for s in paper.issue_serials(session, meeting, national, 1, actor)]
    clara = signed_in(browser, live_url, "clara", LAPTOP)
    key_by_keyboard(clara, serial, "Mexico", "Protect migrant children at every border.")
    expect(clara.locator("#saved")).to_contain_text("saved as its first keying")
    assert violations(clara) == []  # the desk, asking for the next serial
    carl = signed_in(browser, live_url, "carl", LAPTOP)
    expect(carl.locator("#serial")).to_be_focused()
    carl.keyboard.type(serial)
    carl.keyboard.press("Enter")
    expect(carl.locator("#answer-commitments")).to_have_value("")  # blind to the first
    expect(carl.locator("#delegation_q")).to_be_focused()
    assert violations(carl) == []  # the desk's card form
    carl.locator("#delegation_q").focus()
    carl.keyboard.type("Mexico")
    for _field in ("list", "language", "priorities", "commitments"):
        carl.keyboard.press("Tab")
    carl.keyboard.type("Protect migrant children at each border.")
    carl.keyboard.press("Enter")
    expect(carl.locator("#saved")).to_contain_text("the two keyings differ")
    session.expire_all()
    assert session.exec(select(Card)).all() == []

    third = signed_in(browser, live_url, "sam", LAPTOP)
    third.goto(f"{live_url}/desk")
    third.get_by_role("link", name="1 card waits for its differences to be settled.").click()
    third.get_by_role("link", name=serial).click()
    difference = third.locator("#field-answers-commitments")
    expect(difference.locator("mark")).to_have_text(["every", "each"])
    readings = difference.locator(".readings .reading")
    first_box, second_box = readings.nth(0).bounding_box(), readings.nth(1).bounding_box()
    assert first_box and second_box and first_box["y"] == second_box["y"]  # side by side
    SHOTS.mkdir(parents=True, exist_ok=True)
    third.screenshot(path=str(SHOTS / "settle.png"), full_page=True)
    assert violations(third) == []
    # Keys alone: Tab to the choice, an arrow picks the second reading, Enter sends.
    difference.locator("input[value=first]").focus()
    third.keyboard.press("ArrowRight")
    expect(difference.locator("input[value=second]")).to_be_checked()
    third.keyboard.press("Enter")
    expect(third.locator(".success")).to_have_text(f"{serial} settled: the card is in.")
    session.expire_all()
    [card] = session.exec(select(Card)).all()
    assert card.answers["commitments"] == "Protect migrant children at each border."
    assert card.delegation_id == mexico.id


def test_the_settling_page_stacks_the_readings_on_a_phone(
    browser: Browser, live_url: str, session: Session, meeting: Meeting
) -> None:
    national = session.exec(select(Group).where(Group.slug == "national")).one()
    actor = user_actor(make_user(session, "issuer", "secretariat"))
    [serial] = [s.serial for s in paper.issue_serials(session, meeting, national, 1, actor)]
    for name, text in (("clara", "Fund local integration."), ("carl", "Fund local inclusion.")):
        page = signed_in(browser, live_url, name, PHONE)
        key_by_keyboard(page, serial, "Chile", text)
        expect(page.locator("#saved")).to_be_visible()
    phone = signed_in(browser, live_url, "sam", PHONE)
    phone.goto(f"{live_url}/desk/differences/{serial}")
    readings = phone.locator("#field-answers-commitments .readings .reading")
    first_box, second_box = readings.nth(0).bounding_box(), readings.nth(1).bounding_box()
    assert first_box and second_box and second_box["y"] > first_box["y"] + first_box["height"] - 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(SHOTS / "settle-phone.png"), full_page=True)
    # Nothing chosen: the message stands next to the difference, the page keeps its place.
    phone.get_by_role("button", name="Settle and send the card to the rapporteurs").click()
    expect(phone.locator("#field-answers-commitments .error")).to_have_text(
        "Choose the reading that matches the paper card."
    )
    assert violations(phone) == []
    phone.locator("#field-answers-commitments .reading.typed input").check()
    phone.locator("#typed-answers-commitments").fill("Fund local integration and inclusion.")
    phone.get_by_role("button", name="Settle and send the card to the rapporteurs").click()
    expect(phone.locator(".success")).to_be_visible()
    assert violations(phone) == []  # the list of differences
    session.expire_all()
    [card] = session.exec(select(Card)).all()
    assert card.answers["commitments"] == "Fund local integration and inclusion."
    for size, shot in ((PHONE, "paper-double-phone.png"), (LAPTOP, "paper-double.png")):
        phone.set_viewport_size(size)
        phone.goto(f"{live_url}/paper")
        expect(phone.locator(".paper-double")).to_contain_text("1 settled by a third person")
        phone.screenshot(path=str(SHOTS / shot), full_page=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= size["width"]
        assert violations(phone) == []
