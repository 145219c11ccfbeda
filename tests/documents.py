"""Builders for our own test documents (Peppol invoice with consistent totals, despatch advice, NELFO files)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tests.conftest import EXAMPLES

CENT = Decimal("0.01")
DEMO = (EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class InvoiceLineSpec:
    line_id: str
    article: str
    name: str
    quantity: str
    unit: str
    price: str
    base_quantity: str = "1"


def peppol_invoice(number: str, lines: list[InvoiceLineSpec], *, order_reference: str = "19271") -> bytes:
    """A Peppol BIS 3 invoice from Elgrossisten Syd AB to Elfirma Nordström AB that passes the official rules."""
    head = DEMO[: DEMO.index("  <cac:TaxTotal>")]
    head = head.replace("F2026-1187", number).replace("<cbc:ID>19271</cbc:ID>", f"<cbc:ID>{order_reference}</cbc:ID>")
    amounts = [
        (Decimal(spec.quantity) * Decimal(spec.price) / Decimal(spec.base_quantity)).quantize(CENT, ROUND_HALF_UP)
        for spec in lines
    ]
    total = sum(amounts, Decimal(0))
    vat = (total * Decimal("0.25")).quantize(CENT, ROUND_HALF_UP)
    body = "".join(_line(spec, amount) for spec, amount in zip(lines, amounts, strict=True))
    return (head + _totals(total, vat) + body + "</Invoice>\n").encode("utf-8")


def _totals(total: Decimal, vat: Decimal) -> str:
    return f"""  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="SEK">{vat}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="SEK">{total}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="SEK">{vat}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="SEK">{total}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="SEK">{total}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="SEK">{total + vat}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="SEK">{total + vat}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
"""


def _line(spec: InvoiceLineSpec, amount: Decimal) -> str:
    base = (
        f'<cbc:BaseQuantity unitCode="{spec.unit}">{spec.base_quantity}</cbc:BaseQuantity>'
        if spec.base_quantity != "1"
        else ""
    )
    return f"""  <cac:InvoiceLine>
    <cbc:ID>{spec.line_id}</cbc:ID>
    <cbc:InvoicedQuantity unitCode="{spec.unit}">{spec.quantity}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="SEK">{amount}</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>{spec.name}</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>{spec.article}</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="SEK">{spec.price}</cbc:PriceAmount>{base}</cac:Price>
  </cac:InvoiceLine>
"""


def despatch_advice(number: str, marking: str, lines: list[tuple[str, str, str, str, str]]) -> bytes:
    """Peppol BIS 3 despatch advice from Elgrossisten Syd AB; lines are (id, quantity, unit, article, name)."""
    body = "".join(
        f"""  <cac:DespatchLine><cbc:ID>{lid}</cbc:ID><cbc:DeliveredQuantity unitCode="{unit}">{qty}</cbc:DeliveredQuantity>
    <cac:OrderLineReference><cbc:LineID>{lid}</cbc:LineID></cac:OrderLineReference>
    <cac:Item><cbc:Name>{name}</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>{article}</cbc:ID></cac:SellersItemIdentification></cac:Item>
  </cac:DespatchLine>
"""
        for lid, qty, unit, article, name in lines
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<DespatchAdvice xmlns="urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:despatch_advice:3</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>2026-11-04</cbc:IssueDate>
  <cac:OrderReference><cbc:ID>{marking}</cbc:ID></cac:OrderReference>
  <cac:DespatchSupplierParty><cac:Party><cbc:EndpointID schemeID="0007">5563012342</cbc:EndpointID>
    <cac:PartyLegalEntity><cbc:RegistrationName>Elgrossisten Syd AB</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:DespatchSupplierParty>
  <cac:DeliveryCustomerParty><cac:Party><cbc:EndpointID schemeID="0007">5566045679</cbc:EndpointID>
    <cac:PartyLegalEntity><cbc:RegistrationName>Elfirma Nordström AB</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:DeliveryCustomerParty>
{body}</DespatchAdvice>
""".encode()


def nelfo_pakkseddel(number: str, marking: str, lines: list[tuple[str, str, str, str, str]]) -> bytes:
    """EFONELFO 4.0 pakkseddel (DH/DL) from Elgrossisten Syd; lines are (id, quantity, unit, article, name)."""
    header = ["DH", "EFONELFO", "4.0", "SE556301234201", "SE556604567901", "20261105", number, "", "", "10042", "", "",
              "", "", "", "", "", "", "", "", marking] + [""] * 30 + ["SEK"]  # fmt: skip
    records = [";".join(header)]
    for lid, qty, unit, article, name in lines:
        quantity = str(int(Decimal(qty) * 100))
        fields = ["DL", lid, lid, "0", article, name, "", quantity, quantity, "0", unit] + [""] * 17
        records.append(";".join(fields))
    return ("\r\n".join(records) + "\r\n").encode("iso-8859-1")
