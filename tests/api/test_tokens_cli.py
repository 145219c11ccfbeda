"""``hub tokens create|list|revoke`` as an operator uses them; the printed token works against the API."""

from __future__ import annotations

import json

import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.cli.api_cmds import tokens_app
from hub.cli.context import Ctx
from hub.runtime import Runtime
from tests.api.conftest import A, B, bearer


def _cli(runtime: Runtime) -> typer.Typer:
    """The sub-app as `hub tokens` mounts it: settings (and runtime) come through the context."""
    root = typer.Typer()

    @root.callback()
    def _settings(ctx: typer.Context) -> None:
        ctx.obj = Ctx(runtime.settings, runtime)

    root.add_typer(tokens_app, name="tokens")
    return root


def test_create_prints_the_token_once_and_it_works(runtime: Runtime, client: TestClient) -> None:
    cli, runner = _cli(runtime), CliRunner()
    created = runner.invoke(cli, ["tokens", "create", "--scope", f"tenant:{A}", "--name", "erp-nordstrom"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("ghub_") and len(token) > 40
    assert "cannot be shown again" in created.stderr
    assert client.get(f"/tenants/{A}/invoices", headers=bearer(token)).status_code == 200
    assert client.get(f"/tenants/{B}/invoices", headers=bearer(token)).status_code == 403

    listed = runner.invoke(cli, ["tokens", "list", "--json"])
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["scopes"], row["state"]) == ("erp-nordstrom", [f"tenant:{A}"], "active")
    assert token not in listed.stdout and token.startswith(row["token_prefix"])
    assert "erp-nordstrom" in runner.invoke(cli, ["tokens", "list"]).stdout

    revoked = runner.invoke(cli, ["tokens", "revoke", row["id"]])
    assert revoked.exit_code == 0 and row["id"] in revoked.stdout
    assert client.get(f"/tenants/{A}/invoices", headers=bearer(token)).status_code == 401
    assert json.loads(runner.invoke(cli, ["tokens", "list", "--json"]).stdout)[0]["state"] == "revoked"


def test_unknown_tenants_and_scopes_are_refused(runtime: Runtime) -> None:
    cli, runner = _cli(runtime), CliRunner()
    for scope in ("tenant:nobody", "superuser"):
        result = runner.invoke(cli, ["tokens", "create", "--scope", scope, "--name", "x"])
        assert result.exit_code != 0
        assert "scope" in str(result.exception)
    assert json.loads(runner.invoke(cli, ["tokens", "list", "--json"]).stdout) == []
