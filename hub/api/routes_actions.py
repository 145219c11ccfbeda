"""Admin actions over HTTP: replay (re-translate), dead-letter retry, redeliver (re-sink), and the audit log.

The same operations as ``hub replay``, ``hub dlq retry`` and ``hub redeliver`` (:mod:`hub.ops`), with the same
guarantees: a reason is mandatory, the operator is the calling token (``api:<token name>``), every run is an
audit record, ``dry_run`` (the default for replay and retry) publishes nothing, and replaying twice changes
nothing. A request handles at most :data:`MAX_DOCUMENTS` documents (larger selections: the CLI, with progress).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from hub.api.deps import Admin, Context
from hub.api.errors import ApiError, error_responses
from hub.ops import dlq, render
from hub.ops.audit import AuditLog, RunRecord
from hub.ops.redeliver import EventSelection, Redeliverer, redeliver_all, select_events
from hub.ops.replay import Replayer, ReplayPlan, plan
from hub.ops.selection import Selection
from hub.partners import PARTNER_ID
from hub.runtime import Runtime

MAX_DOCUMENTS = 500
DOCUMENT_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
RUN_ID = DOCUMENT_ID
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,49}$")]
Partner = Annotated[str, StringConstraints(pattern=PARTNER_ID)]
Document = Annotated[str, StringConstraints(pattern=DOCUMENT_ID)]
Format = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Topic = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,200}$")]
# One line of text with something in it: no control characters (PostgreSQL text cannot hold NUL), not blanks.
Reason = Annotated[
    str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$")
]


def _iso_text(value: object) -> object:
    """JSON has no date type: a time is ISO 8601 text (pydantic would also take a number as epoch seconds)."""
    if value is not None and not isinstance(value, str | datetime):
        raise ValueError("expected an ISO 8601 date-time string with a time zone, e.g. 2026-03-01T00:00:00+01:00")
    return value


def _json_integer(value: object) -> object:
    """A JSON integer: 12 or 12.0 (JSON Schema's integer), never "12" or true."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    return value


# JSON types are taken as the published schema says (no "1" for 1, no 1 for true); times are ISO text.
When = Annotated[AwareDatetime | None, Field(strict=False), BeforeValidator(_iso_text)]
WaitS = Annotated[float, Field(0.0, ge=0, le=60, description="Wait up to this long for the sinks (0 = don't).")]

router = APIRouter(prefix="/admin", tags=["admin actions"], responses=error_responses(400, 401, 403, 503))


def _some_selection(lists: tuple[str, ...], times: tuple[str, ...] = ("since", "until"), flag: str = "") -> Any:
    """JSON Schema (in the published OpenAPI) that at least one filter is given: a non-empty list, a time,
    or ``flag: true`` — so a request the document calls valid is never refused as "nothing selected"."""
    branches: list[dict[str, Any]] = [{"required": [n], "properties": {n: {"type": "array", "minItems": 1}}}
                                      for n in lists]  # fmt: skip
    branches += [{"required": [n], "properties": {n: {"type": "string"}}} for n in times]
    if flag:
        branches.append({"required": [flag], "properties": {flag: {"const": True}}})
    return {"anyOf": branches}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: Reason = Field(description="Why (mandatory; goes into the audit log with the token's name).")


class ReplayRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra=_some_selection(("documents", "partners", "formats", "dlq_codes"), flag="all"),
    )
    dry_run: bool = Field(True, description="Only show per document what would change in the ERP (the default).")
    documents: list[Document] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    partners: list[Partner] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    formats: list[Format] = Field(default_factory=list, max_length=50, description="Translator names.")
    dlq_codes: list[Code] = Field(default_factory=list, max_length=50)
    since: When = Field(None, description="Received at or after.")
    until: When = Field(None, description="Received before.")
    all: bool = Field(False, description="Every translated or dead-lettered document (explicitly).")
    wait_s: WaitS = 0.0


