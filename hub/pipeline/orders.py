"""The orders stage: order confirmations and delivery notes → priced rows on the right work order.

For each *delivered* line: find the work order (hub.orders.matching: the tenant's patterns, checked against
the ERP's open work orders), price it (the document's own net price, else the tenant's catalog and discount
letter on the delivery date), add the markup, and write delta rows (hub.sinks.erp.orders). Lines that match
no open work order go to the unmatched list with the event itself, so `hub orders assign` can run them
through exactly the same code with the number a person chose.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine

from hub.canonical.codec import from_dict
from hub.canonical.orders import OrderConfirmation, OrderLine
from hub.errors import DocumentError, InvalidValueError
from hub.intake.ledger import Ledger
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.serde import AvroSerde
from hub.orders.matching import Match, match_line
from hub.orders.rows import PricedLine, catalog_price, document_price, markup_percent
from hub.partners import Partners, Tenant
from hub.pipeline.deadletter import DeadLetterWriter, FailureContext
from hub.pipeline.lineage import provenance_of
from hub.pricing.netprice import net_price, pick_agreement
from hub.sinks.catalog.queries import agreements, lookup
from hub.sinks.erp.invoices import Provenance
from hub.sinks.erp.orders import RowInput, Unmatched, open_work_orders, record_unmatched, write_rows

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    rows: list[str]  # outcome per written line
    unmatched: list[str]  # line ids parked for a person ('' = the whole document)


class OrdersStage:
    def __init__(
        self, *, engine: Engine, ledger: Ledger, serde: AvroSerde, partners: Partners, dead_letters: DeadLetterWriter
    ) -> None:
        self.engine, self.ledger, self.serde = engine, ledger, serde
        self.partners, self.dead_letters = partners, dead_letters

    def process(self, record: ConsumedRecord) -> str:
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers.items()}
        try:
            prov = provenance_of(headers)
            document = self.decode(record.value)
            applied = self.apply(document, prov, envelope(record))
        except DocumentError as exc:
            context = FailureContext(headers.get("hub.document_id"), headers.get("hub.partner"))
            self.dead_letters.send(record, exc, context, stage="sink")
            return "dead_lettered"
        self.ledger.mark_event_sunk(prov.event_id, "unmatched" if applied.unmatched else "rows")
        return "unmatched" if applied.unmatched else "rows"

    def decode(self, value: bytes | None) -> OrderConfirmation:
        if value is None:
            msg = "order confirmation event without a value"
            raise InvalidValueError(msg)
        return from_dict(OrderConfirmation, self.serde.decode(value)[1])

    def apply(
        self,
        document: OrderConfirmation,
        prov: Provenance,
        payload: bytes,
        *,
        forced: Match | None = None,
        only_lines: set[str] | None = None,
    ) -> Applied:
        tenant = self._tenant(prov.tenant_id)
        open_orders = open_work_orders(self.engine, tenant.id)
        rows: list[RowInput] = []
        lost: list[OrderLine] = []
        for line in _delivered(document, only_lines):
            match = forced or match_line(document, line, tenant.work_order_patterns, open_orders)
            if match is None:
                lost.append(line)
            else:
                rows.append(self._row(document, line, match, tenant))
        outcomes = write_rows(self.engine, document.wholesaler_id, document.document_number, rows, prov)
        parked = self._park(document, prov, payload, lost, all_lost=not rows)
        log.info("orders.applied", document=document.document_number, tenant=tenant.id, rows=outcomes, unmatched=parked)
        return Applied(outcomes, parked)

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.partners.tenant(tenant_id)
        if tenant is None:
            raise InvalidValueError(f"tenant {tenant_id!r} is not in the partners file", location="headers")
        return tenant

    def _row(self, document: OrderConfirmation, line: OrderLine, match: Match, tenant: Tenant) -> RowInput:
        priced = self._price(document, line, tenant)
        percent = markup_percent(tenant.markup, document.wholesaler_id, line.article_number, priced.discount_group)
        day = line.delivery_date or document.delivery_date or document.issue_date
        return RowInput(line, line.quantity_delivered or 0, match, priced, percent, document.kind, day)  # type: ignore[arg-type]

    def _price(self, document: OrderConfirmation, line: OrderLine, tenant: Tenant) -> PricedLine:
        own = document_price(line)
        if own is not None:
            return PricedLine(own, "document", "document", None)
        if not line.article_number:
            return PricedLine(None, "none", None, "the line names no article; price it by hand")
        day = line.delivery_date or document.delivery_date or document.issue_date
        candidates = [
            item
            for item in lookup(self.engine, tenant.id, line.article_number, day, document.wholesaler_id)
            if item.article_number == line.article_number or item.gtin == line.gtin
        ]
        if not candidates:
            return catalog_price(line, None)
        agreement = pick_agreement(agreements(self.engine, tenant.id, document.wholesaler_id), day)
        return catalog_price(line, net_price(candidates[0], agreement, tenant.discount_combination))

    def _park(
        self, document: OrderConfirmation, prov: Provenance, payload: bytes, lost: Sequence[OrderLine], all_lost: bool
    ) -> list[str]:
        if not lost:
            return []
        refs = "; ".join(f"{r.type} {r.value}" for r in document.references) or "no references"
        ids = [""] if all_lost else [line.line_id for line in lost]
        for line_id in ids:
            where = "the document" if not line_id else f"line {line_id}"
            reason = f"{where} names no open work order ({refs}); assign it with hub orders assign"
            record_unmatched(
                self.engine,
                Unmatched(
                    prov.tenant_id,
                    document.wholesaler_id,
                    document.document_number,
                    line_id,
                    reason,
                    refs,
                    payload,
                    prov.source_document_id,
                ),
            )
        return ids


def _delivered(document: OrderConfirmation, only: set[str] | None) -> list[OrderLine]:
    """Only delivered quantities are billable (DESIGN §9.9)."""
    return [
        line
        for line in document.lines
        if line.quantity_delivered is not None and (only is None or line.line_id in only)
    ]


def envelope(record: ConsumedRecord) -> bytes:
    """The event as stored on the unmatched list: value and headers, enough to run it again."""
    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers.items()}
    value = base64.b64encode(record.value or b"").decode()
    return json.dumps({"value": value, "headers": headers}).encode()


def open_envelope(payload: bytes) -> tuple[bytes, dict[str, str]]:
    data = json.loads(payload)
    return base64.b64decode(data["value"]), dict(data["headers"])
