"""Printed slips and posters: their QR codes scan, in every language, and never point home."""

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zxingcpp
from bs4 import BeautifulSoup
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Locator, Page
from sqlmodel import Session, select

from app import printing
from app.access import issue_code
from app.cli import main
from app.db import get_engine
from app.i18n import set_language
from app.models import AccessCode, Delegation, Meeting
from app.settings import get_settings
from tests.browser import PHONE, needs_chromium
from tests.conftest import MEETING_FILE

PUBLIC = "https://cards.example.org"
# The box inside the A4 page's 10 mm margins, in CSS pixels (96 per inch): what a printer lays out.
A4_PRINT = {"width": 718, "height": 1047}
MM = 96 / 25.4
# Long names and short ones, States and others: the slips must hold them all.
NAMES = [
    "United Kingdom of Great Britain and Northern Ireland",
    "Holy See",
    "Chile",
    "Bolivia (Plurinational State of)",
    "State of Palestine",
    "Egypt",
]


@pytest.fixture(autouse=True)
def public_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Print the codes for the address phones open, and leave English behind."""
    monkeypatch.setenv("ACTIONCARDS_PUBLIC_URL", PUBLIC)
    get_settings.cache_clear()
    yield PUBLIC
    get_settings.cache_clear()
    set_language("en")


def issue(session: Session, meeting: Meeting, names: list[str]) -> dict[str, str]:
    """Give some delegations a code, as `issue-codes --delegation` does; return name: code."""
    codes = {}
    for name in names:
        delegation = session.exec(select(Delegation).where(Delegation.name == name)).one()
        access: AccessCode = issue_code(session, meeting, delegation)
        codes[name] = access.code
    session.commit()
    return codes


def slips(session: Session, meeting: Meeting, language: str = "en") -> BeautifulSoup:
    set_language(language)
    return BeautifulSoup(printing.slips_html(session, meeting), "html.parser")


def decoded(part: Locator) -> list[str]:
    """Photograph one printed slip or poster and read every QR code on it."""
    image = Image.open(io.BytesIO(part.screenshot()))
    return [found.text for found in zxingcpp.read_barcodes(image)]


@pytest.fixture
def open_sheet(browser: Browser) -> Iterator[Callable[[str, str, dict[str, int]], Page]]:
    """Open printed HTML in Chromium at a width, for the screen or as the printer lays it out."""
    contexts: list[BrowserContext] = []

    def open_sheet(html: str, media: str, viewport: dict[str, int]) -> Page:
        contexts.append(browser.new_context(viewport=viewport))  # type: ignore[arg-type]
        page = contexts[-1].new_page()
        page.emulate_media(media=media)  # type: ignore[arg-type]
        page.set_content(html)
        return page

    yield open_sheet
    for context in contexts:
        context.close()


def assert_qr_whole_and_sized(part: Locator, size_mm: float) -> None:
    """The code keeps its printed size and sits wholly inside its slip or poster."""
    qr = part.locator("svg.qr").bounding_box()
    box = part.bounding_box()
    assert qr and box
    assert qr["width"] == pytest.approx(size_mm * MM, abs=1)
    assert qr["height"] == pytest.approx(size_mm * MM, abs=1)
    assert box["x"] <= qr["x"] and qr["x"] + qr["width"] <= box["x"] + box["width"]
    assert box["y"] <= qr["y"] and qr["y"] + qr["height"] <= box["y"] + box["height"]


def assert_nothing_cut_off(part: Locator) -> None:
    """Every line of text shows whole inside the slip's dashed lines, or the poster's page."""
    outside = part.evaluate(
        """slip => {
            const box = slip.getBoundingClientRect();
            return [...slip.querySelectorAll("h1, h2, p")].filter(line => {
                const r = line.getBoundingClientRect();
                return r.left < box.left || r.right > box.right || r.bottom > box.bottom
                    || line.scrollWidth > line.clientWidth;
            }).map(line => line.textContent);
        }"""
    )
    assert outside == []


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize(
    ("language", "media"), [("en", "print"), ("ar", "print"), ("es", "print"), ("en", "screen")]
)
def test_every_slip_scans_to_its_own_join_link(
    open_sheet: Callable[..., Page], session: Session, meeting: Meeting, language: str, media: str
) -> None:
    codes = issue(session, meeting, NAMES)
    set_language(language)
    page = open_sheet(printing.slips_html(session, meeting), media, A4_PRINT)
    shown = page.locator(".slip")
    assert shown.count() == len(NAMES)
    found = []
    for i in range(shown.count()):
        slip = shown.nth(i)
        [url] = decoded(slip)
        assert_qr_whole_and_sized(slip, printing.SLIP_QR_MM)
        found.append(url)
        code = slip.locator(".code").inner_text().replace("-", "")
        assert url == f"{PUBLIC}/j/{code}"
        assert_nothing_cut_off(slip)
    assert sorted(found) == sorted(f"{PUBLIC}/j/{c}" for c in codes.values())


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("language", ["en", "ar", "ru"])
def test_every_poster_scans_to_its_group_form(
    open_sheet: Callable[..., Page], session: Session, meeting: Meeting, language: str
) -> None:
    set_language(language)
    page = open_sheet(printing.posters_html(session, meeting), "print", A4_PRINT)
    shown = page.locator(".poster")
    assert shown.count() == 7
    for i in range(shown.count()):
        poster = shown.nth(i)
        assert decoded(poster) == [poster.locator(".url").inner_text()]
        assert_qr_whole_and_sized(poster, printing.POSTER_QR_MM)
        assert_nothing_cut_off(poster)
    assert shown.nth(0).locator(".url").inner_text() == f"{PUBLIC}/g/global"


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("language", ["en", "ar"])
def test_sheets_opened_on_a_phone_fit_and_still_scan(
    open_sheet: Callable[..., Page], session: Session, meeting: Meeting, language: str
) -> None:
    codes = issue(session, meeting, NAMES[:2])
    set_language(language)
    page = open_sheet(printing.slips_html(session, meeting), "screen", PHONE)
    shown = page.locator(".slip")
    assert sorted(decoded(shown.nth(0)) + decoded(shown.nth(1))) == sorted(
        f"{PUBLIC}/j/{c}" for c in codes.values()
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_content(printing.posters_html(session, meeting))
    poster = page.locator(".poster").first
    assert decoded(poster) == [f"{PUBLIC}/g/global"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_arabic_slips_read_right_to_left_in_arabic_order(
    session: Session, meeting: Meeting
) -> None:
    issue(session, meeting, ["Germany", "Chile", "Egypt", "Spain"])
    page = slips(session, meeting, "ar")
    assert (page.html["lang"], page.html["dir"]) == ("ar", "rtl")
    assert [h.get_text() for h in page.select(".slip h2")] == [
        "إسبانيا", "ألمانيا", "تشيلي", "مصر",
    ]  # fmt: skip
    # The code and the address stay left to right inside the Arabic text.
    assert page.select_one(".slip .code")["dir"] == "ltr"
    assert page.select_one(".slip bdi[dir=ltr]").get_text() == f"{PUBLIC}/join"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Chile", "Egypt", "Germany", "Spain"]),
        ("fr", ["Allemagne", "Chili", "Égypte", "Espagne"]),
        ("es", ["Alemania", "Chile", "Egipto", "España"]),
    ],
)
def test_slips_are_sorted_by_the_names_printed(
    session: Session, meeting: Meeting, language: str, expected: list[str]
) -> None:
    issue(session, meeting, ["Germany", "Chile", "Egypt", "Spain"])
    page = slips(session, meeting, language)
    assert (page.html["lang"], page.html["dir"]) == (language, "ltr")
    assert [h.get_text() for h in page.select(".slip h2")] == expected


def test_arabic_posters_read_right_to_left(session: Session, meeting: Meeting) -> None:
    set_language("ar")
    page = BeautifulSoup(printing.posters_html(session, meeting), "html.parser")
    assert (page.html["lang"], page.html["dir"]) == ("ar", "rtl")
    assert page.select_one(".poster .url")["dir"] == "ltr"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://127.1.2.3",
        "http://127.1:8000",
        "http://2130706433",
        "http://localhost:8000/",
        "http://LOCALHOST.",
        "http://cards.localhost",
        "http://[::1]:8000",
        "http://[::ffff:127.0.0.1]",
        "http://0.0.0.0:8000",
        "http://[::]",
    ],
)
def test_loopback_addresses_are_found(url: str) -> None:
    assert "only this computer" in (printing.public_url_problem(url) or "")


@pytest.mark.parametrize("url", ["cards.example.org", "ftp://cards.example.org", "https://"])
def test_addresses_a_phone_cannot_open_are_found(url: str) -> None:
    assert "http" in (printing.public_url_problem(url) or "")


@pytest.mark.parametrize(
    "url", ["https://cards.example.org", "http://192.168.1.20:8000", "https://[2001:db8::1]/x"]
)
def test_addresses_phones_reach_are_fine(url: str) -> None:
    assert printing.public_url_problem(url) is None


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A secretariat laptop as it comes: a fresh database, ACTIONCARDS_PUBLIC_URL not set."""
    monkeypatch.setenv("ACTIONCARDS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("ACTIONCARDS_PUBLIC_URL")
    get_settings.cache_clear()
    get_engine.cache_clear()
    assert main(["migrate"]) == 0
    assert main(["load-meeting", str(MEETING_FILE)]) == 0
    assert main(["issue-codes", "--delegation", "Chile"]) == 0
    yield tmp_path
    get_engine().dispose()
    get_engine.cache_clear()


def qr_links(sheet: Path) -> list[str]:
    page = BeautifulSoup(sheet.read_text(encoding="utf-8"), "html.parser")
    return [svg["aria-label"] for svg in page.select("svg.qr")]


PRINTS = [["print-slips"], ["print-posters"], ["--language", "ar", "print-slips"]]


@pytest.mark.parametrize("command", PRINTS)
def test_printing_codes_for_this_computer_is_refused(
    cli: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    capsys.readouterr()
    assert main([*command, str(cli / "sheet.html")]) == 1
    error = capsys.readouterr().err
    assert "http://127.0.0.1:8000 is an address only this computer opens" in error
    assert f"ACTIONCARDS_PUBLIC_URL=https://cards.example.org python -m app {command[-1]}" in error
    assert "--allow-loopback" in error
    assert not (cli / "sheet.html").exists()


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://[::1]:8000", "http://0.0.0.0"])
def test_every_loopback_address_is_refused(
    cli: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("ACTIONCARDS_PUBLIC_URL", url)
    get_settings.cache_clear()
    assert main(["print-slips", str(cli / "sheet.html")]) == 1
    assert not (cli / "sheet.html").exists()


@pytest.mark.parametrize("command", PRINTS)
def test_allow_loopback_prints_and_still_warns(
    cli: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    capsys.readouterr()
    assert main([*command, "--allow-loopback", str(cli / "sheet.html")]) == 0
    printed = capsys.readouterr()
    assert printed.err.startswith("WARNING: http://127.0.0.1:8000 is an address only this")
    assert "do not hand them out" in printed.err
    links = qr_links(cli / "sheet.html")
    assert links and all(link.startswith("http://127.0.0.1:8000/") for link in links)


def test_an_address_no_phone_opens_is_refused_even_with_the_flag(
    cli: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACTIONCARDS_PUBLIC_URL", "cards.example.org")
    get_settings.cache_clear()
    capsys.readouterr()
    assert main(["print-posters", "--allow-loopback", str(cli / "sheet.html")]) == 1
    assert "it must start with https:// or http://" in capsys.readouterr().err
    assert not (cli / "sheet.html").exists()


@pytest.mark.parametrize("command", PRINTS)
def test_the_public_address_prints_without_a_word(
    cli: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ACTIONCARDS_PUBLIC_URL", "https://cards.example.org/")
    get_settings.cache_clear()
    capsys.readouterr()
    assert main([*command, str(cli / "sheet.html")]) == 0
    assert capsys.readouterr().err == ""
    links = qr_links(cli / "sheet.html")
    assert links and all(link.startswith("https://cards.example.org/") for link in links)
    assert not any("//" in link.removeprefix("https://") for link in links)
