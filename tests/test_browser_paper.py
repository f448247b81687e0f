"""Paper cards in a browser: the printed cards' QR codes scan, and a clerk keys twenty cards
with the keyboard alone."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app import paper, printing
from app.audit import user_actor
from app.i18n import set_language
from app.models import Card, CardSerial, Delegation, Group, Meeting, User
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, needs_chromium]

MM = 96 / 25.4
A4 = {"width": 794, "height": 1123}  # 210 x 297 mm in CSS pixels: the sheet has no margin
SHOTS = Path(__file__).parent.parent / "screenshots" / "paper"


def issue(session: Session, meeting: Meeting, slug: str, count: int) -> list[CardSerial]:
    group = session.exec(select(Group).where(Group.slug == slug)).one()
    actor = user_actor(make_user(session, f"sec{slug}", "secretariat"))
    return paper.issue_serials(session, meeting, group, count, actor)


@pytest.fixture
def print_page(browser: Browser) -> Iterator[Page]:
    """A tab laid out as the printer lays out an A4 sheet, at twice the pixels of a screen."""
    context = browser.new_context(viewport=A4, device_scale_factor=2)
    page = context.new_page()
    page.emulate_media(media="print")
    yield page
    context.close()


@pytest.mark.parametrize("language", ["en", "ar", "zh"])
def test_every_printed_card_scans_to_its_serial_and_meeting_only(
    print_page: Page, session: Session, meeting: Meeting, language: str
) -> None:
    serials = issue(session, meeting, "national", 5) + issue(session, meeting, "human", 2)
    set_language(language)
    try:
        print_page.set_content(printing.cards_html(session, meeting, serials))
    finally:
        set_language("en")
    sheets = print_page.locator(".sheet")
    assert sheets.count() == 2  # four to a sheet
    box = sheets.first.bounding_box()
    assert box and box["width"] == pytest.approx(210 * MM, abs=1)
    assert box["height"] == pytest.approx(297 * MM, abs=1)
    cards = print_page.locator(".card")
    assert cards.count() == 7
    for i in range(cards.count()):
        card = cards.nth(i)
        image = Image.open(io.BytesIO(card.screenshot()))
        [found] = [r.text for r in zxingcpp.read_barcodes(image)]
        serial = card.locator(".serial").inner_text()
        assert found == f"puerto-vallarta-2017 {serial}" == paper.qr_text(meeting, serial)
        size = card.bounding_box()
        assert size and size["width"] == pytest.approx(105 * MM, abs=1)
        assert size["height"] == pytest.approx(148.5 * MM, abs=1)
        qr = card.locator("svg.qr").bounding_box()
        assert qr and qr["width"] == pytest.approx(printing.CARD_QR_MM * MM, abs=1)
        # Everything printed fits in its card: no question is cut off at the bottom.
        assert card.evaluate("c => c.scrollHeight <= c.clientHeight + 1")
    assert [cards.nth(i).get_attribute("data-serial") for i in range(7)] == [
        s.serial for s in serials
    ]
    assert print_page.locator(".sheet").first.locator(".mark").count() == 6  # the cut marks
    if language == "en":
        SHOTS.mkdir(parents=True, exist_ok=True)
        print_page.screenshot(path=str(SHOTS / "cards-a4.png"), full_page=True)


# Twenty cards as delegations wrote them, and what a clerk types for each delegation.
WRITTEN = [
    ("Mexique", "Mexico"), ("MX", "Mexico"), ("chile", "Chile"), ("墨西哥", "Mexico"),
    ("Alemania", "Germany"), ("Египет", "Egypt"), ("niger", "Niger"), ("Nigeria", "Nigeria"),
    ("UK", "United Kingdom of Great Britain and Northern Ireland"), ("PH", "Philippines"),
    ("Czech Republic", "Czechia"), ("Kenya", "Kenya"), ("المغرب", "Morocco"),
    ("bolivia", "Bolivia (Plurinational State of)"), ("Espagne", "Spain"), ("ca", "Canada"),
    ("Holy See", "Holy See"), ("Francia", "France"), ("India", "India"), ("japon", "Japan"),
]  # fmt: skip


@pytest.fixture
def live_url(app: FastAPI, session: Session, meeting: Meeting) -> Iterator[str]:
    with serve(app) as url:
        yield url


def test_a_clerk_keys_twenty_cards_with_the_keyboard_alone(
    page: Page, live_url: str, session: Session, meeting: Meeting
) -> None:
    serials = [s.serial for s in issue(session, meeting, "national", len(WRITTEN))]
    make_user(session, "clara", "clerk")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_url}/signin")
    page.locator("#username").focus()  # signing in is not keying: from here on, keys only
    page.keyboard.type("clara")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_url}/desk")
    for n, (serial, (typed, _name)) in enumerate(zip(serials, WRITTEN, strict=True)):
        expect(page.locator("#serial")).to_be_focused()
        page.keyboard.type(serial.lower() if n % 2 else serial.replace("-", " "))
        page.keyboard.press("Enter")
        expect(page.locator("#delegation_q")).to_be_focused()
        page.keyboard.type(typed)
        # The list narrows as the clerk types (htmx); Enter does not wait for it.
        if n < 3:
            expect(page.locator("#delegation option[selected]")).to_have_count(1)
        page.keyboard.press("Tab")  # the list
        page.keyboard.press("Tab")  # the language
        page.keyboard.press("Tab")  # priorities
        page.keyboard.press("Tab")  # commitments
        page.keyboard.type(f"Commitment number {n + 1}, as written on paper.")
        page.keyboard.press("Enter")  # saves, and opens the next
        expect(page.locator("#saved")).to_have_text(f"{serial} saved. Next card:")
        if n == 0:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "desk-next.png"))
    session.expire_all()
    stored = {c.paper_serial: c for c in session.exec(select(Card))}
    assert sorted(stored) == serials
    names = {d.id: d.name for d in session.exec(select(Delegation))}
    for serial, (typed, name) in zip(serials, WRITTEN, strict=True):
        card = stored[serial]
        assert names[card.delegation_id] == name, typed
        assert card.source == "paper" and card.answers["commitments"].startswith("Commitment")
    clerk = session.exec(select(User).where(User.username == "clara")).one()
    assert {c.keyed_by for c in stored.values()} == {clerk.id}


def test_the_desk_refuses_a_repeat_clearly_and_fits_a_phone(
    page: Page, live_url: str, session: Session, meeting: Meeting
) -> None:
    [serial] = [s.serial for s in issue(session, meeting, "human", 1)]
    make_user(session, "clara", "clerk")
    page.goto(f"{live_url}/signin")
    page.locator("#username").fill("clara")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.locator("#serial").fill(serial)
    page.locator("#serial").press("Enter")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "desk-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#delegation_q").fill("Chile")
    page.locator("#answer-commitments").fill("Keep families together.")
    page.locator("#answer-commitments").press("Enter")
    expect(page.locator("#saved")).to_be_visible()
    page.locator("#serial").fill(serial)
    page.locator("#serial").press("Enter")
    expect(page.locator("#serial-error")).to_have_text(
        f"{serial} is already keyed: here is its card."
    )
    expect(page.locator(".keyed")).to_contain_text("Keep families together.")
    expect(page.locator("#serial")).to_have_value(serial)
    page.screenshot(path=str(SHOTS / "desk-repeat-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_secretariat_issues_and_prints_cards_and_sees_the_figures_on_any_screen(
    page: Page, live_url: str, session: Session, meeting: Meeting
) -> None:
    issue(session, meeting, "local", 3)
    make_user(session, "sam", "secretariat")
    page.goto(f"{live_url}/signin")
    page.locator("#username").fill("sam")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.get_by_role("link", name="Paper cards").click()
    page.locator("#group").select_option("human")
    page.locator("#count").fill("5")
    page.get_by_role("button", name="Issue the serials and open the sheet").click()
    expect(page.locator(".card")).to_have_count(5)
    assert page.locator(".card .serial").first.inner_text() == "G6-0001"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "cards-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for size, name in ((PHONE, "paper-phone.png"), ({"width": 1280, "height": 900}, "paper.png")):
        page.set_viewport_size(size)
        page.goto(f"{live_url}/paper")
        expect(page.locator("tr[data-group=human] td").last).to_contain_text("5")
        expect(page.locator("tr[data-group=local] td").last).to_contain_text("3")
        page.screenshot(path=str(SHOTS / name), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
