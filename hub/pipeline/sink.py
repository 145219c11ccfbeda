"""The ERP sink stage: one canonical invoice event in, one idempotent upsert out."""

from __future__ import annotations

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from hub import metrics
from hub.canonical.codec import from_dict
from hub.canonical.invoice import SupplierInvoice
from hub.errors import (
    ChangedAfterApprovalError,
    ConflictingDuplicateError,
    DocumentError,
    InvalidValueError,
    StoreUnavailableError,
)
from hub.intake.ledger import Ledger
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.serde import AvroSerde
from hub.pipeline.deadletter import DeadLetterWriter, FailureContext
from hub.pipeline.lineage import provenance_of
from hub.pipeline.pricecontrol import PriceControl
from hub.sinks.erp.invoices import Provenance, conflict_reason, write_invoice

log = structlog.get_logger(__name__)


class SinkStage:
    def __init__(
        self,
        *,
        engine: Engine,
        ledger: Ledger,
        serde: AvroSerde,
        dead_letters: DeadLetterWriter,
        price_control: PriceControl | None = None,
    ) -> None:
        self.engine, self.ledger, self.serde, self.dead_letters = engine, ledger, serde, dead_letters
        self.price_control = price_control

    @metrics.timed("sink-erp")
    def process(self, record: ConsumedRecord) -> str:
        """Write one invoice event; returns the sink outcome. StoreUnavailableError propagates (retry)."""
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers.items()}
        try:
            prov = provenance_of(headers)
            invoice = self._decode(record)
            outcome = self._write(invoice, prov)
        except DocumentError as exc:
            context = FailureContext(headers.get("hub.document_id"), headers.get("hub.partner"))
            self.dead_letters.send(record, exc, context, stage="sink")
            return "dead_lettered"
        if self.price_control is not None and outcome in ("inserted", "updated", "unchanged"):
            self.price_control.run(invoice, prov)  # recomputed on a replay: the same results
        self.ledger.mark_event_sunk(prov.event_id, outcome, still_open=outcome == "conflict_known")
        metrics.sink_written("erp_invoice", outcome)
        if outcome in ("conflict", "protected"):
            self._report(record, invoice, prov, outcome)
        log.info(
            "erp.invoice",
            outcome=outcome,
            invoice=invoice.invoice_number,
            tenant=prov.tenant_id,
            supplier=prov.partner_id,
            event_id=prov.event_id,
        )
        return outcome

    def _report(self, record: ConsumedRecord, invoice: SupplierInvoice, prov: Provenance, outcome: str) -> None:
        """A conflict is parked for a person: an event on the DLQ topic and a ledger entry."""
        number = invoice.invoice_number
        error: DocumentError
        if outcome == "conflict":
            error = ConflictingDuplicateError(
                conflict_reason(number, prov.source_document_id) + "; compare both in hub erp invoices",
                location=f"invoice {number}",
            )
        else:
            error = ChangedAfterApprovalError(
                f"a corrected version of invoice {number} (translator {prov.translator}@{prov.translator_version}) "
                "differs from the approved/booked invoice, which was left unchanged; review it in the ERP",
                location=f"invoice {number}",
            )
        context = FailureContext(prov.source_document_id, prov.partner_id, translator=prov.translator)
        self.dead_letters.send(record, error, context, stage="sink")

    def _decode(self, record: ConsumedRecord) -> SupplierInvoice:
        if record.value is None:
            msg = "invoice event without a value (tombstones are not used on hub.invoice.v1)"
            raise InvalidValueError(msg)
        _schema, data = self.serde.decode(record.value)
        return from_dict(SupplierInvoice, data)

    def _write(self, invoice: SupplierInvoice, prov: Provenance) -> str:
        try:
            return write_invoice(self.engine, invoice, prov)
        except OperationalError as exc:
            raise StoreUnavailableError(f"ERP database unavailable: {exc.orig}") from None
        except DBAPIError as exc:
            msg = f"the ERP database refused invoice {invoice.invoice_number}: {exc.orig}"
            raise InvalidValueError(msg) from None
