"""Speakers lists: moderators run the round, the clock keeps its time, interventions count."""

import json
import threading
from datetime import timedelta

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import exc
from sqlmodel import Session, select

from app import floor
from app.meetings import MeetingFileError, load_meeting
from app.models import AuditEvent, Delegation, FloorRequest, Group, Meeting, User, utcnow
from tests.browser import serve
from tests.conftest import PASSWORD, browser_like, make_user, sign_in_as


@pytest.fixture
def moderator(client: TestClient, session: Session, meeting: Meeting) -> TestClient:
    """A browser signed in as the moderator of the human dimension."""
    make_user(session, "mona", "moderator", ("human",))
    return sign_in_as(client, "mona")


def human_group(session: Session) -> Group:
    return session.exec(select(Group).where(Group.slug == "human")).one()


def version(session: Session) -> int:
    session.expire_all()
    return floor.version(session, human_group(session).id or 0)


def add(client: TestClient, name: str, kind: str = "statement") -> None:
    response = client.post("/floor/human/add", data={"delegation": name, "kind": kind})
    assert response.status_code == 200, response.text  # followed the redirect


def act(client: TestClient, session: Session, action: str) -> int:
    response = client.post(f"/floor/human/{action}", data={"version": version(session)})
    return response.status_code


def rows(session: Session) -> list[FloorRequest]:
    session.expire_all()
    return list(session.exec(select(FloorRequest).order_by(FloorRequest.id)))


def test_a_moderator_adds_speakers_and_a_point_of_order_goes_to_the_top(
    moderator: TestClient, session: Session
) -> None:
    add(moderator, "Mexico")
    add(moderator, "belg")  # the one name starting so
    add(moderator, "Kenya", "point_of_order")
    names = [e.name for e in floor.entries(session, floor.waiting(session, human_group(session)))]
    assert names == ["Kenya", "Mexico", "Belgium"]
    page = moderator.get("/floor/human").text
    queue = page[page.index('class="floor-queue"') :]
    assert queue.index("Kenya") < queue.index("Mexico") < queue.index("Belgium")
    assert "<kbd>N</kbd>" in page


def test_a_delegation_waits_once_per_kind_and_a_wrong_name_is_said_next_to_the_field(
    moderator: TestClient, session: Session
) -> None:
    add(moderator, "Mexico")
    again = moderator.post("/floor/human/add", data={"delegation": "Mexico", "kind": "statement"})
    assert again.status_code == 422
    assert "already waiting" in again.text
    add(moderator, "Mexico", "reply")  # another kind: a second wait
    unknown = moderator.post(
        "/floor/human/add", data={"delegation": "Atlantis", "kind": "statement"}
    )
    assert unknown.status_code == 422
    assert 'id="delegation-error"' in unknown.text and 'value="Atlantis"' in unknown.text
    bad_kind = moderator.post("/floor/human/add", data={"delegation": "Kenya", "kind": "speech"})
    assert bad_kind.status_code == 422 and 'id="kind-error"' in bad_kind.text
    assert len(rows(session)) == 2


def test_a_round_next_pause_resume_end_records_the_intervention(
    moderator: TestClient, session: Session
) -> None:
    add(moderator, "Mexico")
    add(moderator, "Kenya")
    assert act(moderator, session, "next") == 200
    mexico = rows(session)[0]
    assert floor.state_of(mexico) == "speaking" and mexico.allowed_seconds == 120
    assert act(moderator, session, "pause") == 200
    paused = rows(session)[0]
    assert floor.state_of(paused) == "paused" and paused.deadline is None
    assert 119 < (paused.seconds_left or 0) <= 120
    assert act(moderator, session, "resume") == 200
    # Three minutes pass: a minute over time.
    running = rows(session)[0]
    running.deadline = (running.deadline or utcnow()) - timedelta(minutes=3)
    session.add(running)
    session.commit()
    assert act(moderator, session, "next") == 200  # ends Mexico, calls Kenya
    mexico, kenya = rows(session)
    assert floor.state_of(mexico) == "done" and floor.state_of(kenya) == "speaking"
    assert mexico.overrun_seconds == 60 and mexico.spoken_seconds == 180
    assert act(moderator, session, "end") == 200
    assert floor.state_of(rows(session)[1]) == "done"
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("floor.call") == 2 and "floor.pause" in actions and "floor.end" in actions


def test_put_back_returns_the_last_speaker_to_the_top(
    moderator: TestClient, session: Session
) -> None:
    for name in ("Mexico", "Kenya", "Belgium"):
        add(moderator, name)
    act(moderator, session, "next")
    assert act(moderator, session, "put-back") == 200
    names = [e.name for e in floor.entries(session, floor.waiting(session, human_group(session)))]
    assert names == ["Mexico", "Kenya", "Belgium"]
    assert floor.current(session, human_group(session)) is None


