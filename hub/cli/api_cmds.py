"""``hub tokens create|list|revoke`` (API bearer tokens) and ``hub api`` (run only the HTTP API)."""

from __future__ import annotations

import json
import signal
import threading
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.api.server import LOOPBACK, ApiServer
from hub.api.tokens import TokenInfo, TokenStore, migrate, parse_scopes
from hub.cli.context import Ctx
from hub.db.types import utcnow

tokens_app = typer.Typer(help="Bearer tokens of the HTTP API (stored hashed; shown once).", no_args_is_help=True)


def _store(ctx: typer.Context) -> tuple[TokenStore, Ctx]:
    obj: Ctx = ctx.obj
    engine = obj.runtime().state_engine
    migrate(engine)
    return TokenStore(engine), obj


@tokens_app.command("create")
def create(
    ctx: typer.Context,
    scope: Annotated[list[str], typer.Option("--scope", help="'admin' or 'tenant:<tenant id>'; repeatable.")],
    name: Annotated[str, typer.Option(help="Who or what uses the token, e.g. 'erp-nordstrom'.")],
    expires_days: Annotated[int | None, typer.Option(min=1, help="Expire after this many days.")] = None,
) -> None:
    """Create a token and print it once on stdout (only its SHA-256 is stored: keep it now)."""
    store, obj = _store(ctx)
    scopes = parse_scopes(scope, lambda t: obj.runtime().partners.tenant(t) is not None)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    issued = store.create(name, scopes, expires)
    typer.echo(issued.token)
    typer.echo(
        f"created token {issued.info.id} '{name}' with scopes {' '.join(scopes)}"
        + (f", expires {expires:%Y-%m-%d %H:%M} UTC" if expires else "")
        + " — store it now: it cannot be shown again",
        err=True,
    )


@tokens_app.command("list")
def list_tokens(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every token: id, name, scopes, the first characters, when created, last used, state."""
    store, _obj = _store(ctx)
    tokens, now = store.list(), utcnow()
    if as_json:
        typer.echo(json.dumps([_token_json(t, now) for t in tokens], ensure_ascii=False, indent=2))
        return
    table = Table("id", "name", "scopes", "starts with", "created", "expires", "last used", "state")
    for t in tokens:
        table.add_row(
            t.id, t.name, " ".join(t.scopes), f"{t.token_prefix}…", _when(t.created_at), _when(t.expires_at),
            _when(t.last_used_at), t.state(now),
        )  # fmt: skip
    Console(width=160).print(table)


@tokens_app.command("revoke")
def revoke(
    ctx: typer.Context, token: Annotated[str, typer.Argument(help="Token id (see hub tokens list) or unique name.")]
) -> None:
    """Revoke a token: the API answers 401 to it from now on."""
    store, _obj = _store(ctx)
    info = store.revoke(token)
    typer.echo(f"revoked token {info.id} '{info.name}'")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to bind; keep loopback unless a proxy fronts it.")] = LOOPBACK,
    port: Annotated[int | None, typer.Option(help="Port; default HUB_API_PORT.")] = None,
) -> None:
    """Run only the HTTP API (reads the databases; needs no agents). Ctrl-C or SIGTERM stops it."""
    obj: Ctx = ctx.obj
    runtime = obj.runtime()
    runtime.migrate()
    server = ApiServer(runtime, host, obj.settings.api_port if port is None else port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a container stop: finish requests, then exit
    server.start()
    typer.echo(f"grossisthub API on {server.url} (OpenAPI: {server.url}/docs) — Ctrl-C stops it", err=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        runtime.close()


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def _token_json(t: TokenInfo, now: datetime) -> dict[str, object]:
    return {
        "id": t.id, "name": t.name, "scopes": list(t.scopes), "token_prefix": t.token_prefix,
        "created_at": t.created_at.isoformat(), "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None, "state": t.state(now),
    }  # fmt: skip
