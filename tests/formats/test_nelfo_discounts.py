"""NELFO rabattfil translator: the real sample file and hand-written RL lines for every mapping rule."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.canonical.pricelist import DiscountAgreement, GroupDiscount, NetPrice
from hub.errors import InvalidValueError, MissingFieldError, ParseError, UnknownFormatError
from hub.formats.base import FailedRecord, TranslationContext
from hub.formats.nelfo_discounts import NelfoDiscountTranslator
from hub.formats.nelfo_prices import NelfoPriceListTranslator
from hub.formats.sniff import sniff

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
RABATT = CORPUS / "nelfo4" / "rabatt.csv"
TRANSLATOR = NelfoDiscountTranslator()
HEADER = (
    "RH;EFONELFO;4.0;NO910478656MVA;NO000000000MVA;12345;AVT-7;20130404;20140404;NOK;H;"
    "Alsell Norge AS;Vestre Svanholmen 4;;4313;SANDNES;NO"
)


def translate(*lines: str, header: str = HEADER, **options: str) -> list[object]:
    data = "\r\n".join([header, *lines]).encode("cp1252") + b"\r\n"
    context = TranslationContext(partner_id="ahlsell-no", tenant_id="t1", options=options)
    return list(TRANSLATOR.translate(io.BytesIO(data), context))


def agreement_of(*lines: str) -> DiscountAgreement:
    records = translate(*lines)
    assert not [r for r in records if isinstance(r, FailedRecord)], records
    [agreement] = records
    assert isinstance(agreement, DiscountAgreement)
    return agreement


def failure_of(line: str) -> FailedRecord:
    failure, agreement = translate(line)
    assert isinstance(failure, FailedRecord) and isinstance(agreement, DiscountAgreement)
    assert (agreement.group_discounts, agreement.net_prices) == ((), ())
    return failure


def test_corpus_rabatt_file_is_one_agreement_with_its_group_discounts() -> None:
    if not RABATT.is_file():
        pytest.skip(f"third-party NELFO samples not found at {RABATT.parent}")
    context = TranslationContext(partner_id="ahlsell-no", tenant_id="t1", options={"agreement_id": "a-1"})
    [agreement] = list(TRANSLATOR.translate(io.BytesIO(RABATT.read_bytes()), context))
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.group_discounts == (
        GroupDiscount("P10100", Decimal("51.40")), GroupDiscount("P10201", Decimal("56.00")),
        GroupDiscount("P10301", Decimal("56.00")), GroupDiscount("P10501", Decimal("47.10")),
    )  # fmt: skip
    assert agreement.net_prices == ()
    assert (agreement.agreement_id, agreement.wholesaler_id, agreement.tenant_id) == ("a-1", "ahlsell-no", "t1")
    assert (agreement.valid_from, agreement.valid_to) == (date(2013, 4, 4), date(2014, 4, 4))
    assert (agreement.seller_id, agreement.buyer_id, agreement.currency) == ("NO910478656MVA", "NO000000000MVA", "NOK")
    assert (agreement.customer_number, agreement.agreement_reference) == ("0", "0")
    sniffed = sniff(RABATT.read_bytes())
    assert (TRANSLATOR.accepts(sniffed), NelfoPriceListTranslator().accepts(sniffed)) == (20, 0)


def test_header_facts() -> None:
    agreement = agreement_of("RL;5;P10100;;5140;Stål gj.deler sorte og galv")
    assert (agreement.customer_number, agreement.agreement_reference) == ("12345", "AVT-7")
    assert agreement.group_discounts == (GroupDiscount("P10100", Decimal("51.40")),)


def test_agreed_price_is_a_net_price_and_wins_over_a_discount_on_the_same_line() -> None:
    agreement = agreement_of("RL;1;1006100;55300;;MATTE 3MM", "RL;2;7080001003395;4060;1000;", "RL;4;10000009T;125;0;")
    assert agreement.net_prices == (
        NetPrice("1006100", Decimal("553.00"), number_type="NO_EL_NUMBER", description="MATTE 3MM"),
        NetPrice("7080001003395", Decimal("40.60"), number_type="GTIN"),
        NetPrice("10000009T", Decimal("1.25"), number_type="NO_NRF"),
    )
    assert agreement.group_discounts == ()


def test_zero_agreed_price_means_not_set_and_zero_discount_is_kept() -> None:
    agreement = agreement_of("RL;5;P1;0;0;", "RL;0;H06;;1550;", "RL;3;TFA21AA;;2500")
    assert agreement.group_discounts == (
        GroupDiscount("P1", Decimal("0.00")), GroupDiscount("H06", Decimal("15.50")),
        GroupDiscount("TFA21AA", Decimal("25.00")),
    )  # fmt: skip


def test_written_decimals_follow_the_import_option() -> None:
    [scaled] = translate("RL;5;P1;;51,4;")
    [written] = translate("RL;5;P1;;51,4;", nelfo_decimals="as_written")
    assert isinstance(scaled, DiscountAgreement) and isinstance(written, DiscountAgreement)
    assert scaled.group_discounts[0].discount_percent == Decimal("0.514")
    assert written.group_discounts[0].discount_percent == Decimal("51.4")


@pytest.mark.parametrize(
    ("line", "kind", "location"),
    [
        ("RL;5;P1;;;Tekst", MissingFieldError, "field 5 (Rabatt)"),
        ("RL;5;;;5140;", MissingFieldError, "field 3 (VareNr)"),
        ("RL;5;P1;;15%;", InvalidValueError, "field 5 (Rabatt)"),
        ("RL;5;P1;;10100;", InvalidValueError, "field 5 (Rabatt)"),
        ("RL;5;P1;12x;;", InvalidValueError, "field 4 (AvtaltPris)"),
        ("RL;1;1006100;-500;;", InvalidValueError, "field 4 (AvtaltPris)"),
        ("RL;5;P1;4060;;", InvalidValueError, "field 4 (AvtaltPris)"),  # a net price on a discount group
        ("RL;1;1006100;;2500;", InvalidValueError, "field 5 (Rabatt)"),  # a discount on one article
        ("XL;5;P1;;5140;", InvalidValueError, "field 1 (PostType)"),
        ("RL;5", MissingFieldError, "field 3 (VareNr)"),  # truncated
    ],
)
def test_unusable_lines_fail_alone(line: str, kind: type[Exception], location: str) -> None:
    failure = failure_of(line)
    assert isinstance(failure.error, kind)
    assert (failure.reference, failure.error.location) == ("line 2", f"line 2, {location}")


def test_failures_come_first_and_the_rest_imports() -> None:
    records = translate("RL;5;P1;;5140;", "RL;5;P2;;x;", "RL;1;1006100;55300;;")
    assert [type(r).__name__ for r in records] == ["FailedRecord", "DiscountAgreement"]
    agreement = records[-1]
    assert isinstance(agreement, DiscountAgreement)
    assert (len(agreement.group_discounts), len(agreement.net_prices)) == (1, 1)


def test_v3_header_and_wrong_files_are_refused() -> None:
    with pytest.raises(UnknownFormatError, match=r"^EFONELFO 3\.0 is not supported; ask the wholesaler for 4\.0$"):
        translate("RL;5;P1;;5140;", header=HEADER.replace(";4.0;", ";3.0;"))
    with pytest.raises(ParseError) as raised:
        translate("VL;1;1;X", header="VH;EFONELFO;4.0;NO1;;;20170401;;NOK;;S;;;1;O;NO")
    assert raised.value.location == "line 1"
    with pytest.raises(ParseError, match="second RH header"):
        translate("RL;5;P1;;5140;", HEADER)


def test_missing_dates_come_from_the_import_or_stay_unknown() -> None:
    undated = HEADER.replace("20130404;20140404", ";")
    [from_option] = translate("RL;5;P1;;5140;", header=undated, valid_from="2026-01-01")
    [unknown] = translate("RL;5;P1;;5140;", header=undated)
    assert isinstance(from_option, DiscountAgreement) and isinstance(unknown, DiscountAgreement)
    assert (from_option.valid_from, unknown.valid_from, unknown.valid_to) == (date(2026, 1, 1), None, None)


def test_utf8_bom_and_latin1_text() -> None:
    data = b"\xef\xbb\xbf" + f"{HEADER}\nRL;1;1;1000;;Stål\n".encode()
    [agreement] = list(TRANSLATOR.translate(io.BytesIO(data), TranslationContext()))
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.net_prices[0].description == "Stål"
    assert agreement_of("RL;1;1;1000;;Stål").net_prices[0].description == "Stål"  # CP1252 byte 0xE5
