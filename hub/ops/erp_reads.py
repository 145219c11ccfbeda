"""What the ERP database holds for one source document: the 'old output' of a replay and part of a trail.

Every ERP table the hub writes carries ``source_document_id``, so one document's rows are found without
any topic (DESIGN §9.12: the bundled broker may have forgotten the events long ago).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, select

from hub.sinks.catalog.tables import discount_agreement, price_list_version
from hub.sinks.erp.tables import (
    order_row,
    supplier_invoice,
    supplier_invoice_conflict,
    supplier_invoice_line,
    supplier_invoice_vat,
    unmatched,
)


def invoices_of_document(engine: Engine, document_id: str) -> list[dict[str, Any]]:
    """Supplier invoices written from this document, each with ``lines`` and ``vat_breakdown``."""
    query = select(supplier_invoice).where(supplier_invoice.c.source_document_id == document_id)
    return _with_children(engine, query.order_by(supplier_invoice.c.id))


def invoice_by_key(engine: Engine, tenant_id: str, supplier_id: str, number: str, kind: str) -> dict[str, Any] | None:
    """The invoice stored under the sink's business key (written from any document)."""
    t = supplier_invoice.c
    query = select(supplier_invoice).where(
        t.tenant_id == tenant_id, t.supplier_id == supplier_id, t.invoice_number == number, t.kind == kind
    )
    rows = _with_children(engine, query)
    return rows[0] if rows else None


def _with_children(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            line, vat = supplier_invoice_line, supplier_invoice_vat
            row["lines"] = _rows(conn, select(line).where(line.c.invoice_id == row["id"]).order_by(line.c.position))
            row["vat_breakdown"] = _rows(conn, select(vat).where(vat.c.invoice_id == row["id"]).order_by(vat.c.id))
    return rows


def _rows(conn: Any, query: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def conflicts_of_document(engine: Engine, document_id: str) -> list[dict[str, Any]]:
    """Conflicts this document caused (its content differed from a stored or approved invoice)."""
    c = supplier_invoice_conflict.c
    query = (
        select(supplier_invoice_conflict, supplier_invoice.c.invoice_number, supplier_invoice.c.erp_status)
        .join(supplier_invoice, supplier_invoice.c.id == c.invoice_id)
        .where(c.source_document_id == document_id)
        .order_by(c.detected_at)
    )
    with engine.connect() as conn:
        return _rows(conn, query)


def by_source_document(engine: Engine, table: Table, document_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return _rows(conn, select(table).where(table.c.source_document_id == document_id))


def price_versions_of_document(engine: Engine, document_id: str) -> list[dict[str, Any]]:
    return by_source_document(engine, price_list_version, document_id)


def agreements_of_document(engine: Engine, document_id: str) -> list[dict[str, Any]]:
    return by_source_document(engine, discount_agreement, document_id)


def order_rows_of_document(engine: Engine, document_id: str) -> list[dict[str, Any]]:
    return by_source_document(engine, order_row, document_id)


def unmatched_of_document(engine: Engine, document_id: str) -> list[dict[str, Any]]:
    return by_source_document(engine, unmatched, document_id)


def documents_of_invoice_number(engine: Engine, number: str) -> list[str]:
    """Source documents of invoices with this number (any tenant, supplier or kind)."""
    query = select(supplier_invoice.c.source_document_id).where(supplier_invoice.c.invoice_number == number)
    with engine.connect() as conn:
        return list(dict.fromkeys(conn.scalars(query)))


def documents_of_order_document(engine: Engine, number: str) -> list[str]:
    """Source documents of order rows / parked lines with this confirmation or delivery-note number."""
    with engine.connect() as conn:
        rows = list(conn.scalars(select(order_row.c.source_document_id).where(order_row.c.document_number == number)))
        rows += list(conn.scalars(select(unmatched.c.source_document_id).where(unmatched.c.document_number == number)))
    return list(dict.fromkeys(rows))
