"""Sniffing: classify by the first bytes, find the business root behind SBDH, never raise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from hub.formats.base import Sniffed
from hub.formats.sniff import HEAD_SIZE, sniff
from hub.formats.xmlsafe import SBDH_NS

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
UBL_INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"


def _corpus(pattern: str) -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    files = sorted(CORPUS.glob(pattern))
    assert files, f"no corpus files match {pattern}"
    return files


def _read(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found")
    return path.read_bytes()


def test_peppol_invoice_root_and_customization() -> None:
    sniffed = sniff(_read("peppol-bis-billing3/examples__base-example.xml"))
    assert sniffed.syntax == "xml"
    assert sniffed.root == UBL_INVOICE
    assert sniffed.customization_id == PEPPOL_CUSTOMIZATION


def test_every_ubl_sample_is_recognised() -> None:
    for path in _corpus("peppol-bis-billing3/*.xml") + _corpus("en16931-cen/*.xml"):
        sniffed = sniff(path.read_bytes())
        assert sniffed.root in (UBL_INVOICE, UBL_CREDIT_NOTE), path.name
        assert (sniffed.customization_id or "").startswith("urn:cen.eu:en16931:2017"), path.name


def test_credit_note_root() -> None:
    assert sniff(_read("en16931-cen/ubl-tc434-creditnote1.xml")).root == UBL_CREDIT_NOTE


def test_sbdh_wrapper_reveals_the_business_root() -> None:
    invoice = _read("peppol-bis-billing3/examples__base-example.xml").split(b"?>", 1)[1]
    wrapped = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<StandardBusinessDocument xmlns="' + SBDH_NS.encode() + b'">'
        b"<StandardBusinessDocumentHeader><HeaderVersion>1.0</HeaderVersion>"
        b"<Sender><Identifier Authority='iso6523-actorid-upis'>0088:1</Identifier></Sender>"
        b"</StandardBusinessDocumentHeader>" + invoice + b"</StandardBusinessDocument>"
    )
    sniffed = sniff(wrapped)
    assert sniffed.root == UBL_INVOICE
    assert sniffed.customization_id == PEPPOL_CUSTOMIZATION


def test_truncated_xml_still_names_the_root() -> None:
    data = _read("peppol-bis-billing3/examples__base-example.xml")
    sniffed = sniff(data[:600])
    assert sniffed.root == UBL_INVOICE
    assert sniffed.customization_id == PEPPOL_CUSTOMIZATION
    # Cut inside the root's start tag: its namespace is unknowable, so no root is claimed.
    cut = sniff(data[:150])
    assert (cut.syntax, cut.root, cut.customization_id) == ("xml", None, None)


def test_only_the_head_is_kept() -> None:
    data = _read("peppol-bis-billing3/examples__base-example.xml") + b" " * (2 * HEAD_SIZE)
    assert len(sniff(data).head) == HEAD_SIZE


def test_utf16_xml() -> None:
    text = _read("peppol-bis-billing3/examples__base-example.xml").decode("utf-8")
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    sniffed = sniff(data)
    assert (sniffed.syntax, sniffed.root, sniffed.customization_id) == ("xml", UBL_INVOICE, PEPPOL_CUSTOMIZATION)


def test_doctype_never_reaches_a_parser_but_the_root_is_named() -> None:
    data = (
        b"<?xml version='1.0'?>\n<!DOCTYPE Invoice [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
        b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'>&x;</Invoice>"
    )
    sniffed = sniff(data)
    assert (sniffed.syntax, sniffed.root) == ("xml", UBL_INVOICE)


def test_edifact_with_and_without_bom() -> None:
    assert sniff(b"UNA:+.? '\nUNB+UNOC:3+X+Y+060620:0931+1'").syntax == "edifact"
    assert sniff(b"\xef\xbb\xbfUNB+UNOB:1+SENDER1:1+RECEIVER1:1'").syntax == "edifact"
    for path in _corpus("edifact/*/*.edi"):
        assert sniff(path.read_bytes()).syntax == "edifact", path.name


def test_nelfo() -> None:
    assert sniff(b"VH;EFONELFO;4.0;NO123;;;20040122;;NOK\r\nVL;1;1006100").syntax == "nelfo"
    assert sniff(b"BH;EFONELFO;4.0;;NO950349875MVA;2091\r\n").syntax == "nelfo"
    assert sniff(b"BH;SOMETHING;4.0\r\n").syntax == "csv"
    for path in _corpus("nelfo4/*.csv"):
        assert sniff(path.read_bytes()).syntax == "nelfo", path.name


def test_csv_and_unknown() -> None:
    assert sniff(b"Artikelnummer;Benamning;Pris\n1;Kabel;10,50\n").syntax == "csv"
    assert sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3").syntax == "unknown"
    assert sniff(b"").syntax == "unknown"
    assert sniff(b"   \n\t").syntax == "unknown"


def test_non_ubl_xml_root() -> None:
    sniffed = sniff(b"<?xml version='1.0'?><Catalog xmlns='urn:x'><Item/></Catalog>")
    assert (sniffed.syntax, sniffed.root, sniffed.customization_id) == ("xml", "{urn:x}Catalog", None)


def test_customization_id_only_from_the_business_root() -> None:
    data = (
        b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2' "
        b"xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'>"
        b"<Wrapper><cbc:CustomizationID>nested</cbc:CustomizationID></Wrapper>"
        b"<cbc:CustomizationID> urn:cen.eu:en16931:2017 </cbc:CustomizationID></Invoice>"
    )
    assert sniff(data).customization_id == "urn:cen.eu:en16931:2017"


def test_random_bytes_never_raise() -> None:
    rng = random.Random(20240611)
    for _ in range(3000):
        data = rng.randbytes(rng.randint(0, 400))
        assert isinstance(sniff(data), Sniffed)
    # Random tails behind plausible starts exercise the XML, EDIFACT and NELFO branches too.
    for start in (b"<", b"<?xml version='1.0'?><", b"\xff\xfe<\x00", b"UNA", b"VH;EFONELFO;", b"<!DOCTYPE"):
        for _ in range(300):
            assert isinstance(sniff(start + rng.randbytes(rng.randint(0, 200))), Sniffed)


def test_truncated_and_mutated_xml_never_raises() -> None:
    rng = random.Random(7)
    data = _read("en16931-cen/ubl-tc434-example5.xml")
    for cut in range(0, len(data), 97):
        assert isinstance(sniff(data[:cut]), Sniffed)
    for _ in range(300):
        mutated = bytearray(data[:4000])
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        assert isinstance(sniff(bytes(mutated)), Sniffed)
