"""Safe XML intake: hostile documents refused before parsing, errors located, SBDH unwrapped."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from hub.errors import HostileInputError, InvalidValueError, MissingFieldError, ParseError
from hub.formats.xmlsafe import (
    SBDH_NS,
    Node,
    make_parser,
    parse_xml,
    refuse_hostile_prolog,
    scan_prolog,
    to_date,
    to_decimal,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
LIMIT = 1024 * 1024

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def _xxe(secret_file: Path) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "' + secret_file.as_uri().encode() + b'">]>\n'
        b"<Invoice><Note>&xxe;</Note></Invoice>\n"
    )


def test_parses_a_plain_document() -> None:
    root = parse_xml(b"<?xml version='1.0'?>\n<a><b> 12.50 </b></a>", max_bytes=LIMIT)
    assert root.tag == "a"
    assert Node.root(root).text("b") == "12.50"


def test_xxe_doctype_is_refused_and_no_entity_is_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    with pytest.raises(HostileInputError) as caught:
        parse_xml(_xxe(secret), max_bytes=LIMIT)
    err = caught.value
    assert err.code == "HOSTILE_INPUT"
    assert err.stage == "parse"
    assert err.location == "line 2"
    assert "DOCTYPE" in err.message
    assert "line 2" in err.render()
    assert "TOP-SECRET" not in err.render()


def test_parser_itself_never_resolves_external_entities(tmp_path: Path) -> None:
    # Defence in depth: even if the prolog guard were bypassed, the parser leaves &xxe; unexpanded.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    root = etree.fromstring(_xxe(secret), make_parser())
    assert b"TOP-SECRET" not in etree.tostring(root)
    assert "TOP-SECRET" not in "".join(root.itertext())


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(HostileInputError) as caught:
        parse_xml(BILLION_LAUGHS, max_bytes=LIMIT)
    assert time.monotonic() - started < 1.0
    assert caught.value.code == "HOSTILE_INPUT"
    assert caught.value.location == "line 2"


@pytest.mark.parametrize(
    "document",
    [
        b"<!-- a <tricky> comment --><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
        b"<?xml version='1.0'?><?pi <data?>\n\n<!DOCTYPE a><a/>",
        b"\xef\xbb\xbf<!DOCTYPE a SYSTEM 'http://example.invalid/a.dtd'><a/>",
        b"<!ENTITY x 'y'><a/>",
        b"<!doctype a><a/>",
        "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE a><a/>".encode("utf-16"),
        "<!DOCTYPE a><a/>".encode("utf-16-be"),
    ],
    ids=["after-comment", "after-pi", "after-bom", "bare-entity", "lowercase", "utf16-bom", "utf16-no-bom"],
)
def test_any_markup_declaration_in_the_prolog_is_refused(document: bytes) -> None:
    with pytest.raises(HostileInputError) as caught:
        parse_xml(document, max_bytes=LIMIT)
    assert caught.value.code == "HOSTILE_INPUT"
    assert caught.value.location is not None
    assert caught.value.location.startswith("line ")


def test_doctype_mention_inside_a_comment_or_body_is_not_a_doctype() -> None:
    refuse_hostile_prolog(b"<!-- <!DOCTYPE is mentioned here --><a>&lt;!DOCTYPE&gt;</a>")
    root = parse_xml(b"<!-- <!DOCTYPE x> --><a>&lt;!DOCTYPE&gt;</a>", max_bytes=LIMIT)
    assert root.text == "<!DOCTYPE>"


def test_oversized_document_is_refused() -> None:
    document = b"<a>" + b"x" * 2000 + b"</a>"
    with pytest.raises(HostileInputError) as caught:
        parse_xml(document, max_bytes=1000)
    assert caught.value.code == "HOSTILE_INPUT"
    assert "2007 bytes" in caught.value.message
    assert "1000 bytes" in caught.value.message


def test_deep_nesting_hits_the_parser_limit_as_hostile_input() -> None:
    document = b"<a>" * 5000 + b"</a>" * 5000
    with pytest.raises(HostileInputError) as caught:
        parse_xml(document, max_bytes=LIMIT)
    assert "Excessive depth" in caught.value.message
    assert caught.value.location is not None
    assert caught.value.location.startswith("line 1, column ")


def test_not_well_formed_reports_line_and_column() -> None:
    document = b"<?xml version='1.0'?>\n<Invoice>\n  <ID>1</Id>\n</Invoice>"
    with pytest.raises(ParseError) as caught:
        parse_xml(document, max_bytes=LIMIT)
    err = caught.value
    assert err.code == "PARSE_ERROR"
    assert err.location == "line 3, column 13"
    assert "Opening and ending tag mismatch" in err.message
    assert "line 3, column 13" in err.render_for("x.xml")
    assert "(x.xml: line 3, column 13)" in err.render_for("x.xml")


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"", "Document is empty"),
        (b"<a>&undefined;</a>", "Entity 'undefined' not defined"),
        (b"<a/>trailing", "Extra content at the end of the document"),
        (b"<?xml version='1.0' encoding='x-no-such'?><a/>", "Unsupported encoding"),
    ],
)
def test_parse_errors_quote_the_parser(document: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_xml(document, max_bytes=LIMIT)
    assert reason in caught.value.message
    assert caught.value.location is not None
    assert caught.value.location.startswith("line 1, column ")


def test_declared_iso_8859_1_encoding_is_honoured() -> None:
    document = "<?xml version='1.0' encoding='ISO-8859-1'?><Namn>Åkesson & Söner</Namn>"
    data = document.replace("&", "&amp;").encode("iso-8859-1")
    assert parse_xml(data, max_bytes=LIMIT).text == "Åkesson & Söner"


def test_utf16_document_parses() -> None:
    data = "<?xml version='1.0' encoding='UTF-16'?><a>ø</a>".encode("utf-16")
    assert parse_xml(data, max_bytes=LIMIT).text == "ø"


def test_comments_do_not_split_text() -> None:
    assert Node.root(parse_xml(b"<a><b>12<!-- x -->.5</b></a>", max_bytes=LIMIT)).text("b") == "12.5"


def _sbdh(payload: bytes) -> bytes:
    return (
        (
            f'<StandardBusinessDocument xmlns="{SBDH_NS}">'
            "<StandardBusinessDocumentHeader><HeaderVersion>1.0</HeaderVersion></StandardBusinessDocumentHeader>"
        ).encode()
        + payload
        + b"</StandardBusinessDocument>"
    )


def test_sbdh_envelope_is_unwrapped() -> None:
    root = parse_xml(_sbdh(b"<Invoice xmlns='urn:x'><ID>7</ID></Invoice>"), max_bytes=LIMIT)
    assert root.tag == "{urn:x}Invoice"
    assert Node.root(root).path == "/Invoice"


def test_sbdh_without_payload_is_a_missing_field() -> None:
    with pytest.raises(MissingFieldError) as caught:
        parse_xml(_sbdh(b""), max_bytes=LIMIT)
    assert caught.value.code == "MISSING_FIELD"
    assert caught.value.location == "/sh:StandardBusinessDocument"


def test_scan_prolog_finds_declaration_and_root() -> None:
    data = b"<?xml version='1.0'?>\n<!-- c --><?pi x?>\n<root/>"
    prolog = scan_prolog(data)
    assert prolog.declaration_end == len(b"<?xml version='1.0'?>")
    assert prolog.root_start == data.index(b"<root")
    assert prolog.markup_at is None


UBL = (
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
    b' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
    b' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
    b"<cac:InvoiceLine><cbc:ID>1</cbc:ID></cac:InvoiceLine>"
    b"<cac:InvoiceLine><cbc:ID>2</cbc:ID><cbc:Amount currencyID=' SEK '>1,5</cbc:Amount></cac:InvoiceLine>"
    b"</Invoice>"
)


def test_node_paths_name_the_element() -> None:
    root = Node.root(parse_xml(UBL, max_bytes=LIMIT))
    lines = root.children("cac:InvoiceLine")
    assert [line.path for line in lines] == ["/Invoice/cac:InvoiceLine[1]", "/Invoice/cac:InvoiceLine[2]"]
    assert lines[1].attr("cbc:Amount", "currencyID") == "SEK"
    assert [n.path for n in root.children("cac:InvoiceLine/cbc:ID")][1] == "(/Invoice/cac:InvoiceLine/cbc:ID)[2]"
    with pytest.raises(InvalidValueError) as caught:
        lines[1].decimal("cbc:Amount")
    assert caught.value.location == "/Invoice/cac:InvoiceLine[2]/cbc:Amount"
    assert "'1,5'" in caught.value.message
    with pytest.raises(MissingFieldError) as missing:
        lines[0].require_decimal("cbc:Amount", "line amount")
    assert missing.value.location == "/Invoice/cac:InvoiceLine[1]/cbc:Amount"


@pytest.mark.parametrize(
    ("text", "expected"), [("1656.25", "1656.25"), (" 25.0\n", "25.0"), ("-3", "-3"), (".5", "0.5")]
)
def test_decimals_keep_the_documents_digits(text: str, expected: str) -> None:
    value = to_decimal(text, "/x")
    assert value == Decimal(expected)
    assert str(value) == str(Decimal(expected))


@pytest.mark.parametrize("text", ["1,5", "NaN", "Infinity", "1e3", "", "12 EUR", "--1"])
def test_non_numbers_are_invalid_values(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        to_decimal(text, "/Invoice/cbc:X")
    assert caught.value.code == "INVALID_VALUE"
    assert caught.value.location == "/Invoice/cbc:X"


def test_dates() -> None:
    assert to_date("2017-11-13", "/x") == date(2017, 11, 13)
    assert to_date("2017-11-13+01:00", "/x") == date(2017, 11, 13)
    for bad in ("13.11.2017", "20171113", "2017-02-30", "2017-11-13T10:00:00"):
        with pytest.raises(InvalidValueError):
            to_date(bad, "/x")


def test_real_iso_8859_1_svefaktura_in_sbdh_unwraps() -> None:
    path = CORPUS / "svefaktura1" / "SFTI_svefaktura_BasicInvoice-1.0_Invoice.xml"
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found (shared corpus absent?)")
    data = path.read_bytes()
    assert b'encoding="ISO-8859-1"' in data[:100]
    root = parse_xml(data, max_bytes=LIMIT)
    assert root.tag == "{urn:sfti:documents:BasicInvoice:1:0}Invoice"


def test_every_corpus_xml_file_passes_the_safe_parser() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    files = sorted(CORPUS.rglob("*.xml"))
    assert files
    for path in files:
        assert parse_xml(path.read_bytes(), max_bytes=64 * LIMIT) is not None, path
