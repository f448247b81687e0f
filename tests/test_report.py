"""The report: a draft that keeps its versions and its authors' work, and its outputs."""

import io
import os
import re
from html import unescape

import docx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.models import Card, Delegation, Meeting, ReportVersion
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import HOSTILE, PASSWORD, add_card, browser_like, make_user, sign_in_as
from tests.helpers import form_fields, soup

SECTIONS = {
    "moderator": "H.E. Ms. Ana Moderadora",
    "rapporteurs": "Mr. Ravi Rapporteur",
    "priorities": "Protection of children.\n\nRecognition of skills.",
    "means": "Alternatives to detention.",
    "partnerships": "UNICEF; ILO.",
    "divergent": "One delegation stressed national sovereignty.",
    "summary": "A rich debate.",
}


def draft(client: TestClient) -> dict[str, str]:
    return form_fields(client.get("/groups/human/report"), "form#report-form")


def group_cards(rapporteur: TestClient, cards: list[Card]) -> None:
    mexico, belgium, philippines, _off, kenya = cards
    rapporteur.post(f"/groups/human/cards/{philippines.id}/support", data={"recommendation": "new"})
    rapporteur.post(f"/groups/human/cards/{mexico.id}/support", data={"recommendation": "new"})
    page = soup(rapporteur.get("/groups/human"))
    rec_ids = [
        t["id"].removeprefix("rec-text-")
        for t in page.select("#recommendations textarea[id^=rec-text-]")
    ]
    for card in (belgium, kenya):
        rapporteur.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "R2"})
    rapporteur.post(
        f"/groups/human/recommendations/{rec_ids[1]}",
        data={"action": "edit", "text": "End the immigration detention of children."},
    )


def test_the_draft_saves_and_keeps_every_version(
    rapporteur: TestClient,
    human: list[Card],
    session: Session,
) -> None:
    form = draft(rapporteur)
    assert form["version"] == "0"
    response = rapporteur.post("/groups/human/report", data=form | SECTIONS)
    assert response.url.path == "/groups/human/report" and "Saved: version 1" in response.text
    again = draft(rapporteur)
    assert again["priorities"] == SECTIONS["priorities"] and again["version"] == "1"
    rapporteur.post("/groups/human/report", data=again | {"summary": "A richer debate."})
    versions = session.exec(select(ReportVersion).order_by(ReportVersion.version)).all()
    assert [(v.version, v.sections["summary"]) for v in versions] == [
        (1, "A rich debate."),
        (2, "A richer debate."),
    ]
    assert "2 saved versions" in rapporteur.get("/groups/human/report").text


def test_autosave_answers_with_the_status_and_the_new_version(
    rapporteur: TestClient,
    human: list[Card],
) -> None:
    form = draft(rapporteur) | {"summary": "Typed so far"}
    response = rapporteur.post("/groups/human/report", data=form, headers={"HX-Request": "true"})
    page = soup(response)
    assert "<html" not in response.text
    assert "Saved: version 1" in page.select_one("#save-status").get_text()
    assert page.select_one("#report-version")["value"] == "1"


def test_two_rapporteurs_at_once_neither_overwrites_the_other(
    app: FastAPI,
    rapporteur: TestClient,
    session: Session,
    accounts: dict,
    human: list[Card],
) -> None:

    make_user(session, "rita", "rapporteur", ("human",))
    with browser_like(app) as rita:
        sign_in_as(rita, "rita")
        mine, hers = draft(rapporteur), draft(rita)
        rita.post("/groups/human/report", data=hers | {"summary": "Rita's summary."})
        response = rapporteur.post(
            "/groups/human/report", data=mine | {"summary": "Ravi's summary."}
        )
        assert response.status_code == 409
        assert "Someone else saved this report" in response.text
        assert soup(response).select_one("blockquote.theirs").get_text() == "Rita's summary."
        kept = form_fields(response, "form#report-form")
        assert kept["summary"] == "Ravi's summary." and kept["version"] == "1"
        # Ravi combines both and saves knowingly: the next version.
        rapporteur.post("/groups/human/report", data=kept | {"summary": "Rita's and Ravi's."})
    session.expire_all()
    summaries = [
        v.sections["summary"]
        for v in session.exec(select(ReportVersion).order_by(ReportVersion.version))
    ]
    assert summaries == ["Rita's summary.", "Rita's and Ravi's."]


def test_the_report_orders_recommendations_by_support(
    rapporteur: TestClient,
    human: list[Card],
) -> None:
    group_cards(rapporteur, human)
    page = soup(rapporteur.get("/groups/human/report"))
    items = [li.p.get_text() for li in page.select(".report-recs li")]
    assert items == [
        "End the immigration detention of children.",
        "Recognise the skills and qualifications of migrants.",
    ]
    supported = [p.get_text() for p in page.select(".report-recs .meta")]
    assert supported == [
        "Supported by 3 delegations: Mexico, Belgium, Kenya",
        "Supported by 1 delegation: Philippines",
    ]


