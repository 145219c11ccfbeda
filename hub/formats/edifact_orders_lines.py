"""EDIFACT ORDRSP / DESADV line items → canonical ``OrderLine``; the per-kind qualifier profiles.

Owns :class:`Profile` (what differs between an order response and a despatch advice: which QTY is the
delivered quantity, which DTMs are delivery dates), the shared value readers (numbers, dates, references)
used by :mod:`hub.formats.edifact_orders`, the cutting of a message body into LIN groups under the DESADV
package hierarchy (CPS/PAC/GIN: the lines are flattened in document order, each remembering its package),
and the reading of one LIN group.

Qualifiers read per line (EANCOM 2002 ORDRSP SG26 / DESADV SG17, the same in D93A … D16B):

* LIN 1082 line number (else the position), 1229 action → ``line_status`` as sent (UNCL 1229: 5 accepted
  without amendment, 3 changed, 6 accepted with amendment, 7 not accepted), C212 item number → ``gtin`` when
  its type is EN/SRV.
* PIA+1 / PIA+5 (additional / product identification) …:SA (or a LIN C212 of type SA) → ``article_number``
  (``SUPPLIER``); without one it stays None, as in the Peppol translators (the GTIN is in ``gtin``). IMD
  C273 texts → ``description``.
* QTY+21 ordered; delivered: ORDRSP none (its QTY+113 "to be delivered" is a promise, kept in extra, never
  billed); DESADV QTY+12 (despatched), else QTY+46 (delivered). Back-ordered: QTY+83, else a
  QVR whose discrepancy (4221) is BP "partial shipment, back order to follow" (its difference, unsigned).
  QTY 6411 is the unit; none means a count of pieces (EANCOM), ``EA``.
* PRI+AAA (calculation net) → ``unit_price`` with ``price_is_net`` True, else PRI+AAB (gross) with False;
  5284 → ``price_base_quantity``. MOA+203 → ``line_amount``. ALC+A PCD → discount percents, MOA+204/8 the
  allowance amount; ALC+C MOA+23/8 → ``surcharge_amount``.
* RFF+ON → line reference ORDER (C506 1156, the order line, → ``order_line_reference``); RFF+LI → the
  buyer's order line number; the document qualifiers (VN, CR, AEP, DQ, CT) per line too; FTX → FREE_TEXT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypedDict

from hub.canonical.orders import OrderDocumentKind, OrderLine, Reference, ReferenceType
from hub.formats.edifact import Message, Segment, split_groups, to_date, to_decimal
from hub.pricing.units import unit_code

# RFF qualifier → canonical reference type (document and line level).
REFERENCE_TYPES: dict[str, ReferenceType] = {
    "ON": "ORDER",  # buyer's order number
    "VN": "SALES_ORDER",  # order number assigned by the vendor
    "CR": "BUYER_REFERENCE",  # customer reference number
    "AEP": "PROJECT",  # project number
    "DQ": "DESPATCH",  # delivery note number
    "AAK": "DESPATCH",  # despatch advice number
    "CT": "CONTRACT",
}
# What a delivery date DTM qualifier is, in the words of the Peppol translator's ``delivery_date_basis``.
DATE_BASIS = {
    "35": "actual",
    "69": "promised",
    "17": "estimated",
    "191": "estimated",
    "132": "estimated",
    "358": "scheduled",
    "2": "requested",
    "11": "despatch",
}
_LINE_END = frozenset({"LIN", "CPS", "UNS", "CNT"})
_LINE_GROUPS = frozenset({"RFF", "PRI", "TAX", "ALC", "PAC", "LOC", "NAD", "TDT", "TOD", "SCC", "PCI", "QVR", "CCI"})
_GTIN_TYPES = frozenset({"EN", "SRV"})
_BACK_ORDER = "BP"  # QVR 4221: partial shipment, back order to follow


@dataclass(frozen=True, slots=True)
class Profile:
    """What an order response and a despatch advice read differently."""

    message_type: str  # UNH S009 0065
    kind: OrderDocumentKind
    delivered: tuple[str, ...]  # QTY qualifiers of quantity_delivered, first found wins
    header_dates: tuple[str, ...]  # DTM qualifiers of the document's delivery date, most certain first
    line_dates: tuple[str, ...]


# An order response only *promises* quantities (QTY+113 "to be delivered"); DESIGN §9.9 bills delivered quantities
# only, so an ORDRSP never fills quantity_delivered — the promise is kept in extra (line.<id>.confirmed).
ORDRSP = Profile("ORDRSP", "ORDER_RESPONSE", (), ("69", "17", "2"), ("69", "17", "2"))
DESADV = Profile(
    "DESADV",
    "DELIVERY_NOTE",
    ("12", "46"),
    ("35", "17", "191", "358", "132", "69", "2", "11"),  # the despatch date (11) only when nothing else says
    ("35", "17", "191", "358", "132", "69", "2"),
)


@dataclass(frozen=True, slots=True)
class LineGroup:
    """One LIN and its segments, with the package (CPS) it sits in and that package's SSCCs."""

    segments: tuple[Segment, ...]
    package: str | None = None  # CPS 7164 hierarchical id
    sscc: tuple[str, ...] = ()  # GIN+BJ of the package level


