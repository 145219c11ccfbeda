"""Price control and reconciliation of one stored supplier invoice (runs right after the invoice sink wrote it).

For every line: the expected net price (tenant catalog + discount agreement on the delivery/issue date) vs the
invoiced one (hub.pricing.control), and the delivery row it bills (hub.pricing.reconcile). Results replace
what was stored for the invoice, so a replay reproduces them; deviations are published on hub.pricedeviation.v1
with deterministic ids. Lines billing material nobody delivered are run through the orders stage as a
pick-up of their own, so the material reaches a work order (if the invoice names one) or the unmatched list.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import structlog
from sqlalchemy import Engine, select

from hub.canonical.codec import to_avro
from hub.canonical.invoice import InvoiceLine, SupplierInvoice
from hub.canonical.orders import OrderConfirmation, OrderLine, Reference, ReferenceType
from hub.canonical.pricecheck import PriceDeviation
from hub.ids import event_id
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.producer import DeliveryTracker, Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames
from hub.partners import Partners
from hub.pipeline.orders import OrdersStage, envelope
from hub.pricing.control import LineCheck, Tolerance, check_line
from hub.pricing.netprice import ListPrice, net_price, pick_agreement
from hub.pricing.reconcile import Link, reconcile
from hub.sinks.catalog.queries import agreements, lookup
from hub.sinks.erp.checks import INVOICE_ROW_PREFIX, delivery_rows, store
from hub.sinks.erp.invoices import Provenance
from hub.sinks.erp.tables import supplier_invoice

log = structlog.get_logger(__name__)


class PriceControl:
    def __init__(
        self,
        *,
        engine: Engine,
        partners: Partners,
        publisher: Publisher,
        serde: AvroSerde,
        topics: TopicNames,
        orders: OrdersStage,
    ) -> None:
        self.engine, self.partners, self.publisher = engine, partners, publisher
        self.serde, self.topics, self.orders = serde, topics, orders

    def run(self, invoice: SupplierInvoice, prov: Provenance) -> dict[str, object]:
        invoice_id = self._stored_id(invoice, prov)
        tenant = self.partners.tenant(prov.tenant_id)
        if invoice_id is None or tenant is None:
            return {}
        tolerance = Tolerance(tenant.price_tolerance.absolute, tenant.price_tolerance.percent)
        checks = self._check(invoice, prov, tolerance, tenant.discount_combination)
        rows, taken = delivery_rows(self.engine, prov.tenant_id, prov.partner_id, invoice_id)
        links = reconcile(invoice, rows, taken)
        summary = store(self.engine, invoice_id, checks, links)
        self._publish(invoice, prov, checks)
        self._undelivered(invoice, prov, links)
        log.info("invoice.checked", invoice=invoice.invoice_number, tenant=prov.tenant_id, **_loggable(summary))
        return summary

    def _stored_id(self, invoice: SupplierInvoice, prov: Provenance) -> int | None:
        t = supplier_invoice.c
        with self.engine.connect() as conn:
            return conn.scalar(
                select(t.id).where(
                    t.tenant_id == prov.tenant_id,
                    t.supplier_id == prov.partner_id,
                    t.invoice_number == invoice.invoice_number,
                    t.kind == invoice.kind,
                )
            )

    def _check(self, invoice: SupplierInvoice, prov: Provenance, tol: Tolerance, rule: str) -> list[LineCheck]:
        day = invoice.delivery_date or invoice.issue_date
        terms = agreements(self.engine, prov.tenant_id, prov.partner_id)
        agreement = pick_agreement(terms, day)
        expired = bool(terms) and agreement is None
        checks = []
        for line in invoice.lines:
            item = self._catalog_item(prov, line, day)
            expected = net_price(item, agreement, rule) if item else None  # type: ignore[arg-type]
            checks.append(
                check_line(
                    line,
                    invoice.currency,
                    expected,
                    catalog_currency=item.currency if item else None,
                    agreement_expired=expired,
                    tolerance=tol,
                )
            )
        return checks

    def _catalog_item(self, prov: Provenance, line: InvoiceLine, day: object) -> ListPrice | None:
        article = line.article_number or line.gtin
        if not article:
            return None
        items = lookup(self.engine, prov.tenant_id, article, day, prov.partner_id)  # type: ignore[arg-type]
        same = [i for i in items if i.article_number == line.article_number or (line.gtin and i.gtin == line.gtin)]
        return same[0] if same else None

    def _publish(self, invoice: SupplierInvoice, prov: Provenance, checks: Sequence[LineCheck]) -> None:
        tracker = DeliveryTracker()
        for index, check in enumerate(checks):
            if check.status != "DEVIATION":
                continue
            deviation = _deviation(invoice, prov, invoice.lines[index], check, event_id(prov.event_id, index))
            payload = self.serde.encode(self.topics.pricedeviation, PriceDeviation.TYPE, to_avro(deviation))
            key = f"{prov.tenant_id}|{prov.partner_id}|{invoice.invoice_number}"
            headers = [
                ("hub.tenant", prov.tenant_id),
                ("hub.partner", prov.partner_id),
                ("hub.event_id", deviation.deviation_id),
                ("hub.document_id", prov.source_document_id),
            ]
            self.publisher.publish_tracked(
                self.topics.pricedeviation, payload, key=key, headers=headers, tracker=tracker
            )
        tracker.wait(60)

    def _undelivered(self, invoice: SupplierInvoice, prov: Provenance, links: Sequence[Link]) -> None:
        lines = [line for line, link in zip(invoice.lines, links, strict=True) if link.row_id is None]
        if not lines or invoice.kind != "INVOICE":
            return
        pickup = _as_pickup(invoice, prov, lines)
        value = self.serde.encode(self.topics.orderconfirmation, OrderConfirmation.TYPE, to_avro(pickup))
        headers = {
            "hub.tenant": prov.tenant_id,
            "hub.partner": prov.partner_id,
            "hub.event_id": prov.event_id,
            "hub.document_id": prov.source_document_id,
            "hub.translator": prov.translator,
            "hub.translator.version": str(prov.translator_version),
        }
        record = ConsumedRecord("", 0, 0, None, value, {k: v.encode() for k, v in headers.items()})
        self.orders.apply(pickup, prov, envelope(record))


def _deviation(inv: SupplierInvoice, prov: Provenance, line: InvoiceLine, c: LineCheck, ident: str) -> PriceDeviation:
    assert c.quantity is not None and c.invoiced_unit_price is not None and c.expected_unit_price is not None
    return PriceDeviation(
        deviation_id=ident,
        tenant_id=prov.tenant_id,
        wholesaler_id=prov.partner_id,
        invoice_number=inv.invoice_number,
        line_id=line.line_id,
        invoice_date=inv.delivery_date or inv.issue_date,
        currency=inv.currency,
        base_unit=c.base_unit or "",
        quantity=c.quantity,
        invoiced_unit_price=c.invoiced_unit_price,
        expected_unit_price=c.expected_unit_price,
        difference_percent=c.difference_percent or Decimal(0),
        overcharge=c.overcharge or Decimal(0),
        rule=c.rule or "",
        article_number=line.article_number,
        description=line.description,
        version_id=c.version_id,
        agreement_id=c.agreement_id,
    )


def _as_pickup(invoice: SupplierInvoice, prov: Provenance, lines: Sequence[InvoiceLine]) -> OrderConfirmation:
    """Invoice lines nobody delivered, as a pick-up priced at what the invoice charged."""
    candidates: list[tuple[ReferenceType, str | None]] = [
        ("ORDER", invoice.order_reference),
        ("BUYER_REFERENCE", invoice.buyer_reference),
        ("PROJECT", invoice.project_reference),
    ]
    refs = [Reference(kind, value) for kind, value in candidates if value]
    return OrderConfirmation(
        document_number=f"{INVOICE_ROW_PREFIX}{invoice.invoice_number}",
        kind="DELIVERY_NOTE",
        issue_date=invoice.issue_date,
        wholesaler_id=prov.partner_id,
        seller=invoice.seller,
        buyer=invoice.buyer,
        currency=invoice.currency,
        delivery_date=invoice.delivery_date,
        references=tuple(refs),
        lines=tuple(_pickup_line(line) for line in lines),
        notes=(f"billed on invoice {invoice.invoice_number} without a delivery note",),
    )


def _pickup_line(line: InvoiceLine) -> OrderLine:
    refs = tuple(Reference("ORDER", v) for v in (line.order_line_reference, line.accounting_cost) if v)
    return OrderLine(
        line_id=line.line_id,
        article_number=line.article_number,
        gtin=line.gtin,
        description=line.description,
        quantity_delivered=line.quantity,
        unit_code=line.unit_code,
        unit_price=line.unit_price,
        price_base_quantity=line.price_base_quantity,
        price_is_net=True,
        line_amount=line.line_amount,
        line_references=refs,
    )


def _loggable(summary: dict[str, object]) -> dict[str, object]:
    return {k: str(v) for k, v in summary.items()}
