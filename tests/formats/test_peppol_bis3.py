"""Peppol BIS Billing 3.0 / EN 16931 UBL translator and the format registry.

Corpus tests check each translated record against values read independently, by XPath, from the
same file: the translator and the test must agree on what the document says.
"""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from hub.canonical.invoice import PrecedingInvoice, SupplierInvoice
from hub.errors import HostileInputError, InvalidValueError, MissingFieldError, UnknownFormatError
from hub.formats import registry
from hub.formats.base import EmbeddedContent, Sniffed, TranslationContext
from hub.formats.peppol_bis3 import (
    UBL_CREDIT_NOTE_ROOT,
    UBL_INVOICE_ROOT,
    PeppolBis3Translator,
    embedded_attachments_from_bytes,
)
from hub.formats.sniff import sniff
from hub.formats.xmlsafe import SBDH_NS

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
# Every snippets__*.xml in the corpus is a complete Invoice or CreditNote, so none is excluded; a
# fragment added later would be listed here with its reason.
SNIPPET_EXCLUSIONS: dict[str, str] = {}
TRANSLATOR = PeppolBis3Translator()
CONTEXT = TranslationContext(partner_id="wholesaler-1", filename="test.xml")


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        [
            *CORPUS.glob("peppol-bis-billing3/examples__*.xml"),
            *CORPUS.glob("en16931-cen/*.xml"),
            *(p for p in CORPUS.glob("peppol-bis-billing3/snippets__*.xml") if p.name not in SNIPPET_EXCLUSIONS),
        ]
    )


