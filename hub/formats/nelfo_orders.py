"""EFONELFO 4.0 ordrebekreftelse (CH/CL/CT) and pakkseddel (DH/DL/DT) → ``OrderConfirmation``.

Owns the meaning of order-confirmation and delivery-note records (FORMATS §5.2, §5.4); the text layer (charset,
record splitting with line numbers, records joined on one line by a space, implied decimals, dates) is
:mod:`hub.formats.nelfo`. CH and DH share one field list, CL and DL another.

**Documents.** Every CH/DH header starts a document; one ``OrderConfirmation`` is yielded per header, in order
(CH ``ORDER_RESPONSE``, DH ``DELIVERY_NOTE``). A document is one business document: a line that cannot be read
(a non-numeric quantity, a bad date, a missing ``LinjeNrBekr``/``VareNr``, a repeated ``LinjeNrBekr``, a record
type that does not belong to its header) fails the *whole* document — a partial confirmation would create wrong
billable rows. The failure is yielded as a :class:`FailedRecord` holding an :class:`InvalidValueError` or
:class:`MissingFieldError` located ``line N, field F (Name)``; the file's other documents go on (like one failed
message of an EDIFACT interchange). A file whose first record is not a CH/DH 4.0 header is refused whole
(``EFONELFO 3.0 is not supported``).

**Numbers** (2 implied decimals each, checked on the real Solar file ``C450517.032.csv``: ``Ant 5000`` = 50.00 m,
``EnhetsPris 25000`` = 250.00, ``Rab1P 2000`` = 20.00 %, ``Beløp 1000000`` = 10 000.00 = 50 × 250 × 0.8): Ant, Lev,
Rest, KAnt, EnhetsPris, Rab1P/Rab1Bel, Rab2P/Rab2Bel, TilleggP/TilleggBel, AvgiftP/AvgiftBel, Beløp. A written
decimal separator follows the ``nelfo_decimals`` import option, as in the price files. Values are as written
(``0`` stays 0); empty is None. Beløp is kept as sent, never recomputed (Solar computes it on the *ordered*
quantity). A discount percentage outside 0–100 fails the line.

**Header** (1-based CH/DH fields): ``document_number`` BekreftelseNr (7, required), ``issue_date`` ProdDato (6,
required), ``customer_number`` KundeNr (10, also the buyer's ``party_ids``, which tenant routing reads),
``delivery_date`` LevDato (24). Seller: SelgersId (4) + S block; buyer: KjøpersId (5) + K block (33–38). An id
``NO<9 digits>MVA`` (or 9 digits) gives ``org_number`` (scheme 0192) and, with MVA, ``vat_number`` as written;
another id goes to ``party_ids``. The spec has 52 fields (S block 46–51, Valuta 52), but the real Solar header
has 51 with SFirmaNavn at 45 and Valuta last: for a 51-field header the S block and Valuta are read one place
earlier. The invoice address (F block) is not read (no canonical field; its position is the uncertain one).
References (non-empty only, in this order): BestNr ``ORDER``, SOrdNr ``SALES_ORDER``, KOrdNr ``CUSTOMER_ORDER``,
ProsjektNr ``PROJECT``, Merket ``MARKING``, KjøpersRef ``BUYER_REFERENCE``, EksternRef ``EXTERNAL``, Melding
``FREE_TEXT``. Other header fields (agreement, department, warehouse, seller's ref, transport, delivery address,
buyer contact KNavn) go to ``extra`` under their NELFO names in lower case (``ø`` → oe, ``å`` → aa).

**Lines** (CL under CH, DL under DH): ``line_id`` LinjeNrBekr (required, unique), ``order_line_reference``
LinjeNrBe, ``article_number`` VareNr (required) with ``number_type`` from VareMrk (1 NO_EL_NUMBER, 2 GTIN + ``gtin``,
4 NO_NRF, else SUPPLIER), ``description`` VaBetg + " " + VaBetg2, quantities Ant/Lev/Rest, ``unit`` PrisEnhet and
its Rec 20 ``unit_code``, ``unit_price`` EnhetsPris per one PrisEnhet (``price_is_net`` False: Rab1P/Rab2P
apply), ``discount_percent(_2)`` Rab1P/Rab2P, ``discount_amount`` Rab1Bel + Rab2Bel (None when both empty),
``surcharge_amount`` TilleggBel, ``fee_amount`` AvgiftBel, ``line_amount`` Beløp, ``delivery_date`` LevDato,
``line_references`` KjøpersRef as ``BUYER_REFERENCE``. Fields without a canonical place go to the document's
``extra`` as ``line.<LinjeNrBekr>.<name>``: kvarenr, kant, rlevdato (ISO), tilleggp, avgiftp, an unusual varemrk;
the seller's warehouse SLagerMrk/SLager (GLN) as ``slagermrk``/``slager`` when every line naming one names the
same, else per line.

**Texts** (CT/DT ``FriTekst``): every text is a document note (after Melding), in order. A text after a line
belongs to that line (both reference parsers attach CT to the CL before it; the Solar texts read "LEVERES I HEL
LENGDE", "DELLEVERANSE"): it is added to that line's ``line_references`` as ``FREE_TEXT``; a text before the
first line is a document ``FREE_TEXT`` reference.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO, ClassVar

from hub.canonical.invoice import Party
from hub.canonical.orders import OrderConfirmation, OrderDocumentKind, OrderLine, Reference, ReferenceType
from hub.errors import DocumentError, ParseError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext, TranslatorId
from hub.formats.nelfo import (
    NUMBER_TYPES,
    DecimalRule,
    FieldError,
    Fields,
    check_header,
    decimal_rule,
    field_date,
    field_number,
    header_score,
    read_records,
    text_or_none,
)
from hub.pricing.units import unit_code

# CH/DH: 51 (the real Solar header; a 52-field header is still read whole, see the module doc).
LAYOUT = {"CH": 51, "DH": 51, "CL": 28, "DL": 28, "CT": 2, "DT": 2}
_HEADERS = ("CH", "DH")
_KINDS: dict[str, tuple[OrderDocumentKind, str, str]] = {
    "CH": ("ORDER_RESPONSE", "CL", "CT"),
    "DH": ("DELIVERY_NOTE", "DL", "DT"),
}
_REFERENCES: tuple[tuple[int, ReferenceType], ...] = (
    (9, "ORDER"), (8, "SALES_ORDER"), (13, "CUSTOMER_ORDER"), (15, "PROJECT"), (21, "MARKING"),
    (19, "BUYER_REFERENCE"), (18, "EXTERNAL"), (23, "FREE_TEXT"),
)  # fmt: skip
_HEADER_EXTRA = (
    (11, "avtaleidmrk"), (12, "avtaleid"), (14, "kundavd"), (16, "klagermrk"), (17, "klager"), (20, "selgersref"),
    (22, "transportmaate"), (25, "bestopp"), (26, "ladrlok"), (27, "lfirmanavn"), (28, "ladr1"), (29, "ladr2"),
    (30, "lpostnr"), (31, "lpoststed"), (32, "llandk"), (39, "knavn"),
)  # fmt: skip
_BUYER_BLOCK = 33  # KFirmaNavn, KAdr1, KAdr2, KPostNr, KPostSted, KLandK
_SELLER_BLOCK = 46  # SFirmaNavn, SAdr1, SAdr2, SPostNr, SPostSted, SLandK; Valuta follows
_SHORT_HEADER = 51  # fields in the real Solar header: S block and Valuta one place earlier
_NO_ORG = re.compile(r"(?:NO)?(\d{9})(MVA)?")
_ORG_SCHEME = "0192"  # ICD: Norwegian organisation number
_USUAL_MARKS = frozenset({"0", "1", "2", "4"})
_WAREHOUSE = ("slagermrk", "slager")
_HUNDRED = Decimal(100)


class NelfoOrderConfirmationTranslator:
    """EFONELFO 4.0 ordrebekreftelse (CH) and pakkseddel (DH): one ``OrderConfirmation`` per header."""

    id: ClassVar[TranslatorId] = TranslatorId("nelfo4-orders", 1)
    record_type: ClassVar[str] = OrderConfirmation.TYPE
    description: ClassVar[str] = "EFONELFO 4.0 ordrebekreftelse (CH/CL/CT) and pakkseddel (DH/DL/DT)"

    def accepts(self, sniffed: Sniffed) -> int:
        """20 for a CH/DH 4.0 head; 5 for another CH/DH version, so it is refused with a clear message."""
        return header_score(sniffed.head, (b"CH", b"DH")) if sniffed.syntax == "nelfo" else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        rule = decimal_rule(context.options)
        records = read_records(stream, LAYOUT)
        first = next(records, None)
        if first is None:
            raise ParseError("empty file: no CH/DH header", location="line 1")
        check_header(first[0], first[1], _HEADERS)  # a file that is not CH/DH 4.0 is refused whole
        document = _Document(_Record(first[0], first[1], rule), context.partner_id or "")
        for line, fields in records:
            if fields[0] in _HEADERS:
                yield document.result()
                document = _Document(_Record(line, fields, rule), context.partner_id or "")
            else:
                document.add(_Record(line, fields, rule))
        yield document.result()


@dataclass(frozen=True, slots=True)
class _Record:
    """One record's fields with its physical line number, read by 1-based NELFO field number."""

    line: int
    fields: Fields
    rule: DecimalRule

    @property
    def kind(self) -> str:
        return self.fields[0]

    def text(self, index: int) -> str | None:
        return text_or_none(self.fields, index)

    def amount(self, index: int, name: str) -> Decimal | None:
        """A number with 2 implied decimals; empty → None."""
        return field_number(self.fields, index, name, self.line, 2, self.rule)

    def day(self, index: int, name: str) -> date | None:
        return field_date(self.fields, index, name, self.line)

    def required(self, index: int, name: str) -> str:
        value = self.text(index)
        if value is None:
            raise FieldError(self.line, index, name, f"{self.kind} without {name}", missing=True)
        return value

    def percent(self, index: int, name: str) -> Decimal | None:
        value = self.amount(index, name)
        if value is not None and not 0 <= value <= _HUNDRED:
            raise FieldError(self.line, index, name, f"{name} {value} % is outside 0–100 %")
        return value


