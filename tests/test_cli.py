"""The `hub` command line as a user sees it: output shapes, exit codes, one-line errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from hub.formats.registry import known_names
from tests.conftest import EXAMPLES, PROJECT_ROOT
from tests.e2e.hubproc import hub_env
from tests.support import write_partners

DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"
RECORD_FIELDS = {
    "invoice_number", "kind", "issue_date", "due_date", "currency", "seller", "buyer", "buyer_reference",
    "order_reference", "project_reference", "lines", "vat_breakdown", "line_total", "allowance_total", "charge_total",
    "tax_exclusive_total", "tax_total", "tax_inclusive_total", "prepaid_total", "rounding_amount", "payable_amount",
}  # fmt: skip
LINE_FIELDS = {
    "line_id", "article_number", "gtin", "description", "quantity", "unit_code", "unit_price", "price_base_quantity",
    "line_amount", "vat_category", "vat_rate",
}  # fmt: skip
PARTY_FIELDS = {"name", "org_number", "vat_number", "endpoint_id"}


def hub(*args: str, env: dict[str, str] | None = None, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )


def test_translate_prints_the_documented_json_lines(corpus: Path) -> None:
    result = hub("translate", str(corpus / "peppol-bis-billing3" / "examples__base-example.xml"))
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert (line["type"], line["translator"]) == ("SupplierInvoice", "peppol-bis3-invoice@1")
    record = line["record"]
    assert RECORD_FIELDS <= set(record)
    assert PARTY_FIELDS <= set(record["seller"]) and PARTY_FIELDS <= set(record["buyer"])
    assert all(LINE_FIELDS <= set(ln) for ln in record["lines"])
    assert (record["invoice_number"], record["payable_amount"], record["kind"]) == ("Snippet1", "1656.25", "INVOICE")
    assert [ln["line_amount"] for ln in record["lines"]] == ["2800", "-1500"]
    assert record["vat_breakdown"] == [
        {"category": "S", "rate": "25.0", "taxable_amount": "1325", "tax_amount": "331.25",
         "exemption_reason": None, "exemption_reason_code": None}
    ]  # fmt: skip


def test_translate_keeps_decimals_exactly_as_written() -> None:
    record = json.loads(hub("translate", str(DEMO)).stdout)["record"]
    tree = etree.parse(str(DEMO))
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert record["payable_amount"] == tree.findtext(".//cbc:PayableAmount", namespaces=ns) == "2737.00"
    assert [ln["unit_price"] for ln in record["lines"]] == ["1190.00", "14.50", "12.735"]
    assert record["buyer"]["name"] == "Elfirma Nordström AB"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not an invoice", "error[UNKNOWN_FORMAT]: document is not a format this hub knows"),
        (DEMO.read_bytes()[:2000], "error[PARSE_ERROR]: XML is not well-formed: \"expected '>'\" ("),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "error[HOSTILE_INPUT]",
        ),
    ],
)
def test_translate_errors_are_one_line_with_exit_2(tmp_path: Path, content: bytes, expected: str) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    result = hub("translate", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(expected)
    assert str(bad) in line and "Traceback" not in result.stderr


def test_config_check_reports_ok_and_every_problem(tmp_path: Path) -> None:
    ok = hub("config", "check", env=hub_env(tmp_path, write_partners(tmp_path)))
    assert ok.returncode == 0 and ok.stdout.startswith("ok: ") and "2 wholesaler(s), 2 tenant(s)" in ok.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("wholesalers:\n  - id: UPPER\n    name: x\n    formats: [nelfo-99]\ntenants: []\n")
    result = hub("--partners", str(broken), "config", "check", env=hub_env(tmp_path, broken))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"error[CONFIG_INVALID]: {broken}: 1 problem(s)"
    assert f"{broken}:2: wholesalers[0].id: String should match pattern" in result.stderr
    fixed = tmp_path / "unknown-format.yaml"
    fixed.write_text("wholesalers:\n  - id: w\n    name: x\n    formats: [nelfo-99]\n")
    result = hub("config", "check", env=hub_env(tmp_path, fixed))
    assert result.returncode == 1
    known = ", ".join(sorted(known_names()))
    assert f"wholesalers[0].formats[0]: unknown format 'nelfo-99' (known: {known})" in result.stderr


def test_schemas_check() -> None:
    result = hub("schemas", "check")
    assert result.returncode == 0 and result.stdout.startswith("ok: ")


@pytest.mark.integration
def test_import_and_topics_apply_against_a_broker(tmp_path: Path, bootstrap_servers: str, unique: str) -> None:
    env = hub_env(tmp_path / "var", write_partners(tmp_path), HUB_BOOTSTRAP_SERVERS=bootstrap_servers,
                  HUB_TOPIC_PREFIX=f"t{unique}.")  # fmt: skip
    applied = hub("topics", "apply", env=env)
    assert applied.returncode == 0
    assert f"created  t{unique}.hub.invoice.v1" in applied.stdout.splitlines()
    first = hub("import", str(DEMO), "--partner", "elgrossisten-syd", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"accepted: {DEMO.name} → document ")
    second = hub("import", str(DEMO), "--partner", "elgrossisten-syd", env=env)
    assert second.stdout.startswith(f"duplicate: {DEMO.name} was already taken as document ")
    unknown = hub("import", str(DEMO), "--partner", "ahlsell", env=env)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error[UNKNOWN_PARTNER]: unknown wholesaler 'ahlsell'")


def test_import_without_a_broker_says_what_to_do(tmp_path: Path) -> None:
    result = hub("import", str(DEMO), "--partner", "elgrossisten-syd", env=hub_env(tmp_path, write_partners(tmp_path)))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error[BROKER_UNAVAILABLE]: no Kafka broker: start the hub with `hub up` (it runs the bundled broker) "
        "or set HUB_BOOTSTRAP_SERVERS"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"HUB_KAFKA_SECURITY_PROTOCOL": "SSL"}, "HUB_KAFKA_SECURITY_PROTOCOL=SSL needs HUB_BOOTSTRAP_SERVERS"),
        (
            {"HUB_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "HUB_BOOTSTRAP_SERVERS": "kafka:9093"},
            "SASL_SSL needs HUB_KAFKA_SASL_USERNAME and HUB_KAFKA_SASL_PASSWORD",
        ),
        ({"HUB_KAFKA_SECURITY_PROTOCOL": "TLS"}, "HUB_KAFKA_SECURITY_PROTOCOL: Input should be 'PLAINTEXT', 'SSL'"),
        (
            {"HUB_KAFKA_SECURITY_PROTOCOL": "SSL", "HUB_BOOTSTRAP_SERVERS": "k:1", "HUB_KAFKA_SSL_CERT_FILE": "c"},
            "mutual TLS needs both HUB_KAFKA_SSL_CERT_FILE and HUB_KAFKA_SSL_KEY_FILE",
        ),
    ],
)
def test_incomplete_kafka_security_settings_are_refused_naming_what_is_missing(
    tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    result = hub("config", "check", env=hub_env(tmp_path, write_partners(tmp_path)) | extra)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
