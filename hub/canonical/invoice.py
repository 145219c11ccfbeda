"""``SupplierInvoice``: an invoice or credit note from a wholesaler, in EN 16931 terms.

Field docs carry the EN 16931 business term (BT/BG) they hold. Amounts are :class:`~decimal.Decimal`
exactly as the document wrote them; credit notes keep positive amounts with ``kind = CREDIT_NOTE``
(DESIGN §9.6), an invoice with negative amounts stays an invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

InvoiceKind = Literal["INVOICE", "CREDIT_NOTE"]


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str | None = None  # BT-27 / BT-44 legal registration name, else trading name
    trading_name: str | None = None  # BT-28 / BT-45
    org_number: str | None = None  # BT-30 / BT-47 legal registration identifier
    org_number_scheme: str | None = None  # scheme of BT-30 / BT-47 (ICD, e.g. 0007)
    vat_number: str | None = None  # BT-31 / BT-48
    endpoint_id: str | None = None  # BT-34 / BT-49 electronic address
    endpoint_scheme: str | None = None  # scheme of BT-34 / BT-49 (EAS)
    gln: str | None = None  # party identifier with scheme 0088
    party_ids: tuple[str, ...] = ()  # BT-29 / BT-46 other identifiers, e.g. customer number
    street: str | None = None  # BT-35 / BT-50
    city: str | None = None  # BT-37 / BT-52
    postal_zone: str | None = None  # BT-38 / BT-53
    country_code: str | None = None  # BT-40 / BT-55


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """Document level (BG-20 / BG-21) or line level (BG-27 / BG-28) allowance or charge."""

    is_charge: bool
    amount: Decimal  # BT-92 / BT-99 / BT-136 / BT-141
    base_amount: Decimal | None = None  # BT-93 / BT-100
    percent: Decimal | None = None  # BT-94 / BT-101
    reason: str | None = None  # BT-97 / BT-104
    reason_code: str | None = None  # BT-98 / BT-105
    vat_category: str | None = None  # BT-95 / BT-102
    vat_rate: Decimal | None = None  # BT-96 / BT-103


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """BG-25 invoice line."""

    line_id: str  # BT-126
    quantity: Decimal  # BT-129
    line_amount: Decimal  # BT-131 net amount, after line allowances/charges
    unit_code: str | None = None  # BT-130 UN/ECE Rec 20
    unit_price: Decimal | None = None  # BT-146 item net price
    gross_price: Decimal | None = None  # BT-148 item gross price
    price_discount: Decimal | None = None  # BT-147 item price discount
    price_base_quantity: Decimal | None = None  # BT-149 item price base quantity
    price_base_unit_code: str | None = None  # BT-150
    article_number: str | None = None  # BT-155 seller's item identifier
    buyer_article_number: str | None = None  # BT-156
    gtin: str | None = None  # BT-157 when scheme 0160 (GTIN)
    standard_item_id: str | None = None  # BT-157
    standard_item_scheme: str | None = None  # scheme of BT-157
    description: str | None = None  # BT-153 item name
    item_description: str | None = None  # BT-154
    vat_category: str | None = None  # BT-151
    vat_rate: Decimal | None = None  # BT-152
    order_line_reference: str | None = None  # BT-132
    accounting_cost: str | None = None  # BT-133
    note: str | None = None  # BT-127
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    object_id: str | None = None  # BT-128
    allowances_charges: tuple[AllowanceCharge, ...] = ()


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """BG-23 VAT breakdown per category and rate."""

    category: str  # BT-118
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    rate: Decimal | None = None  # BT-119
    exemption_reason: str | None = None  # BT-120
    exemption_reason_code: str | None = None  # BT-121


@dataclass(frozen=True, slots=True)
class PrecedingInvoice:
    """BG-3 preceding invoice reference (what a credit note corrects)."""

    number: str  # BT-25
    issue_date: date | None = None  # BT-26


@dataclass(frozen=True, slots=True)
class Attachment:
    """BG-24 additional supporting document; embedded bytes live in the archive, not on Kafka."""

    document_id: str  # BT-122
    description: str | None = None  # BT-123
    filename: str | None = None  # BT-125 filename attribute
    mime_type: str | None = None  # BT-125 mimeCode attribute
    external_uri: str | None = None  # BT-124
    sha256: str | None = None  # of the embedded content
    size: int | None = None
    archive_uri: str | None = None  # where the embedded content was stored


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """A rule that did not hold: an EN 16931 / Peppol / national rule, or one of the hub's own checks."""

    rule: str  # e.g. BR-CO-10, PEPPOL-EN16931-R003, SE-R-003
    severity: str  # "fatal" | "warning"
    message: str
    location: str | None = None  # XPath, segment or line


@dataclass(frozen=True, slots=True)
class SupplierInvoice:
    """One supplier invoice or credit note (EN 16931 BG-0)."""

    TYPE: ClassVar[str] = "SupplierInvoice"

    invoice_number: str  # BT-1
    kind: InvoiceKind
    type_code: str  # BT-3 (UNCL1001: 380 invoice, 381 credit note, …)
    issue_date: date  # BT-2
    currency: str  # BT-5
    seller: Party
    buyer: Party
    payable_amount: Decimal  # BT-115
    due_date: date | None = None  # BT-9
    tax_point_date: date | None = None  # BT-7
    delivery_date: date | None = None  # BT-72
    buyer_reference: str | None = None  # BT-10
    order_reference: str | None = None  # BT-13
    sales_order_reference: str | None = None  # BT-14
    project_reference: str | None = None  # BT-11
    contract_reference: str | None = None  # BT-12
    despatch_reference: str | None = None  # BT-16
    accounting_cost: str | None = None  # BT-19
    payment_terms: str | None = None  # BT-20
    payment_id: str | None = None  # BT-83 remittance information
    payee_account: str | None = None  # BT-84
    notes: tuple[str, ...] = ()  # BT-22
    preceding_invoices: tuple[PrecedingInvoice, ...] = ()
    lines: tuple[InvoiceLine, ...] = ()
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    vat_breakdown: tuple[VatBreakdown, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    line_total: Decimal | None = None  # BT-106
    allowance_total: Decimal | None = None  # BT-107
    charge_total: Decimal | None = None  # BT-108
    tax_exclusive_total: Decimal | None = None  # BT-109
    tax_total: Decimal | None = None  # BT-110
    tax_inclusive_total: Decimal | None = None  # BT-112
    prepaid_total: Decimal | None = None  # BT-113
    rounding_amount: Decimal | None = None  # BT-114
    delivery_location_id: str | None = None  # BT-71
    delivery_party_name: str | None = None  # BT-70
    invoice_period_start: date | None = None  # BT-73
    invoice_period_end: date | None = None  # BT-74
    payment_means_code: str | None = None  # BT-81
    extra: dict[str, str] = field(default_factory=dict)  # format-specific facts worth keeping
    warnings: tuple[ValidationIssue, ...] = ()  # non-fatal rule findings (fatal ones dead-letter the document)
