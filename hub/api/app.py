"""``create_app(runtime)``: the hub's HTTP API as an ASGI app (FastAPI), with its OpenAPI document at
``/openapi.json`` and interactive docs at ``/docs``.

Routes: health and metrics (no token), ``/me`` and ``/tenants/{tenant_id}/…`` (token with ``tenant:<id>`` or
``admin``), ``/admin/…`` (``admin``). Every error answers ``{"error": {"code", "message"}}``; see docs/api.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from hub import __version__
from hub.api import routes_actions, routes_admin, routes_health, routes_ops, routes_tenant
from hub.api.deps import ApiContext, known_query_only
from hub.api.errors import install_error_handlers
from hub.api.health import Probes, default_probes
from hub.api.tokens import TokenStore, migrate
from hub.runtime import Runtime

DESCRIPTION = (
    "Tenant-scoped reads for ERP consumers (supplier invoices, net prices, document status); operations for "
    "admins: ledger documents, trails, dead letters, and audited replay, dead-letter retry and redelivery. "
    "Authenticate with "
    "`Authorization: Bearer <token>`; tokens come from `hub tokens create`."
)


def create_app(runtime: Runtime, *, probes: Probes | None = None) -> FastAPI:
    """The API over ``runtime``'s databases; applies the API's own migration (tokens) first."""
    migrate(runtime.state_engine)
    app = _app(
        runtime, probes, title="grossisthub API", description=DESCRIPTION, dependencies=[Depends(known_query_only)]
    )
    for router in (routes_health.router, routes_tenant.router, routes_ops.router, routes_admin.router,
                   routes_actions.router):  # fmt: skip
        app.include_router(router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def create_health_app(runtime: Runtime, *, probes: Probes | None = None) -> FastAPI:
    """Only ``/livez``, ``/readyz`` and ``/metrics``: what a ``hub run`` role serves for its orchestrator and
    Prometheus (its own counters: work is counted in the process that does it)."""
    app = _app(runtime, probes, title="grossisthub role health", openapi_url=None)
    app.include_router(routes_health.router)
    return app


def _app(runtime: Runtime, probes: Probes | None, **options: Any) -> FastAPI:
    """A FastAPI app with the hub's context (probes closed on shutdown) and error envelope, no routes yet."""
    context = ApiContext(runtime, TokenStore(runtime.state_engine), probes or default_probes(runtime))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        context.probes.close()

    app = FastAPI(version=__version__, lifespan=lifespan, **options)
    app.state.hub = context
    install_error_handlers(app)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document without its 422 answers: invalid input is a 400 with the error envelope here."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema
