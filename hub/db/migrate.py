"""An explicit, ordered migration mechanism (no autogeneration, no magic).

Each component (``state``: the hub's ledger; ``erp``: the ERP reference schema) has a list of
:class:`Migration` steps. A step's DDL is *frozen*: it defines the tables as they were at that
version, never by importing today's table objects — otherwise an existing database would miss a
column that a fresh one gets. Applied versions are recorded in ``hub_schema_migrations``.
A test compares the fully migrated schema with the current table definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, select

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


def upgrade(engine: Engine, component: str, steps: Sequence[Migration]) -> list[int]:
    """Apply every step not yet applied, each in its own transaction; return the versions applied."""
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
