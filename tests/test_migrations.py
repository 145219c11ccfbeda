"""A fully migrated database has exactly the tables and columns the code defines (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect

from hub.db.engine import make_engine
from hub.db.migrate import upgrade
from hub.intake.migrations import STATE_MIGRATIONS
from hub.intake.tables import metadata as state_metadata
from hub.sinks.catalog.tables import metadata as catalog_metadata
from hub.sinks.erp.migrations import ERP_MIGRATIONS
from hub.sinks.erp.tables import metadata as erp_metadata


def _columns(metadata: MetaData) -> dict[str, set[str]]:
    return {name: {c.name for c in table.columns} for name, table in metadata.tables.items()}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_build_the_current_schema_and_are_idempotent(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    assert upgrade(engine, "state", STATE_MIGRATIONS) == [m.version for m in STATE_MIGRATIONS]
    assert upgrade(engine, "erp", ERP_MIGRATIONS) == [m.version for m in ERP_MIGRATIONS]
    assert upgrade(engine, "erp", ERP_MIGRATIONS) == []
    inspector = inspect(engine)
    for metadata in (state_metadata, erp_metadata, catalog_metadata):
        for table, columns in _columns(metadata).items():
            assert {c["name"] for c in inspector.get_columns(table)} == columns, table
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_roles_starting_together_migrate_once_without_failing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Processes (here: engines in threads, each with its own connections) that all migrate on start — as
    `hub run translate-bulk` and `hub run sink-catalog` do — wait for each other; exactly one applies each step."""
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    start = threading.Barrier(4)

    def role() -> list[int]:
        engine = make_engine(url)
        start.wait()
        try:
            return upgrade(engine, "state", STATE_MIGRATIONS) + upgrade(engine, "erp", ERP_MIGRATIONS)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(4) as pool:
        applied = [f.result() for f in [pool.submit(role) for _ in range(4)]]
    everything = [m.version for m in STATE_MIGRATIONS] + [m.version for m in ERP_MIGRATIONS]
    assert sum(map(len, applied)) == len(everything)  # each step applied by exactly one of them, none failed
