"""``PriceDeviation``: an invoice line charged at another net price than the tenant's agreement says.

Both prices are per one *base* unit (hub.pricing.units: HMT → 100 MTR, packs …) in the invoice currency, so a
line invoiced per 100 m and a list priced per metre compare as equals. The overcharge is in öre/cents
(rounded half up); negative means the wholesaler charged less than agreed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class PriceDeviation:
    TYPE: ClassVar[str] = "PriceDeviation"

    deviation_id: str  # deterministic: the invoice event id and the line
    tenant_id: str
    wholesaler_id: str
    invoice_number: str
    line_id: str
    invoice_date: date
    currency: str
    base_unit: str  # Rec 20 base unit both prices are expressed in
    quantity: Decimal  # invoiced quantity in base units
    invoiced_unit_price: Decimal
    expected_unit_price: Decimal
    difference_percent: Decimal
    overcharge: Decimal  # (invoiced − expected) × quantity, rounded to öre
    rule: str  # the net-price rule that gave the expected price
    article_number: str | None = None
    description: str | None = None
    version_id: str | None = None  # the price-list version
    agreement_id: str | None = None  # the discount agreement
