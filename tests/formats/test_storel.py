"""Storel GN price list, rabattbrev and nettoprisfil: hand-written files in both layouts and encodings.

Fixtures follow FORMATS.md §2.1.1 and §3.2 (field order, decimal comma, YYYYMMDD dates, ANSI + CR LF; the
municipal variant in UTF-8 + LF). A 200,000-line list is generated to check that translation streams.
"""

from __future__ import annotations

import io
import random
import tracemalloc
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pytest

from hub.canonical.pricelist import DiscountAgreement, GroupDiscount, Price, PriceListVersion
from hub.errors import InvalidValueError, MissingFieldError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext
from hub.formats.mapping import ColumnMapping, MappedColumns
from hub.formats.sniff import sniff
from hub.formats.storel import (
    SHAPE_SCORE,
    TRANSLATOR_BY_KIND,
    StorelDiscountTranslator,
    StorelNetPriceTranslator,
    StorelPriceListTranslator,
    storel_kind,
)

PRICES = StorelPriceListTranslator()
DISCOUNTS = StorelDiscountTranslator()
NET = StorelNetPriceTranslator()
STOREL = (PRICES, DISCOUNTS, NET)

GN_ANSI = (
    "Artikelnummer;Benämning;Enhet;Materialgrupp;GN-Pris;Prisdatum;ALEM;Lagerförd;Status\r\n"
    "1416002;VP-rör 16 MM;M;14AA;15,00;20130701;J;L;O\r\n"
    "1416010;Kopplingsdosa för väggmontage Ö;ST;14AB;123,45;20130815;N;;UL\r\n"
    "1416020;Värmekabel å 10 m;RLE;14AB;;20130101;A;L;PPB\r\n"
    "\r\n"
    "1416030;Säkring 10A;ST;00AB;7,5;20120101;J;X;ZZ\r\n"
).encode("cp1252")

GN_MUNICIPAL = (
    "Artikelnummer; Benämning; Enhet (FP/M/ST…); Förpackningsstorlek; Materialgrupp; "
    "GN-Pris (15,00); Prisdatum; Lagerförd (J/N)\n"
    "1416002;VP-rör 16 MM;M;100;14AA;15,00;20240301;J\n"
    "2000001;Skruv rostfri 4×40;FP;250;00AB;89,90;20240215;N\n"
).encode()


def _context(**options: str) -> TranslationContext:
    return TranslationContext(partner_id="storel", tenant_id="nordstrom", options=options)


def _run(translator: object, data: bytes | BinaryIO, context: TranslationContext | None = None) -> list[object]:
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return list(translator.translate(stream, context or _context()))  # type: ignore[attr-defined]


def _prices(records: list[object]) -> list[Price]:
    return [r for r in records if isinstance(r, Price)]


def _failed(records: list[object]) -> list[FailedRecord]:
    return [r for r in records if isinstance(r, FailedRecord)]


# --- GN price list ----------------------------------------------------------------------------------


def test_ansi_price_list_follows_the_version_protocol() -> None:
    records = _run(PRICES, GN_ANSI, _context(valid_from="2025-02-01", version_id="v-1"))
    first, last = records[0], records[-1]
    assert isinstance(first, PriceListVersion) and isinstance(last, PriceListVersion)
    assert (first.status, last.status) == ("ANNOUNCED", "COMPLETE")
    assert (first.version_id, first.wholesaler_id, first.scope) == ("v-1", "storel", "nordstrom")
    assert first.valid_from == last.valid_from == date(2025, 2, 1)
    assert first.currency == "SEK"
    assert (last.article_count, last.failed_lines, last.line_report) == (4, 0, ())
    assert all(isinstance(r, Price) for r in records[1:-1])


def test_ansi_price_list_fields() -> None:
    prices = _prices(_run(PRICES, GN_ANSI, _context(valid_from="2025-02-01", version_id="v-1")))
    rör, dosa, kabel, säkring = prices
    assert rör.article_number == "1416002" and rör.description == "VP-rör 16 MM"
    assert (rör.list_price, rör.unit_list_price, rör.price_quantity) == (Decimal("15.00"), Decimal("15.00"), Decimal(1))
    assert (rör.unit, rör.unit_code, rör.discount_group) == ("M", "MTR", "14AA")
    assert (rör.status, rör.raw_status, rör.stocked, rör.extra) == ("ACTIVE", "O", True, {"alem": "J"})
    assert (rör.price_type, rör.number_type, rör.line) == ("GROSS", "SUPPLIER", 2)
    assert rör.price_date == date(2013, 7, 1)
    assert (rör.version_id, rör.wholesaler_id, rör.scope, rör.valid_from) == (
        "v-1",
        "storel",
        "nordstrom",
        date(2025, 2, 1),
    )
    assert dosa.description == "Kopplingsdosa för väggmontage Ö"
    assert (dosa.status, dosa.stocked, dosa.unit_code) == ("PHASING_OUT", None, "EA")
    assert (kabel.status, kabel.list_price, kabel.description, kabel.unit_code) == (
        "PRICE_ON_REQUEST",
        Decimal(0),
        "Värmekabel å 10 m",
        "RO",
    )
    assert (säkring.line, säkring.status, säkring.raw_status) == (6, "UNKNOWN", "ZZ")
    assert säkring.extra == {"alem": "J", "stocked_raw": "X"}


def test_utf8_with_bom_and_without_header() -> None:
    body = "1416002;VP-rör 16 MM;M;14AA;15,00;20130701;J;L;O\n".encode()
    for data in (b"\xef\xbb\xbf" + body, body):
        (price,) = _prices(_run(PRICES, data, _context(valid_from="2025-01-01")))
        assert (price.description, price.line) == ("VP-rör 16 MM", 1)


def test_fewer_columns_are_empty_fields() -> None:
    (price,) = _prices(_run(PRICES, b"1416002;Ror;M;14AA;15,00\r\n", _context(valid_from="2025-01-01")))
    assert (price.status, price.stocked, price.price_date, price.extra) == ("ACTIVE", None, None, {})


def test_municipal_utf8_lf_variant() -> None:
    records = _run(PRICES, GN_MUNICIPAL, _context(valid_from="2024-04-01"))
    rör, skruv = _prices(records)
    assert (rör.pack_size, rör.discount_group, rör.list_price, rör.stocked) == (
        Decimal(100),
        "14AA",
        Decimal("15.00"),
        True,
    )
    assert (skruv.description, skruv.unit_code, skruv.stocked, skruv.line) == ("Skruv rostfri 4×40", "PK", False, 3)
    assert skruv.extra == {} and skruv.status == "ACTIVE"


def test_municipal_layout_detected_without_header() -> None:
    data = b"1416002;VP-ror;M;100;14AA;15,00;20240301;J\n1416003;VP-ror;M;100;14AA;16,00;20240301;J\n"
    first, _ = _prices(_run(PRICES, data, _context(valid_from="2024-04-01")))
    assert (first.pack_size, first.discount_group, first.price_date) == (Decimal(100), "14AA", date(2024, 3, 1))
    forced = _run(PRICES, data, _context(valid_from="2024-04-01", layout="standard"))
    # As standard, column 5 ("14AA") is no price: line 1 reads as a header and line 2 fails.
    assert _prices(forced) == [] and [f.reference for f in _failed(forced)] == ["line 2"]


def test_valid_from_is_the_latest_prisdatum_without_the_option() -> None:
    records = _run(PRICES, GN_ANSI)
    assert records[0].valid_from == date(2013, 8, 15)  # type: ignore[attr-defined]
    assert all(p.valid_from == date(2013, 8, 15) for p in _prices(records))
    assert len(_prices(records)) == 4  # the stream was rewound after the first pass


def test_missing_valid_from_is_a_clear_error() -> None:
    with pytest.raises(MissingFieldError, match=r"give the import a valid-from date \(hub import --valid-from\)"):
        _run(PRICES, b"1416002;Ror;M;14AA;15,00\r\n")


class _Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False


def test_unseekable_stream_needs_the_option() -> None:
    with pytest.raises(MissingFieldError, match="--valid-from"):
        _run(PRICES, _Unseekable(GN_ANSI))
    records = _run(PRICES, _Unseekable(GN_ANSI), _context(valid_from="2025-01-01"))
    assert len(_prices(records)) == 4


def test_bad_valid_from_option() -> None:
    with pytest.raises(InvalidValueError, match="valid_from"):
        _run(PRICES, GN_ANSI, _context(valid_from="1 feb"))


def test_bad_lines_are_failed_records_with_line_and_column() -> None:
    data = (
        "1416002;VP-rör;M;14AA;15,00;20130701;J;L;O\r\n"
        "1416003;Rör;M;14AA;15.00;20130701;J;L;O\r\n"
        ";Utan nummer;M;14AA;1,00;20130701;J;L;O\r\n"
        "1416004;Rör;M;14AA;-1,00;20130701;J;L;O\r\n"
        "1416005;Rör;M;14AA;1,00;2013-13-01;J;L;O\r\n"
        "1416006;Rör;M;14AA;1,00;20130701;J;L;O;extra\r\n"
        "1416007;Rör;M;14AA;;20130701;J;L;O\r\n"
    ).encode("cp1252")
    records = _run(PRICES, data, _context(valid_from="2025-01-01"))
    failed = _failed(records)
    assert [f.reference for f in failed] == ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]
    assert failed[0].error.location == "line 2, column 5 (GN-Pris)"
    assert "'15.00' is not a number" in failed[0].error.message
    assert failed[1].error.location == "line 3, column 1 (Artikelnummer)"
    assert isinstance(failed[1].error, MissingFieldError)
    assert failed[3].error.location == "line 5, column 6 (Prisdatum)"
    assert "10 fields" in failed[4].error.message
    complete = records[-1]
    assert isinstance(complete, PriceListVersion)
    assert (complete.article_count, complete.failed_lines) == (1, 6)
    assert [(p.line, p.field) for p in complete.line_report][:2] == [(2, "GN-Pris"), (3, "Artikelnummer")]


def test_line_report_is_bounded() -> None:
    data = b"0;Ror;M;14AA;1,00;20130701\n" + "".join(f"{n};Rör;M;14AA;x;20130701\n" for n in range(150)).encode()
    complete = _run(PRICES, data, _context(valid_from="2025-01-01"))[-1]
    assert isinstance(complete, PriceListVersion)
    assert (complete.failed_lines, len(complete.line_report)) == (150, 100)


def test_undecodable_line_after_utf8_lock() -> None:
    data = "1;Rör;M;14AA;1,00;20130701\n2;Rör;M;14AA;1,00;20130701\n".encode() + "3;Rör;M;14AA;1,00;20130701\n".encode(
        "cp1252"
    )
    records = _run(PRICES, data, _context(valid_from="2025-01-01"))
    (bad,) = _failed(records)
    assert bad.reference == "line 3" and "not valid utf-8" in bad.error.message
    assert len(_prices(records)) == 2


def test_empty_price_list_is_refused() -> None:
    for data in (b"", b"\xef\xbb\xbf\r\n", GN_ANSI.split(b"\r\n")[0] + b"\r\n"):
        with pytest.raises(MissingFieldError, match="no article lines"):
            _run(PRICES, data, _context(valid_from="2025-01-01"))


def test_empty_field_lines_are_skipped_and_kind_must_fit() -> None:
    data = b"1416002;Ror;M;14AA;15,00;20130701\r\n;;;;;;;;\r\n\x1a"
    records = _run(PRICES, data, _context(valid_from="2025-01-01", kind="price_list"))
    assert len(_prices(records)) == 1 and not _failed(records)
    with pytest.raises(InvalidValueError, match="kind 'net_prices' does not fit"):
        _run(PRICES, data, _context(valid_from="2025-01-01", kind="net_prices"))
    with pytest.raises(InvalidValueError, match="kind 'price_list' does not fit"):
        _run(DISCOUNTS, RABATTBREV, _context(kind="price_list"))


def test_mapping_may_set_the_number_type() -> None:
    mapping = ColumnMapping(
        name="storel", owner="storel", number_type="SE_E_NUMBER", columns=MappedColumns(article_number=1)
    )
    context = TranslationContext(options={"valid_from": "2025-01-01"}, mapping=mapping)
    assert {p.number_type for p in _prices(_run(PRICES, GN_ANSI, context))} == {"SE_E_NUMBER"}
    options_only = _prices(_run(PRICES, GN_ANSI, _context(valid_from="2025-01-01", number_type="se_rsk")))
    assert {p.number_type for p in options_only} == {"SE_RSK"}


# --- rabattbrev -------------------------------------------------------------------------------------


RABATTBREV = "Materialgrupp;Rabatt1;Rabatt2\r\n00AB;10,1;10,1\r\n14AA;42;\r\n14AB;35,5\r\n".encode("cp1252")


def test_rabattbrev_with_two_discount_columns() -> None:
    (agreement,) = _run(DISCOUNTS, RABATTBREV, _context(agreement_id="a-1"))
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.group_discounts == (
        GroupDiscount("00AB", Decimal("10.1"), Decimal("10.1")),
        GroupDiscount("14AA", Decimal(42)),
        GroupDiscount("14AB", Decimal("35.5")),
    )
    assert (agreement.agreement_id, agreement.wholesaler_id, agreement.tenant_id) == ("a-1", "storel", "nordstrom")
    assert (agreement.valid_from, agreement.default_discount_percent, agreement.net_prices) == (None, None, ())


def test_municipal_rabattbrev_two_columns_utf8() -> None:
    data = "Materialgrupp;Rabatt\n00AB;15,6\nÖVRIGT;35\n".encode()
    (agreement,) = _run(DISCOUNTS, data, _context(valid_from="2025-03-01"))
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.group_discounts == (GroupDiscount("00AB", Decimal("15.6")),)
    assert (agreement.default_discount_percent, agreement.valid_from) == (Decimal(35), date(2025, 3, 1))


def test_default_discount_option_wins() -> None:
    (agreement,) = _run(DISCOUNTS, b"14AA;42\n*;30\n", _context(default_discount_percent="35,0"))
    assert agreement.default_discount_percent == Decimal("35.0")  # type: ignore[attr-defined]
    (only_option,) = _run(DISCOUNTS, b"14AA;42\n", _context(default_discount_percent="35"))
    assert only_option.default_discount_percent == 35  # type: ignore[attr-defined]
    (zero,) = _run(DISCOUNTS, b"14AA;42\n", _context(default_discount_percent="0,0 %"))
    assert zero.default_discount_percent == 0  # type: ignore[attr-defined]
    (dotted,) = _run(DISCOUNTS, b"14AA;42\n", _context(default_discount_percent="12.5"))
    assert dotted.default_discount_percent == Decimal("12.5")  # type: ignore[attr-defined]


def test_rabattbrev_bad_lines() -> None:
    data = b"00AB;10,1\n00AB;11\n14AA;1234567\n14AB;101\n;5\n14AC;5;5;5\n*;30;5\nREST;20\n14AD;\n"
    records = _run(DISCOUNTS, data)
    failed = _failed(records)
    assert [f.reference for f in failed] == [f"line {n}" for n in range(2, 10) if n != 8]
    assert "already given on line 1" in failed[0].error.message
    assert failed[1].error.location == "line 3, column 2 (Rabatt 1)"
    assert "at most 6 characters" in failed[1].error.message
    agreement = records[-1]
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.group_discounts == (GroupDiscount("00AB", Decimal("10.1")),)
    assert agreement.default_discount_percent == 20


def test_empty_rabattbrev_is_refused() -> None:
    with pytest.raises(MissingFieldError, match="no usable discount lines"):
        _run(DISCOUNTS, b"Materialgrupp;Rabatt1;Rabatt2\r\n")
    with pytest.raises(InvalidValueError, match="default_discount_percent"):
        _run(DISCOUNTS, b"14AA;42\n", _context(default_discount_percent="120"))


# --- nettoprisfil -----------------------------------------------------------------------------------


def test_net_price_file() -> None:
    data = (
        "Artikelnummer;Benämning;Nettopris;Rabattgrupp;Prisdatum\r\n"
        "1416002;VP-rör 16 MM;3,65;14AA;20130701\r\n"
        "1416010;Kopplingsdosa;12,00;14AB;20140101\r\n"
        "1416011;Dosa;tolv;14AB;20140101\r\n"
    ).encode("cp1252")
    records = _run(NET, data, _context(agreement_id="n-1"))
    (bad,) = _failed(records)
    assert bad.error.location == "line 4, column 3 (Nettopris)"
    agreement = records[-1]
    assert isinstance(agreement, DiscountAgreement)
    assert [(n.article_number, n.net_price, n.description) for n in agreement.net_prices] == [
        ("1416002", Decimal("3.65"), "VP-rör 16 MM"),
        ("1416010", Decimal("12.00"), "Kopplingsdosa"),
    ]
    assert (agreement.valid_from, agreement.currency, agreement.group_discounts) == (date(2014, 1, 1), "SEK", ())
    (dated,) = _run(NET, data[: data.index(b"1416011")], _context(valid_from="2025-01-01"))
    assert dated.valid_from == date(2025, 1, 1)  # type: ignore[attr-defined]


def test_municipal_net_price_file() -> None:
    (agreement,) = _run(NET, b"Artikelnummer;Pris;Prisdatum\n1416002;3,65;20240301\n")
    assert isinstance(agreement, DiscountAgreement)
    assert [(n.article_number, n.net_price, n.description) for n in agreement.net_prices] == [
        ("1416002", Decimal("3.65"), None)
    ]
    assert agreement.valid_from == date(2024, 3, 1)
    (headless,) = _run(NET, b"1416002;3,65;20240301\n")
    assert headless.net_prices == agreement.net_prices  # type: ignore[attr-defined]


def test_empty_net_price_file_means_no_net_prices() -> None:
    for data in (b"", b"\r\n", b"Artikelnummer;Benamning;Nettopris;Rabattgrupp;Prisdatum\r\n"):
        (agreement,) = _run(NET, data, _context(valid_from="2025-01-01"))
        assert isinstance(agreement, DiscountAgreement)
        assert (agreement.net_prices, agreement.group_discounts, agreement.valid_from) == ((), (), date(2025, 1, 1))


# --- sniffing ---------------------------------------------------------------------------------------

HEADS = {
    "price_list": [GN_ANSI, GN_MUNICIPAL, b"1416002;VP-ror;M;100;14AA;15,00;20240301;J\n", b"1;R;M;14;1,00;20130701\n"],
    "discount_letter": [RABATTBREV, b"00AB;15,6\n", b"00AB;10;5\n"],
    "net_prices": [b"1416002;VP;3,65;14AA;20130701\r\n", b"Artikelnummer;Pris;Prisdatum\n1416002;3,65;20240301\n"],
}


@pytest.mark.parametrize(("kind", "head"), [(k, h) for k, heads in HEADS.items() for h in heads])
def test_each_shape_is_claimed_by_exactly_one_translator(kind: str, head: bytes) -> None:
    sniffed = sniff(head)
    assert sniffed.syntax == "csv" and storel_kind(head) == kind
    scores = {t.id.name: t.accepts(sniffed) for t in STOREL}
    assert scores == {name: SHAPE_SCORE if name == TRANSLATOR_BY_KIND[kind] else 0 for name in scores}


def _random_line(rng: random.Random) -> str:
    pool = ["1416002", "14AA", "15,00", "10,1", "20130701", "", "M", "J", "Rör", "100", "3,65", "*", "2024-03-01"]
    return ";".join(rng.choice(pool) for _ in range(rng.randint(1, 10)))


def _probes() -> Iterator[Sniffed]:
    rng = random.Random(20250101)
    yield from (Sniffed("csv"), Sniffed("nelfo", head=b"VH;EFONELFO;4.0;\r\n"), Sniffed("unknown", head=GN_ANSI))
    for _ in range(3000):
        yield Sniffed("csv", head="\n".join(_random_line(rng) for _ in range(2)).encode())


def test_never_a_tie_between_storel_translators() -> None:
    for probe in _probes():
        scores = sorted((t.accepts(probe) for t in STOREL), reverse=True)
        assert scores[1] == 0, probe.head
        assert scores[0] in (0, SHAPE_SCORE)
    assert all(t.accepts(Sniffed("csv")) == 0 for t in STOREL)


def test_no_tie_with_the_registered_translators() -> None:
    """Storel's three shapes never tie with each other or with any other registered translator."""
    from hub.formats import registry

    everyone = registry.all_translators()
    assert {type(t) for t in STOREL} <= {type(t) for t in everyone}
    probes = (*registry.PROBES, *(sniff(head) for heads in HEADS.values() for head in heads))
    for probe in probes:
        scores = sorted((t.accepts(probe) for t in everyone), reverse=True)
        assert scores[0] == 0 or scores[0] > scores[1], probe


# --- streaming --------------------------------------------------------------------------------------


def _write_big_list(path: Path, lines: int) -> None:
    with path.open("wb") as out:
        out.write(
            "Artikelnummer;Benämning;Enhet;Materialgrupp;GN-Pris;Prisdatum;ALEM;Lagerförd;Status\r\n".encode("cp1252")
        )
        for n in range(lines):
            line = f"{1000000 + n};Kabel ÅÄÖ {n};M;{n % 97:02d}AA;{n % 1000},{n % 100:02d};2025{1 + n % 12:02d}01;J;L;O"
            out.write(line.encode("cp1252") + b"\r\n")


def test_200k_line_list_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "gn.txt"
    _write_big_list(path, 200_000)
    counts = {"Price": 0, "other": 0}
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for record in PRICES.translate(stream, _context()):  # valid_from from the file: two passes
                counts["Price" if isinstance(record, Price) else "other"] += 1
                last = record
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert counts == {"Price": 200_000, "other": 2}
    assert isinstance(last, PriceListVersion) and last.article_count == 200_000 and last.valid_from == date(2025, 12, 1)
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