def test_the_docx_read_back_matches_the_report(
    rapporteur: TestClient,
    human: list[Card],
) -> None:
    group_cards(rapporteur, human)
    rapporteur.post("/groups/human/report", data=draft(rapporteur) | SECTIONS)
    response = rapporteur.get("/groups/human/report.docx")
    assert response.headers["content-disposition"] == 'attachment; filename="report-6-human.docx"'
    document = docx.Document(io.BytesIO(response.content))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0] == ("Heading 1", "Action group 6: Human dimension")
    headings = [text for style, text in paragraphs if style == "Heading 2"]
    assert headings == [
        "Participation",
        "National priorities raised",
        "Recommendations for actionable commitments",
        "Means of implementation",
        "Partnerships",
        "Divergent views and other points",
        "Summary",
        "How the cards were reflected",  # the annex (app.ledger)
    ]
    numbered = [text for style, text in paragraphs if style == "List Number"]
    assert numbered == [
        "End the immigration detention of children.",
        "Recognise the skills and qualifications of migrants.",
    ]
    assert ("Normal", "One delegation stressed national sovereignty.") in paragraphs
    table = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert table == [["Kind of delegation", "Delegations"], ["Member State", "4"]]


def test_markdown_print_and_presentation(rapporteur: TestClient, human: list[Card]) -> None:
    group_cards(rapporteur, human)
    rapporteur.post("/groups/human/report", data=draft(rapporteur) | SECTIONS)
    markdown = rapporteur.get("/groups/human/report.md").text
    assert markdown.startswith("# Action group 6: Human dimension\n")
    supported = "   - Supported by 3 delegations: Mexico, Belgium, Kenya"
    assert f"1. End the immigration detention of children.\n{supported}" in markdown
    assert "   - Supported by 1 delegation: Philippines" in markdown
    assert (
        "## Divergent views and other points\n\nOne delegation stressed national sovereignty."
        in markdown
    )
    printed = soup(rapporteur.get("/groups/human/report/print"))
    assert printed.h1.get_text() == "Action group 6: Human dimension"
    assert [p.get_text() for p in printed.select(".report-recs .meta")][1] == (
        "Supported by 1 delegation: Philippines"
    )
    assert printed.select_one("link[rel=stylesheet]")["href"].startswith("/static/print.css")
    first = soup(rapporteur.get("/groups/human/report/present"))
    assert first.h1.get_text() == "Action group 6: Human dimension"
    assert "1 of 8" in first.select_one(".present-bar").get_text()
    second = soup(rapporteur.get("/groups/human/report/present?slide=2"))
    assert second.h1.get_text() == "Recommendation 1"
    assert (
        second.select_one(".slide-text").get_text() == "End the immigration detention of children."
    )
    assert second.select_one("a[rel=next]")["href"] == "?slide=3"
    assert "Speaking time about 0 min" in second.select_one(".clock").get_text()
    for past_the_end in ("99", "9" * 5000):
        last = soup(rapporteur.get(f"/groups/human/report/present?slide={past_the_end}"))
        assert last.select_one("a[rel=next]") is None and last.h1.get_text() == "Summary"
    for nonsense in ("", "abc", "²", "-2"):
        page = rapporteur.get(f"/groups/human/report/present?slide={nonsense}")
        assert page.status_code == 200 and soup(page).h1.get_text() == first.h1.get_text()


def test_co_facilitators_read_but_do_not_write(
    client: TestClient, accounts: dict, human: list[Card]
) -> None:
    sign_in_as(client, "cora")
    page = client.get("/groups/human/report")
    assert page.status_code == 200 and soup(page).select_one("form#report-form") is None
    assert client.post("/groups/human/report", data={"version": "0"}).status_code == 403
    workspace = client.get("/groups/human")
    assert workspace.status_code == 200 and soup(workspace).select_one(".ws-actions") is None


def test_a_section_over_the_limit_is_refused_and_kept(
    rapporteur: TestClient, human: list[Card]
) -> None:
    form = draft(rapporteur) | {"summary": "x" * 20_001, "divergent": "kept"}
    response = rapporteur.post("/groups/human/report", data=form)
    assert response.status_code == 422
    assert "Summary: Keep this section under 20000 characters." in response.text
    assert form_fields(response, "form#report-form")["divergent"] == "kept"


