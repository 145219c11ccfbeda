"""Engine creation with the settings each backend needs.

SQLite: WAL so the CLI can read while ``hub up`` writes, a busy timeout instead of instant
``database is locked`` errors, foreign keys on. PostgreSQL: psycopg 3, pre-ping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from hub.errors import ConfigError


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
        return create_engine(url, pool_pre_ping=True, future=True)
    raise ConfigError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")


def _sqlite(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, future=True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
