"""The hub's Prometheus metrics: the one place metric objects are defined, and the functions that move them.

Pipeline code calls the small functions below (``document_received``, ``document_translated`` …) — one line at
the point where the thing happened — and never touches a metric object itself. Counters live in the
process-wide default registry, so ``/metrics`` of the process that does the work shows them (``hub up`` runs
everything, the API included, in one process).

Consumer lag is *not* a counter: :class:`LedgerLagCollector` computes it at scrape time from the intake
ledger — documents published but not yet translated, events produced but not yet written by a sink — and
never from broker watermarks (the bundled Tansu broker reports wrong high watermarks for multi-record
batches; see docs/api.md). The AS2 certificate gauge ``hub_certificate_days_to_expiry`` is defined by
``hub.connectors.as2.certs`` in the same default registry, so it is exposed too.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import ParamSpec, TypeVar

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, and_, exists, func, select
from sqlalchemy.exc import SQLAlchemyError

from hub.db.types import utcnow
from hub.intake.ledger import PUBLISHED, LedgerEntry
from hub.intake.tables import dead_letter, event, intake

log = structlog.get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

DOCUMENTS_RECEIVED = Counter(
    "hub_documents_received",
    "Deliveries from a known wholesaler that intake started to take (new documents and duplicates).",
    ["partner", "channel"],
)
DUPLICATE_DELIVERIES = Counter(
    "hub_duplicate_deliveries",
    "Deliveries recognised as already taken: acknowledged again, nothing published.",
    ["partner", "channel"],
)
DOCUMENTS_ACKNOWLEDGED = Counter(
    "hub_documents_acknowledged",
    "Deliveries acknowledged to the partner after the broker acked the RawDocument.",
    ["partner", "channel"],
)
DOCUMENTS_TRANSLATED = Counter(
    "hub_documents_translated",
    "Documents whose canonical events were produced and acked (a replay counts again).",
    ["partner", "translator"],
)
DEAD_LETTERS = Counter("hub_dead_letters", "Records sent to hub.dlq.v1.", ["code", "stage"])
SINK_ROWS = Counter(
    "hub_sink_rows_written",
    "Records applied by a sink: ERP invoices by outcome, catalog prices, agreements and merged versions.",
    ["sink", "outcome"],
)
PROCESSING_SECONDS = Histogram(
    "hub_processing_seconds",
    "Time one stage spent on one record (translate: parse, validate, publish and wait for acks) or batch.",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def document_received(partner: str, channel: str) -> None:
    DOCUMENTS_RECEIVED.labels(partner=partner, channel=channel).inc()


def duplicate_delivery(partner: str, channel: str) -> None:
    DUPLICATE_DELIVERIES.labels(partner=partner, channel=channel).inc()


def document_acknowledged(entry: LedgerEntry | None) -> None:
    partner, channel = (entry.partner_id, entry.channel) if entry else ("unknown", "unknown")
    DOCUMENTS_ACKNOWLEDGED.labels(partner=partner, channel=channel).inc()


def document_translated(partner: str, translator: str) -> None:
    DOCUMENTS_TRANSLATED.labels(partner=partner, translator=translator).inc()


def dead_lettered(code: str, stage: str) -> None:
    DEAD_LETTERS.labels(code=code, stage=stage).inc()


def sink_written(sink: str, outcome: str, rows: int = 1) -> None:
    if rows:
        SINK_ROWS.labels(sink=sink, outcome=outcome).inc(rows)


def timed(stage: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: observe the wrapped call's duration in ``hub_processing_seconds{stage}`` (also on errors)."""
    histogram = PROCESSING_SECONDS.labels(stage=stage)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)

        return wrapper

    return decorate


class LedgerLagCollector(Collector):
    """Consumer lag from the ledger, per stage and topic, computed at scrape time.

    * ``translate``: documents the broker acked on a raw topic (state ``published``) that the translate
      stage has not finished (translated, dead-lettered or sunk);
    * ``sink``: events the ledger recorded as produced (invoices, price-list versions, agreements) that no
      sink has written yet — events whose sink dead-lettered them are not waiting any more.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "hub_consumer_lag_records",
            "Records acked by the broker and not yet done by the consuming stage (from the ledger).",
            labels=["stage", "topic"],
        )
        oldest = GaugeMetricFamily(
            "hub_consumer_lag_oldest_seconds",
            "Age of the oldest record waiting for the stage (0 when none waits).",
            labels=["stage", "topic"],
        )
        ok = GaugeMetricFamily("hub_ledger_scrape_ok", "1 when the ledger could be read for the lag metrics.")
        try:
            rows = [*self._waiting_translate(), *self._waiting_sink()]
        except SQLAlchemyError as exc:
            log.warning("metrics.ledger_unavailable", error=str(exc).splitlines()[0])
            ok.add_metric([], 0)
            yield ok
            return
        now = utcnow()
        for stage, topic, count, since in rows:
            lag.add_metric([stage, topic], count)
            oldest.add_metric([stage, topic], max(0.0, (now - since).total_seconds()) if since else 0.0)
        ok.add_metric([], 1)
        yield from (lag, oldest, ok)

    def _waiting_translate(self) -> list[tuple[str, str, int, datetime | None]]:
        query = (
            select(intake.c.raw_topic, func.count(), func.min(intake.c.published_at))
            .where(intake.c.state == PUBLISHED)
            .group_by(intake.c.raw_topic)
        )
        with self.engine.connect() as conn:
            return [("translate", topic or "", count, since) for topic, count, since in conn.execute(query)]

    def _waiting_sink(self) -> list[tuple[str, str, int, datetime | None]]:
        failed = exists().where(
            and_(
                dead_letter.c.document_id == event.c.document_id,
                dead_letter.c.source_topic == event.c.topic,
                dead_letter.c.source_partition == event.c.partition,
                dead_letter.c.source_offset == event.c.offset,
            )
        )
        query = (
            select(event.c.topic, func.count(), func.min(event.c.produced_at))
            .where(event.c.sunk_at.is_(None), ~failed)
            .group_by(event.c.topic)
        )
        with self.engine.connect() as conn:
            return [("sink", topic, count, since) for topic, count, since in conn.execute(query)]


class _DefaultRegistry(Collector):
    """Everything in the process-wide registry (pipeline counters, AS2 certificate gauge, process stats)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(ledger_engine: Engine) -> bytes:
    """The text of ``/metrics``: the default registry plus the ledger's lag for this state database."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DefaultRegistry())
    registry.register(LedgerLagCollector(ledger_engine))
    return generate_latest(registry)
