"""Delta rows: the same document twice changes nothing; a newer version updates; exported rows are never
edited (a difference becomes a correction row); a back order delivered later is a new row (SQLite + PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from hub.canonical.orders import OrderLine
from hub.db.engine import make_engine
from hub.db.migrate import upgrade
from hub.orders.matching import Match
from hub.orders.rows import PricedLine
from hub.sinks.erp.invoices import Provenance
from hub.sinks.erp.migrations import ERP_MIGRATIONS
from hub.sinks.erp.orders import RowInput, add_work_order, close_work_order, open_work_orders, rows_of, write_rows
from hub.sinks.erp.tables import order_row

PROV = Provenance("nordstrom", "elgrossisten-syd", "ev-1", "doc-1", "peppol-despatch-advice", 1)
MATCH = Match("19271", "number-in-references", "MARKING", "Projekt 19271 Kalle")
PRICED = PricedLine(D("6.9020"), "catalog", "group_discount", None, "14AA", "v1", "a1")


def row(line_id: str, delivered: str, priced: PricedLine = PRICED) -> RowInput:
    line = OrderLine(
        line_id, article_number="1416002", description="Kabel", quantity_delivered=D(delivered), unit_code="MTR"
    )
    return RowInput(line, D(delivered), MATCH, priced, D(15), "DELIVERY_NOTE", None)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'erp.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    )
    eng = make_engine(url)
    upgrade(eng, "erp", ERP_MIGRATIONS)
    yield eng
    eng.dispose()


def quantities(engine: Engine) -> list[tuple[str, int, D]]:
    return [(r["line_id"], r["seq"], r["quantity"]) for r in rows_of(engine, "nordstrom", "19271")]


def test_rows_are_priced_with_markup_and_idempotent(engine: Engine) -> None:
    assert write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "50")], PROV) == ["inserted"]
    assert write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "50")], PROV) == ["unchanged"]
    [r] = rows_of(engine, "nordstrom", "19271")
    assert (r["purchase_unit_price"], r["purchase_amount"], r["sales_unit_price"], r["sales_amount"]) == (
        D("6.902"),
        D("345.1"),
        D("7.94"),
        D("397"),
    )
    assert (r["match_rule"], r["match_field"], r["price_rule"]) == ("number-in-references", "MARKING", "group_discount")


def test_newer_version_updates_an_open_row_but_never_an_exported_one(engine: Engine) -> None:
    write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "50")], PROV)
    assert write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "40")], PROV) == ["updated"]
    with engine.begin() as conn:
        conn.execute(update(order_row).values(erp_status="invoiced"))
    assert write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "45")], PROV) == ["correction"]
    assert quantities(engine) == [("1", 1, D(40)), ("1", 2, D(5))]
    assert write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "30")], PROV) == ["updated"]
    assert quantities(engine) == [("1", 1, D(40)), ("1", 2, D(-10))]  # a credit row: 10 m too many billed
    old = dataclasses.replace(PROV, translator_version=0)
    assert write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "99")], old) == ["ignored_older"]


def test_back_order_delivered_later_is_a_new_row_and_unpriced_rows_are_flagged(engine: Engine) -> None:
    write_rows(engine, "elgrossisten-syd", "FS-1", [row("1", "20")], PROV)
    unpriced = PricedLine(None, "none", None, "article 1416002 not in the tenant's catalog")
    write_rows(engine, "elgrossisten-syd", "FS-2", [row("1", "10", unpriced)], PROV)
    rows = rows_of(engine, "nordstrom", "19271")
    assert [(r["document_number"], r["quantity"], r["sales_amount"], r["price_flag"]) for r in rows] == [
        ("FS-1", D(20), D("158.8"), None),
        ("FS-2", D(10), None, "article 1416002 not in the tenant's catalog"),
    ]


def test_work_orders_open_and_close(engine: Engine) -> None:
    assert add_work_order(engine, "nordstrom", "19271", "BRF Solgläntan", "Ny elcentral")
    assert not add_work_order(engine, "nordstrom", "19271", None, None)
    assert open_work_orders(engine, "nordstrom") == {"19271"}
    assert close_work_order(engine, "nordstrom", "19271")
    assert open_work_orders(engine, "nordstrom") == set()
    assert open_work_orders(engine, "rormokarn") == set()


def billed(engine: Engine) -> list[tuple[str, D]]:
    """(document, quantity) of every row on the work order: what the ERP would bill the customer."""
    return [(r["document_number"], r["quantity"]) for r in rows_of(engine, "nordstrom", "19271")]


def test_a_late_delivery_note_takes_over_the_row_the_invoice_made(engine: Engine) -> None:
    """The invoice came first and billed 50 m nobody had delivered: that line became a row of its own. The
    delivery note for the same cable arrives later; the cable must be on the work order once, not twice."""
    invoice_row = dataclasses.replace(row("3", "50"), document_kind="DELIVERY_NOTE")
    assert write_rows(engine, "elgrossisten-syd", "invoice F2026-1187", [invoice_row], PROV) == ["inserted"]
    outcome = write_rows(engine, "elgrossisten-syd", "FS-9", [row("1", "50")], PROV)
    assert outcome == ["inserted_replacing_invoice_row"]
    assert billed(engine) == [("FS-9", D(50))]
    assert write_rows(engine, "elgrossisten-syd", "FS-9", [row("1", "50")], PROV) == ["unchanged"]  # a resend
    assert billed(engine) == [("FS-9", D(50))]


def test_a_partial_late_delivery_shrinks_the_invoice_row_and_an_exported_one_gets_a_credit(engine: Engine) -> None:
    write_rows(engine, "elgrossisten-syd", "invoice F2026-1187", [row("3", "50")], PROV)
    write_rows(engine, "elgrossisten-syd", "FS-9", [row("1", "20")], PROV)
    assert sorted(billed(engine)) == [("FS-9", D(20)), ("invoice F2026-1187", D(30))]
    with engine.begin() as conn:
        conn.execute(update(order_row).values(erp_status="exported"))
    assert write_rows(engine, "elgrossisten-syd", "FS-10", [row("1", "40")], PROV) == ["inserted_replacing_invoice_row"]
    rows = sorted(billed(engine))
    assert rows == [("FS-10", D(40)), ("FS-9", D(20)), ("invoice F2026-1187", D(-30)), ("invoice F2026-1187", D(30))]
    assert sum(q for _, q in rows) == 60  # 20 + 40 delivered; the invoice's 50 are covered by the two notes
    [credit] = [r for r in rows_of(engine, "nordstrom", "19271") if r["quantity"] < 0]
    assert (credit["seq"], credit["erp_status"], credit["sales_amount"]) == (2, "new", D("-238.2"))


def test_a_delivery_of_another_article_or_unit_leaves_the_invoice_row_alone(engine: Engine) -> None:
    write_rows(engine, "elgrossisten-syd", "invoice F2026-1187", [row("3", "50")], PROV)
    other = OrderLine("1", article_number="1416003", description="Kabel", quantity_delivered=D(50), unit_code="MTR")
    metres_as_pieces = OrderLine("2", article_number="1416002", quantity_delivered=D(50), unit_code="EA")
    inputs = [RowInput(line, D(50), MATCH, PRICED, D(15), "DELIVERY_NOTE", None) for line in (other, metres_as_pieces)]
    assert write_rows(engine, "elgrossisten-syd", "FS-9", inputs, PROV) == ["inserted", "inserted"]
    assert ("invoice F2026-1187", D(50)) in billed(engine)
