"""The translate stage: one RawDocument in, canonical events (or one dead letter) out.

Runs synchronously in a worker thread (the faust agent hands it over with ``run_in_executor``),
so a long parse never blocks the consumer's heartbeats, and the publish waits for broker acks
before the agent moves on and the offset can be committed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import structlog

from hub.archive import Archive
from hub.canonical.codec import from_dict, to_avro
from hub.canonical.invoice import SupplierInvoice
from hub.canonical.raw import RawDocument
from hub.db.types import utcnow
from hub.errors import DocumentError, HubError, InternalError, InvalidValueError, TransientError
from hub.formats.base import TranslationContext, TranslatorId
from hub.formats.registry import translate_bytes
from hub.ids import event_id
from hub.intake.ledger import EventRecord, Ledger
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.producer import Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames
from hub.partners import Partners
from hub.pipeline.deadletter import DeadLetterWriter, FailureContext
from hub.pipeline.routing import check_seller, resolve_tenant

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    topic: str
    key: str
    record_type: str
    record: object
    event_id: str
    index: int
    tenant_id: str
    subject: str


@dataclass(frozen=True, slots=True)
class Translated:
    translator: TranslatorId
    events: list[OutgoingEvent]


def translate_document(
    raw: RawDocument, data: bytes, *, partners: Partners, topics: TopicNames, max_xml_bytes: int
) -> Translated:
    """Pure: sniff, translate, check the seller and route every record to its tenant."""
    wholesaler = partners.wholesaler(raw.partner_id)
    if wholesaler is None:
        msg = f"wholesaler {raw.partner_id!r} is not in the partners file (any more)"
        raise InvalidValueError(msg, location="partner_id")
    context = TranslationContext(raw.partner_id, raw.tenant_id, raw.filename, max_xml_bytes)
    translator, records = translate_bytes(data, context, format_hint=raw.format_hint, allowed=wholesaler.formats)
    events = []
    for index, record in enumerate(records):
        if not isinstance(record, SupplierInvoice):
            msg = f"translator {translator.id} produced an unsupported record {type(record).__name__}"
            raise InternalError(msg)
        check_seller(record.seller, wholesaler)
        tenant_id, _how = resolve_tenant(record.buyer, raw.partner_id, partners, raw.tenant_id)
        events.append(
            OutgoingEvent(
                topic=topics.invoice,
                key=f"{raw.partner_id}|{record.invoice_number}",
                record_type=SupplierInvoice.TYPE,
                record=record,
                event_id=event_id(raw.sha256, index),
                index=index,
                tenant_id=tenant_id,
                subject=record.invoice_number,
            )
        )
    return Translated(translator.id, events)


class TranslateStage:
    """Wires :func:`translate_document` to the archive, the publisher, the DLQ and the ledger."""

    def __init__(
        self,
        *,
        archive: Archive,
        ledger: Ledger,
        publisher: Publisher,
        serde: AvroSerde,
        topics: TopicNames,
        partners: Partners,
        max_xml_bytes: int,
    ) -> None:
        self.archive, self.ledger, self.publisher, self.serde = archive, ledger, publisher, serde
        self.topics, self.partners, self.max_xml_bytes = topics, partners, max_xml_bytes
        self.dead_letters = DeadLetterWriter(publisher, serde, topics, ledger)

    def process(self, record: ConsumedRecord) -> str:
        """Handle one raw record; returns 'translated' or 'dead_lettered'. TransientError propagates."""
        raw: RawDocument | None = None
        try:
            raw = self._decode(record)
            data = self._load(raw)
            result = translate_document(
                raw, data, partners=self.partners, topics=self.topics, max_xml_bytes=self.max_xml_bytes
            )
            self._publish(raw, record, result)
            return "translated"
        except TransientError:
            raise
        except DocumentError as exc:
            self.dead_letters.send(record, exc, _context(raw, exc))
        except HubError as exc:
            self.dead_letters.send(record, InternalError(exc.message), _context(raw, exc))
        except Exception as exc:
            log.exception("translate.internal_error", offset=record.offset, topic=record.topic)
            error = InternalError(f"unexpected {type(exc).__name__}: {exc}; this is a bug, please report it")
            self.dead_letters.send(record, error, _context(raw, exc))
        return "dead_lettered"

    def _decode(self, record: ConsumedRecord) -> RawDocument:
        if record.value is None:
            msg = "raw record without a value"
            raise InvalidValueError(msg)
        _schema, data = self.serde.decode(record.value)
        return from_dict(RawDocument, data)

    def _load(self, raw: RawDocument) -> bytes:
        data = raw.inline_content if raw.inline_content is not None else self.archive.read(raw.archive_uri)
        if hashlib.sha256(data).hexdigest() != raw.sha256:
            msg = f"archived bytes of {raw.archive_uri} do not match their SHA-256; the archive is damaged"
            raise InvalidValueError(msg)
        return data

    def _publish(self, raw: RawDocument, source: ConsumedRecord, result: Translated) -> None:
        futures = []
        for ev in result.events:
            value = self.serde.encode(ev.topic, ev.record_type, to_avro(ev.record))
            headers = _event_headers(raw, source, result.translator, ev)
            futures.append((ev, self.publisher.publish(ev.topic, value, key=ev.key, headers=headers)))
        produced = []
        for ev, future in futures:
            delivered = future.result()  # raises BrokerUnavailableError (transient) on failure
            produced.append(
                EventRecord(
                    event_id=ev.event_id,
                    record_index=ev.index,
                    record_type=ev.record_type,
                    business_key=ev.key,
                    topic=delivered.topic,
                    partition=delivered.partition,
                    offset=delivered.offset,
                    translator=str(result.translator),
                )
            )
        self.ledger.mark_translated(raw.document_id, str(result.translator), produced)
        log.info(
            "document.translated",
            document_id=raw.document_id,
            translator=str(result.translator),
            events=len(produced),
            filename=raw.filename,
        )


def _event_headers(
    raw: RawDocument, source: ConsumedRecord, translator: TranslatorId, ev: OutgoingEvent
) -> list[tuple[str, str]]:
    return [
        ("hub.document_id", raw.document_id),
        ("hub.event_id", ev.event_id),
        ("hub.raw.topic", source.topic),
        ("hub.raw.partition", str(source.partition)),
        ("hub.raw.offset", str(source.offset)),
        ("hub.raw.sha256", raw.sha256),
        ("hub.translator", translator.name),
        ("hub.translator.version", str(translator.version)),
        ("hub.tenant", ev.tenant_id),
        ("hub.partner", raw.partner_id),
        ("ce_specversion", "1.0"),
        ("ce_id", ev.event_id),
        ("ce_type", f"org.grossisthub.canonical.{ev.record_type}"),
        ("ce_source", f"/hub/formats/{translator.name}"),
        ("ce_subject", ev.subject),
        ("ce_time", utcnow().isoformat()),
    ]


def _context(raw: RawDocument | None, exc: Exception) -> FailureContext:
    translator = getattr(exc, "translator", None)
    if raw is None:
        return FailureContext(translator=translator)
    return FailureContext(raw.document_id, raw.partner_id, raw.filename, translator)
