"""``hub dlq show`` previews: the bytes around a line, an XPath, an EDIFACT segment or a byte, in the file's charset."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.archive import LocalArchive
from hub.ops.preview import make_preview, split_segments
from tests.conftest import EXAMPLES

DEMO = (EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml").read_bytes()
EDIFACT = (
    b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+260101:1200+1'UNH+1+INVOIC:D:96A:UN:EAN008'BGM+380+F1'"
    b"DTM+137:20260101:102'UNT+3+1'UNH+2+INVOIC:D:96A:UN:EAN008'BGM+380+F2?'X'MOA+77:1O0'UNT+4+2'UNZ+2+1'"
)


@pytest.fixture
def archive(tmp_path: Path) -> LocalArchive:
    return LocalArchive(tmp_path / "archive")


def focus(preview: object) -> list[str]:
    return [r.text for r in preview.rows if r.focus]  # type: ignore[attr-defined]


def test_a_line_location_shows_two_lines_either_side(archive: LocalArchive) -> None:
    uri = archive.put_bytes(DEMO).uri
    p = make_preview(archive, uri, "line 43, column 48")
    assert [r.number for r in p.rows] == [41, 42, 43, 44, 45]
    assert focus(p) == [DEMO.decode().splitlines()[42]]
    assert p.note == "UTF-8 (XML declaration); column 48"


def test_an_xpath_location_shows_the_element_and_its_surroundings(archive: LocalArchive) -> None:
    uri = archive.put_bytes(DEMO).uri
    p = make_preview(archive, uri, "invoice F2026-1187, /Invoice/cac:InvoiceLine[1]/cac:Price/cbc:BaseQuantity")
    assert focus(p) == ['      <cbc:BaseQuantity unitCode="MTR">100</cbc:BaseQuantity>']
    assert len(p.rows) == 5 and p.kind == "xml"
    svrl = "/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]/*:InvoiceLine[2]"
    lines = focus(make_preview(archive, uri, svrl))
    assert lines[0].strip() == "<cac:InvoiceLine>" and "<cbc:ID>2</cbc:ID>" in lines[1] and len(lines) > 10


def test_an_unknown_xpath_falls_back_to_the_head(archive: LocalArchive) -> None:
    p = make_preview(archive, archive.put_bytes(DEMO).uri, "/Invoice/cac:Nothing[3]")
    assert p.kind == "head" and p.rows[0].number == 1 and "not found" in (p.note or "")


def test_latin1_is_decoded_as_declared_and_undeclared_bytes_as_windows_1252(archive: LocalArchive) -> None:
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>\n<b>Björk</b>\n</a>\n'.encode("iso-8859-1")
    p = make_preview(archive, archive.put_bytes(xml).uri, "line 3")
    assert focus(p) == ["<b>Björk</b>"] and "ISO-8859-1 (XML declaration)" in (p.note or "")
    text = "VL;1;Rör ’16’;x\r\nVL;2;Kabel;y\r\n".encode("cp1252")
    p = make_preview(archive, archive.put_bytes(text).uri, "line 1")
    assert focus(p) == ["VL;1;Rör ’16’;x"] and p.charset == "cp1252"


def test_edifact_segments_count_from_unb_and_within_messages(archive: LocalArchive) -> None:
    uri = archive.put_bytes(EDIFACT).uri
    assert split_segments(EDIFACT.decode("latin-1"))[6] == "BGM+380+F2?'X'"
    p = make_preview(archive, uri, "message 2, segment 3 (MOA+77)")
    assert focus(p) == ["MOA+77:1O0'"] and "interchange segment 8" in (p.note or "")
    assert "(EDIFACT UNOC)" in (p.note or "")
    assert focus(make_preview(archive, uri, "segment 1 (UNB)")) == ["UNB+UNOC:3+SENDER+RECEIVER+260101:1200+1'"]


def test_byte_offsets_and_binary_files_are_shown_as_hex(archive: LocalArchive) -> None:
    p = make_preview(archive, archive.put_bytes(EDIFACT).uri, "byte 40")
    assert p.kind == "bytes" and [r.number for r in p.rows if r.focus] == [32] and p.rows[0].number == 0
    p = make_preview(archive, archive.put_bytes(b"PK\x03\x04" + bytes(100)).uri, None)
    assert p.kind == "binary" and p.rows[0].text.startswith("50 4b 03 04")


def test_no_location_shows_the_head_and_a_missing_file_says_so(archive: LocalArchive) -> None:
    p = make_preview(archive, archive.put_bytes(DEMO).uri, "record 1")
    assert p.kind == "head" and p.rows[0].number == 1 and not focus(p)
    gone = make_preview(archive, "archive://sha256/" + "0" * 64, "line 1")
    assert gone.kind == "unavailable" and "cannot be read" in (gone.note or "")
