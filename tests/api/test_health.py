"""/livez, /readyz against the real broker and databases (and dead ones), the API server on a real socket,
and the API's own migration."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, inspect

from hub.api import ApiServer, create_app
from hub.api.health import Probe, Probes, default_probes
from hub.api.migrations import API_MIGRATIONS
from hub.api.tokens import metadata as api_metadata
from hub.db.engine import make_engine
from hub.db.migrate import upgrade
from hub.runtime import Runtime
from tests.api.conftest import build_runtime

DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:9/none"


@pytest.fixture
def live(tmp_path: Path, unique: str, postgres_url: str, bootstrap_servers: str) -> Iterator[Runtime]:
    # ERP on PostgreSQL, hub state on SQLite: two databases, two checks
    state_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    rt = build_runtime(tmp_path, unique, postgres_url, bootstrap_servers, state_url)
    yield rt
    rt.close()


def test_ready_when_broker_and_databases_answer(live: Runtime) -> None:
    with TestClient(create_app(live)) as client:
        assert client.get("/livez").json() == {"status": "ok"}
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["status"], report["failed"]) == ("ready", [])
    assert {c["name"] for c in report["checks"]} == {"state_database", "erp_database", "broker"}


def test_503_names_the_broker_when_it_is_down(tmp_path: Path, unique: str) -> None:
    rt = build_runtime(tmp_path, unique, None, "127.0.0.1:9")  # nothing listens on port 9
    with TestClient(create_app(rt, probes=default_probes(rt, timeout_s=1.0))) as client:
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 3
    rt.close()
    assert response.status_code == 503
    report = response.json()
    assert (report["status"], report["failed"]) == ("unavailable", ["broker"])
    [broker] = [c for c in report["checks"] if c["name"] == "broker"]
    assert not broker["ok"] and "127.0.0.1:9" in broker["detail"]


def test_503_names_the_database_when_it_is_down(live: Runtime) -> None:
    class DeadDatabase:
        settings, partners, bootstrap_servers = live.settings, live.partners, live.bootstrap_servers
        state_engine = erp_engine = make_engine(DEAD_POSTGRES)

    with TestClient(create_app(live, probes=default_probes(DeadDatabase(), timeout_s=1.5))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    [db] = [c for c in response.json()["checks"] if c["name"] == "database"]
    assert "OperationalError" in db["detail"]


def test_a_hung_dependency_times_out() -> None:
    def hangs() -> str:
        time.sleep(3)
        return "late"

    probes = Probes([Probe("slow", hangs), Probe("fast", lambda: "ok")], timeout_s=0.2)
    started = time.monotonic()
    report = asyncio.run(probes.readiness())
    probes.close()
    assert time.monotonic() - started < 1
    assert report.failed == ["slow"] and "no answer within 0.2s" in report.checks[0].detail


def test_server_binds_loopback_serves_and_stops(tmp_path: Path, unique: str) -> None:
    rt = build_runtime(tmp_path, unique, None, "127.0.0.1:9")
    server = ApiServer(rt, port=0)
    server.start()
    try:
        assert server.host == "127.0.0.1" and server.port
        assert httpx.get(f"{server.url}/livez", timeout=5).json() == {"status": "ok"}
        assert httpx.get(f"{server.url}/me", timeout=5).status_code == 401
    finally:
        server.stop()
        rt.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/livez", timeout=2)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_api_migration_builds_the_token_table(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    assert upgrade(engine, "api", API_MIGRATIONS) == [1]
    assert upgrade(engine, "api", API_MIGRATIONS) == []
    assert _columns(api_metadata) == {t: {c["name"] for c in inspect(engine).get_columns(t)} for t in ["hub_api_token"]}
    engine.dispose()


def _columns(metadata: MetaData) -> dict[str, set[str]]:
    return {name: {c.name for c in table.columns} for name, table in metadata.tables.items()}
