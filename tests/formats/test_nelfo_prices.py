"""NELFO varefil/pristilbud translator: corpus files against an independent reading, hand-written lines.

The corpus test splits the raw files itself (Latin-1, CR LF, ``;``) and computes every article's unit price
as Pris / Mengde with Decimal, then checks the translator says the same for every VL line. The memory test
streams a generated 200 000-line file through a generator-backed stream under tracemalloc.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import tracemalloc
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from hub.canonical.pricelist import Price, PriceListVersion
from hub.errors import InvalidValueError, MissingFieldError, ParseError, UnknownFormatError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext
from hub.formats.nelfo import FieldError, read_records
from hub.formats.nelfo_discounts import NelfoDiscountTranslator
from hub.formats.nelfo_prices import LAYOUT, NelfoPriceListTranslator, _full_draft, _quick_draft
from hub.formats.sniff import sniff

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
NELFO = CORPUS / "nelfo4"
TRANSLATOR = NelfoPriceListTranslator()
HEADER = (
    "VH;EFONELFO;4.0;NO910478656MVA;;;20170401;20190314;NOK;PRISFIL;Ahlsell Norge AS;Brobekkveien 80A;;0582;OSLO;NO"
)
Q6 = Decimal("0.000001")


def vl(number: str = "1006100", **given: str) -> str:
    """A 20-field VL line; keyword arguments override fields by their NELFO name."""
    fields = {
        "VareMrk": "1", "VareNr": number, "VaBetg": "KABEL", "VaBetg2": "", "MaaleEnhet": "1", "PrisEnhet": "EA",
        "PrisEnhetTxt": "STYKK", "Pris": "4060", "Mengde": "10000", "PrisDato": "20170401", "Status": "1",
        "BlokkNummer": "", "RabattGruppe": "1004", "Fabrikat": "", "Type": "", "Lagerfoert": "J",
        "SalgsPakning": "10000", "Rabatt": "0", "PrisType": "",
    }  # fmt: skip
    fields.update(given)
    return ";".join(["VL", *fields.values()])


def file_of(*lines: str, header: str = HEADER, end: str = "\r\n") -> bytes:
    return end.join([header, *lines]).encode("cp1252") + end.encode()


def translate(data: bytes, **options: str) -> list[object]:
    context = TranslationContext(partner_id="ahlsell-no", options=options)
    return list(TRANSLATOR.translate(io.BytesIO(data), context))


def split(records: list[object]) -> tuple[PriceListVersion, list[Price], list[FailedRecord], PriceListVersion]:
    first, last = records[0], records[-1]
    assert isinstance(first, PriceListVersion) and first.status == "ANNOUNCED"
    assert isinstance(last, PriceListVersion) and last.status == "COMPLETE"
    prices = [r for r in records[1:-1] if isinstance(r, Price)]
    failed = [r for r in records[1:-1] if isinstance(r, FailedRecord)]
    assert len(prices) + len(failed) == len(records) - 2
    assert (last.article_count, last.failed_lines) == (len(prices), len(failed))
    return first, prices, failed, last


def prices_of(*lines: str, **options: str) -> list[Price]:
    _, prices, failed, _ = split(translate(file_of(*lines), **options))
    assert not failed, [f.error.render() for f in failed]
    return prices


def only_price(line: str, **options: str) -> Price:
    [price] = prices_of(line, **options)
    return price


# --- the corpus, read independently --------------------------------------------------------------


def independent_unit_prices(path: Path) -> dict[int, Decimal]:
    """Line number → Pris / Mengde of every VL line (Pris 2 decimals, Mengde 4, a written comma kept)."""
    expected: dict[int, Decimal] = {}
    for number, line in enumerate(path.read_bytes().decode("latin-1").split("\r\n"), start=1):
        fields = line.split(";")
        if fields[0] == "VL":
            pris = Decimal(fields[8].replace(",", ".")) / 100
            mengde = Decimal(fields[9] or "10000") / 10000
            expected[number] = (pris / mengde).quantize(Q6, ROUND_HALF_UP)
    return expected


@pytest.fixture(scope="module")
def nelfo() -> Path:
    if not NELFO.is_dir():
        pytest.skip(f"third-party NELFO samples not found at {NELFO} (provided beside the checkout in CI)")
    return NELFO


# file → (VL lines, lines expected to fail with the field named)
CORPUS_FILES = {
    "V4_varefil.csv": (2165, {}),
    "varefil_eksempel.csv": (3, {7: "PrisEnhet"}),  # its fields are shifted: PrisEnhet holds the price 5400
    "varer_small.csv": (9, {}),
}


@pytest.mark.parametrize("name", sorted(CORPUS_FILES))
def test_corpus_unit_prices_match_an_independent_reading(nelfo: Path, name: str) -> None:
    expected = independent_unit_prices(nelfo / name)
    vl_count, failing = CORPUS_FILES[name]
    _, prices, failed, complete = split(translate((nelfo / name).read_bytes()))
    assert len(expected) == vl_count
    assert {p.line for p in prices} | {int(f.reference.split()[1]) for f in failed} == set(expected)
    assert {int(f.reference.split()[1]): f.error.location for f in failed} == {
        n: f"line {n}, field 7 ({field})" for n, field in failing.items()
    }
    assert complete.article_count == vl_count - len(failing)
    for price in prices:
        assert price.unit_list_price == expected[price.line], price


def test_etman_varefil_facts(nelfo: Path) -> None:
    announced, prices, _, _ = split(translate((nelfo / "V4_varefil.csv").read_bytes()))
    assert (announced.seller_id, announced.currency, str(announced.valid_from), str(announced.valid_to)) == (
        "NO939765360MVA", "NOK", "2011-09-01", "2011-12-31",
    )  # fmt: skip
    assert sum(len(p.alternatives) for p in prices) == 973
    assert {p.unit_code for p in prices} == {"EA", "MTR", "RO", "PK", "BK"}  # BK: kurv, basket (Rec 21 XBK)
    assert {p.number_type for p in prices} == {"NO_EL_NUMBER", "SUPPLIER"}
    assert all(p.extra.get("varemrk") == "3" for p in prices if p.number_type == "SUPPLIER")


def test_etman_written_decimal_comma_is_a_fraction_of_the_implied_unit(nelfo: Path) -> None:
    """ETMAN writes Pris 1872,5 for IFSI-EMC 2x1,5 between 2247 (3x1,5) and 2728,5 (4x1,5): 18.725 NOK/m."""
    by_number = {p.article_number: p for p in split(translate((nelfo / "V4_varefil.csv").read_bytes()))[1]}
    series = [by_number[n].unit_list_price for n in ("1067311", "1067315", "1067326")]
    assert series == [Decimal("18.725"), Decimal("22.47"), Decimal("27.285")]
    assert by_number["1067311"].extra["pris_raw"] == "1872,5"
    assert by_number["1702243"].list_price == Decimal("104.28571")


def test_sniffed_corpus_head_is_claimed_by_the_price_translator_only(nelfo: Path) -> None:
    sniffed = sniff((nelfo / "V4_varefil.csv").read_bytes()[:65536])
    assert sniffed.syntax == "nelfo"
    assert TRANSLATOR.accepts(sniffed) == 20
    assert NelfoDiscountTranslator().accepts(sniffed) == 0


def test_a_v3_order_file_is_not_a_price_file(nelfo: Path) -> None:
    with pytest.raises(ParseError) as raised:
        translate((nelfo / "B123.V3.csv").read_bytes())
    assert raised.value.location == "line 1"


# --- hand-written lines ----------------------------------------------------------------------------


def test_hmt_cable_per_100_units_of_hectometre() -> None:
    price = only_price(vl(PrisEnhet="HMT", PrisEnhetTxt="", Pris="250000", Mengde="1000000"))
    assert (price.list_price, price.price_quantity, price.unit_list_price) == (Decimal(2500), 100, Decimal(25))
    assert (price.unit, price.unit_code) == ("HMT", "HMT")


def test_unit_code_from_the_unit_text_when_the_unit_code_is_not_rec20() -> None:
    pair, basket, metre, unknown = prices_of(
        vl("1", PrisEnhet="OP", PrisEnhetTxt="PAR"), vl("2", PrisEnhet="BK", PrisEnhetTxt="KURV"),
        vl("3", PrisEnhet="MTR", PrisEnhetTxt="METER"), vl("4", PrisEnhet="QQ", PrisEnhetTxt="SKUFF"),
    )  # fmt: skip
    assert [(p.unit, p.unit_code) for p in (pair, basket, metre, unknown)] == [
        ("PAR", "PR"), ("KURV", "BK"), ("METER", "MTR"), ("SKUFF", None),
    ]  # fmt: skip


def test_quantity_division_rounds_half_up_to_six_decimals() -> None:
    price = only_price(vl(Pris="100", Mengde="30000"))  # 1.00 for 3 units
    assert str(price.unit_list_price) == "0.333333"
    assert only_price(vl(Pris="1", Mengde="160000")).unit_list_price == Decimal("0.000625")
    assert only_price(vl(Pris="1", Mengde="1600000")).unit_list_price == Decimal("0.000063")  # 0.0000625 → up


def test_header_facts_and_identity_fields() -> None:
    announced, [price], _, complete = split(translate(file_of(vl())))
    assert (announced.seller_id, announced.list_name, announced.currency) == ("NO910478656MVA", "PRISFIL", "NOK")
    assert (announced.wholesaler_id, announced.scope) == ("ahlsell-no", "central")
    assert (price.wholesaler_id, price.scope, price.valid_from) == ("ahlsell-no", "central", announced.valid_from)
    assert (price.line, price.price_type, price.status, price.stocked, price.discount_group) == (
        2, "GROSS", "ACTIVE", True, "1004",
    )  # fmt: skip
    assert complete == dataclasses.replace(announced, status="COMPLETE", article_count=1, failed_lines=0)


def test_version_id_and_tenant_scope_come_from_the_context() -> None:
    context = TranslationContext(partner_id="w", tenant_id="t1", options={"version_id": "v-1"})
    records = list(TRANSLATOR.translate(io.BytesIO(file_of(vl())), context))
    assert {(r.version_id, r.scope) for r in records if isinstance(r, Price | PriceListVersion)} == {("v-1", "t1")}


def test_price_type_n_is_net_and_status_codes_keep_their_raw_code() -> None:
    assert only_price(vl(PrisType="N")).price_type == "NET"
    assert only_price(vl(PrisType="B")).price_type == "GROSS"
    statuses = [(p.status, p.raw_status) for p in prices_of(*(vl(str(n), Status=s) for n, s in enumerate("32709")))]
    assert statuses == [("DISCONTINUED", "3"), ("CHANGED", "2"), ("UNKNOWN", "7"), ("ACTIVE", "0"), ("UNKNOWN", "9")]
    assert only_price(vl(Status="")).status == "ACTIVE"


def test_number_types_fee_item_and_unknown_marks() -> None:
    fee, gtin, nrf, etman = prices_of(
        vl("21", VareMrk="9", VaBetg="FRAKT", Pris="0"), vl("7080001003395", VareMrk="2"),
        vl("10000009T", VareMrk="4"), vl("OS-471D", VareMrk="3"),
    )  # fmt: skip
    assert (fee.number_type, fee.extra["fee"], fee.list_price) == ("SUPPLIER", "true", 0)
    assert (gtin.number_type, gtin.gtin) == ("GTIN", "7080001003395")
    assert (nrf.number_type, nrf.gtin) == ("NO_NRF", None)
    assert (etman.number_type, etman.extra["varemrk"]) == ("SUPPLIER", "3")


def test_va_alternatives_pack_and_vx_information_belong_to_the_vl_before() -> None:
    first, second = prices_of(
        vl("1006100"), "VA;1;1016099;A;;;;", "VA;1;1016098;E", "VA;2;7080001003395;V", "VA;1;;P;1500000",
        "VX;BILDE;http://img/1.gif", "VX;BILDE;http://img/2.gif", "VX;FDV;http://fdv/1.pdf", vl("1006101"),
    )  # fmt: skip
    kinds = [(a.kind, a.number_type, a.article_number, a.pack_size) for a in first.alternatives]
    assert kinds == [
        ("ALTERNATIVE", "NO_EL_NUMBER", "1016099", None), ("REPLACEMENT", "NO_EL_NUMBER", "1016098", None),
        ("ALTERNATIVE_ID", "GTIN", "7080001003395", None), ("PACK", "NO_EL_NUMBER", None, Decimal(150)),
    ]  # fmt: skip
    assert first.extra == {
        "maaleenhet": "1", "vx_bilde": "http://img/1.gif", "vx_bilde_2": "http://img/2.gif", "vx_fdv": "http://fdv/1.pdf",
    }  # fmt: skip
    assert (second.alternatives, second.extra) == ((), {"maaleenhet": "1"})


def test_pristilbud_line_discount_and_net_type() -> None:
    header = HEADER.replace("VH;", "PH;", 1)
    _, [price], _, _ = split(translate(file_of(vl(Rabatt="1550").replace("VL;", "PL;", 1), header=header)))
    assert (price.discount_percent, price.price_type) == (Decimal("15.50"), "GROSS")
    assert only_price(vl(Rabatt="0")).discount_percent is None


def test_utf8_bom_lf_only_and_a_last_line_without_line_end() -> None:
    data = "\ufeff".encode() + "\n".join([HEADER, vl(VaBetg="LYSRØR"), vl("2")]).encode()
    _, prices, failed, _ = split(translate(data))
    assert not failed
    assert [(p.line, p.description) for p in prices] == [(2, "LYSRØR"), (3, "KABEL")]


def test_utf8_without_bom_is_recognised_at_its_first_non_ascii_line() -> None:
    data = "\r\n".join([HEADER, vl("1"), vl("2", VaBetg="LYSRØR Ø26 – 1,2 m")]).encode() + b"\r\n"
    _, [first, second], _, _ = split(translate(data))
    assert (first.description, second.description) == ("KABEL", "LYSRØR Ø26 – 1,2 m")
    assert TRANSLATOR.accepts(sniff(b"\xef\xbb\xbf" + data)) == 20


def test_a_nul_byte_names_its_line() -> None:
    with pytest.raises(ParseError, match="wrong charset") as raised:
        translate(file_of(vl("1"), vl("2")).replace(b"KABEL", b"KA\x00EL", 2))
    assert raised.value.location == "line 2"


def test_latin1_and_cp1252_text() -> None:
    data = file_of(vl(VaBetg="STÅL GJ.DELER Ø20", VaBetg2="€ 5"))
    assert (data.count(b"\xd8"), data.count(b"\x80")) == (1, 1)
    price = only_price(vl(VaBetg="STÅL GJ.DELER Ø20", VaBetg2="€ 5"))
    assert (price.description, price.description_2) == ("STÅL GJ.DELER Ø20", "€ 5")
    broken = HEADER.encode() + b"\r\n" + vl(VaBetg="EIGER#YVEI").encode().replace(b"#", b"\x9d") + b"\r\n"
    assert split(translate(broken))[1][0].description == "EIGER\x9dYVEI"  # undefined in CP1252: kept as Latin-1


def test_truncated_last_line_fails_alone() -> None:
    data = file_of(vl("1")) + b"VL;1;1006101;MATTE 3MM"
    _, prices, [failure], complete = split(translate(data))
    assert [p.article_number for p in prices] == ["1"]
    assert isinstance(failure.error, MissingFieldError)
    assert (failure.reference, failure.error.location) == ("line 3", "line 3, field 7 (PrisEnhet)")
    assert complete.failed_lines == 1


@pytest.mark.parametrize(
    ("pris", "rule", "expected"),
    [("1872,5", "scaled", "18.725"), ("1872,5", "as_written", "1872.5"), ("40.60", "as_written", "40.60"),
     ("40.60", "scaled", "0.4060"), ("-125", "scaled", "-1.25")],
)  # fmt: skip
def test_written_decimal_separator(pris: str, rule: str, expected: str) -> None:
    price = only_price(vl(Pris=pris), nelfo_decimals=rule)
    assert price.list_price == Decimal(expected)
    assert price.extra.get("pris_raw", pris) == pris


def test_written_decimals_in_quantities_follow_the_rule_of_each_file() -> None:
    line = vl(Pris="300", Mengde="1,5", SalgsPakning="2,5")
    for rule, quantity, pack in [
        ("scaled", "0.00015", "0.00025"),
        ("as_written", "1.5", "2.5"),
        ("scaled", "0.00015", "0.00025"),
    ]:
        price = only_price(line, nelfo_decimals=rule)
        assert (price.price_quantity, price.pack_size) == (Decimal(quantity), Decimal(pack)), rule
        assert price.unit_list_price == (Decimal(3) / Decimal(quantity)).quantize(Q6, ROUND_HALF_UP)
        assert price.extra["mengde_raw"] == "1,5"


def test_unknown_decimal_rule_option_is_refused() -> None:
    with pytest.raises(UnknownFormatError, match="nelfo_decimals"):
        translate(file_of(vl()), nelfo_decimals="guess")


def test_v3_header_is_refused_with_a_clear_message() -> None:
    v3 = HEADER.replace(";4.0;", ";3.0;")
    with pytest.raises(UnknownFormatError) as raised:
        translate(file_of(vl(), header=v3))
    assert raised.value.message == "EFONELFO 3.0 is not supported; ask the wholesaler for 4.0"
    assert raised.value.location == "line 1"
    assert TRANSLATOR.accepts(sniff(file_of(vl(), header=v3))) == 5  # claimed, so the message reaches the user
    assert TRANSLATOR.accepts(sniff(file_of(vl()))) == 20
    assert TRANSLATOR.accepts(Sniffed("nelfo")) == 0


def test_a_missing_field_fails_that_line_and_the_rest_imports() -> None:
    data = file_of(vl("1"), vl("2", Pris=""), "VA;1;99;A", vl("3"))
    _, prices, [failure], complete = split(translate(data))
    assert [p.article_number for p in prices] == ["1", "3"]
    assert isinstance(failure.error, MissingFieldError)
    assert (failure.reference, failure.error.location) == ("line 3", "line 3, field 9 (Pris)")
    assert (complete.article_count, complete.failed_lines) == (2, 1)
    assert [(p.line, p.field) for p in complete.line_report] == [(3, "Pris")]


@pytest.mark.parametrize(
    ("line", "location"),
    [(vl(Pris="12O0"), "field 9 (Pris)"), (vl(Mengde="0"), "field 10 (Mengde)"), (vl(Mengde="x"), "field 10 (Mengde)"),
     (vl(PrisType="X"), "field 20 (PrisType)"), (vl(PrisDato="20110231"), "field 11 (PrisDato)"),
     (vl(Rabatt="15%"), "field 19 (Rabatt)"), (vl(SalgsPakning="6 m"), "field 18 (SalgsPakning)"),
     (vl(Pris="9" * 30), "field 9 (Pris)"), (vl(Mengde="-10000"), "field 10 (Mengde)"),
     (vl(SalgsPakning="-10000"), "field 18 (SalgsPakning)"), (vl(VareMrk="1", PrisEnhet="12"), "field 7 (PrisEnhet)"),
     (vl(Rabatt="10100"), "field 19 (Rabatt)"), (vl(SalgsPakning="9" * 40), "field 18 (SalgsPakning)"),
     (vl(Pris="1,123456789"), "field 9 (Pris)")],
)  # fmt: skip
def test_invalid_values_fail_the_line(line: str, location: str) -> None:
    _, prices, [failure], _ = split(translate(file_of(line, vl("2"))))
    assert isinstance(failure.error, InvalidValueError)
    assert failure.error.location == f"line 2, {location}"
    assert [p.article_number for p in prices] == ["2"]


def test_orphan_and_bad_va_lines_are_reported_after_their_price() -> None:
    records = translate(file_of("VA;1;1;A", vl("1"), "VA;1;2;Q", "VX;;x"))
    _, prices, failed, _ = split(records)
    assert [f.error.location for f in failed] == [
        "line 2, field 1 (PostType)", "line 4, field 4 (VaType)", "line 5, field 2 (FeltId)",
    ]  # fmt: skip
    assert records.index(prices[0]) < records.index(failed[1])


def test_line_report_is_bounded_and_counts_are_complete() -> None:
    _, _, failed, complete = split(translate(file_of(*(vl(str(n), Pris="?") for n in range(150)))))
    assert (len(failed), complete.failed_lines, len(complete.line_report)) == (150, 150, 100)


def test_records_joined_by_a_space_on_one_physical_line_are_split() -> None:
    _, prices, failed, _ = split(translate(file_of(vl("1", PrisType="N") + " " + vl("2"), vl("3"))))
    assert not failed
    assert [(p.article_number, p.line, p.price_type) for p in prices] == [
        ("1", 2, "NET"),
        ("2", 2, "GROSS"),
        ("3", 3, "GROSS"),
    ]


def test_a_name_containing_a_record_type_is_never_cut() -> None:
    assert only_price(vl(VaBetg="LAMPE VL", VaBetg2="X VA")).description == "LAMPE VL"


@pytest.mark.parametrize(
    "data",
    [b"", b"\r\n\r\n", b"PRODUCT;PRICE\r\n1;2\r\n", "VH;EFONELFO;4.0".encode("utf-16")],
)
def test_no_header_or_wrong_charset_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError) as raised:
        translate(data)
    assert raised.value.location == "line 1"


def test_utf16_is_named_as_a_wrong_charset() -> None:
    with pytest.raises(ParseError, match="wrong charset"):
        translate(file_of(vl()).decode("cp1252").encode("utf-16-le"))


def test_a_second_header_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="second VH header") as raised:
        translate(file_of(vl(), HEADER, vl("2")))
    assert raised.value.location == "line 3"


def test_prices_are_real_frozen_price_records() -> None:
    price = only_price(vl())
    assert type(price) is Price
    assert price == Price(**{f.name: getattr(price, f.name) for f in dataclasses.fields(Price)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        price.line = 3  # type: ignore[misc]
    assert dataclasses.replace(price, line=9).line == 9


def test_quick_path_gives_the_same_price_as_the_full_path(nelfo: Path) -> None:
    """The fast reader of common lines must agree with the careful one wherever it answers, and answer often."""
    head = ("v", "w", "central", date(2017, 4, 1))
    lines = [(n, f) for path in sorted(CORPUS_FILES) for n, f in records_of(nelfo / path) if f[0] == "VL"]
    lines += [(2, vl(**given).split(";")) for given in QUICK_CASES]
    for line, fields in lines:  # warm the remembered values the quick path relies on
        with contextlib.suppress(FieldError):
            _full_draft(head, line, fields, "scaled")
    quick = 0
    for line, fields in lines:
        draft = _quick_draft(head, line, fields)
        if draft is not None:
            quick += 1
            quick_price, full_price = draft.seal(), _full_draft(head, line, fields, "scaled").seal()
            assert quick_price == full_price, fields
            assert list(quick_price.extra) == list(full_price.extra)
    assert quick >= 0.8 * len(lines)


QUICK_CASES: list[dict[str, str]] = [
    {}, {"VareMrk": "2"}, {"VareMrk": "0"}, {"Mengde": ""}, {"Mengde": "1000000", "PrisEnhet": "HMT"},
    {"PrisType": "N"}, {"Status": "3"}, {"Lagerfoert": ""}, {"SalgsPakning": "0"}, {"SalgsPakning": ""},
    {"PrisDato": ""}, {"PrisEnhetTxt": ""}, {"VaBetg": "  NAVN  "}, {"Pris": "0"}, {"Pris": "99999999999999999"},
    {"BlokkNummer": "101010"}, {"VareMrk": "9", "BlokkNummer": "1"}, {"VareMrk": "3"}, {"VareMrk": "5"},
    {"PrisEnhet": "OP", "PrisEnhetTxt": "PAR"}, {"PrisEnhet": "BK", "PrisEnhetTxt": "KURV"},
]  # fmt: skip


def records_of(path: Path) -> list[tuple[int, list[str]]]:
    return list(read_records(io.BytesIO(path.read_bytes()), LAYOUT))


# --- streaming ---------------------------------------------------------------------------------------


class LineStream(io.RawIOBase):
    """A readable stream fed by a generator of byte strings (the file never exists as one object)."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self._parts = parts
        self._pending = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            part = next(self._parts, None)
            if part is None:
                break
            self._pending += part
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        del self._pending[:size]
        return size


def generated_varefil(lines: int) -> Iterator[bytes]:
    yield (HEADER + "\r\n").encode()
    for n in range(lines):
        number, price = 1000000 + n, 1000 + n % 9000
        yield f"VL;1;{number};KABEL {n};PFSP 3x2,5;2;MTR;METER;{price};10000;20170401;1;;1001;;;J;10000;0;\r\n".encode()
        if n % 3 == 0:
            yield f"VA;1;{2000000 + n};A;\r\n".encode()


def test_memory_stays_flat_while_streaming_200000_lines() -> None:
    stream = io.BufferedReader(LineStream(generated_varefil(200_000)))
    tracemalloc.start()
    try:
        count = sum(1 for record in TRANSLATOR.translate(stream, TranslationContext()) if isinstance(record, Price))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
