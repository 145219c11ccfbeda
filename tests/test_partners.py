from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.partners import BuyerIdentity, load_partners
from tests.conftest import PROJECT_ROOT

GOOD = """\
wholesalers:
  - id: elgrossisten-syd
    name: Elgrossisten Syd AB
    identifiers: {org_number: "556301-2342"}
  - id: vvs-centralen
    name: VVS-Centralen AB
tenants:
  - id: nordstrom
    name: Elfirma Nordström AB
    identifiers:
      - {type: org_number, value: "556604-5679"}
      - {type: endpoint_id, scheme: "0007", value: "5566045679"}
      - {type: customer_number, wholesaler: elgrossisten-syd, value: "10042"}
  - id: rormokarn
    name: Rörmokarn i Lund AB
    identifiers:
      - {type: customer_number, wholesaler: vvs-centralen, value: "10042"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partners.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_demo_configuration_is_valid() -> None:
    partners = load_partners(PROJECT_ROOT / "config" / "partners.yaml")
    assert [w.id for w in partners.wholesalers] == ["elgrossisten-syd", "vvs-centralen", "byggvaruhuset"]
    assert partners.tenant("nordstrom") is not None


@pytest.mark.parametrize(
    ("buyer", "expected"),
    [
        (BuyerIdentity(org_number="5566045679"), ("nordstrom", "org_number")),
        (BuyerIdentity(vat_number="SE 556604567901"), ("nordstrom", "vat_number")),  # derived from the org number
        (BuyerIdentity(endpoint_id="5566045679", endpoint_scheme="0007"), ("nordstrom", "endpoint_id")),
        (BuyerIdentity(customer_numbers=("10042",)), ("nordstrom", "customer_number")),
    ],
)
def test_buyer_identifiers_resolve_to_tenant(tmp_path: Path, buyer: BuyerIdentity, expected: tuple[str, str]) -> None:
    partners = load_partners(write(tmp_path, GOOD))
    assert partners.resolve_tenant("elgrossisten-syd", buyer) == expected


def test_customer_numbers_are_scoped_per_wholesaler(tmp_path: Path) -> None:
    partners = load_partners(write(tmp_path, GOOD))
    same_number = BuyerIdentity(customer_numbers=("10042",))
    assert partners.resolve_tenant("elgrossisten-syd", same_number) == ("nordstrom", "customer_number")
    assert partners.resolve_tenant("vvs-centralen", same_number) == ("rormokarn", "customer_number")
    assert partners.resolve_tenant("elgrossisten-syd", BuyerIdentity(org_number="1111111111")) is None


def test_every_problem_is_reported_with_line_and_key(tmp_path: Path) -> None:
    bad = """\
wholesalers:
  - id: Elgrossisten Syd
    name: ""
  - id: vvs
    name: VVS
    sftp: {host: x, username: u, private_key_file: k, host_key: "nonsense"}
tenants:
  - id: t1
    name: T1
    identifiers:
      - {type: phone, value: "1"}
"""
    with pytest.raises(ConfigError) as info:
        load_partners(write(tmp_path, bad))
    problems = info.value.problems
    path = tmp_path / "partners.yaml"
    assert f"{path}:2: wholesalers[0].id: String should match pattern '^[a-z0-9][a-z0-9_-]{{0,62}}$'" in problems
    assert any(p.startswith(f"{path}:3: wholesalers[0].name:") for p in problems)
    assert any(p.startswith(f"{path}:6: wholesalers[1].sftp.host_key:") and "ssh-keyscan" in p for p in problems)
    assert any(p.startswith(f"{path}:11: tenants[0].identifiers[0].type:") for p in problems)
    assert len(problems) == 4


def test_cross_checks_duplicates_and_ambiguous_routing(tmp_path: Path) -> None:
    text = (
        GOOD
        + """\
  - id: nordstrom
    name: Copy
  - id: copycat
    name: Copycat AB
    identifiers:
      - {type: org_number, value: "5566045679"}
      - {type: customer_number, wholesaler: nobody, value: "1"}
"""
    )
    with pytest.raises(ConfigError) as info:
        load_partners(write(tmp_path, text))
    text_problems = "\n".join(info.value.problems)
    assert "tenants[2].id: duplicate id 'nordstrom' (also at tenants[0].id)" in text_problems
    assert "tenants[3].identifiers[0].value: identifier also belongs to tenant 'nordstrom'" in text_problems
    assert "tenants[3].identifiers[1].wholesaler: customer_number needs 'wholesaler'" in text_problems


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read partners file"):
        load_partners(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_partners(write(tmp_path, "wholesalers: [\n"))
