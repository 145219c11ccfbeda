"""Writes ``SupplierInvoice`` records into the ERP schema: idempotent and version-fenced.

Business key: (tenant, supplier, invoice number, kind). What happens to an incoming record is
decided by :func:`decide` (pure), from what is stored:

* nothing stored → ``inserted``;
* stored from the *same* source document (a replay or re-translation): an older translator
  version is ``ignored_older``; identical content is ``unchanged``; changed content is
  ``updated`` — unless the ERP already approved or booked the invoice, then it is ``protected``
  (left as is, flagged ``needs_attention``);
* stored from *another* document (a resend through another channel, another file name):
  identical content is a ``duplicate`` (counted, nothing written); different content is a
  ``conflict`` (recorded beside the invoice, the original row untouched).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from hub.canonical.codec import to_json
from hub.canonical.invoice import SupplierInvoice
from hub.db.types import utcnow
from hub.sinks.erp.tables import (
    supplier_invoice,
    supplier_invoice_attachment,
    supplier_invoice_conflict,
    supplier_invoice_line,
    supplier_invoice_vat,
)

Outcome = Literal[
    "inserted", "updated", "unchanged", "ignored_older", "duplicate", "conflict", "conflict_known", "protected"
]
LOCKED_STATUSES = ("approved", "booked")


@dataclass(frozen=True, slots=True)
class Provenance:
    tenant_id: str
    partner_id: str
    event_id: str
    source_document_id: str
    translator: str
    translator_version: int


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    source_document_id: str
    translator_version: int
    content_hash: str
    erp_status: str


def content_hash(invoice: SupplierInvoice) -> str:
    return hashlib.sha256(json.dumps(to_json(invoice), sort_keys=True).encode()).hexdigest()


def decide(stored: Stored | None, incoming_hash: str, prov: Provenance) -> Outcome:
    if stored is None:
        return "inserted"
    if stored.source_document_id != prov.source_document_id:
        return "duplicate" if stored.content_hash == incoming_hash else "conflict"
    if prov.translator_version < stored.translator_version:
        return "ignored_older"
    if stored.content_hash == incoming_hash:
        return "unchanged"
    return "protected" if stored.erp_status in LOCKED_STATUSES else "updated"


def write_invoice(engine: Engine, invoice: SupplierInvoice, prov: Provenance) -> Outcome:
    """Apply one record; safe to call any number of times with the same input."""
    digest = content_hash(invoice)
    for attempt in range(2):
        try:
            with engine.begin() as conn:
                stored = _load(conn, invoice, prov)
                outcome = decide(stored, digest, prov)
                if outcome in ("conflict", "protected") and stored and _conflict_known(conn, stored.id, digest):
                    return "conflict_known"  # this exact content was flagged before: nothing new to report
                _APPLY[outcome](conn, stored, invoice, prov, digest)
                return outcome
        except IntegrityError:
            if attempt:  # a concurrent writer inserted the same key first; the retry sees its row
                raise
    raise AssertionError("unreachable")


def _load(conn: Connection, invoice: SupplierInvoice, prov: Provenance) -> Stored | None:
    t = supplier_invoice.c
    query = select(t.id, t.source_document_id, t.translator_version, t.content_hash, t.erp_status).where(
        t.tenant_id == prov.tenant_id,
        t.supplier_id == prov.partner_id,
        t.invoice_number == invoice.invoice_number,
        t.kind == invoice.kind,
    )
    row = conn.execute(query.with_for_update()).first()
    return Stored(*row) if row else None


def _insert(conn: Connection, _stored: Stored | None, inv: SupplierInvoice, prov: Provenance, digest: str) -> None:
    now = utcnow()
    values = {**_header(inv, prov, digest), "erp_status": "new", "duplicate_deliveries": 0, "created_at": now}
    key = conn.execute(supplier_invoice.insert().values(**values, updated_at=now)).inserted_primary_key
    assert key is not None
    invoice_id = int(key[0])
    _write_children(conn, invoice_id, inv)


def _update(conn: Connection, stored: Stored | None, inv: SupplierInvoice, prov: Provenance, digest: str) -> None:
    assert stored is not None
    conn.execute(
        update(supplier_invoice)
        .where(supplier_invoice.c.id == stored.id)
        .values(**_header(inv, prov, digest), updated_at=utcnow())
    )
    conn.execute(supplier_invoice_line.delete().where(supplier_invoice_line.c.invoice_id == stored.id))
    conn.execute(supplier_invoice_vat.delete().where(supplier_invoice_vat.c.invoice_id == stored.id))
    conn.execute(supplier_invoice_attachment.delete().where(supplier_invoice_attachment.c.invoice_id == stored.id))
    _write_children(conn, stored.id, inv)


def _unchanged(conn: Connection, stored: Stored | None, _inv: SupplierInvoice, prov: Provenance, _d: str) -> None:
    assert stored is not None
    if prov.translator_version > stored.translator_version:
        # Same output from a newer translator: remember the version so older ones stay fenced out.
        conn.execute(
            update(supplier_invoice)
            .where(supplier_invoice.c.id == stored.id)
            .values(translator=prov.translator, translator_version=prov.translator_version, event_id=prov.event_id)
        )


def _ignore(_conn: Connection, _s: Stored | None, _inv: SupplierInvoice, _p: Provenance, _d: str) -> None:
    return None


def _duplicate(conn: Connection, stored: Stored | None, _inv: SupplierInvoice, _p: Provenance, _d: str) -> None:
    assert stored is not None
    conn.execute(
        update(supplier_invoice)
        .where(supplier_invoice.c.id == stored.id)
        .values(duplicate_deliveries=supplier_invoice.c.duplicate_deliveries + 1)
    )


def _conflict_known(conn: Connection, invoice_id: int, digest: str) -> bool:
    c = supplier_invoice_conflict.c
    return conn.scalar(select(c.id).where(c.invoice_id == invoice_id, c.content_hash == digest)) is not None


def conflict_reason(invoice_number: str, source_document_id: str) -> str:
    return (
        f"invoice {invoice_number} received again from document {source_document_id} "
        f"with different content; the stored invoice was left unchanged"
    )


def _conflict(conn: Connection, stored: Stored | None, inv: SupplierInvoice, prov: Provenance, digest: str) -> None:
    assert stored is not None
    conn.execute(
        supplier_invoice_conflict.insert().values(
            invoice_id=stored.id,
            source_document_id=prov.source_document_id,
            event_id=prov.event_id,
            content_hash=digest,
            reason=conflict_reason(inv.invoice_number, prov.source_document_id),
            resolved=False,
            detected_at=utcnow(),
        )
    )


def _protect(conn: Connection, stored: Stored | None, inv: SupplierInvoice, prov: Provenance, digest: str) -> None:
    assert stored is not None
    note = (
        f"a corrected version (translator {prov.translator}@{prov.translator_version}) differs from this "
        f"{stored.erp_status} invoice; review it before re-approving"
    )
    conn.execute(update(supplier_invoice).where(supplier_invoice.c.id == stored.id).values(needs_attention=note))
    _conflict(conn, stored, inv, prov, digest)


_APPLY = {
    "inserted": _insert,
    "updated": _update,
    "unchanged": _unchanged,
    "ignored_older": _ignore,
    "duplicate": _duplicate,
    "conflict": _conflict,
    "conflict_known": _ignore,
    "protected": _protect,
}


def _header(inv: SupplierInvoice, prov: Provenance, digest: str) -> dict[str, Any]:
    return {
        "tenant_id": prov.tenant_id,
        "supplier_id": prov.partner_id,
        "invoice_number": inv.invoice_number,
        "kind": inv.kind,
        "type_code": inv.type_code,
        "issue_date": inv.issue_date,
        "due_date": inv.due_date,
        "delivery_date": inv.delivery_date,
        "currency": inv.currency,
        "seller_name": inv.seller.name,
        "seller_org_number": inv.seller.org_number,
        "seller_vat_number": inv.seller.vat_number,
        "buyer_name": inv.buyer.name,
        "buyer_org_number": inv.buyer.org_number,
        "buyer_vat_number": inv.buyer.vat_number,
        "buyer_reference": inv.buyer_reference,
        "order_reference": inv.order_reference,
        "sales_order_reference": inv.sales_order_reference,
        "project_reference": inv.project_reference,
        "contract_reference": inv.contract_reference,
        "despatch_reference": inv.despatch_reference,
        "accounting_cost": inv.accounting_cost,
        "payment_terms": inv.payment_terms,
        "payment_id": inv.payment_id,
        "payee_account": inv.payee_account,
        "corrects_invoice": ", ".join(p.number for p in inv.preceding_invoices) or None,
        "line_total": inv.line_total,
        "allowance_total": inv.allowance_total,
        "charge_total": inv.charge_total,
        "tax_exclusive_total": inv.tax_exclusive_total,
        "tax_total": inv.tax_total,
        "tax_inclusive_total": inv.tax_inclusive_total,
        "prepaid_total": inv.prepaid_total,
        "rounding_amount": inv.rounding_amount,
        "payable_amount": inv.payable_amount,
        "source_document_id": prov.source_document_id,
        "event_id": prov.event_id,
        "translator": prov.translator,
        "translator_version": prov.translator_version,
        "content_hash": digest,
    }


def _write_children(conn: Connection, invoice_id: int, inv: SupplierInvoice) -> None:
    lines = [
        {
            "invoice_id": invoice_id,
            "position": i,
            "line_id": ln.line_id,
            "article_number": ln.article_number,
            "gtin": ln.gtin,
            "description": ln.description,
            "quantity": ln.quantity,
            "unit_code": ln.unit_code,
            "unit_price": ln.unit_price,
            "price_base_quantity": ln.price_base_quantity,
            "gross_price": ln.gross_price,
            "line_amount": ln.line_amount,
            "vat_category": ln.vat_category,
            "vat_rate": ln.vat_rate,
            "order_line_reference": ln.order_line_reference,
            "accounting_cost": ln.accounting_cost,
        }
        for i, ln in enumerate(inv.lines, start=1)
    ]
    if lines:
        conn.execute(supplier_invoice_line.insert(), lines)
    attachments = [
        {
            "invoice_id": invoice_id,
            "document_id": a.document_id,
            "description": a.description,
            "filename": a.filename,
            "mime_type": a.mime_type,
            "sha256": a.sha256,
            "size": a.size,
            "archive_uri": a.archive_uri,
            "external_uri": a.external_uri,
        }
        for a in inv.attachments
    ]
    if attachments:
        conn.execute(supplier_invoice_attachment.insert(), attachments)
    vat = [
        {
            "invoice_id": invoice_id,
            "category": v.category,
            "rate": v.rate,
            "taxable_amount": v.taxable_amount,
            "tax_amount": v.tax_amount,
        }
        for v in inv.vat_breakdown
    ]
    if vat:
        conn.execute(supplier_invoice_vat.insert(), vat)
