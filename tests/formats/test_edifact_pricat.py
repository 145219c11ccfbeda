"""EDIFACT PRICAT translator: the corpus sample checked against an independent reading, and hand-written interchanges.

The corpus test reads the file with plain string splitting (UNA and the release character respected) and
asserts that every LIN became a Price with the price and basis read there, or a FailedRecord when the LIN
has no gross or net price. The hand-written interchanges cover the mapping and the error boundaries.
"""

from __future__ import annotations

import io
import re
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.canonical.pricelist import Price, PriceListVersion
from hub.errors import DocumentError, InvalidValueError, MissingFieldError, ParseError, UnknownFormatError
from hub.formats import edifact, edifact_pricat
from hub.formats.base import FailedRecord, Sniffed, TranslationContext
from hub.formats.edifact_pricat import REPORT_LIMIT, EdifactPricatTranslator
from hub.formats.sniff import sniff
from tests.formats.edifact_reading import read_segments

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SAMPLE = CORPUS / "edifact" / "edifabric_eancom" / "EANCOM_PriceCatalogue.edi"
TRANSLATOR = EdifactPricatTranslator()
Version = tuple[PriceListVersion, list[object], PriceListVersion]


def translate(data: bytes | str, **options: str) -> list[object]:
    raw = data.encode("latin-1") if isinstance(data, str) else data
    context = TranslationContext(partner_id="W1", tenant_id=None, options=options)
    return list(TRANSLATOR.translate(io.BytesIO(raw), context))


def versions(records: list[object]) -> list[Version]:
    """ANNOUNCED … COMPLETE sequences; asserts the protocol (nothing outside a sequence but message failures)."""
    found: list[Version] = []
    current: tuple[PriceListVersion, list[object]] | None = None
    for record in records:
        if isinstance(record, PriceListVersion) and record.status == "ANNOUNCED":
            assert current is None
            current = (record, [])
        elif isinstance(record, PriceListVersion):
            assert current is not None and record.status == "COMPLETE"
            found.append((current[0], current[1], record))
            current = None
        else:
            assert current is not None, record
            current[1].append(record)
    assert current is None
    return found


def only_version(data: bytes | str, **options: str) -> Version:
    found = versions(translate(data, **options))
    assert len(found) == 1
    return found[0]


def only_price(data: bytes | str, **options: str) -> Price:
    _, lines, _ = only_version(data, **options)
    assert len(lines) == 1 and isinstance(lines[0], Price), lines
    return lines[0]


# --- an independent reading of the corpus ---------------------------------------------------------


def value(segment: list[list[str]], element: int, component: int = 0) -> str | None:
    try:
        return segment[element][component] or None
    except IndexError:
        return None


def expected_messages(data: bytes) -> list[dict[str, object]]:
    """Per message: BGM number, NAD SU/BY ids, CUX currency, and per LIN its number and first AAB/AAA price."""
    found: list[dict[str, object]] = []
    for seg in read_segments(data):
        tag = seg[0][0]
        if tag == "UNH":
            found.append({"lins": [], "nad": {}})
        elif not found:
            continue
        current = found[-1]
        lins = current["lins"]
        assert isinstance(lins, list)
        if tag == "BGM":
            current["number"] = value(seg, 2)
        elif tag == "CUX":
            current.setdefault("currency", value(seg, 1, 1))
        elif tag == "NAD" and not lins:
            nad = current["nad"]
            assert isinstance(nad, dict)
            nad.setdefault(value(seg, 1), value(seg, 2))
        elif tag == "LIN":
            lins.append({"number": value(seg, 1), "prices": {}})
        elif tag == "PRI" and lins and value(seg, 1) in ("AAB", "AAA"):
            prices = lins[-1]["prices"]
            basis = value(seg, 1, 4) or "1"
            prices.setdefault(value(seg, 1), (Decimal(str(value(seg, 1, 1))), Decimal(basis)))
    return found


def test_the_corpus_sample_translates_as_read() -> None:
    if not SAMPLE.is_file():
        pytest.skip(f"corpus file not present: {SAMPLE}")
    data = SAMPLE.read_bytes()
    assert TRANSLATOR.accepts(sniff(data)) == 20
    found, expected = versions(translate(data)), expected_messages(data)
    assert len(found) == len(expected) == 1
    for m, ((announced, lines, complete), facts) in enumerate(zip(found, expected, strict=True), start=1):
        lins = facts["lins"]
        assert isinstance(lins, list) and len(lins) == 5
        # LIN 3 and 5 are pack-hierarchy sub-lines without a price: not articles, so neither priced nor failed.
        kept = [lin for lin in lins if str(lin["number"]) not in ("3", "5")]
        assert len(lines) == len(kept) == 3
        assert complete.article_count is not None and complete.failed_lines is not None
        assert complete.article_count + complete.failed_lines == len(kept)
        assert announced.list_name == facts["number"] and announced.currency == facts["currency"]
        assert (announced.seller_id, announced.buyer_id) == (facts["nad"]["SU"], facts["nad"]["BY"])  # type: ignore[index]
        for record, lin in zip(lines, kept, strict=True):
            check_line_as_read(m, record, lin)


def check_line_as_read(m: int, record: object, lin: dict[str, object]) -> None:
    prices = lin["prices"]
    assert isinstance(prices, dict)
    kind = "AAB" if "AAB" in prices else "AAA" if "AAA" in prices else None
    if kind is None:
        assert isinstance(record, FailedRecord), record
        assert record.reference == f"message {m}, LIN {lin['number']}"
        assert record.error.code == "MISSING_FIELD"
        return
    assert isinstance(record, Price), record
    amount, basis = prices[kind]
    assert (record.list_price, record.price_quantity) == (amount, basis)
    assert record.unit_list_price == amount / basis
    assert record.price_type == ("GROSS" if kind == "AAB" else "NET")
    assert record.line == int(str(lin["number"]))


def test_the_corpus_sample_details() -> None:
    if not SAMPLE.is_file():
        pytest.skip(f"corpus file not present: {SAMPLE}")
    announced, lines, complete = only_version(SAMPLE.read_bytes(), version_id="v-1")
    assert announced.valid_from == date(2002, 10, 1)  # DTM+137; the DTM+171 dates the RFF+CT, not the list
    assert (announced.version_id, announced.wholesaler_id, announced.scope) == ("v-1", "W1", "central")
    case, pallet = (r for r in lines if isinstance(r, Price))
    assert (case.article_number, case.number_type, case.gtin) == ("TU32555", "SUPPLIER", "5410738377117")
    assert (case.description, case.description_2, case.status, case.raw_status) == (
        "CORN CRISPIES",
        "CASE",
        "NEW",
        "LIN 1",
    )
    assert case.discount_percent is None  # PCD+3:8 applies from 48 pieces (RNG): a quantity step
    assert case.extra["quantity_discounts"] == "8 % from 48 PCE"
    assert (pallet.price_type, pallet.discount_percent) == ("NET", None)
    [failed] = [r for r in lines if isinstance(r, FailedRecord)]
    assert "suggested retail" in failed.error.message
    assert [p.line for p in complete.line_report] == [1]


def test_every_prefix_of_the_corpus_sample_fails_cleanly() -> None:
    if not SAMPLE.is_file():
        pytest.skip(f"corpus file not present: {SAMPLE}")
    data = SAMPLE.read_bytes()
    for end in range(len(data)):
        try:
            records = translate(data[:end])
        except DocumentError:
            continue
        assert all(isinstance(r, Price | PriceListVersion | FailedRecord) for r in records)


# --- hand-written interchanges ---------------------------------------------------------------------

HEADER = (
    "BGM+9+PL-2024-01+9",
    "DTM+137:20240110:102",
    "DTM+194:20240201:102",
    "DTM+206:20241231:102",
    "RFF+CT:AVTAL-9",
    "DTM+171:20230101:102",
    "RFF+IT:K-4711",
    "NAD+SU+7350000000001::9",
    "NAD+BY+7350000000002::9",
    "CUX+2:SEK:8",
    "PGI+2",
)


def lin(n: int, *segments: str, number: str = "7310000000019:EN", sa: str | None = "E1234567") -> tuple[str, ...]:
    pia = (f"PIA+5+{sa}:SA",) if sa else ()
    return (f"LIN+{n}++{number}", *pia, *segments)


def message(ref: str, *segments: str, version: str = "D:96A:UN:EAN008", msg_type: str = "PRICAT") -> str:
    return f"UNH+{ref}+{msg_type}:{version}'" + "".join(s + "'" for s in segments) + f"UNT+{len(segments) + 2}+{ref}'"


def interchange(*messages: str, charset: str = "UNOC:3", una: str = "", count: int | None = None) -> str:
    n = len(messages) if count is None else count
    head = f"{una}UNB+{charset}+7350000000001:14+7350000000002:14+240115:1200+ICREF'"
    return head + "".join(messages) + f"UNZ+{n}+ICREF'"


def single(*line_segments: str, header: tuple[str, ...] = HEADER, version: str = "D:96A:UN:EAN008") -> str:
    return interchange(message("1", *header, *lin(1, *line_segments), version=version))


def test_header_facts() -> None:
    announced, _, complete = only_version(single("PRI+AAB:10"), version_id="v-9")
    assert announced.status == "ANNOUNCED" and complete.status == "COMPLETE"
    assert (announced.valid_from, announced.valid_to) == (date(2024, 2, 1), date(2024, 12, 31))
    assert (announced.list_name, announced.currency, announced.customer_number) == ("PL-2024-01", "SEK", "K-4711")
    assert (announced.seller_id, announced.buyer_id) == ("7350000000001", "7350000000002")
    assert (announced.version_id, announced.wholesaler_id, announced.scope) == ("v-9", "W1", "central")
    assert (complete.article_count, complete.failed_lines, complete.line_report) == (1, 0, ())
    assert complete.valid_from == announced.valid_from and complete.list_name == announced.list_name


def test_tenant_scope() -> None:
    context = TranslationContext(partner_id="W1", tenant_id="T7")
    records = list(TRANSLATOR.translate(io.BytesIO(single("PRI+AAB:10").encode()), context))
    assert {r.scope for r in records if isinstance(r, Price | PriceListVersion)} == {"T7"}


def test_gross_price() -> None:
    price = only_price(single("IMD+F++:::Kabel EKK:3x1,5", "PRI+AAB:1250.50:CA"))
    assert (price.list_price, price.unit_list_price, price.price_quantity) == (Decimal("1250.50"),) * 2 + (Decimal(1),)
    assert (price.price_type, price.unit_code, price.unit) == ("GROSS", "EA", None)
    assert (price.article_number, price.number_type, price.gtin) == ("E1234567", "SUPPLIER", "7310000000019")
    assert (price.description, price.description_2) == ("Kabel EKK", "3x1,5")
    assert (price.valid_from, price.version_id, price.wholesaler_id, price.line) == (date(2024, 2, 1), "", "W1", 1)


def test_net_price() -> None:
    price = only_price(single("PRI+AAA:80"))
    assert (price.list_price, price.price_type) == (Decimal(80), "NET")


def test_gross_wins_and_the_net_price_is_kept() -> None:
    price = only_price(single("PRI+AAB:100", "PRI+AAA:80", "PRI+AAE:149:CA:SRP"))
    assert (price.list_price, price.price_type) == (Decimal(100), "GROSS")
    assert price.extra == {"net_price": "80/1", "suggested_retail_price": "149/1"}


def test_price_basis_100() -> None:
    price = only_price(single("PRI+AAA:3630.17::NTP:100:C62"))
    assert (price.list_price, price.price_quantity) == (Decimal("3630.17"), Decimal(100))
    assert price.unit_list_price == Decimal("36.3017")
    assert (price.unit, price.unit_code, price.price_type) == ("C62", "C62", "NET")


def test_unit_of_the_price_basis() -> None:
    price = only_price(single("PRI+AAB:512:::100:MTR"))
    assert (price.unit_list_price, price.unit_code) == (Decimal("5.12"), "MTR")


def test_line_discount() -> None:
    price = only_price(single("PRI+AAB:200", "ALC+A+++1", "PCD+3:12.5"))
    assert (price.discount_percent, price.price_type) == (Decimal("12.5"), "GROSS")


def test_a_net_price_already_contains_its_discount() -> None:
    price = only_price(single("PRI+AAA:175", "ALC+A+++1", "PCD+3:12.5"))
    assert price.discount_percent is None
    assert price.extra["discount_percent_in_net_price"] == "12.5"


def test_a_charge_is_no_discount() -> None:
    assert only_price(single("PRI+AAB:200", "ALC+C+++1", "PCD+2:5")).discount_percent is None


def test_identifiers_without_a_supplier_number() -> None:
    gtin = only_price(interchange(message("1", *HEADER, *lin(1, "PRI+AAB:1", sa=None))))
    assert (gtin.article_number, gtin.number_type, gtin.gtin) == ("7310000000019", "GTIN", "7310000000019")
    own = only_price(interchange(message("1", *HEADER, *lin(1, "PRI+AAB:1", number="X-1:MF", sa=None))))
    assert (own.article_number, own.number_type, own.gtin) == ("X-1", "SUPPLIER", None)


def test_line_status_pack_size_and_price_date() -> None:
    segments = ("QTY+52:10", "PRI+AAB:5", "DTM+194:20240301:102")
    price = only_price(interchange(message("1", *HEADER, "LIN+7+3+7310000000019:EN", *segments)))
    assert (price.status, price.raw_status, price.line) == ("CHANGED", "LIN 3", 7)
    assert (price.pack_size, price.price_date) == (Decimal(10), date(2024, 3, 1))


def test_a_change_list_marks_its_lines_changed() -> None:
    header = ("BGM+9+PL-2+4", *HEADER[1:])
    assert only_price(single("PRI+AAB:5", header=header)).status == "CHANGED"
    assert only_price(single("PRI+AAB:5")).status == "ACTIVE"


def test_a_bad_line_fails_alone() -> None:
    body = (*HEADER, *lin(1, "PRI+AAB:10"), *lin(2, "PRI+AAB:12X"), *lin(3, "PRI+AAB:30"))
    _, lines, complete = only_version(interchange(message("1", *body)))
    bad = lines[1]
    assert isinstance(bad, FailedRecord) and isinstance(bad.error, InvalidValueError)
    assert bad.reference == "message 1, LIN 2"
    assert bad.error.location == "message 1, segment 18 (PRI+AAB)"
    assert [r.list_price for r in lines if isinstance(r, Price)] == [10, 30]
    assert (complete.article_count, complete.failed_lines) == (2, 1)
    assert complete.line_report[0].line == 2 and "PRI+AAB" in complete.line_report[0].message


@pytest.mark.parametrize("pri", ["PRI+AAB", "PRI+AAB:-5", "PRI+AAB:5:::0", "PRI+AAB:1e3"])
def test_unusable_prices(pri: str) -> None:
    _, lines, _ = only_version(single(pri))
    assert isinstance(lines[0], FailedRecord) and isinstance(lines[0].error, MissingFieldError | InvalidValueError)


def test_the_line_report_is_bounded() -> None:
    body = [s for n in range(1, REPORT_LIMIT + 3) for s in lin(n, "PRI+AAB:x")]
    _, lines, complete = only_version(interchange(message("1", *HEADER, *body)))
    assert complete.failed_lines == len(lines) == REPORT_LIMIT + 2
    assert len(complete.line_report) == REPORT_LIMIT


def test_two_messages_are_two_versions() -> None:
    second = ("BGM+9+PL-2024-02+9", *HEADER[1:])
    data = interchange(message("1", *HEADER, *lin(1, "PRI+AAB:10")), message("2", *second, *lin(1, "PRI+AAB:20")))
    first, other = versions(translate(data))
    assert (first[0].list_name, other[0].list_name) == ("PL-2024-01", "PL-2024-02")
    assert [r.list_price for r in first[1]] == [10] and [r.list_price for r in other[1]] == [20]  # type: ignore[attr-defined]


def test_a_wrong_unt_fails_only_its_message() -> None:
    good = message("2", *HEADER, *lin(1, "PRI+AAB:20"))
    bad = re.sub(r"UNT\+(\d+)\+1'", lambda m: f"UNT+{int(m[1]) - 1}+1'", message("1", *HEADER, *lin(1, "PRI+AAB:1")))
    records = translate(interchange(bad, good))
    failed = records[0]
    assert isinstance(failed, FailedRecord) and isinstance(failed.error, ParseError)
    assert failed.reference == "message 1 (UNH 1)"
    assert len(versions(records[1:])) == 1


def test_a_wrong_unz_fails_the_interchange() -> None:
    with pytest.raises(ParseError):
        translate(interchange(message("1", *HEADER, *lin(1, "PRI+AAB:10")), count=2))


def test_other_messages_fail_alone() -> None:
    invoice = message("1", "BGM+380+INV-1+9", msg_type="INVOIC")
    records = translate(interchange(invoice, message("2", *HEADER, *lin(1, "PRI+AAB:10"))))
    assert isinstance(records[0], FailedRecord) and isinstance(records[0].error, UnknownFormatError)
    assert len(versions(records[1:])) == 1


@pytest.mark.parametrize("version", ["D:93A:UN", "D:96A:UN:EAN008", "D:01B:UN:EAN010", "D:16B:UN"])
def test_directories_d93a_to_d16b(version: str) -> None:
    assert only_price(single("PRI+AAB:10", version=version)).list_price == 10


@pytest.mark.parametrize("version", ["D:92B:UN", "D:17A:UN", "S:93A:UN"])
def test_other_directories_are_refused(version: str) -> None:
    records = translate(single("PRI+AAB:10", version=version))
    assert len(records) == 1 and isinstance(records[0], FailedRecord)
    assert isinstance(records[0].error, UnknownFormatError)


def test_unoc_descriptions() -> None:
    data = single("IMD+F++:::Kopplingsdosa för rör:ÅÄÖ åäö", "PRI+AAB:10").encode("latin-1")
    price = only_price(data)
    assert (price.description, price.description_2) == ("Kopplingsdosa för rör", "ÅÄÖ åäö")


def test_una_separators_and_release_character() -> None:
    data = (
        "UNA^*,! ~UNB*UNOC^3*7350000000001^14*7350000000002^14*240115^1200*ICREF~"
        "UNH*1*PRICAT^D^96A^UN^EAN008~BGM*9*PL!*1*9~DTM*137^20240110^102~LIN*1**7310000000019^EN~"
        "IMD*F**^^^Rör 15!*22!~!^!! 'mm'+~PRI*AAB^10,5^^^100^MTR~UNT*7*1~UNZ*1*ICREF~"
    ).encode("latin-1")
    assert TRANSLATOR.accepts(sniff(data)) == 20
    announced, lines, _ = only_version(data)
    price = lines[0]
    assert isinstance(price, Price) and announced.list_name == "PL*1"
    assert price.description == "Rör 15*22~^! 'mm'+"
    assert (price.list_price, price.unit_list_price) == (Decimal("10.5"), Decimal("0.105"))


def test_validity_fallbacks() -> None:
    no_dates = tuple(s for s in HEADER if not s.startswith("DTM+1") and not s.startswith("DTM+2"))
    document_date = ("BGM+9+PL+9", "DTM+137:20240110:102")
    validity = ("BGM+9+PL+9", "DTM+137:20240110:102", "DTM+157:20240301:102", "DTM+36:20240331:102")
    assert only_version(single("PRI+AAB:1", header=document_date))[0].valid_from == date(2024, 1, 10)
    announced = only_version(single("PRI+AAB:1", header=validity))[0]
    assert (announced.valid_from, announced.valid_to) == (date(2024, 3, 1), date(2024, 3, 31))
    assert only_version(single("PRI+AAB:1", header=no_dates), valid_from="2024-05-01")[0].valid_from == date(2024, 5, 1)
    records = translate(single("PRI+AAB:1", header=no_dates))
    assert len(records) == 1 and isinstance(records[0], FailedRecord)
    assert isinstance(records[0].error, MissingFieldError)


def test_a_validity_ending_before_it_starts_fails_the_message() -> None:
    header = ("BGM+9+PL+9", "DTM+194:20240201:102", "DTM+206:20240101:102")
    records = translate(single("PRI+AAB:1", header=header))
    assert len(records) == 1 and isinstance(records[0], FailedRecord)


def test_accepts() -> None:
    pricat = single("PRI+AAB:1").encode()
    invoic = interchange(message("1", "BGM+380+1+9", msg_type="INVOIC")).encode()
    assert TRANSLATOR.accepts(sniff(pricat)) == 20
    assert TRANSLATOR.accepts(sniff(invoic)) == 0
    assert TRANSLATOR.accepts(Sniffed("xml", head=pricat)) == 0


# --- streaming -------------------------------------------------------------------------------------


def catalogue(n: int) -> bytes:
    """One PRICAT message of ``n`` LIN groups (LIN with its supplier number, PRI+AAB), as a wholesaler's full list."""
    head = "UNB+UNOC:3+7350000000001:14+7350000000002:14+240115:1200+ICREF'UNH+1+PRICAT:D:96A:UN:EAN008'"
    head += "BGM+9+PL-1+9'DTM+137:20240110:102'"
    lines = "".join(f"LIN+{i}++A{i}:SA'PRI+AAB:{catalogue_price(i)}'" for i in range(1, n + 1))
    return (head + lines + f"UNT+{4 + 2 * n}+1'UNZ+1+ICREF'").encode("latin-1")


def catalogue_price(i: int) -> str:
    return f"{i % 9973}.{i % 100:02d}"


def streamed_peak(n: int) -> int:
    """Peak traced memory while the translator reads a catalogue of ``n`` LIN groups, each record dropped."""
    data = catalogue(n)  # made before tracing: the input is the caller's, only the translator is measured
    context = TranslationContext(partner_id="W1")
    first = last = complete = None
    count = 0
    tracemalloc.start()
    try:
        for record in TRANSLATOR.translate(io.BytesIO(data), context):
            if isinstance(record, Price):
                first, last, count = first or record, record, count + 1
            elif isinstance(record, PriceListVersion) and record.status == "COMPLETE":
                complete = record
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n and complete is not None and complete.article_count == n and complete.failed_lines == 0
    assert first is not None and last is not None
    assert (first.article_number, first.list_price) == ("A1", Decimal(catalogue_price(1)))
    assert (last.article_number, last.list_price, last.line) == (f"A{n}", Decimal(catalogue_price(n)), n)
    return peak


def test_memory_is_flat_in_the_number_of_lin_groups() -> None:
    small, large = streamed_peak(10_000), streamed_peak(100_000)
    # Ten times the LIN groups (about 5 MB of input) in the same memory: nothing is kept per line.
    assert large < 1.5 * small + 256 * 1024, (small, large)


def test_a_long_message_failing_its_unt_closes_its_version_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edifact_pricat, "CHECK_AHEAD", 3)  # the message is longer: its prices stream out
    body = (*HEADER, *lin(1, "PRI+AAB:10"), *lin(2, "PRI+AAB:12X"))
    bad = re.sub(r"UNT\+(\d+)\+1'", lambda m: f"UNT+{int(m[1]) + 1}+1'", message("1", *body))
    records = translate(interchange(bad, message("2", *HEADER, *lin(1, "PRI+AAB:20"))))
    announced, price, bad_line, rejected, failed, *second = records
    assert isinstance(announced, PriceListVersion) and announced.status == "ANNOUNCED"
    assert isinstance(price, Price) and isinstance(bad_line, FailedRecord)
    assert isinstance(rejected, PriceListVersion) and rejected.status == "REJECTED"
    assert (rejected.article_count, rejected.failed_lines) == (1, 1)
    assert rejected.reason is not None and "UNT segment count" in rejected.reason
    assert isinstance(failed, FailedRecord) and isinstance(failed.error, ParseError)
    assert failed.reference == "message 1 (UNH 1)" and failed.error.location == "message 1, segment 19 (UNT+20)"
    assert [v[2].status for v in versions(second)] == ["COMPLETE"]


def test_a_short_message_is_checked_whole_before_its_first_record() -> None:
    body = (*HEADER, *lin(1, "PRI+AAB:10"))
    bad = re.sub(r"UNT\+(\d+)\+1'", lambda m: f"UNT+{m[1]}+X'", message("1", *body))
    records = translate(interchange(bad))
    assert len(records) == 1 and isinstance(records[0], FailedRecord) and "UNT reference" in records[0].error.message


def test_an_envelope_error_at_the_trailer_leaves_the_version_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edifact_pricat, "CHECK_AHEAD", 1)
    records: list[object] = []
    data = interchange(message("1", *HEADER, *lin(1, "PRI+AAB:10")), count=2).encode()
    with pytest.raises(ParseError, match="UNZ control count"):
        records.extend(TRANSLATOR.translate(io.BytesIO(data), TranslationContext(partner_id="W1")))
    # The COMPLETE waits for the UNZ checks, so the pipeline closes the open version REJECTED on this error.
    assert not any(isinstance(r, PriceListVersion) and r.status == "COMPLETE" for r in records)


def test_chunk_boundaries_do_not_change_the_records(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (
        "UNA^*,! ~UNB*UNOW^4*7350000000001^14*7350000000002^14*240115^1200*ICREF~"
        "UNH*1*PRICAT^D^96A^UN^EAN008~BGM*9*PL!*1*9~DTM*137^20240110^102~LIN*1**7310000000019^EN~"
        "IMD*F**^^^Rör 15!*22!~!^!! 'mm'+ €~PRI*AAB^10,5^^^100^MTR~UNT*7*1~UNZ*1*ICREF~"
    ).encode()
    whole = translate(data)
    for chunk in (1, 2, 5):
        monkeypatch.setattr(edifact, "CHUNK_BYTES", chunk)
        assert translate(data) == whole
    price = only_price(data)
    assert price.description == "Rör 15*22~^! 'mm'+ €"
