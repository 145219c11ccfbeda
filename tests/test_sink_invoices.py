"""The ERP invoice writer: idempotent, version-fenced, duplicates counted, conflicts flagged (SQLite + PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from hub.canonical import InvoiceLine, Party, SupplierInvoice, VatBreakdown
from hub.db.engine import make_engine
from hub.db.migrate import upgrade
from hub.sinks.erp.invoices import Provenance, Stored, decide, write_invoice
from hub.sinks.erp.migrations import ERP_MIGRATIONS
from hub.sinks.erp.queries import list_invoices
from hub.sinks.erp.tables import supplier_invoice, supplier_invoice_conflict, supplier_invoice_line

INVOICE = SupplierInvoice(
    invoice_number="F2026-1187",
    kind="INVOICE",
    type_code="380",
    issue_date=date(2026, 11, 30),
    currency="SEK",
    seller=Party(name="Elgrossisten Syd AB", org_number="5563012342"),
    buyer=Party(name="Elfirma Nordström AB"),
    payable_amount=Decimal("2737.00"),
    line_total=Decimal("2189.25"),
    lines=(
        InvoiceLine(
            line_id="1",
            quantity=Decimal("100"),
            line_amount=Decimal("1190.00"),
            unit_code="MTR",
            unit_price=Decimal("1190.00"),
            price_base_quantity=Decimal("100"),
        ),
        InvoiceLine(line_id="2", quantity=Decimal("25"), line_amount=Decimal("362.50"), unit_price=Decimal("14.50")),
        InvoiceLine(line_id="3", quantity=Decimal("50"), line_amount=Decimal("636.75"), unit_price=Decimal("12.735")),
    ),
    vat_breakdown=(VatBreakdown("S", Decimal("2189.25"), Decimal("547.31"), Decimal("25")),),
)
PROV = Provenance("nordstrom", "elgrossisten-syd", "ev-1", "doc-1", "peppol-bis3-invoice", 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    eng = make_engine(url)
    upgrade(eng, "erp", ERP_MIGRATIONS)
    yield eng
    with eng.begin() as conn:
        conn.execute(supplier_invoice.delete())
    eng.dispose()


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(supplier_invoice)) or 0,
            conn.scalar(select(func.count()).select_from(supplier_invoice_line)) or 0,
            conn.scalar(select(func.count()).select_from(supplier_invoice_conflict)) or 0,
        )


def test_insert_then_replay_changes_nothing(engine: Engine) -> None:
    assert write_invoice(engine, INVOICE, PROV) == "inserted"
    before = list_invoices(engine, with_lines=True)
    assert write_invoice(engine, INVOICE, PROV) == "unchanged"
    assert write_invoice(engine, INVOICE, PROV) == "unchanged"
    assert list_invoices(engine, with_lines=True) == before
    assert counts(engine) == (1, 3, 0)


def test_amounts_are_exact_decimals(engine: Engine) -> None:
    write_invoice(engine, INVOICE, PROV)
    [row] = list_invoices(engine, tenant_id="nordstrom", with_lines=True)
    assert row["payable_amount"] == Decimal("2737")
    assert [ln["unit_price"] for ln in row["lines"]] == [Decimal("1190"), Decimal("14.5"), Decimal("12.735")]
    assert sum(ln["line_amount"] for ln in row["lines"]) == Decimal("2189.25")
    assert row["vat_breakdown"][0]["tax_amount"] == Decimal("547.31")
    assert list_invoices(engine, tenant_id="rormokarn") == []


def test_newer_translator_version_updates_older_is_ignored(engine: Engine) -> None:
    write_invoice(engine, INVOICE, PROV)
    fixed = dataclasses.replace(INVOICE, lines=INVOICE.lines[:2], payable_amount=Decimal("1940.00"))
    v2 = dataclasses.replace(PROV, translator_version=2, event_id="ev-1")
    assert write_invoice(engine, fixed, v2) == "updated"
    assert write_invoice(engine, INVOICE, PROV) == "ignored_older"
    [row] = list_invoices(engine)
    assert (row["payable_amount"], row["line_count"], row["translator_version"]) == (Decimal("1940"), 2, 2)


def test_same_invoice_from_another_document_is_a_duplicate(engine: Engine) -> None:
    write_invoice(engine, INVOICE, PROV)
    resend = dataclasses.replace(PROV, source_document_id="doc-2", event_id="ev-2")
    assert write_invoice(engine, INVOICE, resend) == "duplicate"
    [row] = list_invoices(engine)
    assert (row["duplicate_deliveries"], row["source_document_id"]) == (1, "doc-1")
    assert counts(engine) == (1, 3, 0)


def test_changed_resend_is_a_conflict_and_leaves_the_original(engine: Engine) -> None:
    write_invoice(engine, INVOICE, PROV)
    changed = dataclasses.replace(INVOICE, payable_amount=Decimal("9999.00"))
    resend = dataclasses.replace(PROV, source_document_id="doc-2", event_id="ev-2")
    assert write_invoice(engine, changed, resend) == "conflict"
    assert write_invoice(engine, changed, resend) == "conflict_known"
    [row] = list_invoices(engine)
    assert (row["payable_amount"], row["open_conflicts"]) == (Decimal("2737"), 1)
    assert counts(engine) == (1, 3, 1)


def test_correction_of_an_approved_invoice_is_flagged_not_applied(engine: Engine) -> None:
    write_invoice(engine, INVOICE, PROV)
    with engine.begin() as conn:
        conn.execute(update(supplier_invoice).values(erp_status="approved"))
    fixed = dataclasses.replace(INVOICE, payable_amount=Decimal("1.00"))
    assert write_invoice(engine, fixed, dataclasses.replace(PROV, translator_version=2)) == "protected"
    [row] = list_invoices(engine)
    assert row["payable_amount"] == Decimal("2737")
    assert "differs from this approved invoice" in row["needs_attention"]


def test_credit_note_with_same_number_is_a_separate_document(engine: Engine) -> None:
    write_invoice(engine, INVOICE, PROV)
    credit = dataclasses.replace(INVOICE, kind="CREDIT_NOTE", type_code="381")
    assert write_invoice(engine, credit, dataclasses.replace(PROV, source_document_id="doc-3")) == "inserted"
    assert counts(engine)[0] == 2


@pytest.mark.parametrize(
    ("stored", "version", "digest", "expected"),
    [
        (None, 1, "a", "inserted"),
        (Stored(1, "doc-1", 2, "a", "new"), 1, "b", "ignored_older"),
        (Stored(1, "doc-1", 1, "a", "new"), 1, "a", "unchanged"),
        (Stored(1, "doc-1", 1, "a", "new"), 2, "b", "updated"),
        (Stored(1, "doc-1", 1, "a", "booked"), 2, "b", "protected"),
        (Stored(1, "doc-9", 1, "a", "new"), 1, "a", "duplicate"),
        (Stored(1, "doc-9", 1, "a", "booked"), 5, "b", "conflict"),
    ],
)
def test_decide(stored: Stored | None, version: int, digest: str, expected: str) -> None:
    assert decide(stored, digest, dataclasses.replace(PROV, translator_version=version)) == expected
