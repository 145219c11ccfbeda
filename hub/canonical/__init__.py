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
from hub.canonical.raw import DeadLetter, Header, RawDocument

__all__ = [
    "AllowanceCharge",
    "Attachment",
    "DeadLetter",
    "Header",
    "InvoiceLine",
    "Party",
    "PrecedingInvoice",
    "RawDocument",
    "SupplierInvoice",
    "ValidationIssue",
    "VatBreakdown",
]
