"""EDIFACT ORDRSP / DESADV translators: corpus samples checked against an independent reading, and hand-written
interchanges (changed lines, references, package hierarchy, failing messages, envelopes, directories, UNOC).

The corpus test reads each sample with plain string splitting (UNA and the release character respected) and
asserts that the records say the same: document number, LIN count, the quantities per line, the references.
"""

from __future__ import annotations

import io
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.canonical.orders import OrderConfirmation, Reference
from hub.errors import DocumentError, InvalidValueError, MissingFieldError, ParseError, UnknownFormatError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext
from hub.formats.edifact_invoic import EdifactInvoicTranslator
from hub.formats.edifact_orders import EdifactDesadvTranslator, EdifactOrdrspTranslator
from hub.formats.edifact_pricat import EdifactPricatTranslator
from hub.formats.sniff import sniff
from tests.formats.edifact_reading import read_segments

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "edifact" / "edifabric_eancom"
ORDRSP_FILE = SAMPLES / "EANCOM_PurchaseOrderResponse.edi"
DESADV_FILE = SAMPLES / "EANCOM_DespatchAdvice.edi"
ORDRSP = EdifactOrdrspTranslator()
DESADV = EdifactDesadvTranslator()
# The quantity each kind reads as delivered, first found wins.
DELIVERED = {"ORDRSP": (), "DESADV": ("12", "46")}
REFERENCE_TYPES = {"ON": "ORDER", "VN": "SALES_ORDER", "CR": "BUYER_REFERENCE", "AEP": "PROJECT"}
REFERENCE_TYPES |= {"DQ": "DESPATCH", "AAK": "DESPATCH", "CT": "CONTRACT"}


def translate(translator: EdifactOrdrspTranslator | EdifactDesadvTranslator, data: bytes | str) -> list[object]:
    raw = data.encode("latin-1") if isinstance(data, str) else data
    return list(translator.translate(io.BytesIO(raw), TranslationContext()))


def only(translator: EdifactOrdrspTranslator | EdifactDesadvTranslator, data: bytes | str) -> OrderConfirmation:
    records = translate(translator, data)
    assert len(records) == 1 and isinstance(records[0], OrderConfirmation), records
    return records[0]


def require(path: Path) -> bytes:
    if not path.is_file():
        pytest.skip(f"corpus file not present: {path}")
    return path.read_bytes()


# --- an independent reading of the samples --------------------------------------------------------


def value(segment: list[list[str]], element: int, component: int = 0) -> str | None:
    try:
        return segment[element][component] or None
    except IndexError:
        return None


def expected_messages(data: bytes) -> list[dict[str, object]]:
    """Per message: type, BGM number, document RFFs (before the first NAD), per LIN its QTY qualifier → value."""
    found: list[dict[str, object]] = []
    lines: list[dict[str, Decimal]] = []
    in_line = seen_nad = False
    for seg in read_segments(data):
        tag = seg[0][0]
        if tag == "UNH":
            lines, in_line, seen_nad = [], False, False
            found.append({"type": value(seg, 2), "lines": lines, "refs": []})
        elif tag == "BGM":
            found[-1]["number"] = value(seg, 2)
        elif tag == "NAD":
            seen_nad = True
        elif tag == "RFF" and not seen_nad and not in_line and value(seg, 1) in REFERENCE_TYPES:
            refs = found[-1]["refs"]
            assert isinstance(refs, list)
            refs.append(Reference(REFERENCE_TYPES[str(value(seg, 1))], str(value(seg, 1, 1))))  # type: ignore[arg-type]
        elif tag == "LIN":
            lines.append({})
            in_line = True
        elif tag in ("CPS", "UNS", "CNT"):
            in_line = False
        elif tag == "QTY" and in_line:
            lines[-1].setdefault(str(value(seg, 1)), Decimal(str(value(seg, 1, 1)).replace(",", ".")))
    return found


