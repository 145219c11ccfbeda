"""Svefaktura 1.0 (SFTI BasicInvoice 1.0, UBL 1.0-based) invoice and credit note → canonical ``SupplierInvoice``.

Owns the Svefaktura translator, the mapping of the document-level business terms (following SFTI's "Mapping
of Svefaktura 1.0 onto EN 16931-1" v1.4) and the arithmetic checks with Svefaktura's own tolerance. The
document package (bare ``Invoice``, or an SBDH with the ``Invoice`` and its ``ObjectEnvelope`` attachments) is
read by :mod:`hub.formats.svefaktura_package`, the aggregates are mapped by :mod:`hub.formats.svefaktura_parts`.
Bytes are parsed by lxml, so the XML declaration's encoding (ISO-8859-1 or UTF-8) is honoured.

Svefaktura has no payable amount: ``TaxInclusiveTotalAmount`` is the amount to pay and already includes
``RoundOffAmount`` (SFTI rule R-71), so it becomes ``payable_amount`` and the total with VAT (BT-112) is it
minus the rounding. A credit note is ``InvoiceTypeCode`` 381 with positive amounts, kept as written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import BinaryIO, ClassVar, TypedDict

from hub.canonical.invoice import AllowanceCharge, InvoiceKind, PrecedingInvoice, SupplierInvoice, ValidationIssue
from hub.errors import InvalidValueError, MissingFieldError, RuleFailedError
from hub.formats.arithmetic import check_totals, expected_line_amount
from hub.formats.base import Sniffed, TranslationContext, TranslatorId
from hub.formats.svefaktura_package import (
    ENVELOPE_ROOT,
    INVOICE_ROOT,
    EncodedObject,
    Package,
    attachments,
    encoded_objects,
    read_package,
)
from hub.formats.svefaktura_parts import (
    SfNode,
    allowance_charge,
    invoice_line,
    party,
    tax_scheme_value,
    typed_references,
    vat_breakdown,
)

_KINDS: dict[str, InvoiceKind] = {"380": "INVOICE", "381": "CREDIT_NOTE"}  # the only codes SFTI allows
_CLEARING = {"BGABSESS": "SE:BANKGIRO", "PGSISESS": "SE:PLUSGIRO"}  # BIC of the giro systems → EN clearing code
ZERO = Decimal(0)
SFTI_TOLERANCE = Decimal("0.50")  # what SFTI's own rules allow on totals, VAT sums and line amounts
_SFTI_RULE = {"BR-CO-10": "R-69", "BR-CO-13": "R-70", "BR-CO-14": "R-67", "BR-CO-15": "R-71"}
_LINE_RULE = "PEPPOL-EN16931-R120"


class SvefakturaTranslator:
    """Svefaktura 1.0 Invoice (380) and credit note (381), bare or in an SBDH, with ObjectEnvelope attachments."""

    id: ClassVar[TranslatorId] = TranslatorId("svefaktura1-invoice", 1)
    record_type: ClassVar[str] = SupplierInvoice.TYPE
    description: ClassVar[str] = "Svefaktura 1.0 (SFTI BasicInvoice 1.0) invoice and credit note, with attachments"

    def accepts(self, sniffed: Sniffed) -> int:
        # An SBDH whose first payload is the ObjectEnvelope sniffs as one; its Invoice follows as a sibling.
        return 20 if sniffed.syntax == "xml" and sniffed.root in (INVOICE_ROOT, ENVELOPE_ROOT) else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        # One byte over the limit is enough for parse_xml to refuse; never read a huge stream whole.
        package = read_package(stream.read(context.max_xml_bytes + 1), context)
        objects = encoded_objects(package.envelopes)
        invoice = supplier_invoice(package.invoice, objects)
        warnings = (*document_warnings(package, invoice), *arithmetic_warnings(invoice))
        yield from (obj.embedded() for obj in objects)
        yield dataclasses.replace(invoice, warnings=warnings) if warnings else invoice


def supplier_invoice(root: SfNode, objects: Sequence[EncodedObject] = ()) -> SupplierInvoice:
    """Map a Svefaktura ``Invoice`` (and the objects of its envelopes) to the canonical record."""
    invoice_number = root.require_text("ID", "invoice number (BT-1)")
    type_code = root.require_text("InvoiceTypeCode", "invoice type code (BT-3)")
    if type_code not in _KINDS:
        raise InvalidValueError(
            f"invoice type code {type_code!r} is neither 380 (invoice) nor 381 (credit note)",
            location=root.at("InvoiceTypeCode"),
        )
    currency = _currency(root)
    tax_total = _document_tax_total(root, currency)
    allowances_charges = tuple(allowance_charge(ac) for ac in root.children("AllowanceCharge"))
    return SupplierInvoice(
        invoice_number=invoice_number,
        kind=_KINDS[type_code],
        type_code=type_code,
        issue_date=root.require_date("cbc:IssueDate", "invoice issue date (BT-2)"),
        currency=currency,
        seller=party(root.child("cac:SellerParty")),
        buyer=party(root.child("cac:BuyerParty")),
        notes=tuple(root.texts("cbc:Note")),
        preceding_invoices=tuple(PrecedingInvoice(n) for n in root.texts("InitialInvoiceDocumentReference/cac:ID")),
        lines=tuple(invoice_line(line) for line in root.children("cac:InvoiceLine")),
        allowances_charges=allowances_charges,
        vat_breakdown=vat_breakdown(tax_total),
        tax_total=None if tax_total is None else tax_total.decimal("cbc:TotalTaxAmount"),
        attachments=attachments(root, objects),
        extra=_extra(root),
        **_dates(root),
        **_references(root),
        **_payment(root),
        **_totals(root, allowances_charges),
    )


def _currency(root: SfNode) -> str:
    """BT-5: ``InvoiceCurrencyCode``, else (as SFTI's guide advises) the currency of the amount to pay."""
    total = "cac:LegalTotal/cbc:TaxInclusiveTotalAmount"
    currency = root.text("InvoiceCurrencyCode") or root.attr(total, "amountCurrencyID")
    if currency is None:
        raise MissingFieldError("invoice currency (BT-5) is missing (InvoiceCurrencyCode)", location=root.at(total))
    return currency


def _document_tax_total(root: SfNode, currency: str) -> SfNode | None:
    """The ``cac:TaxTotal`` in the invoice currency (SFTI allows one; R-17)."""
    totals = root.children("cac:TaxTotal")
    for total in totals:
        if total.attr("cbc:TotalTaxAmount", "amountCurrencyID") in (currency, None):
            return total
    return totals[0] if totals else None


class _Dates(TypedDict):
    due_date: date | None
    tax_point_date: date | None
    delivery_date: date | None
    invoice_period_start: date | None
    invoice_period_end: date | None


def _dates(root: SfNode) -> _Dates:
    return {
        "due_date": root.date("cac:PaymentMeans/cbc:DuePaymentDate"),
        "tax_point_date": root.date("TaxPointDate"),
        "delivery_date": root.date("cac:Delivery/cbc:ActualDeliveryDateTime"),
        "invoice_period_start": root.date("InvoicingPeriod/cbc:StartDateTime"),
        "invoice_period_end": root.date("InvoicingPeriod/cbc:EndDateTime"),
    }


class _References(TypedDict):
    buyer_reference: str | None
    order_reference: str | None
    contract_reference: str | None
    despatch_reference: str | None
    delivery_location_id: str | None


def _references(root: SfNode) -> _References:
    """BT-10 from the first requisitionist's reference, BT-13 from the lines, BT-12/16 from coded references."""
    orders = set(root.texts("cac:InvoiceLine/cac:OrderLineReference/cac:OrderReference/cac:BuyersID"))
    return {
        "buyer_reference": root.text("RequisitionistDocumentReference/cac:ID"),
        "order_reference": orders.pop() if len(orders) == 1 else None,  # one order per invoice, as SFTI asks
        "contract_reference": next(iter(typed_references(root, "CT")), None),
        "despatch_reference": next(iter(typed_references(root, "DQ")), None),
        "delivery_location_id": root.text("cac:Delivery/cac:DeliveryAddress/cac:ID"),
    }


class _Payment(TypedDict):
    payment_terms: str | None
    payment_id: str | None
    payee_account: str | None
    payment_means_code: str | None


def _payment(root: SfNode) -> _Payment:
    """BG-16 from the first ``cac:PaymentMeans`` that names an account (Svefaktura allows three)."""
    means = _payment_means(root)
    instruction = "cac:PayeeFinancialAccount/cac:PaymentInstructionID"
    return {
        "payment_terms": root.text("cac:PaymentTerms/cbc:Note"),
        "payment_id": (means.text(instruction) if means else None) or root.text(f"cac:PaymentMeans/{instruction}"),
        "payee_account": means.text("cac:PayeeFinancialAccount/cac:ID") if means else None,
        "payment_means_code": means.text("cac:PaymentMeansTypeCode") if means else None,
    }


def _payment_means(root: SfNode) -> SfNode | None:
    means = root.children("cac:PaymentMeans")
    with_account = [m for m in means if m.text("cac:PayeeFinancialAccount/cac:ID")]
    if with_account:
        return with_account[0]
    return means[0] if means else None


class _Totals(TypedDict):
    payable_amount: Decimal
    line_total: Decimal
    tax_exclusive_total: Decimal | None
    tax_inclusive_total: Decimal
    rounding_amount: Decimal | None
    allowance_total: Decimal | None
    charge_total: Decimal | None


def _totals(root: SfNode, allowances_charges: Sequence[AllowanceCharge]) -> _Totals:
    """BG-22 from ``cac:LegalTotal``; the document-level allowance and charge sums are computed."""
    total = "cac:LegalTotal/"
    to_pay = root.require_decimal(total + "cbc:TaxInclusiveTotalAmount", "amount to pay (BT-115)")
    rounding = root.decimal(total + "cac:RoundOffAmount")
    allowances = [ac.amount for ac in allowances_charges if not ac.is_charge]
    charges = [ac.amount for ac in allowances_charges if ac.is_charge]
    return {
        "payable_amount": to_pay,
        "line_total": root.require_decimal(total + "cbc:LineExtensionTotalAmount", "sum of line amounts (BT-106)"),
        "tax_exclusive_total": root.decimal(total + "cbc:TaxExclusiveTotalAmount"),
        "tax_inclusive_total": to_pay if rounding is None else to_pay - rounding,
        "rounding_amount": rounding,
        "allowance_total": sum(allowances, ZERO) if allowances else None,
        "charge_total": sum(charges, ZERO) if charges else None,
    }


def _extra(root: SfNode) -> dict[str, str]:
    """Facts without a canonical field, under stable keys; ``format`` is always there."""
    despatch = typed_references(root, "DQ")
    seller = root.child("cac:SellerParty/cac:Party")
    facts = {
        "format": "svefaktura1",
        "invoiced_object_id": next(iter(typed_references(root, "ACD")), None),
        "despatch_references": ", ".join(despatch) if len(despatch) > 1 else None,
        "seller_tax_registration": None if seller is None else tax_scheme_value(seller, "SWT", "cbc:ExemptionReason"),
        "buyer_contact": root.text("cac:BuyerParty/cac:Party/cac:Contact/cbc:Name"),
        # SFTI's guide suggests BT-19 for the second requisitionist's reference, but senders put a name there.
        "buyer_reference_2": next(iter(root.texts("RequisitionistDocumentReference/cac:ID")[1:]), None),
        "tax_currency_code": root.text("TaxCurrencyCode"),
        "delivery_terms": root.text("cac:DeliveryTerms/cbc:SpecialTerms"),
        "penalty_interest_percent": root.text("cac:PaymentTerms/cbc:PenaltySurchargePercent"),
        **_payee_facts(root),
    }
    return {key: value for key, value in facts.items() if value is not None}


def _payee_facts(root: SfNode) -> dict[str, str | None]:
    """The chosen account's institution as EN writes it (SE:BANKGIRO, SE:PLUSGIRO, else the BIC), and all accounts."""
    accounts = [
        (m.text("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cac:FinancialInstitution/cac:ID"), account)
        for m in root.children("cac:PaymentMeans")
        if (account := m.text("cac:PayeeFinancialAccount/cac:ID")) is not None
    ]
    institution = accounts[0][0] if accounts else None
    return {
        "payee_financial_institution": _CLEARING.get(institution or "", institution),
        "payee_accounts": "; ".join(f"{_CLEARING.get(i or '', i)}:{a}" for i, a in accounts)
        if len(accounts) > 1
        else None,
    }


def document_warnings(package: Package, invoice: SupplierInvoice) -> list[ValidationIssue]:
    """Non-fatal findings: SFTI R-27 (line count), R-105 (negative total), an envelope for another document."""
    root, found = package.invoice, []
    count = root.text("LineItemCountNumeric")
    if count is not None and count != str(len(invoice.lines)):
        found.append(_warning("SFTI-R-27", f"LineItemCountNumeric {count} ≠ {len(invoice.lines)} invoice lines", root))
    if invoice.payable_amount < 0:
        found.append(
            _warning(
                "SFTI-R-105", f"total with VAT {invoice.payable_amount} is negative; amounts kept as written", root
            )
        )
    for envelope in package.envelopes:
        reference = envelope.text("DocumentReference/DocumentID")
        if reference is not None and reference != invoice.invoice_number:
            message = f"ObjectEnvelope refers to document {reference}, not to invoice {invoice.invoice_number}"
            found.append(_warning("HUB-SVEFAKTURA-ENVELOPE", message, envelope))
    return found


def _warning(rule: str, message: str, node: SfNode) -> ValidationIssue:
    return ValidationIssue(rule=rule, severity="warning", message=message, location=node.path)


def arithmetic_warnings(invoice: SupplierInvoice) -> tuple[ValidationIssue, ...]:
    """Run :func:`check_totals`; findings within SFTI's ±0.50 become warnings, the rest raise RULE_FAILED.

    SFTI's rules for Svefaktura (R-67, R-69..R-71, R-11..R-20) allow 0.50 on totals, VAT sums and line
    amounts, and real invoices use it; a rounded total (``RoundOffAmount``) must be exact (R-92).
    """
    fatal: list[ValidationIssue] = []
    tolerated: list[ValidationIssue] = []
    for issue in check_totals(invoice):
        deviation = _DEVIATIONS.get(issue.rule, _unknown)(invoice, issue)
        if deviation is None or abs(deviation) > SFTI_TOLERANCE:
            fatal.append(issue)
            continue
        rule = _SFTI_RULE.get(issue.rule, "R-11..R-20")
        note = f"; accepted: within Svefaktura's ±{SFTI_TOLERANCE} (SFTI {rule})"
        tolerated.append(dataclasses.replace(issue, severity="warning", message=issue.message + note))
    if fatal:
        raise RuleFailedError(fatal)
    return tuple(tolerated)


def _unknown(_invoice: SupplierInvoice, _issue: ValidationIssue) -> Decimal | None:
    return None


def _line_sum_deviation(inv: SupplierInvoice, _issue: ValidationIssue) -> Decimal | None:
    if inv.line_total is None:
        return None
    return sum((line.line_amount for line in inv.lines), ZERO) - inv.line_total


def _exclusive_deviation(inv: SupplierInvoice, _issue: ValidationIssue) -> Decimal | None:
    if inv.tax_exclusive_total is None:
        return None
    base = inv.line_total if inv.line_total is not None else sum((line.line_amount for line in inv.lines), ZERO)
    return inv.tax_exclusive_total - (base - (inv.allowance_total or ZERO) + (inv.charge_total or ZERO))


def _vat_sum_deviation(inv: SupplierInvoice, _issue: ValidationIssue) -> Decimal | None:
    if inv.tax_total is None:
        return None
    return sum((vat.tax_amount for vat in inv.vat_breakdown), ZERO) - inv.tax_total


def _inclusive_deviation(inv: SupplierInvoice, _issue: ValidationIssue) -> Decimal | None:
    if inv.rounding_amount or inv.tax_exclusive_total is None or inv.tax_inclusive_total is None:
        return None  # with a round-off amount the total must be exact
    return inv.tax_inclusive_total - inv.tax_exclusive_total - (inv.tax_total or ZERO)


def _line_deviation(inv: SupplierInvoice, issue: ValidationIssue) -> Decimal | None:
    for line in inv.lines:
        if issue.location == f"line {line.line_id}":
            expected = expected_line_amount(line)
            return None if expected is None else line.line_amount - expected
    return None


_DEVIATIONS: dict[str, Callable[[SupplierInvoice, ValidationIssue], Decimal | None]] = {
    "BR-CO-10": _line_sum_deviation,
    "BR-CO-13": _exclusive_deviation,
    "BR-CO-14": _vat_sum_deviation,
    "BR-CO-15": _inclusive_deviation,
    _LINE_RULE: _line_deviation,
}
