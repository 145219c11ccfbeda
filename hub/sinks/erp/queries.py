"""Reads of the ERP reference schema, for the CLI and (later) the HTTP API. Always tenant-filterable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from hub.sinks.erp.tables import (
    supplier_invoice,
    supplier_invoice_attachment,
    supplier_invoice_conflict,
    supplier_invoice_line,
    supplier_invoice_vat,
)


def list_invoices(engine: Engine, *, tenant_id: str | None = None, with_lines: bool = False) -> list[dict[str, Any]]:
    inv, line, conflict, attachment = (
        supplier_invoice,
        supplier_invoice_line,
        supplier_invoice_conflict,
        supplier_invoice_attachment,
    )
    line_count = select(func.count()).where(line.c.invoice_id == inv.c.id).scalar_subquery()
    open_conflicts = (
        select(func.count()).where(conflict.c.invoice_id == inv.c.id, conflict.c.resolved.is_(False)).scalar_subquery()
    )
    query = select(inv, line_count.label("line_count"), open_conflicts.label("open_conflicts")).order_by(
        inv.c.tenant_id, inv.c.issue_date, inv.c.invoice_number
    )
    if tenant_id:
        query = query.where(inv.c.tenant_id == tenant_id)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if with_lines:
            for row in rows:
                row["lines"] = _children(conn, line, row["id"], line.c.position)
                row["vat_breakdown"] = _children(conn, supplier_invoice_vat, row["id"], supplier_invoice_vat.c.id)
                row["attachments"] = _children(conn, attachment, row["id"], attachment.c.id)
    return rows


def _children(conn: Any, table: Any, invoice_id: int, order: Any) -> list[dict[str, Any]]:
    rows = conn.execute(select(table).where(table.c.invoice_id == invoice_id).order_by(order))
    return [{k: v for k, v in r._mapping.items() if k not in ("id", "invoice_id")} for r in rows]
