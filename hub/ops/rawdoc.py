"""Rebuilding a document's raw record from the ledger and the archive, and tagging what a run publishes.

A replay does not need the raw topic (the bundled broker may have forgotten it): the ledger row has every
field of the RawDocument, the archive has the bytes. :class:`TaggingPublisher` adds ``hub.replay=<run-id>``
(or ``hub.redeliver=<run-id>``) to every record a run publishes — events and dead letters alike.
"""

from __future__ import annotations

import json
from concurrent.futures import Future

from hub.canonical.codec import to_avro
from hub.canonical.raw import RawDocument
from hub.intake.ledger import LedgerEntry
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.producer import Delivered, DeliveryTracker, HeaderList, Publisher
from hub.kafka.serde import AvroSerde
from hub.ops.selection import DocumentRow
from hub.runtime import Runtime

REPLAY_HEADER = "hub.replay"
REDELIVER_HEADER = "hub.redeliver"


def raw_document(entry: LedgerEntry) -> RawDocument:
    """The RawDocument as intake published it; the bytes are read from the archive (never inline)."""
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
        options=json.loads(entry.options) if entry.options else {},
    )


def raw_record(row: DocumentRow, serde: AvroSerde, default_topic: str, run_id: str) -> ConsumedRecord:
    """What the translate stage would have consumed, at the raw coordinates the ledger last recorded."""
    entry = row.entry
    topic = row.raw_topic or default_topic
    value = serde.encode(topic, RawDocument.TYPE, to_avro(raw_document(entry)))
    headers = {
        "hub.document_id": entry.document_id.encode(),
        "hub.partner": entry.partner_id.encode(),
        REPLAY_HEADER: run_id.encode(),
    }
    partition = row.raw_partition if row.raw_partition is not None else 0
    offset = row.raw_offset if row.raw_offset is not None else -1
    return ConsumedRecord(topic, partition, offset, entry.partner_id.encode(), value, headers)


class TaggingPublisher(Publisher):
    """Publishes through another publisher, adding one header to every record.

    It owns no producer of its own (so it does not call ``Publisher.__init__``); closing it is a no-op, the
    wrapped publisher belongs to the runtime.
    """

    def __init__(self, inner: Publisher, name: str, value: str) -> None:
        self._inner, self._tag = inner, (name, value)

    def _tagged(self, headers: HeaderList) -> list[tuple[str, bytes | str]]:
        items = list(headers)
        if not any(key == self._tag[0] for key, _ in items):
            items.append(self._tag)
        return items

    def publish(
        self, topic: str, value: bytes | None, *, key: bytes | str | None = None, headers: HeaderList = ()
    ) -> Future[Delivered]:
        return self._inner.publish(topic, value, key=key, headers=self._tagged(headers))

    def publish_tracked(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | str | None,
        headers: HeaderList,
        tracker: DeliveryTracker,
    ) -> None:
        self._inner.publish_tracked(topic, value, key=key, headers=self._tagged(headers), tracker=tracker)

    def publish_sync(
        self, topic: str, value: bytes | None, *, key: bytes | str | None = None, headers: HeaderList = ()
    ) -> Delivered:
        return self._inner.publish_sync(topic, value, key=key, headers=self._tagged(headers))

    async def publish_async(
        self, topic: str, value: bytes | None, *, key: bytes | str | None = None, headers: HeaderList = ()
    ) -> Delivered:
        return await self._inner.publish_async(topic, value, key=key, headers=self._tagged(headers))

    def close(self, timeout_s: float = 10.0) -> None:
        return None


SHARED = ("topics", "archive", "state_engine", "erp_engine", "ledger", "serde")


def tagged_runtime(runtime: Runtime, name: str, value: str) -> Runtime:
    """A runtime whose stages publish through a :class:`TaggingPublisher`; engines and caches are shared.

    The stages are built by the runtime exactly as ``hub up`` builds them, so a run uses the same wiring.
    Do not close it: it owns nothing (the original runtime does).
    """
    clone = Runtime(runtime.settings, runtime.partners, runtime.bootstrap_servers)
    for attribute in SHARED:
        vars(clone)[attribute] = getattr(runtime, attribute)
    if "validation" in vars(runtime):  # loaded rules are shared; otherwise the clone loads them when needed
        vars(clone)["validation"] = runtime.validation
    vars(clone)["publisher"] = TaggingPublisher(runtime.publisher, name, value)
    return clone
