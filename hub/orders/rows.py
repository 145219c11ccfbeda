"""Billable rows from a delivery: purchase net price (from the document, else the catalog), sales price. Pure.

Only *delivered* quantities become rows (DESIGN §9.9). The purchase price comes from the document when it has
prices (after its own line discounts), otherwise from the tenant's catalog and discount letter on the delivery
date (despatch advices carry no prices). Sales price = net × (1 + markup), the most specific markup winning
(article > discount group > wholesaler > default). Amounts are rounded to öre (ROUND_HALF_UP); a row whose
price cannot be determined is kept and flagged — never priced at zero silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hub.canonical.orders import OrderLine
from hub.partners import Markup
from hub.pricing.netprice import NetPrice
from hub.pricing.units import unit_info

CENT = Decimal("0.01")
UNIT = Decimal("0.0001")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class PricedLine:
    purchase_unit_price: Decimal | None  # per the row's unit
    price_source: str  # document | catalog | none
    price_rule: str | None  # the net-price rule, or "document"
    flag: str | None  # why the price is missing or doubtful
    discount_group: str | None = None
    version_id: str | None = None
    agreement_id: str | None = None


def document_price(line: OrderLine) -> Decimal | None:
    """Net unit price from the document's own figures, after its line discounts."""
    if line.unit_price is None:
        return None
    base = line.price_base_quantity or Decimal(1)
    price = line.unit_price / base
    if not line.price_is_net:
        for percent in (line.discount_percent, line.discount_percent_2):
            if percent:
                price = price * (HUNDRED - percent) / HUNDRED
    return price.quantize(UNIT, rounding=ROUND_HALF_UP)


def catalog_price(line: OrderLine, net: NetPrice | None) -> PricedLine:
    """Price a line from the catalog answer, converting units through the one table (HMT → 100 MTR)."""
    if net is None:
        return PricedLine(None, "none", None, f"article {line.article_number} not in the tenant's catalog")
    factor = _factor(line.unit_code, net.unit_code)
    if factor is None:
        flag = f"unit {line.unit_code or line.unit or '?'} cannot be compared with the catalog's {net.unit_code or '?'}"
        return PricedLine(None, "none", net.rule, flag, net.discount_group, net.version_id, net.agreement_id)
    price = (net.net_unit_price * factor).quantize(UNIT, rounding=ROUND_HALF_UP)
    return PricedLine(price, "catalog", net.rule, None, net.discount_group, net.version_id, net.agreement_id)


def _factor(row_unit: str | None, catalog_unit: str | None) -> Decimal | None:
    """How many catalog units one row unit is (1 MTR = 0.01 HMT); None when they cannot be compared."""
    if row_unit is None and catalog_unit is None:
        return Decimal(1)
    row, catalog = unit_info(row_unit), unit_info(catalog_unit)
    if row is None or catalog is None or row.base != catalog.base:
        return None
    return row.factor / catalog.factor


def markup_percent(markup: Markup, wholesaler: str, article: str | None, group: str | None) -> Decimal:
    if article and article in markup.by_article:
        return markup.by_article[article]
    if group and group in markup.by_discount_group:
        return markup.by_discount_group[group]
    return markup.by_wholesaler.get(wholesaler, markup.default_percent)


def sales_price(purchase: Decimal, percent: Decimal) -> Decimal:
    return (purchase * (HUNDRED + percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def amount(quantity: Decimal, unit_price: Decimal | None) -> Decimal | None:
    return None if unit_price is None else (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
