"""Svefaktura 1.0 (SFTI BasicInvoice 1.0) translator.

Corpus tests check each translated record against values read independently, by XPath, from the same
file. The negative and envelope cases are built in the test by string replacement on a sample's bytes,
in the sample's own encoding (one sample is ISO-8859-1, the other UTF-8; both arrive in an SBDH).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from hub.canonical.invoice import Attachment, PrecedingInvoice, SupplierInvoice
from hub.errors import HostileInputError, InvalidValueError, MissingFieldError, RuleFailedError, UnknownFormatError
from hub.formats.base import EmbeddedContent, Sniffed, TranslationContext
from hub.formats.sniff import sniff
from hub.formats.svefaktura import SvefakturaTranslator
from hub.formats.svefaktura_package import ENVELOPE_ROOT, INVOICE_ROOT

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
LATIN1 = "svefaktura1/SFTI_svefaktura_BasicInvoice-1.0_Invoice.xml"
UTF8 = "svefaktura1/svefaktura1.xml"
SAMPLES = (LATIN1, UTF8)
NS = {
    "bi": "urn:sfti:documents:BasicInvoice:1:0",
    "cac": "urn:sfti:CommonAggregateComponents:1:0",
    "cbc": "urn:oasis:names:tc:ubl:CommonBasicComponents:1:0",
    "sh": "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader",
}
TRANSLATOR = SvefakturaTranslator()
CONTEXT = TranslationContext(partner_id="wholesaler-1", filename="faktura.xml")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + bytes(range(256)) + b"\n%%EOF\n"


def _read(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found (shared corpus absent?)")
    return path.read_bytes()


def _encoding(data: bytes) -> str:
    return str(etree.fromstring(data).getroottree().docinfo.encoding)


def _replace(data: bytes, old: str, new: str, count: int = 1) -> bytes:
    """Replace ``old`` (exactly ``count`` times) in the sample's own encoding."""
    encoding = _encoding(data)
    raw_old, raw_new = old.encode(encoding), new.encode(encoding)
    assert data.count(raw_old) == count, f"{old!r} occurs {data.count(raw_old)} times"
    return data.replace(raw_old, raw_new)


def _output(data: bytes) -> tuple[SupplierInvoice, list[EmbeddedContent]]:
    output = list(TRANSLATOR.translate(io.BytesIO(data), CONTEXT))
    record = output[-1]  # embedded attachments come first, so the pipeline can archive them
    assert isinstance(record, SupplierInvoice)
    embedded = output[:-1]
    assert all(isinstance(item, EmbeddedContent) for item in embedded)
    return record, [item for item in embedded if isinstance(item, EmbeddedContent)]


def _translate(data: bytes) -> SupplierInvoice:
    return _output(data)[0]


def _invoice_el(data: bytes) -> etree._Element:
    root = etree.fromstring(data)
    return root if root.tag == f"{{{NS['bi']}}}Invoice" else root.find("bi:Invoice", NS)


def _x(el: etree._Element, path: str) -> str:
    return str(el.xpath(f"string({path})", namespaces=NS)).strip()


def _dx(el: etree._Element, path: str) -> Decimal:
    return Decimal(_x(el, path))


# --- the two real samples, checked against what XPath reads ---------------------------------------------------


@pytest.mark.parametrize("relative", SAMPLES)
def test_sample_totals_and_header_match_xpath(relative: str) -> None:
    data = _read(relative)
    record, embedded = _output(data)
    inv = _invoice_el(data)
    total = "cac:LegalTotal/cbc:"
    assert embedded == []
    assert record.invoice_number == _x(inv, "bi:ID")
    assert (record.kind, record.type_code) == ("INVOICE", _x(inv, "bi:InvoiceTypeCode"))
    assert record.issue_date == date.fromisoformat(_x(inv, "cbc:IssueDate"))
    assert record.currency == _x(inv, "bi:InvoiceCurrencyCode")
    assert inv.xpath("count(cac:LegalTotal/cac:RoundOffAmount)", namespaces=NS) == 0
    assert record.payable_amount == _dx(inv, total + "TaxInclusiveTotalAmount")
    assert record.tax_inclusive_total == _dx(inv, total + "TaxInclusiveTotalAmount")
    assert record.tax_exclusive_total == _dx(inv, total + "TaxExclusiveTotalAmount")
    assert record.line_total == _dx(inv, total + "LineExtensionTotalAmount")
    assert record.tax_total == _dx(inv, "cac:TaxTotal/cbc:TotalTaxAmount")
    assert record.buyer_reference == _x(inv, "bi:RequisitionistDocumentReference/cac:ID")
    assert record.extra["format"] == "svefaktura1"
    assert TRANSLATOR.accepts(sniff(data)) == 20


