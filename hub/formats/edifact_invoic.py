"""EDIFACT INVOIC → canonical ``SupplierInvoice``: EANCOM (GS1 Sweden ESAP 20) and the EN 16931 syntax binding.

Owns the business reading of INVOIC messages of directories D93A … D16B (the segments used here are the
same in all of them, DESIGN §9.8). One record per message, in order; a message that fails (syntax, a
missing value, the arithmetic of DESIGN §9.7, not an INVOIC) becomes a :class:`FailedRecord` and the
others go on. Envelope errors come from :mod:`hub.formats.edifact` and fail the whole interchange.
Values the message does not carry stay None; the few derived values (a percentage allowance without an
amount, a VAT base per rate, sums of document allowances) follow the EN 16931 definitions and say so.

This module owns the message flow, the header (before the first LIN) and the assembly of the record; the
LIN groups, ALC groups and the shared segment :class:`Reader` live in :mod:`hub.formats.edifact_invoic_lines`,
the summary totals and VAT breakdown in :mod:`hub.formats.edifact_invoic_totals`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO, ClassVar, TypeVar

from hub.canonical.invoice import (
    AllowanceCharge,
    InvoiceLine,
    Party,
    PrecedingInvoice,
    SupplierInvoice,
)
from hub.errors import (
    DocumentError,
    InvalidValueError,
    MissingFieldError,
    ParseError,
    RuleFailedError,
    UnknownFormatError,
)
from hub.formats.arithmetic import check_totals
from hub.formats.base import FailedRecord, Sniffed, TranslationContext, TranslatorId
from hub.formats.edifact import Interchange, Message, Segment, parse_interchange, split_groups
from hub.formats.edifact_invoic_lines import Reader, allowance, line
from hub.formats.edifact_invoic_totals import summary, totals, vat_breakdown
from hub.formats.invoice_common import DocumentReferences
from hub.formats.peppol_bis3 import CREDIT_NOTE_TYPE_CODES

_HEADER_GROUPS = frozenset(
    ["RFF", "NAD", "TAX", "CUX", "PAT", "PYT", "TDT", "TOD", "PAC", "ALC", "RCS", "AJT", "INP", "EFI"]
)
# RFF qualifier → SupplierInvoice field (document level, before any NAD).
_DOC_REFS = {"ON": "order_reference", "DQ": "despatch_reference", "AAK": "despatch_reference"}
_DOC_REFS |= {"VN": "sales_order_reference", "CR": "buyer_reference", "AEP": "project_reference"}
_DOC_REFS |= {"CT": "contract_reference", "PQ": "payment_id", "AOU": "accounting_cost"}
_DIRECTORIES = ((1993, "A"), (2016, "B"))


class EdifactInvoicTranslator:
    """EDIFACT INVOIC interchanges (EANCOM, ESAP 20, EN 16931 binding), one record per message."""

    id: ClassVar[TranslatorId] = TranslatorId("edifact-invoic", 1)
    record_type: ClassVar[str] = SupplierInvoice.TYPE
    description: ClassVar[str] = "EDIFACT INVOIC D93A…D16B (EANCOM / GS1 Sweden ESAP 20, EN 16931 binding)"

    def accepts(self, sniffed: Sniffed) -> int:
        return 20 if sniffed.syntax == "edifact" and _names_invoic(sniffed.head) else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        # Read whole (bounded): the envelope (UNZ) must be verified before the first record is yielded,
        # as an envelope error dead-letters the interchange. Invoice interchanges are small.
        data = stream.read(context.max_xml_bytes + 1)
        if len(data) > context.max_xml_bytes:
            raise ParseError(f"interchange larger than {context.max_xml_bytes} bytes", location="byte 0")
        interchange = parse_interchange(data)
        for message in interchange.messages:
            yield translate_message(interchange, message)


def _names_invoic(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("latin-1")
    plus, colon = (re.escape(text[4]), re.escape(text[3])) if text.startswith("UNA") and len(text) > 8 else ("\\+", ":")
    return re.search(f"UNH{plus}[^{plus}]*{plus}INVOIC{colon}", text) is not None


def translate_message(interchange: Interchange, message: Message) -> SupplierInvoice | FailedRecord:
    """One INVOIC message → record, or a FailedRecord naming the message."""
    reference = f"message {message.index} (UNH {message.ref})"
    try:
        invoice = _Reader(interchange, message).invoice()
        fatal = [f for f in check_totals(invoice) if f.severity == "fatal"]
    except DocumentError as exc:
        return FailedRecord(exc, reference)
    except ArithmeticError as exc:  # an amount Decimal arithmetic cannot hold exactly
        return FailedRecord(InvalidValueError(f"amount out of range: {exc}", location=message.location()), reference)
    return FailedRecord(RuleFailedError(fatal), reference) if fatal else invoice


def _directory(version: str) -> tuple[int, str] | None:
    match = re.fullmatch(r"D(\d\d)([A-Z])", version)
    year = int(match.group(1)) if match else 0
    return (year + (1900 if year >= 90 else 2000), match.group(2)) if match else None


@dataclass
class _Header:
    """What the segments before the first LIN say."""

    bgm: Segment | None = None
    dates: dict[str, date] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    preceding: list[PrecedingInvoice] = field(default_factory=list)
    parties: dict[str, Party] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    currency: str | None = None
    means: str | None = None
    account: str | None = None
    allowances: list[AllowanceCharge] = field(default_factory=list)


class _Reader(Reader):
    """Reads one message into an invoice; every value error names the message and segment."""

    def invoice(self) -> SupplierInvoice:
        self._check_message()
        body = self.message.segments
        first_line = next((i for i, s in enumerate(body) if s.tag in ("LIN", "UNS")), len(body))
        uns = next((i for i, s in enumerate(body) if s.tag == "UNS"), len(body))
        header = _read_header(self, body[:first_line])
        runs = [run for run in split_groups(body[first_line:uns], frozenset({"LIN"})) if run]
        lines = tuple(line(self, n, run) for n, run in enumerate(runs, start=1))
        amounts, taxes = summary(self, body[uns + 1 :], len(lines))
        return _positive_credit(_assemble(self, header, lines, amounts, taxes))

    def _check_message(self) -> None:
        message = self.message
        if message.error is not None:
            raise message.error
        if message.type != "INVOIC":
            raise UnknownFormatError(f"{message.type} message is not an invoice", location=message.location())
        directory = _directory(message.version)
        if directory is None or not _DIRECTORIES[0] <= directory <= _DIRECTORIES[1]:
            text = f"INVOIC {message.version} is not supported (D93A…D16B)"
            raise UnknownFormatError(text, location=message.location())


# --- header ----------------------------------------------------------------------------------------


def _read_header(r: _Reader, segments: Sequence[Segment]) -> _Header:
    header = _Header()
    owner: str | None = ""  # whose RFFs follow: "" the document, a NAD qualifier, None a group we skip
    for run in _with_alc_taxes(split_groups(segments, _HEADER_GROUPS)):
        head = run[0].tag if run and run[0].tag in _HEADER_GROUPS else ""
        if head == "NAD":
            owner = run[0].qualifier or "?"
            header.parties.setdefault(owner, _party(run[0]))
        elif head == "RFF":
            _reference(r, header, run, owner)
        elif head:
            owner = None
        if head == "ALC":
            header.allowances.extend(allowance(r, run, None))
        for segment in run:
            _header_segment(r, header, segment, head)
    return header


def _with_alc_taxes(runs: list[list[Segment]]) -> list[list[Segment]]:
    """A TAX group right after an ALC group is that allowance's VAT, not a document TAX group."""
    merged: list[list[Segment]] = []
    for run in runs:
        if merged and run and run[0].tag == "TAX" and merged[-1] and merged[-1][0].tag == "ALC":
            merged[-1] = merged[-1] + run
        else:
            merged.append(run)
    return merged


def _header_segment(r: _Reader, h: _Header, seg: Segment, head: str) -> None:
    tag, qualifier = seg.tag, seg.qualifier
    if tag == "BGM" and h.bgm is None:
        h.bgm = seg
    elif tag == "DTM" and qualifier and (head == "" or (head in ("PAT", "PYT") and qualifier in ("13", "140"))):
        found = r.date(seg)
        if found is not None:
            h.dates.setdefault("13" if head else qualifier, found)
    elif tag == "FTX" and qualifier != "DOC" and head not in ("ALC", "AJT", "INP") and seg.texts(3):
        (h.terms if qualifier == "AAB" else h.notes).append(" ".join(seg.texts(3)))  # AAB: terms of payment
    elif tag == "PAT" and seg.texts(1, 3, 4):
        h.terms.append(" ".join(seg.texts(1, 3, 4)))
    elif tag == "PAI":
        h.means = h.means or seg.get(0, 2)
    elif tag == "FII" and qualifier in ("RB", "BF"):
        h.account = h.account or seg.get(1, 0)
    elif tag == "CUX" and seg.get(0, 0) == "2":
        h.currency = h.currency or seg.get(0, 1)


def _reference(r: _Reader, h: _Header, run: list[Segment], owner: str | None) -> None:
    kind, value = run[0].qualifier, run[0].get(0, 1)
    if value is None or owner is None:
        return
    if owner == "" and kind in ("IV", "OI"):  # the invoice a credit note corrects, DTM+171 its date
        dated = next((s for s in run if s.tag == "DTM" and s.qualifier == "171"), None)
        h.preceding.append(PrecedingInvoice(value, r.date(dated) if dated else None))
    elif (owner == "" and kind in _DOC_REFS) or (owner == "BY" and kind in ("AOU", "CR")):
        h.refs.setdefault(_DOC_REFS[kind], value)  # the EN 16931 binding puts BT-19/BT-10 under NAD+BY
    elif owner and kind == "VA" and h.parties[owner].vat_number is None:
        h.parties[owner] = dataclasses.replace(h.parties[owner], vat_number=value)
    elif owner and kind in ("XA", "GN") and h.parties[owner].org_number is None:  # company reg. / government no.
        h.parties[owner] = dataclasses.replace(h.parties[owner], org_number=value)


