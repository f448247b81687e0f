"""Co-facilitators review a group's report: remarks that rapporteurs answer and resolve, the
reviewed mark, and the overview of where each group stands."""

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, delete, select

from app.grouping import create_recommendation, delete_recommendation, merge
from app.models import (
    AuditEvent,
    Card,
    Comment,
    Group,
    Meeting,
    Recommendation,
    Review,
    Support,
    User,
)
from tests.conftest import HOSTILE, PASSWORD, browser_like, sign_in_as


def _recommendation(session: Session, cards: list[Card], text: str) -> Recommendation:
    group = session.get(Group, cards[0].group_id)
    assert group is not None
    rec = create_recommendation(session, group, text, [c.id for c in cards])
    session.commit()
    return rec


def _remarks(page: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    return [p.get_text(strip=True) for p in soup.select(".thread > p.answer")]


def test_a_remark_on_a_recommendation_is_answered_and_resolved_by_the_rapporteur(
    app: FastAPI, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    rec = _recommendation(session, human[:2], "End child detention.")
    with browser_like(app) as cora, browser_like(app) as ravi:
        sign_in_as(cora, "cora")
        sign_in_as(ravi, "ravi")
        response = cora.post(
            "/groups/human/comments",
            data={"recommendation": str(rec.id), "body": "Belgium's card says 'mettre fin'."},
            follow_redirects=False,
        )
        assert response.status_code == 303
        remark = session.exec(select(Comment)).one()
        assert remark.recommendation_id == rec.id
        assert response.headers["location"] == f"/groups/human/review#comment-{remark.id}"

        # The rapporteur sees it under the recommendation, answers, and resolves it.
        soup = BeautifulSoup(ravi.get("/groups/human/review").text, "html.parser")
        thread = soup.select_one(f"#threads-rec-{rec.id} #comment-{remark.id}")
        assert thread is not None and "mettre fin" in thread.get_text()
        assert "1 open remark" in soup.select_one(".review-state").get_text()
        ravi.post("/groups/human/comments", data={"reply_to": str(remark.id), "body": "Quoted."})
        ravi.post(f"/groups/human/comments/{remark.id}/resolve", data={"resolved": "1"})

        soup = BeautifulSoup(cora.get("/groups/human/review").text, "html.parser")
        thread = soup.select_one(f"#comment-{remark.id}")
        assert "is-resolved" in thread["class"]
        assert "Resolved by Ravi" in thread.get_text()
        assert [p.get_text(strip=True) for p in thread.select(".reply p.answer")] == ["Quoted."]
        assert "0 open remarks" in soup.select_one(".review-state").get_text()

        # An answer reopens a resolved thread: the co-facilitator is not done with it.
        cora.post("/groups/human/comments", data={"reply_to": str(remark.id), "body": "Not yet."})
    session.refresh(remark)
    assert remark.resolved_at is None
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.target_type == "comment"))
    assert list(actions) == [
        "comment.create",
        "comment.create",
        "comment.resolve",
        "comment.create",
    ]


