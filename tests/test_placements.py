"""Nothing changes silently under the report: a card its delegation edits or withdraws after a
rapporteur placed it says so, with the old text beside the new, until a rapporteur settles it."""

import io
from collections.abc import Iterator
from datetime import timedelta

import docx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.audit import Actor
from app.cards import edit_card, read_card_input, withdraw_card
from app.grouping import (
    awaiting_confirmation,
    changed_placements,
    create_recommendation,
    merge,
    recommendations,
)
from app.meetings import meeting_groups
from app.models import (
    AuditEvent,
    Card,
    Group,
    Meeting,
    Recommendation,
    Support,
    User,
    utcnow,
)
from tests.browser import PHONE, needs_chromium, serve
from tests.conftest import PASSWORD
from tests.helpers import soup

NOTE_ONE = "1 placement awaits confirmation: a card changed since it was placed."
NOTE_TWO = "2 placements await confirmation: cards changed since they were placed."


def edit(session: Session, meeting: Meeting, card: Card, text: str) -> None:
    """The card's delegation rewrites its commitment."""
    groups = meeting_groups(session, meeting)
    data = {"group": "human", "language": card.language}
    changed = read_card_input(meeting, groups, data, {**card.answers, "commitments": text})
    edit_card(session, card, changed, card.version, Actor("delegation", card.delegation_id, "x"))


def withdraw(session: Session, card: Card) -> None:
    withdraw_card(session, card, Actor("delegation", card.delegation_id, "x"))


def place(rapporteur: TestClient, card: Card, number: str = "new") -> None:
    response = rapporteur.post(
        f"/groups/human/cards/{card.id}/support", data={"recommendation": number}
    )
    assert response.status_code == 200


def supports(session: Session) -> dict[tuple[int, str], int | None]:
    session.expire_all()
    return {(s.recommendation_id, s.card_id): s.card_version for s in session.exec(select(Support))}


def text(node) -> str:  # type: ignore[no-untyped-def]
    return " ".join(node.get_text().split())


@pytest.fixture
def group(session: Session) -> Group:
    return session.exec(select(Group).where(Group.slug == "human")).one()


