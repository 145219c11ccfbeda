"""Hub state tables (the intake ledger), as of the newest migration."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from hub.db.types import UtcDateTime

metadata = MetaData()

intake = Table(
    "hub_intake",
    metadata,
    Column("document_id", String(36), primary_key=True),
    Column("partner_id", String(64), nullable=False),
    Column("tenant_scope", String(64), nullable=False, doc="'' = not tenant-scoped; else the tenant id"),
    Column("channel", String(16), nullable=False),
    Column("transport_id", String(1000), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("filename", String(500)),
    Column("content_type", String(200)),
    Column("format_hint", String(100)),
    Column("options", Text, doc="JSON object of import options (mapping, valid_from, kind)"),
    Column("archive_uri", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("raw_topic", String(200)),
    Column("raw_partition", Integer),
    Column("raw_offset", BigInteger),
    Column("translator", String(100)),
    Column("last_error", Text),
    Column("deliveries", Integer, nullable=False, doc="how often the partner delivered these bytes"),
    Column("received_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime),
    Column("acknowledged_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("partner_id", "tenant_scope", "sha256", name="uq_hub_intake_content"),
    Index("ix_hub_intake_transport", "partner_id", "transport_id"),
    Index("ix_hub_intake_state", "state"),
)

event = Table(
    "hub_event",
    metadata,
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

dead_letter = Table(
    "hub_dead_letter",
    metadata,
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

audit_run = Table(
    "hub_audit_run",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("action", String(20), nullable=False, doc="replay | redeliver | dlq-retry"),
    Column("operator", String(100), nullable=False, doc="who ran it (--operator, default the OS user)"),
    Column("host", String(200), doc="the machine it ran on"),
    Column("reason", Text, nullable=False, doc="why (--reason, mandatory)"),
    Column("selection", Text, nullable=False, doc="JSON: the filters that selected the documents"),
    Column("dry_run", Boolean, nullable=False),
    Column("status", String(20), nullable=False, doc="running | done | failed"),
    Column("summary", Text, doc="JSON: outcome counts"),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
)

audit_item = Table(
    "hub_audit_item",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), nullable=False, index=True),
    Column("document_id", String(36), index=True),
    Column("outcome", String(40), nullable=False),
    Column("translator", String(100), doc="name@version that re-translated it (replay)"),
    Column("detail", Text, doc="JSON: events before/after, sink outcomes, diff summary"),
    Column("created_at", UtcDateTime, nullable=False),
)
