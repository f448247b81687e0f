"""Two moderators and a projector, in three browsers, run a round of ten speakers."""

import os
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from app import floor
from app.db import get_session, open_session
from app.main import create_app
from app.models import FloorRequest, Group, Meeting, User
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, code_for, make_user

pytestmark = [pytest.mark.browser, needs_chromium]
SHOTS = os.environ.get("SCREENSHOTS", "")  # a folder to keep the pages' pictures in
SPEAKERS = [
    "Mexico",
    "Kenya",
    "Belgium",
    "Philippines",
    "Chile",
    "Ghana",
    "Nepal",
    "Peru",
    "Morocco",
]


@pytest.fixture
def short_round(session: Session, meeting: Meeting) -> Meeting:
    """Three seconds to speak and one of warning, so that an overrun comes quickly."""
    meeting.floor = {
        "seconds": {"statement": 3, "point_of_order": 3, "reply": 3},
        "warning_seconds": 1,
    }
    session.add(meeting)
    session.commit()
    make_user(session, "mona", "moderator", ("human",))
    make_user(session, "milo", "moderator", ("human",))
    return meeting


@pytest.fixture
def live_url(app: FastAPI, short_round: Meeting, accounts: dict[str, User]) -> Iterator[str]:
    with serve(app) as url:
        yield url


