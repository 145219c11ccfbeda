"""Read-only queries the API needs beyond the CLI's: paged, filtered, and always tenant-filtered where tenant
data is concerned. ERP tables are read on the ERP engine, ledger tables on the state engine (they may be two
databases). Values come back as plain dicts; decimals become exact strings (never floats)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, func, select

from hub.canonical.codec import decimal_text
from hub.intake.tables import dead_letter, event, intake
from hub.sinks.catalog.tables import discount_agreement, price_list_version
from hub.sinks.erp.tables import (
    supplier_invoice,
    supplier_invoice_attachment,
    supplier_invoice_conflict,
    supplier_invoice_line,
    supplier_invoice_vat,
)

inv = supplier_invoice


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def plain(row: Any) -> dict[str, Any]:
    """A result row as a dict, decimals as their exact text."""
    return {k: decimal_text(v) if isinstance(v, Decimal) else v for k, v in row._mapping.items()}


def _paged(conn: Connection, query: Select[Any], page: Page, *order: Any) -> tuple[int, list[dict[str, Any]]]:
    total = conn.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = conn.execute(query.order_by(*order).limit(page.limit).offset(page.offset))
    return total, [plain(r) for r in rows]


def _invoice_query() -> Select[Any]:
    line_count = select(func.count()).where(supplier_invoice_line.c.invoice_id == inv.c.id).scalar_subquery()
    open_conflicts = (
        select(func.count())
        .where(supplier_invoice_conflict.c.invoice_id == inv.c.id, supplier_invoice_conflict.c.resolved.is_(False))
        .scalar_subquery()
    )
    return select(inv, line_count.label("line_count"), open_conflicts.label("open_conflicts"))


def invoice_page(
    engine: Engine, tenant_id: str, page: Page, *, supplier: str | None = None, invoice_number: str | None = None
) -> tuple[int, list[dict[str, Any]]]:
    query = _invoice_query().where(inv.c.tenant_id == tenant_id)
    if supplier:
        query = query.where(inv.c.supplier_id == supplier)
    if invoice_number:
        query = query.where(inv.c.invoice_number == invoice_number)
    with engine.connect() as conn:
        return _paged(conn, query, page, inv.c.issue_date.desc(), inv.c.id.desc())


def invoice_detail(engine: Engine, tenant_id: str, invoice_id: int) -> dict[str, Any] | None:
    """One invoice of the tenant with lines, VAT breakdown and attachments; None if it is not the tenant's."""
    query = _invoice_query().where(inv.c.tenant_id == tenant_id, inv.c.id == invoice_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        detail = plain(row)
        detail["lines"] = _children(conn, supplier_invoice_line, invoice_id, "position")
        detail["vat_breakdown"] = _children(conn, supplier_invoice_vat, invoice_id, "id")
        detail["attachments"] = _children(conn, supplier_invoice_attachment, invoice_id, "id")
    return detail


def _children(conn: Connection, table: Table, invoice_id: int, order: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(table).where(table.c.invoice_id == invoice_id).order_by(table.c[order]))
    return [plain(r) for r in rows]


def ledger_document(engine: Engine, document_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(intake).where(intake.c.document_id == document_id)).first()
    return plain(row) if row else None


def ledger_events(engine: Engine, document_id: str) -> list[dict[str, Any]]:
    query = select(event).where(event.c.document_id == document_id).order_by(event.c.record_index)
    with engine.connect() as conn:
        return [plain(r) for r in conn.execute(query)]


def documents_page(engine: Engine, page: Page, **filters: str | None) -> tuple[int, list[dict[str, Any]]]:
    """Ledger rows, newest first; filters: state, partner_id, channel, tenant_scope (exact)."""
    query = select(intake)
    for column, value in filters.items():
        if value is not None:
            query = query.where(intake.c[column] == value)
    with engine.connect() as conn:
        return _paged(conn, query, page, intake.c.received_at.desc(), intake.c.document_id.desc())


def dead_letter_page(engine: Engine, page: Page, **filters: str | None) -> tuple[int, list[dict[str, Any]]]:
    """Dead letters, newest first; filters: code, stage, partner_id, document_id (exact)."""
    query = select(dead_letter)
    for column, value in filters.items():
        if value is not None:
            query = query.where(dead_letter.c[column] == value)
    with engine.connect() as conn:
        return _paged(conn, query, page, dead_letter.c.id.desc())


def tenant_invoices_of(erp: Engine, tenant_id: str, document_id: str) -> list[dict[str, Any]]:
    """The tenant's invoices made from a document — stored ones and ones the document conflicted with."""
    conflicted = select(supplier_invoice_conflict.c.invoice_id).where(
        supplier_invoice_conflict.c.source_document_id == document_id
    )
    query = (
        select(inv.c.id, inv.c.invoice_number, inv.c.kind, inv.c.erp_status)
        .where(inv.c.tenant_id == tenant_id, (inv.c.source_document_id == document_id) | inv.c.id.in_(conflicted))
        .order_by(inv.c.id)
    )
    with erp.connect() as conn:
        return [plain(r) for r in conn.execute(query)]


def tenant_owns_catalog_records(erp: Engine, tenant_id: str, document_id: str) -> bool:
    """Did the document bring the tenant a discount agreement or a tenant-scoped price list?"""
    agreements = select(discount_agreement.c.agreement_id).where(
        discount_agreement.c.tenant_id == tenant_id, discount_agreement.c.source_document_id == document_id
    )
    lists = select(price_list_version.c.version_id).where(
        price_list_version.c.scope == tenant_id, price_list_version.c.source_document_id == document_id
    )
    with erp.connect() as conn:
        return conn.execute(agreements.limit(1)).first() is not None or conn.execute(lists.limit(1)).first() is not None