def test_a_placement_remembers_the_cards_version(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    mexico, belgium, *_ = human
    edit(session, meeting, mexico, "Poner fin a la detención de la niñez migrante.")
    place(rapporteur, mexico)
    place(rapporteur, belgium, "R1")
    [rec] = session.exec(select(Recommendation)).all()
    assert supports(session) == {(rec.id, mexico.id): 2, (rec.id, belgium.id): 1}


def test_an_edit_after_placing_shows_old_and_new_until_confirmed(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting, group: Group
) -> None:
    mexico, belgium, *_ = human
    place(rapporteur, mexico)
    place(rapporteur, belgium, "R1")
    page = soup(rapporteur.get("/groups/human"))
    assert page.select(".rec-changed") == [] and page.select_one("#progress-awaiting") is None

    edit(session, meeting, mexico, "Solo en casos excepcionales.")
    [rec] = session.exec(select(Recommendation)).all()
    assert awaiting_confirmation(session, group) == 1
    [changed] = changed_placements(session, group)[rec.id]
    assert (changed.card.id, changed.placed_version, changed.card.version) == (mexico.id, 1, 2)

    page = soup(rapporteur.get("/groups/human"))
    item = page.select_one(f"#rec-{rec.id}")
    assert text(item.select_one(".rec-changed summary")) == "1 card changed since it was placed"
    compare = item.select_one(f"#changed-{rec.id}-{mexico.id} table.compare")
    assert [text(th) for th in compare.select("thead th")] == [
        "As placed (version 1)",
        "Now (version 2)",
    ]
    before, now = compare.select("tbody")[0].select("td")
    assert text(before) == "Poner fin a la detención de niñas y niños migrantes."
    assert text(now) == "Solo en casos excepcionales."
    assert "changed" in text(compare.select("tbody")[0].th)
    assert "changed" not in text(compare.select("tbody")[1].th)  # the means: the same
    assert text(page.select_one("#progress-awaiting")) == NOTE_ONE
    # The edit still counts: only a withdrawal takes a card out of the counts.
    assert text(item.select_one(".support")) == "2 delegations, 2 cards"

    # Confirming keeps it there as of the version seen; the log says so.
    response = rapporteur.post(
        f"/groups/human/recommendations/{rec.id}/placements/{mexico.id}",
        data={"action": "confirm", "version": "2", "next": "/groups/human"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/groups/human#rec-{rec.id}"
    assert supports(session)[(rec.id, mexico.id)] == 2
    assert awaiting_confirmation(session, group) == 0
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "card.confirm")).all()
    assert (event.target_id, event.detail) == (mexico.id, {"recommendation": rec.id, "version": 2})
    page = soup(rapporteur.get("/groups/human"))
    assert page.select(".rec-changed") == [] and page.select_one("#progress-awaiting") is None


def test_a_confirmation_covers_only_the_version_seen(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting, group: Group
) -> None:
    mexico, *_ = human
    place(rapporteur, mexico)
    [rec] = session.exec(select(Recommendation)).all()
    edit(session, meeting, mexico, "Primera revisión.")
    edit(session, meeting, mexico, "Segunda revisión.")  # while the rapporteur read version 2
    url = f"/groups/human/recommendations/{rec.id}/placements/{mexico.id}"
    rapporteur.post(url, data={"action": "confirm", "version": "2"})
    assert supports(session)[(rec.id, mexico.id)] == 2
    assert awaiting_confirmation(session, group) == 1
    [changed] = changed_placements(session, group)[rec.id]
    assert changed.placed is not None and changed.placed.answers["commitments"] == (
        "Primera revisión."
    )
    # Confirming an older version again, or a made-up one, changes nothing and logs nothing.
    rapporteur.post(url, data={"action": "confirm", "version": "1"})
    rapporteur.post(url, data={"action": "confirm", "version": "99"})  # is at most the latest
    assert supports(session)[(rec.id, mexico.id)] == 3
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.action == "card.confirm"))
    assert len(actions.all()) == 2


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"action": "confirm"}, 400),
        ({"action": "confirm", "version": "²"}, 400),
        ({"action": "move", "to": "R9"}, 422),
        ({"action": "explode"}, 400),
    ],
)
def test_bad_settlements_store_nothing(
    rapporteur: TestClient,
    human: list[Card],
    session: Session,
    meeting: Meeting,
    data: dict[str, str],
    status: int,
) -> None:
    mexico, *_ = human
    place(rapporteur, mexico)
    [rec] = session.exec(select(Recommendation)).all()
    edit(session, meeting, mexico, "Otra cosa.")
    url = f"/groups/human/recommendations/{rec.id}/placements/{mexico.id}"
    assert rapporteur.post(url, data=data).status_code == status
    assert supports(session) == {(rec.id, mexico.id): 1}
    settled = ("card.confirm", "card.move", "card.ungroup")
    assert session.exec(select(AuditEvent).where(AuditEvent.action.in_(settled))).all() == []  # type: ignore[attr-defined]


