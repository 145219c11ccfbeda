"""The intake flow every connector uses: archive → ledger → publish → broker ack → acknowledge.

``IntakeService.take`` returns only after the broker acked the RawDocument (or raises); the
connector acknowledges its partner (MDN, remote move, mail flag) only after that. Dedup (DESIGN
§5): a delivery whose transport id or bytes (per partner and tenant scope) were already taken
*and acknowledged* is a duplicate — acknowledged again, not re-published. One that was archived
but never acknowledged (crash, broker down) is published again under its original document id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

import structlog

from hub import metrics
from hub.archive import Archive, ArchivedObject
from hub.canonical.codec import to_avro
from hub.canonical.raw import Channel, RawDocument
from hub.db.types import utcnow
from hub.errors import UnknownPartnerError
from hub.ids import new_document_id
from hub.intake.ledger import ACKNOWLEDGEABLE, RECEIVED, Ledger, LedgerEntry
from hub.kafka.producer import Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames
from hub.partners import Partners

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a connector knows about one delivery besides the bytes."""

    partner_id: str
    channel: Channel
    transport_id: str | None = None  # None: derived from the content ("<channel>:sha256:<hex>")
    filename: str | None = None
    content_type: str | None = None
    tenant_id: str | None = None
    format_hint: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # import options: mapping, valid_from, kind
    received_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class IntakeResult:
    document_id: str
    sha256: str
    size: int
    duplicate: bool
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class IntakeLimits:
    max_document_bytes: int
    bulk_threshold_bytes: int
    inline_limit_bytes: int


class IntakeService:
    def __init__(
        self,
        *,
        archive: Archive,
        ledger: Ledger,
        publisher: Publisher,
        serde: AvroSerde,
        topics: TopicNames,
        partners: Partners,
        limits: IntakeLimits,
    ) -> None:
        self.archive, self.ledger, self.publisher = archive, ledger, publisher
        self.serde, self.topics, self.partners, self.limits = serde, topics, partners, limits

    def take(self, stream: BinaryIO, delivery: Delivery) -> IntakeResult:
        """Take one delivery; returns after the broker ack. Raises IntakeError / TransientError."""
        self._check_parties(delivery)
        metrics.document_received(delivery.partner_id, delivery.channel)
        scope = delivery.tenant_id or ""
        if delivery.transport_id:
            earlier = self.ledger.find(delivery.partner_id, scope, transport_id=delivery.transport_id, sha256=None)
            if earlier and earlier.state in ACKNOWLEDGEABLE:
                return self._duplicate(earlier, delivery)
        stored = self.archive.put_stream(stream, max_bytes=self.limits.max_document_bytes)
        earlier = self.ledger.find(delivery.partner_id, scope, transport_id=None, sha256=stored.sha256)
        if earlier and earlier.state in ACKNOWLEDGEABLE:
            return self._duplicate(earlier, delivery)
        entry = earlier or self.ledger.receive(self._new_entry(stored, delivery, scope))
        return self.publish(entry)

    def publish(self, entry: LedgerEntry) -> IntakeResult:
        """(Re-)publish a ledger entry's RawDocument and wait for the broker ack."""
        raw = self._raw_document(entry)
        topic = self.topics.raw_bulk if entry.size > self.limits.bulk_threshold_bytes else self.topics.raw
        value = self.serde.encode(topic, RawDocument.TYPE, to_avro(raw))
        headers = [
            ("hub.document_id", entry.document_id),
            ("hub.partner", entry.partner_id),
            ("ce_type", "org.grossisthub.raw.RawDocument"),
            ("ce_id", entry.document_id),
        ]
        delivered = self.publisher.publish_sync(topic, value, key=entry.partner_id, headers=headers)
        self.ledger.mark_published(entry.document_id, delivered.topic, delivered.partition, delivered.offset)
        log.info(
            "intake.published",
            document_id=entry.document_id,
            partner=entry.partner_id,
            channel=entry.channel,
            filename=entry.filename,
            size=entry.size,
            topic=delivered.topic,
            offset=delivered.offset,
        )
        return IntakeResult(
            entry.document_id, entry.sha256, entry.size, False, delivered.topic, delivered.partition, delivered.offset
        )

    def acknowledged(self, result: IntakeResult) -> None:
        """The connector acknowledged the partner; recorded for the trail."""
        self.ledger.mark_acknowledged(result.document_id)
        metrics.document_acknowledged(self.ledger.get(result.document_id))

    def _check_parties(self, delivery: Delivery) -> None:
        if self.partners.wholesaler(delivery.partner_id) is None:
            known = ", ".join(w.id for w in self.partners.wholesalers) or "none configured"
            raise UnknownPartnerError(f"unknown wholesaler {delivery.partner_id!r} (known: {known})")
        if delivery.tenant_id and self.partners.tenant(delivery.tenant_id) is None:
            raise UnknownPartnerError(f"unknown tenant {delivery.tenant_id!r}")

    def _duplicate(self, earlier: LedgerEntry, delivery: Delivery) -> IntakeResult:
        self.ledger.count_delivery(earlier.document_id)
        metrics.duplicate_delivery(delivery.partner_id, delivery.channel)
        log.info(
            "intake.duplicate",
            document_id=earlier.document_id,
            partner=delivery.partner_id,
            channel=delivery.channel,
            filename=delivery.filename,
            state=earlier.state,
        )
        return IntakeResult(earlier.document_id, earlier.sha256, earlier.size, True)

    def _new_entry(self, stored: ArchivedObject, delivery: Delivery, scope: str) -> LedgerEntry:
        return LedgerEntry(
            document_id=new_document_id(),
            partner_id=delivery.partner_id,
            tenant_scope=scope,
            channel=delivery.channel,
            transport_id=delivery.transport_id or f"{delivery.channel}:sha256:{stored.sha256}",
            sha256=stored.sha256,
            size=stored.size,
            archive_uri=stored.uri,
            state=RECEIVED,
            received_at=delivery.received_at,
            filename=delivery.filename,
            content_type=delivery.content_type,
            format_hint=delivery.format_hint,
            options=json.dumps(delivery.options, sort_keys=True) if delivery.options else None,
        )

    def _raw_document(self, entry: LedgerEntry) -> RawDocument:
        inline = None
        if entry.size <= self.limits.inline_limit_bytes:
            inline = self.archive.read(entry.archive_uri)
        return RawDocument(
            document_id=entry.document_id,
            partner_id=entry.partner_id,
            channel=entry.channel,  # type: ignore[arg-type]
            transport_id=entry.transport_id,
            sha256=entry.sha256,
            size=entry.size,
            archive_uri=entry.archive_uri,
            received_at=entry.received_at,
            tenant_id=entry.tenant_id,
            filename=entry.filename,
            content_type=entry.content_type,
            format_hint=entry.format_hint,
            inline_content=inline,
            options=json.loads(entry.options) if entry.options else {},
        )
