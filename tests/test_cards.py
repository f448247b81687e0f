"""A delegate writes, reads, edits and withdraws cards through the HTML form (no JavaScript)."""

import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import AuditEvent, Group, Meeting, User
from tests.conftest import add_card, browser_like, code_for, sign_in_as
from tests.helpers import cards, error_for, form_fields, soup, versions

COMMITMENT = "Reduce the cost of remittances below 3% by 2030, with transparent fees."


def new_card_form(client: TestClient, group: str = "global") -> dict[str, str]:
    response = client.get(f"/cards/new?group={group}")
    assert response.status_code == 200
    return form_fields(response)


def test_new_card_form_mirrors_the_index_card(delegate: TestClient) -> None:
    response = delegate.get("/cards/new?group=national")
    page = soup(response)
    assert page.select_one("#group option[selected]")["value"] == "national"
    labels = [label.get_text(" ", strip=True) for label in page.select("form.card-form label")]
    assert labels[0] == "Action group"
    assert "Actionable commitments for the Global Compact (required)" in labels
    assert "Means of implementation (optional)" in labels
    assert "Partnerships needed (optional)" in labels
    assert "National priorities under this dimension (optional)" in labels
    assert page.select_one("#language option[selected]")["value"] == "en"
    assert "Writing as Mexico" in response.text
    # A card id made by the server, so that a repeated submit is the same card.
    assert len(form_fields(response)["card_id"]) == 36


def test_delegate_writes_a_card_and_sees_it_stored(delegate: TestClient, session: Session) -> None:
    fields = new_card_form(delegate)
    fields["answers.commitments"] = COMMITMENT
    fields["answers.partnerships"] = "World Bank, IFAD, central banks"
    fields["author_name"] = "María Fernanda Ruiz"
    response = delegate.post("/cards", data=fields)
    assert response.status_code == 200
    assert response.url.path == f"/cards/{fields['card_id']}"
    assert "Card received." in response.text
    assert COMMITMENT in response.text
    assert "Write another card for this group" in response.text
    assert soup(response).select_one("a.button.primary")["href"] == "/cards/new?group=global"
    [card] = cards(session)
    assert card.answers == {
        "commitments": COMMITMENT,
        "partnerships": "World Bank, IFAD, central banks",
    }
    assert card.author_name == "María Fernanda Ruiz"
    assert card.language == "en"
    assert card.status == "active"
    [version] = versions(session, card.id)
    assert (version.version, version.action) == (1, "create")


def test_submitting_the_same_form_twice_stores_one_card(
    delegate: TestClient, session: Session
) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": COMMITMENT}
    first = delegate.post("/cards", data=fields)
    second = delegate.post("/cards", data=fields)  # double tap, retry, or back and submit again
    assert first.url == second.url
    assert len(cards(session)) == 1


def test_each_new_form_is_a_new_card(delegate: TestClient, session: Session) -> None:
    for text in ("First commitment.", "Second commitment."):
        delegate.post("/cards", data=new_card_form(delegate) | {"answers.commitments": text})
    assert sorted(c.answers["commitments"] for c in cards(session)) == [
        "First commitment.",
        "Second commitment.",
    ]


def test_missing_commitment_is_refused_next_to_the_field_and_text_kept(
    delegate: TestClient, session: Session
) -> None:
    fields = new_card_form(delegate) | {
        "answers.priorities": "Protection of migrant workers abroad",
        "author_name": "Juan Pérez",
    }
    response = delegate.post("/cards", data=fields)
    assert response.status_code == 422
    assert error_for(response, "answer-commitments") == "This answer is required."
    kept = form_fields(response)
    assert kept["answers.priorities"] == "Protection of migrant workers abroad"
    assert kept["author_name"] == "Juan Pérez"
    assert kept["card_id"] == fields["card_id"]
    assert cards(session) == []


@pytest.mark.parametrize(
    ("field", "field_id", "value", "message"),
    [
        (
            "answers.commitments",
            "answer-commitments",
            "x" * 1001,
            "under 1,000 characters (now 1,001)",
        ),
        ("answers.means", "answer-means", "y" * 1200, "under 1,000 characters (now 1,200)"),
        ("author_name", "author_name", "z" * 121, "under 120 characters (now 121)"),
        ("language", "language", "klingon", "Choose the language the card is written in."),
        ("group", "group", "atlantis", "Choose the action group this card is for."),
    ],
)
def test_each_limit_is_explained_next_to_its_field(
    delegate: TestClient, session: Session, field: str, field_id: str, value: str, message: str
) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": COMMITMENT, field: value}
    response = delegate.post("/cards", data=fields)
    assert response.status_code == 422
    if field == "group":  # an unknown group sends the person back to the list of groups
        assert message in response.text
        assert soup(response).select("a.group-link")
    else:
        assert message in error_for(response, field_id)
        if field != "language":  # a select can only show its own options
            assert form_fields(response)[field] == value
    assert cards(session) == []


