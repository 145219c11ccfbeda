"""Invoice price control: the invoiced net price of a line against the tenant's agreed net price. Pure.

Both prices are brought to one *base* unit through the units table (an invoice priced per 100 m and a list
priced per metre compare as equals) and must be in the same currency. Outcomes per line:

* ``OK`` — within the tenant's tolerance (absolute or percent);
* ``DEVIATION`` — outside it; the overcharge is (invoiced − agreed) × quantity, rounded to öre;
* ``NOT_IN_CATALOG`` — the article has no effective price for the tenant on that date;
* ``CANNOT_COMPARE`` — units that do not convert, another currency, or no invoiced price: never a guess;
* ``AGREEMENT_EXPIRED`` — the tenant has agreements with the wholesaler but none valid on that date.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from hub.canonical.invoice import InvoiceLine
from hub.pricing.netprice import NetPrice
from hub.pricing.units import unit_info

Status = Literal["OK", "DEVIATION", "NOT_IN_CATALOG", "CANNOT_COMPARE", "AGREEMENT_EXPIRED"]
CENT, UNIT, PERCENT = Decimal("0.01"), Decimal("0.000001"), Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Tolerance:
    absolute: Decimal = Decimal("0.01")
    percent: Decimal = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class LineCheck:
    line_id: str
    status: Status
    note: str | None = None
    base_unit: str | None = None
    quantity: Decimal | None = None  # in base units
    invoiced_unit_price: Decimal | None = None  # per base unit
    expected_unit_price: Decimal | None = None  # per base unit
    difference_percent: Decimal | None = None
    overcharge: Decimal | None = None
    rule: str | None = None
    version_id: str | None = None
    agreement_id: str | None = None


def invoiced_price(line: InvoiceLine) -> tuple[Decimal, str | None] | None:
    """The net price the invoice charges per one of its price unit (BT-146 / BT-149, else amount / quantity)."""
    if line.unit_price is not None:
        return line.unit_price / (line.price_base_quantity or Decimal(1)), line.price_base_unit_code or line.unit_code
    if line.quantity:
        return line.line_amount / line.quantity, line.unit_code
    return None


def check_line(
    line: InvoiceLine,
    currency: str,
    expected: NetPrice | None,
    *,
    catalog_currency: str | None,
    agreement_expired: bool,
    tolerance: Tolerance,
) -> LineCheck:
    if expected is None:
        return LineCheck(line.line_id, "NOT_IN_CATALOG", f"article {line.article_number or line.gtin} has no price")
    if catalog_currency and catalog_currency != currency:
        return _cannot(line, expected, f"invoice in {currency}, price list in {catalog_currency}")
    charged = invoiced_price(line)
    if charged is None:
        return _cannot(line, expected, "the line states no price and no quantity")
    return _compare(line, charged, expected, agreement_expired, tolerance)


def _compare(
    line: InvoiceLine, charged: tuple[Decimal, str | None], expected: NetPrice, expired: bool, tol: Tolerance
) -> LineCheck:
    price, unit = charged
    inv, cat, qty_unit = unit_info(unit), unit_info(expected.unit_code), unit_info(line.unit_code)
    if inv is None or cat is None or qty_unit is None or len({inv.base, cat.base, qty_unit.base}) > 1:
        units = f"{unit or '?'} / {expected.unit_code or '?'} / {line.unit_code or '?'}"
        return _cannot(line, expected, f"units do not convert (invoice price, catalog, quantity: {units})")
    invoiced = (price / inv.factor).quantize(UNIT, ROUND_HALF_UP)
    agreed = (expected.net_unit_price / cat.factor).quantize(UNIT, ROUND_HALF_UP)
    quantity = line.quantity * qty_unit.factor
    difference = invoiced - agreed
    percent = (difference * 100 / agreed).quantize(PERCENT, ROUND_HALF_UP) if agreed else Decimal(0)
    within = abs(difference) <= tol.absolute or (agreed and abs(difference) <= agreed * tol.percent / 100)
    status: Status = "AGREEMENT_EXPIRED" if expired else ("OK" if within else "DEVIATION")
    overcharge = (difference * quantity).quantize(CENT, ROUND_HALF_UP) if status == "DEVIATION" else None
    return LineCheck(
        line.line_id,
        status,
        _note(status),
        inv.base,
        quantity,
        invoiced,
        agreed,
        percent,
        overcharge,
        expected.rule,
        expected.version_id,
        expected.agreement_id,
    )


def _note(status: Status) -> str | None:
    if status == "AGREEMENT_EXPIRED":
        return "no discount agreement valid on this date: compared with the list price"
    return None


def _cannot(line: InvoiceLine, expected: NetPrice, why: str) -> LineCheck:
    return LineCheck(line.line_id, "CANNOT_COMPARE", why, rule=expected.rule, version_id=expected.version_id)