@pytest.mark.parametrize(
    ("path", "translator"), [(ORDRSP_FILE, ORDRSP), (DESADV_FILE, DESADV)], ids=["ordrsp", "desadv"]
)
def test_corpus_samples_translate_as_read(
    path: Path, translator: EdifactOrdrspTranslator | EdifactDesadvTranslator
) -> None:
    data = require(path)
    assert translator.accepts(sniff(data)) == 20
    records = translate(translator, data)
    expected = expected_messages(data)
    assert len(records) == len(expected) >= 1
    for record, facts in zip(records, expected, strict=True):
        assert isinstance(record, OrderConfirmation), record
        assert record.document_number == facts["number"]
        assert list(record.references) == facts["refs"]
        quantities = facts["lines"]
        assert isinstance(quantities, list)
        assert len(record.lines) == len(quantities)
        delivered = DELIVERED[str(facts["type"])]
        for line, qty in zip(record.lines, quantities, strict=True):
            assert line.quantity_ordered == qty.get("21")
            assert line.quantity_delivered == next((qty[q] for q in delivered if q in qty), None)
            assert line.quantity_backordered == qty.get("83")


def test_corpus_ordrsp_details() -> None:
    record = only(ORDRSP, require(ORDRSP_FILE))
    assert record.kind == "ORDER_RESPONSE"
    assert record.issue_date == date(2002, 3, 30)
    assert record.response_code == "4"  # BGM 1225: changed
    assert record.seller.gln == "4012345500004" and record.seller.vat_number == "87765432"
    assert record.buyer.gln == "5412345000013" and record.customer_number is None
    assert [line.line_status for line in record.lines] == ["5", "3", "7"]
    changed = record.lines[1]
    assert (changed.article_number, changed.number_type, changed.gtin) == ("ABC1234", "SUPPLIER", "3312345501003")
    assert changed.unit_price == Decimal(550) and changed.price_is_net is True
    assert changed.line_amount == Decimal(26400) and changed.delivery_date == date(2002, 9, 10)
    assert record.lines[0].article_number is None and record.lines[0].gtin == "3312345501102"
    assert record.extra["association"] == "EAN009"


def test_corpus_desadv_lines_are_flattened_from_the_package_hierarchy() -> None:
    record = only(DESADV, require(DESADV_FILE))
    assert record.kind == "DELIVERY_NOTE" and record.response_code is None
    assert [line.line_id for line in record.lines] == ["1", "2", "3", "4"]
    assert record.delivery_date == date(2002, 4, 3) and record.extra["delivery_date_basis"] == "scheduled"
    assert record.extra["despatch_date"] == "2002-04-03"
    assert record.extra["line.1.sscc"] == "354107380000001051"
    assert record.extra["line.4.sscc"] == "354107380000001068" and record.extra["line.4.package"] == "3"
    assert record.extra["delivery_party_id"] == "5412345123453"
    assert "EDIFACT-UNZ-COUNT" in record.extra["notices"]  # UNZ+2 for one message, tolerated in a test interchange
    assert all(line.unit_price is None for line in record.lines)


@pytest.mark.parametrize("path", [ORDRSP_FILE, DESADV_FILE], ids=["ordrsp", "desadv"])
def test_every_prefix_of_a_sample_fails_cleanly(path: Path) -> None:
    data = require(path)
    translator = ORDRSP if path == ORDRSP_FILE else DESADV
    for end in range(len(data)):
        try:
            records = translate(translator, data[:end])
        except DocumentError:
            continue
        assert all(isinstance(r, OrderConfirmation | FailedRecord) for r in records)


# --- hand-written interchanges ----------------------------------------------------------------------


def message(ref: str, kind: str, *segments: str, version: str = "D:96A", unt: int | None = None) -> str:
    body = "".join(s + "'" for s in segments)
    return f"UNH+{ref}+{kind}:{version}:UN:EAN009'{body}UNT+{unt if unt is not None else len(segments) + 2}+{ref}'"


def interchange(*messages: str, count: int | None = None, charset: str = "UNOC") -> str:
    head = f"UNA:+.? 'UNB+{charset}:3+7300009000001:14+7310000000040:14+260301:0800+IC1'"
    return head + "".join(messages) + f"UNZ+{len(messages) if count is None else count}+IC1'"


