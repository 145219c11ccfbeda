"""Issue #5 end to end on PostgreSQL through `hub up`: a counter pick-up whose marking says "Projekt 19271"
lands as priced rows on work order 19271 (prices from an imported list + discount letter, markup 15 % / 25 %
on small parts); an unmatched pick-up waits on the unmatched list and lands after `hub orders assign`; the
same delivery again changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    identifiers: [{type: org_number, value: "556604-5679"}, {type: endpoint_id, scheme: "0007", value: "5566045679"}]
    markup: {default_percent: 15, by_discount_group: {SMA: 25}}
"""
PRICE_LIST = (
    "VH;EFONELFO;4.0;SE556301234201;;;20261101;;SEK;;Elgrossisten Syd AB;Industrigatan 14;;21224;MALMO;SE\r\n"
    "VL;1;1416002;INSTALLATIONSKABEL EKK 3G1,5;;2;HMT;HEKTOMETER;119000;10000;20261101;1;;14AA;;;J;10000;0;B\r\n"
    "VL;1;1823410;APPARATDOSA 1-FACK;;1;EA;STYCK;1450;10000;20261101;1;;SMA;;;J;10000;0;B\r\n"
)
LETTER = (
    "RH;EFONELFO;4.0;SE556301234201;;;AVT-1;20261101;;SEK;H;Elgrossisten Syd AB;;;;;SE\r\nRL;5;14AA;;4200;Kabel\r\n"
)
DESPATCH = """<?xml version="1.0" encoding="UTF-8"?>
<DespatchAdvice xmlns="urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:despatch_advice:3</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>2026-12-04</cbc:IssueDate>
  <cbc:Note>{note}</cbc:Note>
  <cac:OrderReference><cbc:ID>{note}</cbc:ID></cac:OrderReference>
  <cac:DespatchSupplierParty><cac:Party>
    <cbc:EndpointID schemeID="0007">5563012342</cbc:EndpointID>
    <cac:PartyLegalEntity><cbc:RegistrationName>Elgrossisten Syd AB</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:DespatchSupplierParty>
  <cac:DeliveryCustomerParty><cac:Party>
    <cbc:EndpointID schemeID="0007">5566045679</cbc:EndpointID>
    <cac:PartyLegalEntity><cbc:RegistrationName>Elfirma Nordström AB</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:DeliveryCustomerParty>
  <cac:DespatchLine>
    <cbc:ID>1</cbc:ID><cbc:DeliveredQuantity unitCode="MTR">50</cbc:DeliveredQuantity>
    <cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference>
    <cac:Item><cbc:Name>Installationskabel EKK 3G1,5</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>1416002</cbc:ID></cac:SellersItemIdentification></cac:Item>
  </cac:DespatchLine>
  <cac:DespatchLine>
    <cbc:ID>2</cbc:ID><cbc:DeliveredQuantity unitCode="EA">25</cbc:DeliveredQuantity>
    <cac:OrderLineReference><cbc:LineID>2</cbc:LineID></cac:OrderLineReference>
    <cac:Item><cbc:Name>Apparatdosa 1-fack</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>1823410</cbc:ID></cac:SellersItemIdentification></cac:Item>
  </cac:DespatchLine>
</DespatchAdvice>
"""


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


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def rows(hub: HubProcess) -> list[dict[str, Any]]:
    result = hub.cli("erp", "orderrows", "--tenant", "nordstrom", "--workorder", "19271", "--json")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_counter_pickups_become_priced_rows_on_the_work_order(hub: HubProcess, tmp_path: Path) -> None:
    hub.cli("import", write(tmp_path, "V4_prices.csv", PRICE_LIST, "iso-8859-1"), "--partner", "elgrossisten-syd")
    hub.cli(
        "import",
        write(tmp_path, "rabatt.csv", LETTER, "iso-8859-1"),
        "--partner",
        "elgrossisten-syd",
        "--tenant",
        "nordstrom",
    )
    hub.cli("erp", "workorders", "add", "19271", "--tenant", "nordstrom", "--customer", "BRF Solgläntan")
    wait_for(
        lambda: json.loads(hub.cli("price", "1416002", "--tenant", "nordstrom", "--json").stdout),
        timeout_s=90,
        what="the price list in the catalog",
    )

    hub.cli(
        "import",
        write(tmp_path, "FS-884120.xml", DESPATCH.format(number="FS-884120", note="Projekt 19271 Kalle")),
        "--partner",
        "elgrossisten-syd",
    )
    first = wait_for(lambda: r if len(r := rows(hub)) == 2 else None, timeout_s=90, what="two rows on 19271")
    cable, boxes = first
    # 1190.00 per HMT − 42 % = 690.20 per 100 m → 6.902 per metre; +15 % markup
    assert (cable["quantity"], cable["unit_code"], cable["purchase_unit_price"], cable["sales_unit_price"]) == (
        "50",
        "MTR",
        "6.902",
        "7.94",
    )
    assert (cable["match_rule"], cable["match_field"], cable["price_rule"]) == (
        "number-in-references",
        "ORDER",
        "group_discount",
    )
    # no discount on SMA, but the small-parts markup of 25 %
    assert (boxes["purchase_unit_price"], boxes["sales_unit_price"], boxes["sales_amount"]) == (
        "14.5",
        "18.13",
        "453.25",
    )

    hub.cli(
        "import",
        write(tmp_path, "FS-884121.xml", DESPATCH.format(number="FS-884121", note="Kalle")),
        "--partner",
        "elgrossisten-syd",
    )
    wait_for(lambda: "FS-884121" in hub.cli("orders", "unmatched").stdout, what="the unmatched pick-up")
    assigned = hub.cli("orders", "assign", "FS-884121", "--workorder", "19271", "--by", "office")
    assert assigned.stdout.startswith("FS-884121: 2 row(s) on work order 19271")
    after = rows(hub)
    assert len(after) == 4 and {r["match_rule"] for r in after[2:]} == {"assigned by office"}
    assert hub.cli("orders", "unmatched").stdout.strip() == "nothing unmatched"

    again = DESPATCH.format(number="FS-884120", note="Projekt 19271 Kalle").replace("<cbc:Note>", "<cbc:Note>resent ")
    hub.cli("import", write(tmp_path, "FS-884120-again.xml", again), "--partner", "elgrossisten-syd")
    wait_for(lambda: "FS-884120-again.xml" in hub.log.read_text(errors="replace"), what="the re-sent note taken")
    time.sleep(5)  # and through the translate and orders agents
    assert rows(hub) == after
