"""``hub redeliver``: apply already-produced canonical events to the sinks again, without re-translating.

For when the ERP database was restored from a backup, or a sink was fixed. The events are chosen from the
ledger (``hub_event``: topic, partition, offset of every event produced), read back from their topics by a
fresh consumer group, checked against the recorded event id (a restarted bundled broker renumbers its
offsets, so the record at an old offset may be another one), and handed to the same sink stages ``hub up``
runs — idempotent and version-fenced, so redelivering twice changes nothing. Events no longer on their
topic are reported, with ``hub replay`` as the way to produce them again. Price-list versions are not
redelivered: their prices are not recorded per offset (and ``hub.price.v1`` is compacted); replay them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select

from hub.intake.tables import event
from hub.kafka.consumer import ConsumedRecord, read_records
from hub.ops.rawdoc import REDELIVER_HEADER, tagged_runtime
from hub.runtime import Runtime, resolve_bootstrap

MISSING, REPLACED, UNSUPPORTED = "missing", "replaced", "unsupported"
Handler = Callable[[ConsumedRecord], str]


@dataclass(frozen=True, slots=True)
class EventSelection:
    documents: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # physical topic names
    since: datetime | None = None  # produced at or after
    until: datetime | None = None
    everything: bool = False

    def is_empty(self) -> bool:
        return not self.everything and not any((self.documents, self.topics, self.since, self.until))

    def describe(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "documents": list(self.documents),
            "topics": list(self.topics),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "all": self.everything,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True, slots=True)
class Redelivered:
    event: dict[str, Any]  # the hub_event row
    outcome: str  # the sink's outcome, or missing / replaced / unsupported


def select_events(runtime: Runtime, selection: EventSelection) -> list[dict[str, Any]]:
    c = event.c
    conditions: list[ColumnElement[bool]] = []
    if selection.documents:
        conditions.append(c.document_id.in_(selection.documents))
    if selection.topics:
        conditions.append(c.topic.in_(selection.topics))
    if selection.since:
        conditions.append(c.produced_at >= selection.since)
    if selection.until:
        conditions.append(c.produced_at < selection.until)
    query = select(event).where(*conditions).order_by(c.topic, c.partition, c.offset)
    with runtime.state_engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


class Redeliverer:
    def __init__(self, runtime: Runtime, run_id: str) -> None:
        self.rt, self.run_id = runtime, run_id
        self.tagged = tagged_runtime(runtime, REDELIVER_HEADER, run_id)
        self._handlers: dict[str, Handler] | None = None

    def handlers(self) -> dict[str, Handler]:
        """Physical topic → the sink stage that applies its events (as ``hub up`` wires them)."""
        if self._handlers is None:
            topics = self.tagged.topics
            catalog = self.tagged.catalog_stage()
            self._handlers = {
                topics.invoice: self.tagged.sink_stage().process,
                topics.orderconfirmation: self.tagged.orders_stage().process,
                topics.discount: lambda record: self._catalog(catalog.process_batch, record),
            }
        return self._handlers

    def _catalog(self, process: Callable[[Sequence[ConsumedRecord]], int], record: ConsumedRecord) -> str:
        process([record])
        event_id = (record.headers.get("hub.event_id") or b"").decode()
        with self.rt.state_engine.connect() as conn:
            outcome = conn.scalar(select(event.c.sink_outcome).where(event.c.event_id == event_id))
        return str(outcome or "applied")

    def fetch(
        self, events: Sequence[dict[str, Any]], on_record: Callable[[], None]
    ) -> tuple[dict[str, ConsumedRecord], set[str]]:
        """Read the recorded positions back: (event id → record still holding it, ids whose offset holds another)."""
        wanted = {(e["topic"], e["partition"], e["offset"]): e["event_id"] for e in events}
        found: dict[str, ConsumedRecord] = {}
        replaced: set[str] = set()
        if not wanted:
            return found, replaced
        reader = self._read(sorted({t for t, _, _ in wanted}))
        try:
            self._scan(reader, wanted, found, replaced, on_record)
        finally:
            reader.close()  # leaves the consumer group at once
        return found, replaced

    def _scan(
        self,
        reader: Iterator[ConsumedRecord],
        wanted: dict[tuple[str, int, int], str],
        found: dict[str, ConsumedRecord],
        replaced: set[str],
        on_record: Callable[[], None],
    ) -> None:
        pending: dict[tuple[str, int], set[int]] = {}
        for topic, partition, offset in wanted:
            pending.setdefault((topic, partition), set()).add(offset)
        for record in reader:
            on_record()
            expected = wanted.get((record.topic, record.partition, record.offset))
            if expected is not None and record.headers.get("hub.event_id") == expected.encode():
                found[expected] = record
            elif expected is not None:
                replaced.add(expected)
            offsets = pending.get((record.topic, record.partition), set())
            offsets.difference_update([o for o in offsets if o <= record.offset])
            if not any(pending.values()):
                return  # every recorded position was passed: the rest of the topic is of no interest

    def _read(self, topics: list[str]) -> Generator[ConsumedRecord, None, None]:
        bootstrap = self.rt.bootstrap_servers or resolve_bootstrap(self.rt.settings)
        records = read_records(
            bootstrap,
            topics,
            group_id=f"{self.rt.settings.app_id}-redeliver-{self.run_id}",
            idle_s=3.0,
            deadline_s=900.0,
            session_timeout_s=self.rt.settings.kafka_session_timeout_s,
            security=self.rt.settings.kafka_security,
        )
        yield from records

    def apply(self, ev: dict[str, Any], record: ConsumedRecord | None, replaced: bool) -> Redelivered:
        handler = self.handlers().get(ev["topic"])
        if handler is None:
            return Redelivered(ev, UNSUPPORTED)
        if record is None:
            return Redelivered(ev, REPLACED if replaced else MISSING)
        return Redelivered(ev, handler(record))


def redeliver_all(
    redeliverer: Redeliverer, events: Sequence[dict[str, Any]], on_record: Callable[[], None]
) -> Iterator[Redelivered]:
    """Fetch what can be redelivered (supported topics only), then apply it in offset order."""
    supported = [e for e in events if e["topic"] in redeliverer.handlers()]
    found, replaced = redeliverer.fetch(supported, on_record)
    for ev in events:
        yield redeliverer.apply(ev, found.get(ev["event_id"]), replaced=ev["event_id"] in replaced)
