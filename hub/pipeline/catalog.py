"""The catalog stage: batches from hub.price.v1, hub.pricelist.v1 and hub.discount.v1 into the price catalog.

Runs as a plain batched consumer (not a faust agent): a million prices arrive as thousands of records per poll,
stored with one COPY per batch. The offsets are committed only after the batch is stored; a transient failure
retries the same batch. Prices of a version stay invisible until the version is merged (all prices stored and
its COMPLETE record seen); then the articles its predecessor listed and it does not are tombstoned on
hub.price.v1 (the compacted topic forgets them) and the version's ledger event counts as sunk.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import structlog

from hub import metrics
from hub.canonical.codec import from_dict, normalized
from hub.canonical.pricelist import DiscountAgreement, PriceListVersion
from hub.errors import DocumentError, StoreUnavailableError, TransientError
from hub.intake.ledger import Ledger
from hub.kafka.consumer import BatchConsumer, ConsumedRecord
from hub.kafka.price_codec import DecodedPrice
from hub.kafka.producer import DeliveryTracker, Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames
from hub.pipeline.deadletter import DeadLetterWriter, FailureContext
from hub.sinks.catalog.writer import PRICE_COLUMNS, CatalogWriter, Merged

log = structlog.get_logger(__name__)


class CatalogStage:
    def __init__(
        self,
        *,
        writer: CatalogWriter,
        serde: AvroSerde,
        ledger: Ledger,
        publisher: Publisher,
        topics: TopicNames,
        dead_letters: DeadLetterWriter,
    ) -> None:
        self.writer, self.serde, self.ledger, self.publisher = writer, serde, ledger, publisher
        self.topics, self.dead_letters = topics, dead_letters

    @metrics.timed("sink-catalog")
    def process_batch(self, records: Sequence[ConsumedRecord]) -> int:
        """Store one batch; returns the number of versions merged. Transient errors propagate (retry)."""
        prices: list[dict[str, Any]] = []
        versions: list[tuple[PriceListVersion, ConsumedRecord]] = []
        agreements: list[tuple[DiscountAgreement, ConsumedRecord]] = []
        for record in records:
            self._sort(record, prices, versions, agreements)
        try:
            self.writer.store_prices(prices)
            for version, record in versions:
                self._version(version, record)
            for agreement, record in agreements:
                self._agreement(agreement, record)
            merged = self.writer.merge_ready()
        except TransientError:
            raise
        except Exception as exc:  # the database refused or went away: retry the batch, never skip it
            raise StoreUnavailableError(f"catalog database: {exc}") from exc
        metrics.sink_written("catalog_price", "stored", len(prices))
        for item in merged:
            self._merged(item)
        return len(merged)

    def _sort(self, record: ConsumedRecord, prices: list[Any], versions: list[Any], agreements: list[Any]) -> None:
        if record.value is None:
            return  # a tombstone we (or an earlier run) published: nothing to store
        try:
            _schema, data = self.serde.decode(record.value)
            if record.topic == self.topics.price:
                prices.append(price_row(data))
            elif record.topic == self.topics.pricelist:
                versions.append((from_dict(PriceListVersion, data), record))
            elif record.topic == self.topics.discount:
                agreements.append((from_dict(DiscountAgreement, data), record))
        except DocumentError as exc:
            self.dead_letters.send(record, exc, FailureContext(_header(record, "hub.document_id")), stage="sink")

    def _version(self, version: PriceListVersion, record: ConsumedRecord) -> None:
        self.writer.record_version(version)
        if version.status == "REJECTED":
            self.ledger.mark_event_sunk(version.version_id, "rejected")

    def _agreement(self, agreement: DiscountAgreement, record: ConsumedRecord) -> None:
        stored = self.writer.store_agreement(agreement)
        metrics.sink_written("catalog_agreement", "inserted" if stored else "unchanged")
        self.ledger.mark_event_sunk(agreement.agreement_id, "inserted" if stored else "unchanged")
        log.info("catalog.agreement", agreement_id=agreement.agreement_id, tenant=agreement.tenant_id, stored=stored)

    def _merged(self, item: Merged) -> None:
        tracker = DeliveryTracker()
        for _number_type, article in item.removed:
            key = f"{item.wholesaler_id}|{item.scope}|{article}"
            self.publisher.publish_tracked(self.topics.price, None, key=key, headers=(), tracker=tracker)
        tracker.wait(300)
        self.ledger.mark_event_sunk(item.version_id, "merged")
        metrics.sink_written("catalog_version", "merged")
        log.info(
            "catalog.version_merged",
            version_id=item.version_id,
            wholesaler=item.wholesaler_id,
            scope=item.scope,
            removed=len(item.removed),
        )


def price_row(data: dict[str, Any]) -> dict[str, Any]:
    """An Avro-decoded Price as a catalog_price row (decimals normalised, only the stored columns). A price
    from the fast codec (:class:`DecodedPrice`, decimals normalised already) is a row as it is: the writer
    reads the columns it stores by name, so the fields beyond them cost nothing — and a copy would."""
    if type(data) is DecodedPrice:
        return data
    row = {column: data.get(column) for column in PRICE_COLUMNS}
    for column in ("list_price", "price_quantity", "unit_list_price"):
        value = row[column]
        row[column] = normalized(value) if value is not None else None
    return row


def _header(record: ConsumedRecord, name: str) -> str | None:
    value = record.headers.get(name)
    return value.decode() if value else None


def run_catalog(stage: CatalogStage, consumer: BatchConsumer, stop: threading.Event, batch: int = 5000) -> None:
    """Consume until ``stop``; commit after each stored batch; retry a batch on transient failures."""
    while not stop.is_set():
        records = consumer.poll_batch(batch, timeout_s=0.5)
        if not records:
            continue
        _store_with_retry(stage, records, stop)
        consumer.commit()
    consumer.close()


def _store_with_retry(stage: CatalogStage, records: Sequence[ConsumedRecord], stop: threading.Event) -> None:
    delay = 1.0
    while not stop.is_set():
        try:
            stage.process_batch(records)
            return
        except TransientError as exc:
            log.warning("catalog.retry", error=exc.render(), records=len(records), retry_in_s=delay)
            time.sleep(delay)
            delay = min(30.0, delay * 2)
