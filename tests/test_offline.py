"""Offline: a card written without a network waits on the phone and is sent when it returns."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.access import display
from app.models import Group
from tests.browser import needs_chromium, serve
from tests.helpers import cards

pytestmark = [pytest.mark.browser, needs_chromium]

COMMITMENTS = "Actionable commitments for the Global Compact"
MEANS = "Means of implementation"
# The cards waiting in the browser's IndexedDB (the store app.js creates on every page).
OUTBOX = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("actioncards", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("outbox", {keyPath: "card_id"});
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("outbox").objectStore("outbox").getAll();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
  };
})"""
# The page and its stylesheet and script are in the service worker's caches.
KEPT_OFFLINE = """async () => {
  if (!navigator.serviceWorker.controller) return false;
  const linked = document.querySelectorAll("link[rel=stylesheet], script[src]");
  const files = [location.href, ...[...linked].map(f => f.href || f.src)];
  const kept = await Promise.all(files.map(f => caches.match(f, {ignoreVary: true})));
  return kept.every(Boolean);
}"""


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def sign_in(page: Page, live_url: str, code: str) -> None:
    page.goto(f"{live_url}/join")
    page.get_by_label("Access code").fill(display(code))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are writing cards for Mexico.")).to_be_visible()


def open_form_for_offline_use(page: Page, live_url: str, group: str) -> None:
    """Open a group's form online, and wait until the service worker keeps it for offline use."""
    page.goto(f"{live_url}/cards/new?group={group}")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(KEPT_OFFLINE, polling=100)