def open_as(browser: Browser, url: str, username: str, path: str, size: dict) -> Page:
    context: BrowserContext = browser.new_context(viewport=size, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{url}/signin?next={path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")
    return page


def shot(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways"  # type: ignore[index]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def add_speaker(page: Page, name: str, kind: str = "Statement") -> None:
    page.get_by_label("Delegation", exact=True).fill(name)
    page.get_by_label("Kind of intervention").select_option(label=kind)
    page.get_by_role("button", name="Add to the list").click()
    expect(page.locator(".floor-queue")).to_contain_text(name)


def test_two_moderators_and_a_projector_run_a_round(
    browser: Browser, live_url: str, session: Session
) -> None:
    desk = {"width": 1280, "height": 900}
    mona = open_as(browser, live_url, "mona", "/floor/human", desk)
    milo = open_as(browser, live_url, "milo", "/floor/human", desk)
    screen = open_as(
        browser, live_url, "cora", "/floor/human/projector", {"width": 1920, "height": 1080}
    )
    name = screen.locator("[data-slot=name]")
    phase = screen.locator("[data-slot=phase]")
    time = screen.locator("[data-slot=time]")
    for speaker in SPEAKERS:
        add_speaker(mona, speaker)
    expect(screen.locator("[data-slot=next] li")).to_have_count(5)
    # Milo's page follows Mona's additions; his point of order goes to the top.
    expect(milo.locator(".floor-queue li")).to_have_count(9)
    add_speaker(milo, "Ecuador", "Point of order")
    expect(mona.locator(".floor-queue li").first).to_contain_text("Ecuador")
    expect(screen.locator("[data-slot=next] li").first).to_have_text("Ecuador · Point of order")
    shot(mona, "moderator-desktop")

    mona.keyboard.press("n")
    expect(name).to_have_text("Ecuador")
    expect(screen.locator("[data-floor-announce]")).to_have_text("Now speaking: Ecuador")
    # Milo pauses from his page, which followed Mona's call: the projector says so in words.
    expect(milo.get_by_role("button", name="Pause")).to_be_visible()
    milo.keyboard.press("p")
    expect(phase).to_have_text("Paused")
    stopped = time.text_content()
    screen.wait_for_timeout(1200)
    assert time.text_content() == stopped
    expect(mona.get_by_role("button", name="Resume")).to_be_visible()
    mona.keyboard.press("p")
    # Three seconds, then over time: a minus sign and the words, not a colour alone.
    expect(phase).to_have_text("Over time", timeout=8000)
    expect(time).to_contain_text("−")
    expect(time).to_have_text("−0:02")  # over by a second or more: the overrun is counted
    shot(screen, "projector-overrun")

    current = "Ecuador"
    for index, speaker in enumerate(SPEAKERS):
        moderator = (mona, milo)[index % 2]
        # A page that has not yet followed the other's call would be refused (its version is
        # old): wait until it shows who speaks now, as a moderator would.
        expect(moderator.locator(".floor-name")).to_contain_text(current)
        expect(moderator.get_by_role("button", name="Call next")).to_be_enabled()
        moderator.keyboard.press("n")
        expect(name).to_have_text(speaker)
        expect(moderator.locator(".floor-name")).to_contain_text(speaker)
        current = speaker
    expect(screen.locator("[data-slot=empty]")).to_be_visible()
    expect(milo.locator(".floor-name")).to_contain_text(SPEAKERS[-1])  # his page followed
    milo.keyboard.press("e")
    expect(name).to_have_text("No one has the floor.")

    session.expire_all()
    spoken = floor.done(session, session.exec(select(Group).where(Group.slug == "human")).one())
    assert [floor.entries(session, [r])[0].name for r in spoken] == ["Ecuador", *SPEAKERS]
    assert spoken[0].kind == "point_of_order" and (spoken[0].overrun_seconds or 0) >= 1
    for page in (mona, milo, screen):
        page.context.close()


def test_the_projector_fits_a_phone_and_polls_without_event_streams(
    browser: Browser, live_url: str, session: Session, meeting: Meeting
) -> None:
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    from app.routes.floor import find_delegation

    for typed in ("Mexico", "Kenya"):
        floor.add(session, meeting, group, find_delegation(session, typed), "statement")
    floor.call_next(session, meeting, group, floor.version(session, group.id or 0))
    session.commit()
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.add_init_script("delete window.EventSource")
    page = context.new_page()
    page.goto(f"{live_url}/signin?next=/floor/human/projector")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-slot=name]")).to_have_text("Mexico")
    shot(page, "projector-phone")
    floor.call_next(session, meeting, group, floor.version(session, group.id or 0))
    session.commit()
    expect(page.locator("[data-slot=name]")).to_have_text("Kenya")  # by polling
    context.close()


# Count the tones a page starts: what the room would hear.
COUNT_TONES = """
const start = OscillatorNode.prototype.start;
window.tones = 0;
OscillatorNode.prototype.start = function (...args) {
  window.tones += 1;
  return start.apply(this, args);
};
"""


def test_the_projector_chimes_once_when_time_is_up_if_asked(
    browser: Browser, live_url: str, session: Session, meeting: Meeting
) -> None:
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    from app.routes.floor import find_delegation

    for typed in ("Mexico", "Kenya"):
        floor.add(session, meeting, group, find_delegation(session, typed), "statement")
    session.commit()
    screen = open_as(
        browser, live_url, "cora", "/floor/human/projector", {"width": 1920, "height": 1080}
    )
    screen.add_init_script(COUNT_TONES)
    screen.reload()
    box = screen.get_by_label("Chime when the time is up")
    expect(box).not_to_be_checked()
    box.check()  # the press that lets the page play sound
    screen.reload()
    expect(screen.get_by_label("Chime when the time is up")).to_be_checked()  # remembered

    floor.call_next(session, meeting, group, floor.version(session, group.id or 0))
    session.commit()
    expect(screen.locator("[data-slot=name]")).to_have_text("Mexico")
    assert screen.evaluate("window.tones") == 0  # three seconds to go
    expect(screen.locator("[data-slot=phase]")).to_have_text("Over time", timeout=8000)
    screen.wait_for_timeout(1500)
    assert screen.evaluate("window.tones") == 1  # once, not at every tick
    floor.call_next(session, meeting, group, floor.version(session, group.id or 0))
    session.commit()
    expect(screen.locator("[data-slot=name]")).to_have_text("Kenya")
    expect(screen.locator("[data-slot=phase]")).to_have_text("Over time", timeout=8000)
    screen.wait_for_timeout(500)
    assert screen.evaluate("window.tones") == 2  # and once for the next speaker
    screen.get_by_label("Chime when the time is up").uncheck()
    screen.context.close()


def test_the_projector_without_javascript_offers_no_chime(browser: Browser, live_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_url}/signin?next=/floor/human/projector")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/floor/human/projector")
    expect(page.get_by_label("Chime when the time is up")).to_be_hidden()
    context.close()


def test_a_new_server_on_the_same_database_keeps_the_speech_going(
    browser: Browser,
    app: FastAPI,
    engine,
    short_round: Meeting,
    session: Session,
    accounts: dict[str, User],
) -> None:
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    from app.routes.floor import find_delegation

    short_round.floor = {"seconds": {"statement": 120}, "warning_seconds": 30}
    session.add(short_round)
    session.commit()
    floor.add(session, short_round, group, find_delegation(session, "Mexico"), "statement")
    session.commit()
    with serve(app) as url:
        page = open_as(browser, url, "mona", "/floor/human", {"width": 1280, "height": 900})
        page.keyboard.press("n")
        expect(page.locator(".floor-name")).to_contain_text("Mexico")
        page.wait_for_timeout(1500)
        page.context.close()
    restarted = create_app()

    async def override():  # type: ignore[no-untyped-def]
        async for s in open_session(engine):
            yield s

    restarted.dependency_overrides[get_session] = override
    with serve(restarted) as url:
        page = open_as(browser, url, "cora", "/floor/human/projector", PHONE)
        expect(page.locator("[data-slot=name]")).to_have_text("Mexico")
        left = page.locator("[data-slot=time]").text_content() or ""
        minutes, seconds = left.split(":")
        assert 100 <= int(minutes) * 60 + int(seconds) <= 119  # still running, from the deadline
        page.context.close()
    session.expire_all()
    assert floor.state_of(session.exec(select(FloorRequest)).one()) == "speaking"


def test_the_moderator_and_the_delegate_pages_fit_a_phone(
    browser: Browser, live_url: str, session: Session, meeting: Meeting
) -> None:
    phone = browser.new_context(viewport=PHONE, locale="en-GB")
    delegate = phone.new_page()
    delegate.goto(f"{live_url}/j/{code_for(session, meeting, 'Mexico')}")
    delegate.goto(f"{live_url}/speak")
    delegate.get_by_label("Group").select_option("human")
    delegate.get_by_role("button", name="Ask for the floor").click()
    expect(delegate.get_by_text("Your place on the list: 1")).to_be_visible()
    shot(delegate, "speak-phone")
    mona = open_as(browser, live_url, "mona", "/floor/human", PHONE)
    expect(mona.locator(".floor-queue")).to_contain_text("Mexico")
    expect(mona.locator(".floor-queue")).to_contain_text("asked from a phone")
    mona.keyboard.press("n")
    expect(mona.locator(".floor-name")).to_contain_text("Mexico")
    shot(mona, "moderator-phone")
    delegate.reload()
    expect(delegate.get_by_text("Your requests")).to_have_count(0)  # it has the floor now
    phone.close()
    mona.context.close()


@pytest.mark.parametrize(
    ("language", "size"), [("en", {"width": 1280, "height": 800}), ("ar", PHONE)]
)
def test_the_floor_pages_have_no_serious_accessibility_violations(
    browser: Browser, live_url: str, session: Session, meeting: Meeting, language: str, size: dict
) -> None:
    from app.routes.floor import find_delegation
    from tests.test_accessibility import AXE

    group = session.exec(select(Group).where(Group.slug == "human")).one()
    for typed in ("Mexico", "Kenya"):
        floor.add(session, meeting, group, find_delegation(session, typed), "statement")
    floor.call_next(session, meeting, group, floor.version(session, group.id or 0))
    session.commit()
    context = browser.new_context(viewport=size, bypass_csp=True)  # to inject axe
    context.add_cookies([{"name": "lang", "value": language, "url": live_url}])
    page = context.new_page()
    page.goto(f"{live_url}/signin")
    page.fill("#username", "sam")
    page.fill("#password", PASSWORD)
    page.click("form.join button[type=submit]")
    found = {}
    for path in ("/floor", "/floor/human", "/floor/human/projector"):
        page.goto(live_url + path)
        page.wait_for_load_state("load")  # not networkidle: the event stream stays open
        page.add_script_tag(content=AXE)
        result = page.evaluate("async () => (await axe.run(document)).violations")
        serious = [v["id"] for v in result if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = serious
    context.close()
    assert found == {}
