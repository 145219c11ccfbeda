"""An explicit, ordered migration mechanism (no autogeneration, no magic).

Each component (``state``: the hub's ledger; ``erp``: the ERP reference schema) has a list of
:class:`Migration` steps. A step's DDL is *frozen*: it defines the tables as they were at that
version, never by importing today's table objects — otherwise an existing database would miss a
column that a fresh one gets. Applied versions are recorded in ``hub_schema_migrations``.
A test compares the fully migrated schema with the current table definitions.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, select, text

from hub.db.types import UtcDateTime, utcnow

log = structlog.get_logger(__name__)

_meta = MetaData()
migrations_table = Table(
    "hub_schema_migrations",
    _meta,
    Column("component", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


# Any constant: the key of the PostgreSQL advisory lock that serialises migrations across processes.
ADVISORY_LOCK_KEY = 0x6875625F6D6967  # "hub_mig"


def upgrade(engine: Engine, component: str, steps: Sequence[Migration]) -> list[int]:
    """Apply every step not yet applied, each in its own transaction; return the versions applied.

    Roles start together (``hub run translate-bulk`` and ``hub run sink-catalog``, pods after a deploy) and each
    migrates on start: the whole upgrade runs under one cross-process lock, and what is applied is read again
    once the lock is held, so the second process finds the work done instead of failing on CREATE TABLE."""
    with _migration_lock(engine):
        return _upgrade(engine, component, steps)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            try:
                yield
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                lock.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    # SQLite: an exclusive lock on a file beside the database (released when the file is closed)
    with Path(f"{database}.migrate.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _upgrade(engine: Engine, component: str, steps: Sequence[Migration]) -> list[int]:
    _meta.create_all(engine)
    with engine.connect() as conn:
        done = set(conn.scalars(select(migrations_table.c.version).where(migrations_table.c.component == component)))
    applied = []
    for step in sorted(steps, key=lambda s: s.version):
        if step.version in done:
            continue
        with engine.begin() as conn:
            step.apply(conn)
            conn.execute(
                migrations_table.insert().values(
                    component=component, version=step.version, description=step.description, applied_at=utcnow()
                )
            )
        log.info("db.migrated", component=component, version=step.version, description=step.description)
        applied.append(step.version)
    return applied
