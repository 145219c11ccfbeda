"""Peppol BIS 3 Order Response (T76) and Despatch Advice (T16) translators.

Corpus tests check each translated record against values read independently, by XPath, from the same
file: the translator and the test must agree on what the document says. Inline documents cover what the
corpus lacks: an SBDH envelope, a Swedish work-order marking, broken and hostile input.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from hub.canonical.orders import OrderConfirmation, Reference
from hub.errors import HostileInputError, MissingFieldError, UnknownFormatError
from hub.formats.base import Sniffed, TranslationContext, Translator
from hub.formats.peppol_orders import (
    DESPATCH_ADVICE_ROOT,
    ORDER_RESPONSE_ROOT,
    PeppolDespatchAdviceTranslator,
    PeppolOrderResponseTranslator,
)
from hub.formats.sniff import sniff
from hub.formats.xmlsafe import SBDH_NS

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
POACC = CORPUS / "peppol-poacc"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
RESPONSE = PeppolOrderResponseTranslator()
DESPATCH = PeppolDespatchAdviceTranslator()
CONTEXT = TranslationContext(partner_id="wholesaler-1", filename="test.xml")
TRANSLATORS: dict[str, Translator] = {ORDER_RESPONSE_ROOT: RESPONSE, DESPATCH_ADVICE_ROOT: DESPATCH}


def _corpus_files() -> list[Path]:
    """Every OrderResponse and DespatchAdvice in the folder, found by its root (not by its name)."""
    if not POACC.is_dir():
        return []
    return sorted(p for p in POACC.glob("*.xml") if etree.parse(str(p)).getroot().tag in TRANSLATORS)


def _translate(data: bytes, translator: Translator) -> OrderConfirmation:
    records = list(translator.translate(io.BytesIO(data), CONTEXT))
    assert len(records) == 1
    record = records[0]
    assert isinstance(record, OrderConfirmation)
    return record


def _decimal(node: etree._Element, path: str) -> Decimal | None:
    text = node.xpath(f"string({path})", namespaces=NS).strip()
    return Decimal(text) if text else None


def _texts(node: etree._Element, path: str) -> list[str]:
    return [t.strip() for t in node.xpath(f"{path}/text()", namespaces=NS) if t.strip()]


def _values(record_refs: tuple[Reference, ...], kind: str) -> list[str]:
    return [r.value for r in record_refs if r.type == kind]


CORPUS_FILES = _corpus_files()


@pytest.mark.skipif(not POACC.is_dir(), reason=f"shared corpus not found at {POACC}")
def test_corpus_has_both_document_types() -> None:
    roots = {etree.parse(str(p)).getroot().tag for p in CORPUS_FILES}
    assert roots == {ORDER_RESPONSE_ROOT, DESPATCH_ADVICE_ROOT}
    assert len(CORPUS_FILES) >= 6


@pytest.mark.skipif(not POACC.is_dir(), reason=f"shared corpus not found at {POACC}")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_document_translates_as_its_xpath_says(path: Path) -> None:
    data = path.read_bytes()
    doc = etree.fromstring(data)
    translator = TRANSLATORS[doc.tag]
    sniffed = sniff(data)
    assert translator.accepts(sniffed) == 20
    assert (DESPATCH if translator is RESPONSE else RESPONSE).accepts(sniffed) == 0

    record = _translate(data, translator)
    assert record.document_number == doc.xpath("string(cbc:ID)", namespaces=NS).strip()
    assert record.issue_date == date.fromisoformat(doc.xpath("string(cbc:IssueDate)", namespaces=NS).strip())
    assert _values(record.references, "ORDER") == _texts(doc, "cac:OrderReference/cbc:ID")
    assert _values(record.references, "BUYER_REFERENCE") == _texts(doc, "cbc:CustomerReference")
    assert _values(record.references, "SALES_ORDER") == _texts(doc, "cbc:SalesOrderID")
    assert list(record.notes) == _texts(doc, "cbc:Note")
    if doc.tag == ORDER_RESPONSE_ROOT:
        _check_response_lines(doc, record)
    else:
        _check_despatch_lines(doc, record)


def _check_response_lines(doc: etree._Element, record: OrderConfirmation) -> None:
    assert record.kind == "ORDER_RESPONSE"
    assert record.response_code == doc.xpath("string(cbc:OrderResponseCode)", namespaces=NS).strip()
    order_lines = doc.xpath("cac:OrderLine", namespaces=NS)
    assert len(record.lines) == len(order_lines)
    for line, expected in zip(record.lines, order_lines, strict=True):
        item = expected.xpath("cac:LineItem", namespaces=NS)[0]
        assert line.line_id == item.xpath("string(cbc:ID)", namespaces=NS).strip()
        assert line.quantity_ordered == _decimal(item, "cbc:Quantity")
        assert line.quantity_backordered == _decimal(item, "cbc:MaximumBackorderQuantity")
        assert line.quantity_delivered is None  # a response confirms; it does not deliver
        assert line.unit_price == _decimal(item, "cac:Price/cbc:PriceAmount")
        assert line.line_status == (item.xpath("string(cbc:LineStatusCode)", namespaces=NS).strip() or None)
        assert line.order_line_reference == (
            expected.xpath("string(cac:OrderLineReference/cbc:LineID)", namespaces=NS).strip() or None
        )


def _check_despatch_lines(doc: etree._Element, record: OrderConfirmation) -> None:
    assert record.kind == "DELIVERY_NOTE"
    despatch_lines = doc.xpath("cac:DespatchLine", namespaces=NS)
    assert len(record.lines) == len(despatch_lines)
    for line, expected in zip(record.lines, despatch_lines, strict=True):
        assert line.line_id == expected.xpath("string(cbc:ID)", namespaces=NS).strip()
        assert line.quantity_delivered == _decimal(expected, "cbc:DeliveredQuantity")
        assert line.quantity_backordered == _decimal(expected, "cbc:OutstandingQuantity")
        assert line.unit == expected.xpath("string(cbc:DeliveredQuantity/@unitCode)", namespaces=NS)
        assert line.unit_price is None and line.price_is_net is None  # a despatch advice carries no prices
        assert _values(line.line_references, "ORDER") == _texts(
            expected, "cac:OrderLineReference/cac:OrderReference/cbc:ID"
        )
        assert (
            line.order_line_reference
            == expected.xpath("string(cac:OrderLineReference/cbc:LineID)", namespaces=NS).strip()
        )


def _corpus(name: str) -> bytes:
    path = POACC / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found (shared corpus absent?)")
    return path.read_bytes()


def test_order_response_example_prices_substitution_and_delivery() -> None:
    record = _translate(_corpus("OrderResponse_Example.xml"), RESPONSE)
    first = record.lines[0]
    assert (first.unit_price, first.price_base_quantity, first.price_is_net) == (Decimal("1.50"), Decimal(1), True)
    assert (first.unit_code, first.unit) == ("C62", "C62")
    assert first.delivery_date == date(2018, 8, 10)
    # The seller substituted SN-34 for the ordered SN-33: the line carries the substitute, extra the original.
    assert (first.article_number, first.gtin, first.description) == ("SN-34", "7400000001235", "Sauce brown, ready")
    assert first.number_type == "SUPPLIER"
    assert record.extra["line.1.original_article_number"] == "SN-33"
    assert record.extra["line.1.original_gtin"] == "7400000001234"
    assert record.lines[1].unit_price is None and record.lines[1].price_is_net is None
    assert record.delivery_date == date(2013, 7, 15)
    assert record.extra["delivery_date_basis"] == "promised"
    assert (record.currency, record.seller.gln, record.buyer.name) == ("EUR", "7598000000128", "City Hospital")


def test_despatch_advice_parties_and_backorder() -> None:
    record = _translate(_corpus("Despatch_Advice_use_cases__DespatchAdvice-BIS3_UseCase2.xml"), DESPATCH)
    assert record.seller.gln == "7385000000124"  # DespatchSupplierParty: the wholesaler who sends it
    assert record.buyer.gln == "7390000400003"  # BuyerCustomerParty, not the delivery location
    assert record.currency is None and record.response_code is None
    assert [(line.quantity_delivered, line.quantity_backordered) for line in record.lines[:3]] == [
        (Decimal(10), None),
        (Decimal(6), Decimal(4)),
        (Decimal(6), Decimal(0)),
    ]
    assert record.extra["despatch_date"] == "2013-03-13"


# --- inline documents -------------------------------------------------------------------------------

_DA_NS = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)
_OR_NS = _DA_NS.replace("DespatchAdvice-2", "OrderResponse-2")
_PARTY = "<cac:Party><cac:PartyIdentification><cbc:ID schemeID='0088'>{}</cbc:ID></cac:PartyIdentification></cac:Party>"
_DESPATCH_LINE = """
  <cac:DespatchLine>
    <cbc:ID>1</cbc:ID>
    <cbc:DeliveredQuantity unitCode="MTR">25.5</cbc:DeliveredQuantity>
    <cac:OrderLineReference>
      <cbc:LineID>10</cbc:LineID>
      <cac:OrderReference><cbc:ID>AO-19271</cbc:ID></cac:OrderReference>
    </cac:OrderLineReference>
    <cac:Item>
      <cbc:Name>Kabel EKK 3G1,5</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>0012345</cbc:ID></cac:SellersItemIdentification>
      <cac:StandardItemIdentification><cbc:ID schemeID="0160">7310000000017</cbc:ID></cac:StandardItemIdentification>
    </cac:Item>
  </cac:DespatchLine>"""


def _despatch(*, number: str = "<cbc:ID>FS-1001</cbc:ID>", lines: str = _DESPATCH_LINE, buyer: str = "") -> str:
    return f"""<DespatchAdvice {_DA_NS}>
  <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:despatch_advice:3</cbc:CustomizationID>
  {number}
  <cbc:IssueDate>2024-05-02</cbc:IssueDate>
  <cac:OrderReference><cbc:ID>AO-19271</cbc:ID></cac:OrderReference>
  <cac:DespatchSupplierParty>{_PARTY.format("7300000000001")}</cac:DespatchSupplierParty>
  <cac:DeliveryCustomerParty>{_PARTY.format("7300000000002")}</cac:DeliveryCustomerParty>
  {buyer}
  <cac:Shipment><cbc:ID>S1</cbc:ID><cac:Delivery><cbc:ActualDeliveryDate>2024-05-03</cbc:ActualDeliveryDate>
  </cac:Delivery></cac:Shipment>
  {lines}
