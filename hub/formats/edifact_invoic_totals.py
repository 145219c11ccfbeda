"""EDIFACT INVOIC summary section (after UNS+S): document totals and the VAT breakdown.

Owns the reading of the summary MOAs into the amount due and BT-106…114 (EN 16931 qualifiers first, then
EANCOM's), the CNT+2 line-count check, and the VAT breakdown from the summary TAX groups, with the EN 16931
derivations of sums of document allowances/charges and of a VAT base per category and rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypedDict

from hub.canonical.invoice import AllowanceCharge, InvoiceLine, VatBreakdown
from hub.formats.arithmetic import ZERO
from hub.formats.edifact import Segment, split_groups
from hub.formats.edifact_invoic_lines import Reader


class _Totals(TypedDict):
    line_total: Decimal | None
    allowance_total: Decimal | None
    charge_total: Decimal | None
    tax_exclusive_total: Decimal | None
    tax_total: Decimal | None
    tax_inclusive_total: Decimal | None
    prepaid_total: Decimal | None
    rounding_amount: Decimal | None


def summary(r: Reader, segments: Sequence[Segment], lines: int) -> tuple[dict[str, Decimal], list[list[Segment]]]:
    """After UNS+S: the document MOAs (before any TAX/ALC group) and the TAX groups."""
    runs = split_groups(segments, frozenset({"TAX", "ALC"}))
    for cnt in (s for s in runs[0] if s.tag == "CNT" and s.get(0) == "2"):  # control: number of lines
        stated = cnt.get(0, 1) or ""
        if not stated.isdigit() or int(stated) != lines:
            r.warn("EDIFACT-CNT", f"CNT+2 says {stated} lines, the message has {lines}", cnt)
    return r.amounts(runs[0]), [run for run in runs[1:] if run[0].tag == "TAX"]


def _first(amounts: dict[str, Decimal], *qualifiers: str) -> Decimal | None:
    return next((amounts[q] for q in qualifiers if q in amounts), None)


def _sum(acs: Sequence[AllowanceCharge], charges: bool) -> Decimal | None:
    # BT-107/108 are by definition the sums of the document allowances/charges (BR-CO-11/12).
    chosen = [a.amount for a in acs if a.is_charge == charges]
    return sum(chosen, ZERO) if chosen else None


def totals(amounts: dict[str, Decimal], acs: Sequence[AllowanceCharge]) -> tuple[Decimal | None, _Totals]:
    """Summary MOAs → amount due (BT-115) and BT-106…114; EN 16931 qualifiers first, then EANCOM's.

    EANCOM's 77 (invoice amount) / 86 (message total) is both the total with VAT and the amount due; it
    stands for BT-112 only when no prepayment or rounding makes the two differ. 125/124 at document level
    are EANCOM's taxable and tax totals; 165 (adjustment) carries the rounding.
    """
    eancom_total = _first(amounts, "77", "86")
    prepaid, rounding, inclusive = _first(amounts, "113"), _first(amounts, "366", "165"), _first(amounts, "388")
    if inclusive is None and prepaid is None and rounding is None:
        inclusive = eancom_total
    due = _first(amounts, "9", "77", "86") or (inclusive if prepaid is None and rounding is None else None)
    return due, {
        "line_total": _first(amounts, "79"),
        "allowance_total": _first(amounts, "260") if "260" in amounts else _sum(acs, charges=False),
        "charge_total": _first(amounts, "259") if "259" in amounts else _sum(acs, charges=True),
        "tax_exclusive_total": _first(amounts, "389", "125"),
        "tax_total": _first(amounts, "176", "124"),
        "tax_inclusive_total": inclusive,
        "prepaid_total": prepaid,
        "rounding_amount": rounding,
    }


def vat_breakdown(
    r: Reader, taxes: list[list[Segment]], lines: Sequence[InvoiceLine], acs: Sequence[AllowanceCharge]
) -> tuple[VatBreakdown, ...]:
    """Summary TAX+7+VAT groups with MOA+124; all or nothing, so BR-CO-14 never sees a partial set."""
    found: list[VatBreakdown] = []
    for run in taxes:
        tax, amounts = run[0], r.amounts(run)
        if tax.get(1) not in (None, "VAT") or "124" not in amounts:
            continue
        category, rate, taxable = tax.get(5), r.number(tax, 4, 3), amounts.get("125")
        if taxable is None and category is not None:
            taxable = _vat_base(category, rate, lines, acs)
            if taxable is not None:
                r.warn("EDIFACT-VAT-BASE", f"VAT {category} {rate} %: no MOA+125, base {taxable} summed", tax)
        if category is None or taxable is None:
            r.warn("EDIFACT-VAT", "VAT breakdown dropped: a TAX group lacks its category or taxable amount", tax)
            return ()
        found.append(VatBreakdown(category=category, taxable_amount=taxable, tax_amount=amounts["124"], rate=rate))
    return tuple(found)


def _vat_base(
    category: str, rate: Decimal | None, lines: Sequence[InvoiceLine], acs: Sequence[AllowanceCharge]
) -> Decimal | None:
    """BT-116 as EN 16931 defines it (BR-S-08): lines − allowances + charges of that category and rate."""
    if any(ln.vat_category is None for ln in lines) or any(a.vat_category is None for a in acs):
        return None
    same = (category, rate)
    base = sum((ln.line_amount for ln in lines if (ln.vat_category, ln.vat_rate) == same), ZERO)
    signed = (a.amount if a.is_charge else -a.amount for a in acs if (a.vat_category, a.vat_rate) == same)
    return base + sum(signed, ZERO)
