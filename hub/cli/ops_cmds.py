"""``hub dlq``, ``hub trail``, ``hub replay``, ``hub redeliver``: finding, understanding and fixing documents.

Replay re-translates documents chosen from the ledger with today's translators; redeliver applies events
already produced to the sinks again. Both are audited (who, why, what) and idempotent. See docs/operations.md.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hub.cli.context import Ctx
from hub.errors import TransientError
from hub.kafka.topics import TopicNames
from hub.ops import dlq as dlq_ops
from hub.ops import render
from hub.ops.audit import AuditLog, default_operator
from hub.ops.preview import make_preview
from hub.ops.redeliver import (
    MISSING,
    REPLACED,
    EventSelection,
    Redelivered,
    Redeliverer,
    redeliver_all,
    select_events,
)
from hub.ops.replay import PENDING, Replayer, ReplayPlan, ReplayResult, plan
from hub.ops.selection import Selection, parse_when
from hub.ops.trail import build_trail, find_documents
from hub.runtime import Runtime, resolve_bootstrap

audit_app = typer.Typer(
    help="The audit log of replays, dead-letter retries and redeliveries: who, when, why, what came of it.",
    no_args_is_help=True,
)
dlq_app = typer.Typer(
    help="Dead letters: what failed and where (with the bytes around the error), and retrying it.", no_args_is_help=True
)

Since = Annotated[str | None, typer.Option(help="From this time on: ISO date/time (local) or an age like 12h, 3d.")]
Until = Annotated[str | None, typer.Option(help="Before this time: ISO date/time (local) or an age like 2h.")]
Partners = Annotated[list[str] | None, typer.Option("--partner", help="Wholesaler id (repeatable).")]
Codes = Annotated[list[str] | None, typer.Option("--code", help="Error code, e.g. INVALID_VALUE (repeatable).")]
Documents = Annotated[list[str] | None, typer.Option("--document", help="Document id (repeatable).")]
Reason = Annotated[str | None, typer.Option(help="Why (mandatory; goes into the audit log).")]
Operator = Annotated[str | None, typer.Option(help="Who runs it (audit log); default: the OS user.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; publish nothing.")]
WaitS = Annotated[float, typer.Option(help="Wait up to this many seconds for the sinks to apply (0 = don't).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON instead of tables.")]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to the ``hub`` app."""
    app.add_typer(dlq_app, name="dlq")
    app.command("trail")(trail)
    app.command("replay")(replay)
    app.command("redeliver")(redeliver)
    app.add_typer(audit_app, name="audit")


def fail(code: str, message: str, exit_code: int = 2) -> NoReturn:
    """Print ``error[CODE]: message`` and exit: 2 for a usage error (the default), 1 when nothing was found."""
    typer.echo(f"error[{code}]: {message}", err=True)
    raise typer.Exit(exit_code)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        fail("BAD_OPTION", f"{option}: {exc}")


def _reason(reason: str | None, command: str) -> str:
    if reason is None or not reason.strip():
        fail("REASON_REQUIRED", f'hub {command} changes what the ERP holds: say why with --reason "…" (audit log)')
    return reason.strip()


def _runtime(ctx: typer.Context, *, broker: bool) -> Runtime:
    obj: Ctx = ctx.obj
    runtime = obj.runtime(bootstrap_servers=resolve_bootstrap(obj.settings)) if broker else obj.runtime()
    runtime.migrate()
    return runtime


def _out() -> Console:
    return render.console()


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )  # fmt: skip


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, default=render.json_default, ensure_ascii=False, indent=2))


# --- hub dlq ------------------------------------------------------------------------------------------


@dlq_app.command("list")
def dlq_list(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    partner: Partners = None,
    code: Codes = None,
    entries: Annotated[bool, typer.Option("--entries", help="One row per dead letter instead of groups.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many entries (with --entries).")] = 200,
    as_json: AsJson = False,
) -> None:
    """Dead letters grouped by error code, wholesaler and translator version ('open' = document still failing)."""
    runtime = _runtime(ctx, broker=False)
    f = dlq_ops.DlqFilter(_when(since, "--since"), _when(until, "--until"), tuple(partner or ()), tuple(code or ()))
    if entries:
        rows = dlq_ops.entries(runtime.state_engine, f, limit=limit)
        _print_json(rows) if as_json else _show(render.dlq_entries(rows), rows, "no dead letters")
        return
    groups = dlq_ops.groups(runtime.state_engine, f)
    if as_json:
        _print_json([dataclasses.asdict(g) for g in groups])
        return
    _show(render.dlq_groups(groups), groups, "no dead letters")
    if groups:
        typer.echo("single dead letters: hub dlq list --entries --code CODE; one in detail: hub dlq show ID")


