"""The translate stage: one RawDocument in, canonical events (and dead letters) out.

:func:`translate_document` is pure: sniff, select, translate, check the seller, route to a tenant.
:class:`TranslateStage` runs synchronously in a worker thread (the faust agent hands it over with
``run_in_executor``): it archives embedded attachments, publishes every event and waits for the
broker acks, dead-letters what failed, and records it all in the ledger — before the agent moves
on and the offset can be committed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

import structlog

from hub import metrics
from hub.archive import Archive
from hub.canonical.codec import from_dict, to_avro
from hub.canonical.invoice import SupplierInvoice
from hub.canonical.orders import OrderConfirmation
from hub.canonical.raw import RawDocument
from hub.db.types import utcnow
from hub.errors import DocumentError, HubError, InternalError, InvalidValueError, TransientError
from hub.formats.base import DocumentValidator, EmbeddedContent, FailedRecord, TranslationContext, TranslatorId
from hub.formats.registry import select
from hub.formats.sniff import HEAD_SIZE, sniff
from hub.ids import event_id
from hub.intake.ledger import EventRecord, Ledger
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.producer import Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames
from hub.partners import Partners, Wholesaler
from hub.pipeline.deadletter import DeadLetterWriter, FailureContext
from hub.pipeline.pricelists import PriceListStage
from hub.pipeline.routing import check_seller, resolve_tenant

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    topic: str
    key: str
    record_type: str
    record: SupplierInvoice | OrderConfirmation
    event_id: str
    index: int
    tenant_id: str
    subject: str


@dataclass(frozen=True, slots=True)
class Translated:
    translator: TranslatorId
    events: list[OutgoingEvent] = field(default_factory=list)
    failures: list[FailedRecord] = field(default_factory=list)
    embedded: list[EmbeddedContent] = field(default_factory=list)


@dataclass(frozen=True)
class Validation:
    """The loaded official rules (None: not configured) — shared by all documents of a process."""

    validator: DocumentValidator | None
    unavailable_reason: str = "the official EN 16931 / Peppol rules are not loaded (set HUB_VALIDATION_ARTEFACTS)"

    def context(
        self, wholesaler: Wholesaler | None, *, tenant_id: str | None, filename: str | None, max_xml_bytes: int
    ) -> TranslationContext:
        partner_id = wholesaler.id if wholesaler else None
        if wholesaler is not None and not wholesaler.validate_documents:
            reason = f"validation is switched off for wholesaler {wholesaler.id!r} (partners file)"
            return TranslationContext(partner_id, tenant_id, filename, max_xml_bytes, None, reason)
        return TranslationContext(
            partner_id, tenant_id, filename, max_xml_bytes, self.validator, self.unavailable_reason
        )


def translate_document(
    raw: RawDocument,
    data: bytes,
    *,
    partners: Partners,
    topics: TopicNames,
    max_xml_bytes: int,
    validation: Validation = Validation(None),
) -> Translated:
    """Pure: sniff, translate, check the seller and route every record to its tenant."""
    wholesaler = partners.wholesaler(raw.partner_id)
    if wholesaler is None:
        msg = f"wholesaler {raw.partner_id!r} is not in the partners file (any more)"
        raise InvalidValueError(msg, location="partner_id")
    translator = select(sniff(data[:HEAD_SIZE]), format_hint=raw.format_hint, allowed=wholesaler.formats)
    try:
        context = validation.context(
            wholesaler, tenant_id=raw.tenant_id, filename=raw.filename, max_xml_bytes=max_xml_bytes
        )
        output = list(translator.translate(io.BytesIO(data), context))
    except DocumentError as exc:
        exc.translator = str(translator.id)
        raise
    result = Translated(translator.id)
    for item in output:
        _collect(result, item, raw, wholesaler, partners, topics)
    return result


def _collect(
    result: Translated, item: object, raw: RawDocument, wholesaler: Wholesaler, partners: Partners, topics: TopicNames
) -> None:
    if isinstance(item, EmbeddedContent):
        result.embedded.append(item)
        return
    index = len(result.events) + len(result.failures)  # stable per position, so replays keep event ids
    if isinstance(item, FailedRecord):
        result.failures.append(item)
        return
    if isinstance(item, OrderConfirmation):
        item = dataclasses.replace(item, wholesaler_id=raw.partner_id)
        number, kind, topic = item.document_number, "order confirmation", topics.orderconfirmation
        buyer = dataclasses.replace(item.buyer, party_ids=(*item.buyer.party_ids, *_maybe(item.customer_number)))
    elif isinstance(item, SupplierInvoice):
        number, kind, topic, buyer = item.invoice_number, "invoice", topics.invoice, item.buyer
    else:
        error = InternalError(f"translator {result.translator} produced an unsupported {type(item).__name__}")
        result.failures.append(FailedRecord(error, f"record {index + 1}"))
        return
    try:
        check_seller(item.seller, wholesaler)
        tenant_id, _how = resolve_tenant(buyer, raw.partner_id, partners, raw.tenant_id)
    except DocumentError as exc:
        result.failures.append(FailedRecord(exc, f"{kind} {number}"))
        return
    result.events.append(
        OutgoingEvent(
            topic=topic,
            key=f"{raw.partner_id}|{number}",
            record_type=item.TYPE,
            record=item,
            event_id=event_id(raw.sha256, index),
            index=index,
            tenant_id=tenant_id,
            subject=number,
        )
    )


def _maybe(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


class HashingReader(io.RawIOBase):
    """Reads an archived file while hashing it; :meth:`verify` raises if the bytes are not the ones received."""

    def __init__(self, stream: BinaryIO, expected: str, uri: str) -> None:
        self._stream, self._expected, self._uri = stream, expected, uri
        self._hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self._hash.update(data)
        return len(data)

    def verify(self) -> None:
        while self.read(1024 * 1024):
            pass  # hash what the translator did not read
        if self._hash.hexdigest() != self._expected:
            msg = f"archived bytes of {self._uri} do not match their SHA-256; the archive is damaged"
            raise InvalidValueError(msg)

    def close(self) -> None:
        self._stream.close()
        super().close()


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
        validation: Validation,
        price_lists: PriceListStage | None = None,
    ) -> None:
        self.archive, self.ledger, self.publisher, self.serde = archive, ledger, publisher, serde
        self.topics, self.partners, self.max_xml_bytes = topics, partners, max_xml_bytes
        self.validation = validation
        self.dead_letters = DeadLetterWriter(publisher, serde, topics, ledger)
        self.price_lists = price_lists

    @metrics.timed("translate")
    def process(self, record: ConsumedRecord) -> str:
        """Handle one raw record; returns 'translated', 'partly_translated' or 'dead_lettered'."""
        raw: RawDocument | None = None
        try:
            raw = self._decode(record)
            streamed = self._stream_if_bulk(raw, record)
            if streamed is not None:
                return streamed
            result = translate_document(
                raw,
                self._load(raw),
                partners=self.partners,
                topics=self.topics,
                max_xml_bytes=self.max_xml_bytes,
                validation=self.validation,
            )
            return self._deliver(raw, record, result)
        except TransientError:
            raise
        except DocumentError as exc:
            self.dead_letters.send(record, exc, _context(raw, exc.translator))
        except HubError as exc:
            self.dead_letters.send(record, InternalError(exc.message), _context(raw, None))
        except Exception as exc:
            log.exception("translate.internal_error", offset=record.offset, topic=record.topic)
            error = InternalError(f"unexpected {type(exc).__name__}: {exc}; this is a bug, please report it")
            self.dead_letters.send(record, error, _context(raw, None))
        return "dead_lettered"

    def _stream_if_bulk(self, raw: RawDocument, record: ConsumedRecord) -> str | None:
        """Price lists and discount letters stream from the archive straight to Kafka; None for invoices."""
        head = self._head(raw)
        wholesaler = self.partners.wholesaler(raw.partner_id)
        if wholesaler is None or self.price_lists is None:
            return None
        translator = select(sniff(head), format_hint=raw.format_hint, allowed=wholesaler.formats)
        if translator.record_type not in ("Price", "DiscountAgreement"):
            return None
        context = bulk_context(raw, wholesaler, self.partners, self.max_xml_bytes)
        with self._open(raw) as stream:
            try:
                items = translator.translate(cast(BinaryIO, stream), context)
                outcome = self.price_lists.deliver(raw, record, translator.id, items)
            except DocumentError as exc:
                exc.translator = str(translator.id)
                raise
            stream.verify()
        return outcome

    def _head(self, raw: RawDocument) -> bytes:
        if raw.inline_content is not None:
            return raw.inline_content[:HEAD_SIZE]
        with self.archive.open(raw.archive_uri) as handle:
            return handle.read(HEAD_SIZE)

    def _open(self, raw: RawDocument) -> HashingReader:
        source: BinaryIO = (
            io.BytesIO(raw.inline_content) if raw.inline_content is not None else self.archive.open(raw.archive_uri)
        )
        return HashingReader(source, raw.sha256, raw.archive_uri)

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

    def _deliver(self, raw: RawDocument, source: ConsumedRecord, result: Translated) -> str:
        uris = {e.sha256: self.archive.put_bytes(e.content).uri for e in result.embedded}
        produced = self._publish(raw, source, result, uris)
        if produced or not result.failures:
            self.ledger.mark_translated(raw.document_id, str(result.translator), produced)
            metrics.document_translated(raw.partner_id, str(result.translator))
        context = _context(raw, str(result.translator))
        for failure in result.failures:
            error = failure.error
            if failure.reference not in (error.location or ""):
                error.location = ", ".join(p for p in (failure.reference, error.location) if p)
            self.dead_letters.send(source, error, context, document_failed=not produced)
        log.info(
            "document.translated",
            document_id=raw.document_id,
            translator=str(result.translator),
            events=len(produced),
            failed=len(result.failures),
            attachments=len(uris),
            filename=raw.filename,
        )
        if not result.failures:
            return "translated"
        return "partly_translated" if produced else "dead_lettered"

    def _publish(
        self, raw: RawDocument, source: ConsumedRecord, result: Translated, uris: dict[str, str]
    ) -> list[EventRecord]:
        futures = []
        for ev in result.events:
            record = _with_archive_uris(ev.record, uris) if isinstance(ev.record, SupplierInvoice) else ev.record
            value = self.serde.encode(ev.topic, ev.record_type, to_avro(record))
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
        return produced


def bulk_context(
    raw: RawDocument, wholesaler: Wholesaler, partners: Partners, max_xml_bytes: int
) -> TranslationContext:
    """Context for a price list or discount letter: import options and the named column mapping."""
    options = dict(raw.options)
    mapping = None
    if "mapping" in options:
        mapping = partners.mapping(options["mapping"], owners=(wholesaler.id, raw.tenant_id))
        if mapping is None:
            msg = f"no column mapping named {options['mapping']!r} for {wholesaler.id!r} or tenant {raw.tenant_id!r}"
            raise InvalidValueError(msg, location="options.mapping")
    return TranslationContext(
        raw.partner_id, raw.tenant_id, raw.filename, max_xml_bytes, options=options, mapping=mapping
    )


def _with_archive_uris(invoice: SupplierInvoice, uris: dict[str, str]) -> SupplierInvoice:
    if not invoice.attachments or not uris:
        return invoice
    attachments = tuple(
        dataclasses.replace(a, archive_uri=uris.get(a.sha256 or "", a.archive_uri)) for a in invoice.attachments
    )
    return dataclasses.replace(invoice, attachments=attachments)


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


def _context(raw: RawDocument | None, translator: str | None) -> FailureContext:
    if raw is None:
        return FailureContext(translator=translator)
    return FailureContext(raw.document_id, raw.partner_id, raw.filename, translator)
