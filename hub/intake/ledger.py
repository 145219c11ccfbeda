"""The intake ledger: one row per received document, from archive to ERP.

States (in order): ``received`` (bytes archived, broker has not acked) → ``published`` (broker
acked; the partner may now be acknowledged) → ``translated`` (canonical events produced) or
``dead_lettered`` → ``sunk`` (every event written to the ERP). The ledger is what makes intake
exactly-once (dedup), what the bundled broker's restarts are recovered from (DESIGN §9.12), and
the backbone of the document trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from hub.db.types import utcnow
from hub.intake.tables import dead_letter, event, intake

RECEIVED, PUBLISHED, TRANSLATED, DEAD_LETTERED, SUNK = (
    "received",
    "published",
    "translated",
    "dead_lettered",
    "sunk",
)
ACKNOWLEDGEABLE = (PUBLISHED, TRANSLATED, DEAD_LETTERED, SUNK)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    document_id: str
    partner_id: str
    tenant_scope: str
    channel: str
    transport_id: str
    sha256: str
    size: int
    archive_uri: str
    state: str
    received_at: datetime
    filename: str | None = None
    content_type: str | None = None
    format_hint: str | None = None
    deliveries: int = 1
    published_at: datetime | None = None
    acknowledged_at: datetime | None = None
    options: str | None = None  # JSON object of import options

    @property
    def tenant_id(self) -> str | None:
        return self.tenant_scope or None


@dataclass(frozen=True, slots=True)
class EventRecord:
    event_id: str
    record_index: int
    record_type: str
    business_key: str | None
    topic: str
    partition: int
    offset: int
    translator: str


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    document_id: str | None
    partner_id: str | None
    code: str
    stage: str
    message: str
    location: str | None
    translator: str | None
    source_topic: str
    source_partition: int
    source_offset: int
    dlq_offset: int | None


class Ledger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find(
        self, partner_id: str, tenant_scope: str, *, transport_id: str | None, sha256: str | None
    ) -> LedgerEntry | None:
        """An earlier intake of the same delivery: same transport id, else same bytes (same scope)."""
        same_transport = and_(intake.c.partner_id == partner_id, intake.c.transport_id == transport_id)
        same_bytes = and_(
            intake.c.partner_id == partner_id, intake.c.tenant_scope == tenant_scope, intake.c.sha256 == sha256
        )
        for condition in (same_transport if transport_id else None, same_bytes if sha256 else None):
            if condition is None:
                continue
            with self.engine.connect() as conn:
                row = conn.execute(select(intake).where(condition).order_by(intake.c.received_at)).first()
            if row:
                return _entry(row._mapping)
        return None

    def receive(self, entry: LedgerEntry) -> LedgerEntry:
        """Insert a new document; if its bytes raced in concurrently, return the existing row."""
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(intake.insert().values(**_row(entry), updated_at=now))
            return entry
        except IntegrityError:
            existing = self.find(entry.partner_id, entry.tenant_scope, transport_id=None, sha256=entry.sha256)
            if existing is None:
                raise
            return existing

    def count_delivery(self, document_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(intake)
                .where(intake.c.document_id == document_id)
                .values(deliveries=intake.c.deliveries + 1, updated_at=utcnow())
            )

    def mark_published(self, document_id: str, topic: str, partition: int, offset: int) -> None:
        # The offset always follows the latest publish (a restarted bundled broker renumbers), but
        # the state only moves forward: a re-publish must not demote a translated document.
        self._set(document_id, raw_topic=topic, raw_partition=partition, raw_offset=offset)
        self._set(document_id, state=PUBLISHED, published_at=utcnow(), only_from=(RECEIVED,))

    def mark_acknowledged(self, document_id: str) -> None:
        self._set(document_id, acknowledged_at=utcnow())

    def mark_translated(self, document_id: str, translator: str, events: Sequence[EventRecord]) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            for ev in events:
                conn.execute(event.delete().where(event.c.event_id == ev.event_id))
                conn.execute(event.insert().values(**_event_row(ev), document_id=document_id, produced_at=now))
            state = TRANSLATED if events else SUNK  # a document with no records has nothing to sink
            conn.execute(
                update(intake)
                .where(intake.c.document_id == document_id)
                .values(state=state, translator=translator, last_error=None, updated_at=now)
            )

    def mark_dead_lettered(self, record: DeadLetterRecord, *, document_failed: bool = True) -> None:
        """Record a dead letter; ``document_failed=False`` when other records of the document went through."""
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(dead_letter.insert().values(**_dead_letter_row(record), created_at=now))
            if record.document_id and document_failed:
                conn.execute(
                    update(intake)
                    .where(intake.c.document_id == record.document_id)
                    .values(state=DEAD_LETTERED, last_error=f"{record.code}: {record.message}", updated_at=now)
                )

    def mark_event_sunk(self, event_id: str, outcome: str, *, still_open: bool = False) -> None:
        """Record a sink write; the document is ``sunk`` once none of its events is pending — or, when the write
        met a conflict flagged before and still waiting for a person (``still_open``), ``dead_lettered`` again,
        so a replay of the same content does not close the dead letter nobody has dealt with."""
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(event).where(event.c.event_id == event_id).values(sunk_at=now, sink_outcome=outcome))
            doc = conn.scalar(select(event.c.document_id).where(event.c.event_id == event_id))
            if doc is None:
                return
            pending = conn.scalar(
                select(func.count()).select_from(event).where(event.c.document_id == doc, event.c.sunk_at.is_(None))
            )
            if pending == 0:
                state = DEAD_LETTERED if still_open else SUNK
                conn.execute(update(intake).where(intake.c.document_id == doc).values(state=state, updated_at=now))

    def unfinished(self) -> list[LedgerEntry]:
        """Documents not yet sunk or dead-lettered: what the bundled broker may have forgotten."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(intake)
                .where(intake.c.state.in_((RECEIVED, PUBLISHED, TRANSLATED)))
                .order_by(intake.c.received_at)
            )
            return [_entry(r._mapping) for r in rows]

    def get(self, document_id: str) -> LedgerEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(intake).where(intake.c.document_id == document_id)).first()
        return _entry(row._mapping) if row else None

    def state_of(self, document_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(intake.c.state).where(intake.c.document_id == document_id))

    def dead_letters(self, document_id: str | None = None) -> list[dict[str, Any]]:
        query = select(dead_letter).order_by(dead_letter.c.id)
        if document_id:
            query = query.where(dead_letter.c.document_id == document_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def events_of(self, document_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(event).where(event.c.document_id == document_id).order_by(event.c.record_index))
            return [dict(r._mapping) for r in rows]

    def _set(self, document_id: str, *, only_from: Iterable[str] | None = None, **values: Any) -> None:
        condition = intake.c.document_id == document_id
        if only_from is not None:
            condition = and_(condition, or_(*(intake.c.state == s for s in only_from)))
        with self.engine.begin() as conn:
            conn.execute(update(intake).where(condition).values(**values, updated_at=utcnow()))


def _row(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "document_id": entry.document_id,
        "partner_id": entry.partner_id,
        "tenant_scope": entry.tenant_scope,
        "channel": entry.channel,
        "transport_id": entry.transport_id,
        "sha256": entry.sha256,
        "size": entry.size,
        "archive_uri": entry.archive_uri,
        "state": entry.state,
        "received_at": entry.received_at,
        "filename": entry.filename,
        "content_type": entry.content_type,
        "format_hint": entry.format_hint,
        "deliveries": entry.deliveries,
        "options": entry.options,
    }


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(**{name: row[name] for name in LedgerEntry.__dataclass_fields__})


def _event_row(ev: EventRecord) -> dict[str, Any]:
    return {name: getattr(ev, name) for name in EventRecord.__dataclass_fields__}


def _dead_letter_row(record: DeadLetterRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in DeadLetterRecord.__dataclass_fields__}
