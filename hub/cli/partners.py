"""``hub partners``: what the partners file configures — for now the AS2 certificates and their expiry."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.cli.context import Ctx
from hub.connectors.as2.certs import WARN_DAYS, Certificate, configured_certificates
from hub.db.types import utcnow
from hub.partners import load_partners

app = typer.Typer(help="Inspect trading partners from the partners file.", no_args_is_help=True)


@app.command("certs")
def certs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per certificate.")] = False,
) -> None:
    """List every AS2 certificate (station and partners) with its window and days to expiry; ⚠ under 30 days."""
    obj: Ctx = ctx.obj
    partners = load_partners(obj.settings.partners_file)
    profiles = [(w.id, w.as2) for w in partners.wholesalers if w.as2 is not None]
    found = configured_certificates(partners.data.as2_station, profiles)
    if as_json:
        typer.echo(json.dumps([_row(c) for c in found], indent=2))
        return
    if not found:
        typer.echo("no AS2 certificates configured")
        return
    now = utcnow()
    table = Table("owner", "usage", "subject", "serial", "valid from", "valid to", "days left", "")
    for cert in found:
        days = cert.days_to_expiry(now)
        table.add_row(
            cert.owner, ",".join(cert.usage), cert.subject, cert.serial_hex,
            cert.window_from.isoformat(timespec="seconds"), cert.window_to.isoformat(timespec="seconds"),
            str(days), "⚠" if days < WARN_DAYS else "",
        )  # fmt: skip
    Console(width=200).print(table)


def _row(cert: Certificate) -> dict[str, str | int]:
    return {
        "owner": cert.owner,
        "usage": ",".join(cert.usage),
        "subject": cert.subject,
        "serial": cert.serial_hex,
        "valid_from": cert.window_from.isoformat(timespec="seconds"),
        "valid_to": cert.window_to.isoformat(timespec="seconds"),
        "days_to_expiry": cert.days_to_expiry(utcnow()),
        "file": str(cert.path),
    }
