"""EFONELFO 4.0 rabattfil (RH/RL) → one ``DiscountAgreement``.

Owns the meaning of discount-file records (FORMATS §3.3); the text layer is :mod:`hub.formats.nelfo`.
A :class:`FailedRecord` is yielded for each RL line that cannot be used, as it comes; the agreement is
yielded last (it holds every group discount and net price of the file, as the canonical record does).

How an ``RL;VareMrk;VareNr;AvtaltPris;Rabatt;Tekst`` line maps (DESIGN §7: an article net price wins and is
never discounted again):

* ``AvtaltPris`` set (not empty, not 0) → :class:`NetPrice` for article ``VareNr`` (number type from
  ``VareMrk`` as in the varefil), ``Tekst`` as description, per 1 unit. A ``Rabatt`` on the same line is
  ignored: the agreed price is already net. ``AvtaltPris`` 0 counts as "not set" (writers put 0 in empty
  numeric fields; a free article is not a plausible agreement).
* else ``Rabatt`` set (``5140`` = 51.40 %, 0 allowed) → :class:`GroupDiscount` for the group ``VareNr``
  when ``VareMrk`` is 5 (discount group, as in the real sample) or anything but an article number type.
* ``Rabatt`` with ``VareMrk`` 1/2/4 (el-number, GTIN, NRF: one article) fails the line: the canonical
  agreement has no article-level discount yet. AvtaltPris on a group (``VareMrk`` 5) fails too.
* Neither set, no ``VareNr``, a discount outside 0–100 %, a negative price or a non-number fails the line.

Header: ``valid_from`` is ``FraDato`` (else the import option ``valid_from``, else None);
``agreement_reference`` is ``AvtaleId``; ``Avtaletype`` has no canonical field and is not kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO, ClassVar

from hub.canonical.pricelist import DiscountAgreement, GroupDiscount, NetPrice
from hub.errors import ParseError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext, TranslatorId
from hub.formats.nelfo import (
    NUMBER_TYPES,
    DecimalRule,
    FieldError,
    Fields,
    HeaderLayout,
    decimal_rule,
    field_number,
    header_score,
    read_header,
    read_records,
    text_or_none,
)

LAYOUT = {"RH": 17, "RL": 6}
_HEADER = HeaderLayout(
    ("RH",), seller_id=4, buyer_id=5, customer_number=6, agreement_id=7, currency=10, valid_from=8, valid_to=9
)
_ARTICLE_MARKS = frozenset({"1", "2", "4"})  # VareMrk of an article number (el-number, GTIN, NRF)
_HUNDRED = Decimal(100)


class NelfoDiscountTranslator:
    """EFONELFO 4.0 rabattfil: a customer's discount groups and agreed net prices."""

    id: ClassVar[TranslatorId] = TranslatorId("nelfo4-discounts", 1)
    record_type: ClassVar[str] = DiscountAgreement.TYPE
    description: ClassVar[str] = "EFONELFO 4.0 rabattfil (RH/RL)"

    def accepts(self, sniffed: Sniffed) -> int:
        """20 for an RH 4.0 head; 5 for another RH version, so it is refused with a clear message."""
        return header_score(sniffed.head, (b"RH",)) if sniffed.syntax == "nelfo" else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        records = read_records(stream, LAYOUT)
        first = next(records, None)
        if first is None:
            raise ParseError("empty file: no RH header", location="line 1")
        agreement = _agreement(first[0], first[1], context)
        rule = decimal_rule(context.options)
        groups: list[GroupDiscount] = []
        nets: list[NetPrice] = []
        for line, fields in records:
            try:
                found = _entry(line, fields, rule)
            except FieldError as exc:
                yield FailedRecord(exc.error(), reference=f"line {line}")
                continue
            if isinstance(found, NetPrice):
                nets.append(found)
            else:
                groups.append(found)
        yield dataclasses.replace(agreement, group_discounts=tuple(groups), net_prices=tuple(nets))


def _agreement(line: int, fields: Fields, context: TranslationContext) -> DiscountAgreement:
    """The agreement's header facts from RH (raises for a missing or bad header)."""
    header = read_header(line, fields, _HEADER, context.options)
    return DiscountAgreement(
        agreement_id=context.options.get("agreement_id", ""),
        wholesaler_id=context.partner_id or "",
        tenant_id=context.tenant_id,
        valid_from=header.valid_from,
        valid_to=header.valid_to,
        customer_number=header.customer_number,
        agreement_reference=header.agreement_id,
        buyer_id=header.buyer_id,
        seller_id=header.seller_id,
        currency=header.currency,
    )


def _entry(line: int, fields: Fields, rule: DecimalRule) -> GroupDiscount | NetPrice:
    """One RL line → a net price or a group discount (see the module doc); raises FieldError."""
    kind = fields[0]
    if kind != "RL":
        if kind == "RH":
            raise ParseError("a second RH header: one agreement per file", location=f"line {line}")
        raise FieldError(line, 1, "PostType", f"unknown record type {kind[:20]!r} in a discount file")
    mark, article = text_or_none(fields, 2) or "", text_or_none(fields, 3)
    if article is None:
        raise FieldError(line, 3, "VareNr", "RL line without VareNr", missing=True)
    agreed = field_number(fields, 4, "AvtaltPris", line, 2, rule)
    if agreed:
        if agreed < 0:
            raise FieldError(line, 4, "AvtaltPris", f"AvtaltPris {agreed} is negative")
        if mark == "5":
            raise FieldError(line, 4, "AvtaltPris", "an agreed net price (AvtaltPris) on a discount group (VareMrk 5)")
        return NetPrice(article, agreed, number_type=NUMBER_TYPES.get(mark, "SUPPLIER"), description=_text(fields))
    percent = field_number(fields, 5, "Rabatt", line, 2, rule)
    if percent is None:
        raise FieldError(line, 5, "Rabatt", "RL line with neither AvtaltPris nor Rabatt", missing=True)
    if not 0 <= percent <= _HUNDRED:
        raise FieldError(line, 5, "Rabatt", f"Rabatt {percent} % is outside 0–100 %")
    if mark in _ARTICLE_MARKS:
        message = f"a discount on one article (VareMrk {mark}) is not supported: the agreement holds group discounts"
        raise FieldError(line, 5, "Rabatt", message)
    return GroupDiscount(article, percent)


def _text(fields: Fields) -> str | None:
    return text_or_none(fields, 6)
