"""The paper desk's camera: a clerk holds a card's QR code up to the laptop and lands on that
card's form having typed nothing; where no camera opens, or no JavaScript runs, typing goes on."""

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app import paper
from app.audit import user_actor
from app.models import Group, Meeting
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, needs_chromium, serve
from tests.conftest import PASSWORD, make_user, sign_in_as
from tests.helpers import soup
from tests.test_accessibility import violations

SHOTS = Path(__file__).parent.parent / "screenshots" / "paper"
W, H = 640, 480
LAPTOP = {"width": 1280, "height": 800}
DECODER = "/static/jsQR-1.4.0.js"
# Every stream the page opens, to prove its tracks are stopped.
KEEP_STREAMS = """
window.__streams = [];
const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (wanted) =>
  open(wanted).then((stream) => { window.__streams.push(stream); return stream; });
"""
ALL_STOPPED = "__streams.length > 0 && __streams.every(s => s.getTracks().every(t => t.readyState === 'ended'))"  # noqa: E501


def issue_one(session: Session, meeting: Meeting, slug: str) -> str:
    group = session.exec(select(Group).where(Group.slug == slug)).one()
    actor = user_actor(make_user(session, f"sec{slug}", "secretariat"))
    [serial] = paper.issue_serials(session, meeting, group, 1, actor)
    return serial.serial