class _Document:
    """One CH/DH header and the lines and texts after it, until the next header or the end of the file."""

    def __init__(self, header: _Record, partner_id: str) -> None:
        self.header = header
        self.document_number = header.text(7)
        self.lines: list[OrderLine] = []
        self.seen: dict[str, int] = {}  # LinjeNrBekr → the line it was read on
        self.line_extra: dict[str, dict[str, str]] = {}
        self.references: list[Reference] = []
        self.notes: list[str] = []
        self.error: DocumentError | None = None
        try:
            self.kind, self.line_kind, self.text_kind = _KINDS[check_header(header.line, header.fields, _HEADERS)]
            self.confirmation = _confirmation(header, self.kind, partner_id)
        except FieldError as exc:
            self.error = exc.error()
        except DocumentError as exc:  # another version of a later header
            self.error = exc

    def add(self, record: _Record) -> None:
        if self.error is not None:
            return
        try:
            self._add(record)
        except FieldError as exc:
            self.error = exc.error()

    def _add(self, record: _Record) -> None:
        if record.kind == self.line_kind:
            line, extra = _order_line(record)
            if line.line_id in self.seen:
                first = self.seen[line.line_id]
                message = f"LinjeNrBekr {line.line_id} is used twice (lines {first} and {record.line})"
                raise FieldError(record.line, 2, "LinjeNrBekr", message)
            self.seen[line.line_id] = record.line
            self.lines.append(line)
            self.line_extra[line.line_id] = extra
        elif record.kind == self.text_kind:
            self._text(" ".join(part.strip() for part in record.fields[1:]).strip())
        else:
            expected = f"{self.line_kind}/{self.text_kind}"
            message = f"record type {record.kind[:20]!r} does not belong in a {self.header.kind} document ({expected})"
            raise FieldError(record.line, 1, "PostType", message)

    def _text(self, text: str) -> None:
        """A CT/DT text: a note, and a FREE_TEXT reference of the line before it (else of the document)."""
        if not text:
            return
        self.notes.append(text)
        if not self.lines:
            self.references.append(Reference("FREE_TEXT", text))
            return
        last = self.lines[-1]
        note = Reference("FREE_TEXT", text)
        self.lines[-1] = dataclasses.replace(last, line_references=(*last.line_references, note))

    def result(self) -> OrderConfirmation | FailedRecord:
        if self.error is not None:
            number = f" (BekreftelseNr {self.document_number})" if self.document_number else ""
            return FailedRecord(self.error, reference=f"{self.header.kind[:20]} at line {self.header.line}{number}")
        base = self.confirmation
        return dataclasses.replace(
            base, references=(*base.references, *self.references), lines=tuple(self.lines),
            notes=(*base.notes, *self.notes), extra={**base.extra, **_line_extras(self.line_extra)},
        )  # fmt: skip


