"""What every request handler gets: the API context (runtime parts, token store, health probes) and the
caller's :class:`Principal`, checked against the scope a route needs (``admin`` or ``tenant:<id>``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.errors import BEARER_CHALLENGE, ApiError, ErrorDetail
from hub.api.health import Probes
from hub.api.tokens import Principal, TokenStore
from hub.partners import PARTNER_ID, Tenant
from hub.runtime import Runtime


@dataclass(frozen=True)
class ApiContext:
    runtime: Runtime
    tokens: TokenStore
    probes: Probes


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.hub
    return ctx


Context = Annotated[ApiContext, Depends(context)]


def known_query_only(request: Request) -> None:
    """400 for query parameters the operation does not take: a typo such as ``?invoice_numbr=`` must not
    silently answer with every invoice."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = _query_names(request, route)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) or "none"
        details = [ErrorDetail(location=f"query.{name}", message="unknown parameter") for name in unknown]
        message = f"unknown query parameter(s) {', '.join(map(repr, unknown))}; this operation takes: {takes}"
        raise ApiError(400, "INVALID_REQUEST", message, details=details)


def _query_names(request: Request, route: APIRoute) -> frozenset[str]:
    """The query parameters the published OpenAPI document declares for this operation."""
    table: dict[tuple[str, str], frozenset[str]] | None = getattr(request.app.state, "query_names", None)
    if table is None:
        paths = request.app.openapi()["paths"]
        table = {
            (path, method): frozenset(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            for path, operations in paths.items()
            for method, op in operations.items()
        }
        request.app.state.query_names = table
    return table.get((route.path_format, request.method.lower()), frozenset())


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token from `hub tokens create --scope admin|tenant:<id> --name NAME`.",
)


def principal(ctx: Context, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    """The caller; 401 without a valid bearer token."""
    if credentials is None:
        msg = "send 'Authorization: Bearer <token>'; an operator creates one with `hub tokens create`"
        raise ApiError(401, "UNAUTHENTICATED", msg, BEARER_CHALLENGE)
    return ctx.tokens.verify(credentials.credentials)


Caller = Annotated[Principal, Depends(principal)]
TenantId = Annotated[str, Path(pattern=PARTNER_ID, description="Tenant id from the partners file.")]


def admin(caller: Caller) -> Principal:
    if not caller.is_admin:
        raise ApiError(403, "FORBIDDEN", f"token {caller.token_id} ({caller.name}) lacks the 'admin' scope")
    return caller


def tenant(tenant_id: TenantId, caller: Caller, ctx: Context) -> Tenant:
    """The tenant of the path, if the caller may read it: 403 before 404, so no tenant's existence leaks."""
    if not caller.may_read_tenant(tenant_id):
        msg = f"token {caller.token_id} ({caller.name}) may not read tenant {tenant_id!r}"
        raise ApiError(403, "FORBIDDEN", msg)
    found = ctx.runtime.partners.tenant(tenant_id)
    if found is None:
        raise ApiError(404, "UNKNOWN_TENANT", f"no tenant {tenant_id!r} in the partners file")
    return found


Admin = Annotated[Principal, Depends(admin)]
TenantAccess = Annotated[Tenant, Depends(tenant)]
