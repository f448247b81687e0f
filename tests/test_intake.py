"""Cards sent at once are stored together, each exactly once, and anything unusual takes the
full path that explains it (app.intake)."""

import asyncio
import threading
import uuid

import pytest
from anyio.from_thread import start_blocking_portal
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app import intake
from app.auth import start_delegate_session
from app.cards import new_card, read_card_input
from app.intake import Intake, Submission, store_batch
from app.limits import limiter
from app.models import AccessCode, AuditEvent, Card, CardVersion, Delegation, Group, Meeting
from app.settings import get_settings
from tests.conftest import code_for
from tests.helpers import cards, versions

COMMITMENT = "Regular pathways for family reunification, processed within six months."


def form(group: str = "human", commitments: str = COMMITMENT) -> dict[str, str]:
    return {"group": group, "language": "en", "answers.commitments": commitments}


def sign_in(session: Session, meeting: Meeting, name: str) -> tuple[str, Delegation]:
    """Return the session token of a phone signed in with the delegation's code."""
    code_for(session, meeting, name)
    delegation = session.exec(select(Delegation).where(Delegation.name == name)).one()
    access = session.exec(select(AccessCode).where(AccessCode.delegation_id == delegation.id)).one()
    return start_delegate_session(session, meeting, delegation, access), delegation


def submission(token: str, card_id: str = "", **fields: str) -> Submission:
    return Submission(token, "192.0.2.1", card_id or str(uuid.uuid4()), form(**fields))


def test_a_batch_stores_the_plain_new_cards_and_leaves_the_rest_to_the_full_path(
    session: Session, meeting: Meeting
) -> None:
    mexico, _ = sign_in(session, meeting, "Mexico")
    france, paris = sign_in(session, meeting, "France")
    closed = session.exec(select(Group).where(Group.slug == "global")).one()
    closed.intake_open = False
    session.add(closed)
    session.commit()
    stored_before = submission(mexico)
    assert store_batch(session, [stored_before]) == [True]
    twin = submission(mexico)
    limit = get_settings().cards_per_minute_per_delegation
    for _ in range(limit):
        limiter.count("cards-delegation", str(paris.id))
    batch = [
        submission(mexico),  # plain: stored
        twin,  # plain: stored
        Submission(mexico, twin.address, twin.card_id, twin.form),  # twin in the same batch
        Submission(mexico, "192.0.2.1", stored_before.card_id, form()),  # id already stored
        submission("not-a-session"),  # signed out
        submission(mexico, commitments=""),  # a required answer missing
        submission(mexico, group="global"),  # intake closed
        submission(mexico, group="nowhere"),  # no such group
        submission(france),  # France sends faster than its rate
    ]
    assert store_batch(session, batch) == [True, True] + [False] * 7
    stored = {card.id: card for card in cards(session)}
    assert set(stored) == {stored_before.card_id, batch[0].card_id, twin.card_id}
    for card_id in stored:
        [version] = versions(session, card_id)
        assert (version.action, version.version, version.answers) == (
            "create",
            1,
            {"commitments": COMMITMENT},
        )
    events = session.exec(select(AuditEvent.target_id).where(AuditEvent.action == "card.create"))
    assert sorted(events) == sorted(stored)