# --- CH / DH ---------------------------------------------------------------------------------------


def _confirmation(r: _Record, kind: OrderDocumentKind, partner_id: str) -> OrderConfirmation:
    """The document's header facts (lines, texts and line extras are added by :class:`_Document`)."""
    number = r.required(7, "BekreftelseNr")
    issued = r.day(6, "ProdDato")
    if issued is None:
        raise FieldError(r.line, 6, "ProdDato", f"{r.kind} without ProdDato", missing=True)
    seller_at = _SELLER_BLOCK - 1 if len(r.fields) == _SHORT_HEADER else _SELLER_BLOCK
    customer = r.text(10)
    message = r.text(23)
    return OrderConfirmation(
        document_number=number, kind=kind, issue_date=issued, wholesaler_id=partner_id,
        seller=_party(r, r.text(4), seller_at),
        buyer=_party(r, r.text(5), _BUYER_BLOCK, (customer,) if customer else ()),
        customer_number=customer, currency=r.text(seller_at + 6), delivery_date=r.day(24, "LevDato"),
        references=_references(r, _REFERENCES), notes=(message,) if message else (),
        extra={name: value for index, name in _HEADER_EXTRA if (value := r.text(index)) is not None},
    )  # fmt: skip


def _party(r: _Record, identifier: str | None, first: int, numbers: tuple[str, ...] = ()) -> Party:
    """Name, address (Adr1, Adr2 joined by ", "), postal code, city, country from six fields at ``first``."""
    name, street, street_2, postal, city, country = (r.text(i) for i in range(first, first + 6))
    found = _NO_ORG.fullmatch(identifier.replace(" ", "")) if identifier else None
    others = (identifier,) if identifier and not found else ()
    return Party(
        name=name, street=", ".join(s for s in (street, street_2) if s) or None, postal_zone=postal, city=city,
        country_code=country, org_number=found[1] if found else None,
        org_number_scheme=_ORG_SCHEME if found else None, vat_number=identifier if found and found[2] else None,
        party_ids=(*numbers, *others),
    )  # fmt: skip


