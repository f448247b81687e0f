"""axe-core finds no serious or critical violation on the pages, in English and in Arabic,
on a small phone and on a laptop, empty, filled and with errors."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from sqlmodel import Session, select

from app.access import display
from app.grouping import create_recommendation, set_aside
from app.models import Card, Group, User
from app.workspace import create_tag, set_tag
from tests.browser import CHROMIUM_ARGS, PHONE, needs_chromium, serve  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]
AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
SIZES = {"phone": {"width": 360, "height": 640}, "laptop": {"width": 1280, "height": 800}}


# The pages are the same whatever the database: the walks run on SQLite alone (every other
# test covers PostgreSQL), which keeps the suite within its time.
ONE_DATABASE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


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
    page.wait_for_selector("#code-error")  # each step waits for its answer: no racing ahead
    yield "join with an error"
    page.fill("#code", display(code))
    page.click("form.join button[type=submit]")
    page.wait_for_url(f"{url}/")
    yield "home"
    page.goto(f"{url}/cards/new?group=human")
    yield "empty card"
    page.fill("#answer-priorities", "x" * 1001)
    yield "filled card over the limit"
    page.click("form.card-form button[type=submit]")
    page.wait_for_selector(".alert")
    yield "card with errors"
    page.fill("#answer-priorities", "Protección consular")
    page.fill("#answer-commitments", "Poner fin a la detención de niñas y niños migrantes.")
    page.click("form.card-form button[type=submit]")
    page.wait_for_url("**/cards/*?sent=1")
    yield "card received"
    page.goto(f"{url}/cards")
    yield "list"
    page.click(".card-list a")
    page.click("a[href$='/edit']")
    page.wait_for_url("**/edit")
    yield "edit card"
    page.goto(page.url.replace("/edit", "/withdraw"))
    yield "withdraw card"
    page.goto(f"{url}/speak")
    yield "ask for the floor"


def review_pages(page: Page, url: str) -> Iterator[str]:
    """The co-facilitators' pages, for an account that may read every group."""
    for path in ("/overview", "/groups/human/review", "/search", "/search?q=detention",
                 "/delegations", "/recurring"):  # fmt: skip
        page.goto(url + path)
        yield path
    page.goto(f"{url}/delegations")
    page.locator("table a[href^='/delegations/']").first.click()
    page.wait_for_url("**/delegations/*")
    yield "one delegation"


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
    yield from review_pages(page, url)
    page.goto(f"{url}/groups/human/review")
    page.click("#threads-report button[type=submit]")  # an empty remark: its error
    page.wait_for_selector("#threads-report .error")
    yield "review with an error"


@ONE_DATABASE
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


@pytest.fixture
def sorted_cards(session: Session, human: list[Card]) -> list[Card]:
    """The human dimension's cards half sorted: two recommendations, a tag, a card set aside."""
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    create_recommendation(session, group, "End child detention.", [human[0].id, human[4].id])
    create_recommendation(session, group, "Recognise skills.", [human[2].id])
    set_tag(session, human[0], create_tag(session, group, "Children", "en"), on=True)
    set_aside(session, human[3], "off_topic", None, None)
    session.commit()
    return human


def workspace_pages(page: Page, url: str) -> Iterator[str]:
    """Walk the staff pages as the secretariat, who may change every group."""
    page.goto(f"{url}/signin")
    yield "sign-in"
    page.fill("#username", "sam")
    page.fill("#password", PASSWORD)
    page.click("form.join button[type=submit]")
    page.wait_for_url(f"{url}/overview")
    for path in ("/groups", "/groups/human", "/groups/human?status=set_aside",
                 "/groups/human/report"):  # fmt: skip
        page.goto(url + path)
        yield path
    yield from review_pages(page, url)
    page.goto(f"{url}/groups/human")
    page.click(".ws-card h3 a")
    page.wait_for_url("**/groups/human/cards/*")
    yield "one card at a time"
    for path in ("/accounts", "/audit"):  # the secretariat's tables
        page.goto(url + path)
        yield path


# The controls a person can hit that the page shows: not those in a closed <details>, nor one
# parked off the page until it has focus (the skip link).
SHOWN = """const shown = () => [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary")].filter(e => {
  const box = e.getBoundingClientRect();
  return e.checkVisibility({visibilityProperty: true})
    && box.right > 0 && box.left < document.documentElement.scrollWidth;
});
// A checkbox inside its <label> is hit anywhere on the label: the label is its target.
const target = e => (e.matches("[type=checkbox], [type=radio]") && e.closest("label")) || e;"""

