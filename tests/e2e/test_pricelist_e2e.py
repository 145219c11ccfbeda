"""Issue #4 through the real `hub up` and the CLI, on PostgreSQL: import a real NELFO list, a changed version
effective later, a forwarded discount letter and a forwarded list; price on both dates, diff, rollback, and
no tenant sees another's forwarded list or terms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.hubproc import HubProcess, hub_env
from tests.support import wait_for

PARTNERS = """\
wholesalers:
  - id: etman
    name: ETMAN Distribusjon AS
    identifiers: {org_number: "939765360"}
tenants:
  - id: nordstrom
    name: Elfirma Nordström AB
    identifiers: [{type: org_number, value: "556604-5679"}]
  - id: rormokarn
    name: Rörmokarn i Lund AB
    identifiers: [{type: org_number, value: "556705-6782"}]
"""
LETTER = (
    "RH;EFONELFO;4.0;NO939765360MVA;;;AVT-7;20110801;;NOK;H;ETMAN DISTRIBUSJON AS;GAMLE EIGERYVEI 87;;4370;"
    "EGERSUND;NO\r\nRL;5;1004;;2500;Varmekabel\r\n"
)


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


def merged(hub: HubProcess, count: int) -> list[dict[str, Any]] | None:
    rows = json.loads(hub.cli("pricelist", "list", "--json").stdout)
    done = [r for r in rows if r["merged_at"] or r["status"] == "REJECTED"]
    return rows if len(done) >= count else None


def price(hub: HubProcess, article: str, tenant: str, day: str) -> list[dict[str, Any]]:
    return json.loads(hub.cli("price", article, "--tenant", tenant, "--date", day, "--json").stdout)  # type: ignore[no-any-return]


def test_price_lists_by_date_with_diff_rollback_and_tenant_scopes(
    hub: HubProcess, tmp_path: Path, corpus: Path
) -> None:
    original = corpus / "nelfo4" / "V4_varefil.csv"
    data = original.read_bytes()
    later = tmp_path / "V4_varefil_2012.csv"
    later.write_bytes(
        data.replace(b";20110901;20111231;NOK;", b";20120101;20121231;NOK;", 1).replace(
            b"VL;1;1006100;MATTE 3MM 100W/M2  100W;1,0 m2 0,5 x 2,0 m;1;EA;STYKK;55300;",
            b"VL;1;1006100;MATTE 3MM 100W/M2  100W;1,0 m2 0,5 x 2,0 m;1;EA;STYKK;60830;",
        )
    )
    letter = tmp_path / "rabatt-nordstrom.csv"
    letter.write_bytes(LETTER.encode("iso-8859-1"))
    forwarded = tmp_path / "V4_rormokarn.csv"
    forwarded.write_bytes(b"\r\n".join(data.split(b"\r\n")[:2]) + b"\r\n")  # the header and the first article

    assert hub.cli("import", str(original), "--partner", "etman").stdout.startswith("accepted:")
    hub.cli("import", str(later), "--partner", "etman")
    hub.cli("import", str(letter), "--partner", "etman", "--tenant", "nordstrom")
    hub.cli("import", str(forwarded), "--partner", "etman", "--tenant", "rormokarn")
    versions = wait_for(lambda: merged(hub, 3), timeout_s=120, what="three merged versions")
    central = sorted((v for v in versions if v["scope"] == "central"), key=lambda v: v["valid_from"])
    assert [(v["valid_from"], v["article_count"]) for v in central] == [("2011-09-01", 2165), ("2012-01-01", 2165)]

    autumn = price(hub, "1006100", "nordstrom", "2011-10-01")
    assert [(p["unit_list_price"], p["net_unit_price"], p["rule"]) for p in autumn] == [
        ("553", "414.7500", "group_discount")
    ]
    spring = price(hub, "1006100", "nordstrom", "2012-02-01")
    assert [(p["unit_list_price"], p["rule"]) for p in spring] == [("608.3", "group_discount")]
    assert [p["rule"] for p in price(hub, "1006100", "rormokarn", "2012-02-01")] == ["list_price"]  # its own list
    assert [p["version_id"] for p in price(hub, "1006100", "rormokarn", "2012-02-01")] != [spring[0]["version_id"]]

    changes = json.loads(
        hub.cli("pricelist", "diff", central[0]["version_id"], central[1]["version_id"], "--json").stdout
    )
    assert [(c["kind"], c["article_number"], c["percent"]) for c in changes] == [("changed", "1006100", "10.00")]

    rolled = hub.cli("pricelist", "rollback", "etman", "--reason", "wrong prices in the January list")
    assert rolled.stdout.startswith(f"rolled back {central[1]['version_id']}")
    assert [p["unit_list_price"] for p in price(hub, "1006100", "nordstrom", "2012-02-01")] == ["553"]
