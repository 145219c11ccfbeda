"""Operations for admins (scope ``admin``): the ledger's documents, one document's trail-lite (ledger row,
produced events, dead letters) and the dead-letter list. Read-only; replay and redelivery stay in the CLI."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from hub.api import reads
from hub.api.deps import Admin, Context
from hub.api.errors import ApiError, error_responses
from hub.api.models import DeadLetter, DeadLetterPage, DocumentPage, DocumentTrail, LedgerDocument, LedgerEvent
from hub.api.routes_tenant import DOCUMENT_ID, DocumentId, Limit, Offset
from hub.partners import PARTNER_ID

State = Literal["received", "published", "translated", "dead_lettered", "sunk"]
Channel = Literal["as2", "sftp", "email", "upload", "drop"]
Stage = Literal["receive", "parse", "translate", "enrich", "sink"]
Partner = Annotated[str | None, Query(pattern=PARTNER_ID, description="Only this wholesaler.")]

router = APIRouter(prefix="/admin", tags=["admin"], responses=error_responses(400, 401, 403, 503))


@router.get("/documents", response_model=DocumentPage)
def list_documents(
    _admin: Admin,
    ctx: Context,
    state: Annotated[State | None, Query(description="Only documents in this ledger state.")] = None,
    partner: Partner = None,
    channel: Annotated[Channel | None, Query(description="Only deliveries over this channel.")] = None,
    tenant: Annotated[str | None, Query(pattern=PARTNER_ID, description="Only documents this tenant sent.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> DocumentPage:
    """Documents in the intake ledger, newest first."""
    total, rows = reads.documents_page(
        ctx.runtime.state_engine,
        reads.Page(limit, offset),
        state=state,
        partner_id=partner,
        channel=channel,
        tenant_scope=tenant,
    )
    items = [LedgerDocument.model_validate(r) for r in rows]
    return DocumentPage(total=total, limit=limit, offset=offset, items=items)


@router.get("/documents/{document_id}", response_model=DocumentTrail, responses=error_responses(404))
def document_trail(_admin: Admin, ctx: Context, document_id: DocumentId) -> DocumentTrail:
    """Trail-lite of one document: its ledger row, every event it produced (topic, offset, when it was
    written by a sink and with what outcome) and every dead letter it caused."""
    engine = ctx.runtime.state_engine
    row = reads.ledger_document(engine, document_id)
    if row is None:
        raise ApiError(404, "UNKNOWN_DOCUMENT", f"no document {document_id} in the ledger")
    events = [LedgerEvent.model_validate(e) for e in reads.ledger_events(engine, document_id)]
    _total, letters = reads.dead_letter_page(engine, reads.Page(1000, 0), document_id=document_id)
    dead_letters = [DeadLetter.model_validate(d) for d in letters]
    return DocumentTrail(document=LedgerDocument.model_validate(row), events=events, dead_letters=dead_letters)


@router.get("/dead-letters", response_model=DeadLetterPage)
def list_dead_letters(
    _admin: Admin,
    ctx: Context,
    code: Annotated[str | None, Query(pattern=r"^[A-Z][A-Z0-9_]{0,49}$", description="e.g. RULE_FAILED.")] = None,
    stage: Annotated[Stage | None, Query(description="Stage that failed.")] = None,
    partner: Partner = None,
    document_id: Annotated[str | None, Query(pattern=DOCUMENT_ID, description="Only this document's.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> DeadLetterPage:
    """Dead letters recorded in the ledger, newest first."""
    total, rows = reads.dead_letter_page(
        ctx.runtime.state_engine,
        reads.Page(limit, offset),
        code=code,
        stage=stage,
        partner_id=partner,
        document_id=document_id,
    )
    items = [DeadLetter.model_validate(r) for r in rows]
    return DeadLetterPage(total=total, limit=limit, offset=offset, items=items)
