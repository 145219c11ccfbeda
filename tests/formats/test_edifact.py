"""EDIFACT syntax layer: character sets, UNA and release character, tokenizing, envelope checks, values.

Corpus files are also read by pydifact (an independent tokenizer) and must give the same segments.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.errors import InvalidValueError, ParseError
from hub.formats import edifact
from hub.formats.edifact import (
    Interchange,
    Segment,
    Separators,
    decode,
    iter_interchange,
    parse_interchange,
    split_groups,
    to_date,
    to_decimal,
    tokenize,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EDIFACT = CORPUS / "edifact"


def message(ref: str, *segments: str, msg_type: str = "INVOIC:D:96A:UN:EAN008") -> str:
    """UNH … UNT with the right segment count."""
    return f"UNH+{ref}+{msg_type}'" + "".join(s + "'" for s in segments) + f"UNT+{len(segments) + 2}+{ref}'"


def interchange(*messages: str, charset: str = "UNOC:3", una: str = "", count: int | None = None) -> str:
    n = len(messages) if count is None else count
    return f"{una}UNB+{charset}+SENDER:14+RECEIVER:14+240115:1200+ICREF'" + "".join(messages) + f"UNZ+{n}+ICREF'"


def test_unoc_latin1_bytes_survive() -> None:
    data = interchange(message("1", "NAD+BY+++Åkesson Bygg Ödeshög")).encode("latin-1")
    ic = parse_interchange(data)
    assert ic.charset == "UNOC" and ic.syntax_version == "3"
    assert ic.messages[0].segments[0].get(3) == "Åkesson Bygg Ödeshög"


def test_unow_is_utf8() -> None:
    data = interchange(message("1", "NAD+BY+++Łódź Ärlig €"), charset="UNOW:4").encode("utf-8")
    assert parse_interchange(data).messages[0].segments[0].get(3) == "Łódź Ärlig €"


@pytest.mark.parametrize(
    ("charset", "payload", "bad_byte"),
    [
        ("UNOA:1", "NAD+BY+++Å".encode("latin-1"), 0xC5),
        ("UNOB:1", "NAD+BY+++ä".encode(), 0xC3),
        ("UNOW:4", "NAD+BY+++ä".encode("latin-1"), 0xE4),
        ("UNOC:3", b"NAD+BY+++It\x92s", 0x92),  # Windows-1252 apostrophe declared as Latin-1
        ("UNOC:3", b"NAD+BY+++A\x00B", 0x00),
    ],
)
def test_bytes_outside_the_charset_are_refused_with_their_offset(charset: str, payload: bytes, bad_byte: int) -> None:
    head = f"UNB+{charset}+S:14+R:14+240115:1200+1'UNH+1+INVOIC:D:96A:UN'".encode()
    data = head + payload + b"'UNT+3+1'UNZ+1+1'"
    offset = len(head) + payload.index(bytes([bad_byte]))
    with pytest.raises(ParseError) as caught:
        parse_interchange(data)
    assert f"0x{bad_byte:02X}" in caught.value.message and f"offset {offset}" in caught.value.message
    assert caught.value.location == f"byte {offset}"


def test_unknown_charset_is_refused() -> None:
    with pytest.raises(ParseError, match="UNOX"):
        parse_interchange(interchange(message("1", "BGM+380+1"), charset="UNOX:3").encode())


def test_una_separators_release_character_and_comma_decimal() -> None:
    una = "UNA|*,# !"  # component |, element *, decimal comma, release #, terminator !
    text = f"{una}UNB*UNOC|3*S|14*R|14*240115|1200*X1!UNH*1*INVOIC|D|96A|UN!"
    text += "NAD*BY***A#*B#!C#|D##E!MOA*203|12,50!UNT*4*1!UNZ*1*X1!"
    ic = parse_interchange(text.encode())
    nad, moa = ic.messages[0].segments
    assert nad.get(3) == "A*B!C|D#E"
    assert ic.separators.decimal == "," and to_decimal(moa.get(0, 1) or "", "x") == Decimal("12.50")


def test_release_character_in_default_syntax() -> None:
    ic = parse_interchange(interchange(message("1", "NAD+BY+++Bygg?+El AB ?'Nord?' ?:1 ??")).encode())
    assert ic.messages[0].segments[0].get(3) == "Bygg+El AB 'Nord' :1 ?"


def test_line_breaks_and_bom_between_segments_are_ignored() -> None:
    text = interchange(message("1", "BGM+380+1", "DTM+137:20240115:102")).replace("'", "'\r\n")
    ic = parse_interchange(b"\xef\xbb\xbf" + text.encode())
    assert [s.tag for s in ic.messages[0].segments] == ["BGM", "DTM"]


def test_character_set_level_b_information_separators() -> None:
    text = "UNB\x1dUNOB\x1f1\x1dS\x1dR\x1d240115\x1f1200\x1dR1\x1cUNH\x1d1\x1dINVOIC\x1fD\x1f96A\x1fUN\x1c"
    text += "BGM\x1d380\x1dN?1\x1cUNT\x1d3\x1d1\x1cUNZ\x1d1\x1dR1\x1c"
    assert parse_interchange(text.encode()).messages[0].segments[0].get(1) == "N?1"  # no release character


def test_positions_and_locations() -> None:
    ic = parse_interchange(interchange(message("A", "BGM+380+1"), message("B", "BGM+380+2", "PRI+AAA:1")).encode())
    second = ic.messages[1]
    pri = second.segments[1]
    assert pri.position == 7 and second.position == 5
    assert second.location(pri) == "message 2, segment 3 (PRI+AAA)"
    assert (second.index, second.ref, second.type, second.version, second.association) == (
        2,
        "B",
        "INVOIC",
        "D96A",
        "EAN008",
    )


def test_unt_count_or_reference_wrong_fails_only_that_message() -> None:
    bad_count = message("1", "BGM+380+1").replace("UNT+3+1", "UNT+9+1")
    bad_ref = message("2", "BGM+380+2").replace("UNT+3+2", "UNT+3+X")
    ic = parse_interchange(interchange(bad_count, bad_ref, message("3", "BGM+380+3")).encode())
    errors = [m.error for m in ic.messages]
    assert errors[0] is not None and "UNT segment count 9 ≠ 3" in errors[0].message
    assert errors[0].location == "message 1, segment 3 (UNT+9)"
    assert errors[1] is not None and "reference" in errors[1].message
    assert errors[2] is None


def test_message_without_unt_is_a_message_error() -> None:
    broken = "UNH+1+INVOIC:D:96A:UN'BGM+380+1'"
    ic = parse_interchange(interchange(broken, message("2", "BGM+380+2")).encode())
    assert ic.messages[0].error is not None and "no UNT" in ic.messages[0].error.message
    assert ic.messages[1].error is None and ic.messages[1].segments[0].get(1) == "2"


def test_unz_count_wrong_is_an_envelope_error() -> None:
    with pytest.raises(ParseError) as caught:
        parse_interchange(interchange(message("1", "BGM+380+1"), message("2", "BGM+380+2"), count=1).encode())
    assert "UNZ control count 1 ≠ 2" in caught.value.message
    assert caught.value.location == "segment 8 (UNZ+1)"


def test_unz_count_wrong_in_a_test_interchange_is_a_warning() -> None:
    text = interchange(message("1", "BGM+380+1"), count=2).replace("+ICREF'UNH", "+ICREF++++++1'UNH")
    ic = parse_interchange(text.encode())
    assert ic.test and [n.rule for n in ic.notices] == ["EDIFACT-UNZ-COUNT"]


def test_unz_reference_must_match_unb() -> None:
    with pytest.raises(ParseError, match="UNZ reference"):
        parse_interchange(interchange(message("1", "BGM+380+1")).replace("UNZ+1+ICREF", "UNZ+1+OTHER").encode())
    # A trailer that repeats the last UNH reference (a known generator slip) is kept as a warning.
    ic = parse_interchange(interchange(message("M1", "BGM+380+1")).replace("UNZ+1+ICREF", "UNZ+1+M1").encode())
    assert [n.rule for n in ic.notices] == ["EDIFACT-UNZ-REF"]


ENVELOPE_ERRORS = [
    ("BGM+380+1'", "does not start with UNB"),
    ("UNB+UNOC:3+S+R+240115:1200+X'" + message("1", "BGM+380+1"), "no UNZ"),
    (interchange(message("1", "BGM+380+1")) + "UNH+2'", "data after the UNZ"),
    (interchange(message("1", "BGM+380+1")) + "garbage", "ends inside a segment"),
    (interchange(message("1", "BGM+380+1"))[:-3], "ends inside a segment"),
    (interchange(message("1", "BGM+380+1")).replace("UNH", "BGM+1'UNH", 1), "outside a message"),
    (interchange(message("1", "BGM+380+1")).replace("BGM", "bgm"), "no valid tag"),
    (interchange(message("1", "BGM+380+1")).replace("BGM+380+1'", "BGM+380+1''"), "no valid tag"),
    ("UNA:+", "cut short"),
    ("UNA::.? 'UNB+UNOC:3+S+R+1:1+X'", "not usable"),
]


@pytest.mark.parametrize(("text", "expected"), ENVELOPE_ERRORS)
def test_envelope_errors(text: str, expected: str) -> None:
    with pytest.raises(ParseError, match=expected):
        parse_interchange(text.encode())


def test_functional_groups() -> None:
    group = "UNG+INVOIC+S+R+240115:1200+G1+UN+D:96A'" + message("1", "BGM+380+1") + "UNE+1+G1'"
    ic = parse_interchange(interchange(group, count=1).encode())
    assert len(ic.messages) == 1 and ic.messages[0].error is None
    with pytest.raises(ParseError, match="UNE"):
        parse_interchange(interchange(group.replace("UNE+1+G1", "UNE+2+G1"), count=1).encode())


def test_associated_data_package_is_skipped() -> None:
    package = "UNO+P1+1:Doc1+13:application/pdf+8'AB'CD+EFUNP+8+P1'"
    ic = parse_interchange(interchange(message("1", "BGM+380+1") + package).encode())
    assert len(ic.messages) == 1
    with pytest.raises(ParseError, match="UNO object length"):
        parse_interchange(interchange(message("1", "BGM+380+1") + package.replace("+8'", "+99'")).encode())


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.50", "12.50"), ("12,50", "12.50"), ("-3", "-3"), (",5", "0.5"), ("0", "0"), ("7.", "7")],
)
def test_numbers(value: str, expected: str) -> None:
    assert to_decimal(value, "here") == Decimal(expected)


@pytest.mark.parametrize("value", ["", "1e5", "1 000", "1.000,00", "--1", "12a", "9" * 19, "+5"])
def test_bad_numbers(value: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        to_decimal(value, "message 1, segment 9 (MOA+203)")
    assert caught.value.location == "message 1, segment 9 (MOA+203)"


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("20240115", "102", date(2024, 1, 15)),
        ("202401151230", "203", date(2024, 1, 15)),
        ("199910060000", "102", date(1999, 10, 6)),  # a 102 value with a time, as in pydifact's invoice1.edi
        ("240115", "101", date(2024, 1, 15)),
        ("991006", "101", date(1999, 10, 6)),
        ("20240115", None, date(2024, 1, 15)),
    ],
)
def test_dates(value: str, fmt: str | None, expected: date) -> None:
    assert to_date(value, fmt, "x") == expected


@pytest.mark.parametrize(("value", "fmt"), [("20241315", "102"), ("2024011", "102"), ("202401", "610"), ("x", "102")])
def test_bad_dates(value: str, fmt: str) -> None:
    with pytest.raises(InvalidValueError):
        to_date(value, fmt, "x")


def test_split_groups() -> None:
    segs = tokenize("BGM+1'DTM+2'NAD+BY'RFF+VA:1'NAD+SU'LIN+1'", Separators())
    runs = split_groups(segs, frozenset({"NAD", "LIN"}))
    assert [[s.tag for s in run] for run in runs] == [["BGM", "DTM"], ["NAD", "RFF"], ["NAD"], ["LIN"]]
    assert split_groups(segs[2:3], frozenset({"NAD"})) == [[], [segs[2]]]


def test_segment_access() -> None:
    seg = Segment("PRI", (("AAA", "3630.17", "", "NTP", "100", "C62"),), 7)
    assert seg.get(0, 4) == "100" and seg.get(0, 2) is None and seg.get(3) is None and seg.label == "PRI+AAA"
    assert seg.texts(0, 3, 5) == ["NTP", "100", "C62"] and seg.texts(4) == []


def _corpus_files() -> list[Path]:
    if not EDIFACT.is_dir():
        return []
    return sorted(p for p in EDIFACT.rglob("*") if p.is_file() and p.name != "SOURCES.txt")


@pytest.mark.skipif(not EDIFACT.is_dir(), reason=f"corpus not present at {EDIFACT}")
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name)
def test_corpus_segments_agree_with_pydifact(path: Path) -> None:
    """Our tokenizer and pydifact's read every corpus file into the same segments."""
    from pydifact.segmentcollection import RawSegmentCollection

    data = path.read_bytes()
    separators, text = decode(data)
    ours = tokenize(text, separators)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact warns about its own missing service directories
        theirs = [s for s in RawSegmentCollection.from_str(data.decode("utf-8-sig")).segments if s.tag != "UNA"]
    assert [s.tag for s in ours] == [s.tag for s in theirs]
    for mine, other in zip(ours, theirs, strict=True):
        flat = [[e] if isinstance(e, str) else list(e) for e in other.elements]
        assert [list(e) for e in mine.elements] == flat, mine.label