@pytest.mark.parametrize(("language", "limit"), [("en", "1,000"), ("es", "1.000")])
def test_the_hint_and_the_error_state_the_limit_alike(
    delegate: TestClient, session: Session, language: str, limit: str
) -> None:
    delegate.cookies.set("lang", language)
    form = delegate.get("/cards/new?group=global")
    hint = soup(form).select_one('[data-counter-for="answer-means"]')
    assert limit in hint.get_text()
    assert hint["data-max-text"] == limit  # what the counter shows once JavaScript runs
    fields = form_fields(form) | {"answers.commitments": COMMITMENT, "answers.means": "y" * 1001}
    response = delegate.post("/cards", data=fields)
    assert response.status_code == 422
    error = error_for(response, "answer-means")
    assert limit in error and "1000" not in error
    assert cards(session) == []


def test_a_limit_of_one_character_is_said_in_the_singular(
    delegate: TestClient, session: Session
) -> None:
    group = session.exec(select(Group).where(Group.slug == "global")).one()
    group.questions = [q | {"max_length": 1} if q["key"] == "means" else q for q in group.questions]
    session.add(group)
    session.commit()
    form = delegate.get("/cards/new?group=global")
    hint = soup(form).select_one('[data-counter-for="answer-means"]')
    assert hint.get_text(strip=True) == "Up to 1 character."
    fields = form_fields(form) | {"answers.commitments": COMMITMENT, "answers.means": "ab"}
    error = error_for(delegate.post("/cards", data=fields), "answer-means")
    assert error == "Keep this answer under 1 character (now 2)."


def test_limits_count_characters_not_bytes_and_line_breaks_once(
    delegate: TestClient, session: Session
) -> None:
    text = ("é" * 499 + "\r\n") + "日" * 500  # 1000 characters once \r\n is one line break
    response = delegate.post("/cards", data=new_card_form(delegate) | {"answers.commitments": text})
    assert response.status_code == 200
    assert len(cards(session)[0].answers["commitments"]) == 1000


def test_control_characters_are_dropped(delegate: TestClient, session: Session) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": "Safe\x00 and\x07 orderly"}
    delegate.post("/cards", data=fields)
    assert cards(session)[0].answers["commitments"] == "Safe and orderly"


def test_card_language_defaults_to_the_interface_language(delegate: TestClient) -> None:
    delegate.cookies.set("lang", "es")
    fields = new_card_form(delegate)
    assert fields["language"] == "es"


def test_delegate_edits_a_card_and_every_version_is_kept(
    delegate: TestClient, session: Session
) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": "First wording."}
    delegate.post("/cards", data=fields)
    edit = form_fields(delegate.get(f"/cards/{fields['card_id']}/edit"))
    assert edit["answers.commitments"] == "First wording."
    assert edit["version"] == "1"
    edit["answers.commitments"] = "Better wording."
    response = delegate.post(f"/cards/{fields['card_id']}/edit", data=edit)
    assert response.status_code == 200
    assert "Better wording." in response.text
    assert "History: 2 versions" in response.text
    [card] = cards(session)
    assert (card.version, card.answers["commitments"]) == (2, "Better wording.")
    history = versions(session, card.id)
    assert [(v.action, v.answers["commitments"]) for v in history] == [
        ("create", "First wording."),
        ("edit", "Better wording."),
    ]


def test_an_edit_from_a_stale_page_does_not_overwrite(
    delegate: TestClient, session: Session
) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": "Original."}
    delegate.post("/cards", data=fields)
    stale = form_fields(delegate.get(f"/cards/{fields['card_id']}/edit"))
    fresh = dict(stale, **{"answers.commitments": "Changed on another phone."})
    delegate.post(f"/cards/{fields['card_id']}/edit", data=fresh)
    stale["answers.commitments"] = "Changed on this phone."
    response = delegate.post(f"/cards/{fields['card_id']}/edit", data=stale)
    assert response.status_code == 409
    assert "changed elsewhere" in response.text
    assert "Changed on another phone." in response.text  # the latest saved version is shown
    assert form_fields(response)["answers.commitments"] == "Changed on this phone."  # kept
    assert cards(session)[0].answers["commitments"] == "Changed on another phone."