def _read(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found (shared corpus absent?)")
    return path.read_bytes()


def _translate(data: bytes, context: TranslationContext = CONTEXT) -> SupplierInvoice:
    output = list(TRANSLATOR.translate(io.BytesIO(data), context))
    records = [r for r in output if not isinstance(r, EmbeddedContent)]
    assert len(records) == 1
    assert output[-1] is records[0]  # embedded attachments come first, so the pipeline can archive them
    record = records[0]
    assert isinstance(record, SupplierInvoice)
    return record


def _expected(data: bytes) -> tuple[str, Decimal, int, Decimal]:
    """Invoice number, payable amount, line count and line-amount sum, read by plain XPath."""
    doc = etree.fromstring(data)
    lines = doc.xpath("cac:InvoiceLine | cac:CreditNoteLine", namespaces=NS)
    return (
        doc.xpath("string(cbc:ID)", namespaces=NS).strip(),
        Decimal(doc.xpath("string(cac:LegalMonetaryTotal/cbc:PayableAmount)", namespaces=NS).strip()),
        len(lines),
        sum(
            (Decimal(line.xpath("string(cbc:LineExtensionAmount)", namespaces=NS).strip()) for line in lines),
            Decimal(0),
        ),
    )


def test_corpus_is_present_or_skipped() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    names = {p.name for p in _corpus_files()}
    assert "examples__base-example.xml" in names
    assert len([n for n in names if n.startswith("examples__")]) >= 9
    assert len([n for n in names if n.startswith("snippets__")]) >= 15
    assert len([n for n in names if n.startswith(("guide-", "ubl-tc434-", "sample-"))]) >= 8


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_document_translates_to_what_xpath_reads(path: Path) -> None:
    data = path.read_bytes()
    record = _translate(data)
    number, payable, line_count, line_sum = _expected(data)
    assert record.invoice_number == number
    assert record.payable_amount == payable
    assert len(record.lines) == line_count
    assert sum((line.line_amount for line in record.lines), Decimal(0)) == line_sum
    root_is_credit_note = etree.fromstring(data).tag == UBL_CREDIT_NOTE_ROOT
    assert record.kind == ("CREDIT_NOTE" if root_is_credit_note else "INVOICE")
    assert record.extra["customization_id"].startswith("urn:cen.eu:en16931:2017")
    assert TRANSLATOR.accepts(sniff(data)) == 20


def test_base_example() -> None:
    record = _translate(_read("peppol-bis-billing3/examples__base-example.xml"))
    assert record.invoice_number == "Snippet1"
    assert record.kind == "INVOICE"
    assert record.type_code == "380"
    assert record.payable_amount == Decimal("1656.25")
    assert str(record.payable_amount) == "1656.25"
    assert len(record.lines) == 2
    assert record.issue_date == date(2017, 11, 13)
    assert record.due_date == date(2017, 12, 1)
    assert record.delivery_date == date(2017, 11, 1)
    assert record.currency == "EUR"
    assert record.buyer_reference == "0150abc"
    assert record.accounting_cost == "4025:123:4343"
    assert (record.payment_id, record.payee_account) == ("Snippet1", "IBAN32423940")
    assert record.payment_terms == "Payment within 10 days, 2% discount"
    assert (record.line_total, record.tax_exclusive_total, record.tax_total) == (
        Decimal("1300"),
        Decimal("1325"),
        Decimal("331.25"),
    )
    assert record.charge_total == Decimal("25")
    assert record.extra["profile_id"] == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def test_base_example_parties() -> None:
    record = _translate(_read("peppol-bis-billing3/examples__base-example.xml"))
    seller, buyer = record.seller, record.buyer
    assert seller.name == "SupplierOfficialName Ltd"
    assert seller.trading_name == "SupplierTradingName Ltd."
    assert (seller.org_number, seller.vat_number) == ("GB983294", "GB1232434")
    assert (seller.endpoint_id, seller.endpoint_scheme) == ("9482348239847239874", "0088")
    assert seller.gln == "9482348239847239874"  # from the 0088 endpoint
    assert seller.party_ids == ("99887766",)
    assert (seller.street, seller.city, seller.postal_zone, seller.country_code) == (
        "Main street 1",
        "London",
        "GB 123 EW",
        "GB",
    )
    assert (buyer.org_number, buyer.org_number_scheme) == ("39937423947", "0183")
    assert buyer.gln is None
    assert buyer.party_ids == ("FR23342",)


def test_base_example_lines_and_vat() -> None:
    record = _translate(_read("peppol-bis-billing3/examples__base-example.xml"))
    first, second = record.lines
    assert (first.line_id, first.quantity, first.unit_code, first.line_amount) == (
        "1",
        Decimal("7"),
        "DAY",
        Decimal("2800"),
    )
    assert first.unit_price == Decimal("400")
    assert (first.description, first.item_description) == ("item name", "Description of item")
    assert (first.vat_category, first.vat_rate) == ("S", Decimal("25.0"))
    assert (first.standard_item_id, first.standard_item_scheme, first.gtin) == ("21382183120983", "0088", None)
    assert (first.order_line_reference, first.accounting_cost) == ("123", "Konteringsstreng")
    assert (second.quantity, second.line_amount) == (Decimal("-3"), Decimal("-1500"))
    assert [(v.category, v.rate, v.taxable_amount, v.tax_amount) for v in record.vat_breakdown] == [
        ("S", Decimal("25.0"), Decimal("1325"), Decimal("331.25"))
    ]
    (charge,) = record.allowances_charges
    assert (charge.is_charge, charge.amount, charge.reason) == (True, Decimal("25"), "Insurance")


def test_credit_note_with_billing_reference() -> None:
    record = _translate(_read("peppol-bis-billing3/examples__base-creditnote-correction.xml"))
    assert record.kind == "CREDIT_NOTE"
    assert record.type_code == "381"
    assert record.payable_amount == Decimal("1656.25")  # positive, as written
    assert record.preceding_invoices == (PrecedingInvoice("Snippet1", None),)


def test_cen_credit_note() -> None:
    record = _translate(_read("en16931-cen/ubl-tc434-creditnote1.xml"))
    assert record.kind == "CREDIT_NOTE"
    assert record.payable_amount > 0


def test_negative_invoice_stays_an_invoice() -> None:
    record = _translate(_read("peppol-bis-billing3/examples__base-negative-inv-correction.xml"))
    assert record.kind == "INVOICE"
    assert record.payable_amount == Decimal("-1656.25")


def test_invoice_root_with_credit_note_type_code_is_a_credit_note() -> None:
    data = _read("peppol-bis-billing3/examples__base-example.xml").replace(
        b"<cbc:InvoiceTypeCode>380<", b"<cbc:InvoiceTypeCode>381<"
    )
    record = _translate(data)
    assert (record.kind, record.type_code) == ("CREDIT_NOTE", "381")


def test_example5_details_prices_references_and_attachment() -> None:
    data = _read("en16931-cen/ubl-tc434-example5.xml")
    record = _translate(data)
    assert record.preceding_invoices == (PrecedingInvoice("TOSL109", date(2013, 3, 10)),)
    assert (record.order_reference, record.sales_order_reference) == ("PO4711", "123")
    assert (record.contract_reference, record.project_reference, record.despatch_reference) == (
        "2013-05",
        "Project345",
        "5433",
    )
    line = record.lines[0]
    assert (line.gross_price, line.price_discount, line.unit_price) == (
        Decimal("1.10"),
        Decimal("0.10"),
        Decimal("1.00"),
    )
    assert (line.price_base_quantity, line.price_base_unit_code) == (Decimal("1"), "EA")
    assert (line.article_number, line.buyer_article_number) == ("JB007", "BUY123")
    assert (line.period_start, line.period_end) == (date(2013, 3, 10), date(2013, 4, 10))
    assert [ac.is_charge for ac in line.allowances_charges] == [False, True]
    # Two TaxTotals: the breakdown and BT-110 come from the one in the document currency (DKK).
    assert record.tax_total == Decimal("675.00")
    assert record.extra["tax_currency_code"] == "EUR"
    assert record.extra["tax_total_in_tax_currency"] == "628.62"
    _check_embedded(data, record)


def _check_embedded(data: bytes, record: SupplierInvoice) -> None:
    doc = etree.fromstring(data)
    encoded = doc.xpath("string(//cbc:EmbeddedDocumentBinaryObject)", namespaces=NS)
    content = base64.b64decode(encoded)
    attachment = next(a for a in record.attachments if a.sha256 is not None)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert (attachment.size, attachment.filename, attachment.mime_type) == (len(content), "EHF.pdf", "application/pdf")
    assert attachment.archive_uri is None
    (embedded,) = embedded_attachments_from_bytes(data, CONTEXT)
    assert (embedded.sha256, embedded.content, embedded.document_id) == (attachment.sha256, content, "sales slip")


def test_sbdh_wrapped_invoice_translates_like_the_bare_one() -> None:
    bare = _read("peppol-bis-billing3/examples__base-example.xml")
    payload = bare.split(b"?>", 1)[1]  # the invoice without its XML declaration
    wrapped = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<StandardBusinessDocument xmlns="' + SBDH_NS.encode() + b'">\n'
        b"<StandardBusinessDocumentHeader><HeaderVersion>1.0</HeaderVersion>"
        b"<DocumentIdentification><Standard>urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
        b"</Standard></DocumentIdentification></StandardBusinessDocumentHeader>\n"
        + payload
        + b"\n</StandardBusinessDocument>"
    )
    translator, records = registry.translate_bytes(wrapped, CONTEXT)
    assert translator.id.name == "peppol-bis3-invoice"
    assert records == [_translate(bare)]


