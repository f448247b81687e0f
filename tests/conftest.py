"""Fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, create_engine, make_url, text
from sqlmodel import Session, select

from app.access import issue_code
from app.auth import hash_password
from app.cards import create_card, read_card_input
from app.db import get_session, make_engine, open_session
from app.limits import limiter
from app.main import create_app
from app.meetings import load_meeting, meeting_groups
from app.models import (
    AccessCode,
    Card,
    Delegation,
    Group,
    Meeting,
    RapporteurGroup,
    User,
    ident,
    utcnow,
)
from app.schema import create_schema
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE

ROOT = Path(__file__).parent.parent
MEETING_FILE = ROOT / "meetings" / "puerto-vallarta-2017.toml"


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database beside the given one.

    The fixtures wipe a whole schema per test, so two workers must never share a database.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    base = make_url(url)
    own = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        known = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": own})
        if known.first() is None:
            connection.execute(text(f'CREATE DATABASE "{own}"'))
    admin.dispose()
    return base.set(database=own).render_as_string(hide_password=False)


POSTGRES_URL = _database_of_this_worker(os.environ.get("TEST_DATABASE_URL", ""))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# For what only PostgreSQL has (row claims, several servers): run there alone, where there is
# one; without, the test runs on SQLite only to say that it skips.
ON_POSTGRESQL = pytest.mark.parametrize("engine", DATABASES[-1:], indirect=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    # In CI nothing may be skipped for want of a database or a browser.
    if IN_CI and not POSTGRES_URL:
        pytest.exit("CI needs TEST_DATABASE_URL (PostgreSQL)", returncode=3)
    if IN_CI and not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        pytest.exit("CI needs /usr/bin/chromium for the browser tests", returncode=3)


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as connection:
        # This worker's database is this test's alone: a connection still open is a leftover
        # of an earlier test (a thread of its server), and could hold the locks that DROP waits
        # for, without end. Close them, and never wait long for a lock.
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        connection.execute(text("SET LOCAL lock_timeout = '20s'"))
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database with the schema, a temp SQLite file or a wiped PostgreSQL schema."""
    if request.param == "postgresql":
        engine = make_engine(POSTGRES_URL)
        _reset_postgres(engine)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def meeting(session: Session) -> Meeting:
    """The Puerto Vallarta meeting, loaded from its file as `make run` does."""
    return load_meeting(session, MEETING_FILE)


@pytest.fixture
def app(engine: Engine, meeting: Meeting):  # type: ignore[no-untyped-def]
    """The application on this test's database; on PostgreSQL its rate limits count there,
    as with several app servers (app.counters)."""
    application = create_app()

    async def override() -> AsyncIterator[Session]:
        async for s in open_session(engine):
            yield s

    application.dependency_overrides[get_session] = override
    if engine.dialect.name == "postgresql":
        limiter.share(engine.url.render_as_string(hide_password=False))
    yield application
    limiter.unshare()


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    """Rate-limit counters start empty in every test."""
    limiter.reset()
    yield
    limiter.reset()


def browser_like(app: FastAPI) -> TestClient:
    """A test client that sends Origin like a browser, as same-origin posts require."""
    return TestClient(app, headers={"Origin": "http://testserver"})


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with browser_like(app) as c:
        yield c


def code_for(session: Session, meeting: Meeting, name: str) -> str:
    """Issue (or find) the access code of a delegation by name."""
    delegation = session.exec(select(Delegation).where(Delegation.name == name)).one()
    access: AccessCode = issue_code(session, meeting, delegation)
    session.commit()
    return access.code


@pytest.fixture
def mexico(session: Session, meeting: Meeting) -> str:
    return code_for(session, meeting, "Mexico")


@pytest.fixture
def delegate(client: TestClient, mexico: str) -> TestClient:
    """A phone signed in as the delegation of Mexico."""
    response = client.post("/join", data={"code": mexico})
    assert response.status_code == 200  # followed the redirect home
    return client