</DespatchAdvice>"""


def _response(customer_reference: str, *, buyer_extra: str = "") -> str:
    return f"""<OrderResponse {_OR_NS}>
  <cbc:ID>OB-55</cbc:ID>
  <cbc:SalesOrderID>SO-900</cbc:SalesOrderID>
  <cbc:IssueDate>2024-05-01</cbc:IssueDate>
  <cbc:VersionID>2</cbc:VersionID>
  <cbc:OrderResponseCode>AP</cbc:OrderResponseCode>
  <cbc:DocumentCurrencyCode>SEK</cbc:DocumentCurrencyCode>
  <cbc:CustomerReference>{customer_reference}</cbc:CustomerReference>
  <cac:OrderReference><cbc:ID>4711</cbc:ID></cac:OrderReference>
  <cac:SellerSupplierParty>{_PARTY.format("7300000000001")}</cac:SellerSupplierParty>
  <cac:BuyerCustomerParty>{buyer_extra}{_PARTY.format("7300000000009")}</cac:BuyerCustomerParty>
  <cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:LineStatusCode>5</cbc:LineStatusCode>
    <cbc:Quantity unitCode="EA">4</cbc:Quantity>
    <cac:Item><cbc:Name>Dosa</cbc:Name></cac:Item></cac:LineItem></cac:OrderLine>