def _show(table: Any, rows: Sequence[Any], empty: str) -> None:
    if rows:
        _out().print(table)
    else:
        typer.echo(empty)


@dlq_app.command("show")
def dlq_show(
    ctx: typer.Context,
    letter_id: Annotated[int, typer.Argument(metavar="ID", help="Dead-letter id (from hub dlq list --entries).")],
    context: Annotated[int, typer.Option(help="Lines (or segments) shown around the error.")] = 2,
    as_json: AsJson = False,
) -> None:
    """One dead letter: the error and its location, the document's metadata and the bytes around the error."""
    runtime = _runtime(ctx, broker=False)
    found = dlq_ops.get(runtime.state_engine, letter_id)
    if found is None:
        fail("NOT_FOUND", f"no dead letter #{letter_id}; list them with hub dlq list --entries", 1)
    letter, document = found
    preview = None
    if document is not None:
        preview = make_preview(runtime.archive, document.entry.archive_uri, letter["location"], context=context)
    if as_json:
        entry = dataclasses.asdict(document.entry) if document else None
        shown = dataclasses.asdict(preview) if preview else None
        _print_json({"dead_letter": letter, "document": entry, "preview": shown})
        return
    render.dead_letter_detail(_out(), letter, document, preview)
    if document is not None:
        typer.echo(
            f"next: fix the cause (translator, partners file), preview with "
            f'hub dlq retry {letter_id} --dry-run --reason "…", then run it without --dry-run; '
            f"the whole story: hub trail {document.document_id}"
        )


@dlq_app.command("retry")
def dlq_retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(metavar="[ID]...", help="Dead-letter ids.")] = None,
    code: Codes = None,
    partner: Partners = None,
    since: Since = None,
    until: Until = None,
    reason: Reason = None,
    operator: Operator = None,
    dry_run: DryRun = False,
    wait_s: WaitS = 60.0,
    as_json: AsJson = False,
) -> None:
    """Re-run the documents of the chosen dead letters through today's translators (an audited replay)."""
    why = _reason(reason, "dlq retry")
    f = dlq_ops.DlqFilter(
        _when(since, "--since"), _when(until, "--until"), tuple(partner or ()), tuple(code or ()), tuple(ids or ())
    )
    if f.is_empty():
        fail("NOTHING_SELECTED", "name dead-letter ids, or filter with --code, --partner, --since/--until")
    runtime = _runtime(ctx, broker=not dry_run)
    try:
        documents, unknown, orphans = dlq_ops.documents_to_retry(runtime.state_engine, f)
        if unknown:
            fail("NOT_FOUND", f"no dead letter {', '.join(f'#{i}' for i in unknown)}; see hub dlq list --entries", 1)
        if orphans:
            typer.echo(f"skipped dead letter(s) {', '.join(f'#{i}' for i in orphans)}: no document to re-run", err=True)
        chosen = plan(runtime.state_engine, Selection(documents=tuple(documents)))
        _run(runtime, "dlq-retry", f.describe(), chosen, why, operator or default_operator(), dry_run, wait_s, as_json)
    finally:
        runtime.close()


# --- hub trail --------------------------------------------------------------------------------------------


def trail(
    ctx: typer.Context,
    document: Annotated[
        str,
        typer.Argument(help="Document id, transport id (or part of it), file name, invoice or confirmation number."),
    ],
    as_json: AsJson = False,
) -> None:
    """The whole life of one document in order of time: intake, archive, events, ERP rows, dead letters, replays."""
    runtime = _runtime(ctx, broker=False)
    matches = find_documents(runtime, document)
    if not matches:
        tried = "document id, transport id, file name, invoice and confirmation number"
        fail("NOT_FOUND", f"no document matches {document!r} (tried {tried})", 1)
    if len(matches) > 1:
        _out().print(render.candidates(matches))
        fail("AMBIGUOUS", f"{len(matches)} documents match {document!r}: run hub trail with one of the ids above", 1)
    row = matches[0][0]
    steps = build_trail(runtime, row)
    if as_json:
        _print_json(render.trail_json(row, steps))
    else:
        render.trail(_out(), row, steps)


# --- hub replay ----------------------------------------------------------------------------------------


