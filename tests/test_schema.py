"""A server refuses to work on a database whose schema is not the one its code expects."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app import schema
from app.models import DelegateSession


@pytest.fixture(autouse=True)
def check_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "CHECK_EVERY", 0.0)


def set_revision(engine: Engine, revision: str | None) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
        if revision is not None:
            connection.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})


def test_a_server_on_its_own_schema_is_ready(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "schema": schema.expected_revision()}


def test_a_database_migrated_by_a_newer_server_is_refused_and_nothing_is_written(
    client: TestClient, engine: Engine, session: Session, mexico: str
) -> None:
    set_revision(engine, "f00dfeed0001")
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["retry-after"] == "30"
    assert "migrated by a newer ActionCards (f00dfeed0001" in ready.json()["problem"]
    joined = client.post("/join", data={"code": mexico}, follow_redirects=False)
    assert joined.status_code == 503
    assert "This server is being updated. Try again in a minute." in joined.text
    assert session.exec(select(DelegateSession)).all() == []
    api = client.get("/api/groups")
    assert api.status_code == 503 and "upgrade this server" in api.json()["problem"]
    set_revision(engine, schema.expected_revision())  # the server was upgraded meanwhile
    assert client.post("/join", data={"code": mexico}).status_code == 200


def test_an_older_or_missing_schema_asks_for_the_migration(
    client: TestClient, engine: Engine
) -> None:
    head = schema.scripts().get_revision(schema.expected_revision())
    assert head is not None and isinstance(head.down_revision, str)
    set_revision(engine, head.down_revision)
    problem = client.get("/readyz").json()["problem"]
    assert "is older than this server's" in problem and "python -m app migrate" in problem
    set_revision(engine, None)
    problem = client.get("/readyz").json()["problem"]
    assert problem == "the database has no schema yet: run `python -m app migrate`"
