from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal as D

import pytest

from hub.canonical import AllowanceCharge, InvoiceLine, Party, SupplierInvoice, VatBreakdown
from hub.formats.arithmetic import check_totals

GOOD = SupplierInvoice(
    invoice_number="1",
    kind="INVOICE",
    type_code="380",
    issue_date=date(2026, 11, 30),
    currency="SEK",
    seller=Party(name="S"),
    buyer=Party(name="B"),
    lines=(
        InvoiceLine("1", D("100"), D("1190.00"), unit_price=D("1190.00"), price_base_quantity=D("100")),
        InvoiceLine(
            "2",
            D("25"),
            D("352.50"),
            unit_price=D("14.50"),
            allowances_charges=(AllowanceCharge(is_charge=False, amount=D("10.00")),),
        ),
        InvoiceLine("3", D("50"), D("636.75"), unit_price=D("12.735")),
    ),
    vat_breakdown=(VatBreakdown("S", D("2179.25"), D("544.81"), D("25")),),
    line_total=D("2179.25"),
    tax_exclusive_total=D("2179.25"),
    tax_total=D("544.81"),
    tax_inclusive_total=D("2724.06"),
    rounding_amount=D("-0.06"),
    payable_amount=D("2724.00"),
)


def test_consistent_invoice_has_no_findings() -> None:
    assert check_totals(GOOD) == []


@pytest.mark.parametrize(
    ("change", "rules", "numbers"),
    [
        ({"line_total": D("2180.25")}, ["BR-CO-10", "BR-CO-13"], "sum of line amounts 2179.25 ≠ line total 2180.25"),
        ({"tax_exclusive_total": D("2179.20")}, ["BR-CO-13", "BR-CO-15"], "= 2179.25 ≠ total without VAT 2179.20"),
        (
            {"tax_inclusive_total": D("2725.06"), "payable_amount": D("2725.00")},
            ["BR-CO-15"],
            "= 2724.06 ≠ total with VAT 2725.06",
        ),
        ({"payable_amount": D("2724.06")}, ["BR-CO-16"], "= 2724.00 ≠ amount due 2724.06"),
        (
            {
                "vat_breakdown": (VatBreakdown("S", D("2179.25"), D("546.81"), D("25")),),
                "tax_total": D("546.81"),
                "tax_inclusive_total": D("2726.06"),
                "payable_amount": D("2726.00"),
            },
            ["BR-CO-17"],
            "= 544.81 ≠ 546.81",
        ),
    ],
)
def test_each_inconsistency_names_its_rule_and_numbers(
    change: dict[str, object], rules: list[str], numbers: str
) -> None:
    findings = check_totals(dataclasses.replace(GOOD, **change))  # type: ignore[arg-type]
    assert [f.rule for f in findings] == rules
    assert numbers in findings[0].message and findings[0].severity == "fatal"


def test_vat_rounding_within_one_unit_is_accepted() -> None:
    vat = (VatBreakdown("S", D("2179.25"), D("545.50"), D("25")),)
    inv = dataclasses.replace(
        GOOD,
        vat_breakdown=vat,
        tax_total=D("545.50"),
        tax_inclusive_total=D("2724.75"),
        rounding_amount=D("0.25"),
        payable_amount=D("2725.00"),
    )
    assert check_totals(inv) == []


def test_line_amount_tolerance_is_two_cents() -> None:
    off_by_two = dataclasses.replace(GOOD.lines[2], line_amount=D("636.77"))
    off_by_three = dataclasses.replace(GOOD.lines[2], line_amount=D("636.78"))
    assert [
        f.rule
        for f in check_totals(
            dataclasses.replace(
                GOOD,
                lines=(off_by_two,),
                line_total=None,
                tax_exclusive_total=None,
                tax_inclusive_total=None,
                vat_breakdown=(),
            )
        )
    ] == []
    findings = check_totals(
        dataclasses.replace(
            GOOD,
            lines=(off_by_three,),
            line_total=None,
            tax_exclusive_total=None,
            tax_inclusive_total=None,
            vat_breakdown=(),
        )
    )
    assert [f.rule for f in findings] == ["PEPPOL-EN16931-R120"]
    assert (
        "line 3: quantity 50 × price 12.735 / base 1 ± allowances/charges = 636.75 ≠ line amount 636.78"
        in findings[0].message
    )
