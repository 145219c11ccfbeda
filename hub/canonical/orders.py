"""``OrderConfirmation``: an order response or a delivery note (pick-up ticket) from a wholesaler.

It carries every reference a work-order number may travel in (FORMATS.md §5.4) — buyer order number, project,
marking, buyer reference, free text — per document and per line, and per line the ordered, delivered and
back-ordered quantities, the unit, and prices and discounts when the document has them (a despatch advice has
none: rows are then priced from the catalog). Missing values are None, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from hub.canonical.invoice import Party

OrderDocumentKind = Literal["ORDER_RESPONSE", "DELIVERY_NOTE"]
ReferenceType = Literal[
    "ORDER",  # the buyer's order number (BestNr, OrderReference/ID, RFF+ON)
    "SALES_ORDER",  # the wholesaler's order number (SOrdNr, SalesOrderID, RFF+VN)
    "CUSTOMER_ORDER",  # the customer's own order / work-order field (NELFO KOrdNr)
    "PROJECT",  # project number (ProsjektNr, RFF+AEP)
    "MARKING",  # goods marking typed at the counter (Merket)
    "BUYER_REFERENCE",  # the buyer's reference / "Er referens" (KjøpersRef, CustomerReference, RFF+CR)
    "EXTERNAL",  # an external reference (EksternRef)
    "DESPATCH",  # a delivery-note number
    "CONTRACT",
    "FREE_TEXT",  # notes / messages that may contain a number
]


@dataclass(frozen=True, slots=True)
class Reference:
    type: ReferenceType
    value: str


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_id: str
    article_number: str | None = None
    number_type: str | None = None  # NumberType when the format says which number it is
    gtin: str | None = None
    description: str | None = None
    quantity_ordered: Decimal | None = None
    quantity_delivered: Decimal | None = None
    quantity_backordered: Decimal | None = None
    unit_code: str | None = None  # UN/ECE Rec 20
    unit: str | None = None  # the document's own unit text
    unit_price: Decimal | None = None  # gross or net as stated; see price_is_net
    price_base_quantity: Decimal | None = None
    price_is_net: bool | None = None  # True when unit_price already has the line's discounts deducted
    discount_percent: Decimal | None = None
    discount_percent_2: Decimal | None = None
    discount_amount: Decimal | None = None
    surcharge_amount: Decimal | None = None  # NELFO Tillegg
    fee_amount: Decimal | None = None  # NELFO Avgift
    line_amount: Decimal | None = None  # as the document states it
    line_status: str | None = None  # the document's own line status code (accepted, changed, …)
    delivery_date: date | None = None
    order_line_reference: str | None = None  # the buyer's order line number
    line_references: tuple[Reference, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderConfirmation:
    TYPE: ClassVar[str] = "OrderConfirmation"

    document_number: str
    kind: OrderDocumentKind
    issue_date: date
    wholesaler_id: str = ""  # filled by the pipeline
    document_version: str | None = None  # a newer version of the same document replaces the older
    seller: Party = field(default_factory=Party)
    buyer: Party = field(default_factory=Party)
    customer_number: str | None = None  # the buyer's customer number at the wholesaler
    currency: str | None = None
    delivery_date: date | None = None
    response_code: str | None = None  # order responses: accepted / changed / rejected code as sent
    references: tuple[Reference, ...] = ()
    lines: tuple[OrderLine, ...] = ()
    notes: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
