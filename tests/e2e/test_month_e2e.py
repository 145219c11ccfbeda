"""Issue #8: a scripted month for one tenant (SCENARIOS.md 3–4) through `hub up`, the bundled broker and
PostgreSQL — price list and discount letter, three pick-ups as delivery notes in two formats, then one Peppol
invoice billing them: one over-priced line, one line priced per 100 m against a per-metre list, one unit that
cannot be converted, one line for material never delivered. Re-delivering the invoice changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.documents import InvoiceLineSpec, despatch_advice, nelfo_pakkseddel, peppol_invoice
from tests.e2e.hubproc import HubProcess, hub_env
from tests.support import wait_for

PARTNERS = """\
wholesalers:
  - id: elgrossisten-syd
    name: Elgrossisten Syd AB
    identifiers: {org_number: "556301-2342", endpoint_ids: ["0007:5563012342"]}
tenants:
  - id: nordstrom
    name: Elfirma Nordström AB
    identifiers:
      - {type: org_number, value: "556604-5679"}
      - {type: endpoint_id, scheme: "0007", value: "5566045679"}
      - {type: customer_number, wholesaler: elgrossisten-syd, value: "10042"}
"""
PRICES = (
    "VH;EFONELFO;4.0;SE556301234201;;;20261101;;SEK;;Elgrossisten Syd AB;Industrigatan 14;;21224;MALMO;SE\r\n"
    "VL;1;1416002;INSTALLATIONSKABEL EKK 3G1,5;;2;MTR;METER;1190;10000;20261101;1;;14AA;;;J;10000;0;B\r\n"
    "VL;1;1823410;APPARATDOSA 1-FACK;;1;EA;STYCK;1450;10000;20261101;1;;SMA;;;J;10000;0;B\r\n"
    "VL;1;1000001;JORDFELSBRYTARE 2P;;1;EA;STYCK;89900;10000;20261101;1;;30CC;;;J;10000;0;B\r\n"
    "VL;1;3000001;ISOLERINGSTEJP 19MM;;1;RO;RULLE;3500;10000;20261101;1;;40DD;;;J;10000;0;B\r\n"
)
LETTER = (
    "RH;EFONELFO;4.0;SE556301234201;;10042;AVT-1;20261101;;SEK;H;Elgrossisten Syd AB;;;;;SE\r\n"
    "RL;5;14AA;;4200;Kabel\r\n"
)
INVOICE = [
    InvoiceLineSpec("1", "1416002", "Installationskabel EKK 3G1,5", "100", "MTR", "690.20", "100"),  # per 100 m
    InvoiceLineSpec("2", "1823410", "Apparatdosa 1-fack", "25", "EA", "15.00"),  # agreed 14.50
    InvoiceLineSpec("3", "1000001", "Jordfelsbrytare 2P", "2", "EA", "899.00"),
    InvoiceLineSpec("4", "3000001", "Isoleringstejp 19mm", "1", "XPK", "35.00"),  # a pack vs the list's roll
    InvoiceLineSpec("5", "1823999", "Buntband 200mm", "10", "EA", "5.00"),  # never delivered
]


@pytest.fixture
def hub(tmp_path: Path, bootstrap_servers: str, postgres_url: str, unique: str) -> Iterator[HubProcess]:
    partners = tmp_path / "partners.yaml"
    partners.write_text(PARTNERS, encoding="utf-8")
    env = hub_env(
        tmp_path / "var",
        partners,
        HUB_BOOTSTRAP_SERVERS=bootstrap_servers,
        HUB_ERP_DATABASE_URL=postgres_url,
        HUB_TOPIC_PREFIX=f"t{unique}.",
        HUB_APP_ID=f"e2e-{unique}",
    )
    process = HubProcess(env, tmp_path)
    process.start()
    yield process
    process.stop()


def send(hub: HubProcess, tmp_path: Path, name: str, data: bytes, *extra: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return hub.cli("import", str(path), "--partner", "elgrossisten-syd", *extra).stdout


def checks(hub: HubProcess) -> list[dict[str, Any]]:
    return json.loads(hub.cli("erp", "invoices", "--checks", "--json", "--tenant", "nordstrom").stdout)  # type: ignore[no-any-return]


def summary(hub: HubProcess) -> list[tuple[Any, ...]]:
    [invoice] = checks(hub)
    head = (
        invoice["deviations"],
        invoice["overcharge_total"],
        invoice["matched_lines"],
        invoice["not_delivered_lines"],
    )
    lines = [(c["line_id"], c["status"], c["link_method"], c["overcharge"]) for c in invoice["line_checks"]]
    return [head, *lines]


def test_a_month_of_pickups_and_the_invoice_that_bills_them(hub: HubProcess, tmp_path: Path) -> None:
    send(hub, tmp_path, "V4_prices.csv", PRICES.encode("iso-8859-1"))
    send(hub, tmp_path, "rabatt.csv", LETTER.encode("iso-8859-1"), "--tenant", "nordstrom")
    hub.cli("erp", "workorders", "add", "19271", "--tenant", "nordstrom")
    wait_for(
        lambda: json.loads(hub.cli("price", "1416002", "--tenant", "nordstrom", "--json").stdout),
        timeout_s=90,
        what="the price list",
    )
    send(hub, tmp_path, "FS-1.xml", despatch_advice("FS-1", "Projekt 19271", [("1", "100", "MTR", "1416002", "Kabel")]))
    send(hub, tmp_path, "FS-2.xml", despatch_advice("FS-2", "Projekt 19271", [("1", "25", "EA", "1823410", "Dosa")]))
    send(
        hub,
        tmp_path,
        "FS-3.csv",
        nelfo_pakkseddel(
            "FS-3",
            "Projekt 19271",
            [("1", "2", "EA", "1000001", "Jordfelsbrytare"), ("2", "1", "PK", "3000001", "Tejp")],
        ),
    )
    rows = lambda: json.loads(hub.cli("erp", "orderrows", "--tenant", "nordstrom", "--json").stdout)  # noqa: E731
    wait_for(lambda: len(rows()) == 4 or None, timeout_s=90, what="four delivered rows")

    invoice = peppol_invoice("F2026-1201", INVOICE)
    send(hub, tmp_path, "F2026-1201.xml", invoice)
    result = wait_for(lambda: summary(hub) if checks(hub) else None, timeout_s=90, what="the invoice checks")
    assert result == [
        (1, "12.5", 4, 1),
        ("1", "OK", "work_order_reference", None),  # 690.20 per 100 m = 6.902 per m = 11.90 − 42 %
        ("2", "DEVIATION", "work_order_reference", "12.5"),  # 25 × (15.00 − 14.50)
        ("3", "OK", "work_order_reference", None),
        ("4", "CANNOT_COMPARE", "work_order_reference", None),  # a pack (PK) is not a roll (RO)
        ("5", "NOT_IN_CATALOG", "not_delivered", None),
    ]
    [deviation] = json.loads(hub.cli("erp", "deviations", "--tenant", "nordstrom", "--json").stdout)
    assert (deviation["invoice_number"], deviation["line_id"], deviation["overcharge"]) == ("F2026-1201", "2", "12.5")
    assert (deviation["invoiced_unit_price"], deviation["expected_unit_price"]) == ("15", "14.5")
    # the material nobody delivered still reaches the customer's bill: work order 19271 (the invoice names it)
    billed = [r for r in rows() if r["document_number"] == "invoice F2026-1201"]
    assert [(r["article_number"], r["quantity"], r["work_order"]) for r in billed] == [("1823999", "10", "19271")]
    assert json.loads(hub.cli("erp", "uninvoiced", "--tenant", "nordstrom").stdout) == []

    # the same invoice delivered again (same bytes, then re-serialised) changes none of these results
    send(hub, tmp_path, "F2026-1201-again.xml", invoice)
    send(hub, tmp_path, "F2026-1201-copy.xml", invoice.replace(b"\n    <cbc:ID>", b"\n      <cbc:ID>"))
    wait_for(lambda: "F2026-1201-copy.xml" in hub.log.read_text(errors="replace"), what="the copy taken in")
    time.sleep(6)  # and through the translate and sink agents
    assert summary(hub) == result
    assert len([r for r in rows() if r["document_number"] == "invoice F2026-1201"]) == 1
