"""``hub replay`` / ``hub dlq retry``: re-translate documents chosen from the ledger with today's translators.

Per document: the RawDocument is rebuilt from the ledger and the archive and handed to the very
:class:`~hub.pipeline.translate.TranslateStage` that ``hub up`` runs (same wiring, built by the runtime), whose
publisher tags every record with ``hub.replay=<run-id>``. The corrected events go to their topics and the
running sinks apply them idempotently and version-fenced (DESIGN §5): same output → ``unchanged``; newer
translator, changed content → ``updated``; an invoice the ERP approved or booked → ``protected`` (flagged,
not overwritten). The run then waits (bounded) until the ledger shows every new event applied.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hub.canonical.pricelist import PriceListVersion
from hub.db.types import utcnow
from hub.intake.ledger import PUBLISHED, RECEIVED
from hub.intake.tables import event
from hub.ops.audit import AuditLog
from hub.ops.diff import order_by_importance
from hub.ops.dryrun import DocumentPreview, DryRun
from hub.ops.rawdoc import REPLAY_HEADER, raw_record, tagged_runtime
from hub.ops.selection import DocumentRow, Selection, missing_documents, select_documents
from hub.pipeline.translate import TranslateStage
from hub.runtime import Runtime
from hub.sinks.catalog.tables import price_list_version

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    documents: list[DocumentRow]
    skipped: list[tuple[DocumentRow, str]]
    unknown: list[str]


@dataclass(slots=True)
class ReplayResult:
    document: DocumentRow
    outcome: str  # translated | partly_translated | dead_lettered | rejected
    translator: str | None
    events: list[dict[str, Any]] = field(default_factory=list)  # the events this run produced
    before: list[dict[str, Any]] = field(default_factory=list)  # the document's events before the run
    dead_letters: list[dict[str, Any]] = field(default_factory=list)  # dead letters this run caused
    sink: dict[str, str] = field(default_factory=dict)  # event id → sink outcome (or 'pending')


def plan(engine: Any, selection: Selection) -> ReplayPlan:
    """The ledger's documents for ``selection``; those not translated yet are skipped (hub up has them)."""
    rows = select_documents(engine, selection)
    ready = [r for r in rows if r.entry.state not in (RECEIVED, PUBLISHED)]
    skipped = [(r, "not translated yet: hub up translates it when it runs") for r in rows if r not in ready]
    return ReplayPlan(ready, skipped, missing_documents(rows, selection))


