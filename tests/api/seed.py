"""Data for API tests, written through the hub's own ledger and sink code (no broker needed):
documents in the ledger, invoices in the ERP tables, a price list and a discount letter in the catalog."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from hub.canonical import SupplierInvoice
from hub.canonical.pricelist import DiscountAgreement, GroupDiscount, NetPrice, Price, PriceListVersion
from hub.db.types import utcnow
from hub.formats.base import TranslationContext
from hub.formats.registry import translate_bytes
from hub.ids import event_id, new_document_id
from hub.intake.ledger import DeadLetterRecord, EventRecord, LedgerEntry
from hub.pipeline.catalog import price_row
from hub.pipeline.pricelists import price_avro
from hub.runtime import Runtime
from hub.sinks.catalog.writer import CatalogWriter
from hub.sinks.erp.invoices import Provenance, write_invoice
from hub.sinks.erp.tables import supplier_invoice
from tests.conftest import EXAMPLES

DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"
PARTNER = "elgrossisten-syd"
TRANSLATOR = "peppol-bis3-invoice@1"


@dataclass(frozen=True)
class Seeded:
    document_id: str
    invoice_id: int


def demo_invoice(number: str) -> SupplierInvoice:
    context = TranslationContext(partner_id=PARTNER, filename=DEMO.name)
    _translator, records = translate_bytes(DEMO.read_bytes(), context)
    [invoice] = [r for r in records if isinstance(r, SupplierInvoice)]
    return dataclasses.replace(invoice, invoice_number=number)


def ledger_document(rt: Runtime, *, tenant_scope: str = "", filename: str = "doc.xml", data: bytes = b"") -> str:
    """A ledger row whose bytes are in the archive (so replays and previews of it can run)."""
    doc_id = new_document_id()
    stored = rt.archive.put_bytes(data or f"<Invoice>{doc_id}</Invoice>".encode())
    entry = LedgerEntry(
        document_id=doc_id, partner_id=PARTNER, tenant_scope=tenant_scope, channel="upload",
        transport_id=f"test:{doc_id}", sha256=stored.sha256, size=stored.size, archive_uri=stored.uri,
        state="received", received_at=utcnow(), filename=filename, content_type="application/xml",
    )  # fmt: skip
    rt.ledger.receive(entry)
    rt.ledger.mark_published(doc_id, rt.topics.raw, 0, 7)
    return doc_id


def seed_invoice(rt: Runtime, tenant: str, number: str, *, forwarded: bool = False) -> Seeded:
    """A document translated and sunk into one invoice of ``tenant``."""
    data = DEMO.read_bytes().replace(b"<cbc:ID>F2026-1187</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>".encode())
    doc_id = ledger_document(rt, tenant_scope=tenant if forwarded else "", filename=f"{number}.xml", data=data)
    ev = EventRecord(
        event_id=event_id(doc_id, 0), record_index=0, record_type="SupplierInvoice",
        business_key=f"{PARTNER}|{number}", topic=rt.topics.invoice, partition=0, offset=3, translator=TRANSLATOR,
    )  # fmt: skip
    rt.ledger.mark_translated(doc_id, TRANSLATOR, [ev])
    prov = Provenance(tenant, PARTNER, ev.event_id, doc_id, "peppol-bis3-invoice", 1)
    assert write_invoice(rt.erp_engine, demo_invoice(number), prov) == "inserted"
    rt.ledger.mark_event_sunk(ev.event_id, "inserted")
    with rt.erp_engine.connect() as conn:
        invoice_id = conn.scalar(select(supplier_invoice.c.id).where(supplier_invoice.c.event_id == ev.event_id))
    assert invoice_id is not None
    return Seeded(doc_id, invoice_id)


def seed_dead_letter(rt: Runtime, *, tenant_scope: str = "", code: str = "PARSE_ERROR") -> str:
    doc_id = ledger_document(rt, tenant_scope=tenant_scope, filename="broken.xml", data=b"<Invoice><cbc:ID>")
    letter = DeadLetterRecord(
        document_id=doc_id, partner_id=PARTNER, code=code, stage="parse", message="not well-formed (line 43)",
        location="line 43", translator=None, source_topic=rt.topics.raw, source_partition=0, source_offset=7,
        dlq_offset=0,
    )  # fmt: skip
    rt.ledger.mark_dead_lettered(letter)
    return doc_id


def seed_catalog(rt: Runtime, tenant: str) -> None:
    """A central price list of three articles and the tenant's discount letter (group 14AA 42 %, one net price)."""
    writer = CatalogWriter(rt.erp_engine)
    valid_from = date(2026, 1, 1)
    version = PriceListVersion(
        version_id=event_id("pricelist", 0), wholesaler_id=PARTNER, scope="central", status="COMPLETE",
        valid_from=valid_from, source_document_id=new_document_id(), currency="SEK", article_count=3, failed_lines=0,
    )  # fmt: skip
    writer.record_version(version)
    rows = [
        _price(version, "1416002", "119000", "10000", "14AA", "HMT", 1),
        _price(version, "1823410", "14.50", "1", "20BB", "EA", 2),
        _price(version, "1000001", "899", "1", "30CC", "EA", 3),
    ]
    writer.store_prices([price_row(price_avro(p, version.version_id, PARTNER, "central", valid_from)) for p in rows])
    assert len(writer.merge_ready()) == 1
    writer.store_agreement(
        DiscountAgreement(
            agreement_id=event_id("letter", 0),
            wholesaler_id=PARTNER,
            valid_from=valid_from,
            tenant_id=tenant,
            group_discounts=(GroupDiscount("14AA", Decimal(42)),),
            net_prices=(NetPrice("1000001", Decimal(750)),),
            source_document_id=new_document_id(),
        )
    )


def _price(v: PriceListVersion, number: str, price: str, qty: str, group: str, unit: str, line: int) -> Price:
    return Price(
        version_id=v.version_id, wholesaler_id=PARTNER, scope="central", valid_from=v.valid_from,
        article_number=number, number_type="SE_E_NUMBER", list_price=Decimal(price), price_quantity=Decimal(qty),
        unit_list_price=Decimal(price) / Decimal(qty), price_type="GROSS", status="ACTIVE", line=line,
        unit_code=unit, discount_group=group, description=f"article {number}",
    )  # fmt: skip
