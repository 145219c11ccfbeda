"""EDIFACT INVOIC lines and allowances/charges: the LIN groups and every ALC group → canonical values.

Owns :class:`Reader`, the segment value reader (locations, numbers, dates, MOA amounts, warnings) shared by
:mod:`hub.formats.edifact_invoic` and :mod:`hub.formats.edifact_invoic_totals`; the reading of one ALC group
(document or line level) into an :class:`AllowanceCharge`; and the reading of one LIN group into an
:class:`InvoiceLine` (quantity, prices, item numbers, details, and whether its ALCs are already in the net price).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TypedDict

from hub.canonical.invoice import AllowanceCharge, InvoiceLine, ValidationIssue
from hub.errors import MissingFieldError
from hub.formats.arithmetic import LINE_TOLERANCE, expected_line_amount, r2
from hub.formats.edifact import Interchange, Message, Segment, split_groups, to_date, to_decimal

_LINE_GROUPS = frozenset(["ALC", "NAD", "PAC", "LOC", "TDT", "TOD", "RCS"])
_NOT_LINE_CORE = frozenset(["ALC", "NAD", "TDT", "TOD", "RCS"])  # PAC/LOC groups may precede the line's TAX
_GTIN = frozenset({"EN", "SRV", "0160"})  # item number type: EANCOM EN, GS1 SRV, ICD 0160
# Invoiced quantity first; a credit note may give the returned quantity (61), older files only the
# delivered (46) or despatched (12) quantity, which is then what was invoiced.
_QUANTITIES = ("47", "61", "46", "12")


class Reader:
    """Reads one message; every value error names the message and segment."""

    def __init__(self, interchange: Interchange, message: Message) -> None:
        self.interchange, self.message = interchange, message
        self.warnings = [ValidationIssue(n.rule, "warning", n.message, n.location) for n in interchange.notices]

    def at(self, segment: Segment) -> str:
        return self.message.location(segment)

    def number(self, segment: Segment, element: int, component: int) -> Decimal | None:
        value = segment.get(element, component)
        return None if value is None else to_decimal(value, self.at(segment))

    def date(self, segment: Segment) -> date | None:
        value = segment.get(0, 1)
        return None if value is None else to_date(value, segment.get(0, 2), self.at(segment))

    def amounts(self, segments: Sequence[Segment]) -> dict[str, Decimal]:
        """MOA qualifier → amount, first occurrence wins."""
        found: dict[str, Decimal] = {}
        for seg in segments:
            if seg.tag == "MOA" and seg.qualifier and seg.qualifier not in found and seg.get(0, 1) is not None:
                found[seg.qualifier] = to_decimal(seg.get(0, 1) or "", self.at(seg))
        return found

    def warn(self, rule: str, text: str, segment: Segment) -> None:
        self.warnings.append(ValidationIssue(rule, "warning", text, self.at(segment)))


# --- allowances and charges ------------------------------------------------------------------------


def allowance(r: Reader, run: list[Segment], line_gross: Decimal | None) -> list[AllowanceCharge]:
    """ALC group → zero or one allowance/charge (none when it only states a price discount, MOA+509)."""
    alc, amounts = run[0], r.amounts(run)
    percent = next((r.number(s, 0, 1) for s in run if s.tag == "PCD"), None)
    base = amounts.get("25", line_gross)
    amount = next((amounts[q] for q in ("204", "23", "8") if q in amounts), None)
    if amount is None and percent is not None and base is not None:
        amount = r2(base * percent / 100)  # what a percentage allowance is (PEPPOL-EN16931-R040)
    if amount is None:
        if "509" not in amounts:
            r.warn("EDIFACT-ALC", "allowance/charge without an amount (MOA) or a base for its percentage", alc)
        return []
    tax = next((s for s in run if s.tag == "TAX"), None)
    return [
        AllowanceCharge(
            is_charge=alc.qualifier == "C",
            amount=amount,
            base_amount=base,
            percent=percent,
            reason=alc.get(1, 0) or alc.get(4, 3),
            reason_code=alc.get(1, 1) or alc.get(4, 0),
            vat_category=tax.get(5) if tax else None,
            vat_rate=r.number(tax, 4, 3) if tax else None,
        )
    ]


# --- lines -----------------------------------------------------------------------------------------


class _LineDetails(TypedDict):
    description: str | None
    item_description: str | None
    note: str | None
    order_line_reference: str | None
    vat_category: str | None
    vat_rate: Decimal | None
    period_start: date | None
    period_end: date | None


def line(r: Reader, ordinal: int, segments: list[Segment]) -> InvoiceLine:
    lin, runs = segments[0], split_groups(segments[1:], _LINE_GROUPS)
    core = [s for run in runs if not run or run[0].tag not in _NOT_LINE_CORE for s in run]
    quantity_seg = next((s for q in _QUANTITIES for s in core if s.tag == "QTY" and s.qualifier == q), None)
    quantity = r.number(quantity_seg, 0, 1) if quantity_seg else None
    amount = r.amounts(core).get("203")
    if quantity_seg is None or quantity is None or amount is None:
        missing = "line amount (MOA+203)" if quantity is not None else "invoiced quantity (QTY+47)"
        raise MissingFieldError(f"line {lin.get(0) or ordinal} has no {missing}", location=r.at(lin))
    net, gross = _price(r, core, "AAA"), _price(r, core, "AAB")
    ids = [(lin.get(2, 0), lin.get(2, 1))] + [
        (s.get(i), s.get(i, 1)) for s in core if s.tag == "PIA" for i in range(1, 6)
    ]
    gtin = _item_id(ids, _GTIN)
    line = InvoiceLine(
        line_id=lin.get(0) or str(ordinal),  # BT-126 is mandatory; an unnumbered LIN keeps its position
        quantity=quantity,
        line_amount=amount,
        unit_code=quantity_seg.get(0, 2),
        unit_price=net[0],
        gross_price=gross[0],
        price_discount=_price_discount(r, runs),
        price_base_quantity=(net if net[0] is not None else gross)[1],
        price_base_unit_code=(net if net[0] is not None else gross)[2],
        article_number=_item_id(ids, {"SA"}),
        buyer_article_number=_item_id(ids, {"BP", "IN"}),
        gtin=gtin,
        standard_item_id=gtin,
        standard_item_scheme="0160" if gtin else None,
        **_line_details(r, core),
    )
    # A line percentage (PCD without MOA) applies to quantity × gross price: its base when none is given.
    gross_base = quantity * gross[0] / (gross[1] or 1) if gross[0] is not None and gross[1] != 0 else None
    acs = tuple(a for run in runs if run and run[0].tag == "ALC" for a in allowance(r, run, gross_base))
    return dataclasses.replace(line, allowances_charges=_line_adjustments(line, acs))


def _item_id(ids: list[tuple[str | None, str | None]], kinds: set[str] | frozenset[str]) -> str | None:
    """First item number of one of ``kinds`` (LIN C212, then PIA C212s: SA supplier's, BP/IN buyer's)."""
    return next((value for value, kind in ids if value and kind in kinds), None)


def _price(r: Reader, core: list[Segment], kind: str) -> tuple[Decimal | None, Decimal | None, str | None]:
    """PRI C509: price, price basis quantity (5284) and its unit (6411); AAA net, AAB gross."""
    pri = next((s for s in core if s.tag == "PRI" and s.qualifier == kind), None)
    return (r.number(pri, 0, 1), r.number(pri, 0, 4), pri.get(0, 5)) if pri else (None, None, None)


def _price_discount(r: Reader, runs: list[list[Segment]]) -> Decimal | None:
    # The EN 16931 binding carries BT-147 (item price discount) as ALC+A with MOA+509.
    return next((r.amounts(g)["509"] for g in runs if g and g[0].tag == "ALC" and "509" in r.amounts(g)), None)


def _line_adjustments(line: InvoiceLine, acs: tuple[AllowanceCharge, ...]) -> tuple[AllowanceCharge, ...]:
    """The line's ALC groups, unless the net price already contains them.

    EN 16931 reads line ALCs as BG-27/28 (line amount = quantity × net price − allowances + charges);
    EANCOM's PRI+AAA is the "calculation net" price, allowances already applied, so its ALCs only explain
    gross → net. Which reading the sender meant shows in the line's own arithmetic: when only the EANCOM
    one adds up, applying the ALCs again would double-count them.
    """
    with_acs = expected_line_amount(dataclasses.replace(line, allowances_charges=acs))
    without = expected_line_amount(line)
    if not acs or with_acs is None or without is None or abs(with_acs - line.line_amount) <= LINE_TOLERANCE:
        return acs
    return () if abs(without - line.line_amount) <= LINE_TOLERANCE else acs


def _line_details(r: Reader, core: list[Segment]) -> _LineDetails:
    names = [" ".join(s.texts(2, 3, 4)) for s in core if s.tag == "IMD" and s.texts(2, 3, 4)]
    notes = [" ".join(s.texts(3)) for s in core if s.tag == "FTX" and s.texts(3)]
    tax = next((s for s in core if s.tag == "TAX"), None)
    dates = {s.qualifier: r.date(s) for s in core if s.tag == "DTM" and s.qualifier in ("167", "168")}
    return {
        "description": names[0] if names else None,
        "item_description": " ".join(names[1:]) or None,
        "note": "\n".join(notes) or None,
        # RFF+ON C506 1156: the order line (an order number alone on a line has no canonical field)
        "order_line_reference": next((s.get(0, 2) for s in core if s.tag == "RFF" and s.qualifier == "ON"), None),
        "vat_category": tax.get(5) if tax else None,
        "vat_rate": r.number(tax, 4, 3) if tax else None,
        "period_start": dates.get("167"),
        "period_end": dates.get("168"),
    }
