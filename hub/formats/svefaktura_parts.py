"""Svefaktura 1.0 (SFTI BasicInvoice 1.0) building blocks: namespaced lookups and aggregate mappings.

Owns :class:`SfNode` — a :class:`hub.formats.xmlsafe.Node` over the Svefaktura prefixes (:data:`INVOICE_NS`,
:data:`ENVELOPE_NS`) whose dates may also be ``xsd:dateTime`` — and the mapping of SFTI aggregates (parties,
allowances/charges, VAT breakdown, invoice lines) to the canonical :mod:`hub.canonical.invoice` dataclasses,
following SFTI's "Mapping of Svefaktura 1.0 onto EN 16931-1" (v1.4); what Svefaktura shares with UBL 2.1 is
mapped by :mod:`hub.formats.ubl_parts`. Svefaktura puts most elements in the SFTI namespaces, so paths read as
the document does: ``ID`` and ``AllowanceCharge`` are in the document's default namespace, ``cac:`` is
``urn:sfti:CommonAggregateComponents:1:0`` (not UBL's) and ``cbc:`` is UBL 1.0's basic components.
Pure: elements in, dataclasses out; errors name the XPath.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

from hub.canonical.invoice import AllowanceCharge, InvoiceLine, Party, VatBreakdown
from hub.errors import InvalidValueError
from hub.formats import ubl_parts
from hub.formats.invoice_common import ItemFields, PriceFields
from hub.formats.ubl_parts import charge_indicator, party_identifiers
from hub.formats.xmlsafe import Node, to_date

BASIC_INVOICE_NS = "urn:sfti:documents:BasicInvoice:1:0"
OBJECT_ENVELOPE_NS = "urn:sfti:documents:ObjectEnvelope:1:0"
SFTI_CAC_NS = "urn:sfti:CommonAggregateComponents:1:0"
UBL1_CBC_NS = "urn:oasis:names:tc:ubl:CommonBasicComponents:1:0"
INVOICE_NS: Mapping[str | None, str] = {None: BASIC_INVOICE_NS, "cac": SFTI_CAC_NS, "cbc": UBL1_CBC_NS}
ENVELOPE_NS: Mapping[str | None, str] = {None: OBJECT_ENVELOPE_NS, "cac": SFTI_CAC_NS, "cbc": UBL1_CBC_NS}

GS1_AGENCY = "9"  # identificationSchemeAgencyID of GS1 (GLN for parties, GTIN for items)
GTIN_SCHEME = "0160"  # ICD of GS1 GTIN, as EN 16931 writes it
SE_ORG_NUMBER_SCHEME = "0007"  # ICD of the Swedish organisation number
_SE_ORG_NUMBER = re.compile(r"\d{10}")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


class SfNode(Node):
    """A :class:`~hub.formats.xmlsafe.Node` whose dates may also be ``xsd:dateTime`` (the ``…DateTime`` elements).

    Made with :meth:`root` and :data:`INVOICE_NS` or :data:`ENVELOPE_NS`; its children are ``SfNode``s too.
    """

    __slots__ = ()

    def parse_date(self, text: str, location: str) -> datetime.date:
        """An ``xsd:date``, or the calendar date of an ``xsd:dateTime`` (:func:`to_calendar_date`)."""
        return to_calendar_date(text, location)


def to_calendar_date(text: str, location: str) -> datetime.date:
    """``YYYY-MM-DD`` (optionally zoned) or ``YYYY-MM-DDThh:mm:ss`` → the date; the time is not kept."""
    day, sep, time = text.strip().partition("T")
    if sep and not _TIME.fullmatch(time):
        raise InvalidValueError(f"{text.strip()!r} is not a date or date-time", location=location)
    return to_date(day, location)


def typed_references(root: SfNode, scheme: str) -> list[str]:
    """Values of ``AdditionalDocumentReference/cac:ID`` with this ``identificationSchemeID`` (CT, ACD, DQ, ATS)."""
    return [
        value
        for ref in root.children("AdditionalDocumentReference")
        if ref.attr("cac:ID", "identificationSchemeID") == scheme and (value := ref.text("cac:ID")) is not None
    ]


def party(parent: SfNode | None) -> Party:
    """Seller or buyer from ``cac:SellerParty``/``cac:BuyerParty``; an absent party maps to an empty one."""
    node = None if parent is None else parent.child("cac:Party")
    if node is None:
        return Party()
    trading_name = " ".join(node.texts("cac:PartyName/cbc:Name")) or None
    registration_name = next(iter(node.texts("cac:PartyTaxScheme/cbc:RegistrationName")), None)
    gln, other_ids = _party_identifiers(node)
    country = node.text("cac:Address/cac:Country/cac:IdentificationCode")
    org_number = tax_scheme_value(node, "SWT", "cac:CompanyID")
    return Party(
        name=registration_name or trading_name,
        trading_name=trading_name,
        org_number=org_number,
        org_number_scheme=_org_number_scheme(org_number, country),
        vat_number=tax_scheme_value(node, "VAT", "cac:CompanyID"),
        gln=gln,
        party_ids=other_ids,
        street=node.text("cac:Address/cbc:StreetName"),
        city=node.text("cac:Address/cbc:CityName"),
        postal_zone=node.text("cac:Address/cbc:PostalZone"),
        country_code=country,
    )


def tax_scheme_value(party_node: SfNode, scheme: str, rel: str) -> str | None:
    """``rel`` inside the ``cac:PartyTaxScheme`` whose TaxScheme is ``scheme`` (SWT: org no., VAT: VAT no.)."""
    for tax_scheme in party_node.children("cac:PartyTaxScheme"):
        if tax_scheme.text("cac:TaxScheme/cac:ID") == scheme:
            return tax_scheme.text(rel)
    return None


def _org_number_scheme(org_number: str | None, country: str | None) -> str | None:
    swedish = org_number is not None and _SE_ORG_NUMBER.fullmatch(org_number) and country in (None, "SE")
    return SE_ORG_NUMBER_SCHEME if swedish else None


def _party_identifiers(node: SfNode) -> tuple[str | None, tuple[str, ...]]:
    """The GLN (identifier issued by agency 9, GS1) and the other party identifiers."""
    return party_identifiers(node, "cac:ID", "identificationSchemeAgencyID", GS1_AGENCY)


def allowance_charge(node: SfNode) -> AllowanceCharge:
    """Document-level ``AllowanceCharge`` (BG-20/21) or line-level ``cac:AllowanceCharge`` (BG-27/28)."""
    return AllowanceCharge(
        is_charge=charge_indicator(node),
        amount=node.require_decimal("cbc:Amount", "allowance/charge amount"),
        base_amount=node.decimal("cac:AllowanceChargeBaseAmount"),
        percent=node.decimal("cbc:MultiplierFactorNumeric"),  # a percentage by SFTI's usage rule
        reason=node.attr("cac:ReasonCode", "name"),
        reason_code=node.text("cac:ReasonCode"),
        vat_category=node.text("cac:TaxCategory/cac:ID"),
        vat_rate=node.decimal("cac:TaxCategory/cbc:Percent"),
    )


def vat_breakdown(tax_total: SfNode | None) -> tuple[VatBreakdown, ...]:
    """BG-23 from the ``cac:TaxSubTotal`` children of one ``cac:TaxTotal`` (UBL 1.0 names; no BT-121)."""
    return ubl_parts.vat_breakdown(
        tax_total,
        subtotal="cac:TaxSubTotal",
        category="cac:TaxCategory/cac:ID",
        exemption_reason="cac:TaxCategory/cbc:ExemptionReason",
        exemption_reason_code=None,
    )


def invoice_line(line: SfNode) -> InvoiceLine:
    """BG-25 from ``cac:InvoiceLine``; the per-line buyer order number becomes ``order_line_reference``."""
    return InvoiceLine(
        line_id=line.require_text("cac:ID", "invoice line number (BT-126)"),
        quantity=line.require_decimal("cbc:InvoicedQuantity", "invoiced quantity (BT-129)"),
        line_amount=line.require_decimal("cbc:LineExtensionAmount", "invoice line amount (BT-131)"),
        unit_code=line.attr("cbc:InvoicedQuantity", "quantityUnitCode"),
        order_line_reference=_order_reference(line),
        note=_line_note(line),
        allowances_charges=tuple(allowance_charge(ac) for ac in line.children("cac:AllowanceCharge")),
        **_price(line),
        **_item(line),
    )


def _order_reference(line: SfNode) -> str | None:
    """The buyer's order number on the line (where a fitter's work order travels), else the order line id."""
    return line.text("cac:OrderLineReference/cac:OrderReference/cac:BuyersID") or line.text(
        "cac:OrderLineReference/cac:BuyersLineID"
    )


def _line_note(line: SfNode) -> str | None:
    """BT-127, amended (as SFTI's mapping guide advises) with line references that have no canonical field."""
    parts = line.texts("cbc:Note")
    order_line = line.text("cac:OrderLineReference/cac:BuyersLineID")
    if order_line and line.text("cac:OrderLineReference/cac:OrderReference/cac:BuyersID"):
        parts.append(f"Order line: {order_line}")
    despatch = line.text("cac:DespatchLineReference/cac:DocumentReference/cac:ID")
    if despatch:
        despatch_line = line.text("cac:DespatchLineReference/cac:LineID")
        parts.append(f"Delivery note: {despatch}" + (f" line {despatch_line}" if despatch_line else ""))
    return "\n".join(parts) or None


def _price(line: SfNode) -> PriceFields:
    """``cac:Item/cac:BasePrice``: the unit price before any line allowance, per base quantity."""
    base = "cac:Item/cac:BasePrice/"
    return {
        "unit_price": line.decimal(base + "cbc:PriceAmount"),
        "price_base_quantity": line.decimal(base + "cbc:BaseQuantity"),
        "price_base_unit_code": line.attr(base + "cbc:BaseQuantity", "quantityUnitCode"),
    }


def _item(line: SfNode) -> ItemFields:
    """``cac:Item``: identifiers, description (EN's item name, BT-153) and the first tax category."""
    standard = "cac:Item/cac:StandardItemIdentification/cac:ID"
    standard_id = line.text(standard)
    gs1 = GS1_AGENCY in (
        line.attr(standard, "identificationSchemeAgencyID"),
        line.attr(standard, "identificationSchemeID"),
    )
    return {
        "article_number": line.text("cac:Item/cac:SellersItemIdentification/cac:ID"),
        "buyer_article_number": line.text("cac:Item/cac:BuyersItemIdentification/cac:ID"),
        "standard_item_id": standard_id,
        "standard_item_scheme": GTIN_SCHEME if gs1 else line.attr(standard, "identificationSchemeID"),
        "gtin": standard_id if gs1 else None,
        "description": line.text("cac:Item/cbc:Description"),
        "vat_category": line.text("cac:Item/cac:TaxCategory/cac:ID"),
        "vat_rate": line.decimal("cac:Item/cac:TaxCategory/cbc:Percent"),
    }
