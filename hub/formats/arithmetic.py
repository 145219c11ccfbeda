"""Arithmetic checks for invoice formats without an official rule set (Svefaktura 1.0, EDIFACT INVOIC).

The same rules EN 16931 applies to UBL, with the tolerances of DESIGN §9.7: document totals are exact after
rounding to two decimals (BR-CO-10, -13, -15, -16, -14), VAT per rate may differ by ±1 (BR-CO-17), a line amount
by ±0.02 (as PEPPOL-EN16931-R120). Findings carry the EN 16931 rule id they mirror and the numbers involved.
Pure: an invoice in, findings out.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from hub.canonical.invoice import InvoiceLine, SupplierInvoice, ValidationIssue

CENT = Decimal("0.01")
LINE_TOLERANCE = Decimal("0.02")
VAT_TOLERANCE = Decimal("1")
ZERO = Decimal(0)


def r2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def check_totals(invoice: SupplierInvoice) -> list[ValidationIssue]:
    """Every arithmetic inconsistency, as fatal findings (empty list = consistent)."""
    return [*_document_totals(invoice), *_vat(invoice), *_lines(invoice)]


def _issue(rule: str, message: str, location: str | None = None) -> ValidationIssue:
    return ValidationIssue(rule=rule, severity="fatal", message=message, location=location)


def _document_totals(inv: SupplierInvoice) -> Iterator[ValidationIssue]:
    lines = sum((ln.line_amount for ln in inv.lines), ZERO)
    allowances = inv.allowance_total or ZERO
    charges = inv.charge_total or ZERO
    if inv.line_total is not None and r2(lines) != r2(inv.line_total):
        yield _issue("BR-CO-10", f"sum of line amounts {r2(lines)} ≠ line total {inv.line_total} (BT-106)", "totals")
    base = inv.line_total if inv.line_total is not None else lines
    expected = base - allowances + charges
    if inv.tax_exclusive_total is not None and r2(expected) != r2(inv.tax_exclusive_total):
        yield _issue(
            "BR-CO-13",
            f"line total {base} − allowances {allowances} + charges {charges} = {r2(expected)} "
            f"≠ total without VAT {inv.tax_exclusive_total} (BT-109)",
            "totals",
        )
    yield from _inclusive_and_payable(inv)


def _inclusive_and_payable(inv: SupplierInvoice) -> Iterator[ValidationIssue]:
    if inv.tax_exclusive_total is not None and inv.tax_inclusive_total is not None:
        expected = inv.tax_exclusive_total + (inv.tax_total or ZERO)
        if r2(expected) != r2(inv.tax_inclusive_total):
            yield _issue(
                "BR-CO-15",
                f"total without VAT {inv.tax_exclusive_total} + VAT {inv.tax_total or ZERO} = {r2(expected)} "
                f"≠ total with VAT {inv.tax_inclusive_total} (BT-112)",
                "totals",
            )
    if inv.tax_inclusive_total is not None:
        prepaid, rounding = inv.prepaid_total or ZERO, inv.rounding_amount or ZERO
        expected = inv.tax_inclusive_total - prepaid + rounding
        if r2(expected) != r2(inv.payable_amount):
            yield _issue(
                "BR-CO-16",
                f"total with VAT {inv.tax_inclusive_total} − prepaid {prepaid} + rounding {rounding} = {r2(expected)} "
                f"≠ amount due {inv.payable_amount} (BT-115)",
                "totals",
            )


def _vat(inv: SupplierInvoice) -> Iterator[ValidationIssue]:
    if inv.vat_breakdown and inv.tax_total is not None:
        total = sum((v.tax_amount for v in inv.vat_breakdown), ZERO)
        if r2(total) != r2(inv.tax_total):
            yield _issue("BR-CO-14", f"sum of VAT per rate {r2(total)} ≠ VAT total {inv.tax_total} (BT-110)", "totals")
    for i, vat in enumerate(inv.vat_breakdown, start=1):
        if vat.rate is None:
            continue
        expected = r2(vat.taxable_amount * vat.rate / 100)
        if abs(expected - vat.tax_amount) > VAT_TOLERANCE:
            yield _issue(
                "BR-CO-17",
                f"VAT {vat.category} {vat.rate} %: {vat.taxable_amount} × {vat.rate} % = {expected} "
                f"≠ {vat.tax_amount} (more than ±{VAT_TOLERANCE})",
                f"VAT breakdown {i}",
            )


def _lines(inv: SupplierInvoice) -> Iterator[ValidationIssue]:
    for line in inv.lines:
        expected = expected_line_amount(line)
        if expected is not None and abs(expected - line.line_amount) > LINE_TOLERANCE:
            yield _issue(
                "PEPPOL-EN16931-R120",
                f"line {line.line_id}: quantity {line.quantity} × price {line.unit_price}"
                f" / base {line.price_base_quantity or 1} ± allowances/charges = {r2(expected)}"
                f" ≠ line amount {line.line_amount} (more than ±{LINE_TOLERANCE})",
                f"line {line.line_id}",
            )


def expected_line_amount(line: InvoiceLine) -> Decimal | None:
    """quantity × net price / base quantity − line allowances + line charges; None without a price."""
    if line.unit_price is None:
        return None
    base = line.price_base_quantity or Decimal(1)
    if base == 0:
        return None
    adjustments = sum(((a.amount if a.is_charge else -a.amount) for a in line.allowances_charges), ZERO)
    return line.quantity * line.unit_price / base + adjustments
