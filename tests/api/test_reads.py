"""What ERP consumers and admins read: invoices with lines, net prices equal to `hub price`, document status,
trail-lite and dead letters — and clear 400s for invalid input (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys

from fastapi.testclient import TestClient

from hub.runtime import Runtime
from tests.api.conftest import A, World, bearer
from tests.api.seed import seed_catalog
from tests.conftest import PROJECT_ROOT
from tests.e2e.hubproc import hub_env


def test_invoice_with_lines_vat_and_exact_decimals(client: TestClient, world: World) -> None:
    response = client.get(f"/tenants/{A}/invoices/{world.a.invoice_id}", headers=bearer(world.token_a))
    assert response.status_code == 200
    invoice = response.json()
    assert (invoice["invoice_number"], invoice["supplier_id"], invoice["payable_amount"]) == (
        "A-100", "elgrossisten-syd", "2737",
    )  # fmt: skip
    assert invoice["source_document_id"] == world.a.document_id and invoice["line_count"] == 3
    assert [line["unit_price"] for line in invoice["lines"]] == ["1190", "14.5", "12.735"]
    assert all(isinstance(line["quantity"], str) for line in invoice["lines"])  # decimals never become floats
    assert invoice["vat_breakdown"] and invoice["vat_breakdown"][0]["tax_amount"] == "547.31"


def test_invoice_list_filters_and_pages(client: TestClient, world: World) -> None:
    headers = bearer(world.admin)
    page = client.get(f"/tenants/{A}/invoices?limit=1&offset=0", headers=headers).json()
    assert (page["total"], page["limit"], [i["id"] for i in page["items"]]) == (1, 1, [world.a.invoice_id])
    assert client.get(f"/tenants/{A}/invoices?offset=1", headers=headers).json()["items"] == []
    assert client.get(f"/tenants/{A}/invoices?invoice_number=nope", headers=headers).json()["total"] == 0
    only = client.get(f"/tenants/{A}/invoices?supplier=elgrossisten-syd&invoice_number=A-100", headers=headers)
    assert only.json()["total"] == 1


def test_prices_are_the_same_answer_as_hub_price(client: TestClient, runtime: Runtime, world: World) -> None:
    seed_catalog(runtime, A)
    s = runtime.settings
    env = hub_env(s.data_dir, s.partners_file, HUB_ERP_DATABASE_URL=s.erp_url)
    for article in ("1416002", "1000001", "1823410", "0000000"):
        response = client.get(f"/tenants/{A}/prices/{article}?date=2026-06-01", headers=bearer(world.token_a))
        assert response.status_code == 200, response.text
        cli = subprocess.run(
            [sys.executable, "-m", "hub", "price", article, "--tenant", A, "--date", "2026-06-01", "--json"],
            capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=120, check=True,
        )  # fmt: skip
        assert response.json()["prices"] == json.loads(cli.stdout), article
    by_article = {
        a: client.get(f"/tenants/{A}/prices/{a}?date=2026-06-01", headers=bearer(world.token_a)).json()["prices"]
        for a in ("1416002", "1000001")
    }
    assert [(p["rule"], p["net_unit_price"]) for p in by_article["1416002"]] == [("group_discount", "6.9020")]
    assert [(p["rule"], p["net_unit_price"]) for p in by_article["1000001"]] == [("agreement_net_price", "750.0000")]
    # another tenant has no discount letter: the list price applies
    other = client.get("/tenants/example-buyer/prices/1416002?date=2026-06-01", headers=bearer(world.token_b))
    assert [(p["rule"], p["net_unit_price"]) for p in other.json()["prices"]] == [("list_price", "11.9000")]


def test_document_status_for_the_tenant(client: TestClient, world: World) -> None:
    status = client.get(f"/tenants/{A}/documents/{world.a.document_id}", headers=bearer(world.token_a)).json()
    assert (status["state"], status["partner_id"], status["problems"]) == ("sunk", "elgrossisten-syd", [])
    assert [(i["id"], i["invoice_number"]) for i in status["invoices"]] == [(world.a.invoice_id, "A-100")]
    failed = client.get(f"/tenants/{A}/documents/{world.a_failed}", headers=bearer(world.token_a)).json()
    assert failed["state"] == "dead_lettered" and failed["invoices"] == []
    assert [(p["code"], p["location"]) for p in failed["problems"]] == [("PARSE_ERROR", "line 43")]


def test_admin_trail_documents_and_dead_letters(client: TestClient, world: World) -> None:
    headers = bearer(world.admin)
    trail = client.get(f"/admin/documents/{world.a.document_id}", headers=headers).json()
    assert trail["document"]["state"] == "sunk" and trail["dead_letters"] == []
    assert [(e["record_type"], e["sink_outcome"]) for e in trail["events"]] == [("SupplierInvoice", "inserted")]
    letters = client.get("/admin/dead-letters?code=PARSE_ERROR", headers=headers).json()
    assert letters["total"] == 2 and {d["document_id"] for d in letters["items"]} == {
        world.a_failed, world.central_failed,
    }  # fmt: skip
    assert client.get("/admin/dead-letters?stage=sink", headers=headers).json()["total"] == 0
    one = client.get(f"/admin/dead-letters?document_id={world.a_failed}", headers=headers).json()
    assert [d["message"] for d in one["items"]] == ["not well-formed (line 43)"]
    docs = client.get("/admin/documents?state=dead_lettered", headers=headers).json()
    assert {d["document_id"] for d in docs["items"]} == {world.a_failed, world.central_failed}
    assert client.get(f"/admin/documents?tenant={A}&state=dead_lettered", headers=headers).json()["total"] == 1
    missing = client.get("/admin/documents/0190a0a0-0000-7000-8000-000000000000", headers=headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "UNKNOWN_DOCUMENT")


def test_invalid_input_is_a_400_with_the_error_envelope(client: TestClient, world: World) -> None:
    headers = bearer(world.admin)
    cases = {
        f"/tenants/{A}/prices/1416002?date=2026-13-01": "query.date",
        f"/tenants/{A}/invoices?limit=0": "query.limit",
        f"/tenants/{A}/invoices/0": "path.invoice_id",
        f"/tenants/{A}/invoices/99999999999": "path.invoice_id",
        f"/tenants/{A}/documents/not-a-uuid": "path.document_id",
        "/tenants/UPPER/invoices": "path.tenant_id",
        "/admin/dead-letters?stage=nowhere": "query.stage",
        "/admin/documents?state=lost": "query.state",
    }
    for path, location in cases.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 400, path
        error = response.json()["error"]
        assert error["code"] == "INVALID_REQUEST" and error["message"].startswith(location), (path, error)
        assert error["details"][0]["location"] == location


def test_unknown_query_parameters_are_refused_not_ignored(client: TestClient, world: World) -> None:
    response = client.get(f"/tenants/{A}/invoices?invoice_numbr=A-100", headers=bearer(world.token_a))
    assert response.status_code == 400  # a typo must not answer with every invoice
    error = response.json()["error"]
    assert error["code"] == "INVALID_REQUEST" and "'invoice_numbr'" in error["message"]
    assert "invoice_number" in error["message"] and error["details"] == [
        {"location": "query.invoice_numbr", "message": "unknown parameter"}
    ]


def test_openapi_is_published_without_422s(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/tenants/{tenant_id}/invoices/{invoice_id}", "/tenants/{tenant_id}/prices/{article}",
            "/admin/dead-letters", "/readyz", "/metrics"} <= set(spec["paths"])  # fmt: skip
    responses = [r for path in spec["paths"].values() for op in path.values() for r in op["responses"]]
    assert "422" not in responses and "400" in responses
    scheme = spec["components"]["securitySchemes"]["token"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_admin_operations_backed_by_the_ops_tools(client: TestClient, world: World) -> None:
    headers = bearer(world.admin)
    trail = client.get(f"/admin/documents/{world.a.document_id}/trail", headers=headers)
    assert trail.status_code == 200, trail.text
    steps = [s["step"] for s in trail.json()["steps"]]
    assert steps[:3] == ["received", "archived", "published"] and {"translated", "sink", "erp"} <= set(steps)
    groups = client.get("/admin/dead-letters/groups", headers=headers).json()
    assert [(g["code"], g["letters"], g["documents"], g["open_documents"]) for g in groups] == [
        ("PARSE_ERROR", 2, 2, 2)
    ]
    assert client.get("/admin/dead-letters/groups?code=RULE_FAILED", headers=headers).json() == []
    assert client.get("/admin/dead-letters/groups?code=lower", headers=headers).status_code == 400
    letters = client.get(f"/admin/dead-letters?document_id={world.a_failed}", headers=headers).json()
    letter_id = letters["items"][0]["id"]
    detail = client.get(f"/admin/dead-letters/{letter_id}", headers=headers).json()
    assert detail["dead_letter"]["code"] == "PARSE_ERROR" and detail["document"]["tenant_scope"] == A
    assert client.get("/admin/dead-letters/999999", headers=headers).json()["error"]["code"] == "UNKNOWN_DEAD_LETTER"
    unknown = client.get("/admin/documents/0190a0a0-0000-7000-8000-000000000000/trail", headers=headers)
    assert unknown.status_code == 404
    assert client.get(f"/admin/documents/{world.a.document_id}/trail", headers=bearer(world.token_a)).status_code == 403
