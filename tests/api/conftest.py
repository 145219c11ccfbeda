"""Fixtures of the API tests: a runtime on SQLite or the real PostgreSQL, the app, tokens, seeded data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.api.tokens import TokenStore
from hub.runtime import Runtime
from tests.api.seed import Seeded, seed_dead_letter, seed_invoice
from tests.support import make_runtime, make_settings

A, B = "nordstrom", "example-buyer"


@dataclass(frozen=True)
class World:
    """Two tenants with one invoice each, a forwarded document of A with a dead letter, three tokens."""

    a: Seeded
    b: Seeded
    a_failed: str  # a document A forwarded that was dead-lettered
    central_failed: str  # a central delivery that was dead-lettered (nobody's document)
    admin: str
    token_a: str
    token_b: str


def build_runtime(
    tmp_path: Path, unique: str, erp_url: str | None, bootstrap: str | None, state_url: str | None = None
) -> Runtime:
    settings = make_settings(
        tmp_path, bootstrap_servers=bootstrap, unique=unique, erp_url=erp_url, state_database_url=state_url
    )
    return make_runtime(settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> Iterator[Runtime]:
    erp_url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    # No broker: these tests read the databases; readiness tests bring their own.
    rt = build_runtime(tmp_path, unique, erp_url, "127.0.0.1:9")
    yield rt
    rt.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(runtime: Runtime, app: FastAPI) -> World:
    tokens = TokenStore(runtime.state_engine)
    return World(
        a=seed_invoice(runtime, A, "A-100"),
        b=seed_invoice(runtime, B, "B-200"),
        a_failed=seed_dead_letter(runtime, tenant_scope=A),
        central_failed=seed_dead_letter(runtime),
        admin=tokens.create("ops", ("admin",)).token,
        token_a=tokens.create("erp-a", (f"tenant:{A}",)).token,
        token_b=tokens.create("erp-b", (f"tenant:{B}",)).token,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
