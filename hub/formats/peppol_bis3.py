"""Peppol BIS Billing 3.0 / EN 16931 UBL 2.1 Invoice and CreditNote → canonical ``SupplierInvoice``.

One translator serves both roots: they share every business term and differ only in a few element
names (``InvoiceLine``/``CreditNoteLine``, ``InvoicedQuantity``/``CreditedQuantity``, the type-code
element), so one versioned id fences replays of invoices and credit notes alike. A document may
arrive bare or inside a Peppol SBDH envelope. Embedded attachments are reduced to sha256 + size on
the record; :func:`embedded_attachments` hands the decoded bytes to the pipeline for archiving.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO, ClassVar, TypedDict

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from hub.canonical.invoice import Attachment, InvoiceKind, SupplierInvoice, ValidationIssue
from hub.errors import RuleFailedError, UnknownFormatError
from hub.formats.base import VALIDATION_SKIPPED, EmbeddedContent, Sniffed, TranslationContext, TranslatorId
from hub.formats.invoice_common import DocumentReferences
from hub.formats.ubl_parts import (
    allowance_charge,
    attachment,
    document_tax_total,
    embedded_contents,
    invoice_line,
    party,
    preceding_invoices,
    vat_breakdown,
)
from hub.formats.xmlsafe import Node, parse_xml, prefixed

UBL_INVOICE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
EN16931_CUSTOMIZATION = "urn:cen.eu:en16931:2017"
# UNCL1001 codes that Peppol BIS 3.0 lists as credit notes; an Invoice root carrying one is a credit
# note by its own declaration. Negative amounts alone never make one (DESIGN §9.6).
CREDIT_NOTE_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})
_INVOICED_OBJECT = "130"  # UNCL1001 in AdditionalDocumentReference: BT-18 invoiced object identifier
_PROJECT = "50"  # UNCL1001 in AdditionalDocumentReference: BT-11 project reference (credit notes)


@dataclass(frozen=True, slots=True)
class _Shape:
    """Element names that differ between the Invoice and CreditNote schemas."""

    kind: InvoiceKind
    type_code: str
    line: str
    quantity: str


_SHAPES = {
    UBL_INVOICE_ROOT: _Shape("INVOICE", "cbc:InvoiceTypeCode", "cac:InvoiceLine", "cbc:InvoicedQuantity"),
    UBL_CREDIT_NOTE_ROOT: _Shape("CREDIT_NOTE", "cbc:CreditNoteTypeCode", "cac:CreditNoteLine", "cbc:CreditedQuantity"),
}


class PeppolBis3Translator:
    """UBL 2.1 Invoice/CreditNote (EN 16931, Peppol BIS Billing 3.0), bare or in an SBDH."""

    id: ClassVar[TranslatorId] = TranslatorId("peppol-bis3-invoice", 1)
    record_type: ClassVar[str] = SupplierInvoice.TYPE
    description: ClassVar[str] = "Peppol BIS Billing 3.0 / EN 16931 UBL Invoice and CreditNote"

    def accepts(self, sniffed: Sniffed) -> int:
        if sniffed.syntax != "xml" or sniffed.root not in _SHAPES:
            return 0
        if (sniffed.customization_id or "").startswith(EN16931_CUSTOMIZATION):
            return 20
        return 10  # a UBL 2 invoice of another customization: still ours, unless something knows better

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        # One byte over the limit is enough for parse_xml to refuse; never read a huge stream whole.
        data = stream.read(context.max_xml_bytes + 1)
        root = parse_document(data, context)
        warnings = validate(data, root, context)
        invoice = supplier_invoice(root)
        yield from embedded_attachments(root)
        yield dataclasses.replace(invoice, warnings=tuple(warnings)) if warnings else invoice


def validate(data: bytes, root: etree._Element, context: TranslationContext) -> list[ValidationIssue]:
    """Apply the official rules: fatal findings raise RULE_FAILED, warnings are returned for the record.

    Without a validator the result says so (``HUB-VALIDATION-SKIPPED``) — a skipped validation is never
    reported as passed. DOCTYPEs were refused by ``parse_document`` before any parser saw the bytes.
    """
    if context.validator is None:
        return [ValidationIssue(VALIDATION_SKIPPED, "warning", context.validation_skipped, None)]
    if root.getparent() is not None or root.getroottree().getroot() is not root:
        data = etree.tostring(root)  # the business document inside an SBDH envelope
    customization = (Node.root(root).text("cbc:CustomizationID") or "").lower()
    issues = list(context.validator.validate(data, peppol="peppol" in customization))
    fatal = [i for i in issues if i.severity == "fatal"]
    if fatal:
        raise RuleFailedError(fatal)
    return [i for i in issues if i.severity != "fatal"]


def read_document(stream: BinaryIO, context: TranslationContext) -> etree._Element:
    """Read (bounded by ``max_xml_bytes``) and safely parse a UBL Invoice or CreditNote."""
    return parse_document(stream.read(context.max_xml_bytes + 1), context)


def parse_document(data: bytes, context: TranslationContext) -> etree._Element:
    """Safely parse a UBL Invoice or CreditNote (SBDH unwrapped)."""
    root = parse_xml(data, max_bytes=context.max_xml_bytes)
    if root.tag not in _SHAPES:
        raise UnknownFormatError(
            f"root element {root.tag} is not a UBL 2.1 Invoice or CreditNote",
            location="/" + prefixed(root.tag),
        )
    return root


def supplier_invoice(root_el: etree._Element) -> SupplierInvoice:
    """Map a parsed UBL Invoice/CreditNote root element to the canonical record."""
    root = Node.root(root_el)
    shape = _SHAPES[root_el.tag]
    invoice_number = root.require_text("cbc:ID", "invoice number (BT-1)")
    issue_date = root.require_date("cbc:IssueDate", "invoice issue date (BT-2)")
    type_code = root.require_text(shape.type_code, "invoice type code (BT-3)")
    currency = root.require_text("cbc:DocumentCurrencyCode", "invoice currency code (BT-5)")
    tax_total = document_tax_total(root, currency)
    return SupplierInvoice(
        invoice_number=invoice_number,
        kind="CREDIT_NOTE" if type_code in CREDIT_NOTE_TYPE_CODES else shape.kind,
        type_code=type_code,
        issue_date=issue_date,
        currency=currency,
        seller=party(root.child("cac:AccountingSupplierParty")),
        buyer=party(root.child("cac:AccountingCustomerParty")),
        payable_amount=root.require_decimal("cac:LegalMonetaryTotal/cbc:PayableAmount", "amount due (BT-115)"),
        notes=tuple(root.texts("cbc:Note")),
        preceding_invoices=preceding_invoices(root),
        lines=tuple(invoice_line(line, shape.quantity) for line in root.children(shape.line)),
        allowances_charges=tuple(allowance_charge(ac) for ac in root.children("cac:AllowanceCharge")),
        vat_breakdown=vat_breakdown(tax_total),
        tax_total=None if tax_total is None else tax_total.decimal("cbc:TaxAmount"),
        attachments=_attachments(root),
        extra=_extra(root, currency),
        **_dates(root),
        **_references(root),
        **_payment(root),
        **_totals(root),
    )


class _Dates(TypedDict):
    due_date: date | None
    tax_point_date: date | None
    delivery_date: date | None


def _dates(root: Node) -> _Dates:
    # A CreditNote has no cbc:DueDate; BIS 3.0 carries its BT-9 in PaymentMeans/PaymentDueDate.
    return {
        "due_date": root.date("cbc:DueDate") or root.date("cac:PaymentMeans/cbc:PaymentDueDate"),
        "tax_point_date": root.date("cbc:TaxPointDate"),
        "delivery_date": root.date("cac:Delivery/cbc:ActualDeliveryDate"),
    }


def _references(root: Node) -> DocumentReferences:
    return {
        "buyer_reference": root.text("cbc:BuyerReference"),
        "order_reference": root.text("cac:OrderReference/cbc:ID"),
        "sales_order_reference": root.text("cac:OrderReference/cbc:SalesOrderID"),
        "project_reference": root.text("cac:ProjectReference/cbc:ID") or _typed_reference(root, _PROJECT),
        "contract_reference": root.text("cac:ContractDocumentReference/cbc:ID"),
        "despatch_reference": root.text("cac:DespatchDocumentReference/cbc:ID"),
        "accounting_cost": root.text("cbc:AccountingCost"),
    }


class _Payment(TypedDict):
    payment_terms: str | None
    payment_id: str | None
    payee_account: str | None


def _payment(root: Node) -> _Payment:
    terms = root.texts("cac:PaymentTerms/cbc:Note")
    return {
        "payment_terms": "\n".join(terms) if terms else None,
        "payment_id": root.text("cac:PaymentMeans/cbc:PaymentID"),
        "payee_account": root.text("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
    }


class _Totals(TypedDict):
    line_total: Decimal | None
    allowance_total: Decimal | None
    charge_total: Decimal | None
    tax_exclusive_total: Decimal | None
    tax_inclusive_total: Decimal | None
    prepaid_total: Decimal | None
    rounding_amount: Decimal | None


def _totals(root: Node) -> _Totals:
    """BG-22 document totals from ``cac:LegalMonetaryTotal`` (BT-115 is read as mandatory elsewhere)."""
    total = "cac:LegalMonetaryTotal/cbc:"
    return {
        "line_total": root.decimal(total + "LineExtensionAmount"),
        "allowance_total": root.decimal(total + "AllowanceTotalAmount"),
        "charge_total": root.decimal(total + "ChargeTotalAmount"),
        "tax_exclusive_total": root.decimal(total + "TaxExclusiveAmount"),
        "tax_inclusive_total": root.decimal(total + "TaxInclusiveAmount"),
        "prepaid_total": root.decimal(total + "PrepaidAmount"),
        "rounding_amount": root.decimal(total + "PayableRoundingAmount"),
    }


def _typed_reference(root: Node, type_code: str) -> str | None:
    """The ID of the first AdditionalDocumentReference with this DocumentTypeCode."""
    for ref in root.children("cac:AdditionalDocumentReference"):
        if ref.text("cbc:DocumentTypeCode") == type_code:
            return ref.text("cbc:ID")
    return None


def _supporting_documents(root: Node) -> list[Node]:
    """AdditionalDocumentReferences that are documents, not coded references (BT-18, BT-11)."""
    return [
        ref
        for ref in root.children("cac:AdditionalDocumentReference")
        if ref.text("cbc:DocumentTypeCode") not in (_INVOICED_OBJECT, _PROJECT)
    ]


def _attachments(root: Node) -> tuple[Attachment, ...]:
    return tuple(attachment(ref) for ref in _supporting_documents(root))


def _extra(root: Node, currency: str) -> dict[str, str]:
    """Facts without a canonical field: profile, customization, tax currency (BT-6/BT-111), BT-18."""
    facts = {
        "customization_id": root.text("cbc:CustomizationID"),
        "profile_id": root.text("cbc:ProfileID"),
        "tax_currency_code": root.text("cbc:TaxCurrencyCode"),
        "invoiced_object_id": _typed_reference(root, _INVOICED_OBJECT),
    }
    tax_currency = facts["tax_currency_code"]
    if tax_currency and tax_currency != currency:
        for total in root.children("cac:TaxTotal"):
            if total.attr("cbc:TaxAmount", "currencyID") == tax_currency:
                facts["tax_total_in_tax_currency"] = total.text("cbc:TaxAmount")
    return {key: value for key, value in facts.items() if value is not None}


def embedded_attachments(root: etree._Element) -> list[EmbeddedContent]:
    """Decoded embedded attachments of a parsed document; ``sha256`` matches ``Attachment.sha256``."""
    return embedded_contents(_supporting_documents(Node.root(root)))


def embedded_attachments_from_bytes(data: bytes, context: TranslationContext) -> list[EmbeddedContent]:
    """The same, straight from the document bytes (parsed with the same safety rules)."""
    return embedded_attachments(parse_xml(data, max_bytes=context.max_xml_bytes))