def test_cards_waiting_together_are_stored_in_one_batch(
    engine: Engine, session: Session, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = sign_in(session, meeting, "Mexico")
    sizes: list[int] = []
    first_may_finish = threading.Event()

    def watched(session: Session, batch: list[Submission]) -> list[bool]:
        sizes.append(len(batch))
        first_may_finish.wait(timeout=10)  # the others arrive while the first is stored
        return store_batch(session, batch)

    monkeypatch.setattr(intake, "store_batch", watched)
    sent = [submission(token) for _ in range(12)]

    async def send_all() -> list[bool]:
        waiting = Intake(engine)
        tasks = [asyncio.create_task(waiting.store(s)) for s in sent]
        await asyncio.sleep(0.2)  # every task has queued its card
        first_may_finish.set()
        return await asyncio.gather(*tasks)

    # A loop in a thread of its own: the browser tests' Playwright keeps one running here.
    with start_blocking_portal() as portal:
        assert portal.call(send_all) == [True] * 12
    assert sizes == [1, 11]
    assert {card.id for card in cards(session)} == {s.card_id for s in sent}


def test_many_phones_sending_at_once_each_get_their_own_answer(
    app: object, session: Session, meeting: Meeting
) -> None:
    """Twenty phones over HTTP at once, one card refused among them: each answer is right."""
    names = ["Mexico", "France", "Germany", "Morocco", "Philippines"]
    codes = [code_for(session, meeting, name) for name in names]
    answers: dict[str, tuple[int, str]] = {}
    card_ids = [str(uuid.uuid4()) for _ in range(20)]

    def phone(number: int, client: TestClient) -> None:
        commitments = "" if number == 7 else f"{COMMITMENT} ({number})"
        fields = form(commitments=commitments) | {"card_id": card_ids[number]}
        response = client.post("/cards", data=fields, follow_redirects=False)
        answers[card_ids[number]] = (response.status_code, response.headers.get("location", ""))

    clients = [TestClient(app, headers={"Origin": "http://testserver"}) for _ in codes]  # type: ignore[arg-type]
    for client, code in zip(clients, codes, strict=True):
        client.__enter__()
        client.post("/join", data={"code": code})
    threads = [
        threading.Thread(target=phone, args=(n, clients[n % len(clients)])) for n in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.__exit__(None, None, None)
    refused = card_ids[7]
    assert answers.pop(refused)[0] == 422  # the form again, with its message
    for card_id, (status, location) in answers.items():
        assert (status, location) == (303, f"/cards/{card_id}?sent=1")
    stored = cards(session)
    assert sorted(card.id for card in stored) == sorted(answers)
    count = select(func.count()).select_from(CardVersion)
    assert session.exec(count).one() == 19


def test_a_twin_stored_meanwhile_sends_the_batch_down_the_full_path(
    delegate: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another server stored the same card between the batch's look and its insert."""
    fields = form() | {"card_id": str(uuid.uuid4())}
    assert delegate.post("/cards", data=fields, follow_redirects=False).status_code == 303
    monkeypatch.setattr(intake, "taken_ids", lambda _session, _ids: set())
    again = delegate.post("/cards", data=fields, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (
        303,
        f"/cards/{fields['card_id']}?sent=1",
    )
    assert len(cards(session)) == 1
    assert len(versions(session, fields["card_id"])) == 1


def test_a_failing_batch_never_loses_the_card(
    delegate: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_session: Session, _batch: list[Submission]) -> list[bool]:
        raise RuntimeError("the batch broke")

    monkeypatch.setattr(intake, "store_batch", broken)
    fields = form() | {"card_id": str(uuid.uuid4())}
    response = delegate.post("/cards", data=fields, follow_redirects=False)
    assert response.headers["location"] == f"/cards/{fields['card_id']}?sent=1"
    assert [card.id for card in cards(session)] == [fields["card_id"]]


def test_the_rows_of_a_new_card_fill_every_column(session: Session, meeting: Meeting) -> None:
    """The intake inserts these rows as they are: a column left out would be stored empty."""
    delegation = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    group = session.exec(select(Group).where(Group.slug == "human")).one()
    card = read_card_input(meeting, [group], form(), {"commitments": COMMITMENT})
    _card, rows = new_card(meeting, delegation, str(uuid.uuid4()), card)
    for model, row in rows:
        columns = set(model.__table__.columns.keys())  # type: ignore[attr-defined]
        assert set(row) == columns - {"id"} if model is not Card else set(row) == columns


def test_a_bearer_code_outranks_the_cookie_as_on_the_full_path(
    delegate: TestClient, session: Session, meeting: Meeting
) -> None:
    """Signed in as Mexico, posting with France's code: the card is France's, as elsewhere."""
    france = code_for(session, meeting, "France")
    fields = form() | {"card_id": str(uuid.uuid4())}
    response = delegate.post(
        "/cards", data=fields, headers={"Authorization": f"Bearer {france}"}, follow_redirects=False
    )
    assert response.status_code == 303
    [card] = cards(session)
    assert session.get(Delegation, card.delegation_id).name == "France"  # type: ignore[union-attr]
