"""Peppol BIS 3 Order Response (T76) and Despatch Advice (T16), UBL 2.1 → canonical ``OrderConfirmation``.

Two translators share one mapping (FORMATS.md §5.1): the header, parties and every reference the fitter's
work-order number may travel in (§5.4: ``cbc:CustomerReference``, ``cac:OrderReference/cbc:ID``, line
``cac:OrderLineReference/cac:OrderReference/cbc:ID``, notes) are read the same way from both roots; the
lines differ. An order response *confirms* quantities (ordered, back-ordered) and may carry net prices; a
despatch advice *delivers* quantities and carries no prices — its rows are priced from the catalog. BEAst
Supply 4 documents are Peppol POACC documents and read the same. A document may arrive bare or in an SBDH.
Missing values are None, never invented. Pure: bytes in, records out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO, ClassVar, TypedDict

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from hub.canonical.orders import OrderConfirmation, OrderDocumentKind, OrderLine, Reference, ReferenceType
from hub.errors import MissingFieldError, UnknownFormatError
from hub.formats.base import Sniffed, TranslationContext, TranslatorId
from hub.formats.ubl_parts import GTIN_SCHEME, party
from hub.formats.xmlsafe import Node, parse_xml, prefixed
from hub.pricing.units import unit_code

ORDER_RESPONSE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2}OrderResponse"
DESPATCH_ADVICE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2}DespatchAdvice"

# Where each reference type travels, document level; every occurrence is kept, duplicates once.
_DOCUMENT_REFERENCES: tuple[tuple[ReferenceType, str], ...] = (
    ("ORDER", "cac:OrderReference/cbc:ID"),
    ("SALES_ORDER", "cbc:SalesOrderID"),
    ("SALES_ORDER", "cac:OrderReference/cbc:SalesOrderID"),
    ("BUYER_REFERENCE", "cbc:CustomerReference"),
    ("BUYER_REFERENCE", "cac:OrderReference/cbc:CustomerReference"),
    ("PROJECT", "cac:ProjectReference/cbc:ID"),
    ("CONTRACT", "cac:Contract/cbc:ID"),
    ("CONTRACT", "cac:ContractDocumentReference/cbc:ID"),
    ("FREE_TEXT", "cbc:Note"),
)
# The same per line, relative to a cac:OrderLine / cac:LineItem / cac:DespatchLine.
_LINE_REFERENCES: tuple[tuple[ReferenceType, str], ...] = (
    ("ORDER", "cac:OrderLineReference/cac:OrderReference/cbc:ID"),
    ("SALES_ORDER", "cac:OrderLineReference/cac:OrderReference/cbc:SalesOrderID"),
    ("BUYER_REFERENCE", "cac:OrderLineReference/cac:OrderReference/cbc:CustomerReference"),
    ("FREE_TEXT", "cbc:Note"),
)
# A UBL cac:Delivery's dates, most certain first: what happened, what the seller promised, estimated, asked for.
_DELIVERY_DATES: tuple[tuple[str, str], ...] = (
    ("actual", "cbc:ActualDeliveryDate"),
    ("promised", "cac:PromisedDeliveryPeriod/cbc:StartDate"),
    ("promised", "cac:PromisedDeliveryPeriod/cbc:EndDate"),
    ("estimated", "cac:EstimatedDeliveryPeriod/cbc:StartDate"),
    ("estimated", "cac:EstimatedDeliveryPeriod/cbc:EndDate"),
    ("requested", "cac:RequestedDeliveryPeriod/cbc:StartDate"),
    ("requested", "cac:RequestedDeliveryPeriod/cbc:EndDate"),
)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What differs between the two roots."""

    kind: OrderDocumentKind
    what: str  # for error messages
    sellers: tuple[str, ...]  # party aggregates, preferred first
    buyers: tuple[str, ...]
    delivery: str  # the document-level cac:Delivery


_SHAPES = {
    ORDER_RESPONSE_ROOT: _Shape(
        "ORDER_RESPONSE", "order response", ("cac:SellerSupplierParty",), ("cac:BuyerCustomerParty",), "cac:Delivery"
    ),
    # The despatch supplier sends the advice (the wholesaler); the buyer is who ordered, else who receives.
    DESPATCH_ADVICE_ROOT: _Shape(
        "DELIVERY_NOTE",
        "despatch advice",
        ("cac:DespatchSupplierParty", "cac:SellerSupplierParty"),
        ("cac:BuyerCustomerParty", "cac:DeliveryCustomerParty"),
        "cac:Shipment/cac:Delivery",
    ),
}


class _PeppolOrderDocument:
    """The shared ``accepts``/``translate`` of both translators; ``_root`` names the UBL root each takes."""

    _root: ClassVar[str]
    record_type: ClassVar[str] = OrderConfirmation.TYPE

    def accepts(self, sniffed: Sniffed) -> int:
        # Any CustomizationID: BEAst, Peppol POACC and plain UBL 2.1 read the same.
        return 20 if sniffed.syntax == "xml" and sniffed.root == self._root else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        # One byte over the limit is enough for parse_xml to refuse; never read a huge stream whole.
        root = parse_xml(stream.read(context.max_xml_bytes + 1), max_bytes=context.max_xml_bytes)
        if root.tag != self._root:
            raise UnknownFormatError(
                f"root element {root.tag} is not a UBL 2.1 {_SHAPES[self._root].what}",
                location="/" + prefixed(root.tag),
            )
        yield order_confirmation(root)


class PeppolOrderResponseTranslator(_PeppolOrderDocument):
    """Peppol BIS 3 Order Response (T76) / BEAst orderbekräftelse, bare or in an SBDH."""

    id: ClassVar[TranslatorId] = TranslatorId("peppol-order-response", 1)
    description: ClassVar[str] = "Peppol BIS 3 / BEAst UBL 2.1 OrderResponse (order confirmation)"
    _root: ClassVar[str] = ORDER_RESPONSE_ROOT


class PeppolDespatchAdviceTranslator(_PeppolOrderDocument):
    """Peppol BIS 3 Despatch Advice (T16) / BEAst digital följesedel, bare or in an SBDH."""

    id: ClassVar[TranslatorId] = TranslatorId("peppol-despatch-advice", 1)
    description: ClassVar[str] = "Peppol BIS 3 / BEAst UBL 2.1 DespatchAdvice (delivery note)"
    _root: ClassVar[str] = DESPATCH_ADVICE_ROOT


def order_confirmation(root_el: etree._Element) -> OrderConfirmation:
    """Map a parsed OrderResponse or DespatchAdvice root element to the canonical record."""
    shape = _SHAPES[root_el.tag]
    root = Node.root(root_el)
    number = root.require_text("cbc:ID", f"{shape.what} number")
    issue_date = root.require_date("cbc:IssueDate", f"{shape.what} issue date")
    buyer = _first(root, shape.buyers)
    delivery_date, basis = _delivery_date(root.child(shape.delivery))
    lines, line_extra = _lines(root, shape)
    return OrderConfirmation(
        document_number=number,
        kind=shape.kind,
        issue_date=issue_date,
        document_version=root.text("cbc:VersionID"),
        seller=party(_first(root, shape.sellers)),
        buyer=party(buyer),
        customer_number=_customer_number(buyer),
        currency=root.text("cbc:DocumentCurrencyCode"),
        delivery_date=delivery_date,
        response_code=root.text("cbc:OrderResponseCode"),
        references=_references((root,), _DOCUMENT_REFERENCES),
        lines=lines,
        notes=tuple(root.texts("cbc:Note")),
        extra={**_extra(root, shape, basis), **line_extra},
    )


def _first(root: Node, candidates: tuple[str, ...]) -> Node | None:
    """The first of ``candidates`` the document has."""
    return next((node for rel in candidates if (node := root.child(rel)) is not None), None)


