"""Publishing price lists and discount agreements from a translator's stream (the bulk path, DESIGN §9.4).

Prices are produced as they are parsed (batched by the Kafka producer, acknowledged all at once), never
collected in memory. Each version is announced first and closed last: COMPLETE with counts, or REJECTED when
more than the threshold of lines failed (default 0.1 %) or when the translator closes it REJECTED itself (a
streamed message found broken after its prices), so the catalog never shows a half-applied list. The
scope is decided here: the forwarding tenant; else the buyer the file's header names (an unknown buyer is
refused — a customer-specific list is never published to every tenant); else ``central``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import structlog

from hub import metrics
from hub.canonical.codec import to_avro
from hub.canonical.invoice import Party
from hub.canonical.pricelist import DiscountAgreement, LineProblem, Price, PriceListVersion
from hub.canonical.raw import RawDocument
from hub.errors import DocumentError, LinesSkippedError, ListRejectedError, UnknownBuyerError
from hub.formats.base import EmbeddedContent, FailedRecord, TranslatorId
from hub.ids import event_id
from hub.intake.ledger import EventRecord, Ledger
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.producer import DeliveryTracker, Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames
from hub.partners import BuyerIdentity, Partners
from hub.pipeline.deadletter import DeadLetterWriter, FailureContext
from hub.pipeline.routing import check_seller

log = structlog.get_logger(__name__)
MAX_REPORT = 100


@dataclass
class _Open:
    """The version being streamed, and the payload writer stamping its fields on each price."""

    version: PriceListVersion
    encode: Callable[[Price], bytes]
    tracker: DeliveryTracker = field(default_factory=DeliveryTracker)
    prices: int = 0
    failed: int = 0
    problems: list[LineProblem] = field(default_factory=list)


@dataclass
class PriceListStage:
    publisher: Publisher
    serde: AvroSerde
    topics: TopicNames
    ledger: Ledger
    partners: Partners
    dead_letters: DeadLetterWriter
    reject_ratio: Decimal
    ack_timeout_s: float = 300.0

    def deliver(
        self, raw: RawDocument, source: ConsumedRecord, translator: TranslatorId, items: Iterator[object]
    ) -> str:
        run = _Run(self, raw, source, translator)
        try:
            for item in items:
                run.take(item)
        except DocumentError as exc:
            run.abort(exc)
            raise
        return run.finish()


class _Run:
    """One document's delivery: versions, prices, agreements and the ledger entries they make."""

    def __init__(self, stage: PriceListStage, raw: RawDocument, source: ConsumedRecord, translator: TranslatorId):
        self.s, self.raw, self.source, self.translator = stage, raw, source, translator
        self.open: _Open | None = None
        self.events: list[EventRecord] = []
        self.failures: list[FailedRecord] = []
        self.outcomes: list[str] = []

    def take(self, item: object) -> None:
        if isinstance(item, Price):
            self._price(item)
        elif isinstance(item, FailedRecord):
            self._failed(item)
        elif isinstance(item, PriceListVersion):
            self._announce(item) if item.status == "ANNOUNCED" else self._close(item)
        elif isinstance(item, DiscountAgreement):
            self._agreement(item)
        elif not isinstance(item, EmbeddedContent):
            msg = f"translator {self.translator} produced an unexpected {type(item).__name__}"
            raise DocumentError(msg)

    # -- versions and prices -------------------------------------------------------------------------
    def _announce(self, header: PriceListVersion) -> None:
        self._check_seller(header.seller_id)
        scope = self._scope(header)
        index = len(self.events) + len(self.outcomes)
        version = replace(
            header,
            version_id=event_id(f"{self.raw.sha256}:{scope}", index),
            wholesaler_id=self.raw.partner_id,
            scope=scope,
            source_document_id=self.raw.document_id,
        )
        self._publish_version(version)
        encode = self.s.serde.price_encoder(
            self.s.topics.price, version.version_id, version.wholesaler_id, version.scope, version.valid_from
        )
        self.open = _Open(version, encode)

    def _price(self, item: Price) -> None:
        run = self._require_open()
        v = run.version
        payload = run.encode(item)
        key = f"{v.wholesaler_id}|{v.scope}|{item.article_number}"
        headers = self._headers(v.version_id, v.scope)
        self.s.publisher.publish_tracked(self.s.topics.price, payload, key=key, headers=headers, tracker=run.tracker)
        run.prices += 1

    def _failed(self, failure: FailedRecord) -> None:
        if self.open is None:
            self.failures.append(failure)
            return
        self.open.failed += 1
        if len(self.open.problems) < MAX_REPORT:
            self.open.problems.append(LineProblem(_line_of(failure), failure.error.message, failure.error.location))

    def _close(self, summary: PriceListVersion) -> None:
        run = self._require_open()
        run.tracker.wait(self.s.ack_timeout_s)
        total = run.prices + run.failed
        rejected = total > 0 and Decimal(run.failed) / Decimal(total) > self.s.reject_ratio
        reason = (
            f"{run.failed} of {total} lines failed, more than the allowed {self.s.reject_ratio * 100:.2f} %; "
            "nothing of this version is applied — fix the file and send it again"
            if rejected
            else None
        )
        if summary.status == "REJECTED":  # the translator found the version unusable after its prices (a late UNT)
            rejected, reason = True, summary.reason
        version = replace(
            run.version,
            status="REJECTED" if rejected else "COMPLETE",
            article_count=run.prices,
            failed_lines=run.failed,
            line_report=tuple(run.problems),
            reason=reason,
            valid_to=summary.valid_to or run.version.valid_to,
        )
        delivered = self._publish_version(version)
        self.events.append(
            self._event(version.version_id, "PriceListVersion", f"{version.wholesaler_id}|{version.scope}", delivered)
        )
        self.outcomes.append(version.status)
        if run.failed:
            self._report(version)
        self.open = None

    def _publish_version(self, version: PriceListVersion) -> Any:
        payload = self.s.serde.encode(self.s.topics.pricelist, PriceListVersion.TYPE, to_avro(version))
        key = f"{version.wholesaler_id}|{version.scope}"
        headers = self._headers(version.version_id, version.scope)
        return self.s.publisher.publish_sync(self.s.topics.pricelist, payload, key=key, headers=headers)

    # -- discount agreements -------------------------------------------------------------------------
    def _agreement(self, item: DiscountAgreement) -> None:
        tenant = self.raw.tenant_id or self._tenant_of(item.buyer_id, item.customer_number)
        if tenant is None:
            raise UnknownBuyerError(self._unknown_buyer(item.buyer_id, item.customer_number), location="header")
        index = len(self.events) + len(self.outcomes)
        agreement = replace(
            item,
            agreement_id=event_id(f"{self.raw.sha256}:{tenant}", index),
            wholesaler_id=self.raw.partner_id,
            tenant_id=tenant,
            source_document_id=self.raw.document_id,
        )
        topic, key = self.s.topics.discount, f"{tenant}|{self.raw.partner_id}"
        payload = self.s.serde.encode(topic, DiscountAgreement.TYPE, to_avro(agreement))
        headers = self._headers(agreement.agreement_id, tenant)
        delivered = self.s.publisher.publish_sync(topic, payload, key=key, headers=headers)
        self.events.append(self._event(agreement.agreement_id, "DiscountAgreement", key, delivered))
        self.outcomes.append("AGREEMENT")

    # -- scope and tenants ---------------------------------------------------------------------------
    def _check_seller(self, seller_id: str | None) -> None:
        """DESIGN §9.2: the file's own seller must be the delivering wholesaler (when both can be compared)."""
        wholesaler = self.s.partners.wholesaler(self.raw.partner_id)
        if seller_id and wholesaler is not None:
            digits = "".join(c for c in seller_id if c.isdigit()) or None
            check_seller(Party(name=seller_id, org_number=digits, vat_number=seller_id), wholesaler)

    def _scope(self, header: PriceListVersion) -> str:
        if self.raw.tenant_id:
            return self.raw.tenant_id
        if header.buyer_id or header.customer_number:
            tenant = self._tenant_of(header.buyer_id, header.customer_number)
            if tenant is None:
                raise UnknownBuyerError(self._unknown_buyer(header.buyer_id, header.customer_number), location="header")
            return tenant
        return "central"

    def _tenant_of(self, buyer_id: str | None, customer_number: str | None) -> str | None:
        digits = "".join(c for c in (buyer_id or "") if c.isdigit()) or None
        identity = BuyerIdentity(
            org_number=digits, vat_number=buyer_id, customer_numbers=(customer_number,) if customer_number else ()
        )
        found = self.s.partners.resolve_tenant(self.raw.partner_id, identity)
        return found[0] if found else None

    def _unknown_buyer(self, buyer_id: str | None, customer_number: str | None) -> str:
        return (
            f"the file is for buyer {buyer_id or '-'} (customer number {customer_number or '-'}) of wholesaler "
            f"{self.raw.partner_id!r}, which matches no tenant; a customer-specific list is never published to "
            "all tenants — add the identifier to the tenant in the partners file, or import it with --tenant"
        )

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _require_open(self) -> _Open:
        if self.open is None:
            msg = f"translator {self.translator} produced prices before announcing a price-list version"
            raise DocumentError(msg)
        return self.open

    def _headers(self, record_id: str, scope: str) -> list[tuple[str, str]]:
        return [
            ("hub.document_id", self.raw.document_id),
            ("hub.event_id", record_id),
            ("hub.partner", self.raw.partner_id),
            ("hub.tenant", scope),
            ("hub.translator", self.translator.name),
            ("hub.translator.version", str(self.translator.version)),
            ("hub.raw.sha256", self.raw.sha256),
        ]

    def _event(self, record_id: str, record_type: str, key: str, delivered: Any) -> EventRecord:
        return EventRecord(
            event_id=record_id,
            record_index=len(self.events),
            record_type=record_type,
            business_key=key,
            topic=delivered.topic,
            partition=delivered.partition,
            offset=delivered.offset,
            translator=str(self.translator),
        )

    def _report(self, version: PriceListVersion) -> None:
        first = "; ".join(f"line {p.line}: {p.message}" for p in version.line_report[:5])
        if version.status == "REJECTED":
            error: DocumentError = ListRejectedError(f"{version.reason}. First problems: {first}")
        else:
            error = LinesSkippedError(
                f"{version.failed_lines} line(s) skipped, {version.article_count} imported "
                f"(version {version.version_id}). First problems: {first}"
            )
        context = FailureContext(self.raw.document_id, self.raw.partner_id, self.raw.filename, str(self.translator))
        self.s.dead_letters.send(self.source, error, context, document_failed=version.status == "REJECTED")

    def abort(self, exc: DocumentError) -> None:
        """A fatal error mid-stream: a version left open is closed REJECTED, so it is never applied."""
        if self.open is not None:
            version = replace(self.open.version, status="REJECTED", reason=f"{exc.code}: {exc.message}")
            self._publish_version(version)
            self.open = None

    def finish(self) -> str:
        if self.open is not None:
            msg = f"translator {self.translator} never closed price-list version {self.open.version.version_id}"
            self.abort(DocumentError(msg))
            raise DocumentError(msg)
        if self.events:
            self.s.ledger.mark_translated(self.raw.document_id, str(self.translator), self.events)
            metrics.document_translated(self.raw.partner_id, str(self.translator))
        for failure in self.failures:
            context = FailureContext(self.raw.document_id, self.raw.partner_id, self.raw.filename, str(self.translator))
            self.s.dead_letters.send(self.source, failure.error, context, document_failed=not self.events)
        log.info("pricelist.delivered", document_id=self.raw.document_id, outcomes=self.outcomes)
        if not self.events:
            return "dead_lettered"
        return "rejected" if "REJECTED" in self.outcomes else "translated"


def _line_of(failure: FailedRecord) -> int:
    digits = "".join(c for c in failure.reference.split(",")[0] if c.isdigit())
    return int(digits) if digits else 0


def price_avro(p: Price, version_id: str, wholesaler_id: str, scope: str, valid_from: Any) -> dict[str, Any]:
    """A Price as the Avro dict, stamped with its version — written out field by field because it runs a
    million times per large list (the generic dataclass walk is several times slower)."""
    return {
        "version_id": version_id,
        "wholesaler_id": wholesaler_id,
        "scope": scope,
        "valid_from": valid_from,
        "article_number": p.article_number,
        "number_type": p.number_type,
        "list_price": p.list_price,
        "price_quantity": p.price_quantity,
        "unit_list_price": p.unit_list_price,
        "price_type": p.price_type,
        "status": p.status,
        "line": p.line,
        "gtin": p.gtin,
        "description": p.description,
        "description_2": p.description_2,
        "unit": p.unit,
        "unit_code": p.unit_code,
        "discount_group": p.discount_group,
        "discount_percent": p.discount_percent,
        "raw_status": p.raw_status,
        "brand": p.brand,
        "manufacturer_article": p.manufacturer_article,
        "stocked": p.stocked,
        "pack_size": p.pack_size,
        "price_date": p.price_date,
        "alternatives": [
            {"kind": a.kind, "number_type": a.number_type, "article_number": a.article_number, "pack_size": a.pack_size}
            for a in p.alternatives
        ],
        "extra": p.extra,
    }
