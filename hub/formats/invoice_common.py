"""Groups of canonical invoice fields that several translators fill, typed once.

Each :class:`~typing.TypedDict` names a subset of the keyword arguments of
:class:`~hub.canonical.invoice.SupplierInvoice` or :class:`~hub.canonical.invoice.InvoiceLine`; a translator
builds one from its own syntax and unpacks it into the record. A format with more fields of the group
extends the dict by subclassing. Types only: no parsing, no I/O.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict


class DocumentReferences(TypedDict):
    """The document-level references of a ``SupplierInvoice`` (BT-10..BT-19)."""

    buyer_reference: str | None
    order_reference: str | None
    sales_order_reference: str | None
    project_reference: str | None
    contract_reference: str | None
    despatch_reference: str | None
    accounting_cost: str | None


class PriceFields(TypedDict):
    """An ``InvoiceLine``'s net price and its base quantity (BT-146, BT-149, BT-150)."""

    unit_price: Decimal | None
    price_base_quantity: Decimal | None
    price_base_unit_code: str | None


class ItemFields(TypedDict):
    """An ``InvoiceLine``'s item identifiers, name and VAT category (BT-151..BT-157)."""

    article_number: str | None
    buyer_article_number: str | None
    standard_item_id: str | None
    standard_item_scheme: str | None
    gtin: str | None
    description: str | None
    vat_category: str | None
    vat_rate: Decimal | None