</OrderResponse>"""


def _sbdh(payload: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<StandardBusinessDocument xmlns="{SBDH_NS}">
  <StandardBusinessDocumentHeader>
    <HeaderVersion>1.0</HeaderVersion>
    <DocumentIdentification><Standard>urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2</Standard>
      <TypeVersion>2.1</TypeVersion><InstanceIdentifier>x-1</InstanceIdentifier><Type>DespatchAdvice</Type>
    </DocumentIdentification>
  </StandardBusinessDocumentHeader>
  {payload}
</StandardBusinessDocument>"""


def test_sbdh_wrapped_despatch_advice() -> None:
    data = _sbdh(_despatch()).encode()
    assert sniff(data).root == DESPATCH_ADVICE_ROOT
    assert DESPATCH.accepts(sniff(data)) == 20
    record = _translate(data, DESPATCH)
    assert (record.document_number, record.kind, record.issue_date) == ("FS-1001", "DELIVERY_NOTE", date(2024, 5, 2))
    assert record.delivery_date == date(2024, 5, 3)
    assert record.extra["delivery_date_basis"] == "actual"
    assert record.buyer.gln == "7300000000002"  # no BuyerCustomerParty: the delivery customer stands in
    [line] = record.lines
    assert (line.quantity_delivered, line.unit_code, line.unit) == (Decimal("25.5"), "MTR", "MTR")
    assert (line.article_number, line.gtin, line.description) == ("0012345", "7310000000017", "Kabel EKK 3G1,5")
    assert line.order_line_reference == "10"
    assert line.line_references == (Reference("ORDER", "AO-19271"),)
    assert line.unit_price is None and line.quantity_ordered is None


