"""Svefaktura 1.0 (SFTI BasicInvoice 1.0) building blocks: namespaced lookups and aggregate mappings.

Owns :class:`SfNode` — the Svefaktura counterpart of :class:`hub.formats.xmlsafe.Node`, which only knows the
UBL 2.1 prefixes — and the mapping of SFTI aggregates (parties, allowances/charges, VAT breakdown, invoice
lines) to the canonical :mod:`hub.canonical.invoice` dataclasses, following SFTI's "Mapping of Svefaktura 1.0
onto EN 16931-1" (v1.4). Svefaktura puts most elements in the SFTI namespaces, so paths read as the document
does: ``ID`` and ``AllowanceCharge`` are in the document's default namespace, ``cac:`` is
``urn:sfti:CommonAggregateComponents:1:0`` (not UBL's) and ``cbc:`` is UBL 1.0's basic components.
Pure: elements in, dataclasses out; errors name the XPath.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from hub.canonical.invoice import AllowanceCharge, InvoiceLine, Party, VatBreakdown
from hub.errors import InvalidValueError, MissingFieldError
from hub.formats.xmlsafe import to_date, to_decimal

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
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class SfNode:
    """An element, its XPath (``/Invoice/cac:InvoiceLine[2]``) and the prefixes its relative paths use."""

    el: etree._Element
    path: str
    ns: Mapping[str | None, str]

    @classmethod
    def root(cls, el: etree._Element, ns: Mapping[str | None, str], path: str | None = None) -> SfNode:
        return cls(el, path or "/" + str(etree.QName(el).localname), ns)

    def at(self, rel: str) -> str:
        return f"{self.path}/{rel}"

    def child(self, rel: str) -> SfNode | None:
        found = self.el.find(rel, self.ns)
        return None if found is None else SfNode(found, self.at(rel), self.ns)

    def children(self, rel: str) -> list[SfNode]:
        where = self.at(rel) if "/" not in rel else f"({self.at(rel)})"
        return [SfNode(el, f"{where}[{i}]", self.ns) for i, el in enumerate(self.el.findall(rel, self.ns), start=1)]

    def text(self, rel: str | None = None) -> str | None:
        """Stripped text of the child at ``rel`` (or of this element); None when absent or empty."""
        return _clean_text(self.el if rel is None else self.el.find(rel, self.ns))

    def texts(self, rel: str) -> list[str]:
        return [t for t in map(_clean_text, self.el.findall(rel, self.ns)) if t is not None]

    def attr(self, rel: str | None, name: str) -> str | None:
        """Stripped attribute ``name`` of the child at ``rel`` (or of this element); None when absent or empty."""
        el = self.el if rel is None else self.el.find(rel, self.ns)
        value = None if el is None else el.get(name)
        return None if value is None else (value.strip() or None)

    def require_text(self, rel: str, what: str) -> str:
        value = self.text(rel)
        if value is None:
            raise MissingFieldError(f"{what} is missing or empty ({rel})", location=self.at(rel))
        return value

    def decimal(self, rel: str) -> Decimal | None:
        value = self.text(rel)
        return None if value is None else to_decimal(value, self.at(rel))

    def require_decimal(self, rel: str, what: str) -> Decimal:
        return to_decimal(self.require_text(rel, what), self.at(rel))

    def date(self, rel: str) -> datetime.date | None:
        """An ``xsd:date``, or the calendar date of an ``xsd:dateTime`` (Svefaktura's ``…DateTime`` elements)."""
        value = self.text(rel)
        return None if value is None else to_calendar_date(value, self.at(rel))

    def require_date(self, rel: str, what: str) -> datetime.date:
        return to_calendar_date(self.require_text(rel, what), self.at(rel))


def _clean_text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return str(el.text).strip() or None


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


def charge_indicator(node: SfNode) -> bool:
    """``cbc:ChargeIndicator``: true/1 is a charge, false/0 an allowance."""
    value = node.require_text("cbc:ChargeIndicator", "allowance/charge indicator")
    if value not in _BOOLEAN:
        raise InvalidValueError(f"{value!r} is not a boolean (true/false)", location=node.at("cbc:ChargeIndicator"))
    return _BOOLEAN[value]


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
    gln: str | None = None
    others: list[str] = []
    for ident in node.children("cac:PartyIdentification"):
        value = ident.text("cac:ID")
        if value is None:
            continue
        if gln is None and ident.attr("cac:ID", "identificationSchemeAgencyID") == GS1_AGENCY:
            gln = value
        else:
            others.append(value)
    return gln, tuple(others)


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
    """BG-23 from the ``cac:TaxSubTotal`` children of one ``cac:TaxTotal``."""
    if tax_total is None:
        return ()
    return tuple(
        VatBreakdown(
            category=sub.require_text("cac:TaxCategory/cac:ID", "VAT category code (BT-118)"),
            taxable_amount=sub.require_decimal("cbc:TaxableAmount", "VAT taxable amount (BT-116)"),
            tax_amount=sub.require_decimal("cbc:TaxAmount", "VAT amount (BT-117)"),
            rate=sub.decimal("cac:TaxCategory/cbc:Percent"),
            exemption_reason=sub.text("cac:TaxCategory/cbc:ExemptionReason"),
        )
        for sub in tax_total.children("cac:TaxSubTotal")
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


class _PriceFields(TypedDict):
    unit_price: Decimal | None
    price_base_quantity: Decimal | None
    price_base_unit_code: str | None


class _ItemFields(TypedDict):
    article_number: str | None
    buyer_article_number: str | None
    standard_item_id: str | None
    standard_item_scheme: str | None
    gtin: str | None
    description: str | None
    vat_category: str | None
    vat_rate: Decimal | None


def _price(line: SfNode) -> _PriceFields:
    """``cac:Item/cac:BasePrice``: the unit price before any line allowance, per base quantity."""
    base = "cac:Item/cac:BasePrice/"
    return {
        "unit_price": line.decimal(base + "cbc:PriceAmount"),
        "price_base_quantity": line.decimal(base + "cbc:BaseQuantity"),
        "price_base_unit_code": line.attr(base + "cbc:BaseQuantity", "quantityUnitCode"),
    }


def _item(line: SfNode) -> _ItemFields:
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
