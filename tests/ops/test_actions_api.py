"""The format-fix story through the HTTP API (POST /admin/replays, /admin/dead-letters/retry, /admin/redeliveries,
GET /admin/audit) on the real broker, SQLite and PostgreSQL: the same guarantees as the CLI — a reason is
mandatory, only admins act, a dry run publishes nothing, replaying twice changes nothing, and the audit names
the token and the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.api.tokens import TokenStore
from hub.formats.registry import install_extra_translators
from hub.runtime import Runtime
from hub.sinks.erp.tables import supplier_invoice
from tests.ops.pipeline import Hub
from tests.ops.translators import BUGGY, DEMO, FIXED, variant

pytestmark = pytest.mark.integration
REASON = "translator v2 fixes the price base quantity"


@pytest.fixture
def runtime(runtime_each_erp: Runtime) -> Iterator[Runtime]:
    yield runtime_each_erp
    install_extra_translators(None)


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


def _headers(runtime: Runtime, *scopes: str, name: str = "ops-portal") -> dict[str, str]:
    return {"Authorization": f"Bearer {TokenStore(runtime.state_engine).create(name, scopes).token}"}


def _post(api: TestClient, path: str, headers: dict[str, str], **body: Any) -> Any:
    response = api.post(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_replay_retry_redeliver_and_audit_over_http(
    runtime: Runtime, api: TestClient, bootstrap_servers: str, unique: str
) -> None:
    hub = Hub(runtime, bootstrap_servers, unique)
    install_extra_translators(BUGGY)
    a, _ = hub.take(DEMO, "F2026-1187.xml")
    b, outcome_b = hub.take(variant("F2026-1188", price=b"29.75", base=b"2.5"), "F2026-1188.xml")
    assert outcome_b == "dead_lettered"
    assert [o for _, o in hub.sink()] == ["inserted"]
    admin = _headers(runtime, "admin")

    # Refused before anything happens: no reason, nothing chosen, a tenant's token, an unknown document.
    refused = api.post("/admin/replays", json={"documents": [a]}, headers=admin)
    assert refused.status_code == 400 and refused.json()["error"]["details"][0]["location"] == "body.reason"
    nothing = api.post("/admin/replays", json={"reason": REASON}, headers=admin)
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (400, "NOTHING_SELECTED")
    tenant = _headers(runtime, "tenant:nordstrom", name="erp-nordstrom")
    assert api.post("/admin/replays", json={"reason": REASON, "all": True}, headers=tenant).status_code == 403
    unknown = "01a24297-0000-7000-8000-000000000000"
    missing = api.post("/admin/replays", json={"reason": REASON, "documents": [unknown]}, headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "UNKNOWN_DOCUMENT")

    # Version 2 deployed: the dry run (the default) shows the diff and publishes nothing.
    install_extra_translators(FIXED)
    preview = _post(api, "/admin/replays", admin, reason=REASON, documents=[a])
    assert preview["dry_run"] is True
    [doc] = preview["documents"]
    assert doc["records"][0]["outcome"] == "updated"
    assert doc["records"][0]["changes"][0] == {
        "field": "line 1 unit_price", "old": "119000", "new": "1190", "amount": True,
    }  # fmt: skip
    assert len(hub.read(runtime.topics.invoice)) == 1

    # The replay publishes v2 events; the sink makes the ERP right; a second replay changes nothing.
    done = _post(api, "/admin/replays", admin, reason=REASON, documents=[a], dry_run=False)
    assert [d["outcome"] for d in done["documents"]] == ["translated"]
    assert [o for _, o in hub.sink()] == ["updated"]
    assert hub.erp()["F2026-1187"]["lines"][0]["unit_price"] == Decimal("1190")
    _post(api, "/admin/replays", admin, reason="again", documents=[a], dry_run=False)
    assert [o for _, o in hub.sink()] == ["unchanged"]

    # A filter that matches no dead letter retries nothing (not "everything"), and records no run.
    nothing = _post(api, "/admin/dead-letters/retry", admin, reason=REASON, codes=["NO_SUCH_CODE"], dry_run=False)
    assert (nothing["run_id"], nothing["documents"]) == (None, [])

    # The dead letter is retried by its code; the invoice appears.
    retried = _post(api, "/admin/dead-letters/retry", admin, reason=REASON, codes=["INVALID_VALUE"], dry_run=False)
    assert [d["document_id"] for d in retried["documents"]] == [b]
    assert [o for _, o in hub.sink()] == ["inserted"]
    assert sorted(hub.erp()) == ["F2026-1187", "F2026-1188"]

    # Redeliver after an ERP restore that lost F2026-1187: the recorded event comes back, once.
    with runtime.erp_engine.begin() as conn:
        conn.execute(supplier_invoice.delete().where(supplier_invoice.c.invoice_number == "F2026-1187"))
    again = _post(api, "/admin/redeliveries", admin, reason="ERP restored from backup", documents=[a])
    assert [e["outcome"] for e in again["events"]] == ["inserted"]
    assert hub.erp()["F2026-1187"]["lines"][0]["unit_price"] == Decimal("1190")

    # The audit: every run, newest first, with the token's name and the reason; one run in detail.
    runs = api.get("/admin/audit", headers=admin).json()
    assert [(r["action"], r["dry_run"], r["reason"]) for r in runs] == [
        ("redeliver", False, "ERP restored from backup"),
        ("dlq-retry", False, REASON),
        ("replay", False, "again"),
        ("replay", False, REASON),
        ("replay", True, REASON),
    ]
    assert {r["operator"] for r in runs} == {"api:ops-portal"} and {r["status"] for r in runs} == {"done"}
    detail = api.get(f"/admin/audit/{runs[3]['run_id']}", headers=admin).json()
    assert [(i["document_id"], i["outcome"]) for i in detail["items"]] == [(a, "translated")]
    assert api.get(f"/admin/audit/{unknown}", headers=admin).json()["error"]["code"] == "UNKNOWN_RUN"
