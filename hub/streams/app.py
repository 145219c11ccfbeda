"""The faust application factory and the agents.

There is no module-level app: :func:`create_app` builds one for the roles a process runs.
Each agent turns a faust event into a :class:`ConsumedRecord` and hands it to a stage
(:mod:`hub.pipeline`) in a worker thread, so parsing and database writes never block the event
loop (consumer heartbeats keep flowing). A transient failure (broker or database unavailable) is
retried with backoff on the same record — the offset does not move past it; any other failure
was already dead-lettered by the stage. If retrying is hopeless the agent crashes the worker
(non-zero exit) rather than dying silently.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
import structlog

from hub.errors import TransientError
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.security import PLAINTEXT, KafkaSecurity

log = structlog.get_logger(__name__)

ROLES = ("translate", "translate-bulk", "sink-erp", "sink-orders")
MAX_TRANSIENT_RETRIES = 200  # ~1.5 h at the 30 s backoff ceiling, then the worker stops


def create_app(
    *,
    app_id: str,
    bootstrap_servers: str,
    session_timeout_s: float,
    handlers: dict[str, tuple[Sequence[str], Callable[[ConsumedRecord], str]]],
    web_port: int | None = None,
    security: KafkaSecurity = PLAINTEXT,
) -> faust.App:
    """Build a faust app; ``handlers`` maps role → (source topics, stage.process)."""
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap_servers}",
        broker_credentials=credentials(security),
        web_enabled=web_port is not None,
        web_bind="127.0.0.1",
        web_port=web_port or 6066,
        broker_session_timeout=session_timeout_s,
        broker_heartbeat_interval=max(0.5, session_timeout_s / 6),
        broker_rebalance_timeout=max(10.0, session_timeout_s * 2),
        producer_max_batch_size=1,  # the bundled broker reports wrong watermarks for larger batches
        stream_wait_empty=False,
        consumer_auto_offset_reset="earliest",
        topic_allow_declare=False,  # topics come from `hub topics apply` and the registry file
        store="memory://",
    )
    executor = ThreadPoolExecutor(max_workers=max(2, len(handlers) * 2), thread_name_prefix="hub-stage")
    for role, (topics, process) in handlers.items():
        _add_agent(app, role, topics, process, executor)
    return app


def credentials(security: KafkaSecurity) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """The faust (aiokafka) form of the hub's Kafka security settings."""
    context = None
    if security.tls:
        context = ssl.create_default_context(cafile=str(security.ca_file) if security.ca_file else None)
        if security.cert_file is not None and security.key_file is not None:
            context.load_cert_chain(str(security.cert_file), str(security.key_file))
    if security.sasl:
        return faust.SASLCredentials(
            username=security.username, password=security.password, mechanism=security.mechanism, ssl_context=context
        )
    return faust.SSLCredentials(context) if context is not None else None


def _add_agent(
    app: faust.App,
    role: str,
    topics: Sequence[str],
    process: Callable[[ConsumedRecord], str],
    executor: ThreadPoolExecutor,
) -> None:
    channel = app.topic(*topics, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    async def agent(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            record = _to_record(event)
            await _process_with_retry(role, process, record, executor)

    agent.__name__ = f"hub_{role.replace('-', '_')}"
    app.agent(channel, name=f"hub.{role}")(agent)


async def _process_with_retry(
    role: str, process: Callable[[ConsumedRecord], str], record: ConsumedRecord, executor: ThreadPoolExecutor
) -> None:
    loop = asyncio.get_running_loop()
    delay = 1.0
    for attempt in range(1, MAX_TRANSIENT_RETRIES + 1):
        try:
            outcome = await loop.run_in_executor(executor, process, record)
            log.debug("agent.done", role=role, topic=record.topic, offset=record.offset, outcome=outcome)
            return
        except TransientError as exc:
            log.warning(
                "agent.retry", role=role, offset=record.offset, attempt=attempt, error=exc.render(), retry_in_s=delay
            )
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)
    msg = f"{role}: giving up on {record.topic}[{record.partition}]@{record.offset} after {MAX_TRANSIENT_RETRIES} tries"
    raise RuntimeError(msg)


def _to_record(event: Any) -> ConsumedRecord:
    message = event.message
    raw_headers = event.headers or {}
    items = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
    headers = {str(k): (v if isinstance(v, bytes) else str(v).encode()) for k, v in items if v is not None}
    return ConsumedRecord(message.topic, message.partition, message.offset, event.key, event.value, headers)


def run_worker(app: faust.App, *, loglevel: str = "warning") -> int:
    """Run the app until SIGINT/SIGTERM; returns the exit code."""
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
