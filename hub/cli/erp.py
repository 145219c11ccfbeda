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
from hub.sinks.erp.queries import list_invoices

app = typer.Typer(help="Read the ERP reference schema the hub writes (supplier invoices, …).", no_args_is_help=True)


@app.command("invoices")
def invoices(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's invoices.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON with lines and VAT breakdown.")] = False,
) -> None:
    """List supplier invoices in the ERP database."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
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
