"""Pages every visitor can reach, and what happens when something is wrong: never a 500."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from app.db import get_session, make_engine, new_session
from app.main import create_app
from tests.helpers import soup


def test_home_invites_to_sign_in(client: TestClient) -> None:
    response = client.get("/")
    page = soup(response)
    assert page.h1.get_text() == (
        "Preparatory (stocktaking) meeting for the Global Compact for Migration"
    )
    assert "Puerto Vallarta, Jalisco, Mexico" in page.select_one(".lead").get_text()
    assert page.select_one("form[action='/join'] #code") is not None


def test_home_lists_groups_for_a_signed_in_delegation(delegate: TestClient) -> None:
    links = [a["href"] for a in soup(delegate.get("/")).select("a.group-link")]
    assert links[0] == "/cards/new?group=global"
    assert len(links) == 7


def test_unknown_pages_get_a_readable_404(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "This page does not exist" in response.text
    assert client.get("/api/nowhere").json() == {"detail": "Not Found"}


def test_bad_parameters_get_a_message_not_a_crash(delegate: TestClient) -> None:
    response = delegate.get("/cards/not-a-uuid")
    assert response.status_code == 404
    response = delegate.get("/cards/00000000-0000-0000-0000-000000000000?sent=maybe")
    assert response.status_code == 400
    assert "The request was not understood" in response.text
    assert delegate.put("/cards").status_code == 405


def test_static_files_are_versioned_and_cached_for_a_year(client: TestClient) -> None:
    href = soup(client.get("/join")).select_one("link[rel=stylesheet]")["href"]
    assert href.startswith("/static/app.css?v=")
    response = client.get(href)
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    SQLModel.metadata.create_all(engine)
    app = create_app()

    async def override() -> AsyncIterator[Session]:
        with new_session(engine) as s:
            yield s

    app.dependency_overrides[get_session] = override
    with TestClient(app) as client:
        yield client
    engine.dispose()


def test_without_a_meeting_the_app_says_how_to_load_one(empty_client: TestClient) -> None:
    response = empty_client.get("/")
    assert response.status_code == 503
    assert "python -m app load-meeting" in response.text
    assert empty_client.get("/healthz").status_code == 200