def _customer_number(buyer: Node | None) -> str | None:
    """The buyer's number at the wholesaler: the account the supplier assigned, else one the buyer gave.

    A ``PartyIdentification`` counts only without a schemeID: one with an ICD scheme (0088 GLN, 0007/0192
    org numbers, …) is a public identifier, which the party already carries — not a customer number.
    """
    if buyer is None:
        return None
    account = buyer.text("cbc:SupplierAssignedAccountID") or buyer.text("cbc:CustomerAssignedAccountID")
    if account is not None:
        return account
    ids = buyer.children("cac:Party/cac:PartyIdentification")
    return next((i.text("cbc:ID") for i in ids if i.text("cbc:ID") and i.attr("cbc:ID", "schemeID") is None), None)


def _delivery_date(delivery: Node | None) -> tuple[date | None, str | None]:
    """The most certain date of a ``cac:Delivery`` and what it is (actual, promised, estimated, requested)."""
    if delivery is None:
        return None, None
    for basis, rel in _DELIVERY_DATES:
        value = delivery.date(rel)
        if value is not None:
            return value, basis
    return None, None


def _references(nodes: tuple[Node, ...], paths: tuple[tuple[ReferenceType, str], ...]) -> tuple[Reference, ...]:
    """Every reference found under ``nodes`` along ``paths``, in that order, each (type, value) once."""
    found = (Reference(kind, value) for node in nodes for kind, rel in paths for value in node.texts(rel))
    return tuple(dict.fromkeys(found))


def _extra(root: Node, shape: _Shape, delivery_basis: str | None) -> dict[str, str]:
    """Facts without a canonical field: profile, customization, what the delivery date is, despatch facts."""
    facts = {
        "customization_id": root.text("cbc:CustomizationID"),
        "profile_id": root.text("cbc:ProfileID"),
        "issue_time": root.text("cbc:IssueTime"),
        "delivery_date_basis": delivery_basis,
    }
    if shape.kind == "DELIVERY_NOTE":
        facts.update(_despatch_facts(root))
    return {key: value for key, value in facts.items() if value is not None}


def _despatch_facts(root: Node) -> dict[str, str | None]:
    """Despatch date, shipment and tracking ids, and the receiving party when it is not the buyer."""
    delivery_party = root.child("cac:DeliveryCustomerParty/cac:Party")
    receiver_is_buyer = root.child("cac:BuyerCustomerParty") is None
    return {
        "despatch_date": root.text("cac:Shipment/cac:Delivery/cac:Despatch/cbc:ActualDespatchDate"),
        "shipment_id": root.text("cac:Shipment/cbc:ID"),
        "consignment_id": root.text("cac:Shipment/cac:Consignment/cbc:ID"),
        "tracking_id": root.text("cac:Shipment/cac:Delivery/cbc:TrackingID"),
        "delivery_party_name": None if delivery_party is None or receiver_is_buyer else _party_name(delivery_party),
        "delivery_party_id": None if delivery_party is None or receiver_is_buyer else _party_id(delivery_party),
    }


def _party_name(node: Node) -> str | None:
    return node.text("cac:PartyLegalEntity/cbc:RegistrationName") or node.text("cac:PartyName/cbc:Name")


def _party_id(node: Node) -> str | None:
    return node.text("cac:PartyIdentification/cbc:ID") or node.text("cbc:EndpointID")


def _lines(root: Node, shape: _Shape) -> tuple[tuple[OrderLine, ...], dict[str, str]]:
    """The document's lines and the per-line facts without a canonical field (keyed ``line.<id>.<fact>``)."""
    if shape.kind == "ORDER_RESPONSE":
        mapped = [_response_line(line) for line in root.children("cac:OrderLine")]
    else:
        mapped = [_despatch_line(line) for line in root.children("cac:DespatchLine")]
    extra: dict[str, str] = {}
    for line, facts in mapped:
        extra.update({f"line.{line.line_id}.{key}": value for key, value in facts.items() if value is not None})
    return tuple(line for line, _ in mapped), extra


class _ItemFields(TypedDict):
    article_number: str | None
    number_type: str | None
    gtin: str | None
    description: str | None


