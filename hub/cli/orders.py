"""``hub erp workorders``, ``hub erp orderrows`` and ``hub orders``: work orders and rows from pick-ups."""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.cli.context import Ctx
from hub.cli.erp import _json_default, _money
from hub.errors import ConfigError
from hub.orders.matching import Match
from hub.pipeline.lineage import provenance_of
from hub.pipeline.orders import open_envelope
from hub.sinks.erp.orders import (
    add_work_order,
    close_work_order,
    open_unmatched,
    open_work_orders,
    resolve_unmatched,
    rows_of,
)

workorders_app = typer.Typer(
    help="Work orders the ERP has open (rows from pick-ups land on these).", no_args_is_help=True
)
orders_app = typer.Typer(help="Deliveries that matched no open work order, and assigning them.", no_args_is_help=True)
Tenant = Annotated[str, typer.Option(help="The contractor (tenant) the work order belongs to.")]


def _runtime(ctx: typer.Context) -> Any:
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
    return runtime


@workorders_app.command("add")
def add(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The ERP's work-order number, e.g. 19271.")],
    tenant: Tenant,
    customer: Annotated[str | None, typer.Option(help="End customer's name.")] = None,
    description: Annotated[str | None, typer.Option(help="What the job is.")] = None,
) -> None:
    """Open a work order so that pick-ups naming it become rows on it."""
    runtime = _runtime(ctx)
    if runtime.partners.tenant(tenant) is None:
        raise ConfigError(f"unknown tenant {tenant!r}")
    added = add_work_order(runtime.erp_engine, tenant, number, customer, description)
    typer.echo(f"work order {number} is open" + ("" if added else " (it already was)"))


@workorders_app.command("close")
def close(
    ctx: typer.Context, number: Annotated[str, typer.Argument(help="Work-order number.")], tenant: Tenant
) -> None:
    """Close a work order: later pick-ups naming it go to the unmatched list."""
    closed = close_work_order(_runtime(ctx).erp_engine, tenant, number)
    typer.echo(f"work order {number} is closed" if closed else f"work order {number} was not open")
    if not closed:
        raise typer.Exit(1)


@workorders_app.command("list")
def list_open(ctx: typer.Context, tenant: Tenant) -> None:
    """The open work orders of a tenant."""
    for number in sorted(open_work_orders(_runtime(ctx).erp_engine, tenant)):
        typer.echo(number)


def orderrows(
    ctx: typer.Context,
    tenant: Tenant,
    workorder: Annotated[str | None, typer.Option(help="Only this work order.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rows on work orders: article, quantity delivered, purchase and sales price, source document and line."""
    rows = rows_of(_runtime(ctx).erp_engine, tenant, workorder)
    if as_json:
        typer.echo(json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2))
        return
    table = Table(
        "work order",
        "wholesaler",
        "document",
        "line",
        "article",
        "description",
        "qty",
        "purchase",
        "sales",
        "rule",
        "flag",
    )
    for r in rows:
        table.add_row(
            r["work_order"],
            r["wholesaler_id"],
            r["document_number"],
            f"{r['line_id']}/{r['seq']}",
            r["article_number"] or "",
            r["description"] or "",
            f"{r['quantity']} {r['unit_code'] or ''}",
            _price(r["purchase_unit_price"]),
            _price(r["sales_unit_price"]),
            r["match_rule"],
            r["price_flag"] or "",
        )
    Console(width=200).print(table)


def _price(value: Any) -> str:
    return "" if value is None else _money(value)


@orders_app.command("unmatched")
def unmatched(ctx: typer.Context, tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None) -> None:
    """Deliveries (or lines) that named no open work order."""
    items = open_unmatched(_runtime(ctx).erp_engine, tenant)
    if not items:
        typer.echo("nothing unmatched")
        return
    for item in items:
        where = "whole document" if not item["line_id"] else f"line {item['line_id']}"
        typer.echo(
            f"{item['tenant_id']}  {item['wholesaler_id']}  {item['document_number']}  {where}: {item['references']}"
        )


@orders_app.command("assign")
def assign(
    ctx: typer.Context,
    document: Annotated[str, typer.Argument(help="Document number (or document id) on the unmatched list.")],
    workorder: Annotated[str, typer.Option(help="The work order the delivery belongs to.")],
    tenant: Annotated[str | None, typer.Option(help="The tenant, when the document number is not unique.")] = None,
    by: Annotated[str, typer.Option(help="Who assigns it (recorded on the rows).")] = "",
) -> None:
    """Put an unmatched delivery on a work order; its rows are priced and written exactly as if it had matched."""
    runtime = _runtime(ctx)
    items = open_unmatched(runtime.erp_engine, tenant, document)
    if not items:
        raise ConfigError(f"nothing unmatched for {document!r}" + (f" of tenant {tenant}" if tenant else ""))
    if len({i["tenant_id"] for i in items}) > 1:
        raise ConfigError(f"{document!r} is unmatched for several tenants; give --tenant")
    who = by or getpass.getuser()
    value, headers = open_envelope(items[0]["payload"])
    stage = runtime.orders_stage()
    lines = None if any(i["line_id"] == "" for i in items) else {i["line_id"] for i in items}
    match = Match(workorder, f"assigned by {who}", "manual", document)
    applied = stage.apply(
        stage.decode(value), provenance_of(headers), items[0]["payload"], forced=match, only_lines=lines
    )
    resolve_unmatched(runtime.erp_engine, [i["id"] for i in items], workorder, who)
    typer.echo(f"{document}: {len(applied.rows)} row(s) on work order {workorder} ({', '.join(applied.rows)})")