def _party(nad: Segment) -> Party:
    """NAD: party id (GLN when agency 9 = GS1 or scheme 0088), name, street, city, postcode, country."""
    party_id = nad.get(1, 0)
    is_gln = party_id is not None and (nad.get(1, 2) == "9" or nad.get(1, 1) == "0088")
    return Party(
        name=" ".join(nad.texts(3, 0, 4)) or None,
        gln=party_id if is_gln else None,
        party_ids=(party_id,) if party_id and not is_gln else (),
        street=nad.get(4, 0),
        city=nad.get(5, 0),
        postal_zone=nad.get(7, 0),
        country_code=nad.get(8, 0),
    )


# --- assembly ---------------------------------------------------------------------------------------


def _assemble(
    r: _Reader, h: _Header, lines: tuple[InvoiceLine, ...], amounts: dict[str, Decimal], taxes: list[list[Segment]]
) -> SupplierInvoice:
    bgm, issued = h.bgm, h.dates.get("137")
    number, type_code = (bgm.get(1), bgm.get(0)) if bgm else (None, None)
    due, document_totals = totals(amounts, h.allowances)
    if number is None or type_code is None or issued is None or h.currency is None or due is None:
        named: list[tuple[object, str]] = [(number, "number (BGM)"), (type_code, "type (BGM 1001)")]
        named += [(issued, "date (DTM+137)"), (h.currency, "currency (CUX+2)"), (due, "amount due (MOA+9/77/86)")]
        missing = ", ".join(what for found, what in named if found is None)
        raise MissingFieldError(f"no document {missing}", location=r.message.location(bgm))
    return SupplierInvoice(
        invoice_number=number,
        kind="CREDIT_NOTE" if type_code in CREDIT_NOTE_TYPE_CODES else "INVOICE",
        type_code=type_code,
        issue_date=issued,
        currency=h.currency,
        seller=h.parties.get("SU") or h.parties.get("SE") or Party(),
        buyer=h.parties.get("BY") or Party(),
        payable_amount=due,
        notes=tuple(h.notes),
        preceding_invoices=tuple(h.preceding),
        lines=lines,
        allowances_charges=tuple(h.allowances),
        vat_breakdown=vat_breakdown(r, taxes, lines, h.allowances),
        extra=_extra(r.interchange, r.message, bgm),
        warnings=tuple(r.warnings),
        **_header_facts(h),
        **document_totals,
    )