HEADER = (
    "BGM+231+OC-1001+4",
    "DTM+137:20260301:102",
    "DTM+69:20260305:102",
    "FTX+AAI+++Leverans till bakdörren",
    "RFF+ON:WO-19271",
    "DTM+171:20260228:102",
    "RFF+VN:SO-555",
    "RFF+AEP:19271",
    "RFF+CT:AVT-7",
    "NAD+BY+7310000000040::9",
    "RFF+IT:K-4711",
    "RFF+CR:Kalle",
    "NAD+SU+7300009000001::9++Grossisten AB+Lagergatan 1+Malmö++21120+SE",
    "RFF+VA:SE556000000001",
    "CUX+2:SEK:9",
)


def test_ordrsp_with_a_changed_quantity_line() -> None:
    lines = (
        "LIN+1+3+7310000000101:SRV",
        "PIA+5+E1234567:SA",
        "IMD+F++:::Kabel EKK 3G1,5",
        "QTY+21:100:MTR",
        "QTY+113:80:MTR",
        "QTY+83:20:MTR",
        "DTM+2:20260310:102",
        "MOA+203:360.00",
        "FTX+LIN+++Rest levereras v.12",
        "PRI+AAA:450.00:::100:MTR",
        "RFF+ON:WO-19271:2",
        "ALC+A++++DI",
        "PCD+1:12",
        "MOA+204:49.09",
        "LIN+2+5+7310000000202:SRV",
        "QTY+21:4",
        "QTY+113:4",
        "RFF+LI:3",
        "LIN+3+7+7310000000303:SRV",
        "QTY+21:2",
        "UNS+S",
        "CNT+2:3",
    )
    record = only(ORDRSP, interchange(message("1", "ORDRSP", *HEADER, *lines)))
    assert (record.document_number, record.response_code, record.currency) == ("OC-1001", "4", "SEK")
    assert record.delivery_date == date(2026, 3, 5) and record.extra["delivery_date_basis"] == "promised"
    assert record.customer_number == "K-4711"
    assert record.seller.name == "Grossisten AB" and record.seller.city == "Malmö"
    assert record.notes == ("Leverans till bakdörren",)
    assert record.references == (
        Reference("FREE_TEXT", "Leverans till bakdörren"),
        Reference("ORDER", "WO-19271"),
        Reference("SALES_ORDER", "SO-555"),
        Reference("PROJECT", "19271"),
        Reference("CONTRACT", "AVT-7"),
        Reference("BUYER_REFERENCE", "Kalle"),  # RFF+CR under NAD+BY
    )
    changed, accepted, rejected = record.lines
    assert changed.line_status == "3" and changed.article_number == "E1234567"
    quantities = (changed.quantity_ordered, changed.quantity_delivered, changed.quantity_backordered)
    assert quantities == (Decimal(100), None, Decimal(20))  # "to be delivered" (80) is a promise, never billed
    assert (changed.unit, changed.unit_code) == ("MTR", "MTR")
    assert (changed.unit_price, changed.price_base_quantity) == (Decimal("450.00"), Decimal(100))
    assert changed.price_is_net is True
    assert changed.discount_percent == 12 and changed.discount_amount == Decimal("49.09")
    assert changed.line_amount == Decimal("360.00") and changed.delivery_date == date(2026, 3, 10)
    assert changed.description == "Kabel EKK 3G1,5"
    assert changed.order_line_reference == "2"
    assert changed.line_references == (Reference("ORDER", "WO-19271"), Reference("FREE_TEXT", "Rest levereras v.12"))
    assert (accepted.line_status, accepted.quantity_delivered, accepted.unit_code) == ("5", None, "EA")
    assert accepted.order_line_reference == "3"
    assert (rejected.line_status, rejected.quantity_ordered, rejected.quantity_delivered) == ("7", Decimal(2), None)


