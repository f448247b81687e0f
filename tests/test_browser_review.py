"""A co-facilitator reviews a group's report while its rapporteur answers, in two browsers."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app.demo import load_demo
from app.grouping import create_recommendation
from app.models import Card, Group, Meeting, User
from app.report import get_report, save_report
from tests.browser import needs_chromium, serve
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_url(
    app: FastAPI, session: Session, meeting: Meeting, accounts: dict[str, User]
) -> Iterator[str]:
    """The demo cards, a recommendation and a first draft in the human dimension."""
    load_demo(session, meeting)
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    cards = session.exec(select(Card).where(Card.group_id == group.id).limit(3)).all()
    create_recommendation(session, group, "End child immigration detention.", [c.id for c in cards])
    report = get_report(session, group)
    save_report(session, report, {"summary": "Delegations converged."}, 0, accounts["rapporteur"])
    session.commit()
    with serve(app) as url:
        yield url


def _signed_in(browser: Browser, url: str, username: str, path: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    page.goto(f"{url}/signin?next={path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.violations = violations  # type: ignore[attr-defined]
    return page


def test_co_facilitator_and_rapporteur_review_a_report_together(
    browser: Browser, live_url: str
) -> None:
    cora = _signed_in(browser, live_url, "cora", "/overview")
    ravi = _signed_in(browser, live_url, "ravi", "/groups/human/report")

    # The overview says the human dimension has a draft nobody has reviewed.
    row = cora.locator(".status-table tr", has_text="Human dimension")
    expect(row).to_contain_text("Draft, not reviewed")
    row.get_by_role("link").click()
    expect(cora.get_by_role("heading", name="Report draft")).to_be_visible()
    expect(cora.locator(".review-cards li").first).to_be_visible()  # the cards, beside it

    # A remark on the recommendation, sent in place by htmx; one on the report as a whole.
    recommendation = cora.locator(".review-recs > li").first
    recommendation.get_by_label("Remark on this recommendation").fill("Which delegations asked?")
    recommendation.get_by_role("button", name="Send the remark").click()
    expect(recommendation.locator(".thread")).to_contain_text("Which delegations asked?")
    expect(recommendation.get_by_label("Remark on this recommendation")).to_have_value("")
    cora.get_by_label("Remark on the report").fill("")
    cora.locator("#threads-report").get_by_role("button", name="Send the remark").click()
    expect(cora.locator("#threads-report .error")).to_contain_text("Write the remark")

    # The rapporteur is told, opens the review, answers and resolves.
    ravi.reload()
    ravi.get_by_role("link", name="1 open remark").click()
    thread = ravi.locator(".review-recs .thread").first
    thread.get_by_text("Answer", exact=True).click()
    thread.get_by_label("Your answer").fill("Mexico, Belgium and Kenya; now in the text.")
    thread.get_by_role("button", name="Send the answer").click()
    thread = ravi.locator(".review-recs .thread").first
    expect(thread.locator(".reply")).to_contain_text("now in the text")
    thread.get_by_role("button", name="Resolve").click()
    expect(ravi.locator(".review-recs .thread").first).to_contain_text("Resolved by Ravi")
    expect(ravi.get_by_role("button", name="Mark version 1 as reviewed")).to_have_count(0)

    # The co-facilitator sees it resolved and marks the report reviewed.
    cora.reload()
    expect(cora.locator(".review-recs .thread").first).to_contain_text("Resolved by Ravi")
    cora.get_by_role("button", name="Mark version 1 as reviewed").click()
    expect(cora.get_by_role("status")).to_contain_text("Marked as reviewed.")
    cora.get_by_role("link", name="Overview").click()
    expect(cora.locator(".status-table tr", has_text="Human dimension")).to_contain_text("Reviewed")

    # Any later save shows the report changed since its review.
    ravi.goto(f"{live_url}/groups/human/report")
    ravi.get_by_label("Summary").fill("Delegations converged on ending child detention.")
    expect(ravi.locator("#save-status")).to_contain_text("Saved: version 2", timeout=8000)
    cora.reload()
    expect(cora.locator(".status-table tr", has_text="Human dimension")).to_contain_text(
        "Changed since review"
    )
    for page in (cora, ravi):
        assert page.violations == []  # type: ignore[attr-defined]
        page.context.close()


def test_overview_figures_at_phone_size(browser: Browser, live_url: str) -> None:
    cora = _signed_in(browser, live_url, "cora", "/overview")
    cora.set_viewport_size({"width": 390, "height": 844})
    chart = cora.locator("figure", has_text="Cards per group")
    expect(chart.locator("svg")).to_be_visible()
    width = cora.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the overview scrolls sideways on a phone"
    box = chart.locator("svg").bounding_box()
    assert box is not None and box["width"] <= 390
    cora.context.close()