def replay(
    ctx: typer.Context,
    reason: Reason = None,
    operator: Operator = None,
    since: Annotated[str | None, typer.Option(help="Received from this time on (ISO, or an age like 3d).")] = None,
    until: Annotated[str | None, typer.Option(help="Received before this time (ISO, or an age).")] = None,
    partner: Partners = None,
    format: Annotated[
        list[str] | None, typer.Option("--format", help="Translator name, e.g. peppol-bis3-invoice (repeatable).")
    ] = None,
    document: Documents = None,
    dlq_code: Annotated[
        list[str] | None, typer.Option("--dlq-code", help="Documents with a dead letter of this code (repeatable).")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every translated or dead-lettered document.")] = False,
    dry_run: DryRun = False,
    wait_s: WaitS = 60.0,
    as_json: AsJson = False,
) -> None:
    """Re-translate documents chosen from the ledger with today's translators and publish the corrected events
    (header hub.replay=<run id>); the sinks apply them idempotently, and approved invoices are flagged, never
    overwritten. --dry-run shows per document what would change in the ERP (amounts first), publishing nothing.
    """
    why = _reason(reason, "replay")
    selection = Selection(
        documents=tuple(document or ()),
        partners=tuple(partner or ()),
        formats=tuple(format or ()),
        dlq_codes=tuple(c.upper() for c in dlq_code or ()),
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        everything=everything,
    )
    if selection.is_empty():
        fail(
            "NOTHING_SELECTED",
            "say which documents: --document, --partner, --format, --dlq-code, --since/--until or --all",
        )
    runtime = _runtime(ctx, broker=not dry_run)
    try:
        chosen = plan(runtime.state_engine, selection)
        _run(
            runtime,
            "replay",
            selection.describe(),
            chosen,
            why,
            operator or default_operator(),
            dry_run,
            wait_s,
            as_json,
        )
    finally:
        runtime.close()


def _run(
    runtime: Runtime,
    action: str,
    described: dict[str, Any],
    chosen: ReplayPlan,
    reason: str,
    operator: str,
    dry_run: bool,
    wait_s: float,
    as_json: bool,
) -> None:
    if chosen.unknown:
        fail("NOT_FOUND", f"not in the ledger: {', '.join(chosen.unknown)} (find documents with hub trail)", 1)
    for row, why in chosen.skipped:
        typer.echo(f"skipped {row.document_id} ({row.entry.filename}): {why}", err=True)
    if not chosen.documents:
        typer.echo("nothing to replay: no translated or dead-lettered document matches")
        return
    audit = AuditLog(runtime.state_engine)
    run_id = audit.start(action, operator=operator, reason=reason, selection=described, dry_run=dry_run)
    replayer = Replayer(runtime, audit)
    if dry_run:
        _dry_run(replayer, run_id, chosen, as_json)
    else:
        _replay(replayer, run_id, chosen, wait_s, as_json)


def _dry_run(replayer: Replayer, run_id: str, chosen: ReplayPlan, as_json: bool) -> None:
    with _progress() as progress:
        task = progress.add_task("previewing", total=len(chosen.documents))
        ordered = replayer.preview_all(run_id, chosen.documents, lambda: progress.advance(task))
    if as_json:
        _print_json({"run_id": run_id, "dry_run": True, "documents": [render.preview_json(p) for p in ordered]})
        return
    render.dry_run(_out(), ordered)
    typer.echo(f"dry run {run_id}: {len(ordered)} document(s) previewed; nothing was published")


def _replay(replayer: Replayer, run_id: str, chosen: ReplayPlan, wait_s: float, as_json: bool) -> None:
    with _progress() as progress:
        task = progress.add_task("re-translating", total=len(chosen.documents))
        waiting = progress.add_task("waiting for the sinks", total=None, visible=False)

        def wait_tick(done: int, total: int) -> None:
            progress.update(waiting, completed=done, total=total, visible=True)

        try:
            results, counts = replayer.replay_all(
                run_id, chosen.documents, wait_s, lambda: progress.advance(task), wait_tick
            )
        except TransientError:
            done = f"replay {run_id} stopped after {progress.tasks[0].completed:.0f} of {len(chosen.documents)}"
            typer.echo(f"{done} document(s); run it again when the broker/database is back (idempotent)", err=True)
            raise
    _report(run_id, results, counts, as_json, wait_s)


def _report(run_id: str, results: Sequence[ReplayResult], counts: Counter[str], as_json: bool, wait_s: float) -> None:
    if as_json:
        _print_json(render.replay_json(run_id, results))
    else:
        _out().print(render.replay_results(results))
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        typer.echo(f"replay run {run_id}: {len(results)} document(s): {shown}")
    pending = sum(1 for r in results for o in r.sink.values() if o == PENDING)
    if pending and wait_s > 0:
        typer.echo(
            f"{pending} event(s) not yet applied after {wait_s:.0f}s: is hub up (or hub run sink-erp) running? "
            "Check later with hub trail DOCUMENT",
            err=True,
        )


# --- hub redeliver ---------------------------------------------------------------------------------------


def redeliver(
    ctx: typer.Context,
    reason: Reason = None,
    operator: Operator = None,
    document: Documents = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Topic, e.g. hub.invoice.v1 (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Events produced from this time on (ISO, or an age).")] = None,
    until: Annotated[str | None, typer.Option(help="Events produced before this time (ISO, or an age).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every recorded event.")] = False,
    as_json: AsJson = False,
) -> None:
    """Apply events already produced to the sinks again (e.g. after the ERP database was restored), reading them
    from the topic offsets the ledger recorded; nothing is re-translated. Idempotent."""
    why = _reason(reason, "redeliver")
    prefix = ctx.obj.settings.topic_prefix
    names = tuple(t if prefix and t.startswith(prefix) else TopicNames(prefix)(t) for t in topic or ())
    selection = EventSelection(
        tuple(document or ()), names, _when(since, "--since"), _when(until, "--until"), everything
    )
    if selection.is_empty():  # a usage error is reported before the broker is looked for
        fail("NOTHING_SELECTED", "say which events: --document, --topic, --since/--until or --all")
    runtime = _runtime(ctx, broker=True)
    try:
        _redeliver(runtime, selection, why, operator or default_operator(), as_json)
    finally:
        runtime.close()


def _redeliver(runtime: Runtime, selection: EventSelection, reason: str, operator: str, as_json: bool) -> None:
    events = select_events(runtime, selection)
    if not events:
        fail("NOTHING_SELECTED", "no recorded events match (a dead-lettered document has none: use hub replay)", 1)
    audit = AuditLog(runtime.state_engine)
    run_id = audit.start("redeliver", operator=operator, reason=reason, selection=selection.describe(), dry_run=False)
    with audit.failing(run_id), _reading() as on_record:
        results = list(redeliver_all(Redeliverer(runtime, run_id), events, on_record))
    counts: Counter[str] = Counter(r.outcome for r in results)
    for document_id in dict.fromkeys(r.event["document_id"] for r in results):
        outcomes = {r.event["event_id"]: r.outcome for r in results if r.event["document_id"] == document_id}
        audit.item(run_id, document_id, _worst(list(outcomes.values())), events=outcomes)
    audit.finish(run_id, counts)
    if as_json:
        _print_json({"run_id": run_id, "events": [{**r.event, "outcome": r.outcome} for r in results]})
    else:
        _out().print(render.redelivered(results))
        typer.echo(
            f"redeliver run {run_id}: {len(results)} event(s): "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    _gone(results)


def _gone(results: Sequence[Redelivered]) -> None:
    gone = list(dict.fromkeys(r.event["document_id"] for r in results if r.outcome in (MISSING, REPLACED)))
    if gone:
        count = sum(1 for r in results if r.outcome in (MISSING, REPLACED))
        again = " ".join(f"--document {d}" for d in gone)
        fail(
            "EVENTS_GONE",
            f"{count} event(s) are no longer on their topic (the bundled broker keeps nothing across restarts; "
            "retention may have removed them): produce them again from the archive with "
            f'hub replay {again} --reason "…"',
            1,
        )


@contextmanager
def _reading() -> Any:
    with _progress() as progress:
        task = progress.add_task("reading the recorded offsets", total=None)
        yield lambda: progress.advance(task)


def _worst(outcomes: list[str]) -> str:
    for bad in (MISSING, REPLACED, "unsupported", "dead_lettered"):
        if bad in outcomes:
            return bad
    return outcomes[0] if len(set(outcomes)) == 1 else "mixed"


# --- hub audit ------------------------------------------------------------------------------------------


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Replays, dry runs, retries and redeliveries, newest first, with operator, reason and outcome counts."""
    runtime = _runtime(ctx, broker=False)
    runs = AuditLog(runtime.state_engine).runs(limit=limit)
    if as_json:
        _print_json([dataclasses.asdict(r) for r in runs])
        return
    _show(render.audit_runs(runs), runs, "no audited runs yet")


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Run id (from hub audit list or a replay's output).")],
    as_json: AsJson = False,
) -> None:
    """One run: who, why, the selection, and per document the outcome and the translator used."""
    runtime = _runtime(ctx, broker=False)
    log = AuditLog(runtime.state_engine)
    run = log.run(run_id)
    if run is None:
        fail("NOT_FOUND", f"no audit run {run_id!r}; list them with hub audit list", 1)
    items = log.items(run_id)
    if as_json:
        _print_json({"run": dataclasses.asdict(run), "items": items})
        return
    _out().print(render.audit_runs([run]))
    typer.echo(f"selection: {json.dumps(run.selection, ensure_ascii=False)}")
    _show(render.audit_items(items), items, "no documents in this run")
