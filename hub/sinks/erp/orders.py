"""Writes billable rows on work orders, the work orders themselves, and the unmatched list.

Rows are *deltas* per (tenant, wholesaler, document number, line) — DESIGN §9.9: the delivered quantity of the
newest version of a document is what should be billed; rows the ERP already exported or invoiced are never
edited, so a difference becomes a new row (or a negative credit row), while a still-new row is simply updated.
The same document again changes nothing; an older translator version never overwrites a newer one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from hub.canonical.orders import OrderLine
from hub.db.types import utcnow
from hub.orders.matching import Match
from hub.orders.rows import PricedLine, amount, sales_price
from hub.sinks.erp.checks import INVOICE_ROW_PREFIX
from hub.sinks.erp.invoices import Provenance
from hub.sinks.erp.tables import order_row, unmatched, work_order

LOCKED = ("exported", "invoiced")
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RowInput:
    line: OrderLine
    delivered: Decimal
    match: Match
    priced: PricedLine
    markup_percent: Decimal
    document_kind: str
    delivery_date: date | None


def write_rows(
    engine: Engine, wholesaler: str, document_number: str, rows: Sequence[RowInput], prov: Provenance
) -> list[str]:
    """Apply one document version's delivered lines; returns an outcome per line."""
    with engine.begin() as conn:
        return [_line(conn, wholesaler, document_number, row, prov) for row in rows]


def _line(conn: Connection, wholesaler: str, number: str, row: RowInput, prov: Provenance) -> str:
    key = and_(
        order_row.c.tenant_id == prov.tenant_id,
        order_row.c.wholesaler_id == wholesaler,
        order_row.c.document_number == number,
        order_row.c.line_id == row.line.line_id,
    )
    existing = conn.execute(select(order_row).where(key).order_by(order_row.c.seq)).all()
    if any(r.translator_version > prov.translator_version for r in existing):
        return "ignored_older"
    locked = sum((r.quantity for r in existing if r.erp_status in LOCKED), Decimal(0))
    open_rows = [r for r in existing if r.erp_status not in LOCKED]
    delta = row.delivered - locked
    values = _values(row, prov, wholesaler, number, delta)
    if open_rows:
        return _update_open(conn, open_rows[0], values, delta)
    if delta == 0:
        return "unchanged"
    seq = max((r.seq for r in existing), default=0) + 1
    conn.execute(insert(order_row).values(**values, seq=seq, erp_status="new", created_at=utcnow()))
    if seq == 1 and not number.startswith(INVOICE_ROW_PREFIX) and _absorb_invoice_rows(conn, values, delta):
        return "inserted_replacing_invoice_row"
    return "inserted" if seq == 1 else "correction"


def _absorb_invoice_rows(conn: Connection, delivered: dict[str, Any], quantity: Decimal) -> bool:
    """A delivery note that arrives after the invoice billed its material: the invoice line had become a row
    of its own (nobody had delivered it yet), so the same material would now be billed twice. The delivery
    note's row takes over — the invoice-made rows of the same article and unit give up as much quantity as
    it brings: an open row shrinks (or goes), an exported one gets a negative correction row."""
    r = order_row.c
    same = and_(
        r.tenant_id == delivered["tenant_id"],
        r.wholesaler_id == delivered["wholesaler_id"],
        r.document_number.startswith(INVOICE_ROW_PREFIX),
        r.unit_code == delivered["unit_code"] if delivered["unit_code"] else r.unit_code.is_(None),
        (r.article_number == delivered["article_number"])
        if delivered["article_number"]
        else (r.gtin == delivered["gtin"]),
    )
    lines: dict[tuple[str, str], list[Any]] = {}
    for found in conn.execute(select(order_row).where(same).order_by(r.created_at, r.id, r.seq)).all():
        lines.setdefault((found.document_number, found.line_id), []).append(found)
    left = quantity
    for rows in lines.values():
        net = sum((x.quantity for x in rows), Decimal(0))
        take = min(left, net)
        if take <= 0:
            continue
        _give_up(conn, rows, take, delivered["document_number"])
        left -= take
    return left != quantity


def _give_up(conn: Connection, rows: Sequence[Any], take: Decimal, by_document: str) -> None:
    """Take ``take`` off an invoice-made line: its open row changes (a still-new row is simply edited, as in
    :func:`_line`), else a negative correction row is added — exported or invoiced rows are never edited."""
    open_row = next((x for x in rows if x.erp_status not in LOCKED), None)
    log.info(
        "orders.invoice_row_delivered",
        invoice_document=rows[0].document_number, line=rows[0].line_id, quantity=str(take), delivery=by_document,
    )  # fmt: skip
    if open_row is not None:
        remaining = open_row.quantity - take
        if remaining == 0:
            conn.execute(delete(order_row).where(order_row.c.id == open_row.id))
            return
        conn.execute(update(order_row).where(order_row.c.id == open_row.id).values(**_sized(open_row, remaining)))
        return
    last = rows[-1]
    credit = {k: v for k, v in last._mapping.items() if k not in ("id", "seq", "erp_status", "created_at")}
    credit.update(_sized(last, -take), seq=max(x.seq for x in rows) + 1, erp_status="new", created_at=utcnow())
    conn.execute(insert(order_row).values(**credit))


def _sized(row: Any, quantity: Decimal) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "purchase_amount": amount(quantity, row.purchase_unit_price),
        "sales_amount": amount(quantity, row.sales_unit_price),
        "updated_at": utcnow(),
    }