def test_reorder_by_buttons_and_take_off(moderator: TestClient, session: Session) -> None:
    for name in ("Mexico", "Kenya", "Belgium"):
        add(moderator, name)
    belgium = rows(session)[2]
    url = f"/floor/human/requests/{belgium.id}"
    assert moderator.post(f"{url}/up", data={"version": version(session)}).status_code == 200
    names = [e.name for e in floor.entries(session, floor.waiting(session, human_group(session)))]
    assert names == ["Mexico", "Belgium", "Kenya"]
    assert moderator.post(f"{url}/remove", data={"version": version(session)}).status_code == 200
    names = [e.name for e in floor.entries(session, floor.waiting(session, human_group(session)))]
    assert names == ["Mexico", "Kenya"]


def test_a_page_showing_an_old_version_changes_nothing(
    moderator: TestClient, session: Session
) -> None:
    add(moderator, "Mexico")
    add(moderator, "Kenya")
    seen = version(session)
    assert moderator.post("/floor/human/next", data={"version": seen}).status_code == 200
    late = moderator.post("/floor/human/next", data={"version": seen})  # the other moderator
    assert late.status_code == 409
    assert "Another moderator changed the list" in late.text
    assert [floor.state_of(r) for r in rows(session)] == ["speaking", "waiting"]


