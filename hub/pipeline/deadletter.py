"""Dead-lettering: the original record, the reason, and a ledger entry — nothing is lost."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from hub import metrics
from hub.canonical.codec import to_avro
from hub.canonical.raw import DeadLetter, Header
from hub.db.types import utcnow
from hub.errors import DocumentError, Stage
from hub.intake.ledger import DeadLetterRecord, Ledger
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.producer import Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class FailureContext:
    document_id: str | None = None
    partner_id: str | None = None
    filename: str | None = None
    translator: str | None = None


class DeadLetterWriter:
    def __init__(self, publisher: Publisher, serde: AvroSerde, topics: TopicNames, ledger: Ledger) -> None:
        self.publisher, self.serde, self.topics, self.ledger = publisher, serde, topics, ledger

    def send(
        self,
        record: ConsumedRecord,
        error: DocumentError,
        context: FailureContext,
        stage: Stage | None = None,
        *,
        document_failed: bool = True,
    ) -> None:
        """Publish to ``hub.dlq.v1`` (waiting for the ack), then record it in the ledger."""
        stage = stage or error.stage
        letter = DeadLetter(
            code=error.code,
            stage=stage,
            message=error.message,
            failed_at=utcnow(),
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            original_key=record.key,
            original_value=record.value,
            original_headers=tuple(Header(k, v) for k, v in record.headers.items()),
            location=error.location,
            document_id=context.document_id,
            partner_id=context.partner_id,
            filename=context.filename,
            translator=context.translator,
        )
        headers = [*record.headers.items(), *_error_headers(letter)]
        value = self.serde.encode(self.topics.dlq, DeadLetter.TYPE, to_avro(letter))
        delivered = self.publisher.publish_sync(self.topics.dlq, value, key=record.key, headers=headers)
        self.ledger.mark_dead_lettered(
            DeadLetterRecord(
                document_id=context.document_id,
                partner_id=context.partner_id,
                code=error.code,
                stage=stage,
                message=error.message,
                location=error.location,
                translator=context.translator,
                source_topic=record.topic,
                source_partition=record.partition,
                source_offset=record.offset,
                dlq_offset=delivered.offset,
            ),
            document_failed=document_failed,
        )
        metrics.dead_lettered(error.code, stage)
        log.warning(
            "document.dead_lettered",
            code=error.code,
            stage=stage,
            message=error.message,
            location=error.location,
            document_id=context.document_id,
            filename=context.filename,
        )


def _error_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    pairs = {
        "hub.error.code": letter.code,
        "hub.error.stage": letter.stage,
        "hub.error.message": letter.message,
        "hub.error.location": letter.location,
        "hub.error.translator": letter.translator,
    }
    return [(k, v.encode()) for k, v in pairs.items() if v]