def test_one_card_one_delegation_is_said_in_the_singular(
    rapporteur: TestClient, session: Session, meeting: Meeting
) -> None:
    card = add_card(session, meeting, "human", "Kenya", "en", {"commitments": "One idea."})
    session.commit()
    rapporteur.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "new"})
    page = soup(rapporteur.get("/groups/human/report"))
    assert "1 card from 1 delegation." in page.get_text()
    assert "Supported by 1 delegation: Kenya" in page.select_one(".report-recs").get_text()
    assert "1 card from 1 delegation." in soup(rapporteur.get("/groups/human/report/print")).text
    markdown = rapporteur.get("/groups/human/report.md").text
    assert "1 card from 1 delegation." in markdown
    assert "   - Supported by 1 delegation: Kenya" in markdown
    slides = [soup(rapporteur.get(f"/groups/human/report/present?slide={n}")) for n in (1, 2)]
    assert slides[0].select_one(".slide-text").get_text() == "1 card from 1 delegation."
    assert slides[1].select_one(".slide-line").get_text() == "Supported by 1 delegation"
    document = docx.Document(io.BytesIO(rapporteur.get("/groups/human/report.docx").content))
    texts = [p.text for p in document.paragraphs]
    assert "1 card from 1 delegation." in texts and "Supported by 1 delegation: Kenya" in texts


# CommonMark with GitHub's tables and strikethrough, as most Markdown readers render it.
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def test_markdown_keeps_every_name_and_text_as_text(
    rapporteur: TestClient, session: Session, meeting: Meeting
) -> None:
    """Whatever a delegation is called and whatever the rapporteurs type, the Markdown
    renders it as the words typed: no HTML, no link, no heading of its own."""
    session.add(Delegation(name=HOSTILE, kind="civil_society"))
    session.add(Delegation(name="**Bold** [Network](javascript:alert(1))", kind="civil_society"))
    session.commit()
    cards = [
        add_card(session, meeting, "human", name, "en", {"commitments": "Protect."})
        for name in (HOSTILE, "**Bold** [Network](javascript:alert(1))")
    ]
    session.commit()
    rapporteur.post(f"/groups/human/cards/{cards[0].id}/support", data={"recommendation": "new"})
    rapporteur.post(f"/groups/human/cards/{cards[1].id}/support", data={"recommendation": "R1"})
    rec_id = soup(rapporteur.get("/groups/human")).select_one("textarea[id^=rec-text-]")["id"]
    rapporteur.post(
        f"/groups/human/recommendations/{rec_id.removeprefix('rec-text-')}",
        data={"action": "edit", "text": "<img src=x onerror=alert(1)> _All_ children"},
    )
    sections = {"moderator": HOSTILE, "summary": "# Not a heading\n- nor a list\n\n<b>x</b>"}
    rapporteur.post("/groups/human/report", data=draft(rapporteur) | sections)
    markdown = rapporteur.get("/groups/human/report.md").text
    assert "<script>" not in markdown and "<img" not in markdown and "<b>" not in markdown
    html = MARKDOWN.render(markdown)
    # Only the report's own emphasis (the meeting, the moderator's label) and lists (the kinds
    # of delegation, each recommendation's support, the annex's counts).
    tags = re.findall(r"<(script|img|a|b|em|strong|h3|ul)\b", html)
    assert tags == ["em", "strong", "ul", "ul", "ul"]
    annex = html.split("How the cards were reflected")[1]
    cells = [unescape(c) for c in re.findall(r"<td>(.*?)</td>", annex)]
    assert [c for c in cells if "Network" in c] == ["**Bold** [Network](javascript:alert(1))"]
    headings = re.findall(r"<h[1-6]>(.*?)</h[1-6]>", html)
    assert "Not a heading" not in " ".join(headings)
    text = unescape(re.sub(r"<[^>]+>", "", html))
    assert f"Moderator: {HOSTILE}" in text
    assert "<img src=x onerror=alert(1)> _All_ children" in text
    assert "# Not a heading\n- nor a list\n<b>x</b>" in text
    assert f"Supported by 2 delegations: {HOSTILE}, **Bold** [Network](javascript:alert(1))" in text


@pytest.mark.browser
@needs_chromium
def test_the_print_view_reads_on_a_phone_and_on_a_desk(
    app: FastAPI, rapporteur: TestClient, page: Page, human: list[Card]
) -> None:
    group_cards(rapporteur, human)
    rapporteur.post("/groups/human/report", data=draft(rapporteur) | SECTIONS)
    with serve(app) as url:
        page.goto(f"{url}/signin?next=/groups/human/report/print")
        page.fill("#username", "ravi")
        page.fill("#password", PASSWORD)
        page.click("form.join button[type=submit]")
        page.wait_for_url(f"{url}/groups/human/report/print")
        for size in (PHONE, {"width": 1280, "height": 800}):
            page.set_viewport_size(size)
            page.reload()
            expect(page.locator(".report-recs .meta").nth(1)).to_have_text(
                "Supported by 1 delegation: Philippines"
            )
            expect(page.get_by_text("5 cards from 4 delegations.")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            if shots := os.environ.get("SCREENSHOTS"):
                page.screenshot(path=f"{shots}/print-{size['width']}.png", full_page=True)