def _references(r: _Record, fields: Iterable[tuple[int, ReferenceType]]) -> tuple[Reference, ...]:
    return tuple(Reference(kind, value) for index, kind in fields if (value := r.text(index)) is not None)


# --- CL / DL ---------------------------------------------------------------------------------------


def _order_line(r: _Record) -> tuple[OrderLine, dict[str, str]]:
    """One CL/DL line and its values without a canonical field; raises :class:`FieldError`."""
    line_id, article = r.required(2, "LinjeNrBekr"), r.required(5, "VareNr")
    mark, unit = r.text(4) or "", r.text(11)
    price = r.amount(16, "EnhetsPris")
    line = OrderLine(
        line_id=line_id, article_number=article, number_type=NUMBER_TYPES.get(mark, "SUPPLIER"),
        gtin=article if mark == "2" else None, description=" ".join(t for t in (r.text(6), r.text(7)) if t) or None,
        quantity_ordered=r.amount(8, "Ant"), quantity_delivered=r.amount(9, "Lev"),
        quantity_backordered=r.amount(10, "Rest"), unit_code=unit_code(unit), unit=unit, unit_price=price,
        price_is_net=False if price is not None else None, discount_percent=r.percent(17, "Rab1P"),
        discount_percent_2=r.percent(19, "Rab2P"),
        discount_amount=_sum(r.amount(18, "Rab1Bel"), r.amount(20, "Rab2Bel")),
        surcharge_amount=r.amount(22, "TilleggBel"), fee_amount=r.amount(24, "AvgiftBel"),
        line_amount=r.amount(25, "Beløp"), delivery_date=r.day(14, "LevDato"), order_line_reference=r.text(3),
        line_references=_references(r, ((26, "BUYER_REFERENCE"),)),
    )  # fmt: skip
    return line, _line_extra(r, mark)


def _line_extra(r: _Record, mark: str) -> dict[str, str]:
    """KVareNr, KAnt, RLevDato, TilleggP, AvgiftP, SLagerMrk, SLager and an unusual VareMrk, when present."""
    backorder = r.day(15, "RLevDato")
    numbers = {"kant": r.amount(13, "KAnt"), "tilleggp": r.percent(21, "TilleggP"), "avgiftp": r.percent(23, "AvgiftP")}
    found: dict[str, str | None] = {
        "kvarenr": r.text(12), "rlevdato": backorder.isoformat() if backorder else None,
        **{name: None if value is None else str(value) for name, value in numbers.items()},
        "slagermrk": r.text(27), "slager": r.text(28), "varemrk": mark if mark not in _USUAL_MARKS else None,
    }  # fmt: skip
    return {name: value for name, value in found.items() if value}


def _sum(*amounts: Decimal | None) -> Decimal | None:
    present = [a for a in amounts if a is not None]
    return sum(present, Decimal(0)) if present else None


def _line_extras(per_line: dict[str, dict[str, str]]) -> dict[str, str]:
    """``line.<id>.<name>`` entries; the seller's warehouse once for the document when all lines agree."""
    extra: dict[str, str] = {}
    for name in _WAREHOUSE:
        values = {fields[name] for fields in per_line.values() if name in fields}
        if len(values) == 1:
            extra[name] = values.pop()
    for line_id, fields in per_line.items():
        extra.update({f"line.{line_id}.{k}": v for k, v in fields.items() if k not in _WAREHOUSE or k not in extra})
    return extra
