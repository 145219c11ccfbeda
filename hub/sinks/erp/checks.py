"""Stores and reads invoice price-control and reconciliation results (erp_invoice_check, erp_invoice_line_check).

Results are recomputed whole for an invoice and replace what was stored, so a replay reproduces them exactly.
Rows created from an invoice line itself (material billed but never delivered, document number ``invoice …``)
are never offered as delivery rows to reconcile against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, select

from hub.db.types import utcnow
from hub.pricing.control import LineCheck
from hub.pricing.reconcile import DeliveryRow, Link
from hub.sinks.erp.tables import invoice_check, invoice_line_check, order_row, supplier_invoice

INVOICE_ROW_PREFIX = "invoice "  # document number of rows made from invoice lines nobody delivered


def delivery_rows(engine: Engine, tenant: str, wholesaler: str, invoice_id: int) -> tuple[list[DeliveryRow], set[int]]:
    """The tenant's delivery rows from the wholesaler, and the ids other invoices already billed."""
    r = order_row.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(order_row).where(
                r.tenant_id == tenant, r.wholesaler_id == wholesaler, ~r.document_number.startswith(INVOICE_ROW_PREFIX)
            )
        ).all()
        taken = set(
            conn.scalars(
                select(invoice_line_check.c.order_row_id).where(
                    invoice_line_check.c.order_row_id.is_not(None), invoice_line_check.c.invoice_id != invoice_id
                )
            )
        )
    return [_delivery(x) for x in rows], taken


def _delivery(x: Any) -> DeliveryRow:
    return DeliveryRow(
        x.id,
        x.document_number,
        x.line_id,
        x.article_number,
        x.gtin,
        x.quantity,
        x.unit_code,
        x.work_order,
        x.delivery_date,
    )


def store(engine: Engine, invoice_id: int, checks: Sequence[LineCheck], links: Sequence[Link]) -> dict[str, Any]:
    summary = _summary(checks, links)
    with engine.begin() as conn:
        conn.execute(delete(invoice_line_check).where(invoice_line_check.c.invoice_id == invoice_id))
        conn.execute(delete(invoice_check).where(invoice_check.c.invoice_id == invoice_id))
        if checks:
            conn.execute(
                insert(invoice_line_check),
                [
                    _line_row(invoice_id, i, chk, link)
                    for i, (chk, link) in enumerate(zip(checks, links, strict=True), start=1)
                ],
            )
        conn.execute(insert(invoice_check).values(invoice_id=invoice_id, checked_at=utcnow(), **summary))
    return summary


def _summary(checks: Sequence[LineCheck], links: Sequence[Link]) -> dict[str, Any]:
    def count(status: str) -> int:
        return sum(1 for c in checks if c.status == status)

    return {
        "price_checked": True,
        "lines": len(checks),
        "deviations": count("DEVIATION"),
        "overcharge_total": sum((c.overcharge or Decimal(0) for c in checks), Decimal(0)),
        "not_in_catalog": count("NOT_IN_CATALOG"),
        "cannot_compare": count("CANNOT_COMPARE"),
        "agreement_expired": count("AGREEMENT_EXPIRED"),
        "matched_lines": sum(1 for link in links if link.row_id is not None),
        "not_delivered_lines": sum(1 for link in links if link.row_id is None),
    }


def _line_row(invoice_id: int, position: int, c: LineCheck, link: Link) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "position": position,
        "line_id": c.line_id,
        "status": c.status,
        "note": c.note,
        "base_unit": c.base_unit,
        "quantity": c.quantity,
        "invoiced_unit_price": c.invoiced_unit_price,
        "expected_unit_price": c.expected_unit_price,
        "difference_percent": c.difference_percent,
        "overcharge": c.overcharge,
        "rule": c.rule,
        "version_id": c.version_id,
        "agreement_id": c.agreement_id,
        "order_row_id": link.row_id,
        "link_method": link.method,
    }


def checks_of(engine: Engine, tenant: str | None = None) -> list[dict[str, Any]]:
    """Per invoice: the summary and its line checks (with the delivery row each line bills)."""
    inv, chk = supplier_invoice.c, invoice_check.c
    query = select(inv.id, inv.tenant_id, inv.supplier_id, inv.invoice_number, inv.issue_date, invoice_check).join(
        invoice_check, chk.invoice_id == inv.id
    )
    if tenant:
        query = query.where(inv.tenant_id == tenant)
    with engine.connect() as conn:
        heads = [dict(r._mapping) for r in conn.execute(query.order_by(inv.issue_date, inv.invoice_number))]
        for head in heads:
            lines = conn.execute(
                select(invoice_line_check)
                .where(invoice_line_check.c.invoice_id == head["id"])
                .order_by(invoice_line_check.c.position)
            )
            head["line_checks"] = [dict(r._mapping) for r in lines]
    return heads


def deviations(engine: Engine, tenant: str | None = None, since: date | None = None) -> list[dict[str, Any]]:
    inv, line = supplier_invoice.c, invoice_line_check.c
    query = (
        select(inv.tenant_id, inv.supplier_id, inv.invoice_number, inv.issue_date, invoice_line_check)
        .join(invoice_line_check, line.invoice_id == inv.id)
        .where(line.status == "DEVIATION")
        .order_by(inv.issue_date, inv.invoice_number, line.position)
    )
    if tenant:
        query = query.where(inv.tenant_id == tenant)
    if since:
        query = query.where(inv.issue_date >= since)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def delivered_not_invoiced(engine: Engine, tenant: str) -> list[dict[str, Any]]:
    r = order_row.c
    billed = select(invoice_line_check.c.order_row_id).where(invoice_line_check.c.order_row_id.is_not(None))
    query = select(order_row).where(
        and_(r.tenant_id == tenant, r.id.not_in(billed), ~r.document_number.startswith(INVOICE_ROW_PREFIX))
    )
    with engine.connect() as conn:
        return [dict(x._mapping) for x in conn.execute(query.order_by(r.id))]