def test_two_moderators_calling_at_once_give_the_floor_to_one(
    app, session: Session, meeting: Meeting
) -> None:
    make_user(session, "mona", "moderator", ("human",))
    make_user(session, "milo", "moderator", ("human",))
    first, second = browser_like(app), browser_like(app)
    sign_in_as(first, "mona"), sign_in_as(second, "milo")
    add(first, "Mexico")
    add(first, "Kenya")
    seen = version(session)
    barrier, codes = threading.Barrier(2), []

    def call(client: TestClient) -> None:
        barrier.wait()
        codes.append(client.post("/floor/human/next", data={"version": seen}).status_code)

    threads = [threading.Thread(target=call, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    assert [floor.state_of(r) for r in rows(session)] == ["speaking", "waiting"]


def test_the_database_refuses_a_second_speaker(session: Session, meeting: Meeting) -> None:
    group = human_group(session)
    ids = [d.id for d in session.exec(select(Delegation).limit(2))]
    now = utcnow()
    for delegation_id in ids:
        session.add(
            FloorRequest(
                group_id=group.id or 0,
                delegation_id=delegation_id or 0,
                kind="statement",
                started_at=now,
                deadline=now,
            )
        )
    with pytest.raises(exc.IntegrityError):
        session.commit()


def test_a_closed_list_takes_no_one_new_but_still_calls(
    moderator: TestClient, session: Session
) -> None:
    add(moderator, "Mexico")
    assert moderator.post("/floor/human/close").status_code == 200
    refused = moderator.post("/floor/human/add", data={"delegation": "Kenya", "kind": "statement"})
    assert refused.status_code == 422 and "closed" in refused.text
    assert act(moderator, session, "next") == 200
    assert moderator.post("/floor/human/open").status_code == 200
    add(moderator, "Kenya")


def test_the_state_carries_the_server_time_and_a_deadline(
    moderator: TestClient, session: Session
) -> None:
    add(moderator, "Mexico")
    add(moderator, "Kenya")
    act(moderator, session, "next")
    state = moderator.get("/floor/human/state").json()
    assert state["current"]["name"] == "Mexico" and state["current"]["state"] == "speaking"
    assert 0 < state["current"]["deadline"] - state["now"] <= 120
    assert [n["name"] for n in state["next"]] == ["Kenya"]
    assert state["group"] == "6. Human dimension"


def test_state_survives_a_new_app_on_the_same_database(
    moderator: TestClient, session: Session, engine, meeting: Meeting
) -> None:
    from app.db import get_session, open_session
    from app.main import create_app

    add(moderator, "Mexico")
    act(moderator, session, "next")
    act(moderator, session, "pause")
    before = moderator.get("/floor/human/state").json()["current"]
    restarted = create_app()

    async def override():  # type: ignore[no-untyped-def]
        async for s in open_session(engine):
            yield s

    restarted.dependency_overrides[get_session] = override
    with browser_like(restarted) as again:
        sign_in_as(again, "mona")
        after = again.get("/floor/human/state").json()["current"]
    assert after["state"] == "paused" and after["seconds_left"] == before["seconds_left"]


def test_a_rapporteur_cannot_run_the_list_but_the_secretariat_can(
    client: TestClient, accounts: dict[str, User], session: Session
) -> None:
    sign_in_as(client, "ravi")
    assert client.get("/floor/human").status_code == 403
    assert client.get("/floor/human/projector").status_code == 200
    sign_in_as(client, "sam")
    assert client.get("/floor/human").status_code == 200
    add(client, "Mexico")


def test_a_moderator_does_not_read_the_rapporteurs_workspace(
    moderator: TestClient, session: Session
) -> None:
    assert moderator.get("/groups/human").status_code == 403
    assert moderator.get("/floor/global").status_code == 403


def test_a_delegate_asks_for_the_floor_and_withdraws(
    delegate: TestClient, session: Session
) -> None:
    page = delegate.get("/speak")
    assert page.status_code == 200 and "Ask for the floor" in page.text
    asked = delegate.post("/speak", data={"group": "human", "kind": "statement"})
    assert asked.status_code == 200 and "Your place on the list: 1" in asked.text
    twice = delegate.post("/speak", data={"group": "human", "kind": "statement"})
    assert twice.status_code == 422 and "already waiting" in twice.text
    request = rows(session)[0]
    assert request.source == "delegation"
    gone = delegate.post(f"/speak/{request.id}/withdraw")
    assert gone.status_code == 200 and "withdrawn" in gone.text
    assert floor.state_of(rows(session)[0]) == "withdrawn"
    again = delegate.post(f"/speak/{request.id}/withdraw")
    assert again.status_code == 409


def test_a_delegate_cannot_withdraw_another_delegations_request(
    delegate: TestClient, session: Session, meeting: Meeting
) -> None:
    kenya = session.exec(select(Delegation).where(Delegation.name == "Kenya")).one()
    other = floor.add(session, meeting, human_group(session), kenya, "statement")
    session.commit()
    assert delegate.post(f"/speak/{other.id}/withdraw").status_code == 409
    assert floor.state_of(rows(session)[0]) == "waiting"


SMALL = """slug = "small"
venue = "Geneva"
start_date = 2018-01-10
end_date = 2018-01-10
name = { en = "A small meeting" }
[questions.commitments]
label = { en = "Commitments" }
[[groups]]
slug = "one"
number = 1
questions = ["commitments"]
title = { en = "One" }
"""


def test_speaking_time_comes_from_the_meeting_file_with_defaults(
    session: Session, meeting: Meeting, tmp_path
) -> None:
    assert floor.seconds_for(meeting) == {"statement": 120, "point_of_order": 60, "reply": 60}
    assert floor.warning_for(meeting) == 30
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    small = load_meeting(session, path)
    assert floor.seconds_for(small)["statement"] == 120  # the file says nothing: defaults
    group = session.exec(select(Group).where(Group.meeting_id == small.id)).one()
    assert floor.list_of(session, group).version == 0  # its list exists, open and empty
    path.write_text(SMALL + "[floor]\nwarning_seconds = 15\n[floor.seconds]\nstatement = 180\n")
    small = load_meeting(session, path)
    assert floor.seconds_for(small) == {"statement": 180}  # only statements allowed
    assert floor.warning_for(small) == 15
    path.write_text(SMALL + "[floor]\nwarning_seconds = 15\n[floor.seconds]\nspeech = 180\n")
    with pytest.raises(MeetingFileError, match="'speech' is not a kind"):
        load_meeting(session, path)


def test_the_audit_log_says_what_moderators_did(
    moderator: TestClient, session: Session, accounts: dict[str, User]
) -> None:
    add(moderator, "Mexico")
    act(moderator, session, "next")
    sign_in_as(moderator, "sam")
    log = moderator.get("/audit").text
    assert "Mona (mona) put Mexico on the speakers list." in log
    assert "Mona (mona) gave the floor to Mexico." in log


def test_the_event_stream_sends_each_change_from_the_database(
    app, session: Session, meeting: Meeting, accounts: dict[str, User]
) -> None:
    group = human_group(session)
    mexico = session.exec(select(Delegation).where(Delegation.name == "Mexico")).one()
    with serve(app) as url, httpx.Client(base_url=url, headers={"Origin": url}) as http:
        http.post("/signin", data={"username": "cora", "password": PASSWORD})
        headers = {"Accept": "text/event-stream"}
        with http.stream("GET", "/floor/human/events", headers=headers, timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            states = (
                json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")
            )
            first = next(states)
            assert first["current"] is None and first["waiting"] == 0
            # Written straight to the database, as another app server would.
            floor.add(session, meeting, group, mexico, "statement")
            session.commit()
            second = next(states)
            assert second["version"] == first["version"] + 1 and second["waiting"] == 1


def test_a_client_that_asks_for_no_stream_gets_one_state(moderator: TestClient) -> None:
    response = moderator.get("/floor/human/events")
    assert response.status_code == 200
    [line] = [line for line in response.text.splitlines() if line]
    assert json.loads(line.removeprefix("data: "))["group"] == "6. Human dimension"


def test_withdrawing_asks_for_a_signed_in_delegation(client: TestClient) -> None:
    response = client.post("/speak/1/withdraw", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/join")
