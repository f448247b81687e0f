"""Whether the database's schema is the one this server's code was written for.

Several app servers can share one PostgreSQL. While a new version is rolled out, one of them
may run older code on a database another has already migrated (or newer code on one not yet
migrated). Such a server would write rows the schema no longer means: instead it refuses every
request with 503 (and `/readyz` says why, so the proxy sends people elsewhere) until the code
and the schema agree again. The check is a single query, repeated every CHECK_EVERY seconds.
"""

import logging
import time
import weakref
from functools import lru_cache
from pathlib import Path

import anyio.to_thread
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

ROOT = Path(__file__).parent.parent
CHECK_EVERY = 10.0  # seconds
log = logging.getLogger(__name__)


class SchemaMismatch(Exception):
    """The database's schema is not the one this server expects; the message says which."""


@lru_cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))


def expected_revision() -> str:
    """The newest migration this server's code knows: the schema it was written for."""
    head = scripts().get_current_head()
    assert head is not None, "migrations/ holds no migration"
    return head


def create_schema(engine: Engine) -> None:
    """Create every table from the models, marked as migrated to head: for tests and
    benchmarks, where running each migration would only be slower (tests/test_migrations.py
    checks that the migrations make the same schema)."""
    from app.models import SQLModel  # every table, registered with its model

    SQLModel.metadata.create_all(engine)
    with engine.begin() as connection:
        MigrationContext.configure(connection).stamp(scripts(), "head")


def stored_revision(engine: Engine) -> str | None:
    """The migration the database was last brought to (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def problem_of(engine: Engine) -> str | None:
    """Say what is wrong with the database's schema for this server, or None if nothing."""
    stored, expected = stored_revision(engine), expected_revision()
    if stored == expected:
        return None
    if stored is None:
        return "the database has no schema yet: run `python -m app migrate`"
    known = {script.revision for script in scripts().walk_revisions()}
    if stored in known:
        return (
            f"the database's schema ({stored}) is older than this server's ({expected}):"
            " run `python -m app migrate`"
        )
    return (
        f"the database was migrated by a newer ActionCards ({stored}, unknown to this server,"
        f" which expects {expected}): upgrade this server; it writes nothing until then"
    )


_checked: "weakref.WeakKeyDictionary[Engine, tuple[float, str | None]]"
_checked = weakref.WeakKeyDictionary()


async def guard(engine: Engine) -> None:
    """Raise SchemaMismatch if the schema is not this server's (looked up now and then)."""
    at, problem = _checked.get(engine, (-CHECK_EVERY, None))
    if time.monotonic() - at >= CHECK_EVERY:
        problem = await anyio.to_thread.run_sync(problem_of, engine)
        if problem and problem != _checked.get(engine, (0.0, None))[1]:
            log.error("refusing requests: %s", problem)
        _checked[engine] = (time.monotonic(), problem)
    if problem:
        raise SchemaMismatch(problem)