class RetryRequest(_Request):
    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra=_some_selection(("ids", "codes", "partners"))
    )
    dry_run: bool = Field(True, description="Only show what would change (the default).")
    ids: list[Annotated[int, Field(ge=1, le=2_147_483_647), BeforeValidator(_json_integer)]] = Field(
        default_factory=list, max_length=MAX_DOCUMENTS
    )
    codes: list[Code] = Field(default_factory=list, max_length=50)
    partners: list[Partner] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    since: When = None
    until: When = None
    wait_s: WaitS = 0.0


class RedeliverRequest(_Request):
    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra=_some_selection(("documents", "topics"), flag="all")
    )
    documents: list[Document] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    topics: list[Topic] = Field(default_factory=list, max_length=50, description="Physical topic names.")
    since: When = Field(None, description="Events produced at or after.")
    until: When = Field(None, description="Events produced before.")
    all: bool = Field(False, description="Every recorded event (explicitly).")


class RunAnswer(BaseModel):
    run_id: str | None = Field(description="The audited run; null when nothing matched (no run is recorded).")
    dry_run: bool
    documents: list[dict[str, Any]] = Field(description="Per document: outcome, translator, changes or events.")
    skipped: list[dict[str, str]] = Field(default_factory=list, description="Chosen but not replayable yet.")


class RedeliverAnswer(BaseModel):
    run_id: str
    events: list[dict[str, Any]] = Field(description="Per event: id, document, topic and the sink's outcome.")


class AuditRunDetail(BaseModel):
    run: RunRecord
    items: list[dict[str, Any]]


@router.post("/replays", response_model=RunAnswer, responses=error_responses(404))
def replay(admin: Admin, ctx: Context, body: ReplayRequest) -> RunAnswer:
    """Re-translate the chosen documents with the deployed translators (``hub replay``). ``dry_run`` (default)
    answers the diff of old vs new output, changed amounts first; otherwise the corrected events are published
    and the sinks apply them idempotently (approved invoices are flagged, never overwritten)."""
    selection = Selection(
        tuple(body.documents), tuple(body.partners), tuple(body.formats), tuple(body.dlq_codes),
        body.since, body.until, body.all,
    )  # fmt: skip
    if selection.is_empty():
        raise ApiError(400, "NOTHING_SELECTED", "say which documents: documents, partners, formats, dlq_codes, "
                       "since/until, or all: true")  # fmt: skip
    chosen = plan(ctx.runtime.state_engine, selection)
    if chosen.unknown:
        raise ApiError(404, "UNKNOWN_DOCUMENT", f"not in the ledger: {', '.join(chosen.unknown)}")
    return _run(ctx.runtime, "replay", selection.describe(), chosen, body, f"api:{admin.name}", body.dry_run)


@router.post("/dead-letters/retry", response_model=RunAnswer, responses=error_responses(404))
def retry(admin: Admin, ctx: Context, body: RetryRequest) -> RunAnswer:
    """Re-run the documents of the chosen dead letters through today's translators (``hub dlq retry``)."""
    f = dlq.DlqFilter(body.since, body.until, tuple(body.partners), tuple(body.codes), tuple(body.ids))
    if f.is_empty():
        raise ApiError(400, "NOTHING_SELECTED", "name dead-letter ids, or filter by codes, partners, since/until")
    documents, unknown, _orphans = dlq.documents_to_retry(ctx.runtime.state_engine, f)
    if unknown:
        raise ApiError(404, "UNKNOWN_DEAD_LETTER", f"no dead letter {', '.join(f'#{i}' for i in unknown)}")
    chosen = plan(ctx.runtime.state_engine, Selection(documents=tuple(documents)))
    return _run(ctx.runtime, "dlq-retry", f.describe(), chosen, body, f"api:{admin.name}", body.dry_run)