def _update_open(conn: Connection, current: Any, values: dict[str, Any], delta: Decimal) -> str:
    if delta == 0:
        conn.execute(delete(order_row).where(order_row.c.id == current.id))
        return "withdrawn"
    if current.content_hash == values["content_hash"] and current.quantity == delta:
        return "unchanged"
    conn.execute(update(order_row).where(order_row.c.id == current.id).values(**values))
    return "updated"


def _values(row: RowInput, prov: Provenance, wholesaler: str, number: str, quantity: Decimal) -> dict[str, Any]:
    line, priced, unit_price = row.line, row.priced, row.priced.purchase_unit_price
    sales_unit = sales_price(unit_price, row.markup_percent) if unit_price is not None else None
    values = {
        "tenant_id": prov.tenant_id,
        "work_order": row.match.work_order,
        "wholesaler_id": wholesaler,
        "document_number": number,
        "document_kind": row.document_kind,
        "line_id": line.line_id,
        "article_number": line.article_number,
        "gtin": line.gtin,
        "description": line.description,
        "quantity": quantity,
        "unit_code": line.unit_code,
        "unit": line.unit,
        "purchase_unit_price": unit_price,
        "purchase_amount": amount(quantity, unit_price),
        "markup_percent": row.markup_percent,
        "sales_unit_price": sales_unit,
        "sales_amount": amount(quantity, sales_unit),
        "price_source": priced.price_source,
        "price_rule": priced.price_rule,
        "price_flag": priced.flag,
        "discount_group": priced.discount_group,
        "catalog_version_id": priced.version_id,
        "agreement_id": priced.agreement_id,
        "match_rule": row.match.rule,
        "match_field": row.match.field,
        "match_text": row.match.text,
        "delivery_date": row.delivery_date,
        "source_document_id": prov.source_document_id,
        "event_id": prov.event_id,
        "translator": prov.translator,
        "translator_version": prov.translator_version,
        "updated_at": utcnow(),
    }
    provenance = ("updated_at", "quantity", "source_document_id", "event_id", "translator", "translator_version")
    digest_basis = {k: str(v) for k, v in values.items() if k not in provenance}  # what the ERP would bill
    values["content_hash"] = hashlib.sha256(json.dumps(digest_basis, sort_keys=True).encode()).hexdigest()
    return values


# -- work orders ---------------------------------------------------------------------------------------


def add_work_order(engine: Engine, tenant: str, number: str, customer: str | None, description: str | None) -> bool:
    """Open a work order (or re-open a closed one); False when it was already open."""
    with engine.begin() as conn:
        current = conn.scalar(select(work_order.c.status).where(_wo(tenant, number)))
        if current == "open":
            return False
        if current is None:
            conn.execute(
                insert(work_order).values(
                    tenant_id=tenant,
                    number=number,
                    status="open",
                    customer_name=customer,
                    description=description,
                    created_at=utcnow(),
                )
            )
        else:
            conn.execute(update(work_order).where(_wo(tenant, number)).values(status="open", closed_at=None))
    return True


def close_work_order(engine: Engine, tenant: str, number: str) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(work_order)
            .where(_wo(tenant, number), work_order.c.status == "open")
            .values(status="closed", closed_at=utcnow())
        )
    return bool(result.rowcount)


def open_work_orders(engine: Engine, tenant: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.scalars(
            select(work_order.c.number).where(work_order.c.tenant_id == tenant, work_order.c.status == "open")
        )
        return set(rows)


def _wo(tenant: str, number: str) -> Any:
    return and_(work_order.c.tenant_id == tenant, work_order.c.number == number)


# -- the unmatched list ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unmatched:
    tenant_id: str
    wholesaler_id: str
    document_number: str
    line_id: str  # '' = the whole document
    reason: str
    references: str
    payload: bytes
    source_document_id: str


def record_unmatched(engine: Engine, item: Unmatched) -> bool:
    """Park a delivery (or one of its lines) for a person; False when it is already on the list."""
    key = and_(
        unmatched.c.tenant_id == item.tenant_id,
        unmatched.c.wholesaler_id == item.wholesaler_id,
        unmatched.c.document_number == item.document_number,
        unmatched.c.line_id == item.line_id,
    )
    with engine.begin() as conn:
        if conn.scalar(select(unmatched.c.id).where(key)) is not None:
            conn.execute(update(unmatched).where(key, unmatched.c.status == "open").values(payload=item.payload))
            return False
        conn.execute(insert(unmatched).values(**_unmatched_row(item), status="open", created_at=utcnow()))
    return True


def _unmatched_row(item: Unmatched) -> dict[str, Any]:
    return {name: getattr(item, name) for name in Unmatched.__dataclass_fields__}


def open_unmatched(engine: Engine, tenant: str | None = None, document: str | None = None) -> list[dict[str, Any]]:
    query = select(unmatched).where(unmatched.c.status == "open").order_by(unmatched.c.created_at)
    if tenant:
        query = query.where(unmatched.c.tenant_id == tenant)
    if document:
        query = query.where((unmatched.c.document_number == document) | (unmatched.c.source_document_id == document))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def resolve_unmatched(engine: Engine, ids: Sequence[int], work_order_number: str, by: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(unmatched)
            .where(unmatched.c.id.in_(ids))
            .values(status="resolved", resolved_work_order=work_order_number, resolved_by=by, resolved_at=utcnow())
        )


def rows_of(engine: Engine, tenant: str, work_order_number: str | None = None) -> list[dict[str, Any]]:
    query = select(order_row).where(order_row.c.tenant_id == tenant).order_by(order_row.c.id)
    if work_order_number:
        query = query.where(order_row.c.work_order == work_order_number)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