# Targets under 44 x 44 CSS px (WCAG 2.5.5), but for the "inline" exception of WCAG 2.2, made
# precise: a link laid out inline (display: inline) in a block that has text of its own beside
# the links, as in a sentence. Its height is the line's; making it taller would space the text.
SMALL_TARGETS = (
    "() => {"
    + SHOWN
    + """
  const inSentence = e => {
    if (e.tagName !== "A" || getComputedStyle(e).display !== "inline") return false;
    let block = e.parentElement;
    while (getComputedStyle(block).display === "inline") block = block.parentElement;
    let text = block.textContent;
    for (const link of block.querySelectorAll("a")) text = text.replace(link.textContent, "");
    return text.trim() !== "";
  };
  return shown().filter(e => !inSentence(e)).flatMap(e => {
    const box = target(e).getBoundingClientRect();
    return box.width < 44 || box.height < 44
      ? [`${Math.floor(box.width)}x${Math.floor(box.height)} ${e.outerHTML.slice(0, 100)}`] : [];
  });
}"""
)
OPEN_DETAILS = "document.querySelectorAll('details').forEach(d => { d.open = true; })"


def measure(page: Page, script: str) -> list[str]:
    page.wait_for_load_state("load")
    return page.evaluate(script)  # type: ignore[no-any-return]


@ONE_DATABASE
@pytest.mark.parametrize(("size", "language"), [("phone", "en"), ("phone", "zh"), ("laptop", "ar")])
def test_every_target_is_at_least_44_px(
    browser: Browser,
    live_url: str,
    mexico: str,
    accounts: dict[str, User],
    sorted_cards: list[Card],
    size: str,
    language: str,
) -> None:
    context = browser.new_context(viewport=SIZES[size])
    context.add_cookies([{"name": "lang", "value": language, "url": live_url}])
    page = context.new_page()
    found = {}
    for walk in (delegate_pages(page, live_url, mexico), workspace_pages(page, live_url)):
        for name in walk:
            page.wait_for_load_state("load")
            page.evaluate(OPEN_DETAILS)  # what they hold is measured too
            if small := measure(page, SMALL_TARGETS):
                found[name] = small
    context.close()
    assert found == {}


def test_the_target_check_measures_all_but_links_in_a_sentence(page: Page) -> None:
    page.set_content(
        """<main><p>Read <a href="/a">the rules</a> first.</p>
        <p><a href="/b">Alone</a></p> <button>×</button>
        <label><input type="checkbox"> a box inside a label as small as its text</label></main>"""
    )
    small = measure(page, SMALL_TARGETS)
    assert [s.split(" ", 1)[1] for s in small] == [
        '<a href="/b">Alone</a>',
        "<button>×</button>",
        '<input type="checkbox">',
    ]


# At 200% zoom a 1280 x 800 laptop shows 640 x 400 CSS px, and a phone is 390 px wide: nothing
# may need sideways scrolling, and every control must be inside the page's width and not covered
# once scrolled to.
ZOOM = {"width": 640, "height": 400}
REFLOW = {"200% zoom": ZOOM, "phone": PHONE}
UNREACHABLE = (
    "() => {"
    + SHOWN
    + """
  const width = document.documentElement.clientWidth;
  const problems = document.documentElement.scrollWidth > width
    ? [`the page is ${document.documentElement.scrollWidth} px wide`] : [];
  for (const e of shown()) {
    e.scrollIntoView({block: "center", inline: "nearest"});
    const box = target(e).getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const html = e.outerHTML.slice(0, 80);
    if (box.left < 0 || box.right > width) problems.push(`cut off: ${html}`);
    else if (!hit || !target(e).contains(hit)) problems.push(`covered: ${html}`);
  }
  return problems;
}"""
)


@ONE_DATABASE
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("size", REFLOW)
def test_pages_reflow_at_200_percent_zoom_and_on_a_phone(
    browser: Browser,
    live_url: str,
    mexico: str,
    accounts: dict[str, User],
    sorted_cards: list[Card],
    language: str,
    size: str,
) -> None:
    context = browser.new_context(viewport=REFLOW[size])
    context.add_cookies([{"name": "lang", "value": language, "url": live_url}])
    page = context.new_page()
    found = {}
    for walk in (delegate_pages(page, live_url, mexico), workspace_pages(page, live_url)):
        for name in walk:
            if problems := measure(page, UNREACHABLE):
                found[name] = problems
    context.close()
    assert found == {}


def test_the_reflow_check_sees_a_page_too_wide_and_a_covered_control(page: Page) -> None:
    page.set_viewport_size(ZOOM)
    page.set_content(
        """<style>.cover { position: fixed; top: 0; width: 100%; height: 5rem }</style>
        <main><input size="120"><p class="cover"></p><button>Covered</button></main>"""
    )
    wide, *problems = measure(page, UNREACHABLE)
    assert wide.startswith("the page is ")
    assert problems == ['cut off: <input size="120">', "covered: <button>Covered</button>"]


