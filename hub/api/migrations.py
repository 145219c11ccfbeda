"""Migrations of the API's own tables (component ``api``). Frozen: never import today's tables here.

``Runtime.migrate`` applies them with ``upgrade(engine, "api", API_MIGRATIONS)`` on the hub state database;
:func:`hub.api.tokens.migrate` does the same for the API alone.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table

from hub.db.migrate import Migration
from hub.db.types import UtcDateTime


def _v1(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "hub_api_token",
        meta,
        Column("id", String(32), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("scopes", String(2000), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("token_prefix", String(16), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("expires_at", UtcDateTime),
        Column("last_used_at", UtcDateTime),
        Column("revoked_at", UtcDateTime),
    )
    meta.create_all(conn)


API_MIGRATIONS = [Migration(1, "API bearer tokens (hashed) with scopes", _v1)]