# A small invoice written for the negative tests; {placeholders} are swapped per test.
MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  {id}
  <cbc:IssueDate>{issue_date}</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>SEK</cbc:DocumentCurrencyCode>
  <cac:LegalMonetaryTotal>
    <cbc:PayableAmount currencyID="SEK">{payable}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="EA">2</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="SEK">100.00</cbc:LineExtensionAmount>
  </cac:InvoiceLine>
  <cac:InvoiceLine>
    <cbc:ID>2</cbc:ID>
    {quantity}
    <cbc:LineExtensionAmount currencyID="SEK">25.00</cbc:LineExtensionAmount>
  </cac:InvoiceLine>
</Invoice>
"""


def _minimal(**parts: str) -> bytes:
    values = {
        "id": "<cbc:ID>INV-1</cbc:ID>",
        "issue_date": "2024-05-31",
        "payable": "156.25",
        "quantity": '<cbc:InvoicedQuantity unitCode="MTR">0.5</cbc:InvoicedQuantity>',
    }
    return MINIMAL.format(**(values | parts)).encode()


def test_minimal_invoice_translates() -> None:
    record = _translate(_minimal())
    assert (record.invoice_number, record.payable_amount, record.currency) == ("INV-1", Decimal("156.25"), "SEK")
    assert record.lines[1].quantity == Decimal("0.5")
    assert record.seller.name is None
    assert TRANSLATOR.accepts(sniff(_minimal())) == 20


@pytest.mark.parametrize(
    ("parts", "location"),
    [
        ({"id": ""}, "/Invoice/cbc:ID"),
        ({"id": "<cbc:ID>  </cbc:ID>"}, "/Invoice/cbc:ID"),
        ({"quantity": ""}, "/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity"),
        ({"payable": ""}, "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount"),
    ],
    ids=["no-id", "blank-id", "no-line-quantity", "empty-payable"],
)
def test_missing_mandatory_value(parts: dict[str, str], location: str) -> None:
    with pytest.raises(MissingFieldError) as caught:
        _translate(_minimal(**parts))
    err = caught.value
    assert err.code == "MISSING_FIELD"
    assert err.stage == "translate"
    assert err.location == location
    assert location in err.render()
    assert location in err.render_for("test.xml")


@pytest.mark.parametrize(
    ("parts", "location", "text"),
    [
        ({"payable": "1.656,25"}, "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount", "1.656,25"),
        ({"issue_date": "31.05.2024"}, "/Invoice/cbc:IssueDate", "31.05.2024"),
        (
            {"quantity": "<cbc:InvoicedQuantity>two</cbc:InvoicedQuantity>"},
            "/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity",
            "two",
        ),
    ],
    ids=["amount", "date", "quantity"],
)
def test_invalid_value(parts: dict[str, str], location: str, text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        _translate(_minimal(**parts))
    err = caught.value
    assert err.code == "INVALID_VALUE"
    assert err.location == location
    assert repr(text) in err.message
    assert location in err.render()


def test_doctype_invoice_is_refused_through_the_registry() -> None:
    data = _minimal().replace(b"?>\n", b'?>\n<!DOCTYPE Invoice [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n', 1)
    with pytest.raises(HostileInputError) as caught:
        registry.translate_bytes(data, CONTEXT)
    assert caught.value.code == "HOSTILE_INPUT"
    assert caught.value.location == "line 2"
    with pytest.raises(HostileInputError):
        _translate(data)


def test_hostile_document_of_unknown_kind_is_still_reported_as_hostile() -> None:
    data = b"<?xml version='1.0'?>\n<!DOCTYPE lolz [<!ENTITY lol 'lol'>]>\n<lolz>&lol;</lolz>"
    with pytest.raises(HostileInputError):
        registry.translate_bytes(data, CONTEXT)


def test_stream_over_the_limit_is_refused_without_reading_it_all() -> None:
    stream = io.BytesIO(_minimal() + b" " * 5000)
    with pytest.raises(HostileInputError) as caught:
        list(TRANSLATOR.translate(stream, TranslationContext(max_xml_bytes=2000)))
    assert "2000 bytes" in caught.value.message
    assert stream.tell() == 2001


def test_forced_translator_refuses_a_foreign_root() -> None:
    data = b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>"
    with pytest.raises(UnknownFormatError) as caught:
        registry.translate_bytes(data, CONTEXT, format_hint="peppol-bis3-invoice")
    assert caught.value.location == "/Order"


# ---- registry -------------------------------------------------------------------------------


def test_accepts_scores() -> None:
    assert TRANSLATOR.accepts(Sniffed("xml", root=UBL_INVOICE_ROOT, customization_id="urn:cen.eu:en16931:2017")) == 20
    assert TRANSLATOR.accepts(Sniffed("xml", root=UBL_CREDIT_NOTE_ROOT, customization_id="urn:x")) == 10
    assert TRANSLATOR.accepts(Sniffed("xml", root=UBL_INVOICE_ROOT)) == 10
    assert TRANSLATOR.accepts(Sniffed("xml", root="{urn:sfti:documents:BasicInvoice:1:0}Invoice")) == 0
    assert TRANSLATOR.accepts(Sniffed("edifact")) == 0


def test_registry_has_no_ties_and_unique_names() -> None:
    assert registry.check_unambiguous() == []
    names = [t.id.name for t in registry.all_translators()]
    assert len(names) == len(set(names))
    assert registry.by_name("peppol-bis3-invoice").id.version >= 1
    assert all(t.record_type for t in registry.all_translators())


def test_unknown_xml_root_is_an_unknown_format() -> None:
    sniffed = sniff(b"<?xml version='1.0'?><PriceList xmlns='urn:example:prices'><Item/></PriceList>")
    with pytest.raises(UnknownFormatError) as caught:
        registry.select(sniffed, format_hint=None)
    err = caught.value
    assert err.code == "UNKNOWN_FORMAT"
    assert err.stage == "parse"
    assert "not a format this hub knows" in err.message
    assert "xml {urn:example:prices}PriceList" in err.message
    assert "peppol-bis3-invoice" in err.message


def test_select_honours_allowed_formats_and_hints() -> None:
    sniffed = sniff(_minimal())
    assert registry.select(sniffed, format_hint=None).id.name == "peppol-bis3-invoice"
    assert registry.select(sniffed, format_hint=None, allowed=["peppol-bis3-invoice"]).id == TRANSLATOR.id
    with pytest.raises(UnknownFormatError, match="none configured"):
        registry.select(sniffed, format_hint=None, allowed=["nelfo4-pricelist"])
    assert registry.select(Sniffed("unknown"), format_hint="peppol-bis3-invoice").id == TRANSLATOR.id
    with pytest.raises(UnknownFormatError, match="not among this partner's formats"):
        registry.select(sniffed, format_hint="peppol-bis3-invoice", allowed=["nelfo4-pricelist"])
    with pytest.raises(UnknownFormatError, match="no translator is named"):
        registry.by_name("no-such-format")


def test_random_bytes_are_an_unknown_format_not_a_crash() -> None:
    with pytest.raises(UnknownFormatError):
        registry.translate_bytes(bytes(range(256)) * 4, CONTEXT)
