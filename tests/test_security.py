"""Headers, forged posts, oversized bodies, floods and guessing, and hostile text."""

import itertools
import threading
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.access import display
from app.counters import DatabaseCounters
from app.grouping import create_recommendation
from app.limits import FAILURE_WINDOW, Keys, Limiter, Pace, TooManyRequests, limiter
from app.models import Card, DelegateSession, Delegation, Group, Meeting, User
from app.routes import join
from app.settings import get_settings
from tests.conftest import (
    HOSTILE,
    ON_POSTGRESQL,
    PASSWORD,
    add_card,
    browser_like,
    code_for,
    sign_in_as,
)
from tests.helpers import cards, error_for, form_fields, soup


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/join", "/nowhere", "/static/app.css", "/api/groups", "/healthz"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers


def test_hsts_behind_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://cards.example.org") as https:
        assert https.get("/join").headers["strict-transport-security"] == "max-age=31536000"


def test_cookies_are_http_only_and_same_site(client: TestClient, mexico: str) -> None:
    response = client.post("/join", data={"code": mexico}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_forged_post_from_another_site_is_refused(
    app: FastAPI, delegate: TestClient, session: Session
) -> None:
    form = form_fields(delegate.get("/cards/new?group=global"))
    form["answers.commitments"] = "Forged"
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "", "Referer": ""},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
    ):
        response = delegate.post("/cards", data=form, headers=headers)
        assert response.status_code == 403, headers
    assert cards(session) == []
    referer_only = delegate.post(
        "/cards", data=form, headers={"Origin": "", "Referer": "http://testserver/cards/new"}
    )
    assert referer_only.status_code == 200


def test_bearer_api_calls_need_no_origin(app: FastAPI, mexico: str) -> None:
    with TestClient(app) as script:  # no Origin, no cookie: an integration
        card = {"group": "human", "answers": {"commitments": "x"}, "language": "en"}
        response = script.post(
            "/api/cards", json=card, headers={"Authorization": f"Bearer {mexico}"}
        )
        assert response.status_code == 201


