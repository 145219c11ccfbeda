"""UBL 2.1 building blocks shared by the Peppol BIS Billing 3.0 translator (and later UBL formats).

Owns the mapping of UBL aggregates — parties, allowances/charges, VAT breakdown, invoice lines,
preceding-invoice references, additional documents — to the canonical
:mod:`hub.canonical.invoice` dataclasses, and the extraction of embedded attachment bytes.
Every function takes a :class:`~hub.formats.xmlsafe.Node`, so errors name the exact XPath.
The pieces UBL 1.0 shares with it (the charge indicator, party identifiers, the VAT breakdown with
its element names as parameters) also serve Svefaktura 1.0 (:mod:`hub.formats.svefaktura_parts`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from decimal import Decimal

from hub.canonical.invoice import (
    AllowanceCharge,
    Attachment,
    InvoiceLine,
    Party,
    PrecedingInvoice,
    VatBreakdown,
)
from hub.errors import InvalidValueError
from hub.formats.base import EmbeddedContent
from hub.formats.invoice_common import ItemFields, PriceFields
from hub.formats.xmlsafe import Node

GLN_SCHEME = "0088"  # ICD 0088: GS1 Global Location Number
GTIN_SCHEME = "0160"  # ICD 0160: GS1 Global Trade Item Number
_BASE64_NOISE = re.compile(rb"\s+")
_XSD_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}
_BINARY = "cac:Attachment/cbc:EmbeddedDocumentBinaryObject"


def party(parent: Node | None) -> Party:
    """Seller or buyer from ``cac:Accounting…Party``; an absent party maps to an empty one."""
    node = None if parent is None else parent.child("cac:Party")
    if node is None:
        return Party()
    gln, other_ids = _party_identifiers(node)
    legal_name = node.text("cac:PartyLegalEntity/cbc:RegistrationName")
    trading_name = node.text("cac:PartyName/cbc:Name")
    return Party(
        name=legal_name or trading_name,
        trading_name=trading_name,
        org_number=node.text("cac:PartyLegalEntity/cbc:CompanyID"),
        org_number_scheme=node.attr("cac:PartyLegalEntity/cbc:CompanyID", "schemeID"),
        vat_number=_vat_number(node),
        endpoint_id=node.text("cbc:EndpointID"),
        endpoint_scheme=node.attr("cbc:EndpointID", "schemeID"),
        gln=gln,
        party_ids=other_ids,
        street=node.text("cac:PostalAddress/cbc:StreetName"),
        city=node.text("cac:PostalAddress/cbc:CityName"),
        postal_zone=node.text("cac:PostalAddress/cbc:PostalZone"),
        country_code=node.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
    )


def _party_identifiers(node: Node) -> tuple[str | None, tuple[str, ...]]:
    """The GLN (scheme 0088 identifier, else a 0088 endpoint) and the other party identifiers."""
    gln, others = party_identifiers(node, "cbc:ID", "schemeID", GLN_SCHEME)
    if gln is None and node.attr("cbc:EndpointID", "schemeID") == GLN_SCHEME:
        gln = node.text("cbc:EndpointID")
    return gln, others


def party_identifiers(node: Node, id_rel: str, scheme_attr: str, gln_scheme: str) -> tuple[str | None, tuple[str, ...]]:
    """The first ``cac:PartyIdentification/{id_rel}`` whose ``scheme_attr`` is ``gln_scheme`` (the GLN); the rest."""
    gln: str | None = None
    others: list[str] = []
    for ident in node.children("cac:PartyIdentification"):
        value = ident.text(id_rel)
        if value is None:
            continue
        if gln is None and ident.attr(id_rel, scheme_attr) == gln_scheme:
            gln = value
        else:
            others.append(value)
    return gln, tuple(others)


def _vat_number(node: Node) -> str | None:
    for scheme in node.children("cac:PartyTaxScheme"):
        if scheme.text("cac:TaxScheme/cbc:ID") == "VAT":
            return scheme.text("cbc:CompanyID")
    return None


def allowance_charge(node: Node) -> AllowanceCharge:
    """Document (BG-20/21) or line (BG-27/28) ``cac:AllowanceCharge``."""
    return AllowanceCharge(
        is_charge=charge_indicator(node),
        amount=node.require_decimal("cbc:Amount", "allowance/charge amount"),
        base_amount=node.decimal("cbc:BaseAmount"),
        percent=node.decimal("cbc:MultiplierFactorNumeric"),
        reason=node.text("cbc:AllowanceChargeReason"),
        reason_code=node.text("cbc:AllowanceChargeReasonCode"),
        vat_category=node.text("cac:TaxCategory/cbc:ID"),
        vat_rate=node.decimal("cac:TaxCategory/cbc:Percent"),
    )


def charge_indicator(node: Node) -> bool:
    """``cbc:ChargeIndicator`` (an ``xsd:boolean``): true/1 is a charge, false/0 an allowance."""
    value = node.require_text("cbc:ChargeIndicator", "allowance/charge indicator")
    if value not in _XSD_BOOLEAN:
        raise InvalidValueError(f"{value!r} is not a boolean (true/false)", location=node.at("cbc:ChargeIndicator"))
    return _XSD_BOOLEAN[value]


def vat_breakdown(
    tax_total: Node | None,
    *,
    subtotal: str = "cac:TaxSubtotal",
    category: str = "cac:TaxCategory/cbc:ID",
    exemption_reason: str = "cac:TaxCategory/cbc:TaxExemptionReason",
    exemption_reason_code: str | None = "cac:TaxCategory/cbc:TaxExemptionReasonCode",
) -> tuple[VatBreakdown, ...]:
    """BG-23 from the ``cac:TaxSubtotal`` children of one ``cac:TaxTotal``.

    The defaults are UBL 2.1's element names; a UBL 1.0 dialect passes its own (``exemption_reason_code``
    None where it has no BT-121).
    """
    if tax_total is None:
        return ()
    return tuple(
        VatBreakdown(
            category=sub.require_text(category, "VAT category code (BT-118)"),
            taxable_amount=sub.require_decimal("cbc:TaxableAmount", "VAT taxable amount (BT-116)"),
            tax_amount=sub.require_decimal("cbc:TaxAmount", "VAT amount (BT-117)"),
            rate=sub.decimal("cac:TaxCategory/cbc:Percent"),
            exemption_reason=sub.text(exemption_reason),
            exemption_reason_code=None if exemption_reason_code is None else sub.text(exemption_reason_code),
        )
        for sub in tax_total.children(subtotal)
    )


def document_tax_total(root: Node, currency: str) -> Node | None:
    """The ``cac:TaxTotal`` in the document currency (BT-110) — not the one in the tax currency (BT-111)."""
    totals = root.children("cac:TaxTotal")
    for total in totals:
        if total.attr("cbc:TaxAmount", "currencyID") == currency:
            return total
    with_breakdown = [t for t in totals if t.child("cac:TaxSubtotal") is not None]
    candidates = with_breakdown or totals
    return candidates[0] if candidates else None


def preceding_invoices(root: Node) -> tuple[PrecedingInvoice, ...]:
    """BG-3 from ``cac:BillingReference/cac:InvoiceDocumentReference``."""
    return tuple(
        PrecedingInvoice(
            number=ref.require_text("cbc:ID", "preceding invoice number (BT-25)"),
            issue_date=ref.date("cbc:IssueDate"),
        )
        for ref in root.children("cac:BillingReference/cac:InvoiceDocumentReference")
    )


def invoice_line(line: Node, quantity_tag: str) -> InvoiceLine:
    """BG-25 from ``cac:InvoiceLine`` or ``cac:CreditNoteLine``; ``quantity_tag`` names its quantity element."""
    notes = line.texts("cbc:Note")
    return InvoiceLine(
        line_id=line.require_text("cbc:ID", "invoice line identifier (BT-126)"),
        quantity=line.require_decimal(quantity_tag, "invoiced quantity (BT-129)"),
        line_amount=line.require_decimal("cbc:LineExtensionAmount", "invoice line net amount (BT-131)"),
        unit_code=line.attr(quantity_tag, "unitCode"),
        order_line_reference=line.text("cac:OrderLineReference/cbc:LineID"),
        accounting_cost=line.text("cbc:AccountingCost"),
        note="\n".join(notes) if notes else None,
        period_start=line.date("cac:InvoicePeriod/cbc:StartDate"),
        period_end=line.date("cac:InvoicePeriod/cbc:EndDate"),
        allowances_charges=tuple(allowance_charge(ac) for ac in line.children("cac:AllowanceCharge")),
        **_price(line),
        **_item(line),
    )


class _PriceFields(PriceFields):
    gross_price: Decimal | None
    price_discount: Decimal | None


class _ItemFields(ItemFields):
    item_description: str | None


def _price(line: Node) -> _PriceFields:
    """BG-29 price details: net price, gross price and discount, base quantity."""
    return {
        "unit_price": line.decimal("cac:Price/cbc:PriceAmount"),
        "price_base_quantity": line.decimal("cac:Price/cbc:BaseQuantity"),
        "price_base_unit_code": line.attr("cac:Price/cbc:BaseQuantity", "unitCode"),
        "gross_price": line.decimal("cac:Price/cac:AllowanceCharge/cbc:BaseAmount"),
        "price_discount": line.decimal("cac:Price/cac:AllowanceCharge/cbc:Amount"),
    }


def _item(line: Node) -> _ItemFields:
    """BG-31 item information: identifiers, name, description, VAT category."""
    standard_id = line.text("cac:Item/cac:StandardItemIdentification/cbc:ID")
    scheme = line.attr("cac:Item/cac:StandardItemIdentification/cbc:ID", "schemeID")
    return {
        "article_number": line.text("cac:Item/cac:SellersItemIdentification/cbc:ID"),
        "buyer_article_number": line.text("cac:Item/cac:BuyersItemIdentification/cbc:ID"),
        "standard_item_id": standard_id,
        "standard_item_scheme": scheme,
        "gtin": standard_id if scheme == GTIN_SCHEME else None,
        "description": line.text("cac:Item/cbc:Name"),
        "item_description": line.text("cac:Item/cbc:Description"),
        "vat_category": line.text("cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        "vat_rate": line.decimal("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
    }


def _decode_embedded(ref: Node) -> bytes | None:
    obj = ref.child(_BINARY)
    if obj is None or obj.el.text is None:
        return None
    try:
        return base64.b64decode(_BASE64_NOISE.sub(b"", obj.el.text.encode("ascii")), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidValueError("embedded attachment is not valid base64", location=obj.path) from None


def attachment(ref: Node) -> Attachment:
    """BG-24 from ``cac:AdditionalDocumentReference``; embedded bytes become a sha256 and a size."""
    content = _decode_embedded(ref)
    return Attachment(
        document_id=ref.require_text("cbc:ID", "supporting document reference (BT-122)"),
        description=ref.text("cbc:DocumentDescription"),
        filename=ref.attr(_BINARY, "filename"),
        mime_type=ref.attr(_BINARY, "mimeCode"),
        external_uri=ref.text("cac:Attachment/cac:ExternalReference/cbc:URI"),
        sha256=None if content is None else hashlib.sha256(content).hexdigest(),
        size=None if content is None else len(content),
    )


def embedded_contents(refs: list[Node]) -> list[EmbeddedContent]:
    """The decoded embedded attachments among ``cac:AdditionalDocumentReference`` nodes."""
    found: list[EmbeddedContent] = []
    for ref in refs:
        content = _decode_embedded(ref)
        if content is None:
            continue
        found.append(
            EmbeddedContent(
                document_id=ref.require_text("cbc:ID", "supporting document reference (BT-122)"),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                filename=ref.attr(_BINARY, "filename"),
                mime_type=ref.attr(_BINARY, "mimeCode"),
            )
        )
    return found