def test_delegate_withdraws_a_card_and_its_history_stays(
    delegate: TestClient, session: Session
) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": COMMITMENT}
    delegate.post("/cards", data=fields)
    ask = delegate.get(f"/cards/{fields['card_id']}/withdraw")
    assert "Withdraw this card?" in ask.text
    response = delegate.post(f"/cards/{fields['card_id']}/withdraw")
    assert response.status_code == 200
    assert "Withdrawn" in response.text
    assert "/edit" not in response.text
    [card] = cards(session)
    assert (card.status, card.version) == ("withdrawn", 2)
    assert [v.action for v in versions(session, card.id)] == ["create", "withdraw"]
    assert COMMITMENT in response.text  # still readable


def confirmation(response: Response) -> str:
    """Return the text of the page's confirmation, which focus starts on to be read out."""
    [box] = soup(response).select("[role=status][autofocus]")
    assert box["tabindex"] == "-1"
    return box.get_text(" ", strip=True)


def test_after_an_edit_the_delegate_is_told_it_was_saved(delegate: TestClient) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": "First wording."}
    delegate.post("/cards", data=fields)
    edit = form_fields(delegate.get(f"/cards/{fields['card_id']}/edit"))
    response = delegate.post(f"/cards/{fields['card_id']}/edit", data=edit)  # nothing changed
    assert confirmation(response).startswith("Nothing to save:")
    edit["answers.commitments"] = "Better wording."
    response = delegate.post(f"/cards/{fields['card_id']}/edit", data=edit)
    assert confirmation(response).startswith("Changes saved.")
    assert "Card received." not in response.text


def test_a_withdrawn_card_comes_back_while_intake_is_open(
    delegate: TestClient, app: FastAPI, session: Session, accounts: dict[str, User]
) -> None:
    fields = new_card_form(delegate, "human") | {"answers.commitments": COMMITMENT}
    delegate.post("/cards", data=fields)
    card_id = fields["card_id"]
    withdrawn = delegate.post(f"/cards/{card_id}/withdraw")
    assert confirmation(withdrawn).startswith("Card withdrawn.")
    restore = soup(withdrawn).select_one(f"form[action='/cards/{card_id}/restore']")
    assert restore.select_one("button").get_text(strip=True) == "Restore card"

    response = delegate.post(f"/cards/{card_id}/restore")
    assert response.status_code == 200
    assert confirmation(response).startswith("Card restored.")
    assert "/edit" in response.text and "Restore card" not in response.text
    [card] = cards(session)
    assert (card.status, card.version) == ("active", 3)
    assert [v.action for v in versions(session, card_id)] == ["create", "withdraw", "reinstate"]
    assert versions(session, card_id)[-1].answers == {"commitments": COMMITMENT}
    assert "restored" in response.text  # in the history
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "card.reinstate")).all()
    assert (event.actor_name, event.target_id) == ("Mexico", card_id)

    with browser_like(app) as ravi:  # the rapporteurs count it again
        sign_in_as(ravi, "ravi")
        workspace = soup(ravi.get("/groups/human"))
        [shown] = workspace.select(".ws-card")
        assert "place-withdrawn" not in shown["class"]
        assert not shown.select(".badge.withdrawn")
        assert not soup(ravi.get("/groups/human?status=withdrawn")).select(".ws-card")


def test_a_withdrawn_card_stays_withdrawn_once_intake_closes(
    delegate: TestClient, session: Session
) -> None:
    fields = new_card_form(delegate, "human") | {"answers.commitments": COMMITMENT}
    delegate.post("/cards", data=fields)
    card_id = fields["card_id"]
    delegate.post(f"/cards/{card_id}/withdraw")
    close_intake(session, "human")
    page = delegate.get(f"/cards/{card_id}")
    assert "Restore card" not in page.text
    assert "can no longer be restored" in page.text
    response = delegate.post(f"/cards/{card_id}/restore")  # from a page opened before
    assert response.status_code == 409
    [alert] = soup(response).select("[role=alert]")
    assert "intake is closed" in alert.get_text()
    [card] = cards(session)
    assert (card.status, card.version) == ("withdrawn", 2)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "card.reinstate")).all() == []