def test_bodies_over_64_kb_get_413(client: TestClient, mexico: str) -> None:
    big = {"group": "human", "answers": {"commitments": "x" * 70_000}, "language": "en"}
    response = client.post("/api/cards", json=big, headers={"Authorization": f"Bearer {mexico}"})
    assert response.status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"a" * 8192

    streamed = client.post(
        "/api/cards",
        content=chunks(),
        headers={"Authorization": f"Bearer {mexico}", "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    form = client.post(
        "/join", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 413


def test_card_floods_get_429_with_retry_after_and_the_text_kept(
    delegate: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "cards_per_minute_per_delegation", 2)
    for n in range(2):
        form = form_fields(delegate.get("/cards/new?group=global"))
        delegate.post("/cards", data=form | {"answers.commitments": f"Card {n}"})
    form = form_fields(delegate.get("/cards/new?group=global"))
    response = delegate.post("/cards", data=form | {"answers.commitments": "One too many"})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "very fast" in response.text
    assert form_fields(response)["answers.commitments"] == "One too many"
    assert len(cards(session)) == 2


def test_the_api_is_rate_limited_too(
    client: TestClient, mexico: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "cards_per_minute_per_address", 1)
    card = {"group": "human", "answers": {"commitments": "x"}, "language": "en"}
    headers = {"Authorization": f"Bearer {mexico}"}
    assert client.post("/api/cards", json=card, headers=headers).status_code == 201
    refused = client.post("/api/cards", json=card, headers=headers)
    assert refused.status_code == 429 and "Retry-After" in refused.headers


class FakeTime:
    """The limiter's clock and sleep, moved by hand: a paced request waits without waiting.

    frozen: requests arrive together, as from many phones at once (waiting moves no clock).
    """

    def __init__(self, engine: Engine) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.frozen = False
        self.engine = engine
        self.connections_held: list[int] = []  # while each paced request waited

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.connections_held.append(self.engine.pool.checkedout())  # type: ignore[attr-defined]
        if not self.frozen:
            self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> FakeTime:
    fake = FakeTime(engine)
    monkeypatch.setattr(limiter, "clock", fake.clock, raising=False)
    monkeypatch.setattr(limiter, "sleep", fake.sleep, raising=False)
    return fake


def wrong_codes(n: int) -> list[str]:
    """Well-formed codes (from the alphabet, of the right length) that no delegation has."""
    digits = "2346789"
    return ["ZZZZ" + "".join(p) for p in itertools.islice(itertools.product(digits, repeat=4), n)]


def signed_in_phones(session: Session) -> int:
    session.expire_all()
    return len(list(session.exec(select(DelegateSession))))


def test_a_correct_code_gets_in_after_sixty_wrong_ones_from_its_address(
    client: TestClient, mexico: str, fake_time: FakeTime
) -> None:
    """Hundreds of phones share a venue's address: others' typos never lock a delegation out."""
    settings = get_settings()
    for guess in wrong_codes(60):
        assert client.post("/join", data={"code": guess}).status_code == 422
    # Past the allowance each try waits for its turn, one a second, and is then tried.
    paced = 60 - settings.failures_per_address
    assert fake_time.slept == [settings.code_interval] * (paced - 1)
    response = client.post("/join", data={"code": display(mexico)}, follow_redirects=False)
    assert response.status_code == 303
    assert fake_time.slept == [settings.code_interval] * paced
    assert client.get(f"/j/{mexico}", follow_redirects=False).status_code == 303


def test_a_room_of_phones_scanning_right_codes_at_once_all_get_in(
    app: FastAPI, session: Session, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The venue's Wi-Fi is one address: right codes being checked are no wrong codes."""
    monkeypatch.setattr(get_settings(), "failures_per_address", 3)
    slow = join.find_active

    def find_slowly(*args: object) -> object:
        time.sleep(0.05)  # a busy server: many tries are being checked at the same time
        return slow(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(join, "find_active", find_slowly)
    names = session.exec(select(Delegation.name).order_by(Delegation.name).limit(16)).all()
    codes = [code_for(session, meeting, name) for name in names]
    start = threading.Barrier(len(codes))
    answers: list[tuple[int, str]] = []

    def phone(code: str) -> None:
        with browser_like(app) as client:
            start.wait()
            response = client.get(f"/j/{code}", follow_redirects=False)
            answers.append((response.status_code, response.headers.get("location", "")))

    threads = [threading.Thread(target=phone, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [(303, "/")] * len(codes)
    assert signed_in_phones(session) == len(codes)


def test_guesses_faster_than_the_pace_wait_their_turn_or_are_refused_untried(
    client: TestClient, session: Session, mexico: str, fake_time: FakeTime
) -> None:
    settings = get_settings()
    fake_time.frozen = True  # all at once: each waits a second more than the one before
    queue = int(settings.pace_max_wait / settings.code_interval) + 1
    for guess in wrong_codes(settings.failures_per_address + queue):
        assert client.post("/join", data={"code": guess}).status_code == 422
    assert max(fake_time.slept) == settings.pace_max_wait
    refused = client.post("/join", data={"code": mexico}, follow_redirects=False)
    assert refused.status_code == 429
    wait = int(queue * settings.code_interval)
    assert refused.headers["retry-after"] == str(wait)
    assert error_for(refused, "code") == (
        f"Too many wrong codes were tried from this network. Wait {wait} seconds, then try again."
    )
    assert soup(refused).select_one("#code")["value"] == mexico
    assert signed_in_phones(session) == 0  # refused before the code was even looked up
    assert client.get(f"/j/{mexico}").status_code == 429
    fake_time.now += wait
    assert client.get(f"/j/{mexico}", follow_redirects=False).status_code == 303


def test_a_try_waiting_for_its_turn_holds_no_database_connection(
    client: TestClient, accounts: dict, mexico: str, fake_time: FakeTime
) -> None:
    """Else a few hundred paced guesses would hold every connection the pool has."""
    before = fake_time.engine.pool.checkedout()  # type: ignore[attr-defined]  # the test's own
    for _ in range(get_settings().failures_per_name + 2):
        client.post("/signin", data={"username": "ravi", "password": "x"})
    for guess in wrong_codes(get_settings().failures_per_address + 2):
        client.post("/join", data={"code": guess})
    client.get(f"/j/{mexico}")
    assert len(fake_time.slept) == 3
    assert fake_time.connections_held == [before] * 3


def test_bearer_codes_take_turns_with_typed_ones(
    app: FastAPI, client: TestClient, mexico: str, fake_time: FakeTime
) -> None:
    """A script is told when its turn comes (it never waits holding a connection)."""
    settings = get_settings()
    fake_time.frozen = True
    with TestClient(app) as script:

        def call(code: str) -> Response:
            headers = {"Authorization": f"Bearer {code}"}
            return script.get("/api/groups/global/cards", headers=headers)

        answers = [call(code) for code in wrong_codes(120)]
        # The free allowance, then the one try whose turn was now; the others are told when.
        statuses = [a.status_code for a in answers]
        assert statuses == [401] * (settings.failures_per_address + 1) + [429] * (
            120 - settings.failures_per_address - 1
        )
        assert "Too many tries" in answers[-1].json()["detail"]
        assert answers[-1].headers["retry-after"] == "1"
        # One bucket: a code typed at /join from the same address waits for that turn.
        response = client.post("/join", data={"code": mexico}, follow_redirects=False)
        assert response.status_code == 303 and fake_time.slept == [settings.code_interval]
        assert call(mexico).status_code == 429  # the next turn is a second away
        fake_time.now += 2 * settings.code_interval
        assert call(mexico).status_code == 200


def test_a_form_post_with_a_bearer_code_takes_its_turn_too(
    delegate: TestClient, session: Session, mexico: str, fake_time: FakeTime
) -> None:
    """POST /cards reads a Bearer code in a worker thread, which never waits: it says when."""
    settings = get_settings()
    fake_time.frozen = True
    for code in wrong_codes(settings.failures_per_address + 2):
        delegate.get("/api/groups/global/cards", headers={"Authorization": f"Bearer {code}"})
    fields = form_fields(delegate.get("/cards/new?group=global"))
    response = delegate.post("/cards", data=fields, headers={"Authorization": f"Bearer {mexico}"})
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert cards(session) == []


def test_the_owner_signs_in_after_six_wrong_passwords(
    client: TestClient, accounts: dict, fake_time: FakeTime
) -> None:
    for _ in range(6):
        assert client.post("/signin", data={"username": "ravi", "password": "x"}).status_code == 422
    response = client.post(
        "/signin", data={"username": "Ravi ", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/groups"
    assert fake_time.slept == [1.0]


def test_guessing_a_password_is_paced_ever_slower(
    client: TestClient, accounts: dict, fake_time: FakeTime
) -> None:
    settings = get_settings()
    wrong = {"username": "ravi", "password": "x"}
    for _ in range(settings.failures_per_name + 5):
        assert client.post("/signin", data=wrong).status_code == 422
    assert fake_time.slept == [1.0, 2.0, 4.0, 8.0]  # the next one would wait 16 s
    refused = client.post("/signin", data={"username": "ravi", "password": PASSWORD})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "16"
    assert error_for(refused, "username") == (
        "Too many wrong passwords were tried. Wait 16 seconds, then try again."
    )
    assert soup(refused).select_one("#username")["value"] == "ravi"
    fake_time.now += 16
    assert client.post("/signin", data=wrong).status_code == 422
    capped = client.post("/signin", data=wrong)
    assert capped.headers["retry-after"] == str(int(settings.signin_interval_cap))


def test_a_known_browser_is_not_paced_by_attacks_on_its_account(
    app: FastAPI, client: TestClient, accounts: dict, fake_time: FakeTime
) -> None:
    """The laptop Ravi signs in on every day keeps working while someone hammers "ravi"."""
    sign_in_as(client, "ravi")
    client.post("/signout")
    fake_time.frozen = True
    with browser_like(app) as attacker:
        for _ in range(30):
            attacker.post("/signin", data={"username": "ravi", "password": "guess"})
        refused = attacker.post("/signin", data={"username": "ravi", "password": PASSWORD})
        assert refused.status_code == 429
        waited = list(fake_time.slept)
        response = client.post(
            "/signin", data={"username": "ravi", "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303
        assert fake_time.slept == waited
        # Known as Ravi's, the laptop is a stranger for other accounts; a forged mark is none.
        attacker.cookies.set("actioncards_device", client.cookies["actioncards_device"] + "x")
        assert (
            attacker.post("/signin", data={"username": "ravi", "password": PASSWORD}).status_code
            == 429
        )


def test_a_known_browser_guessing_is_paced_on_its_own(
    client: TestClient, accounts: dict, fake_time: FakeTime
) -> None:
    sign_in_as(client, "ravi")
    for _ in range(get_settings().failures_per_name + 2):
        assert client.post("/signin", data={"username": "ravi", "password": "x"}).status_code == 422
    assert fake_time.slept == [1.0]


def test_a_bogus_bearer_code_does_not_switch_off_the_same_origin_check(
    client: TestClient, accounts: dict, session: Session
) -> None:
    sign_in_as(client, "sam")
    form = {
        "username": "mallory", "display_name": "M", "role": "secretariat",
        "password": "a long enough password",
    }  # fmt: skip
    for bearer in ("Bearer nonsense", "Bearer "):
        headers = {"Origin": "https://evil.example", "Authorization": bearer}
        assert client.post("/accounts", data=form, headers=headers).status_code == 403
    session.expire_all()
    assert session.exec(select(User).where(User.username == "mallory")).first() is None


def test_hostile_text_is_escaped_in_every_view_and_export(
    app: FastAPI, client: TestClient, session: Session, meeting: Meeting, accounts: dict
) -> None:
    card: Card = add_card(session, meeting, "human", "Mexico", "ar", {"commitments": HOSTILE})
    sign_in_as(client, "ravi")
    client.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": "new"})
    client.post(f"/groups/human/cards/{card.id}/tags", data={"new_tag": HOSTILE[:80]})
    form = form_fields(client.get("/groups/human/report"), "form#report-form")
    client.post("/groups/human/report", data=form | {"summary": HOSTILE})
    for path in (
        "/groups/human", f"/groups/human/cards/{card.id}", "/groups/human/report",
        "/groups/human/report/print", "/groups/human/report/present?slide=2",
    ):  # fmt: skip
        html = client.get(path).text
        assert "<script>alert(1)</script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    markdown = client.get("/groups/human/report.md").text
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    client.post("/groups/human/comments", data={"body": HOSTILE})
    # The same words in another group make a recurring recommendation.
    other = add_card(session, meeting, "global", "Chile", "en", {"commitments": HOSTILE})
    global_group = session.exec(select(Group).where(Group.slug == "global")).one()
    create_recommendation(session, global_group, HOSTILE, [other.id])
    session.commit()
    with browser_like(app) as cora:
        sign_in_as(cora, "cora")
        for path in (
            "/groups/human/review", "/search", f"/search?q={HOSTILE[:20]}",
            f"/delegations/{card.delegation_id}", "/recurring", "/overview",
        ):  # fmt: skip
            html = cora.get(path).text
            assert "<script>alert(1)</script>" not in html, path
            if path != "/overview":  # the overview shows figures, not card text
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    with browser_like(app) as owner:
        owner.post("/join", data={"code": code_for(session, meeting, "Mexico")})
        html = owner.get(f"/cards/{card.id}").text
        assert "<script>alert(1)</script>" not in html
        assert 'dir="rtl"' in html  # a card in Arabic reads right to left


def test_ids_no_table_can_hold_are_refused_not_looked_up(
    client: TestClient, session: Session, meeting: Meeting, accounts: dict
) -> None:
    # PostgreSQL's INTEGER stops at 2**31 - 1: a bigger id must not reach a query.
    big = "99999999999999999999"
    card = add_card(session, meeting, "human", "Mexico", "en", {"commitments": "x"})
    sign_in_as(client, "sam")
    requests = [
        ("GET", f"/delegations/{big}"), ("GET", f"/search?delegation={big}&page={big}"),
        ("GET", f"/groups/human?page={big}&tag={big}"), ("GET", f"/groups/human/review?page={big}"),
        ("POST", f"/groups/human/comments/{big}/resolve"), ("POST", f"/accounts/{big}/password"),
        ("POST", f"/groups/human/recommendations/{big}"),
        ("POST", f"/groups/human/cards/{card.id}/support/{big}/delete"),
    ]  # fmt: skip
    for method, path in requests:
        assert client.request(method, path).status_code < 500, path
    for field in ("recommendation", "reply_to"):
        response = client.post("/groups/human/comments", data={field: big, "body": "x"})
        assert response.status_code == 404, field
    response = client.post(f"/groups/human/cards/{card.id}/support", data={"recommendation": big})
    assert response.status_code < 500
    response = client.post(
        f"/groups/human/cards/{card.id}/set-aside",
        data={"reason": "duplicate", "duplicate_of": big},
    )
    assert response.status_code < 500


@ON_POSTGRESQL
def test_two_servers_on_one_postgresql_count_each_key_once(engine: Engine) -> None:
    """Failures, turns and card floods counted by one server hold on the other."""
    if engine.dialect.name == "sqlite":
        pytest.skip("one server on SQLite counts in memory (runs on PostgreSQL)")
    url = engine.url.render_as_string(hide_password=False)
    now = [1_000.0]
    first, second = (Limiter(lambda: now[0], counters=DatabaseCounters(url)) for _ in range(2))
    keys: Keys = [("address:192.0.2.7", Pace(free=2, first=5, cap=5))]
    for server in (first, second):  # the free allowance, spent on two servers
        booked, wait = server.book("codes", keys, 10)
        server.finish("codes", keys, booked, failed=True)
        assert wait == 0
    assert first.book("codes", keys, 10)[1] == 0  # its turn is now; the next is in 5 s
    assert second.book("codes", keys, 10)[1] == 5
    with pytest.raises(TooManyRequests):
        first.book("codes", keys, 1)
    for server in (first, second, first):
        server.take([("cards-delegation", "7", 3)], 60)
    with pytest.raises(TooManyRequests):
        second.take([("cards-delegation", "7", 3)], 60)
    now[0] += 61
    second.take([("cards-delegation", "7", 3)], 60)
    for server in (first, second):
        server.counters.close()  # type: ignore[union-attr]


def test_a_wrong_code_and_a_wrong_password_count_before_their_answer_goes_out(
    app: FastAPI, accounts: dict[str, User]
) -> None:
    """A guesser waits for each answer: the try it answers must count already, or the next
    one would be booked as if it had not failed."""
    counted: dict[str, int] = {}

    async def watching(scope, receive, send):  # type: ignore[no-untyped-def]
        async def send_watched(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start" and scope["path"] in ("/join", "/signin"):
                bucket = "codes" if scope["path"] == "/join" else "signin"
                with limiter.counters.hold([]) as held:
                    since = limiter.clock() - FAILURE_WINDOW
                    counted[bucket] = held.events((bucket, "address:testclient"), since, 99)[0]
            await send(message)

        await app(scope, receive, send_watched)

    with TestClient(watching, headers={"Origin": "http://testserver"}) as client:  # type: ignore[arg-type]
        assert client.post("/join", data={"code": wrong_codes(1)[0]}).status_code == 422
        wrong = {"username": "ravi", "password": "not the password at all"}
        assert client.post("/signin", data=wrong).status_code == 422
    assert counted == {"codes": 1, "signin": 1}
