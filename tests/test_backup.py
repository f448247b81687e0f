"""A snapshot taken while the app runs restores every row into an empty database."""

import threading
import time
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from app.backup import BackupError, backup, restore
from app.db import make_engine
from app.demo import load_demo
from app.meetings import meeting_groups
from app.models import AuditEvent, Card, CardVersion, Meeting
from app.report import get_report, save_report
from app.review import add_comment, mark_reviewed
from tests.conftest import POSTGRES_URL, _reset_postgres, add_card
from tests.test_migrations import alembic_config


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar() or 0
            for t in SQLModel.metadata.sorted_tables
        }


def rows(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            t.name: sorted(
                (tuple(str(v) for v in r) for r in connection.execute(select(t))), key=str
            )
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def filled(engine: Engine, session: Session, meeting: Meeting, accounts: dict) -> Engine:
    """Cards with versions, a report with versions and its review, accounts, an audit log."""
    load_demo(session, meeting)
    group = meeting_groups(session, meeting)[0]
    report = get_report(session, group)
    save_report(session, report, {"summary": "Saved once."}, 0, accounts["rapporteur"])
    remark = add_comment(session, group, accounts["cofacilitator"], "Cite the cards.")
    add_comment(session, group, accounts["rapporteur"], "Done.", reply_to=remark)
    mark_reviewed(session, group, report, accounts["cofacilitator"])
    session.commit()
    return engine


def test_backup_then_restore_gives_back_every_row(filled: Engine, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.sqlite"
    backup(filled, snapshot)
    before = rows(filled)
    assert counts(filled)["card"] > 250 and counts(filled)["reportversion"] == 1
    assert counts(filled)["comment"] == 2 and counts(filled)["review"] == 1
    if filled.dialect.name == "postgresql":
        _reset_postgres(filled)
        command.upgrade(alembic_config(POSTGRES_URL), "head")
        target = filled
    else:
        target = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
        command.upgrade(alembic_config(str(target.url)), "head")
    restored = restore(snapshot, target)
    assert restored["card"] == counts(target)["card"]
    assert rows(target) == before
    with Session(target) as session:  # new rows get new ids after a restore
        session.add(
            AuditEvent(
                actor_kind="system", actor_name="t", action="x", target_type="t", target_id="1"
            )
        )
        session.commit()


def test_restore_refuses_a_database_that_is_not_empty(filled: Engine, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.sqlite"
    backup(filled, snapshot)
    with pytest.raises(BackupError, match="not empty"):
        restore(snapshot, filled)
    with pytest.raises(BackupError, match="exists already"):
        backup(filled, snapshot)


def test_a_snapshot_taken_during_writes_is_consistent(
    engine: Engine, session: Session, meeting: Meeting, tmp_path: Path
) -> None:
    stop = threading.Event()

    def write() -> None:
        with Session(engine) as writer:
            while not stop.is_set():
                add_card(writer, meeting, "human", "Chile", "es", {"commitments": "Texto."})

    thread = threading.Thread(target=write)
    thread.start()
    try:
        deadline = time.monotonic() + 20  # a loaded CI machine starts the writer late
        while counts(engine)["card"] < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        backup(engine, tmp_path / "during.sqlite")
    finally:
        stop.set()
        thread.join()
    snapshot = make_engine(f"sqlite:///{tmp_path / 'during.sqlite'}")
    with Session(snapshot) as copy:
        card_ids = set(copy.exec(select(Card.id)))
        versioned = set(copy.exec(select(CardVersion.card_id)))
    snapshot.dispose()
    assert card_ids and card_ids == versioned  # no card without its version, nor the reverse