def test_the_list_shows_the_delegations_own_cards(delegate: TestClient, client: TestClient) -> None:
    delegate.post("/cards", data=new_card_form(delegate) | {"answers.commitments": COMMITMENT})
    response = delegate.get("/cards")
    items = soup(response).select(".card-list li")
    assert len(items) == 1
    assert "1. Global dimension" in items[0].get_text()


def test_another_delegation_cannot_see_or_change_a_card(
    delegate: TestClient, app: FastAPI, session: Session, meeting: Meeting
) -> None:
    fields = new_card_form(delegate) | {"answers.commitments": COMMITMENT}
    delegate.post("/cards", data=fields)
    with browser_like(app) as other:
        other.post("/join", data={"code": code_for(session, meeting, "France")})
        card_id = fields["card_id"]
        assert other.get(f"/cards/{card_id}").status_code == 404
        assert other.get(f"/cards/{card_id}/edit").status_code == 404
        assert other.post(f"/cards/{card_id}/withdraw").status_code == 404
        assert other.post(f"/cards/{card_id}/restore").status_code == 404
        edit = fields | {"answers.commitments": "Hijacked", "version": "1"}
        assert other.post(f"/cards/{card_id}/edit", data=edit).status_code == 404
        # Reusing another delegation's card id does not attach to or reveal that card.
        response = other.post("/cards", data=fields)
        assert response.status_code == 409
    assert cards(session)[0].answers["commitments"] == COMMITMENT


def close_intake(session: Session, slug: str) -> None:
    group = session.exec(select(Group).where(Group.slug == slug)).one()
    group.intake_open = False
    session.add(group)
    session.commit()


def test_closed_intake_refuses_new_cards_edits_and_withdrawals(
    delegate: TestClient, session: Session
) -> None:
    fields = new_card_form(delegate, "human") | {"answers.commitments": COMMITMENT}
    delegate.post("/cards", data=fields)
    late = new_card_form(delegate, "human") | {"answers.commitments": "Late card."}
    close_intake(session, "human")

    response = delegate.post("/cards", data=late)
    assert response.status_code == 422
    assert "intake is closed" in error_for(response, "group")
    assert form_fields(response)["answers.commitments"] == "Late card."

    page = delegate.get(f"/cards/{fields['card_id']}")
    assert "can no longer be changed" in page.text
    assert "/edit" not in page.text
    edit = fields | {"answers.commitments": "Changed late.", "version": "1"}
    assert delegate.post(f"/cards/{fields['card_id']}/edit", data=edit).status_code == 422
    assert delegate.post(f"/cards/{fields['card_id']}/withdraw").status_code == 409
    [card] = cards(session)
    assert (card.answers["commitments"], card.status) == (COMMITMENT, "active")
    home = delegate.get("/")
    assert "Closed: no new cards" in home.text


def test_pages_for_delegates_send_strangers_to_the_join_page(client: TestClient) -> None:
    response = client.get("/cards/new?group=global", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/join?next=/cards/new%3Fgroup%3Dglobal"


def test_group_poster_opens_the_groups_form(delegate: TestClient) -> None:
    response = delegate.get("/g/community")
    assert response.url.path == "/cards/new"
    assert soup(response).select_one("#group option[selected]")["value"] == "community"
    assert delegate.get("/g/nowhere").status_code == 404


def test_follow_up_session_asks_its_own_questions(delegate: TestClient, session: Session) -> None:
    response = delegate.get("/cards/new?group=follow-up")
    fields = form_fields(response)
    assert "answers.framework" in fields and "answers.commitments" not in fields
    # Its group list holds only sessions that ask the same questions.
    assert [o["value"] for o in soup(response).select("#group option")] == ["follow-up"]
    fields["answers.framework"] = "A state-led review forum every four years."
    assert delegate.post("/cards", data=fields).status_code == 200
    assert cards(session)[0].answers == {"framework": "A state-led review forum every four years."}


def test_concurrent_writers_never_meet_a_locked_database(
    engine: Engine, session: Session, meeting: Meeting
) -> None:
    errors: list[Exception] = []

    def write(name: str) -> None:
        try:
            with Session(engine) as own:
                for n in range(15):
                    add_card(own, meeting, "local", name, "en", {"commitments": f"{name} {n}"})
        except Exception as error:  # noqa: BLE001  (collected and asserted below)
            errors.append(error)

    names = ["Chile", "Peru", "Ghana", "Mali", "Nepal", "Fiji", "Oman", "Iraq", "Chad", "Togo"]
    threads = [threading.Thread(target=write, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cards(session)) == 150