# --- values ----------------------------------------------------------------------------------------


def number(message: Message, segment: Segment, element: int, component: int) -> Decimal | None:
    value = segment.get(element, component)
    return None if value is None else to_decimal(value, message.location(segment))


def date_of(message: Message, segment: Segment) -> date | None:
    value = segment.get(0, 1)
    return None if value is None else to_date(value, segment.get(0, 2), message.location(segment))


def dates(message: Message, segments: Iterable[Segment]) -> dict[str, date]:
    """DTM qualifier → date, first occurrence wins."""
    found: dict[str, date] = {}
    for segment in segments:
        if segment.tag == "DTM" and segment.qualifier and segment.qualifier not in found:
            value = date_of(message, segment)
            if value is not None:
                found[segment.qualifier] = value
    return found


def first_date(found: dict[str, date], qualifiers: Sequence[str]) -> tuple[date | None, str | None]:
    """The first of ``qualifiers`` present, and its qualifier."""
    return next(((found[q], q) for q in qualifiers if q in found), (None, None))


def reference(segment: Segment) -> Reference | None:
    """RFF C506 1153/1154 as a canonical reference, when the qualifier is one of :data:`REFERENCE_TYPES`."""
    kind, value = REFERENCE_TYPES.get(segment.qualifier or ""), segment.get(0, 1)
    return Reference(kind, value) if kind and value else None


def free_text(segment: Segment) -> str | None:
    """FTX C108 4440 texts, joined."""
    return " ".join(segment.texts(3)) or None


# --- the body: packages and LIN groups -------------------------------------------------------------


def line_groups(segments: Sequence[Segment]) -> list[LineGroup]:
    """Every LIN group in document order; under a DESADV CPS hierarchy each keeps its package level."""
    groups: list[LineGroup] = []
    current: list[Segment] | None = None
    package: tuple[str | None, list[str]] = (None, [])
    for segment in segments:
        if segment.tag in _LINE_END:
            _close(groups, current, package)
            current = [segment] if segment.tag == "LIN" else None
            package = (segment.get(0), []) if segment.tag == "CPS" else package
        elif current is not None:
            current.append(segment)
        elif segment.tag == "GIN" and segment.qualifier == "BJ":
            package[1].extend(v for i in range(1, 6) for v in segment.texts(i, 0, 0))
    _close(groups, current, package)
    return groups


def _close(groups: list[LineGroup], current: list[Segment] | None, package: tuple[str | None, list[str]]) -> None:
    if current:
        groups.append(LineGroup(tuple(current), package[0], tuple(package[1])))


# --- one line ---------------------------------------------------------------------------------------


def order_line(message: Message, profile: Profile, ordinal: int, group: LineGroup) -> OrderLine:
    """One LIN group → an order line; a bad value raises with the message and segment named."""
    lin, runs = group.segments[0], split_groups(group.segments[1:], _LINE_GROUPS)
    core = runs[0]
    ids = _item_ids(lin, core)
    gtin = next((v for v, kind in ids if kind in _GTIN_TYPES), None)
    article = next((v for v, kind in ids if kind == "SA"), None)
    line_date, _ = first_date(dates(message, core), profile.line_dates)
    return OrderLine(
        line_id=lin.get(0) or str(ordinal),
        article_number=article,
        number_type="SUPPLIER" if article else None,
        gtin=gtin,
        description=" ".join(t for s in core if s.tag == "IMD" for t in s.texts(2, 3, 4)) or None,
        line_amount=next((number(message, s, 0, 1) for s in group.segments if _is(s, "MOA", "203")), None),
        line_status=lin.get(1),
        delivery_date=line_date,
        **_quantities(message, profile, core, _heads(runs, "QVR")),
        **_price(message, _heads(runs, "PRI")),
        **_adjustments(message, [run for run in runs[1:] if run and run[0].tag == "ALC"]),
        **_line_references(core, _heads(runs, "RFF")),
    )


def _is(segment: Segment, tag: str, qualifier: str) -> bool:
    return segment.tag == tag and segment.qualifier == qualifier


def _heads(runs: list[list[Segment]], tag: str) -> list[Segment]:
    """The head segments of the line's ``tag`` groups."""
    return [run[0] for run in runs[1:] if run and run[0].tag == tag]


