"""``hub trail``: the whole life of one document, in order of time.

Assembled from the intake ledger (received, archived, published, acknowledged), the events it recorded
(translator and version, topic, partition, offset, event id, when a sink applied it), the dead letters, the
ERP rows written from it (found by ``source_document_id``) and the audit log (replays, retries,
redeliveries). A replay replaces the ledger's event rows; the events a document had before each replay are
kept in that replay's audit item, so earlier translations stay in the trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from hub.intake.tables import event, intake
from hub.ops import erp_reads
from hub.ops.audit import AuditLog
from hub.ops.selection import DocumentRow, document_row, load_document
from hub.runtime import Runtime

ACKNOWLEDGEMENTS = {
    "sftp": "remote file moved to done/",
    "drop": "file moved to done/",
    "as2": "MDN sent",
    "email": "mail flagged as processed",
    "upload": "upload answered",
}
REPLAYS = ("replay", "dlq-retry")


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime | None
    step: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


def find_documents(runtime: Runtime, text: str) -> list[tuple[DocumentRow, str]]:
    """Documents matching ``text``, with how it matched: id, transport id, file name, invoice or confirmation."""
    found: dict[str, tuple[DocumentRow, str]] = {}
    exact = load_document(runtime.state_engine, text)
    if exact:
        return [(exact, "document id")]
    for how, rows in _ledger_matches(runtime, text):
        for row in rows:
            found.setdefault(row.document_id, (row, how))
    for how, ids in _erp_matches(runtime, text):
        for document_id in ids:
            match = load_document(runtime.state_engine, document_id)
            if match is not None:
                found.setdefault(document_id, (match, how))
    return sorted(found.values(), key=lambda pair: pair[0].entry.received_at)


def _ledger_matches(runtime: Runtime, text: str) -> Iterable[tuple[str, list[DocumentRow]]]:
    c = intake.c
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    queries = {
        "transport id": select(intake).where(or_(c.transport_id == text, c.transport_id.like(pattern, escape="\\"))),
        "file name": select(intake).where(c.filename == text),
        "document id prefix": select(intake).where(c.document_id.like(text + "%")) if len(text) >= 8 else None,
    }
    with runtime.state_engine.connect() as conn:
        for how, query in queries.items():
            if query is not None:
                yield how, [document_row(r._mapping) for r in conn.execute(query)]
        keyed = select(event.c.document_id).where(event.c.business_key.like("%|" + text))
        yield (
            "business key",
            [r for d in dict.fromkeys(conn.scalars(keyed)) if (r := load_document(runtime.state_engine, d))],
        )


def _erp_matches(runtime: Runtime, text: str) -> Iterable[tuple[str, list[str]]]:
    yield "invoice number", erp_reads.documents_of_invoice_number(runtime.erp_engine, text)
    yield "confirmation number", erp_reads.documents_of_order_document(runtime.erp_engine, text)


def build_trail(runtime: Runtime, row: DocumentRow) -> list[Step]:
    """Every step of the document, oldest first (steps without a time last)."""
    steps = [*_intake_steps(row), *_translation_steps(runtime, row), *_dead_letter_steps(runtime, row)]
    steps += [*_erp_steps(runtime, row.document_id), *_audit_steps(runtime, row.document_id)]
    timed = sorted((s for s in steps if s.at is not None), key=lambda s: s.at)  # type: ignore[arg-type,return-value]
    return [*timed, *(s for s in steps if s.at is None)]


def _intake_steps(row: DocumentRow) -> list[Step]:
    e = row.entry
    tenant = f" for tenant {e.tenant_id}" if e.tenant_id else ""
    received = f"{e.channel} delivery from {e.partner_id}{tenant}: {e.filename or '(no name)'}, {e.size} bytes"
    if e.deliveries > 1:
        received += f"; delivered {e.deliveries} times (the later ones were duplicates: acknowledged, not published)"
    steps = [
        Step(e.received_at, "received", received, {"transport_id": e.transport_id, "channel": e.channel}),
        Step(e.received_at, "archived", f"{e.archive_uri} (sha256 {e.sha256[:16]}…)", {"archive_uri": e.archive_uri}),
    ]
    if e.published_at and row.raw_topic:
        where = f"{row.raw_topic} partition {row.raw_partition} offset {row.raw_offset}"
        steps.append(Step(e.published_at, "published", f"RawDocument on {where} (latest publish)"))
    if e.acknowledged_at:
        how = ACKNOWLEDGEMENTS.get(e.channel, "partner acknowledged")
        steps.append(Step(e.acknowledged_at, "acknowledged", f"partner acknowledged after the broker ack: {how}"))
    return steps


def _translation_steps(runtime: Runtime, row: DocumentRow) -> list[Step]:
    replays = [
        item for run, item in AuditLog(runtime.state_engine).items_of_document(row.document_id) if _is_replay(run)
    ]
    generations = [item["detail"].get("before", []) for item in replays]
    generations.append(runtime.ledger.events_of(row.document_id))
    steps: list[Step] = []
    for events in generations:
        steps += _event_steps(events)
    return steps


def _is_replay(run: Any) -> bool:
    return bool(run.action in REPLAYS and not run.dry_run)


def _event_steps(events: list[dict[str, Any]]) -> list[Step]:
    if not events:
        return []
    first = min(_when(e["produced_at"]) for e in events)
    translators = ", ".join(sorted({e["translator"] for e in events}))
    steps = [Step(first, "translated", f"by {translators}: {len(events)} event(s)", {"translator": translators})]
    for e in events:
        where = f"{e['topic']} partition {e['partition']} offset {e['offset']}"
        detail = f"{e['record_type']} {e['business_key'] or ''} → {where}, event id {e['event_id']}"
        steps.append(Step(_when(e["produced_at"]), "event", detail, {k: e[k] for k in ("event_id", "topic", "offset")}))
        if e.get("sunk_at"):
            applied = f"{e['record_type']} {e['business_key'] or ''}: {e.get('sink_outcome') or 'applied'}"
            steps.append(Step(_when(e["sunk_at"]), "sink", applied, {"event_id": e["event_id"]}))
    return steps


def _dead_letter_steps(runtime: Runtime, row: DocumentRow) -> list[Step]:
    steps = []
    for d in runtime.ledger.dead_letters(row.document_id):
        where = f" at {d['location']}" if d["location"] else ""
        detail = f"{d['stage']} {d['code']}: {d['message']}{where} ({d['translator'] or 'no translator'})"
        steps.append(Step(d["created_at"], "dead letter", f"#{d['id']} {detail}", {"id": d["id"], "code": d["code"]}))
    return steps


def _erp_steps(runtime: Runtime, document_id: str) -> list[Step]:
    erp = runtime.erp_engine
    steps = []
    for inv in erp_reads.invoices_of_document(erp, document_id):
        label = f"supplier invoice {inv['invoice_number']} for {inv['tenant_id']} (payable {inv['payable_amount']})"
        steps.append(Step(inv["created_at"], "erp", f"{label} inserted", {"invoice_id": inv["id"]}))
        if inv["updated_at"] != inv["created_at"]:
            version = f"{inv['translator']}@{inv['translator_version']}"
            steps.append(Step(inv["updated_at"], "erp", f"{label} last updated from {version}"))
        if inv["erp_status"] != "new" or inv["needs_attention"]:
            state = f"status {inv['erp_status']}" + (
                f"; needs attention: {inv['needs_attention']}" if inv["needs_attention"] else ""
            )
            steps.append(Step(None, "erp now", f"{label}: {state}"))
    for c in erp_reads.conflicts_of_document(erp, document_id):
        steps.append(
            Step(c["detected_at"], "erp flagged", f"invoice {c['invoice_number']} ({c['erp_status']}): {c['reason']}")
        )
    steps += _catalog_steps(erp, document_id) + _order_steps(erp, document_id)
    return steps


def _catalog_steps(erp: Any, document_id: str) -> list[Step]:
    steps = []
    for v in erp_reads.price_versions_of_document(erp, document_id):
        label = f"price list version {v['version_id']} ({v['scope']}, valid from {v['valid_from']})"
        for column, what in (
            ("announced_at", "announced"),
            ("completed_at", v["status"].lower()),
            ("merged_at", "merged: now in effect"),
            ("rolled_back_at", "rolled back"),
        ):
            if v[column]:
                steps.append(Step(v[column], "catalog", f"{label} {what}"))
    for a in erp_reads.agreements_of_document(erp, document_id):
        steps.append(
            Step(a["created_at"], "catalog", f"discount agreement {a['agreement_id']} for {a['tenant_id']} stored")
        )
    return steps


def _order_steps(erp: Any, document_id: str) -> list[Step]:
    steps = []
    for r in erp_reads.order_rows_of_document(erp, document_id):
        line = f"{r['document_number']} line {r['line_id']} (#{r['seq']}), quantity {r['quantity']}"
        detail = f"order row on work order {r['work_order']}: {line} ({r['erp_status']})"
        steps.append(Step(r["created_at"], "erp", detail))
    for u in erp_reads.unmatched_of_document(erp, document_id):
        parked = f"{u['document_number']} line {u['line_id'] or '(all)'}: {u['reason']}"
        steps.append(Step(u["created_at"], "parked", parked))
        if u["resolved_at"]:
            resolved = f"assigned to work order {u['resolved_work_order']} by {u['resolved_by']}"
            steps.append(Step(u["resolved_at"], "resolved", resolved))
    return steps


def _audit_steps(runtime: Runtime, document_id: str) -> list[Step]:
    steps = []
    for run, item in AuditLog(runtime.state_engine).items_of_document(document_id):
        if run.dry_run:
            continue
        who = f"by {run.operator}" + (f"@{run.host}" if run.host else "") + f", reason: {run.reason!r}"
        produced = f" with {item['translator']}" if item["translator"] else ""
        detail = f"{run.action} run {run.run_id} {who}: {item['outcome']}{produced}"
        data = {"run_id": run.run_id, "operator": run.operator, "reason": run.reason, "action": run.action}
        steps.append(Step(run.started_at, run.action, detail, data))
    return steps


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
