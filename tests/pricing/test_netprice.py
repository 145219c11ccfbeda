from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from hub.pricing.netprice import AgreedNetPrice, Agreement, ListPrice, combine, net_price, pick_agreement

CABLE = ListPrice(
    wholesaler_id="elgrossisten-syd", version_id="v1", valid_from=date(2026, 12, 1), article_number="1416002",
    number_type="SE_E_NUMBER", list_price=D("1190.00"), price_quantity=D("100"), unit_list_price=D("11.90"),
    price_type="GROSS", unit="M", unit_code="MTR", discount_group="14AA",
)  # fmt: skip
LETTER = Agreement(
    "a1",
    date(2026, 1, 1),
    group_discounts={"14AA": (D("42"), None), "20BB": (D("10"), D("5"))},
    net_prices={"1823410": AgreedNetPrice(D("950.00"), D("100"))},
    default_discount_percent=D("35"),
)


def test_group_discount() -> None:
    result = net_price(CABLE, LETTER)
    assert (result.rule, result.discount_percent, result.net_unit_price) == ("group_discount", D("42"), D("6.9020"))
    assert (result.agreement_id, result.version_id) == ("a1", "v1")


def test_article_net_price_wins_and_is_not_discounted_again() -> None:
    box = ListPrice(
        "elgrossisten-syd", "v1", date(2026, 12, 1), "1823410", "SE_E_NUMBER", D("14.50"), D("1"), D("14.50"), "GROSS",
        discount_group="14AA",
    )  # fmt: skip
    result = net_price(box, LETTER)
    assert (result.rule, result.discount_percent, result.net_unit_price) == ("agreement_net_price", None, D("9.5000"))


def test_net_list_price_is_never_discounted() -> None:
    net = ListPrice(
        "w", "v1", date(2026, 12, 1), "9", "SUPPLIER", D("200"), D("1"), D("200"), "NET", discount_group="14AA"
    )
    assert (net_price(net, LETTER).rule, net_price(net, LETTER).net_unit_price) == ("list_net_price", D("200.0000"))


@pytest.mark.parametrize(("rule", "expected"), [("cascade", D("14.5")), ("add", D("15"))])
def test_two_columns_combine_by_the_tenants_rule(rule: str, expected: D) -> None:
    assert combine(D("10"), D("5"), rule) == expected  # type: ignore[arg-type]
    item = ListPrice(
        "w", "v1", date(2026, 12, 1), "7", "SUPPLIER", D("100"), D("1"), D("100"), "GROSS", discount_group="20BB"
    )
    assert net_price(item, LETTER, rule).net_unit_price == D(100) - expected  # type: ignore[arg-type]


def test_default_discount_on_the_rest_and_no_agreement() -> None:
    other = ListPrice(
        "w", "v1", date(2026, 12, 1), "8", "SUPPLIER", D("100"), D("1"), D("100"), "GROSS", discount_group="99"
    )
    assert (net_price(other, LETTER).rule, net_price(other, LETTER).net_unit_price) == (
        "default_discount",
        D("65.0000"),
    )
    plain = net_price(other, None)
    assert (plain.rule, plain.net_unit_price, plain.agreement_id) == ("list_price", D("100.0000"), None)


def test_validity_decides_which_agreement_applies() -> None:
    old = Agreement("old", date(2025, 1, 1), date(2025, 12, 31), group_discounts={"14AA": (D("30"), None)})
    new = Agreement("new", date(2026, 1, 1), None, group_discounts={"14AA": (D("42"), None)})
    assert pick_agreement([old, new], date(2025, 6, 1)) is old
    assert pick_agreement([old, new], date(2026, 6, 1)) is new
    expired = Agreement("x", date(2024, 1, 1), date(2024, 12, 31))
    assert pick_agreement([expired], date(2026, 6, 1)) is None
    assert net_price(CABLE, pick_agreement([expired], date(2026, 6, 1))).rule == "list_price"


def test_a_separate_net_price_file_and_discount_letter_both_apply() -> None:
    letter = Agreement("letter", date(2026, 1, 1), group_discounts={"14AA": (D("42"), None)})
    nets = Agreement("nets", date(2026, 2, 1), net_prices={"1823410": AgreedNetPrice(D("9.50"))})
    older_letter = Agreement("old", date(2025, 1, 1), group_discounts={"14AA": (D("10"), None)})
    terms = pick_agreement([older_letter, letter, nets], date(2026, 6, 1))
    assert terms is not None
    assert (terms.agreement_id, terms.group_discounts["14AA"], set(terms.net_prices)) == (
        "letter+nets",
        (D("42"), None),
        {"1823410"},
    )
    assert pick_agreement([older_letter, letter, nets], date(2026, 1, 15)) is letter
