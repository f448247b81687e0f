"""Alembic owns the schema: upgrading an empty database gives exactly the models."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from app.db import make_engine
from tests.conftest import DATABASES, POSTGRES_URL, ROOT, _reset_postgres


@pytest.fixture(params=DATABASES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        engine = make_engine(POSTGRES_URL)
        _reset_postgres(engine)
        engine.dispose()
        yield POSTGRES_URL
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "head")
    engine = make_engine(empty_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_up_again(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def test_cards_stored_before_arrival_numbers_get_them_in_order_and_folded_text(
    empty_url: str,
) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "62d0595d95f9")  # before 0006
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO meeting (slug, name, venue, start_date, end_date, timezone,"
                " languages, delegation_kinds, intake_open, delegation_picker, loaded_at)"
                " VALUES ('m', '{}', 'v', '2017-12-04', '2017-12-06', 'UTC', '[]', '[]',"
                " true, false, '2017-12-04 09:00:00')"
            )
        )
        connection.execute(
            text(
                'INSERT INTO "group" (meeting_id, slug, number, title, description,'
                " questions, intake_open) VALUES (1, 'human', 6, '{}', '{}', '[]', true)"
            )
        )
        connection.execute(
            text("INSERT INTO delegation (name, kind) VALUES ('Mexico', 'member_state')")
        )
        for card_id, minute, words in (("b", 2, "Détention"), ("a", 1, "Niños"), ("c", 3, "X")):
            connection.execute(
                text(
                    "INSERT INTO card (id, meeting_id, group_id, delegation_id, language,"
                    " author_name, answers, status, version, source, created_at, updated_at)"
                    " VALUES (:id, 1, 1, 1, 'es', 'Ána', :answers, 'active', 1, 'web',"
                    " :at, :at)"
                ),
                {
                    "id": card_id,
                    "answers": json.dumps({"commitments": words}),
                    "at": f"2017-12-05 10:0{minute}:00",
                },
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, seq, search_text FROM card ORDER BY seq"))
        assert [tuple(r) for r in rows] == [
            ("a", 1, "ninos ana"),
            ("b", 2, "detention ana"),
            ("c", 3, "x ana"),
        ]
    engine.dispose()
