"""The hub's producer: idempotent, ``acks=all``, and every publish returns a future of the broker ack.

Connectors and agents must know that Kafka *has* a record before they acknowledge a partner or
commit an offset, so :meth:`Publisher.publish` returns a :class:`concurrent.futures.Future` that
resolves on the delivery report. A background thread polls the producer, so nobody needs
``flush()`` (which would block an event loop).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import structlog
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from hub.errors import BrokerUnavailableError

log = structlog.get_logger(__name__)
# librdkafka's own messages (connection refused, metadata changes) go through stdlib logging
# instead of raw lines on stderr.
LIBRDKAFKA_LOG = logging.getLogger("hub.kafka.librdkafka")

HeaderList = Sequence[tuple[str, bytes | str]]


@dataclass(frozen=True, slots=True)
class Delivered:
    topic: str
    partition: int
    offset: int


def delivered(msg: Message) -> Delivered:
    """Coordinates of an acknowledged record (always set once the broker acked it)."""
    topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
    assert topic is not None and partition is not None and offset is not None
    return Delivered(topic, partition, offset)


class DeliveryTracker:
    """Counts outstanding deliveries of a stream of records without a future per record (bulk path)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.pending = 0
        self.delivered = 0
        self.error: str | None = None

    def sent(self) -> None:
        with self._cond:
            self.pending += 1

    def done(self, err: KafkaError | None, _msg: Message) -> None:
        with self._cond:
            self.pending -= 1
            if err is None:
                self.delivered += 1
            elif self.error is None:
                self.error = err.str()
            self._cond.notify_all()

    def wait(self, timeout_s: float) -> int:
        """Block until every record is acknowledged; raise BrokerUnavailableError on any failure or timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.pending == 0 or self.error is not None, timeout_s):
                raise BrokerUnavailableError(f"{self.pending} record(s) not acknowledged within {timeout_s:.0f}s")
            if self.error is not None:
                raise BrokerUnavailableError(f"broker refused a record: {self.error}")
            return self.delivered


class Publisher:
    """Thread-safe producer wrapper; one per process is enough."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "grossisthub",
        delivery_timeout_s: float = 30.0,
        extra_config: Mapping[str, Any] | None = None,
    ) -> None:
        self._config: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "client.id": client_id,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "delivery.timeout.ms": int(delivery_timeout_s * 1000),
            "request.timeout.ms": min(int(delivery_timeout_s * 1000), 30_000),
            "message.max.bytes": 16 * 1024 * 1024,
            "log.connection.close": False,
            "logger": LIBRDKAFKA_LOG,
            **(extra_config or {}),
        }
        self._timeout = delivery_timeout_s
        self._lock = threading.Lock()
        self._producer = Producer(self._config)
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll_loop, name="hub-producer-poll", daemon=True)
        self._poller.start()

    def publish(
        self, topic: str, value: bytes | None, *, key: bytes | str | None = None, headers: HeaderList = ()
    ) -> Future[Delivered]:
        """Queue one record; the future resolves with its offset once the broker acked it."""
        future: Future[Delivered] = Future()

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                if err.fatal():
                    self._renew()
                future.set_exception(BrokerUnavailableError(f"broker did not take record for {topic}: {err.str()}"))
            else:
                future.set_result(delivered(msg))

        self._produce(topic, value, key, list(headers), on_delivery)
        return future

    def publish_tracked(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | str | None,
        headers: HeaderList,
        tracker: DeliveryTracker,
    ) -> None:
        """Queue one record of a large stream; ``tracker.wait()`` later confirms them all at once."""
        tracker.sent()
        self._produce(topic, value, key, list(headers), tracker.done)

    def publish_sync(
        self, topic: str, value: bytes | None, *, key: bytes | str | None = None, headers: HeaderList = ()
    ) -> Delivered:
        """Publish and wait for the ack; :class:`BrokerUnavailableError` when none comes in time."""
        future = self.publish(topic, value, key=key, headers=headers)
        try:
            return future.result(timeout=self._timeout + 5)
        except TimeoutError:
            raise BrokerUnavailableError(f"no ack from the broker for {topic} within {self._timeout:.0f}s") from None

    async def publish_async(
        self, topic: str, value: bytes | None, *, key: bytes | str | None = None, headers: HeaderList = ()
    ) -> Delivered:
        return await asyncio.wrap_future(self.publish(topic, value, key=key, headers=headers))

    def _produce(self, topic: str, value: bytes | None, key: bytes | str | None, headers: Any, cb: Any) -> None:
        while True:
            try:
                with self._lock:
                    self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=cb)
                return
            except BufferError:
                self._stop.wait(0.05)  # local queue full: let the poll thread drain it
            except KafkaException as exc:
                raise BrokerUnavailableError(f"cannot produce to {topic}: {exc}") from None

    def _renew(self) -> None:
        # A fatal idempotence error (e.g. the broker lost our producer id after a restart) poisons
        # this producer instance; outstanding records fail and the next publish uses a fresh one.
        log.warning("kafka.producer.renew", reason="fatal error")
        with self._lock:
            self._producer = Producer(self._config)

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                producer = self._producer
            producer.poll(0.1)

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued (bounded by ``timeout_s``), then stop polling."""
        with self._lock:
            producer = self._producer
        producer.flush(timeout_s)
        self._stop.set()
        self._poller.join(timeout=2)
