"""A rapporteur turns the demo cards of a group into a report and downloads it, in a browser."""

import io
from collections.abc import Iterator

import docx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.demo import load_demo
from app.grouping import create_recommendation
from app.models import Card, Group, Meeting, User
from tests.browser import needs_chromium, serve
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_url(app: FastAPI, session: Session, meeting: Meeting) -> Iterator[str]:
    load_demo(session, meeting)
    with serve(app) as url:
        yield url


@pytest.fixture
def desktop(page: Page) -> Page:
    page.set_viewport_size({"width": 1280, "height": 900})
    return page


def test_rapporteur_turns_demo_cards_into_a_report(
    desktop: Page, live_url: str, accounts: dict[str, User]
) -> None:
    page = desktop
    page.goto(f"{live_url}/groups/human")
    page.get_by_label("Username").fill("ravi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="6. Human dimension")).to_be_visible()

    # Find the cards about child detention, make a recommendation of the first, add the others.
    page.get_by_label("Search").fill("detenci")  # the Spanish cards on detention
    page.get_by_role("button", name="Filter").click()
    cards = page.locator(".ws-card")
    count = cards.count()
    assert count >= 3
    first = cards.nth(0)
    first.get_by_role("button", name="Add").click()  # empty: a new recommendation from the card
    expect(page.locator("#recommendations .rec")).to_have_count(1)
    for index in (1, 2):
        card = cards.nth(index)
        card.get_by_label("Recommendation").fill("R1")
        card.get_by_role("button", name="Add").click()
        expect(card.get_by_text("Supports R1:")).to_be_visible()  # swapped in place by htmx
    expect(page.locator("#recommendations .support strong")).to_have_text("3 delegations")
    page.locator("#recommendations .rec-more summary").first.click()  # the forms, on demand
    wording = page.locator("#recommendations textarea").first
    wording.fill("End the immigration detention of children; use community-based alternatives.")
    page.get_by_role("button", name="Save wording").click()

    # Set one card aside as off topic; the progress box counts it.
    page.goto(f"{live_url}/groups/human?status=inbox")
    aside = page.locator(".ws-card").first
    aside.get_by_label("Set aside").select_option("off_topic")
    aside.get_by_role("button", name="Set aside").click()
    expect(page.locator("#progress")).to_contain_text("1 set aside")

    # Write the report; it saves itself.
    page.get_by_role("link", name="Report").click()
    page.get_by_label("Summary").fill(
        "Delegations converged on ending child immigration detention."
    )
    expect(page.locator("#save-status")).to_contain_text("Saved: version 1", timeout=8000)
    expect(page.locator(".report-recs li").first).to_contain_text(
        "End the immigration detention of children"
    )

    with page.expect_download() as download:
        page.get_by_role("link", name="Word").click()
    document = docx.Document(io.BytesIO(download.value.path().read_bytes()))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Action group 6: Human dimension"
    assert "End the immigration detention of children; use community-based alternatives." in texts
    assert "Delegations converged on ending child immigration detention." in texts


def test_presentation_turns_with_the_keyboard_and_counts_down(
    desktop: Page, live_url: str, accounts: dict[str, User], session: Session
) -> None:
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    card = session.exec(select(Card).where(Card.group_id == group.id)).first()
    assert card is not None
    create_recommendation(session, group, "Recognise skills and qualifications.", [card.id])
    session.commit()
    page = desktop
    page.goto(f"{live_url}/signin?next=/groups/human/report/present")
    page.get_by_label("Username").fill("ravi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Action group 6: Human dimension")
    timer = page.locator("#countdown")
    expect(timer).to_be_visible()
    before = timer.text_content()
    page.get_by_role("button", name="Start countdown").click()
    page.wait_for_timeout(2200)
    assert timer.text_content() != before
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(f"{live_url}/groups/human/report/present?slide=2")
    expect(page.locator("h1")).to_have_text("Recommendation 1")
    page.wait_for_timeout(1100)
    assert timer.text_content() != before  # the countdown goes on across slides


def test_a_recommendation_saved_comes_back_into_view_with_focus_nearby(
    page: Page, live_url: str, accounts: dict[str, User], session: Session
) -> None:
    """The recommendation forms reload the page: it comes back at the one changed, on a phone."""
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    cards = session.exec(select(Card).where(Card.group_id == group.id).limit(5)).all()
    made = [
        create_recommendation(session, group, f"Idea {n}.", [c.id]) for n, c in enumerate(cards)
    ]
    session.commit()
    last = made[-1]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/signin?next=/groups/human")
    page.get_by_label("Username").fill("ravi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    item = page.locator(f"#rec-{last.id}")
    item.get_by_text("Cards, wording and actions").click()
    item.locator("textarea").fill("Portable social protection for migrant workers.")
    item.get_by_role("button", name="Save wording").click()
    expect(page).to_have_url(f"{live_url}/groups/human#rec-{last.id}")
    expect(item.locator("textarea")).to_have_value(
        "Portable social protection for migrant workers."
    )
    expect(item).to_be_in_viewport()
    page.keyboard.press("Tab")  # keyboard users carry on from the recommendation, not the top
    expect(item.locator(".rec-more > summary")).to_be_focused()  # its forms, closed again
