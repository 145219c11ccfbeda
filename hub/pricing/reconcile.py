"""Which delivery row each invoice line bills. Pure.

Order of evidence: the despatch (delivery-note) reference on the invoice (BT-16) together with the article; then
a work-order or order reference (BT-13, BT-10, BT-11, line BT-132/BT-133) naming the row's work order, with the
article; then the article and the same quantity (in base units) delivered within a date window before the
invoice. Each delivery row is billed once. A line with no row is *invoiced but not delivered*.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hub.canonical.invoice import InvoiceLine, SupplierInvoice
from hub.pricing.units import to_base

WINDOW = timedelta(days=62)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    row_id: int
    document_number: str
    line_id: str
    article_number: str | None
    gtin: str | None
    quantity: Decimal
    unit_code: str | None
    work_order: str
    delivery_date: date | None


@dataclass(frozen=True, slots=True)
class Link:
    line_id: str
    row_id: int | None
    method: str  # despatch_reference | work_order_reference | article_quantity | not_delivered


def reconcile(invoice: SupplierInvoice, rows: Sequence[DeliveryRow], taken: set[int] | None = None) -> list[Link]:
    used = set(taken or ())
    links = []
    for line in invoice.lines:
        link = _link(invoice, line, [r for r in rows if r.row_id not in used])
        if link.row_id is not None:
            used.add(link.row_id)
        links.append(link)
    return links


def _link(invoice: SupplierInvoice, line: InvoiceLine, rows: Sequence[DeliveryRow]) -> Link:
    same_article = [r for r in rows if _same_article(line, r)]
    if invoice.despatch_reference:
        found = _best(line, [r for r in same_article if r.document_number == invoice.despatch_reference])
        if found:
            return Link(line.line_id, found.row_id, "despatch_reference")
    numbers = _numbers(invoice, line)
    found = _best(line, [r for r in same_article if r.work_order in numbers])
    if found:
        return Link(line.line_id, found.row_id, "work_order_reference")
    window = [r for r in same_article if _in_window(r, invoice.issue_date) and _same_quantity(line, r)]
    if window:
        return Link(line.line_id, window[0].row_id, "article_quantity")
    return Link(line.line_id, None, "not_delivered")


def _same_article(line: InvoiceLine, row: DeliveryRow) -> bool:
    return bool(
        (line.article_number and line.article_number == row.article_number) or (line.gtin and line.gtin == row.gtin)
    )


def _numbers(invoice: SupplierInvoice, line: InvoiceLine) -> set[str]:
    texts = (
        invoice.order_reference,
        invoice.buyer_reference,
        invoice.project_reference,
        line.order_line_reference,
        line.accounting_cost,
    )
    return {n for t in texts if t for n in re.findall(r"\d{3,10}", t)}


def _best(line: InvoiceLine, rows: Sequence[DeliveryRow]) -> DeliveryRow | None:
    exact = [r for r in rows if _same_quantity(line, r)]
    candidates = exact or list(rows)
    return candidates[0] if candidates else None


def _same_quantity(line: InvoiceLine, row: DeliveryRow) -> bool:
    a, b = to_base(line.quantity, line.unit_code), to_base(row.quantity, row.unit_code)
    return a is not None and a == b


def _in_window(row: DeliveryRow, invoiced: date) -> bool:
    return row.delivery_date is None or invoiced - WINDOW <= row.delivery_date <= invoiced