def frame_with(text: str | None) -> Image.Image:
    """A camera's picture: the QR code of a text (as printed cards carry it) on white, or a
    card held with no code in sight."""
    frame = Image.new("L", (W, H), 255)
    if text is None:
        frame.paste(200, (200, 120, 440, 360))  # a blank card, no code on it
        return frame
    png = io.BytesIO()
    segno.make(text, error="m").save(png, kind="png", scale=8, border=4)
    code = Image.open(png).convert("L")
    frame.paste(code, ((W - code.width) // 2, (H - code.height) // 2))
    return frame


def write_y4m(frame: Image.Image, path: Path, frames: int = 5) -> Path:
    """Write a picture as the Y4M video Chromium's fake camera plays in a loop (4:2:0, grey)."""
    chroma = bytes([128]) * ((W // 2) * (H // 2))
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


@contextmanager
def camera_tab(
    browser: Browser, video: Path, init_script: str = "", axe: bool = False, routed: bool = False
) -> Iterator[Page]:
    """A tab in a Chromium of its own whose camera films the video, allowed to open it; with
    axe, the CSP is off for axe-core to be injected; routed, no service worker hides the
    page's requests from page.route."""
    args = [
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]  # fmt: skip
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=args)
    try:
        context = chromium.new_context(
            viewport=LAPTOP, locale="en-GB", bypass_csp=axe,
            service_workers="block" if routed else "allow",
        )  # fmt: skip
        context.set_default_timeout(10_000)
        context.grant_permissions(["camera"])
        tab = context.new_page()
        broken: list[str] = []
        tab.on("console", lambda m: broken.append(m.text) if "Content Security" in m.text else None)
        tab.add_init_script(KEEP_STREAMS + init_script)
        yield tab
        context.close()  # the camera first: a browser still filming may not close at once
        assert broken == [], "the page broke its Content-Security-Policy"
    finally:
        chromium.close()


def sign_in_clerk(page: Page, url: str, session: Session) -> None:
    make_user(session, "clara", "clerk")
    page.goto(f"{url}/signin")
    page.locator("#username").fill("clara")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(f"{url}/desk")
    expect(page.locator("#serial")).to_be_focused()


@pytest.fixture
def live_url(app: FastAPI, session: Session, meeting: Meeting) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize(
    "browser_detector", ["as this browser has it", "removed"], ids=["as-is", "no-detector"]
)
def test_a_clerk_opens_a_card_by_holding_its_qr_code_to_the_camera(
    browser: Browser, live_url: str, session: Session, meeting: Meeting, tmp_path: Path,
    browser_detector: str,
) -> None:  # fmt: skip
    serial = issue_one(session, meeting, "human")
    video = write_y4m(frame_with(paper.qr_text(meeting, serial)), tmp_path / "card.y4m")
    # Chromium on Linux has no BarcodeDetector; where one exists, "removed" still proves jsQR.
    removed = "delete window.BarcodeDetector;" if browser_detector == "removed" else ""
    with camera_tab(browser, video, removed) as page:
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        sign_in_clerk(page, live_url, session)
        assert not [u for u in fetched if DECODER in u]  # the desk stays light until asked
        has_detector = page.evaluate("'BarcodeDetector' in window")
        page.get_by_role("button", name="Scan the QR code").click()
        expect(page.locator(".serial-shown")).to_have_text(serial)
        expect(page.locator("#delegation_q")).to_be_focused()
        # The field carried what the code says, as a hand-held scanner would have typed it.
        assert parse_qs(urlsplit(page.url).query)["serial"] == [paper.qr_text(meeting, serial)]
        if not has_detector:
            assert [u for u in fetched if DECODER in u]  # read by the vendored jsQR


@pytest.mark.browser
@needs_chromium
def test_the_browser_s_own_detector_reads_the_code_where_there_is_one(
    browser: Browser, live_url: str, session: Session, meeting: Meeting, tmp_path: Path
) -> None:
    serial = issue_one(session, meeting, "national")
    # A stand-in for the browser's detector: it reads the card on its third look, from a
    # picture in which jsQR could find nothing.
    detector = """
    window.BarcodeDetector = class {
      static getSupportedFormats() { return Promise.resolve(["ean_13", "qr_code"]); }
      constructor(options) { window.__formats = options.formats; this.looks = 0; }
      detect(source) {
        if (!(source instanceof HTMLVideoElement)) return Promise.reject(new TypeError("video"));
        return Promise.resolve(++this.looks < 3 ? [] : [{ rawValue: QR_TEXT }]);
      }
    };
    """.replace("QR_TEXT", json.dumps(paper.qr_text(meeting, serial)))
    with camera_tab(browser, write_y4m(frame_with(None), tmp_path / "blank.y4m"), detector) as page:
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        sign_in_clerk(page, live_url, session)
        page.get_by_role("button", name="Scan the QR code").click()
        expect(page.locator(".serial-shown")).to_have_text(serial)
        expect(page.locator("#delegation_q")).to_be_focused()
        assert [u for u in fetched if DECODER in u] == []  # nothing to download


@pytest.mark.browser
@needs_chromium
def test_the_camera_box_fits_a_phone_and_a_laptop_and_a_press_or_escape_closes_it(
    browser: Browser, live_url: str, session: Session, meeting: Meeting, tmp_path: Path
) -> None:
    blank = write_y4m(frame_with(None), tmp_path / "blank.y4m")
    with camera_tab(browser, blank, axe=True) as page:
        sign_in_clerk(page, live_url, session)
        toggle = page.locator("[data-scan-toggle]")
        box = page.locator("#scan-box")
        SHOTS.mkdir(parents=True, exist_ok=True)
        for size, name in ((PHONE, "desk-scan-phone.png"), (LAPTOP, "desk-scan.png")):
            page.set_viewport_size(size)
            toggle.click()
            expect(box).to_be_visible()
            expect(toggle).to_have_text("Stop the camera")
            expect(toggle).to_have_attribute("aria-expanded", "true")
            expect(page.locator("#scan-status")).to_have_text(
                "Hold the QR code of the card up to the camera. Escape stops it."
            )
            expect(box.locator("video")).to_have_js_property("videoWidth", W)  # the camera films
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            page.screenshot(path=str(SHOTS / name), full_page=True)
            assert violations(page) == []
            if size == PHONE:
                page.keyboard.press("Escape")
            else:
                toggle.click()  # the second press
            expect(box).to_be_hidden()
            expect(page.locator("#serial")).to_be_focused()
            expect(toggle).to_have_text("Scan the QR code")
            expect(page.locator("#scan-status")).to_have_text("")
            assert page.evaluate(ALL_STOPPED), "a track of the camera is still running"
            assert page.evaluate("document.querySelector('#scan-box video').srcObject") is None


@pytest.mark.browser
@needs_chromium
def test_a_camera_that_cannot_be_opened_says_so_and_typing_still_works(
    page: Page, live_url: str, session: Session, meeting: Meeting
) -> None:
    serial = issue_one(session, meeting, "human")
    # The plain test browser: no camera, and no permission to open one.
    sign_in_clerk(page, live_url, session)
    page.get_by_role("button", name="Scan the QR code").click()
    status = page.locator("#scan-status")
    expect(status).to_have_text("The camera could not be opened: type the serial.")
    assert status.get_attribute("role") == "status"
    expect(page.locator("#serial")).to_be_focused()
    assert "scan-status" in (page.locator("#serial").get_attribute("aria-describedby") or "")
    expect(page.locator("#scan-box")).to_be_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "desk-scan-refused-phone.png"), full_page=True)
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    expect(page.locator(".serial-shown")).to_have_text(serial)
    expect(page.locator("#delegation_q")).to_be_focused()


@pytest.mark.browser
@needs_chromium
def test_a_decoder_that_does_not_arrive_lets_the_camera_go_and_comes_on_the_next_press(
    browser: Browser, live_url: str, session: Session, meeting: Meeting, tmp_path: Path
) -> None:
    serial = issue_one(session, meeting, "human")
    video = write_y4m(frame_with(paper.qr_text(meeting, serial)), tmp_path / "card.y4m")
    with camera_tab(browser, video, "delete window.BarcodeDetector;", routed=True) as page:
        sign_in_clerk(page, live_url, session)
        page.route(f"**{DECODER}*", lambda route: route.abort())  # the network dropped
        page.get_by_role("button", name="Scan the QR code").click()
        expect(page.locator("#scan-status")).to_have_text(
            "The QR code cannot be read in this browser: type the serial."
        )
        expect(page.locator("#serial")).to_be_focused()
        expect(page.locator("#scan-box")).to_be_hidden()
        assert page.evaluate(ALL_STOPPED), "a track of the camera is still running"
        page.unroute(f"**{DECODER}*")
        page.get_by_role("button", name="Scan the QR code").click()
        expect(page.locator(".serial-shown")).to_have_text(serial)


@pytest.mark.browser
@needs_chromium
def test_a_browser_that_cannot_open_cameras_shows_no_scan_button(
    page: Page, live_url: str, session: Session
) -> None:
    # As over plain HTTP to another machine, where browsers give pages no camera at all.
    page.add_init_script("Object.defineProperty(navigator, 'mediaDevices', {value: undefined})")
    sign_in_clerk(page, live_url, session)
    expect(page.locator("[data-scan-toggle]")).to_be_hidden()
    expect(page.locator("#scan-box")).to_be_hidden()


def test_without_javascript_the_desk_is_as_before_and_the_scan_button_stays_hidden(
    client: TestClient, session: Session, meeting: Meeting
) -> None:
    serial = issue_one(session, meeting, "human")
    make_user(session, "clara", "clerk")
    desk = sign_in_as(client, "clara")
    page = soup(desk.get("/desk"))
    form = page.select_one("form.desk-serial")
    assert form is not None and (form["method"], form["action"]) == ("get", "/desk")
    assert page.select_one("#serial").has_attr("autofocus")
    button = form.select_one("[data-scan-toggle]")
    assert button.has_attr("hidden") and button["type"] == "button"  # never submits the form
    assert button.get_text() == "Scan the QR code"
    assert form.select_one("#scan-box").has_attr("hidden")
    # The decoder is named for the script to fetch when asked, never loaded with the page.
    decoder = form["data-scan-decoder"]
    assert decoder.startswith(f"{DECODER}?v=")
    assert not page.select(f'script[src^="{DECODER}"]')
    served = desk.get(decoder)
    assert served.status_code == 200 and "Apache License" in served.text[:400]
    # Typing the serial, or what the code carries, opens the card as before.
    for typed in (serial, paper.qr_text(meeting, serial)):
        opened = soup(desk.get("/desk", params={"serial": typed}))
        assert opened.select_one(".serial-shown").get_text() == serial
