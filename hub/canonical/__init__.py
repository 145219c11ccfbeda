"""Canonical records: the hub's contract with downstream consumers (mirrored by ``schemas/*.avsc``)."""

from hub.canonical.invoice import (
    AllowanceCharge,
    Attachment,
    InvoiceLine,
    Party,
    PrecedingInvoice,
    SupplierInvoice,
    ValidationIssue,
    VatBreakdown,
)
from hub.canonical.orders import OrderConfirmation, OrderLine, Reference
from hub.canonical.pricelist import (
    Alternative,
    DiscountAgreement,
    GroupDiscount,
    LineProblem,
    NetPrice,
    Price,
    PriceListVersion,
)
from hub.canonical.raw import DeadLetter, Header, RawDocument

__all__ = [
    "AllowanceCharge",
    "Alternative",
    "Attachment",
    "DeadLetter",
    "DiscountAgreement",
    "GroupDiscount",
    "Header",
    "InvoiceLine",
    "LineProblem",
    "NetPrice",
    "OrderConfirmation",
    "OrderLine",
    "Party",
    "PrecedingInvoice",
    "Price",
    "PriceListVersion",
    "RawDocument",
    "Reference",
    "SupplierInvoice",
    "ValidationIssue",
    "VatBreakdown",
]