@router.post("/redeliveries", response_model=RedeliverAnswer, responses=error_responses(404))
def redeliver(admin: Admin, ctx: Context, body: RedeliverRequest) -> RedeliverAnswer:
    """Apply events already produced to the sinks again, read back from their recorded offsets, without
    re-translating (``hub redeliver``); an event the broker no longer holds answers ``missing``."""
    selection = EventSelection(tuple(body.documents), tuple(body.topics), body.since, body.until, body.all)
    if selection.is_empty():
        raise ApiError(400, "NOTHING_SELECTED", "say which events: documents, topics, since/until, or all: true")
    rt = ctx.runtime
    events = select_events(rt, selection)
    if not events:
        raise ApiError(404, "NO_EVENTS", "no recorded events match (a dead-lettered document has none: replay it)")
    _limit(len({e["document_id"] for e in events}))
    audit = AuditLog(rt.state_engine)
    operator = f"api:{admin.name}"
    run_id = audit.start("redeliver", operator=operator, reason=body.reason, selection=selection.describe(),
                         dry_run=False)  # fmt: skip
    with audit.failing(run_id):
        results = list(redeliver_all(Redeliverer(rt, run_id), events, lambda: None))
        for document_id in dict.fromkeys(r.event["document_id"] for r in results):
            outcomes = {r.event["event_id"]: r.outcome for r in results if r.event["document_id"] == document_id}
            audit.item(run_id, document_id, _one(set(outcomes.values())), events=outcomes)
        audit.finish(run_id, Counter(r.outcome for r in results))
    answer = [{"event_id": r.event["event_id"], "document_id": r.event["document_id"], "topic": r.event["topic"],
               "outcome": r.outcome} for r in results]  # fmt: skip
    return RedeliverAnswer(run_id=run_id, events=answer)


@router.get("/audit", response_model=list[RunRecord])
def audit_runs(
    _admin: Admin, ctx: Context, limit: Annotated[int, Query(ge=1, le=500, description="Newest first.")] = 50
) -> list[RunRecord]:
    """Replays, retries and redeliveries, newest first: who, why, what was chosen, and the outcome counts."""
    return AuditLog(ctx.runtime.state_engine).runs(limit=limit)


@router.get("/audit/{run_id}", response_model=AuditRunDetail, responses=error_responses(404))
def audit_run(
    _admin: Admin, ctx: Context, run_id: Annotated[str, Path(pattern=RUN_ID, description="Run id (UUIDv7).")]
) -> AuditRunDetail:
    """One run with its item per document (outcome, translator, events before/after, sink outcomes)."""
    log = AuditLog(ctx.runtime.state_engine)
    found = log.run(run_id)
    if found is None:
        raise ApiError(404, "UNKNOWN_RUN", f"no audit run {run_id}")
    items = [render.jsonable(i) for i in log.items(run_id)]
    return AuditRunDetail(run=found, items=items)


def _run(
    rt: Runtime, action: str, described: dict[str, Any], chosen: ReplayPlan, body: ReplayRequest | RetryRequest,
    operator: str, dry_run: bool,
) -> RunAnswer:  # fmt: skip
    _limit(len(chosen.documents))
    skipped = [{"document_id": row.document_id, "reason": why} for row, why in chosen.skipped]
    if not chosen.documents:  # like the CLI's "nothing to replay": no run, nothing in the audit
        return RunAnswer(run_id=None, dry_run=dry_run, documents=[], skipped=skipped)
    audit = AuditLog(rt.state_engine)
    run_id = audit.start(action, operator=operator, reason=body.reason, selection=described, dry_run=dry_run)
    replayer = Replayer(rt, audit)
    if dry_run:
        previews = replayer.preview_all(run_id, chosen.documents)
        documents = [render.jsonable(render.preview_json(p)) for p in previews]
    else:
        results, _counts = replayer.replay_all(run_id, chosen.documents, body.wait_s)
        documents = render.jsonable(render.replay_json(run_id, results))["documents"]
    return RunAnswer(run_id=run_id, dry_run=dry_run, documents=documents, skipped=skipped)


def _limit(documents: int) -> None:
    if documents > MAX_DOCUMENTS:
        raise ApiError(400, "TOO_MANY_DOCUMENTS", f"{documents} documents chosen; the API takes at most "
                       f"{MAX_DOCUMENTS} per request: narrow the selection, or use the CLI (hub replay)")  # fmt: skip


def _one(outcomes: set[str]) -> str:
    return next(iter(outcomes)) if len(outcomes) == 1 else "mixed"