def outbox(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(OUTBOX)


def send_and_see_it_kept(page: Page, text: str) -> None:
    page.get_by_label(COMMITMENTS).fill(text)
    page.get_by_role("button", name="Send card").click()
    expect(
        page.get_by_text("Saved on this phone: it will be sent when the network returns.")
    ).to_be_visible()


def test_a_card_sent_offline_waits_on_the_phone_and_goes_when_the_network_returns(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    open_form_for_offline_use(page, live_url, "human")
    banner = page.locator("[data-outbox]")
    expect(banner).to_be_hidden()

    page.context.set_offline(True)
    expect(banner).to_contain_text("No network: cards you send are kept on this phone.")
    send_and_see_it_kept(page, "End the immigration detention of children.")
    expect(banner).to_contain_text("1 card waiting to be sent")
    expect(page.get_by_label(COMMITMENTS)).to_have_value("")  # ready for the next card
    [waiting] = outbox(page)
    assert cards(session) == []

    page.reload()  # offline: the page comes from the service worker's cache
    expect(page.get_by_label(COMMITMENTS)).to_be_visible()
    expect(banner).to_contain_text("1 card waiting to be sent")

    page.get_by_label(MEANS).fill("Case management, half written")
    card_id = page.locator("input[data-card-id]").input_value()
    assert card_id != waiting["card_id"]
    page.reload()
    expect(page.get_by_label(MEANS)).to_have_value("Case management, half written")
    expect(page.locator("input[data-card-id]")).to_have_value(card_id)

    page.context.set_offline(False)
    expect(banner).to_contain_text("The waiting cards were sent.", timeout=15_000)
    expect(banner).to_be_hidden(timeout=15_000)
    [card] = cards(session)
    assert card.id == waiting["card_id"]  # the id made in the browser
    assert card.answers == {"commitments": "End the immigration detention of children."}
    assert outbox(page) == []
    expect(page.get_by_label(MEANS)).to_have_value("Case management, half written")


def test_a_card_whose_group_closed_while_it_waited_is_kept_and_shown(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    open_form_for_offline_use(page, live_url, "human")
    page.context.set_offline(True)
    send_and_see_it_kept(page, "Firewalls between services and immigration enforcement.")
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    group.intake_open = False
    session.add(group)
    session.commit()

    page.context.set_offline(False)
    banner = page.locator("[data-outbox]")
    expect(banner).to_contain_text("1 card was not accepted:", timeout=15_000)
    expect(banner).to_contain_text("This group no longer takes cards: its intake is closed.")
    expect(banner).to_contain_text("Firewalls between services and immigration enforcement.")
    assert cards(session) == []
    [kept] = outbox(page)
    assert kept["state"] == "refused"

    banner.get_by_role("link", name="Open it in the form").click()
    expect(page.get_by_label(COMMITMENTS)).to_have_value(
        "Firewalls between services and immigration enforcement."
    )
    expect(page.locator("input[data-card-id]")).to_have_value(kept["card_id"])
    assert len(outbox(page)) == 1  # still kept until the server takes it or the person deletes it


def test_a_card_kept_while_signed_out_waits_for_the_delegation(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    open_form_for_offline_use(page, live_url, "local")
    page.context.set_offline(True)
    send_and_see_it_kept(page, "Local firewalls for health care.")
    page.context.clear_cookies()  # the code was revoked, or the session expired

    page.context.set_offline(False)
    banner = page.locator("[data-outbox]")
    expect(banner).to_contain_text("This phone is signed out", timeout=15_000)
    assert len(outbox(page)) == 1
    assert cards(session) == []

    banner.get_by_role("link", name="Sign in").click()
    page.get_by_label("Access code").fill(display(mexico))
    page.get_by_role("button", name="Sign in").click()
    expect(banner).to_contain_text("The waiting cards were sent.", timeout=15_000)
    [card] = cards(session)
    assert card.answers == {"commitments": "Local firewalls for health care."}
    assert outbox(page) == []


def test_the_same_text_sent_again_is_stored_once(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    for _attempt in range(2):
        page.goto(f"{live_url}/cards/new?group=global")  # a fresh form, a fresh card id
        page.get_by_label(COMMITMENTS).fill("Regular pathways for labour migration.")
        page.get_by_role("button", name="Send card").click()
        expect(page.get_by_text("Card received.")).to_be_visible()
    [card] = cards(session)
    assert card.answers == {"commitments": "Regular pathways for labour migration."}


def test_a_card_kept_when_the_network_does_not_answer_is_retried_by_itself(
    page: Page, live_url: str, mexico: str, session: Session
) -> None:
    sign_in(page, live_url, mexico)
    page.goto(f"{live_url}/cards/new?group=regional")
    # Connected to the Wi-Fi, but nothing gets through: the browser still says it is online.
    page.route("**/cards", lambda route: route.abort("connectionfailed"))
    send_and_see_it_kept(page, "Regional labour mobility schemes.")
    expect(page.locator("[data-outbox]")).to_contain_text("1 card waiting to be sent")
    assert cards(session) == []

    page.unroute("**/cards")  # the next try, a few seconds later, gets through
    expect(page.locator("[data-outbox]")).to_contain_text(
        "The waiting cards were sent.", timeout=15_000
    )
    [card] = cards(session)
    assert card.answers == {"commitments": "Regional labour mobility schemes."}


# Put `count` cards of another delegation in the outbox (never sent from here), then let the
# banner redraw (app.js redraws it on "offline").
QUEUE = """count => new Promise((resolve, reject) => {
  const open = indexedDB.open("actioncards", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("outbox", {keyPath: "card_id"});
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction("outbox", "readwrite");
    const store = tx.objectStore("outbox");
    store.clear();
    for (let i = 0; i < count; i++) {
      store.put({card_id: `card-${i}`, state: "waiting", delegation: "elsewhere", fields: [],
                 created: i, attempts: 0});
    }
    tx.oncomplete = () => {
      open.result.close();
      window.dispatchEvent(new Event("offline"));
      resolve();
    };
  };
})"""
# The count, its CLDR plural category, and the banner's words for it.
BANNERS = {
    "ru": [
        (1, "one", "1 карточка ждёт отправки"),
        (2, "few", "2 карточки ждут отправки"),
        (5, "many", "5 карточек ждут отправки"),
        (11, "many", "11 карточек ждут отправки"),
        (21, "one", "21 карточка ждёт отправки"),
        (22, "few", "22 карточки ждут отправки"),
    ],
    "ar": [
        (1, "one", "بطاقة واحدة في انتظار الإرسال"),
        (2, "two", "بطاقتان في انتظار الإرسال"),
        (5, "few", "5 بطاقات في انتظار الإرسال"),
        (11, "many", "11 بطاقة في انتظار الإرسال"),
        (21, "many", "21 بطاقة في انتظار الإرسال"),
        (100, "other", "100 بطاقة في انتظار الإرسال"),
        (103, "few", "103 بطاقات في انتظار الإرسال"),
    ],
}


@pytest.mark.parametrize("language", BANNERS)
def test_the_banner_counts_in_every_plural_form_of_the_language(
    page: Page, live_url: str, language: str
) -> None:
    page.context.add_cookies([{"name": "lang", "value": language, "url": live_url}])
    page.goto(f"{live_url}/join")
    banner = page.locator("[data-outbox]")
    first_line = page.locator("[data-outbox-status] p").first
    for count, category, words in BANNERS[language]:
        assert banner.get_attribute(f"data-waiting-{category}") == words.replace(
            str(count), "{num}", 1
        )
        page.evaluate(QUEUE, count)
        expect(first_line).to_have_text(words)