@pytest.mark.parametrize("relative", SAMPLES)
def test_sample_lines_match_xpath(relative: str) -> None:
    data = _read(relative)
    record = _translate(data)
    inv = _invoice_el(data)
    lines = inv.findall("cac:InvoiceLine", NS)
    assert len(record.lines) == len(lines) == int(_x(inv, "bi:LineItemCountNumeric"))
    line_sum = sum((line.line_amount for line in record.lines), Decimal(0))
    assert line_sum == sum((_dx(line, "cbc:LineExtensionAmount") for line in lines), Decimal(0))
    assert line_sum == record.line_total
    assert [line.description for line in record.lines] == [_x(el, "cac:Item/cbc:Description") for el in lines]
    assert [line.article_number for line in record.lines] == [
        _x(el, "cac:Item/cac:SellersItemIdentification/cac:ID") for el in lines
    ]
    assert [line.quantity for line in record.lines] == [_dx(el, "cbc:InvoicedQuantity") for el in lines]
    assert [line.order_line_reference for line in record.lines] == [
        _x(el, "cac:OrderLineReference/cac:OrderReference/cac:BuyersID") for el in lines
    ]


@pytest.mark.parametrize("relative", SAMPLES)
def test_sample_parties_match_xpath(relative: str) -> None:
    data = _read(relative)
    record = _translate(data)
    inv = _invoice_el(data)
    seller, buyer = "cac:SellerParty/cac:Party/", "cac:BuyerParty/cac:Party/"
    swt, vat = "cac:PartyTaxScheme[cac:TaxScheme/cac:ID='SWT']", "cac:PartyTaxScheme[cac:TaxScheme/cac:ID='VAT']"
    assert record.seller.name == _x(inv, seller + "cac:PartyName/cbc:Name")
    assert record.seller.gln == _x(inv, seller + "cac:PartyIdentification/cac:ID")
    assert record.seller.org_number == _x(inv, seller + swt + "/cac:CompanyID")
    assert record.seller.vat_number == _x(inv, seller + vat + "/cac:CompanyID")
    assert record.seller.vat_number.startswith("SE") and record.seller.vat_number.endswith("01")
    assert record.seller.org_number_scheme == "0007"
    assert record.extra["seller_tax_registration"] == _x(inv, seller + swt + "/cbc:ExemptionReason")
    assert record.buyer.name == _x(inv, buyer + "cac:PartyName/cbc:Name")
    assert record.buyer.org_number == _x(inv, buyer + swt + "/cac:CompanyID")
    assert record.payee_account == _x(inv, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:ID")
    assert record.payment_id == _x(inv, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:PaymentInstructionID")
    assert record.extra["payee_financial_institution"] == "SE:BANKGIRO"  # BIC BGABSESS


@pytest.mark.parametrize("relative", SAMPLES)
def test_national_characters_survive_both_encodings(relative: str) -> None:
    data = _read(relative)
    encoding = _encoding(data)
    assert encoding in ("ISO-8859-1", "UTF-8")
    assert "LÄNSSTYRELSEN".encode(encoding) in data  # the bytes really are in the declared encoding
    record = _translate(data)
    inv = _invoice_el(data)
    assert _x(inv, "cac:BuyerParty/cac:Party/cac:PartyName/cbc:Name") == "LÄNSSTYRELSEN"
    assert record.buyer.name == "LÄNSSTYRELSEN"
    assert (record.buyer.city, record.seller.city) == ("FRÖSÖN", "Norrköping")
    assert "EKO MELLANMJÖLK 6X1L KRAV  ARA" in [line.description for line in record.lines]
    renamed = _replace(data, "LÄNSSTYRELSEN</cbc:Name>", "Åkesson Rör &amp; Värme i Västerås AB</cbc:Name>")
    assert _translate(renamed).buyer.name == "Åkesson Rör & Värme i Västerås AB"


def test_the_two_encodings_are_really_different() -> None:
    assert _encoding(_read(LATIN1)) == "ISO-8859-1"
    assert _encoding(_read(UTF8)) == "UTF-8"


def test_utf8_sample_specifics() -> None:
    record = _translate(_read(UTF8))
    assert record.invoice_number == "60445647"
    assert (record.contract_reference, record.despatch_reference) == ("175612", "15864865")
    assert record.order_reference == "EDI REF. SAKNAS"  # the sample's placeholder, kept as written
    assert record.lines[0].unit_code == "KG"
    (freight,) = record.allowances_charges
    assert (freight.is_charge, freight.amount, freight.reason, freight.reason_code) == (
        True,
        Decimal("100.00"),
        "Fraktavgift",
        "ZZZ",
    )
    assert (freight.vat_category, freight.vat_rate) == ("S", Decimal("25"))
    assert (record.charge_total, record.allowance_total) == (Decimal("100.00"), None)
    assert record.due_date == date(2016, 5, 18)
    assert record.delivery_date == date(2016, 4, 12)  # the date of ActualDeliveryDateTime
    assert [(v.category, v.rate, v.taxable_amount, v.tax_amount) for v in record.vat_breakdown] == [
        ("S", Decimal("12.00"), Decimal("2001.10"), Decimal("240.13"))
    ]


def test_a_total_within_sftis_tolerance_is_a_warning() -> None:
    # The real UTF-8 sample: 1901.09 + 100.00 charge = 2001.09, but TaxExclusiveTotalAmount says 2001.10.
    record = _translate(_read(UTF8))
    (warning,) = record.warnings
    assert (warning.rule, warning.severity) == ("BR-CO-13", "warning")
    assert "2001.09" in warning.message and "2001.10" in warning.message and "R-70" in warning.message


def test_latin1_sample_has_no_findings() -> None:
    assert _translate(_read(LATIN1)).warnings == ()


# --- packaging: SBDH, bare invoice, ObjectEnvelope ---------------------------------------------------------------


def _bare(data: bytes) -> bytes:
    """The Invoice of an SBDH-wrapped sample as a document of its own, in the same encoding."""
    return bytes(etree.tostring(_invoice_el(data), encoding=_encoding(data), xml_declaration=True))


@pytest.mark.parametrize("relative", SAMPLES)
def test_sbdh_and_bare_invoice_translate_identically(relative: str) -> None:
    wrapped = _read(relative)
    bare = _bare(wrapped)
    assert etree.fromstring(wrapped).tag == f"{{{NS['sh']}}}StandardBusinessDocument"
    assert etree.fromstring(bare).tag == INVOICE_ROOT
    assert sniff(bare).root == sniff(wrapped).root == INVOICE_ROOT
    assert _translate(bare) == _translate(wrapped)


def _envelope(data: bytes, payload: bytes, object_id: str, *, document_id: str | None = None) -> str:
    encoded = base64.b64encode(payload).decode("ascii")
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    inv = _invoice_el(data)
    return (
        '<ObjectEnvelope xmlns="urn:sfti:documents:ObjectEnvelope:1:0">'
        f"<DocumentReference><DocumentID>{document_id or _x(inv, 'bi:ID')}</DocumentID>"
        f"<IssueDate>{_x(inv, 'cbc:IssueDate')}</IssueDate>"
        "<DocumentType>urn:sfti:documents:BasicInvoice:1:0</DocumentType></DocumentReference>"
        "<CreationDateTime>2016-08-24T10:00:00</CreationDateTime>"
        f"<EncodedObject><ObjectID>{object_id}</ObjectID>"
        f'<EncodedData format="BASE64" mimeCode="application/pdf" filename="Faktura_{object_id}.pdf">\n'
        f"{wrapped}\n</EncodedData></EncodedObject></ObjectEnvelope>"
    )


def _with_attachment(data: bytes, payload: bytes = PDF, *, first: bool = False, reference: bool = True) -> bytes:
    """The sample with an ATS reference and an ObjectEnvelope beside the Invoice in its SBDH."""
    object_id = _x(_invoice_el(data), "bi:ID") + "_0"
    envelope = _envelope(data, payload, object_id)
    if reference:
        ats = (
            '<AdditionalDocumentReference><cac:ID identificationSchemeID="ATS" identificationSchemeAgencyName="SFTI">'
            f"urn:sfti:documents:object:{object_id}</cac:ID></AdditionalDocumentReference>"
        )
        data = _replace(data, "<cac:BuyerParty>", ats + "<cac:BuyerParty>")
    if first:
        return _replace(data, "</StandardBusinessDocumentHeader>", "</StandardBusinessDocumentHeader>" + envelope)
    return _replace(data, "</StandardBusinessDocument>", envelope + "</StandardBusinessDocument>")


@pytest.mark.parametrize("relative", SAMPLES)
def test_object_envelope_attachment(relative: str) -> None:
    data = _with_attachment(_read(relative))
    record, embedded = _output(data)
    digest = hashlib.sha256(PDF).hexdigest()
    object_id = record.invoice_number + "_0"
    (content,) = embedded
    assert (content.document_id, content.sha256, content.content) == (object_id, digest, PDF)
    assert (content.filename, content.mime_type) == (f"Faktura_{object_id}.pdf", "application/pdf")
    assert record.attachments == (
        Attachment(
            document_id=object_id,
            filename=f"Faktura_{object_id}.pdf",
            mime_type="application/pdf",
            sha256=digest,
            size=len(PDF),
        ),
    )
    assert not [w for w in record.warnings if w.rule == "HUB-SVEFAKTURA-ENVELOPE"]


def test_envelope_before_the_invoice_in_the_sbdh() -> None:
    data = _with_attachment(_read(LATIN1), first=True)
    assert sniff(data).root == ENVELOPE_ROOT
    assert TRANSLATOR.accepts(sniff(data)) == 20
    record, embedded = _output(data)
    assert record == _output(_with_attachment(_read(LATIN1)))[0]
    assert [c.sha256 for c in embedded] == [hashlib.sha256(PDF).hexdigest()]


def test_unreferenced_envelope_object_is_still_an_attachment() -> None:
    record, embedded = _output(_with_attachment(_read(UTF8), reference=False))
    assert len(embedded) == 1
    assert [(a.document_id, a.sha256, a.size) for a in record.attachments] == [
        ("60445647_0", hashlib.sha256(PDF).hexdigest(), len(PDF))
    ]


def test_ats_reference_without_its_envelope() -> None:
    ats = (
        '<AdditionalDocumentReference><cac:ID identificationSchemeID="ATS">urn:sfti:documents:object:99</cac:ID>'
        '</AdditionalDocumentReference><AdditionalDocumentReference><cac:ID identificationSchemeID="ATS">'
        "https://example.com/spec.pdf</cac:ID></AdditionalDocumentReference>"
    )
    record, embedded = _output(_replace(_read(UTF8), "<cac:BuyerParty>", ats + "<cac:BuyerParty>"))
    assert embedded == []
    assert record.attachments == (
        Attachment(document_id="99"),
        Attachment(document_id="https://example.com/spec.pdf", external_uri="https://example.com/spec.pdf"),
    )


def test_envelope_of_another_document_is_a_warning() -> None:
    data = _read(UTF8)
    envelope = _envelope(data, PDF, "1", document_id="12345")
    record = _translate(_replace(data, "</StandardBusinessDocument>", envelope + "</StandardBusinessDocument>"))
    assert "HUB-SVEFAKTURA-ENVELOPE" in [w.rule for w in record.warnings]


def test_bad_base64_in_envelope() -> None:
    data = _with_attachment(_read(UTF8))
    broken = re.sub(rb"(<EncodedData[^>]*>)\s*\S", rb"\1*", data, count=1)
    with pytest.raises(InvalidValueError) as err:
        _translate(broken)
    assert err.value.code == "INVALID_VALUE"
    assert err.value.location == "/ObjectEnvelope[1]/EncodedObject[1]/EncodedData"


def test_envelope_without_its_invoice() -> None:
    data = _read(UTF8)
    alone = _envelope(data, PDF, "1").encode("utf-8")
    assert sniff(alone).root == ENVELOPE_ROOT
    with pytest.raises(MissingFieldError) as err:
        _translate(alone)
    assert err.value.location == "/ObjectEnvelope"


# --- negative cases ----------------------------------------------------------------------------------------------


def test_totals_off_is_rule_failed_with_rule_ids_and_numbers() -> None:
    data = _replace(_read(LATIN1), "1892.82</cbc:LineExtensionTotalAmount>", "1992.82</cbc:LineExtensionTotalAmount>")
    with pytest.raises(RuleFailedError) as err:
        _translate(data)
    assert err.value.code == "RULE_FAILED"
    assert {"BR-CO-10", "BR-CO-13"} <= {issue.rule for issue in err.value.issues}
    assert "1992.82" in err.value.message and "1892.82" in err.value.message


def test_inclusive_total_off_is_rule_failed() -> None:
    data = _replace(_read(LATIN1), "2119.96</cbc:TaxInclusiveTotalAmount>", "2219.96</cbc:TaxInclusiveTotalAmount>")
    with pytest.raises(RuleFailedError) as err:
        _translate(data)
    assert [issue.rule for issue in err.value.issues] == ["BR-CO-15"]
    assert "2219.96" in err.value.message and "2119.96" in err.value.message


def test_line_amount_off_is_rule_failed() -> None:
    data = _replace(_read(LATIN1), ">59.63</cbc:PriceAmount>", ">69.63</cbc:PriceAmount>")
    with pytest.raises(RuleFailedError) as err:
        _translate(data)
    assert [issue.rule for issue in err.value.issues] == ["PEPPOL-EN16931-R120"]
    assert "69.63" in err.value.message and "298.15" in err.value.message


@pytest.mark.parametrize("replacement", ["<ID></ID>", "<ID>  </ID>", ""])
def test_missing_invoice_number(replacement: str) -> None:
    with pytest.raises(MissingFieldError) as err:
        _translate(_replace(_read(LATIN1), "<ID>61016660</ID>", replacement))
    assert err.value.code == "MISSING_FIELD"
    assert err.value.location == "/Invoice/ID"


def test_bad_amount_is_invalid_value() -> None:
    data = _replace(_read(LATIN1), ">2119.96</cbc:TaxInclusiveTotalAmount>", ">2119,96</cbc:TaxInclusiveTotalAmount>")
    with pytest.raises(InvalidValueError) as err:
        _translate(data)
    assert err.value.code == "INVALID_VALUE"
    assert err.value.location == "/Invoice/cac:LegalTotal/cbc:TaxInclusiveTotalAmount"


def test_bad_line_amount_names_the_line() -> None:
    data = _replace(_read(LATIN1), ">402.65</cbc:LineExtensionAmount>", ">4O2.65</cbc:LineExtensionAmount>")
    with pytest.raises(InvalidValueError) as err:
        _translate(data)
    assert err.value.location == "/Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount"


def test_bad_date_is_invalid_value() -> None:
    # The first ActualDeliveryDateTime is the document's; the lines repeat it.
    data = _read(UTF8).replace(b">2016-04-12T00:00:00<", b">12/4/2016<", 1)
    with pytest.raises(InvalidValueError) as err:
        _translate(data)
    assert err.value.location == "/Invoice/cac:Delivery/cbc:ActualDeliveryDateTime"


def test_unknown_invoice_type_code() -> None:
    with pytest.raises(InvalidValueError) as err:
        _translate(_replace(_read(LATIN1), "<InvoiceTypeCode>380<", "<InvoiceTypeCode>389<"))
    assert err.value.location == "/Invoice/InvoiceTypeCode"


def test_doctype_is_refused() -> None:
    data = _read(UTF8)
    hostile = _replace(data, "<StandardBusinessDocument ", '<!DOCTYPE x [<!ENTITY a "b">]><StandardBusinessDocument ')
    with pytest.raises(HostileInputError):
        _translate(hostile)


def test_other_xml_is_unknown_format() -> None:
    ubl = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>1</ID></Invoice>'
    assert TRANSLATOR.accepts(sniff(ubl)) == 0
    with pytest.raises(UnknownFormatError):
        _translate(ubl)


# --- credit notes, rounding, references -------------------------------------------------------------------------

CREDITED = "<InitialInvoiceDocumentReference><cac:ID>61000001</cac:ID></InitialInvoiceDocumentReference>"


def _credit_note(data: bytes) -> bytes:
    data = _replace(data, "<InvoiceTypeCode>380<", "<InvoiceTypeCode>381<")
    return _replace(data, "</RequisitionistDocumentReference>", "</RequisitionistDocumentReference>" + CREDITED)


def test_credit_note_keeps_positive_amounts_and_names_the_invoice_it_corrects() -> None:
    record = _translate(_credit_note(_read(LATIN1)))
    assert (record.kind, record.type_code) == ("CREDIT_NOTE", "381")
    assert record.preceding_invoices == (PrecedingInvoice("61000001"),)
    assert record.payable_amount == Decimal("2119.96")
    assert record.warnings == ()


def test_credit_note_with_negative_amounts_is_kept_as_written_and_reported() -> None:
    amounts = rb">(\d+(\.\d+)?)</cbc:(InvoicedQuantity|LineExtension\w*|Tax\w*Amount|TaxableAmount|TotalTaxAmount)>"
    data = re.sub(amounts, rb">-\1</cbc:\3>", _credit_note(_read(LATIN1)))
    record = _translate(data)
    assert record.kind == "CREDIT_NOTE"
    assert record.payable_amount == Decimal("-2119.96")
    assert record.lines[0].line_amount == Decimal("-298.15")
    assert [w.rule for w in record.warnings] == ["SFTI-R-105"]


def test_round_off_amount_is_part_of_the_amount_to_pay() -> None:
    data = _replace(_read(LATIN1), ">2119.96</cbc:TaxInclusiveTotalAmount>", ">2120.00</cbc:TaxInclusiveTotalAmount>")
    rounded = _replace(
        data,
        "</cac:LegalTotal>",
        '<cac:RoundOffAmount amountCurrencyID="SEK">0.04</cac:RoundOffAmount></cac:LegalTotal>',
    )
    record = _translate(rounded)
    assert (record.payable_amount, record.tax_inclusive_total, record.rounding_amount) == (
        Decimal("2120.00"),
        Decimal("2119.96"),
        Decimal("0.04"),
    )
    assert record.warnings == ()
    wrong = _replace(rounded, ">0.04</cac:RoundOffAmount>", ">0.05</cac:RoundOffAmount>")
    with pytest.raises(RuleFailedError) as err:  # exact when rounded (SFTI R-92), not within ±0.50
        _translate(wrong)
    assert [issue.rule for issue in err.value.issues] == ["BR-CO-15"]


def test_per_line_order_numbers_and_delivery_notes() -> None:
    data = _read(LATIN1)
    data = _replace(data, "<cac:BuyersID>EDI REF. SAKNAS</cac:BuyersID>", "<cac:BuyersID>AO-19271</cac:BuyersID>", 8)
    data = data.replace(b"<cac:BuyersID>AO-19271</cac:BuyersID>", b"<cac:BuyersID>EDI REF. SAKNAS</cac:BuyersID>", 7)
    despatch = (
        "<cac:DespatchLineReference><cac:LineID>3</cac:LineID>"
        "<cac:DocumentReference><cac:ID>F-778</cac:ID></cac:DocumentReference></cac:DespatchLineReference>"
    )
    data = _replace(data, "</cac:OrderLineReference>", "</cac:OrderLineReference>" + despatch, 8)
    record = _translate(data)
    assert record.order_reference is None  # two different orders: no single BT-13
    assert [line.order_line_reference for line in record.lines][-1] == "AO-19271"
    assert record.lines[0].note == "Kravmärkt, Pristyp:Avtal\nDelivery note: F-778 line 3"


def test_gtin_and_line_allowance() -> None:
    data = _read(LATIN1)
    gtin = (
        '<cac:StandardItemIdentification><cac:ID identificationSchemeAgencyID="9">7310000000001</cac:ID>'
        "</cac:StandardItemIdentification>"
    )
    data = re.sub(rb"(<cac:ID>528141</cac:ID>\s*</cac:SellersItemIdentification>)", rb"\1" + gtin.encode(), data)
    allowance = (
        "<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>"
        '<cbc:Amount amountCurrencyID="SEK">10.00</cbc:Amount></cac:AllowanceCharge>'
    )
    data = data.replace(b"</cac:Delivery>", b"</cac:Delivery>" + allowance.encode(), 2)  # document, then line 1
    data = data.replace(allowance.encode(), b"", 1)  # only line 1 keeps it
    data = _replace(data, ">59.63</cbc:PriceAmount>", ">61.63</cbc:PriceAmount>")  # 5 × 61.63 − 10.00 = 298.15
    first = _translate(data).lines[0]
    assert (first.gtin, first.standard_item_id, first.standard_item_scheme) == ("7310000000001",) * 2 + ("0160",)
    (discount,) = first.allowances_charges
    assert (discount.is_charge, discount.amount) == (False, Decimal("10.00"))
    assert first.unit_price == Decimal("61.63")


# --- selection ---------------------------------------------------------------------------------------------------


def test_accepts() -> None:
    assert TRANSLATOR.accepts(Sniffed("xml", root=INVOICE_ROOT)) == 20
    assert TRANSLATOR.accepts(Sniffed("xml", root=ENVELOPE_ROOT)) == 20
    assert (
        TRANSLATOR.accepts(Sniffed("xml", root="{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice")) == 0
    )
    assert TRANSLATOR.accepts(Sniffed("csv")) == 0
    assert str(TRANSLATOR.id) == "svefaktura1-invoice@1"
    assert TRANSLATOR.record_type == "SupplierInvoice"
