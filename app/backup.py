"""Backups: a consistent snapshot of every table into one SQLite file, and back.

The file is an ordinary SQLite database with the app's schema, whatever the live database is,
so it can be opened and checked with any SQLite tool.
"""

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, text
from sqlmodel import SQLModel

from app.db import make_engine


class BackupError(Exception):
    """A backup or restore that cannot be done, and why."""


def backup(engine: Engine, path: Path) -> None:
    """Write a snapshot of the live database to `path` while the app keeps running."""
    if path.exists():
        raise BackupError(f"{path} exists already: choose a new file name")
    if engine.dialect.name == "sqlite":
        _sqlite_backup(engine, path)
        return
    target = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(target)
    # One REPEATABLE READ transaction sees every table as of the same moment.
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as source:
        with source.begin(), target.begin() as out:
            for table in SQLModel.metadata.sorted_tables:
                rows = [dict(r) for r in source.execute(select(table)).mappings()]
                if rows:
                    out.execute(table.insert(), rows)
    target.dispose()


def _sqlite_backup(engine: Engine, path: Path) -> None:
    # SQLite's online backup copies a consistent image even while others write.
    raw = engine.raw_connection()
    try:
        destination = sqlite3.connect(path)
        raw.driver_connection.backup(destination)  # type: ignore[union-attr]
        destination.close()
    finally:
        raw.close()


def restore(path: Path, engine: Engine) -> dict[str, int]:
    """Copy a snapshot into an empty, migrated database; return the rows restored per table."""
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    missing = set(SQLModel.metadata.tables) - set(inspect(engine).get_table_names())
    if missing:
        raise BackupError("the database has no schema yet: run `python -m app migrate` first")
    source = make_engine(f"sqlite:///{path}")
    counts: dict[str, int] = {}
    with source.connect() as snapshot, engine.begin() as live:
        for table in SQLModel.metadata.sorted_tables:
            if live.execute(select(func.count()).select_from(table)).scalar():
                raise BackupError(f"the database is not empty ({table.name} has rows)")
        for table in SQLModel.metadata.sorted_tables:
            rows = [dict(r) for r in snapshot.execute(select(table)).mappings()]
            if rows:
                live.execute(table.insert(), rows)
            counts[table.name] = len(rows)
        if engine.dialect.name == "postgresql":
            _advance_sequences(live)
    source.dispose()
    return counts


def _advance_sequences(live) -> None:  # type: ignore[no-untyped-def]
    # Restored rows carry their ids; new rows must not collide with them.
    for table in SQLModel.metadata.sorted_tables:
        column = table.columns.get("id")
        if (
            column is not None
            and column.autoincrement is not False
            and column.type.python_type is int
        ):
            live.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'),"
                    f' COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )
