"""EDIFACT INVOIC translator: corpus files checked against an independent reading, and hand-written interchanges.

The corpus test reads each file with plain string splitting (UNA and the release character respected) and
asserts that the record says the same: document number, number of LIN segments, totals and parties.
"""

from __future__ import annotations

import io
import random
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.canonical.invoice import PrecedingInvoice, SupplierInvoice
from hub.errors import (
    DocumentError,
    InvalidValueError,
    MissingFieldError,
    ParseError,
    RuleFailedError,
    UnknownFormatError,
)
from hub.formats.base import FailedRecord, Sniffed, TranslationContext
from hub.formats.edifact_invoic import EdifactInvoicTranslator
from hub.formats.sniff import sniff
from tests.formats.edifact_reading import read_segments

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EDIFACT = CORPUS / "edifact"
TRANSLATOR = EdifactInvoicTranslator()
# Upstream example files with a defect of their own, and what the hub must say about them (checked in
# ConnectingEurope/eInvoicing-EN16931 edifact/examples; used only if that folder is in the corpus).
KNOWN_DEFECTS = {
    "EDIFACT_EXAMPLE0.TXT": "PARSE_ERROR",  # UNT+171 for a 37-segment message
    "EDIFACT_EXAMPLE0a.TXT": "PARSE_ERROR",  # UNT+171 for a 34-segment message
    "EDIFACT_EXAMPLE1.TXT": "RULE_FAILED",  # line 20: MOA+203 −109.98 for QTY 6 × PRI 18.33
    "EDIFACT_EXAMPLE8.TXT": "PARSE_ERROR",  # byte 0x92 (Windows-1252 ’) in a UNOW (UTF-8) interchange
}


def translate(data: bytes | str) -> list[object]:
    raw = data.encode("latin-1") if isinstance(data, str) else data
    return list(TRANSLATOR.translate(io.BytesIO(raw), TranslationContext()))


def only_invoice(data: bytes | str) -> SupplierInvoice:
    records = translate(data)
    assert len(records) == 1 and isinstance(records[0], SupplierInvoice), records
    return records[0]


# --- an independent reading of the corpus ---------------------------------------------------------


def value(segment: list[list[str]], element: int, component: int = 0) -> str | None:
    try:
        return segment[element][component] or None
    except IndexError:
        return None


def expected_messages(data: bytes) -> list[dict[str, object]]:
    """Per INVOIC message: BGM number, LIN count, summary MOAs, NAD SU/SE and BY ids and names."""
    found: list[dict[str, object]] = []
    for seg in read_segments(data):
        tag = seg[0][0]
        if tag == "UNH":
            found.append({"lins": 0, "moa": {}, "nad": {}, "after_uns": False, "summary_group": False})
        elif not found:
            continue
        current = found[-1]
        if tag == "BGM":
            current["number"] = value(seg, 2)
        elif tag == "LIN":
            current["lins"] = int(str(current["lins"])) + 1
        elif tag == "UNS":
            current["after_uns"] = True
        elif tag in ("TAX", "ALC") and current["after_uns"]:
            current["summary_group"] = True
        elif tag == "MOA" and current["after_uns"] and not current["summary_group"]:
            moa = current["moa"]
            assert isinstance(moa, dict)
            moa.setdefault(value(seg, 1), Decimal(str(value(seg, 1, 1)).replace(",", ".")))
        elif tag == "NAD" and value(seg, 1) in ("SU", "SE", "BY"):
            nad = current["nad"]
            assert isinstance(nad, dict)
            role = "buyer" if value(seg, 1) == "BY" else "seller"
            names = [n for n in (seg[4] if len(seg) > 4 else [])[:5] if n]
            nad.setdefault(role, (value(seg, 2), value(seg, 2, 2), value(seg, 2, 1), " ".join(names) or None))
    return found


def invoic_files() -> list[Path]:
    if not EDIFACT.is_dir():
        return []
    return sorted(p for p in EDIFACT.rglob("*") if p.is_file() and re.search(rb"UNH\+[^+]*\+INVOIC:", p.read_bytes()))


def test_the_corpus_has_invoices() -> None:
    if not EDIFACT.is_dir():
        pytest.skip(f"corpus not present at {EDIFACT}")
    names = {p.name for p in invoic_files()}
    assert {"EANCOM_Invoice.edi", "EDIFACT_D00A_Invoice.edi", "invoice1.edi"} <= names


@pytest.mark.skipif(not EDIFACT.is_dir(), reason=f"corpus not present at {EDIFACT}")
@pytest.mark.parametrize("path", invoic_files(), ids=lambda p: p.name)
def test_corpus_invoices_translate_as_read(path: Path) -> None:
    data = path.read_bytes()
    assert TRANSLATOR.accepts(sniff(data)) == 20
    if path.name in KNOWN_DEFECTS:
        try:
            records = translate(data)
        except DocumentError as exc:
            assert exc.code == KNOWN_DEFECTS[path.name]
            return
        assert [r.error.code for r in records if isinstance(r, FailedRecord)] == [KNOWN_DEFECTS[path.name]]
        return
    records = translate(data)
    expected = expected_messages(data)
    assert len(records) == len(expected)
    for record, facts in zip(records, expected, strict=True):
        assert isinstance(record, SupplierInvoice), record
        assert record.invoice_number == facts["number"]
        assert len(record.lines) == facts["lins"]
        check_totals_as_read(record, facts["moa"])  # type: ignore[arg-type]
        check_parties_as_read(record, facts["nad"])  # type: ignore[arg-type]
        assert record.extra["format"] == "edifact"


def check_totals_as_read(record: SupplierInvoice, moa: dict[str, Decimal]) -> None:
    def first(*qualifiers: str) -> Decimal | None:
        return next((moa[q] for q in qualifiers if q in moa), None)

    assert record.payable_amount == first("9", "77", "86", "388")
    assert record.line_total == first("79")
    assert record.tax_exclusive_total == first("389", "125")
    assert record.tax_total == first("176", "124")
    plain = not {"113", "165", "366"} & moa.keys()
    assert record.tax_inclusive_total == first("388") or (plain and record.tax_inclusive_total == first("77", "86"))
    assert record.prepaid_total == first("113")


def check_parties_as_read(record: SupplierInvoice, nad: dict[str, tuple[str | None, ...]]) -> None:
    for role, party in (("seller", record.seller), ("buyer", record.buyer)):
        if role not in nad:
            assert party.gln is None and party.name is None
            continue
        party_id, agency, scheme, name = nad[role]
        is_gln = agency == "9" or scheme == "0088"
        assert party.gln == (party_id if is_gln else None)
        assert party.party_ids == ((party_id,) if party_id and not is_gln else ())
        assert party.name == name


def test_every_prefix_of_a_corpus_file_fails_cleanly() -> None:
    path = EDIFACT / "edifabric_eancom" / "EANCOM_Invoice.edi"
    if not path.is_file():
        pytest.skip(f"corpus file not present: {path}")
    data = path.read_bytes()
    for end in range(len(data)):
        assert_clean(data[:end])


def test_mutations_fail_cleanly() -> None:
    rng = random.Random(20240115)
    base = bytearray(interchange(message("1", *BODY)).encode("latin-1"))
    alphabet = b"+:'?0123456789.,-ABCMOAQTYLIN\r\n \xe5\x00"
    for _ in range(1500):
        mutated = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(mutated))
            action = rng.randrange(3)
            if action == 0:
                mutated[at] = rng.choice(alphabet)
            elif action == 1:
                del mutated[at]
            else:
                mutated.insert(at, rng.choice(alphabet))
        assert_clean(bytes(mutated))


def assert_clean(data: bytes) -> None:
    """Records or FailedRecords, or a DocumentError: never another exception."""
    try:
        records = translate(data)
    except DocumentError:
        return
    assert all(isinstance(r, SupplierInvoice | FailedRecord) for r in records)


# --- hand-written interchanges ---------------------------------------------------------------------

BODY = (
    "BGM+380+INV-1001+9",
    "DTM+137:20240115:102",
    "DTM+35:20240110:102",
    "RFF+ON:PO-77",
    "RFF+DQ:FS-55",
    "RFF+VN:SO-9",
    "RFF+CR:Projekt Väst",
    "NAD+SU+7350000000001::9++Grossist AB+Lagergatan 1+Stockholm++11122+SE",
    "RFF+VA:SE556000000001",
    "RFF+XA:5560000000",
    "NAD+BY+7350000000002::9++Elfirma AB",
    "RFF+VA:SE556111111101",
    "NAD+DP+7350000000003::9++Bygget Norr",
    "CUX+2:SEK:4",
    "PAT+1++5:3:D:30",
    "DTM+13:20240214:102",
    "LIN+1++7310000000001:EN",
    "PIA+1+E1234567:SA",
    "IMD+F++:::Kabel EKK 3G1,5",
    "QTY+47:10:MTR",
    "MOA+203:100.00",
    "PRI+AAA:10.00",
    "TAX+7+VAT+++:::25+S",
    "UNS+S",
    "CNT+2:1",
    "MOA+79:100.00",
    "MOA+125:100.00",
    "MOA+124:25.00",
    "MOA+77:125.00",
    "TAX+7+VAT+++:::25+S",
    "MOA+125:100.00",
    "MOA+124:25.00",
)


def message(ref: str, *segments: str, version: str = "D:96A:UN:EAN008", msg_type: str = "INVOIC") -> str:
    return f"UNH+{ref}+{msg_type}:{version}'" + "".join(s + "'" for s in segments) + f"UNT+{len(segments) + 2}+{ref}'"


def interchange(*messages: str, charset: str = "UNOC:3", una: str = "", count: int | None = None) -> str:
    n = len(messages) if count is None else count
    head = f"{una}UNB+{charset}+7350000000001:14+7350000000002:14+240115:1200+ICREF'"
    return head + "".join(messages) + f"UNZ+{n}+ICREF'"


def body_with(**changes: str) -> list[str]:
    """BODY with the segments whose label (e.g. ``MOA+77``) is given replaced (empty string drops it)."""
    out = []
    for seg in BODY:
        label = "+".join(seg.split("+")[:2]).split(":")[0]
        if label in changes:
            if changes[label]:
                out.append(changes[label])
        else:
            out.append(seg)
    return out


def buyer_named(name: str, charset: str = "UNOC:3") -> str:
    return interchange(message("1", *body_with(**{"NAD+BY": f"NAD+BY+7350000000002::9++{name}"})), charset=charset)


def test_a_full_invoice() -> None:
    inv = only_invoice(interchange(message("1", *BODY)))
    assert (inv.invoice_number, inv.kind, inv.type_code, inv.currency) == ("INV-1001", "INVOICE", "380", "SEK")
    dates = (inv.issue_date, inv.delivery_date, inv.due_date)
    assert dates == (date(2024, 1, 15), date(2024, 1, 10), date(2024, 2, 14))
    refs = (inv.order_reference, inv.despatch_reference, inv.sales_order_reference, inv.buyer_reference)
    assert refs == ("PO-77", "FS-55", "SO-9", "Projekt Väst")
    assert (inv.seller.gln, inv.seller.name, inv.seller.vat_number, inv.seller.org_number) == (
        "7350000000001",
        "Grossist AB",
        "SE556000000001",
        "5560000000",
    )
    assert (inv.seller.street, inv.seller.city, inv.seller.postal_zone, inv.seller.country_code) == (
        "Lagergatan 1",
        "Stockholm",
        "11122",
        "SE",
    )
    assert (inv.buyer.gln, inv.buyer.name, inv.buyer.vat_number) == ("7350000000002", "Elfirma AB", "SE556111111101")
    assert (inv.delivery_location_id, inv.delivery_party_name) == ("7350000000003", "Bygget Norr")
    (line,) = inv.lines
    assert (line.line_id, line.quantity, line.unit_code, line.line_amount, line.unit_price) == (
        "1",
        Decimal(10),
        "MTR",
        Decimal("100.00"),
        Decimal("10.00"),
    )
    assert (line.gtin, line.article_number, line.description) == ("7310000000001", "E1234567", "Kabel EKK 3G1,5")
    assert (line.vat_category, line.vat_rate) == ("S", Decimal(25))
    assert (inv.line_total, inv.tax_exclusive_total, inv.tax_total) == (Decimal(100), Decimal(100), Decimal(25))
    assert (inv.tax_inclusive_total, inv.payable_amount) == (Decimal(125), Decimal(125))
    assert [(v.category, v.rate, v.taxable_amount, v.tax_amount) for v in inv.vat_breakdown] == [
        ("S", Decimal(25), Decimal(100), Decimal(25))
    ]
    assert inv.extra == {
        "format": "edifact",
        "charset": "UNOC",
        "syntax_version": "3",
        "message_version": "D96A",
        "message_ref": "1",
        "sender": "7350000000001",
        "recipient": "7350000000002",
        "interchange_ref": "ICREF",
        "association": "EAN008",
        "message_function": "9",
    }
    assert inv.warnings == ()


def test_missing_values_stay_none() -> None:
    inv = only_invoice(interchange(message("1", *body_with(**{"RFF+VN": "", "DTM+35": "", "PAT+1": "", "DTM+13": ""}))))
    assert inv.sales_order_reference is None and inv.delivery_date is None and inv.due_date is None
    assert inv.payment_terms is None and inv.payee_account is None and inv.prepaid_total is None


def test_unoc_latin1_letters_survive_in_a_party_name() -> None:
    inv = only_invoice(buyer_named("Åkesson & Öberg Bygg AB").encode("latin-1"))
    assert inv.buyer.name == "Åkesson & Öberg Bygg AB"


def test_unow_utf8() -> None:
    text = buyer_named("Łukasz Ärlig Bygg", charset="UNOW:4")
    assert only_invoice(text.encode("utf-8")).buyer.name == "Łukasz Ärlig Bygg"


def test_una_with_comma_decimal_mark() -> None:
    body = [s.replace(".00", ",00") for s in BODY]
    inv = only_invoice(interchange(message("1", *body), una="UNA:+,? '"))
    assert inv.payable_amount == Decimal("125.00") and inv.lines[0].unit_price == Decimal("10.00")


def test_release_character_inside_a_name() -> None:
    inv = only_invoice(buyer_named("Bygg?+El ?'Nord?' AB"))
    assert inv.buyer.name == "Bygg+El 'Nord' AB"


def test_price_basis_quantity() -> None:
    line = ["QTY+47:54:C62", "MOA+203:1960.29", "PRI+AAA:3630.17::NTP:100:C62"]
    body = body_with(**{"QTY+47": line[0], "MOA+203": line[1], "PRI+AAA": line[2]})
    body = [s.replace("125.00", "2450.36").replace("100.00", "1960.29").replace(":25.00", ":490.07") for s in body]
    inv = only_invoice(interchange(message("1", *body)))
    (ln,) = inv.lines
    assert (ln.unit_price, ln.price_base_quantity, ln.price_base_unit_code) == (Decimal("3630.17"), Decimal(100), "C62")
    assert ln.quantity == Decimal(54) and ln.line_amount == Decimal("1960.29")


def test_two_invoices_in_one_interchange() -> None:
    second = body_with(**{"BGM+380": "BGM+380+INV-1002+9"})
    records = translate(interchange(message("1", *BODY), message("2", *second)))
    assert [r.invoice_number for r in records if isinstance(r, SupplierInvoice)] == ["INV-1001", "INV-1002"]


def test_wrong_unt_count_fails_only_that_message() -> None:
    broken = message("1", *BODY).replace(f"UNT+{len(BODY) + 2}+1", "UNT+5+1")
    second = body_with(**{"BGM+380": "BGM+380+INV-1002+9"})
    first, other = translate(interchange(broken, message("2", *second)))
    assert isinstance(first, FailedRecord) and isinstance(first.error, ParseError)
    assert first.reference == "message 1 (UNH 1)" and "UNT segment count 5" in first.error.message
    assert isinstance(other, SupplierInvoice) and other.invoice_number == "INV-1002"


def test_wrong_unz_count_fails_the_whole_interchange() -> None:
    with pytest.raises(ParseError) as caught:
        translate(interchange(message("1", *BODY), message("2", *BODY), count=3))
    assert "UNZ control count 3 ≠ 2" in caught.value.message
    assert caught.value.location is not None and caught.value.location.endswith("(UNZ+3)")


def test_totals_that_do_not_add_up_fail_the_message_with_rule_ids() -> None:
    body = body_with(**{"MOA+77": "MOA+77:130.00", "MOA+79": "MOA+79:90.00"})
    (record,) = translate(interchange(message("1", *body)))
    assert isinstance(record, FailedRecord) and isinstance(record.error, RuleFailedError)
    rules = {issue.rule for issue in record.error.issues}
    assert {"BR-CO-10", "BR-CO-15"} <= rules
    assert "130.00" in record.error.message and "90.00" in record.error.message


@pytest.mark.parametrize("version", ["D:93A:UN", "D:01B:UN:EAN011", "D:14B:UN::16B", "D:16B:UN"])
def test_directory_versions_with_the_same_segments(version: str) -> None:
    inv = only_invoice(interchange(message("1", *BODY, version=version)))
    assert inv.extra["message_version"] == "D" + version.split(":")[1]


@pytest.mark.parametrize("version", ["D:21A:UN", "D:92B:UN", "S:93A:UN"])
def test_other_directories_are_refused_per_message(version: str) -> None:
    (record,) = translate(interchange(message("1", *BODY, version=version)))
    assert isinstance(record, FailedRecord) and isinstance(record.error, UnknownFormatError)


def test_credit_note_with_preceding_invoice() -> None:
    body = body_with(**{"BGM+380": "BGM+381+CN-7+9", "RFF+ON": "RFF+IV:INV-0999"})
    body.insert(body.index("RFF+IV:INV-0999") + 1, "DTM+171:20231220:102")
    inv = only_invoice(interchange(message("1", *body)))
    assert (inv.kind, inv.type_code, inv.invoice_number) == ("CREDIT_NOTE", "381", "CN-7")
    assert inv.preceding_invoices == (PrecedingInvoice("INV-0999", date(2023, 12, 20)),)
    assert inv.payable_amount == Decimal("125.00")


def test_credit_note_with_negative_amounts_is_stored_positive() -> None:
    body = [s.replace(":100.00", ":-100.00").replace(":25.00", ":-25.00").replace(":125.00", ":-125.00") for s in BODY]
    body = [s.replace("QTY+47:10", "QTY+47:-10").replace("BGM+380", "BGM+381") for s in body]
    inv = only_invoice(interchange(message("1", *body)))
    assert inv.kind == "CREDIT_NOTE" and inv.payable_amount == Decimal("125.00")
    assert (inv.lines[0].quantity, inv.lines[0].line_amount, inv.lines[0].unit_price) == (
        Decimal(10),
        Decimal("100.00"),
        Decimal("10.00"),
    )
    assert (inv.tax_total, inv.vat_breakdown[0].taxable_amount) == (Decimal("25.00"), Decimal("100.00"))


def test_invoice_with_negative_amounts_stays_an_invoice() -> None:
    body = [s.replace(":100.00", ":-100.00").replace(":25.00", ":-25.00").replace(":125.00", ":-125.00") for s in BODY]
    inv = only_invoice(interchange(message("1", *[s.replace("QTY+47:10", "QTY+47:-10") for s in body])))
    assert inv.kind == "INVOICE" and inv.payable_amount == Decimal("-125.00")
    assert inv.lines[0].line_amount == Decimal("-100.00")


def test_other_messages_in_the_interchange_fail_alone() -> None:
    orders = message("2", "BGM+220+PO-1+9", "DTM+137:20240115:102", msg_type="ORDERS")
    first, second = translate(interchange(message("1", *BODY), orders))
    assert isinstance(first, SupplierInvoice)
    assert isinstance(second, FailedRecord) and isinstance(second.error, UnknownFormatError)
    assert "ORDERS" in second.error.message


@pytest.mark.parametrize(
    ("changes", "error", "text"),
    [
        ({"BGM+380": "BGM+380"}, MissingFieldError, "number (BGM)"),
        ({"DTM+137": ""}, MissingFieldError, "date (DTM+137)"),
        ({"CUX+2": ""}, MissingFieldError, "currency (CUX+2)"),
        ({"MOA+77": ""}, MissingFieldError, "amount due"),
        ({"QTY+47": ""}, MissingFieldError, "invoiced quantity"),
        ({"MOA+203": ""}, MissingFieldError, "line amount"),
        ({"MOA+203": "MOA+203:1O0.00"}, InvalidValueError, "'1O0.00' is not a number"),
        ({"DTM+137": "DTM+137:20241315:102"}, InvalidValueError, "not a date"),
    ],
)
def test_message_errors_name_their_place(changes: dict[str, str], error: type[DocumentError], text: str) -> None:
    (record,) = translate(interchange(message("1", *body_with(**changes))))
    assert isinstance(record, FailedRecord) and isinstance(record.error, error)
    assert text in record.error.message
    assert record.error.location is not None and record.error.location.startswith("message 1")


def test_invalid_number_location_names_the_segment() -> None:
    (record,) = translate(interchange(message("1", *body_with(**{"MOA+203": "MOA+203:1O0.00"}))))
    assert isinstance(record, FailedRecord) and record.error.location == "message 1, segment 22 (MOA+203)"


@pytest.mark.parametrize(
    "text",
    [
        interchange(message("1", *BODY)) + "UNB+UNOC:3+X+Y+1:1+2'",
        interchange(message("1", *BODY)) + "trailing garbage",
        interchange(message("1", *BODY))[:-40],
        interchange(message("1", *BODY))[:120],
        "",
        "UNA:+.? '",
    ],
)
def test_garbage_or_truncation_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        translate(text)


def test_eancom_line_allowance_inside_the_net_price_is_not_applied_twice() -> None:
    # PRI+AAA is EANCOM's "calculation net": 10 × 9.00 = 90.00 already contains the 10 % allowance.
    line = {"MOA+203": "MOA+203:90.00", "PRI+AAA": "PRI+AAA:9.00"}
    body = body_with(**line)
    body[body.index("TAX+7+VAT+++:::25+S") + 1 : body.index("TAX+7+VAT+++:::25+S") + 1] = [
        "PRI+AAB:10.00",
        "ALC+A",
        "PCD+1:10",
        "MOA+204:10.00",
    ]
    body = [s.replace("100.00", "90.00").replace(":25.00", ":22.50").replace("125.00", "112.50") for s in body]
    inv = only_invoice(interchange(message("1", *body)))
    assert inv.lines[0].allowances_charges == () and inv.lines[0].gross_price == Decimal("10.00")


def test_en16931_line_allowance_is_a_line_allowance() -> None:
    # EN 16931 reading: 10 × 10.00 − 10.00 allowance = 90.00.
    body = body_with(**{"MOA+203": "MOA+203:90.00"})
    at = body.index("TAX+7+VAT+++:::25+S") + 1
    body[at:at] = ["ALC+A+Loyal customer:95", "MOA+204:10.00"]
    body = [s.replace("100.00", "90.00").replace(":25.00", ":22.50").replace("125.00", "112.50") for s in body]
    (allowance,) = only_invoice(interchange(message("1", *body))).lines[0].allowances_charges
    assert (allowance.is_charge, allowance.amount, allowance.reason, allowance.reason_code) == (
        False,
        Decimal("10.00"),
        "Loyal customer",
        "95",
    )


def test_document_charge_and_derived_vat_base() -> None:
    # EANCOM style: a freight charge with its own VAT group, no MOA+125 per rate in the summary.
    body = body_with(**{"MOA+125": "MOA+125:120.00", "MOA+124": "MOA+124:30.00", "MOA+77": "MOA+77:150.00"})
    at = body.index("LIN+1++7310000000001:EN")
    body[at:at] = ["ALC+C++6++FC", "MOA+23:20.00", "TAX+7+VAT+++:::25+S", "MOA+124:5.00"]
    summary_tax = len(body) - 2
    body[summary_tax:] = ["MOA+124:30.00"]
    inv = only_invoice(interchange(message("1", *body)))
    (charge,) = inv.allowances_charges
    assert (charge.is_charge, charge.amount, charge.reason_code, charge.vat_category) == (True, Decimal(20), "FC", "S")
    assert (inv.charge_total, inv.allowance_total) == (Decimal("20.00"), None)
    assert [(v.taxable_amount, v.tax_amount) for v in inv.vat_breakdown] == [(Decimal("120.00"), Decimal("30.00"))]
    assert [w.rule for w in inv.warnings] == ["EDIFACT-VAT-BASE"]


def test_accepts() -> None:
    text = interchange(message("1", *BODY)).encode()
    assert TRANSLATOR.accepts(sniff(text)) == 20
    other_separators = text.replace(b"+", b"*").replace(b":", b"|").replace(b"'", b"!")
    assert TRANSLATOR.accepts(sniff(b"UNA|*.? !" + other_separators)) == 20
    orders = interchange(message("1", "BGM+220+1", msg_type="ORDERS")).encode()
    assert TRANSLATOR.accepts(sniff(orders)) == 0
    assert TRANSLATOR.accepts(Sniffed("xml", head=text)) == 0
    assert TRANSLATOR.accepts(Sniffed("edifact")) == 0
    assert (str(TRANSLATOR.id), TRANSLATOR.record_type) == ("edifact-invoic@1", "SupplierInvoice")


def test_oversized_interchange_is_refused() -> None:
    data = interchange(message("1", *BODY)).encode()
    with pytest.raises(ParseError, match="larger than"):
        list(TRANSLATOR.translate(io.BytesIO(data), TranslationContext(max_xml_bytes=100)))


def test_line_count_control_mismatch_is_a_warning() -> None:
    inv = only_invoice(interchange(message("1", *body_with(**{"CNT+2": "CNT+2:3"}))))
    assert [(w.rule, w.severity) for w in inv.warnings] == [("EDIFACT-CNT", "warning")]
    assert inv.warnings[0].location == "message 1, segment 26 (CNT+2)"