# --- streaming: iter_interchange reads as parse_interchange does, in pieces of any size ------------------


def streamed(data: bytes) -> Interchange:
    """What iter_interchange reads, gathered into an Interchange to compare with parse_interchange."""
    reader = iter_interchange(io.BytesIO(data))
    messages = tuple(message.read() for message in reader.messages())
    return Interchange(**{**vars_of(reader.header), "messages": messages, "notices": tuple(reader.notices)})


def vars_of(interchange: Interchange) -> dict[str, object]:
    return {name: getattr(interchange, name) for name in Interchange.__dataclass_fields__}


def outcome(read: Callable[[bytes], Interchange], data: bytes) -> object:
    """The interchange read (message errors as text: exceptions compare by identity), or the ParseError."""
    try:
        found = read(data)
    except ParseError as exc:
        return (exc.message, exc.location)
    errors = [(m.error.message, m.error.location) if m.error else None for m in found.messages]
    return dataclasses.replace(
        found, messages=tuple(dataclasses.replace(m, error=None) for m in found.messages)
    ), errors


SAMPLES = [
    interchange(message("1", "NAD+BY+++Åkesson Bygg Ödeshög"), message("2", "BGM+380+2")).encode("latin-1"),
    interchange(message("1", "NAD+BY+++Łódź Ärlig €"), charset="UNOW:4").encode("utf-8"),
    interchange(message("1", "NAD+BY+++Bygg?+El AB ?'Nord?' ?:1 ??")).encode(),
    b"\xef\xbb\xbf \r\n" + interchange(message("1", "BGM+380+1")).replace("'", "'\r\n").encode(),
    (b"UNA|*,# !UNB*UNOC|3*S|14*R|14*240115|1200*X1!UNH*1*INVOIC|D|96A|UN!NAD*BY***A#*B#!C#|D##E!UNT*3*1!UNZ*1*X1!"),
    (
        b"UNB\x1dUNOB\x1f1\x1dS\x1dR\x1d240115\x1f1200\x1dR1\x1cUNH\x1d1\x1dINVOIC\x1fD\x1f96A\x1fUN\x1c"
        b"BGM\x1d380\x1dN?1\x1cUNT\x1d3\x1d1\x1cUNZ\x1d1\x1dR1\x1c"
    ),
    interchange(message("1", "BGM+380+1").replace("UNT+3+1", "UNT+9+1"), "UNH+2+INVOIC:D:96A:UN'BGM+1'").encode(),
    interchange(message("1", "BGM+380+1") + "UNO+P1+1:Doc1+13:application/pdf+8'AB'CD+EFUNP+8+P1'").encode(),
    interchange("UNG+INVOIC+S+R+240115:1200+G1+UN+D:96A'" + message("1", "BGM+380+1") + "UNE+1+G1'", count=1).encode(),
    interchange(message("1", "BGM+380+1"), count=2).replace("+ICREF'UNH", "+ICREF++++++1'UNH").encode(),
    interchange(message("M1", "BGM+380+1")).replace("UNZ+1+ICREF", "UNZ+1+M1").encode(),
    *[text.encode() for text, _ in ENVELOPE_ERRORS],
    interchange(message("1", "BGM+380+1")).replace("UNZ+1+ICREF", "UNZ+2+ICREF").encode(),
    interchange(message("1", "BGM+380+1") + "UNO+P1+1:Doc1+13:application/pdf+99'AB'").encode(),
]
SAMPLES += [  # a wrong byte, also one whose UTF-8 sequence is cut by a chunk boundary
    b"UNB+UNOW:4+S:14+R:14+240115:1200+1'UNH+1+INVOIC:D:96A:UN'NAD+BY+++\xc3\xa4\xe2\x82\xac\xe2\x82'UNT+3+1'UNZ+1+1'",
    b"UNB+UNOC:3+S:14+R:14+240115:1200+1'UNH+1+INVOIC:D:96A:UN'NAD+BY+++It\x92s'UNT+3+1'UNZ+1+1'",
    b"UNB+UNOW:4+S:14+R:14+240115:1200+1'UNH+1+INVOIC:D:96A:UN'NAD+BY+++\xc2\x92'UNT+3+1'UNZ+1+1'",
    b"UNB+UNOW:4+S:14+R:14+240115:1200+1'UNH+1+INVOIC:D:96A:UN'NAD+BY+++\xe2\x82",
]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64 * 1024])
@pytest.mark.parametrize("data", SAMPLES, ids=range(len(SAMPLES)))
def test_streamed_reading_is_the_same_at_any_chunk_size(
    data: bytes, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edifact, "CHUNK_BYTES", chunk)
    assert outcome(streamed, data) == outcome(parse_interchange, data)


@pytest.mark.skipif(not EDIFACT.is_dir(), reason=f"corpus not present at {EDIFACT}")
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name)
def test_corpus_files_stream_as_they_parse(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    for chunk in (5, 4096):
        monkeypatch.setattr(edifact, "CHUNK_BYTES", chunk)
        assert outcome(streamed, data) == outcome(parse_interchange, data)


def test_a_message_body_is_read_lazily() -> None:
    data = interchange(message("1", "BGM+380+1", "DTM+137:20240115:102").replace("UNT+4+1", "UNT+9+1")).encode()
    [reader] = list(iter_interchange(io.BytesIO(data)).messages())  # an unread body is passed over
    assert reader.closed and reader.error is not None and "UNT segment count 9 ≠ 4" in reader.error.message
    reader = next(iter_interchange(io.BytesIO(data)).messages())
    assert not reader.closed and reader.error is None  # the UNT check is made when the body ends
    assert [s.tag for s in reader] == ["BGM", "DTM"] and reader.closed and reader.error is not None