def _item_ids(lin: Segment, core: list[Segment]) -> list[tuple[str, str | None]]:
    """(number, type) of the LIN C212, then of every PIA+1/+5 C212 (PIA+3/+4 name substitutes)."""
    found = [(lin.get(2, 0), lin.get(2, 1))]
    pias = (s for s in core if s.tag == "PIA" and s.qualifier in ("1", "5"))
    found += [(pia.get(i, 0), pia.get(i, 1)) for pia in pias for i in range(1, 6)]
    return [(value, kind) for value, kind in found if value]


class _Quantities(TypedDict):
    quantity_ordered: Decimal | None
    quantity_delivered: Decimal | None
    quantity_backordered: Decimal | None
    unit: str | None
    unit_code: str | None


def _quantities(message: Message, profile: Profile, core: list[Segment], qvrs: list[Segment]) -> _Quantities:
    found = {s.qualifier: s for s in reversed(core) if s.tag == "QTY" and s.qualifier}  # first one wins
    delivered = next((found[q] for q in profile.delivered if q in found), None)
    ordered, backordered = found.get("21"), found.get("83")
    shown = [s for s in (delivered, ordered, backordered) if s is not None]
    unit = next((s.get(0, 2) for s in shown if s.get(0, 2)), None)
    return {
        "quantity_ordered": number(message, ordered, 0, 1) if ordered else None,
        "quantity_delivered": number(message, delivered, 0, 1) if delivered else None,
        "quantity_backordered": number(message, backordered, 0, 1) if backordered else _back_order(message, qvrs),
        "unit": unit,
        "unit_code": unit_code(unit) if unit else "EA" if shown else None,
    }


def _back_order(message: Message, qvrs: list[Segment]) -> Decimal | None:
    """QVR C279 6064 of a QVR whose discrepancy (4221) is BP: the quantity still to follow."""
    qvr = next((s for s in qvrs if s.get(1) == _BACK_ORDER and s.get(0, 0)), None)
    difference = number(message, qvr, 0, 0) if qvr else None
    return abs(difference) if difference is not None else None


class _PriceFields(TypedDict):
    unit_price: Decimal | None
    price_base_quantity: Decimal | None
    price_is_net: bool | None


def _price(message: Message, pris: list[Segment]) -> _PriceFields:
    """PRI C509: AAA (calculation net, allowances applied) first, else AAB (gross); 5284 the basis."""
    pri = next((s for kind in ("AAA", "AAB") for s in pris if s.qualifier == kind and s.get(0, 1)), None)
    if pri is None:
        return {"unit_price": None, "price_base_quantity": None, "price_is_net": None}
    return {
        "unit_price": number(message, pri, 0, 1),
        "price_base_quantity": number(message, pri, 0, 4),
        "price_is_net": pri.qualifier == "AAA",
    }


class _Adjustments(TypedDict):
    discount_percent: Decimal | None
    discount_percent_2: Decimal | None
    discount_amount: Decimal | None
    surcharge_amount: Decimal | None


def _adjustments(message: Message, groups: list[list[Segment]]) -> _Adjustments:
    """ALC+A groups: their PCD percentages (first, second) and summed amounts; ALC+C amounts summed."""
    percents: list[Decimal] = []
    amounts: dict[str, Decimal] = {}
    for group in groups:
        charge = group[0].qualifier == "C"
        pcd = next((s for s in group if s.tag == "PCD"), None)
        percent = number(message, pcd, 0, 1) if pcd and not charge else None
        percents += [percent] if percent is not None else []
        kinds = ("23", "8") if charge else ("204", "8")
        moa = next((s for q in kinds for s in group if _is(s, "MOA", q) and s.get(0, 1)), None)
        if moa is not None:
            key = "surcharge_amount" if charge else "discount_amount"
            amounts[key] = amounts.get(key, Decimal(0)) + (number(message, moa, 0, 1) or Decimal(0))
    return {
        "discount_percent": percents[0] if percents else None,
        "discount_percent_2": percents[1] if len(percents) > 1 else None,
        "discount_amount": amounts.get("discount_amount"),
        "surcharge_amount": amounts.get("surcharge_amount"),
    }


class _LineReferences(TypedDict):
    order_line_reference: str | None
    line_references: tuple[Reference, ...]


def _line_references(core: list[Segment], rffs: list[Segment]) -> _LineReferences:
    """RFF groups of the line (ON also names the order line in 1156, LI is the line number) and FTX."""
    found = [ref for ref in map(reference, rffs) if ref is not None]
    found += [Reference("FREE_TEXT", text) for text in map(free_text, (s for s in core if s.tag == "FTX")) if text]
    order_line = next((s.get(0, 2) for s in rffs if s.qualifier == "ON" and s.get(0, 2)), None)
    order_line = order_line or next((s.get(0, 1) for s in rffs if s.qualifier == "LI" and s.get(0, 1)), None)
    return {"order_line_reference": order_line, "line_references": tuple(dict.fromkeys(found))}
