"""A plain consumer for tools and tests: read a topic from the start, by count or until idle."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from confluent_kafka import Consumer, Message

from hub.kafka.producer import LIBRDKAFKA_LOG
from hub.kafka.security import PLAINTEXT, KafkaSecurity


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


def to_record(msg: Message) -> ConsumedRecord:
    topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
    assert topic is not None and partition is not None and offset is not None
    raw = msg.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else list(raw)
    headers = {k: (v.encode() if isinstance(v, str) else v or b"") for k, v in pairs}
    key, value = msg.key(), msg.value()
    return ConsumedRecord(
        topic,
        partition,
        offset,
        key.encode() if isinstance(key, str) else key,
        value.encode() if isinstance(value, str) else value,
        headers,
    )


def read_records(
    bootstrap_servers: str,
    topics: Sequence[str],
    *,
    group_id: str,
    idle_s: float = 3.0,
    max_records: int | None = None,
    deadline_s: float = 60.0,
    session_timeout_s: float = 6.0,
    security: KafkaSecurity = PLAINTEXT,
) -> Iterator[ConsumedRecord]:
    """Yield records from the earliest offset until ``max_records`` or ``idle_s`` without new ones.

    Counting by consuming (not by watermarks) is deliberate: the bundled broker reports wrong
    high watermarks for multi-record batches.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": int(session_timeout_s * 1000),
            "heartbeat.interval.ms": max(500, int(session_timeout_s * 1000 / 4)),
            "logger": LIBRDKAFKA_LOG,
            **security.librdkafka(),
        }
    )
    consumer.subscribe(list(topics))
    count, started = 0, time.monotonic()
    last = started
    try:
        while time.monotonic() - started < deadline_s:
            msg = consumer.poll(0.5)
            now = time.monotonic()
            if msg is None:
                # Group join takes about half a session timeout before the first record can come.
                if (count and now - last > idle_s) or (not count and now - started > idle_s + session_timeout_s):
                    return
                continue
            if msg.error() is not None:
                continue  # partition EOF and transient fetch errors: keep polling
            last = now
            count += 1
            yield to_record(msg)
            if max_records is not None and count >= max_records:
                return
    finally:
        consumer.close()


class BatchConsumer:
    """Batched consumption for bulk stages: ``consume(num_messages=…)``, commit only after processing."""

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        *,
        group_id: str,
        session_timeout_s: float = 10.0,
        security: KafkaSecurity = PLAINTEXT,
    ) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group_id,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "session.timeout.ms": int(session_timeout_s * 1000),
                "heartbeat.interval.ms": max(500, int(session_timeout_s * 1000 / 4)),
                "max.poll.interval.ms": 600_000,  # a large merge may take minutes
                # a topic created after subscribe() is seen at the next refresh: 10 s, not librdkafka's 5 min
                "topic.metadata.refresh.interval.ms": 10_000,
                "logger": LIBRDKAFKA_LOG,
                **security.librdkafka(),
            }
        )
        self._consumer.subscribe(list(topics))

    def poll_batch(self, max_records: int = 5000, timeout_s: float = 1.0) -> list[ConsumedRecord]:
        messages = self._consumer.consume(num_messages=max_records, timeout=timeout_s)
        return [to_record(m) for m in messages if m.error() is None]

    def commit(self) -> None:
        self._consumer.commit(asynchronous=False)

    def close(self) -> None:
        self._consumer.close()
