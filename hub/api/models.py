"""Response models of the HTTP API (they are the OpenAPI contract). Money and quantities are exact decimal
strings ("2737.00" stays a string; never a float), dates ISO ``YYYY-MM-DD``, instants UTC ISO 8601."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

DecimalText = str  # an exact decimal written as a string, e.g. "1656.25"


class InvoiceSummary(BaseModel):
    """One supplier invoice (``erp_supplier_invoice``, see docs/erp-schema.md)."""

    id: int
    tenant_id: str
    supplier_id: str = Field(description="The delivering wholesaler.")
    invoice_number: str
    kind: str = Field(description="INVOICE or CREDIT_NOTE (credit notes carry positive amounts).")
    type_code: str
    issue_date: dt.date
    due_date: dt.date | None = None
    delivery_date: dt.date | None = None
    currency: str
    seller_name: str | None = None
    seller_org_number: str | None = None
    seller_vat_number: str | None = None
    buyer_name: str | None = None
    buyer_org_number: str | None = None
    buyer_vat_number: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    sales_order_reference: str | None = None
    project_reference: str | None = None
    contract_reference: str | None = None
    despatch_reference: str | None = None
    accounting_cost: str | None = None
    payment_terms: str | None = None
    payment_id: str | None = None
    payee_account: str | None = None
    corrects_invoice: str | None = None
    line_total: DecimalText | None = None
    allowance_total: DecimalText | None = None
    charge_total: DecimalText | None = None
    tax_exclusive_total: DecimalText | None = None
    tax_total: DecimalText | None = None
    tax_inclusive_total: DecimalText | None = None
    prepaid_total: DecimalText | None = None
    rounding_amount: DecimalText | None = None
    payable_amount: DecimalText
    erp_status: str = Field(description="new | approved | booked (set by the ERP).")
    needs_attention: str | None = None
    duplicate_deliveries: int
    source_document_id: str
    event_id: str
    translator: str
    translator_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    line_count: int
    open_conflicts: int


class InvoiceLine(BaseModel):
    position: int
    line_id: str
    article_number: str | None = None
    gtin: str | None = None
    description: str | None = None
    quantity: DecimalText
    unit_code: str | None = None
    unit_price: DecimalText | None = None
    price_base_quantity: DecimalText | None = None
    gross_price: DecimalText | None = None
    line_amount: DecimalText
    vat_category: str | None = None
    vat_rate: DecimalText | None = None
    order_line_reference: str | None = None
    accounting_cost: str | None = None


class VatBreakdown(BaseModel):
    category: str
    rate: DecimalText | None = None
    taxable_amount: DecimalText
    tax_amount: DecimalText


class InvoiceAttachment(BaseModel):
    document_id: str
    description: str | None = None
    filename: str | None = None
    mime_type: str | None = None
    sha256: str | None = None
    size: int | None = None
    archive_uri: str | None = None
    external_uri: str | None = None


class Invoice(InvoiceSummary):
    lines: list[InvoiceLine]
    vat_breakdown: list[VatBreakdown]
    attachments: list[InvoiceAttachment]


class InvoicePage(BaseModel):
    total: int = Field(description="Invoices matching the filters (all pages).")
    limit: int
    offset: int
    items: list[InvoiceSummary]


class NetPrice(BaseModel):
    """Exactly one element of ``hub price ARTICLE --tenant T --json``."""

    wholesaler_id: str
    article_number: str
    unit_list_price: DecimalText
    net_unit_price: DecimalText
    rule: Literal["agreement_net_price", "list_net_price", "group_discount", "default_discount", "list_price"]
    discount_percent: DecimalText | None
    version_id: str
    list_price: DecimalText
    price_quantity: DecimalText
    unit: str | None
    unit_code: str | None
    discount_group: str | None
    agreement_id: str | None
    description: str | None
    gtin: str | None
    number_type: str
    status: str


class PriceAnswer(BaseModel):
    tenant_id: str
    article: str
    date: dt.date = Field(description="The day the prices apply (default: today in the tenant's time zone).")
    prices: list[NetPrice] = Field(description="Every wholesaler's net price, cheapest first (like hub price).")


class DeadLetter(BaseModel):
    id: int
    document_id: str | None
    partner_id: str | None
    code: str
    stage: str
    message: str
    location: str | None
    translator: str | None
    source_topic: str
    source_partition: int
    source_offset: int
    dlq_offset: int | None
    created_at: dt.datetime


class DeadLetterPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DeadLetter]


class TenantInvoiceRef(BaseModel):
    id: int
    invoice_number: str
    kind: str
    erp_status: str


class Problem(BaseModel):
    code: str
    stage: str
    message: str
    location: str | None
    created_at: dt.datetime


class DocumentStatus(BaseModel):
    """Where a document is, as its tenant may see it."""

    document_id: str
    partner_id: str
    channel: str
    filename: str | None
    content_type: str | None
    size: int
    state: str = Field(description="received → published → translated | dead_lettered → sunk.")
    received_at: dt.datetime
    published_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    translator: str | None
    invoices: list[TenantInvoiceRef] = Field(description="This tenant's invoices made from the document.")
    problems: list[Problem] = Field(description="Dead letters — only for documents the tenant delivered itself.")


class LedgerDocument(BaseModel):
    """A ``hub_intake`` row (the intake ledger)."""

    document_id: str
    partner_id: str
    tenant_scope: str = Field(description="'' = not tenant-scoped (central delivery); else the tenant id.")
    channel: str
    transport_id: str
    sha256: str
    size: int
    filename: str | None
    content_type: str | None
    format_hint: str | None
    options: str | None
    archive_uri: str
    state: str
    raw_topic: str | None
    raw_partition: int | None
    raw_offset: int | None
    translator: str | None
    last_error: str | None
    deliveries: int
    received_at: dt.datetime
    published_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    updated_at: dt.datetime


class LedgerEvent(BaseModel):
    event_id: str
    record_index: int
    record_type: str
    business_key: str | None
    topic: str
    partition: int
    offset: int
    translator: str
    produced_at: dt.datetime
    sunk_at: dt.datetime | None
    sink_outcome: str | None


class DocumentTrail(BaseModel):
    document: LedgerDocument
    events: list[LedgerEvent]
    dead_letters: list[DeadLetter]


class DocumentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[LedgerDocument]


class Me(BaseModel):
    token_id: str
    name: str
    scopes: list[str]


class Check(BaseModel):
    name: str = Field(description="database, state_database, erp_database or broker.")
    ok: bool
    detail: str
    seconds: float


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    failed: list[str] = Field(description="Names of the checks that failed (empty when ready).")
    checks: list[Check]


class Liveness(BaseModel):
    status: Literal["ok"]


class TrailStep(BaseModel):
    at: dt.datetime | None = Field(description="When; null for a current state (e.g. the ERP status now).")
    step: str = Field(description="received, archived, published, acknowledged, translated, event, sink, …")
    detail: str
    data: dict[str, Any] = Field(description="Machine-readable extras of the step (ids, offsets, run ids).")


class FullTrail(BaseModel):
    """Everything that happened to one document (hub.ops.trail, as ``hub trail`` shows it)."""

    document_id: str
    partner_id: str
    filename: str | None
    state: str
    steps: list[TrailStep]


class DeadLetterGroup(BaseModel):
    code: str
    partner_id: str | None
    translator: str | None
    letters: int
    documents: int
    open_documents: int = Field(description="Documents still dead-lettered (not yet fixed by a replay).")
    first: dt.datetime
    last: dt.datetime


class DeadLetterDetail(BaseModel):
    dead_letter: DeadLetter
    document: LedgerDocument | None = Field(description="The ledger row of its document, if it had one.")