class Replayer:
    def __init__(self, runtime: Runtime, audit: AuditLog) -> None:
        self.rt, self.audit = runtime, audit
        self._stages: dict[str, TranslateStage] = {}

    def preview_all(
        self, run_id: str, rows: Sequence[DocumentRow], tick: Callable[[], None] = lambda: None
    ) -> list[DocumentPreview]:
        """Dry run of every document, most important change first; closes the run (``failed`` if it raised)."""
        with self.audit.failing(run_id):
            previews = []
            for row in rows:
                previews.append(self.preview(run_id, row))
                tick()
            self.audit.finish(run_id, Counter(p.outcome for p in previews))
        return order_by_importance(previews, lambda p: p.records)

    def replay_all(
        self,
        run_id: str,
        rows: Sequence[DocumentRow],
        wait_s: float,
        tick: Callable[[], None] = lambda: None,
        waiting: Callable[[int, int], None] = lambda done, total: None,
    ) -> tuple[list[ReplayResult], Counter[str]]:
        """Re-translate every document, wait up to ``wait_s`` for the sinks, record the audit items and close
        the run — ``failed`` when a TransientError (broker, database) stopped it; that error propagates."""
        results: list[ReplayResult] = []
        failed = True
        try:
            for row in rows:
                results.append(self.replay(run_id, row))
                tick()
            if wait_s > 0:
                self.wait(results, wait_s, waiting)
            failed = False
        finally:
            counts = self.record(run_id, results, failed=failed)
        return results, counts

    def preview(self, run_id: str, row: DocumentRow) -> DocumentPreview:
        """Dry run of one document (publishes nothing); recorded in the audit log."""
        result = DryRun(self.rt).preview(row)
        records = [{"record": r.label, "outcome": r.outcome, "changes": len(r.changes)} for r in result.records]
        self.audit.item(
            run_id, row.document_id, f"preview_{result.outcome}", translator=result.translator, records=records
        )
        return result

    def replay(self, run_id: str, row: DocumentRow) -> ReplayResult:
        """Re-translate and publish one document. TransientError (broker, database) propagates."""
        started = utcnow()
        ledger = self.rt.ledger
        before = ledger.events_of(row.document_id)
        settled = self._settled_versions(row.document_id)
        outcome = self._stage(run_id).process(raw_record(row, self.rt.serde, self.rt.topics.raw, run_id))
        after = [e for e in ledger.events_of(row.document_id) if e["produced_at"] >= started]
        letters = [d for d in ledger.dead_letters(row.document_id) if d["created_at"] >= started]
        for ev in after:
            if ev["record_type"] == PriceListVersion.TYPE and ev["event_id"] in settled:
                # The catalog applies a version once; a re-published version id changes nothing there, and
                # the catalog would never report it merged again — so it is settled here, as 'unchanged'.
                ledger.mark_event_sunk(ev["event_id"], "unchanged")
        translator = after[0]["translator"] if after else next((d["translator"] for d in letters), None)
        return ReplayResult(row, outcome, translator, _brief(after), _brief(before), _letters(letters))

    def _stage(self, run_id: str) -> TranslateStage:
        if run_id not in self._stages:
            self._stages[run_id] = tagged_runtime(self.rt, REPLAY_HEADER, run_id).translate_stage()
        return self._stages[run_id]

    def _settled_versions(self, document_id: str) -> set[str]:
        v = price_list_version.c
        query = select(v.version_id).where(
            v.source_document_id == document_id,
            (v.merged_at.is_not(None)) | v.status.in_(("REJECTED", "ROLLED_BACK")),
        )
        with self.rt.erp_engine.connect() as conn:
            return set(conn.scalars(query))

    def wait(self, results: Sequence[ReplayResult], timeout_s: float, tick: Callable[[int, int], None]) -> None:
        """Poll the ledger until every produced event was applied by a sink, or ``timeout_s`` passed."""
        wanted = {e["event_id"]: r for r in results for e in r.events}
        deadline = time.monotonic() + timeout_s
        while True:
            done = self._sunk(list(wanted))
            for event_id, outcome in done.items():
                wanted[event_id].sink[event_id] = outcome
            tick(len(done), len(wanted))
            if len(done) == len(wanted) or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        for event_id, result in wanted.items():
            result.sink.setdefault(event_id, PENDING)

    def _sunk(self, event_ids: list[str]) -> dict[str, str]:
        if not event_ids:
            return {}
        query = select(event.c.event_id, event.c.sink_outcome).where(
            event.c.event_id.in_(event_ids), event.c.sunk_at.is_not(None)
        )
        with self.rt.state_engine.connect() as conn:
            return {row.event_id: row.sink_outcome or "applied" for row in conn.execute(query)}

    def record(self, run_id: str, results: Sequence[ReplayResult], *, failed: bool = False) -> Counter[str]:
        """Write one audit item per document and close the run; returns the outcome counts."""
        counts: Counter[str] = Counter()
        for r in results:
            counts[r.outcome] += 1
            counts.update(f"sink_{o}" for o in r.sink.values())
            self.audit.item(
                run_id,
                r.document.document_id,
                r.outcome,
                translator=r.translator,
                events=r.events,
                before=r.before,
                dead_letters=r.dead_letters,
                sink=r.sink,
            )
        self.audit.finish(run_id, counts, failed=failed)
        return counts


def _brief(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as the audit keeps them (JSON): where they went, when, and what the sink made of them."""
    keys = ("event_id", "record_type", "business_key", "topic", "partition", "offset", "translator", "sink_outcome")
    return [{k: e[k] for k in keys} | {name: _iso(e[name]) for name in ("produced_at", "sunk_at")} for e in events]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _letters(letters: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": d["id"], "code": d["code"], "stage": d["stage"], "message": d["message"], "location": d["location"]}
        for d in letters
    ]
