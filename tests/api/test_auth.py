"""Tokens and tenancy: no token → 401, another tenant's data → 403, another tenant's ids → 404 (SQLite and
PostgreSQL); tokens are stored hashed, revoked and expired tokens stop working."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.tokens import TokenStore, api_token, migrate, parse_scopes, token_hash
from hub.db.types import utcnow
from hub.errors import ConfigError
from hub.runtime import Runtime
from tests.api.conftest import A, B, World, bearer

TENANT_ROUTES = ["/tenants/{t}/invoices", "/tenants/{t}/invoices/{invoice}", "/tenants/{t}/prices/1416002",
                 "/tenants/{t}/documents/{document}"]  # fmt: skip
ADMIN_ROUTES = ["/admin/documents", "/admin/documents/{document}", "/admin/documents/{document}/trail",
                "/admin/dead-letters", "/admin/dead-letters/groups", "/admin/dead-letters/1"]  # fmt: skip


def _paths(world: World, tenant: str) -> list[str]:
    seeded = world.a if tenant == A else world.b
    fill = {"t": tenant, "invoice": seeded.invoice_id, "document": seeded.document_id}
    return [p.format(**fill) for p in TENANT_ROUTES]


def test_no_token_is_401_with_a_bearer_challenge(client: TestClient, world: World) -> None:
    for path in [*_paths(world, A), *[p.format(document=world.a.document_id) for p in ADMIN_ROUTES], "/me"]:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Bearer ghub_not-a-real-token", "Bearer nonsense", "Basic dXNlcjpwdw=="])
def test_a_bad_token_is_401(client: TestClient, world: World, header: str) -> None:
    response = client.get(f"/tenants/{A}/invoices", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("INVALID_TOKEN", "UNAUTHENTICATED")


def test_tenant_token_gets_403_on_every_route_of_another_tenant(client: TestClient, world: World) -> None:
    for path in _paths(world, B):
        response = client.get(path, headers=bearer(world.token_a))
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "FORBIDDEN"
        assert B in response.json()["error"]["message"]
    # also for a tenant that does not exist: 403 before 404, no tenant's existence leaks
    assert client.get("/tenants/no-such-tenant/invoices", headers=bearer(world.token_a)).status_code == 403


def test_tenant_b_invoice_is_forbidden_to_a_and_readable_by_b(client: TestClient, world: World) -> None:
    path = f"/tenants/{B}/invoices/{world.b.invoice_id}"
    assert client.get(path, headers=bearer(world.token_a)).status_code == 403
    response = client.get(path, headers=bearer(world.token_b))
    assert response.status_code == 200
    assert (response.json()["tenant_id"], response.json()["invoice_number"]) == (B, "B-200")


def test_ids_of_another_tenant_under_ones_own_tenant_are_404(client: TestClient, world: World) -> None:
    invoice = client.get(f"/tenants/{A}/invoices/{world.b.invoice_id}", headers=bearer(world.token_a))
    assert (invoice.status_code, invoice.json()["error"]["code"]) == (404, "UNKNOWN_INVOICE")
    document = client.get(f"/tenants/{A}/documents/{world.b.document_id}", headers=bearer(world.token_a))
    assert (document.status_code, document.json()["error"]["code"]) == (404, "UNKNOWN_DOCUMENT")
    central = client.get(f"/tenants/{A}/documents/{world.central_failed}", headers=bearer(world.token_a))
    assert central.status_code == 404  # a central delivery that failed is the operator's business
    listed = client.get(f"/tenants/{A}/invoices", headers=bearer(world.token_a)).json()
    assert [i["invoice_number"] for i in listed["items"]] == ["A-100"]


def test_tenant_tokens_cannot_use_admin_operations(client: TestClient, world: World) -> None:
    for path in ADMIN_ROUTES:
        response = client.get(path.format(document=world.a.document_id), headers=bearer(world.token_a))
        assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")


def test_admin_reads_every_tenant_and_unknown_tenants_are_404(client: TestClient, world: World) -> None:
    for tenant in (A, B):
        for path in _paths(world, tenant):
            assert client.get(path, headers=bearer(world.admin)).status_code == 200, path
    response = client.get("/tenants/no-such-tenant/invoices", headers=bearer(world.admin))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "UNKNOWN_TENANT")


def test_a_token_with_two_tenant_scopes_reads_both(client: TestClient, runtime: Runtime, world: World) -> None:
    both = TokenStore(runtime.state_engine).create("group", (f"tenant:{A}", f"tenant:{B}")).token
    assert client.get(f"/tenants/{B}/invoices/{world.b.invoice_id}", headers=bearer(both)).status_code == 200
    assert client.get(f"/tenants/{A}/invoices/{world.a.invoice_id}", headers=bearer(both)).status_code == 200
    assert client.get("/me", headers=bearer(both)).json()["scopes"] == [f"tenant:{B}", f"tenant:{A}"]


def test_tokens_are_stored_hashed_and_revocation_and_expiry_apply(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    store = TokenStore(runtime.state_engine)
    issued = store.create("short-lived", (f"tenant:{A}",))
    with runtime.state_engine.connect() as conn:
        stored = conn.execute(select(api_token).where(api_token.c.id == issued.info.id)).one()
    assert stored.token_hash == token_hash(issued.token) and issued.token not in stored._mapping.values()
    path = f"/tenants/{A}/invoices"
    assert client.get(path, headers=bearer(issued.token)).status_code == 200
    assert store.get(issued.info.id).last_used_at is not None
    store.revoke(issued.info.id)
    revoked = client.get(path, headers=bearer(issued.token))
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    assert "revoked" in revoked.json()["error"]["message"]
    expired = store.create("expired", (f"tenant:{A}",), expires_at=utcnow() - timedelta(seconds=1))
    assert "expired" in client.get(path, headers=bearer(expired.token)).json()["error"]["message"]


def test_scopes_are_validated_against_the_partners_file() -> None:
    known = {A, B}.__contains__
    assert parse_scopes(["admin", f"tenant:{A}", "admin"], known) == ("admin", f"tenant:{A}")
    for bad in (["tenant:unknown"], ["root"], ["tenant:"], []):
        with pytest.raises(ConfigError):
            parse_scopes(bad, known)


def test_revoke_by_name_needs_a_unique_active_name(runtime: Runtime) -> None:
    migrate(runtime.state_engine)
    store = TokenStore(runtime.state_engine)
    first, _second = store.create("twin", ("admin",)), store.create("twin", ("admin",))
    with pytest.raises(ConfigError, match="several active tokens"):
        store.revoke("twin")
    store.revoke(first.info.id)
    assert store.revoke("twin").revoked_at is not None  # now only one active token has the name
    with pytest.raises(ConfigError, match="no active token"):
        store.revoke("twin")