def _item(item: Node | None) -> _ItemFields:
    """Seller's article number, GTIN (standard identifier with scheme 0160) and name of a ``cac:Item``."""
    if item is None:
        return {"article_number": None, "number_type": None, "gtin": None, "description": None}
    article = item.text("cac:SellersItemIdentification/cbc:ID")
    standard = "cac:StandardItemIdentification/cbc:ID"
    return {
        "article_number": article,
        "number_type": None if article is None else "SUPPLIER",
        "gtin": item.text(standard) if item.attr(standard, "schemeID") == GTIN_SCHEME else None,
        "description": item.text("cbc:Name"),
    }


class _PriceFields(TypedDict):
    unit_price: Decimal | None
    price_base_quantity: Decimal | None
    price_is_net: bool | None


def _price(line: Node) -> _PriceFields:
    """UBL ``cac:Price``: ``PriceAmount`` is the net item price (allowances already deducted)."""
    unit_price = line.decimal("cac:Price/cbc:PriceAmount")
    return {
        "unit_price": unit_price,
        "price_base_quantity": line.decimal("cac:Price/cbc:BaseQuantity"),
        "price_is_net": None if unit_price is None else True,
    }


def _response_line(order_line: Node) -> tuple[OrderLine, dict[str, str | None]]:
    """``cac:OrderLine``: the seller's answer to one order line; a substitute item replaces the ordered one."""
    item = _require_child(order_line, "cac:LineItem", "order response line item")
    substitute = order_line.child("cac:SellerSubstitutedLineItem")
    quantity = "cbc:Quantity"
    line = OrderLine(
        line_id=item.require_text("cbc:ID", "order response line identifier"),
        quantity_ordered=item.decimal(quantity),
        quantity_backordered=item.decimal("cbc:MaximumBackorderQuantity"),
        unit_code=unit_code(item.attr(quantity, "unitCode")),
        unit=item.attr(quantity, "unitCode"),
        line_amount=item.decimal("cbc:LineExtensionAmount"),
        line_status=item.text("cbc:LineStatusCode"),
        delivery_date=_delivery_date(item.child("cac:Delivery"))[0],
        order_line_reference=order_line.text("cac:OrderLineReference/cbc:LineID"),
        line_references=_references((order_line, item), _LINE_REFERENCES),
        **_price(item),
        **_item(item.child("cac:Item") if substitute is None else substitute.child("cac:Item")),
    )
    return line, _substitution(item, substitute)


def _require_child(node: Node, rel: str, what: str) -> Node:
    child = node.child(rel)
    if child is None:
        raise MissingFieldError(f"{what} is missing ({rel})", location=node.at(rel))
    return child


def _substitution(item: Node, substitute: Node | None) -> dict[str, str | None]:
    """The ordered item a substitute replaced (the line itself carries the substitute)."""
    if substitute is None:
        return {}
    original = _item(item.child("cac:Item"))
    return {
        "substitute_line_id": substitute.text("cbc:ID"),
        "original_article_number": original["article_number"],
        "original_gtin": original["gtin"],
        "original_description": original["description"],
    }


def _despatch_line(line: Node) -> tuple[OrderLine, dict[str, str | None]]:
    """``cac:DespatchLine``: what was delivered and what is still outstanding; never a price."""
    quantity = "cbc:DeliveredQuantity"
    return OrderLine(
        line_id=line.require_text("cbc:ID", "despatch line identifier"),
        quantity_delivered=line.require_decimal(quantity, "delivered quantity"),
        quantity_backordered=line.decimal("cbc:OutstandingQuantity"),
        unit_code=unit_code(line.attr(quantity, "unitCode")),
        unit=line.attr(quantity, "unitCode"),
        order_line_reference=line.text("cac:OrderLineReference/cbc:LineID"),
        line_references=_references((line,), _LINE_REFERENCES),
        **_item(line.child("cac:Item")),
    ), {"outstanding_reason": line.text("cbc:OutstandingReason")}