def test_desadv_carries_the_work_order_in_a_customer_reference() -> None:
    segments = (
        "BGM+351+FS-77+9",
        "DTM+137:20260302:102",
        "DTM+11:20260302:102",
        "RFF+CR:Projekt 19271 Kalle",
        "RFF+DQ:FS-77",
        "RFF+ON:WO-19271",
        "NAD+SU+7300009000001::9",
        "NAD+BY+K-4711::91",
        "CPS+1",
        "PAC+1++201::9",
        "GIN+BJ+373000090000000018",
        "LIN+1++7310000000101:SRV",
        "PIA+1+E1234567:SA",
        "QTY+12:80:MTR",
        "QTY+21:100:MTR",
        "QVR+-20:21+BP",
        "LIN+2++7310000000202:SRV",
        "QTY+12:4",
        "RFF+ON:WO-19271:7",
        "CNT+2:2",
    )
    record = only(DESADV, interchange(message("FS1", "DESADV", *segments)))
    assert record.kind == "DELIVERY_NOTE"
    assert Reference("BUYER_REFERENCE", "Projekt 19271 Kalle") in record.references
    assert record.references == (
        Reference("BUYER_REFERENCE", "Projekt 19271 Kalle"),
        Reference("DESPATCH", "FS-77"),
        Reference("ORDER", "WO-19271"),
    )
    assert record.customer_number == "K-4711"  # the buyer's party id, not a GLN (agency 91)
    assert record.delivery_date == date(2026, 3, 2) and record.extra["delivery_date_basis"] == "despatch"
    first, second = record.lines
    quantities = (first.quantity_delivered, first.quantity_ordered, first.quantity_backordered)
    assert quantities == (Decimal(80), Decimal(100), Decimal(20))
    assert first.article_number == "E1234567" and record.extra["line.1.sscc"] == "373000090000000018"
    assert second.quantity_delivered == 4 and second.order_line_reference == "7"


def test_one_bad_message_fails_alone() -> None:
    good = message("2", "ORDRSP", "BGM+231+OC-2+29", "DTM+137:20260301:102", "LIN+1+5+7310000000101:SRV")
    bad = message("1", "ORDRSP", "BGM+231+OC-1+29", "DTM+137:20260301:102", unt=9)
    records = translate(ORDRSP, interchange(bad, good))
    assert len(records) == 2
    failed, record = records
    assert isinstance(failed, FailedRecord) and isinstance(failed.error, ParseError)
    assert failed.reference == "message 1 (UNH 1)" and "UNT" in failed.error.message
    assert isinstance(record, OrderConfirmation) and record.document_number == "OC-2"
    assert record.response_code == "29"


def test_a_wrong_unz_count_fails_the_interchange() -> None:
    data = interchange(message("1", "DESADV", "BGM+351+FS-1+9", "DTM+137:20260301:102"), count=2)
    with pytest.raises(ParseError, match="UNZ control count"):
        translate(DESADV, data)


@pytest.mark.parametrize("version", ["D:93A", "D:01B", "D:16B"])
def test_directories_d93a_to_d16b_are_read(version: str) -> None:
    segments = ("BGM+351+FS-1+9", "DTM+137:20260301:102", "LIN+1++7310000000101:SRV", "QTY+12:3")
    record = only(DESADV, interchange(message("1", "DESADV", *segments, version=version)))
    assert record.lines[0].quantity_delivered == 3
    assert record.extra["message_version"] == version.replace(":", "")


@pytest.mark.parametrize("version", ["D:92B", "D:17A", "S:93A"])
def test_other_directories_fail_the_message(version: str) -> None:
    (failed,) = translate(DESADV, interchange(message("1", "DESADV", "BGM+351+FS-1+9", version=version)))
    assert isinstance(failed, FailedRecord) and isinstance(failed.error, UnknownFormatError)


def test_unoc_nordic_letters_and_release_characters_in_imd() -> None:
    segments = (
        "BGM+231+OC-1+29",
        "DTM+137:20260301:102",
        "LIN+1+5+7310000000101:SRV",
        "IMD+F++:::Kopparrör 15 mm å/ä/ö",
        "LIN+2+5+7310000000202:SRV",
        "IMD+F++:::Böj 90?+ ?'Ö?' 22?:an",
    )
    data = interchange(message("1", "ORDRSP", *segments)).encode("latin-1")
    assert "å".encode("latin-1") in data  # one byte per letter, as UNOC (ISO 8859-1) has it
    record = only(ORDRSP, data)
    assert [line.description for line in record.lines] == ["Kopparrör 15 mm å/ä/ö", "Böj 90+ 'Ö' 22:an"]


