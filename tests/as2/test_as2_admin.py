"""AS2 tables from their migrations, and `hub partners certs`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import inspect
from typer.testing import CliRunner

from hub.cli import partners as partners_cli
from hub.cli.context import Ctx
from hub.connectors.as2.migrations import AS2_MIGRATIONS
from hub.connectors.as2.store import metadata
from hub.db.engine import make_engine
from hub.db.migrate import upgrade
from hub.settings import load_settings
from tests.as2.conftest import Pki, partner_profile, station
from tests.as2.pki import make_pair
from tests.support import write_partners


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_as2_migrations_build_the_current_tables(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    assert upgrade(engine, "as2", AS2_MIGRATIONS) == [1]
    assert upgrade(engine, "as2", AS2_MIGRATIONS) == []
    inspector = inspect(engine)
    for name, table in metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == {c.name for c in table.columns}, name
    engine.dispose()


def _partners_file(tmp_path: Path, pki: Pki) -> Path:
    soon = make_pair(tmp_path / "certs", "partner-soon", days=12)
    profile = partner_profile(pki)
    profile["certificates"].append({"certificate_file": str(soon.cert_file), "usage": ["verify"]})
    path = write_partners(tmp_path, f"    as2: {json.dumps(profile)}")
    with path.open("a") as out:
        out.write(f"as2_station: {json.dumps(station(pki))}\n")
    return path


def _cli() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(partners_cli.app, name="partners")  # as hub/cli/main.py registers it
    return root


def test_partners_certs_lists_station_and_partner_certificates(tmp_path: Path, pki: Pki) -> None:
    path = _partners_file(tmp_path, pki)
    ctx = Ctx(load_settings(partners_file=path))
    result = CliRunner().invoke(_cli(), ["partners", "certs", "--json"], obj=ctx)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["owner"], r["usage"]) for r in rows] == [
        ("station", "sign,decrypt"), ("elgrossisten-syd", "verify,encrypt"), ("elgrossisten-syd", "verify"),
    ]  # fmt: skip
    assert 10 <= rows[2]["days_to_expiry"] <= 11 and rows[0]["days_to_expiry"] > 300
    table = CliRunner().invoke(_cli(), ["partners", "certs"], obj=ctx)
    assert table.exit_code == 0 and table.output.count("⚠") == 1 and "CN=partner-soon" in table.output


def test_partners_certs_through_the_hub_command_once_registered(tmp_path: Path, pki: Pki) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")}, "HUB_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "--partners", str(_partners_file(tmp_path, pki)), "partners", "certs"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    if "No such command 'partners'" in result.stderr:
        pytest.skip("`hub partners` is not registered in hub/cli/main.py yet (the lead wires it)")
    assert result.returncode == 0, result.stderr
    assert "CN=partner-soon" in result.stdout
