"""Price lists and discount letters through the real broker into the PostgreSQL catalog (issue #4):
versions by date, diff, rollback, tenant isolation, rejection of a bad list — stages driven directly."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.canonical import PriceListVersion
from hub.canonical.codec import from_dict
from hub.formats import edifact_pricat
from hub.intake.service import Delivery
from hub.kafka.consumer import BatchConsumer, read_records
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.pricing.netprice import net_price, pick_agreement
from hub.runtime import Runtime
from hub.sinks.catalog.queries import agreements, diff, lookup, versions
from hub.sinks.catalog.tables import price as catalog_price
from hub.sinks.catalog.writer import rollback
from tests.formats.test_edifact_pricat import interchange, lin, message
from tests.support import make_runtime, make_settings

PARTNERS = """\
wholesalers:
  - id: onninen-no
    name: Onninen AS
    identifiers: {org_number: "NO910478656MVA"}
tenants:
  - id: nordstrom
    name: Elfirma Nordström AB
    identifiers:
      - {type: org_number, value: "556604-5679"}
      - {type: customer_number, wholesaler: onninen-no, value: "88001"}
  - id: rormokarn
    name: Rörmokarn i Lund AB
    identifiers: [{type: org_number, value: "556705-6782"}]
"""
HEADER = "VH;EFONELFO;4.0;NO910478656MVA;;;{valid_from};;NOK;;Onninen AS;Postboks 1;;0101;OSLO;NO"
# VL: VareMrk;VareNr;VaBetg;VaBetg2;MåleEnhet;PrisEnhet;PrisEnhetTxt;Pris;Mengde;PrisDato;Status;Blokk;RabattGruppe;
#     Fabrikat;Type;Lagerført;SalgsPakning;Rabatt;PrisType
LINE = "VL;1;{number};{name};;1;{unit};{unit_text};{price};{qty};{valid_from};1;;{group};;;J;10000;0;{price_type}"
V1 = [
    ("1416002", "INSTALLASJONSKABEL 3G1,5", "HMT", "HECTOMETER", "119000", "10000", "14AA", "B"),  # 1190 per 100 m
    ("1823410", "APPARATBOKS 1-FAG", "EA", "STYKK", "1450", "10000", "20BB", "B"),
    ("1000001", "JORDFEILBRYTER 2P", "EA", "STYKK", "89900", "10000", "30CC", "B"),
    ("1000002", "STIKKONTAKT 2-V", "EA", "STYKK", "12000", "1000000", "20BB", "N"),  # 120.00 per 100 EA, net
]


def varefil(valid_from: str, rows: list[tuple[str, ...]]) -> bytes:
    lines = [HEADER.format(valid_from=valid_from)]
    for number, name, unit, unit_text, price, qty, group, price_type in rows:
        lines.append(
            LINE.format(
                number=number,
                name=name,
                unit=unit,
                unit_text=unit_text,
                price=price,
                qty=qty,
                valid_from=valid_from,
                group=group,
                price_type=price_type,
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


def rabattfil(customer: str = "88001") -> bytes:
    lines = [
        f"RH;EFONELFO;4.0;NO910478656MVA;;{customer};AVT1;20261101;;NOK;H;Onninen AS;Postboks 1;;0101;OSLO;NO",
        "RL;5;14AA;;4200;Kabel",
        "RL;5;20BB;;1000;Bokser",
        "RL;1;1000001;75000;;Jordfeilbryter nettopris",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


@pytest.fixture
def runtime(tmp_path: Path, bootstrap_servers: str, postgres_url: str, unique: str) -> Iterator[Runtime]:
    settings = make_settings(tmp_path, bootstrap_servers=bootstrap_servers, unique=unique, erp_url=postgres_url)
    (tmp_path / "partners.yaml").write_text(PARTNERS, encoding="utf-8")
    rt = make_runtime(settings)
    apply_topics(bootstrap_servers, load_topic_specs(), rt.topics)
    yield rt
    rt.close()


class Pipeline:
    """Intake → translate stage → catalog stage, with one catalog consumer kept for the whole test."""

    def __init__(self, rt: Runtime, bootstrap: str, unique: str) -> None:
        self.rt, self.bootstrap, self.unique = rt, bootstrap, unique
        self.translated = 0
        self.catalog = BatchConsumer(
            bootstrap,
            [rt.topics.price, rt.topics.pricelist, rt.topics.discount],
            group_id=f"cat-{unique}",
            session_timeout_s=6,
        )

    def send(self, data: bytes, name: str, tenant: str | None = None) -> str:
        delivery = Delivery("onninen-no", "upload", filename=name, tenant_id=tenant)
        self.rt.intake().take(io.BytesIO(data), delivery)
        raws = list(
            read_records(
                self.bootstrap,
                [self.rt.topics.raw],
                group_id=f"raw-{self.unique}-{self.translated}",
                max_records=self.translated + 1,
            )
        )
        outcome = self.rt.translate_stage().process(raws[-1])
        self.translated += 1
        self.drain()
        return outcome

    def drain(self) -> None:
        stage, idle = self.rt.catalog_stage(), 0
        while idle < 6:  # until ~3 s without records
            records = self.catalog.poll_batch(5000, timeout_s=0.5)
            idle = 0 if records else idle + 1
            if records:
                stage.process_batch(records)
                self.catalog.commit()


def prices(rt: Runtime, tenant: str, article: str, day: date) -> list[tuple[str, D, str]]:
    out = []
    for item in lookup(rt.erp_engine, tenant, article, day):
        agreement = pick_agreement(agreements(rt.erp_engine, tenant, item.wholesaler_id), day)
        result = net_price(item, agreement)
        out.append((result.version_id, result.net_unit_price, result.rule))
    return out


def test_versions_by_date_discounts_diff_and_rollback(runtime: Runtime, bootstrap_servers: str, unique: str) -> None:
    pipe = Pipeline(runtime, bootstrap_servers, unique)
    assert pipe.send(varefil("20261201", V1), "V4_dec.csv") == "translated"
    v2_rows = [
        ("1416002", "INSTALLASJONSKABEL 3G1,5", "HMT", "HECTOMETER", "131000", "10000", "14AA", "B"),  # +10.08 %
        V1[1],
        ("1000003", "KOBLINGSBOKS IP44", "EA", "STYKK", "3500", "10000", "20BB", "B"),  # added; 1000001 removed
        V1[3],
    ]
    assert pipe.send(varefil("20270101", v2_rows), "V4_jan.csv") == "translated"
    assert pipe.send(rabattfil(), "rabatt.csv", tenant="nordstrom") == "translated"

    [v1, v2] = sorted(
        (r for r in versions(runtime.erp_engine, "onninen-no") if r["status"] == "COMPLETE"),
        key=lambda r: r["valid_from"],
    )
    assert (v1["article_count"], v2["article_count"], v2["removed_count"]) == (4, 4, 1)
    dec, jan = date(2026, 12, 15), date(2027, 1, 15)
    # cable: 1190.00 per HMT (100 m); 42 % off for nordstrom; next month 1310.00 per HMT
    assert prices(runtime, "nordstrom", "1416002", dec) == [(v1["version_id"], D("690.2000"), "group_discount")]
    assert prices(runtime, "nordstrom", "1416002", jan) == [(v2["version_id"], D("759.8000"), "group_discount")]
    assert prices(runtime, "rormokarn", "1416002", dec) == [(v1["version_id"], D("1190.0000"), "list_price")]
    assert prices(runtime, "nordstrom", "1000001", dec) == [(v1["version_id"], D("750.0000"), "agreement_net_price")]
    assert prices(runtime, "nordstrom", "1000001", jan) == []  # left the list
    assert prices(runtime, "nordstrom", "1000002", dec) == [(v1["version_id"], D("1.2000"), "list_net_price")]

    changes = {c.article_number: c for c in diff(runtime.erp_engine, v1["version_id"], v2["version_id"])}
    assert {k: c.kind for k, c in changes.items()} == {"1416002": "changed", "1000003": "added", "1000001": "removed"}
    assert changes["1416002"].percent == D("10.08")

    undone, now = rollback(runtime.erp_engine, "onninen-no", "central", "cable priced per metre by mistake")
    assert (undone.version_id, now) == (v2["version_id"], v1["version_id"])
    assert prices(runtime, "nordstrom", "1416002", jan) == [(v1["version_id"], D("690.2000"), "group_discount")]
    tombstones = [
        r for r in read_records(bootstrap_servers, [runtime.topics.price], group_id=f"t-{unique}") if r.value is None
    ]
    assert [t.key for t in tombstones] == [b"onninen-no|central|1000001"]


def test_forwarded_lists_and_letters_stay_with_their_tenant(
    runtime: Runtime, bootstrap_servers: str, unique: str
) -> None:
    pipe = Pipeline(runtime, bootstrap_servers, unique)
    pipe.send(varefil("20261201", V1), "central.csv")
    special = [("1823410", "APPARATBOKS 1-FAG", "EA", "STYKK", "900", "10000", "20BB", "N")]
    pipe.send(varefil("20261201", special), "forwarded.csv", tenant="rormokarn")
    pipe.send(rabattfil(), "rabatt.csv", tenant="nordstrom")
    day = date(2026, 12, 20)
    assert [p[1:] for p in prices(runtime, "rormokarn", "1823410", day)] == [(D("9.0000"), "list_net_price")]
    assert [p[1:] for p in prices(runtime, "nordstrom", "1823410", day)] == [(D("13.0500"), "group_discount")]
    assert agreements(runtime.erp_engine, "rormokarn", "onninen-no") == []
    assert {r["scope"] for r in versions(runtime.erp_engine, tenant="nordstrom")} == {"central"}


def test_a_list_with_too_many_bad_lines_is_rejected_whole(
    runtime: Runtime, bootstrap_servers: str, unique: str
) -> None:
    pipe = Pipeline(runtime, bootstrap_servers, unique)
    bad = varefil("20261201", V1).replace(b";89900;", b";89X00;").replace(b";1450;", b";;")
    assert pipe.send(bad, "broken.csv") == "rejected"
    [version] = versions(runtime.erp_engine, "onninen-no")
    assert (version["status"], version["article_count"], version["failed_lines"]) == ("REJECTED", 2, 2)
    assert "2 of 4 lines failed" in version["reason"]
    assert prices(runtime, "nordstrom", "1416002", date(2026, 12, 15)) == []
    records = read_records(bootstrap_servers, [runtime.topics.pricelist], group_id=f"pl-{unique}")
    statuses = [from_dict(PriceListVersion, runtime.serde.decode(r.value)[1]).status for r in records if r.value]
    assert statuses == ["ANNOUNCED", "REJECTED"]


def test_a_pricat_found_broken_after_its_prices_is_rejected_and_never_visible(
    runtime: Runtime, bootstrap_servers: str, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long PRICAT message streams its prices before its UNT is checked; a wrong UNT count at the end closes
    the version REJECTED (by the translator), so the catalog stores it as rejected and shows none of its prices."""
    monkeypatch.setattr(edifact_pricat, "CHECK_AHEAD", 3)  # "long": the prices stream out before the UNT
    head = ("BGM+9+PL-9+9", "DTM+137:20261201:102", "CUX+2:NOK:8")
    body = (*head, *lin(1, "PRI+AAB:10"), *lin(2, "PRI+AAB:12", number="7310000000026:EN", sa="E2"))
    bad = re.sub(r"UNT\+(\d+)\+1'", lambda m: f"UNT+{int(m[1]) + 1}+1'", message("1", *body))
    pipe = Pipeline(runtime, bootstrap_servers, unique)
    assert pipe.send(interchange(bad).encode("latin-1"), "pricat.edi", tenant="nordstrom") == "rejected"
    [version] = versions(runtime.erp_engine, "onninen-no")
    assert (version["status"], version["article_count"], version["merged_at"]) == ("REJECTED", 2, None)
    assert "UNT segment count 12 ≠ 11 segments" in version["reason"]
    with runtime.erp_engine.connect() as conn:  # its prices were stored as they streamed in, and stay invisible
        stored = conn.scalar(
            select(func.count()).select_from(catalog_price).where(catalog_price.c.version_id == version["version_id"])
        )
    assert stored == 2
    for article in ("E1234567", "7310000000019"):
        assert prices(runtime, "nordstrom", article, date(2026, 12, 15)) == []
