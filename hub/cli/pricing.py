"""``hub price`` and ``hub pricelist``: what a tenant pays, and the versions behind it (diff, rollback)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from hub.canonical.codec import decimal_text, to_avro, to_json
from hub.canonical.pricelist import PriceListVersion
from hub.cli.context import Ctx
from hub.errors import ConfigError
from hub.pricing.netprice import NetPrice, net_price, pick_agreement
from hub.runtime import resolve_bootstrap
from hub.sinks.catalog.queries import agreements, diff, lookup, versions
from hub.sinks.catalog.writer import rollback

pricelist_app = typer.Typer(help="Price-list versions in the catalog: list, diff, rollback.", no_args_is_help=True)
DateOption = Annotated[str | None, typer.Option("--date", help="Price on this day (YYYY-MM-DD); default today.")]


def price(
    ctx: typer.Context,
    article: Annotated[str, typer.Argument(help="Article number (E-nummer, RSK, NRF, wholesaler number) or GTIN.")],
    tenant: Annotated[
        str, typer.Option(help="The contractor whose agreements apply (required: prices are per tenant).")
    ],
    wholesaler: Annotated[
        str | None, typer.Option(help="Only this wholesaler; default every one, cheapest first.")
    ] = None,
    day: DateOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Net price of ARTICLE for a tenant: list price, the discount rule that applied, net price and unit —
    from every wholesaler that has it (matched by the same industry number or GTIN), cheapest first."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
    tenant_cfg = runtime.partners.tenant(tenant)
    if tenant_cfg is None:
        raise ConfigError(f"unknown tenant {tenant!r} in {obj.settings.partners_file}")
    # Effective dates are local calendar dates of the tenant (DESIGN §9.6), not the server's UTC date.
    when = date.fromisoformat(day) if day else datetime.now(ZoneInfo(tenant_cfg.timezone)).date()
    results = _net_prices(runtime.erp_engine, tenant, article, when, wholesaler, tenant_cfg.discount_combination)
    if as_json:
        typer.echo(json.dumps([to_json(r) for r in results], ensure_ascii=False, indent=2))
        return
    if not results:
        typer.echo(f"no price for {article} for tenant {tenant} on {when}")
        raise typer.Exit(1)
    _print_prices(results, article, tenant, when)


def _net_prices(
    engine: Any, tenant: str, article: str, when: date, wholesaler: str | None, rule: Any
) -> list[NetPrice]:
    results = []
    for item in lookup(engine, tenant, article, when, wholesaler):
        agreement = pick_agreement(agreements(engine, tenant, item.wholesaler_id), when)
        results.append(net_price(item, agreement, rule))
    return sorted(results, key=lambda r: (r.unit_code or "", r.net_unit_price, r.wholesaler_id))


def _print_prices(results: list[NetPrice], article: str, tenant: str, when: date) -> None:
    table = Table("wholesaler", "article", "type", "description", "list price", "per", "rule", "discount", "net / unit")
    for r in results:
        table.add_row(
            r.wholesaler_id, r.article_number, r.number_type, r.description or "",
            f"{decimal_text(r.list_price)}", f"{decimal_text(r.price_quantity)} {r.unit_code or r.unit or ''}",
            r.rule.replace("_", " "), f"{decimal_text(r.discount_percent)} %" if r.discount_percent is not None else "",
            f"{decimal_text(r.net_unit_price)} / {r.unit_code or r.unit or '?'}",
        )  # fmt: skip
    console = Console(width=180)
    console.print(f"{article} for {tenant} on {when} (cheapest first; compare only like units)")
    console.print(table)


@pricelist_app.command("list")
def list_versions(
    ctx: typer.Context,
    wholesaler: Annotated[str | None, typer.Option(help="Only this wholesaler.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only central lists and this tenant's own.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Price-list versions, newest first, with status and counts."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
    rows = versions(runtime.erp_engine, wholesaler, tenant)
    if as_json:
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return
    table = Table("version", "wholesaler", "scope", "valid from", "status", "articles", "failed", "removed", "merged")
    for r in rows:
        table.add_row(
            r["version_id"], r["wholesaler_id"], r["scope"], str(r["valid_from"]), r["status"],
            str(r["article_count"] or ""), str(r["failed_lines"] or ""), str(r["removed_count"] or ""),
            "yes" if r["merged_at"] else "no",
        )  # fmt: skip
    Console(width=180).print(table)


@pricelist_app.command("diff")
def diff_versions(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Older version id (see hub pricelist list).")],
    new: Annotated[str, typer.Argument(help="Newer version id.")],
    limit: Annotated[int, typer.Option(help="Rows to show per kind.")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Added, removed and changed articles between two versions, biggest price increases first."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    changes = diff(runtime.erp_engine, old, new)
    if as_json:
        typer.echo(json.dumps([_change(c) for c in changes], default=str, ensure_ascii=False, indent=2))
        return
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in ("changed", "added", "removed")}
    typer.echo(f"{counts['changed']} changed, {counts['added']} added, {counts['removed']} removed")
    table = Table("kind", "article", "description", "old / unit", "new / unit", "change")
    for kind in ("changed", "added", "removed"):
        for c in [c for c in changes if c.kind == kind][:limit]:
            table.add_row(
                kind, c.article_number, c.description or "", _money(c.old_unit_price), _money(c.new_unit_price),
                f"{c.percent:+} %" if c.percent is not None else "",
            )  # fmt: skip
    Console(width=180).print(table)


def _change(c: Any) -> dict[str, Any]:
    return {
        "kind": c.kind, "number_type": c.number_type, "article_number": c.article_number,
        "description": c.description, "old_unit_price": c.old_unit_price, "new_unit_price": c.new_unit_price,
        "unit_code": c.unit_code, "percent": c.percent,
    }  # fmt: skip


def _money(value: Decimal | None) -> str:
    return "" if value is None else decimal_text(value)


@pricelist_app.command("rollback")
def rollback_version(
    ctx: typer.Context,
    wholesaler: Annotated[str, typer.Argument(help="The wholesaler whose last imported list to undo.")],
    reason: Annotated[str, typer.Option(help="Why (kept on the version and in the event).")],
    scope: Annotated[str, typer.Option(help="'central' or a tenant id.")] = "central",
) -> None:
    """Undo the last imported version of a wholesaler's list: the version before it is current again.
    The rollback is also published as an event on hub.pricelist.v1."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime(bootstrap_servers=resolve_bootstrap(obj.settings))
    runtime.migrate()
    undone, now = rollback(runtime.erp_engine, wholesaler, scope, reason)
    if undone is None:
        raise ConfigError(f"no imported price list of {wholesaler!r} (scope {scope}) to roll back")
    event = PriceListVersion(
        version_id=undone.version_id, wholesaler_id=wholesaler, scope=scope, status="ROLLED_BACK",
        valid_from=undone.valid_from, source_document_id=undone.source_document_id, reason=reason,
    )  # fmt: skip
    topic = runtime.topics.pricelist
    payload = runtime.serde.encode(topic, PriceListVersion.TYPE, to_avro(event))
    runtime.publisher.publish_sync(topic, payload, key=f"{wholesaler}|{scope}")
    runtime.close()
    typer.echo(f"rolled back {undone.version_id} (valid from {undone.valid_from}); current again: {now or 'none'}")