def test_a_missing_document_date_fails_the_message_with_its_location() -> None:
    (failed,) = translate(ORDRSP, interchange(message("7", "ORDRSP", "BGM+231+OC-1+29", "LIN+1+5+7310000000101:SRV")))
    assert isinstance(failed, FailedRecord) and isinstance(failed.error, MissingFieldError)
    assert failed.error.location == "message 1, segment 2 (BGM+231)"
    assert failed.reference == "message 1 (UNH 7)"


def test_a_bad_quantity_names_its_segment() -> None:
    segments = ("BGM+231+OC-1+29", "DTM+137:20260301:102", "LIN+1+3+7310000000101:SRV", "PIA+5+X1:SA", "QTY+21:4x")
    (failed,) = translate(ORDRSP, interchange(message("1", "ORDRSP", *segments)))
    assert isinstance(failed, FailedRecord) and isinstance(failed.error, InvalidValueError)
    assert failed.error.location == "message 1, segment 6 (QTY+21)"


def test_another_message_type_fails_only_that_message() -> None:
    desadv = message("1", "DESADV", "BGM+351+FS-1+9", "DTM+137:20260301:102")
    ordrsp = message("2", "ORDRSP", "BGM+231+OC-1+29", "DTM+137:20260301:102")
    failed, record = translate(ORDRSP, interchange(desadv, ordrsp))
    assert isinstance(failed, FailedRecord) and isinstance(failed.error, UnknownFormatError)
    assert isinstance(record, OrderConfirmation)


def test_accepts_reads_the_unh_with_the_una_separators() -> None:
    custom = b"UNA|*.? 'UNB*UNOC|3*S*R*260101|1200*1'UNH*1*DESADV|D|96A|UN|EAN007'"
    plain = b"UNB+UNOC:3+S+R+260101:1200+1'UNH+1+ORDRSP:D:96A:UN:EAN009'"
    assert (DESADV.accepts(sniff(custom)), ORDRSP.accepts(sniff(custom))) == (20, 0)
    assert (ORDRSP.accepts(sniff(plain)), DESADV.accepts(sniff(plain))) == (20, 0)
    assert ORDRSP.accepts(Sniffed("edifact")) == DESADV.accepts(Sniffed("edifact")) == 0
    invoic = b"UNA:+.? 'UNB+UNOC:3+S+R+260101:1200+1'UNH+1+INVOIC:D:96A:UN:EAN008'"
    assert ORDRSP.accepts(sniff(invoic)) == DESADV.accepts(sniff(invoic)) == 0
    for other in (EdifactInvoicTranslator(), EdifactPricatTranslator()):  # no tie with the other EDIFACT readers
        assert other.accepts(sniff(plain)) == other.accepts(sniff(custom)) == 0
    assert (ORDRSP.id.name, DESADV.id.name) == ("edifact-ordrsp", "edifact-desadv")
    assert ORDRSP.record_type == DESADV.record_type == "OrderConfirmation"


def test_mutations_fail_cleanly() -> None:
    rng = random.Random(20260301)
    lines = ("LIN+1+3+7310000000101:SRV", "PIA+5+E1:SA", "QTY+21:10:MTR", "QTY+113:8", "PRI+AAA:4.5:::1:MTR")
    base = interchange(message("1", "ORDRSP", *HEADER, *lines, "UNS+S")).encode("latin-1")
    alphabet = b"+:'?0123456789.,-ABCLINQTYRFFNADPRI\r\n \xe5\x00"
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
        try:
            records = translate(ORDRSP, bytes(mutated))
        except DocumentError:
            continue
        assert all(isinstance(r, OrderConfirmation | FailedRecord) for r in records)