def test_work_order_marking_travels_as_buyer_reference() -> None:
    record = _translate(_response("Projekt 19271 Kalle").encode(), RESPONSE)
    assert Reference("BUYER_REFERENCE", "Projekt 19271 Kalle") in record.references
    assert record.references == (
        Reference("ORDER", "4711"),
        Reference("SALES_ORDER", "SO-900"),
        Reference("BUYER_REFERENCE", "Projekt 19271 Kalle"),
    )
    assert (record.document_version, record.response_code, record.currency) == ("2", "AP", "SEK")
    assert record.customer_number is None  # the buyer's only identifier is a GLN: no customer number invented
    assert record.lines[0].quantity_ordered == Decimal(4)


def test_customer_number_from_supplier_assigned_account() -> None:
    account = "<cbc:SupplierAssignedAccountID>K-10044</cbc:SupplierAssignedAccountID>"
    record = _translate(_response("x", buyer_extra=account).encode(), RESPONSE)
    assert record.customer_number == "K-10044"


def test_missing_document_number_names_its_xpath() -> None:
    with pytest.raises(MissingFieldError) as caught:
        _translate(_despatch(number="").encode(), DESPATCH)
    assert caught.value.location == "/DespatchAdvice/cbc:ID"


def test_despatch_line_without_quantity_names_its_xpath() -> None:
    lines = _DESPATCH_LINE.replace('<cbc:DeliveredQuantity unitCode="MTR">25.5</cbc:DeliveredQuantity>', "")
    with pytest.raises(MissingFieldError) as caught:
        _translate(_despatch(lines=lines).encode(), DESPATCH)
    assert caught.value.location == "/DespatchAdvice/cac:DespatchLine[1]/cbc:DeliveredQuantity"


def test_order_line_without_line_item_is_missing_field() -> None:
    data = _response("x").replace("<cac:OrderLine><cac:LineItem>", "<cac:OrderLine><cac:X>")
    data = data.replace("</cac:LineItem></cac:OrderLine>", "</cac:X></cac:OrderLine>")
    with pytest.raises(MissingFieldError) as caught:
        _translate(data.encode(), RESPONSE)
    assert caught.value.location == "/OrderResponse/cac:OrderLine[1]/cac:LineItem"


def test_doctype_is_hostile() -> None:
    data = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n' + _despatch()
    with pytest.raises(HostileInputError):
        _translate(data.encode(), DESPATCH)


def test_unknown_root_is_not_accepted() -> None:
    invoice = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    for sniffed in (Sniffed("xml", root=invoice), Sniffed("xml", root="{urn:x}OrderResponse"), Sniffed("csv")):
        assert RESPONSE.accepts(sniffed) == 0
        assert DESPATCH.accepts(sniffed) == 0
    assert RESPONSE.accepts(Sniffed("xml", root=ORDER_RESPONSE_ROOT)) == 20  # no CustomizationID needed
    assert DESPATCH.accepts(Sniffed("xml", root=DESPATCH_ADVICE_ROOT, customization_id="urn:other")) == 20


def test_translating_the_wrong_root_is_unknown_format() -> None:
    with pytest.raises(UnknownFormatError):
        _translate(_despatch().encode(), RESPONSE)