PASSWORD = "correct horse battery"


def make_user(session: Session, username: str, role: str, groups: tuple[str, ...] = ()) -> User:
    """Create an account, as the secretariat would, with a rapporteur's groups."""
    user = User(
        username=username, display_name=username.title(), role=role,
        password_hash=hash_password(PASSWORD),
    )  # fmt: skip
    session.add(user)
    session.flush()
    for slug in groups:
        group = session.exec(select(Group).where(Group.slug == slug)).one()
        session.add(RapporteurGroup(user_id=ident(user), group_id=ident(group)))
    session.commit()
    return user


@pytest.fixture
def accounts(session: Session, meeting: Meeting) -> dict[str, User]:
    """One account of each kind: the secretariat, a co-facilitator, two rapporteurs."""
    return {
        "secretariat": make_user(session, "sam", "secretariat"),
        "cofacilitator": make_user(session, "cora", "cofacilitator"),
        "rapporteur": make_user(session, "ravi", "rapporteur", ("human",)),
        "other_rapporteur": make_user(session, "gloria", "rapporteur", ("global",)),
    }


def sign_in_as(client: TestClient, username: str) -> TestClient:
    response = client.post("/signin", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


@pytest.fixture
def rapporteur(client: TestClient, accounts: dict[str, User]) -> TestClient:
    """A browser signed in as the rapporteur of the human dimension."""
    return sign_in_as(client, "ravi")


CARDS = [
    (
        "Mexico",
        "es",
        {
            "commitments": "Poner fin a la detención de niñas y niños migrantes.",
            "means": "Alternativas comunitarias",
            "partnerships": "UNICEF",
        },
    ),
    (
        "Belgium",
        "fr",
        {
            "commitments": "Mettre fin à la détention des enfants migrants.",
            "means": "alternatives communautaires",
        },
    ),
    (
        "Philippines",
        "en",
        {
            "commitments": "Recognise the skills and qualifications of migrants.",
            "partnerships": "ILO, employers",
        },
    ),
    ("Mexico", "es", {"commitments": "Tema fuera de la dimensión humana: turismo."}),
    ("Kenya", "en", {"commitments": "End child immigration detention.", "partnerships": "unicef"}),
]


def add_card(
    session: Session, meeting: Meeting, group: str, name: str, lang: str, answers: dict
) -> Card:
    delegation = session.exec(select(Delegation).where(Delegation.name == name)).one()
    card = read_card_input(
        meeting, meeting_groups(session, meeting), {"group": group, "language": lang}, answers
    )
    stored, _created = create_card(session, meeting, delegation, str(uuid.uuid4()), card)
    return stored


@pytest.fixture
def human(session: Session, meeting: Meeting) -> list[Card]:
    """Five cards in the human dimension, arriving a minute apart; one from another group."""
    start = utcnow() - timedelta(hours=1)
    cards = []
    for minute, (name, lang, answers) in enumerate(CARDS):
        card = add_card(session, meeting, "human", name, lang, answers)
        card.created_at = start + timedelta(minutes=minute)
        session.add(card)
        cards.append(card)
    add_card(session, meeting, "global", "France", "fr", {"commitments": "Autre groupe."})
    session.commit()
    return cards


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The system Chromium, started once for all browser tests."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def close_tabs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close every tab a browser test opened, even where it failed before closing them: tabs
    left open go on running their pages (polls, streams) in the one shared Chromium."""
    yield
    if "browser" in request.fixturenames:
        browser: Browser = request.getfixturevalue("browser")
        for context in browser.contexts:
            context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized tab with no cookies; it fails the test on a CSP violation."""
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield tab
    context.close()
    assert violations == [], "the page broke its Content-Security-Policy"


HOSTILE = '<script>alert(1)</script> "quotes" & =HYPERLINK("http://x") حماية المهاجرين 移民'
