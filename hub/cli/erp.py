"""``hub erp``: what the ERP database holds."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.canonical.codec import decimal_text
from hub.cli.context import Ctx
from hub.sinks.erp.checks import checks_of, delivered_not_invoiced, deviations
from hub.sinks.erp.queries import list_invoices

app = typer.Typer(help="Read the ERP reference schema the hub writes (supplier invoices, …).", no_args_is_help=True)


@app.command("invoices")
def invoices(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's invoices.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON with lines and VAT breakdown.")] = False,
    checks: Annotated[
        bool, typer.Option("--checks", help="Price control and reconciliation per invoice and line.")
    ] = False,
) -> None:
    """List supplier invoices in the ERP database."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
    if checks:
        _print_checks(checks_of(runtime.erp_engine, tenant), as_json)
        return
    rows = list_invoices(runtime.erp_engine, tenant_id=tenant, with_lines=as_json)
    if as_json:
        typer.echo(json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no supplier invoices" + (f" for tenant {tenant}" if tenant else ""))
        return
    table = Table("tenant", "supplier", "invoice", "kind", "issued", "due", "payable", "lines", "status", "flags")
    for r in rows:
        flags = ", ".join(
            f
            for f in (
                f"{r['open_conflicts']} conflict(s)" if r["open_conflicts"] else "",
                f"{r['duplicate_deliveries']} duplicate(s)" if r["duplicate_deliveries"] else "",
                "needs attention" if r["needs_attention"] else "",
            )
            if f
        )
        table.add_row(
            r["tenant_id"],
            r["supplier_id"],
            r["invoice_number"],
            r["kind"],
            str(r["issue_date"]),
            str(r["due_date"] or ""),
            f"{_money(r['payable_amount'])} {r['currency']}",
            str(r["line_count"]),
            r["erp_status"],
            flags,
        )
    Console(width=160).print(table)


def _money(value: Decimal) -> str:
    """At least two decimals for display (2737 → 2737.00); more are kept (12.735)."""
    exponent = value.as_tuple().exponent
    return decimal_text(value.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent > -2 else value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _print_checks(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2))
        return
    table = Table(
        "tenant",
        "supplier",
        "invoice",
        "lines",
        "linked",
        "not delivered",
        "deviations",
        "overcharge",
        "not in catalog",
        "cannot compare",
    )
    for r in rows:
        table.add_row(
            r["tenant_id"],
            r["supplier_id"],
            r["invoice_number"],
            str(r["lines"]),
            str(r["matched_lines"]),
            str(r["not_delivered_lines"]),
            str(r["deviations"]),
            _money(r["overcharge_total"]),
            str(r["not_in_catalog"]),
            str(r["cannot_compare"]),
        )
    Console(width=180).print(table)


@app.command("deviations")
def deviations_cmd(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    since: Annotated[str | None, typer.Option(help="Invoices issued on or after this date (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Invoice lines charged at another net price than agreed, beyond the tenant's tolerance."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
    rows = deviations(runtime.erp_engine, tenant, date.fromisoformat(since) if since else None)
    if as_json:
        typer.echo(json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2))
        return
    table = Table("tenant", "supplier", "invoice", "line", "invoiced / unit", "agreed / unit", "diff", "overcharge")
    for r in rows:
        table.add_row(
            r["tenant_id"],
            r["supplier_id"],
            r["invoice_number"],
            r["line_id"],
            f"{_money(r['invoiced_unit_price'])} / {r['base_unit']}",
            f"{_money(r['expected_unit_price'])} / {r['base_unit']}",
            f"{r['difference_percent']:+} %",
            _money(r["overcharge"]),
        )
    Console(width=180).print(table)
    typer.echo(f"total overcharge: {_money(sum((r['overcharge'] for r in rows), Decimal(0)))}")


@app.command("uninvoiced")
def uninvoiced(ctx: typer.Context, tenant: Annotated[str, typer.Option(help="The tenant.")]) -> None:
    """Delivered rows that no invoice has billed yet."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
    rows = delivered_not_invoiced(runtime.erp_engine, tenant)
    typer.echo(json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2))
