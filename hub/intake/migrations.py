"""Migrations of the hub state tables. Frozen: never import today's tables here."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from hub.db.migrate import Migration
from hub.db.types import UtcDateTime


def _v1(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "hub_intake",
        meta,
        Column("document_id", String(36), primary_key=True),
        Column("partner_id", String(64), nullable=False),
        Column("tenant_scope", String(64), nullable=False),
        Column("channel", String(16), nullable=False),
        Column("transport_id", String(1000), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("filename", String(500)),
        Column("content_type", String(200)),
        Column("format_hint", String(100)),
        Column("archive_uri", String(200), nullable=False),
        Column("state", String(20), nullable=False),
        Column("raw_topic", String(200)),
        Column("raw_partition", Integer),
        Column("raw_offset", BigInteger),
        Column("translator", String(100)),
        Column("last_error", Text),
        Column("deliveries", Integer, nullable=False),
        Column("received_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime),
        Column("acknowledged_at", UtcDateTime),
        Column("updated_at", UtcDateTime, nullable=False),
        UniqueConstraint("partner_id", "tenant_scope", "sha256", name="uq_hub_intake_content"),
        Index("ix_hub_intake_transport", "partner_id", "transport_id"),
        Index("ix_hub_intake_state", "state"),
    )
    Table(
        "hub_event",
        meta,
        Column("event_id", String(36), primary_key=True),
        Column("document_id", String(36), nullable=False, index=True),
        Column("record_index", Integer, nullable=False),
        Column("record_type", String(50), nullable=False),
        Column("business_key", String(300)),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("translator", String(100), nullable=False),
        Column("produced_at", UtcDateTime, nullable=False),
        Column("sunk_at", UtcDateTime),
        Column("sink_outcome", String(30)),
    )
    Table(
        "hub_dead_letter",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("document_id", String(36), index=True),
        Column("partner_id", String(64)),
        Column("code", String(50), nullable=False),
        Column("stage", String(20), nullable=False),
        Column("message", Text, nullable=False),
        Column("location", String(500)),
        Column("translator", String(100)),
        Column("source_topic", String(200), nullable=False),
        Column("source_partition", Integer, nullable=False),
        Column("source_offset", BigInteger, nullable=False),
        Column("dlq_offset", BigInteger),
        Column("created_at", UtcDateTime, nullable=False),
    )
    meta.create_all(conn)


def _v2(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE hub_intake ADD COLUMN options TEXT"))


def _v3(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "hub_audit_run",
        meta,
        Column("run_id", String(36), primary_key=True),
        Column("action", String(20), nullable=False),
        Column("operator", String(100), nullable=False),
        Column("host", String(200)),
        Column("reason", Text, nullable=False),
        Column("selection", Text, nullable=False),
        Column("dry_run", Boolean, nullable=False),
        Column("status", String(20), nullable=False),
        Column("summary", Text),
        Column("started_at", UtcDateTime, nullable=False),
        Column("finished_at", UtcDateTime),
    )
    Table(
        "hub_audit_item",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", String(36), nullable=False, index=True),
        Column("document_id", String(36), index=True),
        Column("outcome", String(40), nullable=False),
        Column("translator", String(100)),
        Column("detail", Text),
        Column("created_at", UtcDateTime, nullable=False),
    )
    meta.create_all(conn)


STATE_MIGRATIONS = [
    Migration(1, "intake ledger, events, dead letters", _v1),
    Migration(2, "import options on intake (mapping, valid_from, kind)", _v2),
    Migration(3, "audit of replays, redeliveries and dead-letter retries", _v3),
]
