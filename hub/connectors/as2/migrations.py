"""Migrations of the AS2 tables (component ``as2``). Frozen: never import today's tables here.

The lead's ``Runtime.migrate`` applies them with ``upgrade(engine, "as2", AS2_MIGRATIONS)``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, Text

from hub.db.migrate import Migration
from hub.db.types import UtcDateTime


def _messages_v1(meta: MetaData) -> Table:
    return Table(
        "hub_as2_message",
        meta,
        Column("id", String(36), primary_key=True),
        Column("received_at", UtcDateTime, nullable=False),
        Column("as2_from", String(200), nullable=False),
        Column("as2_to", String(200), nullable=False),
        Column("message_id", String(1000), nullable=False),
        Column("partner_id", String(64)),
        Column("headers_uri", String(200), nullable=False),
        Column("body_uri", String(200)),
        Column("size", BigInteger, nullable=False),
        Column("state", String(20), nullable=False),
        Column("disposition", String(100)),
        Column("reason", Text),
        Column("security", String(100)),
        Column("document_id", String(36)),
        Column("mic", String(200)),
        Column("mdn_mode", String(10)),
        Column("mdn_uri", String(200)),
        Column("mdn_message_id", String(300)),
        Column("updated_at", UtcDateTime, nullable=False),
        Index("ix_hub_as2_message_msgid", "as2_from", "message_id"),
        Index("ix_hub_as2_message_state", "state"),
    )


def _outbox_v1(meta: MetaData) -> Table:
    return Table(
        "hub_as2_outbox",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("message_row", String(36), nullable=False, index=True),
        Column("document_id", String(36)),
        Column("url", String(1000), nullable=False),
        Column("mdn_uri", String(200), nullable=False),
        Column("state", String(20), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", UtcDateTime, nullable=False),
        Column("last_error", Text),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime),
        Index("ix_hub_as2_outbox_due", "state", "next_attempt_at"),
    )


def _v1(conn: Connection) -> None:
    meta = MetaData()
    _messages_v1(meta)
    _outbox_v1(meta)
    meta.create_all(conn)


AS2_MIGRATIONS = [Migration(1, "AS2 messages and async MDN outbox", _v1)]
