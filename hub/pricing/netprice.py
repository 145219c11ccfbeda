"""Net prices: what a tenant pays a wholesaler for an article on a date. Pure (DESIGN §7, §9.3).

Rules, in order:
1. an article net price in the tenant's agreement (net-price file, NELFO RL AvtaltPris) wins and is never
   discounted again;
2. a list price of type NET (NELFO pristilbud PrisType N) is already net — never discounted again;
3. otherwise list price × (1 − group discount), where an agreement's two discount columns combine by the
   tenant's rule (default cascade: (1−d1)(1−d2); or add: 1−(d1+d2));
4. otherwise the agreement's default discount ("35 % on the rest");
5. otherwise the list price.
Every result names the rule that applied, the price-list version and the agreement (provenance).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

CombineRule = Literal["cascade", "add"]
Rule = Literal["agreement_net_price", "list_net_price", "group_discount", "default_discount", "list_price"]
HUNDRED = Decimal(100)
UNIT_PRICE_PLACES = Decimal("0.0001")  # unit prices to 1/100 öre; amounts are rounded to öre where they arise


@dataclass(frozen=True, slots=True)
class ListPrice:
    """One article in an effective price-list version (a catalog row)."""

    wholesaler_id: str
    version_id: str
    valid_from: date
    article_number: str
    number_type: str
    list_price: Decimal
    price_quantity: Decimal
    unit_list_price: Decimal
    price_type: str  # GROSS | NET
    unit: str | None = None
    unit_code: str | None = None
    discount_group: str | None = None
    gtin: str | None = None
    description: str | None = None
    status: str = "ACTIVE"
    scope: str = "central"
    currency: str | None = None  # of the price-list version


@dataclass(frozen=True, slots=True)
class AgreedNetPrice:
    net_price: Decimal
    price_quantity: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class Agreement:
    """A tenant's discount letter with one wholesaler, as the engine needs it."""

    agreement_id: str
    valid_from: date | None
    valid_to: date | None = None
    group_discounts: Mapping[str, tuple[Decimal, Decimal | None]] = field(default_factory=dict)
    net_prices: Mapping[str, AgreedNetPrice] = field(default_factory=dict)
    default_discount_percent: Decimal | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class NetPrice:
    """The answer: list price, what applied, net price per unit — with provenance."""

    wholesaler_id: str
    article_number: str
    unit_list_price: Decimal
    net_unit_price: Decimal
    rule: Rule
    discount_percent: Decimal | None
    version_id: str
    list_price: Decimal
    price_quantity: Decimal
    unit: str | None
    unit_code: str | None
    discount_group: str | None
    agreement_id: str | None
    description: str | None
    gtin: str | None
    number_type: str
    status: str


def combine(d1: Decimal, d2: Decimal | None, rule: CombineRule = "cascade") -> Decimal:
    """Effective discount percent of two columns."""
    if d2 is None:
        return d1
    if rule == "add":
        return d1 + d2
    return HUNDRED - (HUNDRED - d1) * (HUNDRED - d2) / HUNDRED


def pick_agreement(agreements: list[Agreement], day: date) -> Agreement | None:
    """The terms valid on ``day``. A discount letter and a net-price file often arrive separately, so the
    group discounts (and default) come from the newest valid agreement that has them, and the net prices from
    the newest valid agreement that has those. An agreement without a start date is effective on receipt."""
    valid = sorted((a for a in agreements if a.valid_on(day)), key=lambda a: a.valid_from or date.min)
    if not valid:
        return None
    groups = next((a for a in reversed(valid) if a.group_discounts or a.default_discount_percent is not None), None)
    nets = next((a for a in reversed(valid) if a.net_prices), None)
    if groups is None or nets is None or groups is nets:
        return groups or nets or valid[-1]
    return Agreement(
        agreement_id=f"{groups.agreement_id}+{nets.agreement_id}",
        valid_from=max(groups.valid_from or date.min, nets.valid_from or date.min),
        group_discounts=groups.group_discounts,
        net_prices=nets.net_prices,
        default_discount_percent=groups.default_discount_percent,
    )


def net_price(item: ListPrice, agreement: Agreement | None, rule: CombineRule = "cascade") -> NetPrice:
    """Apply the rules of the module docstring to one article."""
    applied, percent, unit_net = _apply(item, agreement, rule)
    return NetPrice(
        wholesaler_id=item.wholesaler_id,
        article_number=item.article_number,
        unit_list_price=item.unit_list_price,
        net_unit_price=unit_net.quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP),
        rule=applied,
        discount_percent=percent,
        version_id=item.version_id,
        list_price=item.list_price,
        price_quantity=item.price_quantity,
        unit=item.unit,
        unit_code=item.unit_code,
        discount_group=item.discount_group,
        agreement_id=agreement.agreement_id if agreement and applied != "list_price" else None,
        description=item.description,
        gtin=item.gtin,
        number_type=item.number_type,
        status=item.status,
    )


def _apply(item: ListPrice, agreement: Agreement | None, rule: CombineRule) -> tuple[Rule, Decimal | None, Decimal]:
    if agreement is not None and item.article_number in agreement.net_prices:
        agreed = agreement.net_prices[item.article_number]
        return "agreement_net_price", None, agreed.net_price / agreed.price_quantity
    if item.price_type == "NET":
        return "list_net_price", None, item.unit_list_price
    if agreement is not None and item.discount_group in agreement.group_discounts:
        d1, d2 = agreement.group_discounts[item.discount_group or ""]
        percent = combine(d1, d2, rule)
        return "group_discount", percent, item.unit_list_price * (HUNDRED - percent) / HUNDRED
    if agreement is not None and agreement.default_discount_percent is not None:
        percent = agreement.default_discount_percent
        return "default_discount", percent, item.unit_list_price * (HUNDRED - percent) / HUNDRED
    return "list_price", None, item.unit_list_price