def test_htmx_gets_only_the_thread_block_and_errors_keep_the_text(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    sign_in_as(client, "cora")
    htmx = {"HX-Request": "true"}
    response = client.post("/groups/human/comments", data={"body": "On the whole."}, headers=htmx)
    assert response.status_code == 200
    block = BeautifulSoup(response.text, "html.parser")
    assert block.select_one("div.threads")["id"] == "threads-report"
    assert block.select_one("html") is None
    assert _remarks(response.text) == ["On the whole."]

    long = "x" * 2001
    response = client.post("/groups/human/comments", data={"body": long}, headers=htmx)
    assert response.status_code == 422
    form = BeautifulSoup(response.text, "html.parser")
    field = form.select_one("#report-body")
    assert field.get_text() == long and field["aria-invalid"] == "true"
    error = form.select_one("#" + field["aria-describedby"])
    assert "under 2000 characters" in error.get_text()
    assert session.exec(select(Comment)).all().__len__() == 1

    # Without JavaScript an empty remark gives the whole page, the error beside its field.
    response = client.post("/groups/human/comments", data={"body": "  "})
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("h1") is not None
    field = page.select_one("#report-body")
    assert "Write the remark" in page.select_one("#" + field["aria-describedby"]).get_text()


def test_remarks_cannot_point_into_another_group(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    rec = _recommendation(session, human[:1], "R")
    sign_in_as(client, "cora")
    # The human group's recommendation named from the global group's page: refused, not stored.
    response = client.post(
        "/groups/global/comments", data={"recommendation": str(rec.id), "body": "x"}
    )
    assert response.status_code == 404
    client.post("/groups/human/comments", data={"body": "first"})
    remark = session.exec(select(Comment)).one()
    assert client.post(f"/groups/global/comments/{remark.id}/resolve").status_code == 404
    response = client.post(
        "/groups/global/comments", data={"reply_to": str(remark.id), "body": "x"}
    )
    assert response.status_code == 404
    assert len(session.exec(select(Comment)).all()) == 1


def test_a_rapporteur_of_another_group_can_neither_read_nor_remark(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    sign_in_as(client, "gloria")
    assert client.get("/groups/human/review").status_code == 403
    assert client.post("/groups/human/comments", data={"body": "x"}).status_code == 403
    assert client.get("/groups/global/review").status_code == 200
    # Only co-facilitators and the secretariat mark reports reviewed.
    assert client.post("/groups/global/reviewed").status_code == 403


def test_hostile_remarks_are_shown_as_text(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    sign_in_as(client, "cora")
    client.post("/groups/human/comments", data={"body": HOSTILE})
    page = client.get("/groups/human/review").text
    assert "<script>alert(1)</script>" not in page
    assert _remarks(page) == [HOSTILE]


def test_marking_reviewed_and_a_later_save_shows_changed_since_review(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    sign_in_as(client, "cora")
    page = BeautifulSoup(client.get("/groups/human/review").text, "html.parser")
    assert "No draft yet" in page.select_one(".review-state").get_text()
    assert page.select_one("form[action='/groups/human/reviewed']") is None
    # Nothing to review yet (a stale page): said plainly, and no review is recorded.
    refused = client.post("/groups/human/reviewed")
    assert refused.url.path == "/groups/human/review"
    alert = BeautifulSoup(refused.text, "html.parser").select_one(".review-state [role=alert]")
    assert "There is no draft to review yet" in alert.get_text()
    assert "Marked as reviewed" not in refused.text

    with browser_like(client.app) as ravi:  # type: ignore[arg-type]
        sign_in_as(ravi, "ravi")
        ravi.post("/groups/human/report", data={"version": "0", "summary": "First draft."})
        page = BeautifulSoup(client.get("/groups/human/review").text, "html.parser")
        assert "Draft, not reviewed" in page.select_one(".review-state").get_text()
        response = client.post("/groups/human/reviewed", follow_redirects=False)
        assert response.headers["location"] == "/groups/human/review?reviewed=1"
        page = BeautifulSoup(client.get("/groups/human/review?reviewed=1").text, "html.parser")
        assert "Marked as reviewed." in page.get_text()
        assert "Reviewed" in page.select_one(".review-state").get_text()
        assert page.select_one("form[action='/groups/human/reviewed']") is None

        ravi.post("/groups/human/report", data={"version": "1", "summary": "Second draft."})
    review = session.exec(select(Review)).one()
    assert (review.report_version, review.user_id) == (1, accounts["cofacilitator"].id)
    overview = BeautifulSoup(client.get("/overview").text, "html.parser")
    row = next(r for r in overview.select(".status-table tbody tr") if "Human" in r.th.get_text())
    assert "Changed since review" in row.get_text()
    assert "reviewed at version 1, now 2" in row.get_text()


def test_overview_counts_open_remarks_per_group(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    sign_in_as(client, "sam")
    client.post("/groups/human/comments", data={"body": "one"})
    client.post("/groups/human/comments", data={"body": "two"})
    first = session.exec(select(Comment)).first()
    assert first is not None
    client.post(f"/groups/human/comments/{first.id}/resolve")
    overview = BeautifulSoup(client.get("/overview").text, "html.parser")
    cells = {
        r.th.get_text(strip=True): [td.get_text(strip=True) for td in r.select("td")]
        for r in overview.select(".status-table tbody tr")
    }
    assert cells["6. Human dimension"][0] == "5"  # cards
    assert cells["6. Human dimension"][-1] == "1"  # open remarks
    assert cells["1. Global dimension"][-1] == "0"


def test_remarks_follow_a_merged_recommendation_and_survive_a_deleted_one(
    session: Session, meeting: Meeting, human: list[Card], accounts: dict[str, User]
) -> None:
    from app.review import add_comment

    group = session.exec(select(Group).where(Group.slug == "human")).one()
    first = _recommendation(session, human[:1], "first")
    second = _recommendation(session, human[1:2], "second")
    on_first = add_comment(session, group, accounts["cofacilitator"], "a", first)
    on_second = add_comment(session, group, accounts["cofacilitator"], "b", second)
    session.commit()
    merge(session, first, second)
    session.commit()
    session.refresh(on_first)
    assert on_first.recommendation_id == second.id
    delete_recommendation(session, second)
    session.commit()
    session.refresh(on_first)
    session.refresh(on_second)
    assert on_first.recommendation_id is None and on_second.recommendation_id is None


def test_the_report_page_points_the_rapporteur_to_open_remarks(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    with browser_like(client.app) as cora:  # type: ignore[arg-type]
        sign_in_as(cora, "cora")
        cora.post("/groups/human/comments", data={"body": "Name the partners."})
    sign_in_as(client, "ravi")
    page = BeautifulSoup(client.get("/groups/human/report").text, "html.parser")
    link = page.select_one("a.remarks-link")
    assert link is not None and link["href"] == "/groups/human/review"
    assert "1 open remark" in link.get_text()


def test_co_facilitators_start_on_the_overview_and_rapporteurs_on_their_groups(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    response = client.post("/signin", data={"username": "cora", "password": PASSWORD})
    assert response.url.path == "/overview"
    client.post("/groups/human/comments", data={"body": "Check the figures."})
    with browser_like(client.app) as ravi:  # type: ignore[arg-type]
        response = ravi.post("/signin", data={"username": "ravi", "password": PASSWORD})
        assert response.url.path == "/groups"
        card = BeautifulSoup(response.text, "html.parser").select_one(".group-table li")
        assert "No draft yet" in card.get_text()
        assert card.select_one("a[href='/groups/human/review']").get_text() == "1 open remark"


def test_a_remark_on_a_recommendation_that_lost_its_cards_stays_in_sight(
    client: TestClient, session: Session, human: list[Card], accounts: dict[str, User]
) -> None:
    rec = _recommendation(session, human[:1], "Soon empty")
    sign_in_as(client, "cora")
    client.post("/groups/human/comments", data={"recommendation": str(rec.id), "body": "Why?"})
    session.exec(delete(Support))
    session.commit()
    soup = BeautifulSoup(client.get("/groups/human/review").text, "html.parser")
    thread = soup.select_one("#threads-report .thread")
    assert thread is not None and "no card behind it now" in thread.get_text()
    remark = session.exec(select(Comment)).one()
    response = client.post(
        "/groups/human/comments",
        data={"reply_to": str(remark.id), "body": "Merged elsewhere."},
        headers={"HX-Request": "true"},
    )
    block = BeautifulSoup(response.text, "html.parser").select_one("div.threads")
    assert block["id"] == "threads-report"  # the block the page shows it in
