"""Tenant-scoped reads for ERP consumers: supplier invoices with lines, net prices, document status.

Every route takes the tenant from the path and requires a token with ``tenant:<id>`` (or ``admin``); a
token of tenant A asking for tenant B gets 403 before anything is read. Every query filters by the tenant,
so an id of another tenant's invoice or document answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from sqlalchemy import Engine

from hub.api import reads
from hub.api.deps import Caller, Context, TenantAccess
from hub.api.errors import ApiError, error_responses
from hub.api.models import DocumentStatus, Invoice, InvoicePage, InvoiceSummary, Me, NetPrice, PriceAnswer
from hub.canonical.codec import to_json
from hub.partners import PARTNER_ID
from hub.pricing.netprice import CombineRule, net_price, pick_agreement
from hub.pricing.netprice import NetPrice as NetPriceRecord
from hub.sinks.catalog.queries import agreements, lookup

DOCUMENT_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ARTICLE = r"^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,99}$"
PRINTABLE = r"^[^\x00-\x1f\x7f]{1,100}$"
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip.")]
DocumentId = Annotated[str, Path(pattern=DOCUMENT_ID, description="Document id (UUIDv7) from the ledger.")]

router = APIRouter(tags=["tenant"], responses=error_responses(400, 401, 403, 404, 503))


@router.get("/me", response_model=Me, responses=error_responses(401, 503), tags=["token"])
def me(caller: Caller) -> Me:
    """The calling token: its id, name and scopes."""
    return Me(token_id=caller.token_id, name=caller.name, scopes=sorted(caller.scopes))


@router.get("/tenants/{tenant_id}/invoices", response_model=InvoicePage)
def list_invoices(
    tenant: TenantAccess,
    ctx: Context,
    supplier: Annotated[str | None, Query(pattern=PARTNER_ID, description="Only this wholesaler.")] = None,
    invoice_number: Annotated[str | None, Query(pattern=PRINTABLE, description="Only this number.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> InvoicePage:
    """The tenant's supplier invoices (headers with line counts), newest issue date first."""
    page = reads.Page(limit, offset)
    total, rows = reads.invoice_page(
        ctx.runtime.erp_engine, tenant.id, page, supplier=supplier, invoice_number=invoice_number
    )
    items = [InvoiceSummary.model_validate(r) for r in rows]
    return InvoicePage(total=total, limit=limit, offset=offset, items=items)


@router.get("/tenants/{tenant_id}/invoices/{invoice_id}", response_model=Invoice)
def get_invoice(
    tenant: TenantAccess, ctx: Context, invoice_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> Invoice:
    """One supplier invoice with its lines, VAT breakdown and attachments."""
    row = reads.invoice_detail(ctx.runtime.erp_engine, tenant.id, invoice_id)
    if row is None:
        raise ApiError(404, "UNKNOWN_INVOICE", f"tenant {tenant.id!r} has no invoice {invoice_id}")
    return Invoice.model_validate(row)


@router.get("/tenants/{tenant_id}/prices/{article}", response_model=PriceAnswer)
def get_prices(
    tenant: TenantAccess,
    ctx: Context,
    article: Annotated[str, Path(pattern=ARTICLE, description="Article number (E/RSK/NRF/own) or GTIN.")],
    wholesaler: Annotated[str | None, Query(pattern=PARTNER_ID, description="Only this wholesaler.")] = None,
    day: Annotated[date | None, Query(alias="date", description="Prices on this day; default today.")] = None,
) -> PriceAnswer:
    """What the tenant pays for ARTICLE — the same answer as `hub price ARTICLE --tenant T --json`:
    every wholesaler's list price, the discount rule that applied and the net price, cheapest first."""
    when = day or datetime.now(ZoneInfo(tenant.timezone)).date()
    found = net_prices(ctx.runtime.erp_engine, tenant.id, article, when, wholesaler, tenant.discount_combination)
    prices = [NetPrice.model_validate(to_json(r)) for r in found]
    return PriceAnswer(tenant_id=tenant.id, article=article, date=when, prices=prices)


def net_prices(
    engine: Engine, tenant: str, article: str, when: date, wholesaler: str | None, rule: CombineRule
) -> list[NetPriceRecord]:
    """As ``hub price`` computes it: each effective list price with the agreement valid on the day."""
    results = []
    for item in lookup(engine, tenant, article, when, wholesaler):
        agreement = pick_agreement(agreements(engine, tenant, item.wholesaler_id), when)
        results.append(net_price(item, agreement, rule))
    return sorted(results, key=lambda r: (r.unit_code or "", r.net_unit_price, r.wholesaler_id))


@router.get("/tenants/{tenant_id}/documents/{document_id}", response_model=DocumentStatus)
def document_status(tenant: TenantAccess, ctx: Context, document_id: DocumentId) -> DocumentStatus:
    """Where a document of the tenant is: received, published, translated / dead-lettered, sunk — with the
    tenant's invoices made from it. Dead-letter details only for documents the tenant delivered itself."""
    erp = ctx.runtime.erp_engine
    row = reads.ledger_document(ctx.runtime.state_engine, document_id)
    own = row is not None and row["tenant_scope"] == tenant.id
    invoices = reads.tenant_invoices_of(erp, tenant.id, document_id) if row else []
    if row is None or not (own or invoices or reads.tenant_owns_catalog_records(erp, tenant.id, document_id)):
        raise ApiError(404, "UNKNOWN_DOCUMENT", f"tenant {tenant.id!r} has no document {document_id}")
    problems = reads.dead_letter_page(ctx.runtime.state_engine, reads.Page(100, 0), document_id=document_id)[1]
    return DocumentStatus.model_validate({**row, "invoices": invoices, "problems": problems if own else []})
