"""Admin reads backed by the ops tools (:mod:`hub.ops`): the full trail of a document as ``hub trail`` shows it,
dead letters grouped as ``hub dlq`` shows them, and one dead letter with its document. Read-only: replay,
redeliver and dead-letter retries publish and are audited per operator, so they stay in the CLI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import StringConstraints

from hub.api import reads
from hub.api.deps import Admin, Context
from hub.api.errors import ApiError, error_responses
from hub.api.models import DeadLetter, DeadLetterDetail, DeadLetterGroup, FullTrail, LedgerDocument, TrailStep
from hub.api.routes_tenant import DocumentId
from hub.ops import dlq
from hub.ops.selection import load_document
from hub.ops.trail import build_trail
from hub.partners import PARTNER_ID

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,49}$")]
Partner = Annotated[str, StringConstraints(pattern=PARTNER_ID)]
router = APIRouter(prefix="/admin", tags=["admin"], responses=error_responses(400, 401, 403, 503))


@router.get("/documents/{document_id}/trail", response_model=FullTrail, responses=error_responses(404))
def full_trail(_admin: Admin, ctx: Context, document_id: DocumentId) -> FullTrail:
    """Every step of a document, oldest first: intake, translations (also earlier ones a replay replaced),
    events and sink writes, dead letters, ERP rows, replays and redeliveries with operator and reason."""
    row = load_document(ctx.runtime.state_engine, document_id)
    if row is None:
        raise ApiError(404, "UNKNOWN_DOCUMENT", f"no document {document_id} in the ledger")
    trail = build_trail(ctx.runtime, row)
    steps = [TrailStep(at=s.at, step=s.step, detail=s.detail, data=_plain(s.data)) for s in trail]
    e = row.entry
    return FullTrail(document_id=e.document_id, partner_id=e.partner_id, filename=e.filename, state=e.state,
                     steps=steps)  # fmt: skip


@router.get("/dead-letters/groups", response_model=list[DeadLetterGroup])
def dead_letter_groups(
    _admin: Admin,
    ctx: Context,
    code: Annotated[list[Code] | None, Query(description="Only these codes (repeatable).")] = None,
    partner: Annotated[list[Partner] | None, Query(description="Only these wholesalers (repeatable).")] = None,
) -> list[DeadLetterGroup]:
    """Dead letters grouped by code, wholesaler and translator, largest group first — what to fix first."""
    code, partner = code or [], partner or []
    found = dlq.groups(ctx.runtime.state_engine, dlq.DlqFilter(partners=tuple(partner), codes=tuple(code)))
    return [DeadLetterGroup.model_validate(g, from_attributes=True) for g in found]


@router.get("/dead-letters/{letter_id}", response_model=DeadLetterDetail, responses=error_responses(404))
def dead_letter(
    _admin: Admin, ctx: Context, letter_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> DeadLetterDetail:
    """One dead letter with the ledger row of its document."""
    found = dlq.get(ctx.runtime.state_engine, letter_id)
    if found is None:
        raise ApiError(404, "UNKNOWN_DEAD_LETTER", f"no dead letter {letter_id}")
    letter, row = found
    document = reads.ledger_document(ctx.runtime.state_engine, row.document_id) if row else None
    return DeadLetterDetail(
        dead_letter=DeadLetter.model_validate(letter),
        document=LedgerDocument.model_validate(document) if document else None,
    )


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool) or v is None else str(v) for k, v in data.items()}