# Every disclosure shows a marker whose shape says whether it is open: the ::before that app.css
# draws, or the browser's own (a summary shown as a list item). Each summary is shown closed,
# then open, then left as it was; what is returned is every summary's pair of markers.
MARKERS = """() => [...document.querySelectorAll("details > summary")]
  .filter(s => s.checkVisibility({visibilityProperty: true})).map(s => {
    const details = s.parentElement, was = details.open;
    const marker = () => {
      const before = getComputedStyle(s, "::before").content;
      if (before && before !== "none" && before !== "normal") return before.split(" / ")[0];
      const style = getComputedStyle(s);
      if (style.display === "list-item" && style.listStyleType !== "none")
        return details.open ? "list-item, open" : "list-item, closed";
      return "none";
    };
    const shapes = [false, true].map(open => { details.open = open; return marker(); });
    details.open = was;
    return [...shapes, s.textContent.trim().slice(0, 40)];
  })"""


@ONE_DATABASE
@pytest.mark.parametrize(
    ("language", "closed", "opened"), [("en", '"▸"', '"▾"'), ("ar", '"◂"', '"▾"')]
)
def test_every_disclosure_shows_whether_it_is_open(
    browser: Browser,
    live_url: str,
    mexico: str,
    accounts: dict[str, User],
    sorted_cards: list[Card],
    language: str,
    closed: str,
    opened: str,
) -> None:
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": "lang", "value": language, "url": live_url}])
    page = context.new_page()
    seen, wrong = 0, {}
    for walk in (delegate_pages(page, live_url, mexico), workspace_pages(page, live_url)):
        for name in walk:
            page.wait_for_load_state("load")
            page.evaluate(OPEN_DETAILS)  # summaries inside others are checked too
            for shut, open_, text in measure(page, MARKERS):
                seen += 1
                if (shut, open_) != (closed, opened):
                    wrong.setdefault(name, []).append(f"{shut} / {open_}: {text}")
    context.close()
    assert wrong == {}
    assert seen > 10  # the progress box, recommendations, versions, figures, remarks


# What moves on the page: running animations, and elements (or their ::before, ::after) that
# would animate or transition for longer than 0.01 s.
MOVING = """() => {
  const longest = list => Math.max(...list.split(",").map(
    t => parseFloat(t) * (t.trim().endsWith("ms") ? 0.001 : 1)));
  const moving = document.getAnimations().filter(a => a.playState === "running")
    .map(a => `running: ${a.animationName || "animation"} on ${a.effect.target.tagName}`);
  for (const e of document.querySelectorAll("*")) {
    for (const pseudo of [null, "::before", "::after"]) {
      const style = getComputedStyle(e, pseudo);
      const seconds = Math.max(longest(style.transitionDuration),
        style.animationName === "none" ? 0 : longest(style.animationDuration));
      if (seconds > 0.01) moving.push(`${seconds}s: ${e.tagName}${pseudo || ""}`);
    }
  }
  return moving;
}"""
# Motion that a later change to app.css might bring: it must stop for whoever asks for less.
ADD_MOTION = """() => {
  const sheet = [...document.styleSheets].find(s => s.href && s.href.includes("/app.css"));
  for (const rule of ["@keyframes pulse { from { opacity: 1; } to { opacity: .5; } }",
                      "main { transition: opacity 2s; }",
                      'main::before { content: ""; animation: pulse 2s infinite; }']) {
    sheet.insertRule(rule, sheet.cssRules.length);
  }
}"""


@ONE_DATABASE
def test_reduced_motion_stops_every_animation_and_transition(
    page: Page, live_url: str, mexico: str, accounts: dict[str, User], sorted_cards: list[Card]
) -> None:
    page.emulate_media(reduced_motion="reduce")
    found = {}
    for walk in (delegate_pages(page, live_url, mexico), workspace_pages(page, live_url)):
        for name in walk:
            page.wait_for_load_state("load")
            page.evaluate(ADD_MOTION)
            if moving := measure(page, MOVING):
                found[name] = moving
    assert found == {}


@ONE_DATABASE
def test_the_motion_check_sees_motion_where_it_is_allowed(page: Page, live_url: str) -> None:
    page.emulate_media(reduced_motion="no-preference")
    page.goto(f"{live_url}/join")
    page.evaluate(ADD_MOTION)
    assert sorted(measure(page, MOVING)) == [
        "2s: MAIN",
        "2s: MAIN::before",
        "running: pulse on MAIN",
    ]
