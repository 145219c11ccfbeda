"""``hub``: run the hub, take in files, translate, inspect the ERP tables, check configuration.

Every error the hub raises on purpose is printed as one line ``error[CODE]: message`` (plus
details) without a traceback; the exit status says what kind of failure it was.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hub.cli import api_cmds, erp, ops, ops_cmds, orders, partners, pricing, up
from hub.cli.context import Ctx
from hub.errors import DocumentError, HubError
from hub.formats.registry import install_extra_translators
from hub.logs import configure_logging
from hub.settings import load_settings

app = typer.Typer(
    name="hub",
    help=(
        "grossisthub — takes wholesalers' invoices, price lists and delivery notes (AS2, SFTP, e-mail, upload), "
        "translates them into canonical events on Kafka and writes them idempotently into the ERP database.\n\n"
        "Settings come from HUB_* environment variables (see README); partners and tenants from "
        "HUB_PARTNERS_FILE (default config/partners.yaml)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(erp.app, name="erp")
app.add_typer(ops.topics_app, name="topics")
app.add_typer(ops.config_app, name="config")
app.add_typer(ops.db_app, name="db")
app.add_typer(ops.schemas_app, name="schemas")
app.add_typer(pricing.pricelist_app, name="pricelist")
app.add_typer(partners.app, name="partners")
app.add_typer(orders.orders_app, name="orders")
erp.app.add_typer(orders.workorders_app, name="workorders")
erp.app.command("orderrows")(orders.orderrows)
app.command("price")(pricing.price)
app.command("up")(up.up)
app.command("run")(up.run)
app.command("translate")(ops.translate)
app.command("import")(ops.import_file)
app.add_typer(api_cmds.tokens_app, name="tokens")
app.command("api")(api_cmds.serve)
ops_cmds.register(app)

EXIT_FAILURE = 1
EXIT_DOCUMENT = 2


@app.callback()
def _settings(
    ctx: typer.Context,
    partners: Annotated[
        Path | None, typer.Option("--partners", help="Partners/tenants YAML file (overrides HUB_PARTNERS_FILE).")
    ] = None,
) -> None:
    """Build the settings once; every command receives them through the context."""
    overrides = {"partners_file": partners} if partners else {}
    settings = load_settings(**overrides)
    configure_logging(settings)
    install_extra_translators(settings.extra_translators)  # before any command picks a translator
    ctx.obj = Ctx(settings)


def main() -> None:
    try:
        # Outside standalone mode click returns the code of a typer.Exit instead of raising it.
        result = app(standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except HubError as exc:
        typer.echo(exc.render(), err=True)
        sys.exit(EXIT_DOCUMENT if isinstance(exc, DocumentError) else EXIT_FAILURE)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except typer.exceptions.TyperException as exc:  # usage errors: click-style message, exit 2
        show = getattr(exc, "show", None)
        if show:
            show()
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:  # anything unexpected: one line, no traceback
        typer.echo(
            f"error[INTERNAL]: unexpected {type(exc).__name__}: {exc} (this is a bug; please report it)", err=True
        )
        sys.exit(EXIT_FAILURE)