def test_settling_a_card_that_is_not_there_says_why(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    mexico, belgium, *_ = human
    place(rapporteur, mexico)
    [rec] = session.exec(select(Recommendation)).all()
    for card_id in (belgium.id, "not-a-card"):
        url = f"/groups/human/recommendations/{rec.id}/placements/{card_id}"
        response = rapporteur.post(url, data={"action": "remove"})
        assert response.status_code == 422
        assert "This card is no longer behind R1. Reload the page." in response.text
    url = f"/groups/human/recommendations/99999/placements/{mexico.id}"
    assert rapporteur.post(url, data={"action": "remove"}).status_code == 404


def test_a_withdrawn_card_is_moved_or_taken_out(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting, group: Group
) -> None:
    mexico, belgium, philippines, _off, kenya = human
    place(rapporteur, mexico)
    place(rapporteur, belgium, "R1")
    place(rapporteur, kenya, "R1")
    place(rapporteur, philippines)
    first, second = session.exec(select(Recommendation).order_by(Recommendation.position)).all()
    withdraw(session, belgium)
    edit(session, meeting, kenya, "Skills, not detention.")

    # A withdrawn card drops out of the counts, but its placement still shows as changed.
    [view, _] = recommendations(session, group)
    assert [c.id for c in view.cards] == [mexico.id, kenya.id]
    page = soup(rapporteur.get("/groups/human"))
    item = page.select_one(f"#rec-{first.id}")
    assert text(item.select_one(".rec-changed summary")) == "2 cards changed since they were placed"
    assert "Now: withdrawn (version 2)" in text(
        item.select_one(f"#changed-{first.id}-{belgium.id}")
    )
    assert text(page.select_one("#progress-awaiting")) == NOTE_TWO

    base = f"/groups/human/recommendations/{first.id}/placements"
    moved = rapporteur.post(
        f"{base}/{kenya.id}", data={"action": "move", "to": "R2"}, follow_redirects=False
    )
    assert moved.status_code == 303
    rapporteur.post(f"{base}/{belgium.id}", data={"action": "remove"})
    # Moved, the card reads as it does now where it went; taken out, it is nowhere.
    assert supports(session) == {(first.id, mexico.id): 1, (second.id, philippines.id): 1,
                                 (second.id, kenya.id): 2}  # fmt: skip
    assert awaiting_confirmation(session, group) == 0
    logged = session.exec(
        select(AuditEvent.action, AuditEvent.target_id, AuditEvent.detail).where(
            AuditEvent.action.in_(("card.move", "card.ungroup"))  # type: ignore[attr-defined]
        )
    ).all()
    assert sorted(logged) == [
        ("card.move", kenya.id, {"source": first.id, "to": second.id}),
        ("card.ungroup", belgium.id, {"recommendation": first.id}),
    ]


def test_merging_keeps_a_change_to_confirm(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting, group: Group
) -> None:
    mexico, belgium, *_ = human
    place(rapporteur, mexico)
    place(rapporteur, belgium)
    first, second = session.exec(select(Recommendation).order_by(Recommendation.position)).all()
    edit(session, meeting, mexico, "Otra redacción.")
    merge(session, first, second)
    session.commit()
    assert supports(session) == {(second.id, mexico.id): 1, (second.id, belgium.id): 1}
    assert awaiting_confirmation(session, group) == 1


def test_splitting_places_the_cards_as_they_read_now(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    mexico, belgium, *_ = human
    place(rapporteur, mexico)
    place(rapporteur, belgium, "R1")
    [rec] = session.exec(select(Recommendation)).all()
    edit(session, meeting, belgium, "Autre chose.")
    split = {"action": "split", "card_1": belgium.id, "split_text": "Another idea."}
    rapporteur.post(f"/groups/human/recommendations/{rec.id}", data=split)
    [new] = session.exec(select(Recommendation).where(Recommendation.id != rec.id)).all()
    assert supports(session) == {(rec.id, mexico.id): 1, (new.id, belgium.id): 2}


def test_the_report_and_its_exports_count_placements_to_confirm(
    rapporteur: TestClient, human: list[Card], session: Session, meeting: Meeting
) -> None:
    mexico, belgium, philippines, *_ = human
    place(rapporteur, mexico)
    place(rapporteur, belgium, "R1")
    place(rapporteur, philippines)
    for path in ("/groups/human/report", "/groups/human/report/print"):
        assert soup(rapporteur.get(path)).select_one(".awaiting") is None
    assert "await" not in rapporteur.get("/groups/human/report.md").text

    edit(session, meeting, mexico, "Otra redacción.")
    withdraw(session, philippines)  # its recommendation has no card left; the note stays
    for path in ("/groups/human/report", "/groups/human/report/print"):
        note = soup(rapporteur.get(path)).select_one(".awaiting")
        assert note is not None and NOTE_TWO in text(note), path
    assert f"_{NOTE_TWO}_" in rapporteur.get("/groups/human/report.md").text
    raw = rapporteur.get("/groups/human/report.docx").content
    paragraphs = [p.text for p in docx.Document(io.BytesIO(raw)).paragraphs]
    assert NOTE_TWO in paragraphs
    # Word: right after the recommendations.
    assert paragraphs[paragraphs.index(NOTE_TWO) - 1].startswith("Supported by")


def test_the_last_look_counts_cards_edited_or_withdrawn_since(
    rapporteur: TestClient,
    human: list[Card],
    session: Session,
    meeting: Meeting,
    accounts: dict[str, User],
    group: Group,
) -> None:
    mexico, belgium, philippines, *_ = human
    shown_at = (utcnow() - timedelta(seconds=1)).isoformat()
    rapporteur.post("/groups/human/seen", data={"shown_at": shown_at})  # the first look
    edit(session, meeting, mexico, "Otra redacción.")
    edit(session, meeting, mexico, "Y otra más.")  # one card, however many edits
    withdraw(session, belgium)
    page = soup(rapporteur.get("/groups/human"))
    notes = [text(p) for p in page.select("p.success[role=status]")]
    assert "2 cards edited or withdrawn by their delegations since your last look." in notes
    seen = page.select_one("form[action='/groups/human/seen']")
    assert seen is not None
    fields = {i["name"]: i["value"] for i in seen.select("input[type=hidden]")}
    page = soup(rapporteur.post("/groups/human/seen", data=fields))  # marked: nothing since
    assert not any("since your last look" in text(p) for p in page.select("p.success"))


def test_compact_recommendation_keeps_its_forms(
    rapporteur: TestClient, human: list[Card], session: Session
) -> None:
    mexico, belgium, *_ = human
    place(rapporteur, mexico)
    place(rapporteur, belgium, "R1")
    place(rapporteur, human[2])
    first, _second = session.exec(select(Recommendation).order_by(Recommendation.position)).all()
    item = soup(rapporteur.get("/groups/human")).select_one(f"#rec-{first.id}")
    assert text(item.select_one(".rec-head")) == "R1 2 delegations, 2 cards · Spanish, French"
    more = item.select_one(f"details#rec-{first.id}-more")
    assert more is not None and not more.has_attr("open")
    for selector in (
        f"#rec-text-{first.id}",
        f"#merge-{first.id}",
        f"#split-{first.id}",
        f"#rec-{first.id}-split",
        f"#rec-{first.id}-named",
        "button[value=up]",
        "button[value=delete]",
    ):
        assert more.select_one(selector) is not None, selector
    assert [a["href"] for a in more.select(".rec-cards a")] == [
        f"/groups/human/cards/{mexico.id}",
        f"/groups/human/cards/{belgium.id}",
    ]


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.mark.browser
@needs_chromium
def test_old_and_new_side_by_side_on_a_phone(
    page: Page,
    live_url: str,
    human: list[Card],
    session: Session,
    meeting: Meeting,
    accounts: dict[str, User],
    group: Group,
) -> None:
    mexico, belgium, *_ = human
    rec = create_recommendation(session, group, "End child detention.", [mexico.id, belgium.id])
    session.commit()
    edit(session, meeting, mexico, "Solo en casos excepcionales y por el menor tiempo posible.")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/signin?next=/groups/human")
    page.get_by_label("Username").fill("ravi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    item = page.locator(f"#rec-{rec.id}")
    item.get_by_text("1 card changed since it was placed").click()
    old = item.locator("table.compare tbody td").nth(0)
    new = item.locator("table.compare tbody td").nth(1)
    expect(old).to_have_text("Poner fin a la detención de niñas y niños migrantes.")
    expect(new).to_have_text("Solo en casos excepcionales y por el menor tiempo posible.")
    old_box, new_box = old.bounding_box(), new.bounding_box()
    assert old_box and new_box
    assert abs(old_box["y"] - new_box["y"]) < 1 and old_box["x"] + old_box["width"] <= new_box["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    item.get_by_role("button", name="Confirm: it stays in R1").click()
    expect(page).to_have_url(f"{live_url}/groups/human#rec-{rec.id}")
    expect(item.locator(".rec-changed")).to_have_count(0)
    expect(page.locator("#progress-awaiting")).to_have_count(0)
