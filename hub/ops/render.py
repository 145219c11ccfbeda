"""Rich output and JSON shapes for the ops commands (``hub dlq``, ``hub trail``, ``hub replay``, ``hub redeliver``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hub.canonical.codec import decimal_text
from hub.ops.audit import RunRecord
from hub.ops.dlq import DlqGroup
from hub.ops.dryrun import DocumentPreview
from hub.ops.preview import Preview
from hub.ops.redeliver import Redelivered
from hub.ops.replay import ReplayResult
from hub.ops.selection import DocumentRow
from hub.ops.trail import Step

WIDTH = 180
OUTCOME_TEXT = {
    "inserted": "would be inserted",
    "updated": "would be UPDATED",
    "unchanged": "unchanged",
    "protected": "PROTECTED: flagged for attention, not overwritten",
    "already_flagged": "already flagged before: nothing new",
    "ignored_older": "ignored (the ERP holds a newer translator's output)",
    "conflict": "CONFLICT with an invoice from another document (recorded, not applied)",
    "duplicate": "duplicate of an invoice from another document",
    "not_applied": "differs, but the catalog keeps the version as it is",
    "publish": "would be published",
}


def console() -> Console:
    return Console(width=WIDTH, highlight=False)


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else ""


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(type(value).__name__)


def jsonable(value: Any) -> Any:
    """``value`` with decimals, dates and bytes as JSON text, as the ``--json`` output and the API show them."""
    return json.loads(json.dumps(value, default=json_default, ensure_ascii=False))


# --- dead letters -------------------------------------------------------------------------------------


def dlq_groups(groups: Sequence[DlqGroup]) -> Table:
    table = Table("code", "partner", "translator", "dead letters", "documents", "open", "first", "last")
    for g in groups:
        table.add_row(
            g.code, g.partner_id or "-", g.translator or "-", str(g.letters), str(g.documents),
            str(g.open_documents), when(g.first), when(g.last),
        )  # fmt: skip
    return table


def dlq_entries(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table("id", "when", "code", "stage", "partner", "file", "location", "message", "document")
    for r in rows:
        table.add_row(
            str(r["id"]), when(r["created_at"]), r["code"], r["stage"], r["partner_id"] or "-",
            escape(r["filename"] or "-"), escape(r["location"] or ""), escape(_short(r["message"], 70)),
            f"{r['document_id'] or '-'} ({r['document_state'] or '?'})",
        )  # fmt: skip
    return table


def dead_letter_detail(
    out: Console, letter: dict[str, Any], document: DocumentRow | None, preview: Preview | None
) -> None:
    title = f"[bold]dead letter #{letter['id']}[/bold]  {letter['code']} (stage {letter['stage']})"
    out.print(f"{title}  {when(letter['created_at'])}")
    out.print(f"  message     {escape(letter['message'])}")
    out.print(f"  location    {escape(letter['location'] or '(none given)')}")
    out.print(f"  translator  {letter['translator'] or '-'}")
    dlq = f" → DLQ offset {letter['dlq_offset']}" if letter["dlq_offset"] is not None else ""
    source = f"{letter['source_topic']} partition {letter['source_partition']} offset {letter['source_offset']}"
    out.print(f"  record      {source}{dlq}")
    if document is None:
        out.print("  document    (none: the record could not be decoded, so there is nothing in the archive to show)")
        return
    _document_lines(out, document)
    if preview is not None:
        _preview(out, preview)


def _document_lines(out: Console, row: DocumentRow) -> None:
    e = row.entry
    out.print(f"[bold]document {e.document_id}[/bold]  state {e.state}")
    out.print(
        f"  file        {escape(e.filename or '(no name)')}  {e.size} bytes, {e.content_type or 'no content type'}"
    )
    out.print(f"  from        {e.partner_id} via {e.channel}" + (f", tenant {e.tenant_id}" if e.tenant_id else ""))
    out.print(f"  transport   {escape(e.transport_id)}")
    out.print(f"  received    {when(e.received_at)}   acknowledged {when(e.acknowledged_at) or '-'}")
    out.print(f"  archive     {e.archive_uri}")
    out.print(f"  sha256      {e.sha256}")
    if e.format_hint:
        out.print(f"  format      {e.format_hint} (forced)")


def _preview(out: Console, p: Preview) -> None:
    out.print(f"[bold]preview[/bold] ({escape(p.note or p.kind)})")
    width = max((len(str(r.number)) for r in p.rows), default=1)
    for r in p.rows:
        marker = ">" if r.focus else " "
        style = "bold" if r.focus else "dim"
        out.print(f"[{style}]{marker} {r.number:>{width}} │ {escape(r.text)}[/{style}]")


# --- replay ----------------------------------------------------------------------------------------------


def preview_json(p: DocumentPreview) -> dict[str, Any]:
    e = p.document.entry
    return {
        "document_id": e.document_id,
        "filename": e.filename,
        "partner": e.partner_id,
        "translator_before": p.document.translator,
        "translator": p.translator,
        "outcome": p.outcome,
        "error": p.error,
        "records": [
            {
                "record": r.label,
                "outcome": r.outcome,
                "note": r.note,
                "changes": [{"field": c.path, "old": c.old, "new": c.new, "amount": c.amount} for c in r.changes],
            }
            for r in p.records
        ],
    }


def dry_run(out: Console, previews: Sequence[DocumentPreview]) -> None:
    for p in previews:
        e = p.document.entry
        before = p.document.translator or "(dead-lettered)"
        title = f"[bold]{e.document_id}[/bold]  {escape(e.filename or '')}  ({e.partner_id})"
        out.print(f"{title}  {before} → {p.translator or '?'}")
        if p.error:
            verb = "would be dead-lettered" if p.outcome == "dead_letter" else "some records would be dead-lettered"
            out.print(f"  [red]{verb}:[/red] {escape(p.error)}")
        for r in p.records:
            out.print(
                f"  {escape(r.label)}: {OUTCOME_TEXT.get(r.outcome, r.outcome)}"
                + (f" — {escape(r.note)}" if r.note else "")
            )
            if r.changes:
                table = Table("field", "ERP now", "after replay", box=None, padding=(0, 2))
                for c in r.changes:
                    style = "bold" if c.amount else ""
                    table.add_row(c.path, escape(c.old or "∅"), escape(c.new or "∅"), style=style)
                out.print(table)
        out.print()


def replay_results(results: Sequence[ReplayResult]) -> Table:
    table = Table("document", "file", "translator", "outcome", "events", "sink", "dead letters")
    for r in results:
        sinks = ", ".join(f"{o}×{n}" if n > 1 else o for o, n in _counts(r.sink.values()).items())
        letters = ", ".join(d["code"] for d in r.dead_letters)
        table.add_row(
            r.document.document_id, escape(r.document.entry.filename or ""), r.translator or "-", r.outcome,
            str(len(r.events)), sinks or "-", letters or "-",
        )  # fmt: skip
    return table


def replay_json(run_id: str, results: Sequence[ReplayResult]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "documents": [
            {
                "document_id": r.document.document_id,
                "filename": r.document.entry.filename,
                "outcome": r.outcome,
                "translator": r.translator,
                "events": r.events,
                "dead_letters": r.dead_letters,
                "sink": r.sink,
            }
            for r in results
        ],
    }


def _counts(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


# --- redeliver and trail -------------------------------------------------------------------------------


def redelivered(results: Sequence[Redelivered]) -> Table:
    table = Table("document", "event", "record", "topic", "partition", "offset", "outcome")
    for r in results:
        e = r.event
        table.add_row(
            e["document_id"], e["event_id"], f"{e['record_type']} {e['business_key'] or ''}", e["topic"],
            str(e["partition"]), str(e["offset"]), r.outcome,
        )  # fmt: skip
    return table


def trail(out: Console, row: DocumentRow, steps: Sequence[Step]) -> None:
    _document_lines(out, row)
    table = Table("when", "step", "detail")
    for s in steps:
        table.add_row(when(s.at), s.step, escape(s.detail))
    out.print(table)


def trail_json(row: DocumentRow, steps: Sequence[Step]) -> dict[str, Any]:
    e = row.entry
    return {
        "document_id": e.document_id,
        "partner": e.partner_id,
        "filename": e.filename,
        "state": e.state,
        "steps": [{"at": s.at, "step": s.step, "detail": s.detail, **s.data} for s in steps],
    }


def candidates(rows: Sequence[tuple[DocumentRow, str]]) -> Table:
    table = Table("document", "received", "partner", "file", "state", "matched by")
    for row, how in rows:
        e = row.entry
        table.add_row(e.document_id, when(e.received_at), e.partner_id, escape(e.filename or ""), e.state, how)
    return table


def audit_runs(runs: Sequence[RunRecord]) -> Table:
    table = Table("run", "started", "action", "operator", "reason", "dry run", "status", "outcomes")
    for r in runs:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r.summary.items()))
        table.add_row(r.run_id, when(r.started_at), r.action, escape(r.operator), escape(_short(r.reason, 60)),
                      "yes" if r.dry_run else "", r.status, outcomes)  # fmt: skip
    return table


def audit_items(items: Sequence[dict[str, Any]]) -> Table:
    table = Table("document", "outcome", "translator", "when")
    for i in items:
        table.add_row(i["document_id"], i["outcome"], i["translator"] or "", when(i["created_at"]))
    return table


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