class _HeaderFacts(DocumentReferences):
    due_date: date | None
    tax_point_date: date | None
    delivery_date: date | None
    invoice_period_start: date | None
    invoice_period_end: date | None
    payment_id: str | None
    payment_terms: str | None
    payee_account: str | None
    payment_means_code: str | None
    delivery_location_id: str | None
    delivery_party_name: str | None


def _header_facts(h: _Header) -> _HeaderFacts:
    dates, refs, delivery = h.dates, h.refs, h.parties.get("DP") or h.parties.get("ST")
    return {
        "due_date": dates.get("13") or dates.get("140"),  # also DTM+13/+140 in the payment terms group
        "tax_point_date": dates.get("131"),
        "delivery_date": dates.get("35") or dates.get("11"),  # actual delivery, else despatch
        "invoice_period_start": dates.get("167"),
        "invoice_period_end": dates.get("168"),
        "buyer_reference": refs.get("buyer_reference"),
        "order_reference": refs.get("order_reference"),
        "sales_order_reference": refs.get("sales_order_reference"),
        "project_reference": refs.get("project_reference"),
        "contract_reference": refs.get("contract_reference"),
        "despatch_reference": refs.get("despatch_reference"),
        "accounting_cost": refs.get("accounting_cost"),
        "payment_id": refs.get("payment_id"),
        "payment_terms": "\n".join(h.terms) or None,
        "payee_account": h.account,
        "payment_means_code": h.means,
        "delivery_location_id": (delivery.gln or next(iter(delivery.party_ids), None)) if delivery else None,
        "delivery_party_name": delivery.name if delivery else None,
    }


def _extra(interchange: Interchange, message: Message, bgm: Segment | None) -> dict[str, str]:
    optional = {
        "association": message.association,  # EANCOM subset, e.g. EAN008
        "message_function": bgm.get(2) if bgm else None,  # BGM 1225: 9 original, 31 copy, …
        "test_interchange": "1" if interchange.test else None,
    }
    return {
        "format": "edifact",
        "charset": interchange.charset,
        "syntax_version": interchange.syntax_version,
        "message_version": message.version,
        "message_ref": message.ref,
        "sender": interchange.sender,
        "recipient": interchange.recipient,
        "interchange_ref": interchange.control_ref,
        **{k: v for k, v in optional.items() if v},
    }


def _positive_credit(invoice: SupplierInvoice) -> SupplierInvoice:
    """A credit note written with negative amounts is stored with positive ones (DESIGN §9.6).

    Some senders sign a 381 negative; canonical credit notes are positive with kind CREDIT_NOTE, so every
    amount and quantity changes sign (prices, percentages and rates stay). Invoices keep their signs.
    """
    return _negated(invoice) if invoice.kind == "CREDIT_NOTE" and invoice.payable_amount < 0 else invoice


_UNSIGNED = frozenset(
    {"unit_price", "gross_price", "price_discount", "price_base_quantity", "percent", "vat_rate", "rate"}
)
_T = TypeVar("_T")


def _negated(record: _T) -> _T:
    """The record with every signed Decimal field negated, nested lines/allowances/VAT included."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        if isinstance(value, Decimal) and f.name not in _UNSIGNED:
            changes[f.name] = -value
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            changes[f.name] = tuple(_negated(item) for item in value)
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]
