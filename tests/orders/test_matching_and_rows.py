from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hub.canonical.orders import OrderConfirmation, OrderLine, Reference
from hub.orders.matching import match_line, match_references
from hub.orders.rows import amount, catalog_price, document_price, markup_percent, sales_price
from hub.partners import Markup, WorkOrderPattern
from hub.pricing.netprice import NetPrice

DEFAULT = [WorkOrderPattern(name="number-in-references")]
OPEN = {"19271", "20001"}


def refs(**kinds: str) -> list[Reference]:
    return [Reference(kind.upper(), value) for kind, value in kinds.items()]  # type: ignore[arg-type]


def test_the_number_typed_at_the_counter_is_found() -> None:
    match = match_references(refs(marking="Projekt 19271 Kalle"), DEFAULT, OPEN)
    assert match is not None
    assert (match.work_order, match.rule, match.field, match.text) == (
        "19271",
        "number-in-references",
        "MARKING",
        "Projekt 19271 Kalle",
    )


def test_only_open_work_orders_match_and_nothing_is_guessed() -> None:
    assert match_references(refs(marking="2091/19271"), DEFAULT, OPEN).work_order == "19271"  # type: ignore[union-attr]
    assert match_references(refs(marking="Kalle"), DEFAULT, OPEN) is None
    assert match_references(refs(marking="Projekt 19999"), DEFAULT, OPEN) is None  # not an open work order


def test_patterns_are_tried_in_order_and_fields_restricted() -> None:
    patterns = [
        WorkOrderPattern(name="ao-prefix", fields=["BUYER_REFERENCE"], regex=r"AO[- ]?(\d+)"),
        WorkOrderPattern(name="any-number"),
    ]
    found = match_references(refs(marking="20001", buyer_reference="AO-19271"), patterns, OPEN)
    assert (found.work_order, found.rule) == ("19271", "ao-prefix")  # type: ignore[union-attr]


def test_a_lines_own_reference_wins_over_the_document() -> None:
    doc = OrderConfirmation("D1", "DELIVERY_NOTE", date(2026, 12, 4), references=(Reference("MARKING", "19271"),))
    line = OrderLine("1", line_references=(Reference("BUYER_REFERENCE", "20001"),))
    assert match_line(doc, line, DEFAULT, OPEN).work_order == "20001"  # type: ignore[union-attr]
    assert match_line(doc, OrderLine("2"), DEFAULT, OPEN).work_order == "19271"  # type: ignore[union-attr]


def test_document_price_applies_its_line_discounts() -> None:
    line = OrderLine("10", unit_price=D("250.00"), discount_percent=D("20.00"), price_is_net=False)
    assert document_price(line) == D("200.0000")
    assert document_price(OrderLine("1", unit_price=D("1190"), price_base_quantity=D("100"), price_is_net=True)) == D(
        "11.9000"
    )
    assert document_price(OrderLine("2")) is None


def _net(unit_code: str, price: str) -> NetPrice:
    return NetPrice(
        "w",
        "1416002",
        D(price),
        D(price),
        "group_discount",
        D("42"),
        "v1",
        D(price),
        D(1),
        unit_code,
        unit_code,
        "14AA",
        "a1",
        "Kabel",
        None,
        "SE_E_NUMBER",
        "ACTIVE",
    )


def test_catalog_price_converts_units_through_the_one_table() -> None:
    per_metre = catalog_price(OrderLine("1", article_number="1416002", unit_code="MTR"), _net("HMT", "690.2000"))
    assert (per_metre.purchase_unit_price, per_metre.price_source, per_metre.flag) == (D("6.9020"), "catalog", None)
    boxes = catalog_price(OrderLine("1", article_number="1416002", unit_code="EA"), _net("HMT", "690.20"))
    assert boxes.purchase_unit_price is None
    assert boxes.flag == "unit EA cannot be compared with the catalog's HMT"
    missing = catalog_price(OrderLine("1", article_number="9"), None)
    assert (missing.purchase_unit_price, missing.flag) == (None, "article 9 not in the tenant's catalog")


def test_markup_most_specific_wins_and_rounds_to_ore() -> None:
    markup = Markup(default_percent=D(15), by_discount_group={"SMA": D(25)}, by_article={"X": D(40)})
    assert markup_percent(markup, "w", "A", "14AA") == D(15)
    assert markup_percent(markup, "w", "A", "SMA") == D(25)
    assert markup_percent(markup, "w", "X", "SMA") == D(40)
    assert sales_price(D("6.9020"), D(15)) == D("7.94")  # 7.9373 → 7.94
    assert amount(D("50"), D("7.94")) == D("397.00")
