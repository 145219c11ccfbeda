"""EFONELFO 4.0 varefil (VH/VL/VX/VA) and pristilbud (PH/PL/PX/PA) → ``PriceListVersion`` + ``Price``.

Owns the meaning of price-file records (FORMATS §2.2); the text layer is :mod:`hub.formats.nelfo`. Output, in
order (DESIGN §9.3): ``ANNOUNCED``, one ``Price`` per VL/PL (or a :class:`FailedRecord` for a line that cannot
be used), ``COMPLETE`` with counts and the first 100 line problems. A VL is held only until its VX/VA are read.

Mapping (raw codes always kept):

* ``VareMrk`` 1 ``NO_EL_NUMBER``, 2 ``GTIN`` (+ ``gtin``), 4 ``NO_NRF``, 0 ``SUPPLIER``, 9 ``SUPPLIER`` +
  ``extra["fee"]="true"``; 3, 5, other ``SUPPLIER`` + ``extra["varemrk"]``.
* ``Status`` empty/0/1 ``ACTIVE`` (the 2 165-line ETMAN file writes 1 on every article: 1 is the normal state,
  not "new"), 2 ``CHANGED``, 3 ``DISCONTINUED`` (utgått), other ``UNKNOWN``. ``PrisType`` empty/B ``GROSS``,
  N ``NET``, other fails the line (it decides discounting).
* ``Pris`` (2 implied decimals) is for ``Mengde`` (4; empty = 1, zero/negative fails) units of ``PrisEnhet``:
  ``unit_list_price`` = Pris / Mengde, division truncated at 28 digits then ROUND_HALF_UP to 6 decimals (the
  same as rounding the exact quotient). ``unit_code`` = Rec 20 of ``PrisEnhet`` (HMT stays HMT), else of
  ``PrisEnhetTxt`` (``OP``/``PAR`` → PR); ``unit`` = ``PrisEnhetTxt`` or ``PrisEnhet``. A numeric
  ``PrisEnhet`` (fields shifted, as in a real sample) fails. A written decimal separator follows
  :func:`hub.formats.nelfo.number`; the text is kept in ``extra["pris_raw"]``/``extra["mengde_raw"]``.
* ``Rabatt`` (PL) → ``discount_percent``, ``SalgsPakning`` → ``pack_size`` (0 = none for both); ``Lagerført``
  J/N → ``stocked``; ``MåleEnhet``/``BlokkNummer`` → ``extra``. Required: VareMrk, VareNr, PrisEnhet, Pris.
* VA → :class:`Alternative` (E replacement, A alternative, V alternative id, P pack); VX → ``extra["vx_<id>"]``
  (repeats ``_2``, ``_3``). VA/VX after a failed VL go with it; before any VL they fail as orphans.
* ``valid_from`` = header ``FraDato``, else the import option ``valid_from``.

Speed: a line is read by :func:`_quick_draft` when it has the common shape, else by :func:`_full_draft`, and
built as a :class:`_Draft` with ``Price``'s exact slot layout, sealed by re-classing it to ``Price`` (a frozen
dataclass ``__init__`` costs ~10 µs for 27 fields; this ~1 µs), or ``Price(**fields)`` if the layouts differ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import BinaryIO, ClassVar, NoReturn, TypeVar

from hub.canonical.pricelist import (
    Alternative,
    AlternativeKind,
    ArticleStatus,
    LineProblem,
    NumberType,
    Price,
    PriceListVersion,
    PriceType,
)
from hub.errors import DocumentError, MissingFieldError, ParseError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext, TranslatorId
from hub.formats.nelfo import (
    NUMBER_TYPES,
    DecimalRule,
    FieldError,
    Fields,
    HeaderLayout,
    decimal_rule,
    header_score,
    number_field,
    parse_date,
    read_header,
    read_records,
    text_or_none,
)
from hub.pricing.units import unit_code

LAYOUT = {"VH": 16, "PH": 16, "VL": 20, "PL": 20, "VA": 5, "PA": 5, "VX": 3, "PX": 3}
LINE_REPORT_SIZE = 100
_HEADERS = ("VH", "PH")
_HEADER = HeaderLayout(
    _HEADERS, seller_id=4, buyer_id=5, customer_number=6, agreement_id=10, currency=9, valid_from=7, valid_to=8
)
_LINES = frozenset({"VL", "PL"})
_ADDITIONS = frozenset({"VA", "PA", "VX", "PX"})
_STATUSES: dict[str, ArticleStatus] = {"": "ACTIVE", "0": "ACTIVE", "1": "ACTIVE", "2": "CHANGED", "3": "DISCONTINUED"}
_PRICE_TYPES: dict[str, PriceType] = {"": "GROSS", "B": "GROSS", "N": "NET"}
_KINDS: dict[str, AlternativeKind] = {"E": "REPLACEMENT", "A": "ALTERNATIVE", "V": "ALTERNATIVE_ID", "P": "PACK"}
_STOCKED = {"J": True, "N": False, "": None}
_REQUIRED = ((2, "VareMrk"), (3, "VareNr"), (7, "PrisEnhet"), (9, "Pris"))
_BLANK = [""] * 20
_ONE = Decimal("1.0000")
_HUNDRED = Decimal(100)
# Values _full_draft has read from plain digits, by the text as written; _quick_draft reads only these.
_QUANTITIES: dict[str, Decimal] = {"": Decimal(1), "10000": _ONE}  # Mengde (positive only)
_SEEN_PACKS: dict[str, Decimal | None] = {"": None, "0": None}  # SalgsPakning
_SEEN_DATES: dict[str, date | None] = {"": None}  # PrisDato
_MARK_EXTRA = {
    mark: {} if mark in "0124" else {"fee": "true"} if mark == "9" else {"varemrk": mark} for mark in "0123456789"
}
_V = TypeVar("_V")
_UNIT_CODES: dict[str, str] = {}  # PrisEnhet → Rec 20, for those unit_code knows
_DIVISION = Context(prec=28, rounding=ROUND_DOWN)
_Q6 = Decimal("0.000001")
# fmt: off
_FIELDS = (  # Price's fields, in order: what a _Draft holds
    "version_id", "wholesaler_id", "scope", "valid_from", "article_number", "number_type", "list_price",
    "price_quantity", "unit_list_price", "price_type", "status", "line", "gtin", "description", "description_2",
    "unit", "unit_code", "discount_group", "discount_percent", "raw_status", "brand", "manufacturer_article",
    "stocked", "pack_size", "price_date", "alternatives", "extra",
)
# fmt: on


class NelfoPriceListTranslator:
    """EFONELFO 4.0 varefil (V4*) and pristilbud (P4*): a price-list version, streamed."""

    id: ClassVar[TranslatorId] = TranslatorId("nelfo4-prices", 1)
    record_type: ClassVar[str] = Price.TYPE
    description: ClassVar[str] = "EFONELFO 4.0 varefil (VH/VL/VX/VA) and pristilbud (PH/PL)"

    def accepts(self, sniffed: Sniffed) -> int:
        """20 for a VH/PH 4.0 head; 5 for another VH/PH version, so it is refused with a clear message."""
        return header_score(sniffed.head, (b"VH", b"PH")) if sniffed.syntax == "nelfo" else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        records = read_records(stream, LAYOUT)
        first = next(records, None)
        if first is None:
            raise ParseError("empty file: no VH/PH header", location="line 1")
        version = _announced(first[0], first[1], context)
        run = _Run(version, decimal_rule(context.options))
        yield version
        yield from run.lines(records)
        yield run.complete()


def _announced(line: int, fields: Fields, context: TranslationContext) -> PriceListVersion:
    """The ANNOUNCED version from a VH/PH header (raises for a missing or bad header)."""
    header = read_header(line, fields, _HEADER, context.options)
    if header.valid_from is None:
        message = "the header has no FraDato (and no valid_from was given)"
        raise MissingFieldError(message, location=f"line {line}, field 7 (FraDato)")
    return PriceListVersion(
        version_id=context.options.get("version_id", ""),
        wholesaler_id=context.partner_id or "",
        scope=context.tenant_id or "central",
        status="ANNOUNCED",
        valid_from=header.valid_from,
        valid_to=header.valid_to,
        currency=header.currency,
        list_name=header.agreement_id,
        customer_number=header.customer_number,
        buyer_id=header.buyer_id,
        seller_id=header.seller_id,
    )


class _Run:
    """One pass over the lines after the header: the pending VL, counts and the bounded line report."""

    def __init__(self, version: PriceListVersion, rule: DecimalRule) -> None:
        self.version, self.rule = version, rule
        self.prices = self.failed = 0
        self.problems: list[LineProblem] = []
        self.held: list[FailedRecord] = []  # failures among the pending VL's VA/VX lines, yielded after it

    def lines(self, records: Iterator[tuple[int, Fields]]) -> Iterator[object]:
        version, rule, held = self.version, self.rule, self.held
        head = (version.version_id, version.wholesaler_id, version.scope, version.valid_from)
        pending: _Draft | None = None  # the last VL, until its VA/VX lines have been read
        dropped = False  # the last VL failed: its VA/VX lines go with it
        for line, fields in records:
            kind = fields[0]
            if kind in _ADDITIONS:
                self._addition(line, fields, pending, dropped)
                continue
            if pending is not None:
                self.prices += 1
                yield pending.seal()
            if held:
                yield from held
                held.clear()
            try:
                if kind not in _LINES:
                    self._other(line, kind)
                pending, dropped = _quick_draft(head, line, fields) or _full_draft(head, line, fields, rule), False
            except FieldError as exc:
                pending, dropped = None, True
                yield self._fail(exc.error(), line, exc.name)
        if pending is not None:
            self.prices += 1
            yield pending.seal()
        yield from held

    def complete(self) -> PriceListVersion:
        return dataclasses.replace(
            self.version, status="COMPLETE", article_count=self.prices, failed_lines=self.failed,
            line_report=tuple(self.problems),
        )  # fmt: skip

    def _fail(self, error: DocumentError, line: int, field: str | None) -> FailedRecord:
        self.failed += 1
        if len(self.problems) < LINE_REPORT_SIZE:
            self.problems.append(LineProblem(line, error.message, field))
        return FailedRecord(error, reference=f"line {line}")

    def _other(self, line: int, kind: str) -> NoReturn:
        if kind in _HEADERS:
            raise ParseError(f"a second {kind} header: one price list per file", location=f"line {line}")
        raise FieldError(line, 1, "PostType", f"unknown record type {kind[:20]!r}")

    def _addition(self, line: int, fields: Fields, draft: _Draft | None, dropped: bool) -> None:
        try:
            if draft is None and not dropped:
                raise FieldError(line, 1, "PostType", f"{fields[0]} line without a VL/PL line before it")
            if draft is not None and fields[0] in ("VA", "PA"):
                draft.alternatives += (_alternative(line, fields, self.rule),)
            elif draft is not None:
                _information(line, fields, draft.extra)
        except FieldError as exc:
            self.held.append(self._fail(exc.error(), line, exc.name))


# --- VL / PL ---------------------------------------------------------------------------------------


class _Draft:
    """A ``Price`` under construction: ``Price``'s slot layout, mutable until :meth:`seal`."""

    __slots__ = _FIELDS
    version_id: str
    wholesaler_id: str
    scope: str
    valid_from: date
    article_number: str
    number_type: NumberType
    list_price: Decimal
    price_quantity: Decimal
    unit_list_price: Decimal
    price_type: PriceType
    status: ArticleStatus
    line: int
    gtin: str | None
    description: str | None
    description_2: str | None
    unit: str | None
    unit_code: str | None
    discount_group: str | None
    discount_percent: Decimal | None
    raw_status: str | None
    brand: str | None
    manufacturer_article: str | None
    stocked: bool | None
    pack_size: Decimal | None
    price_date: date | None
    alternatives: tuple[Alternative, ...]
    extra: dict[str, str]

    def seal(self) -> Price:
        """The finished Price (this very object, re-classed, when the layouts agree)."""
        if _SAME_LAYOUT:
            self.__class__ = Price  # type: ignore[assignment]
            return self  # type: ignore[return-value]  # it is a Price now (typing.cast would cost a call)
        return Price(**{name: getattr(self, name) for name in _FIELDS})


def _quick_draft(head: tuple[str, str, str, date], line: int, f: Fields) -> _Draft | None:
    """The common line, or None: 20 fields, plain-digit Pris, one-digit VareMrk, no Rabatt, and codes, quantities,
    dates and units :func:`_full_draft` has read before as written. Same result (a test checks it)."""
    if len(f) != 20 or f[1] not in _MARK_EXTRA or not f[8].isdecimal() or len(f[8]) > 15 or f[18] not in ("", "0"):
        return None
    (_, mark, article, name, name_2, measure, unit, unit_text, pris, mengde, priced, status, block, group, brand,
     model, stocked, pack, _, price_type) = f  # fmt: skip
    d = _Draft()
    try:
        d.price_quantity = quantity = _QUANTITIES[mengde]
        d.status, d.price_type = _STATUSES[status], _PRICE_TYPES[price_type]
        d.price_date, d.pack_size = _SEEN_DATES[priced], _SEEN_PACKS[pack]
        d.unit_code, d.stocked = _UNIT_CODES[unit], _STOCKED[stocked]
        d.list_price = price = Decimal(pris + "E-2")
        per_unit = price if quantity is _ONE else _DIVISION.divide(price, quantity)
        d.unit_list_price = per_unit.quantize(_Q6, ROUND_HALF_UP, _DIVISION)
    except (KeyError, InvalidOperation):  # not seen before, or out of range: _full_draft says what is wrong
        return None
    d.version_id, d.wholesaler_id, d.scope, d.valid_from = head
    d.article_number = article = article.strip()
    d.line, d.number_type, d.gtin = line, NUMBER_TYPES.get(mark, "SUPPLIER"), article if mark == "2" else None
    d.raw_status, d.discount_percent, d.alternatives = status or None, None, ()
    d.description, d.description_2, d.unit = name.strip() or None, name_2.strip() or None, unit_text.strip() or unit
    d.discount_group, d.brand, d.manufacturer_article = (
        group.strip() or None,
        brand.strip() or None,
        model.strip() or None,
    )
    d.extra = extra = _MARK_EXTRA[mark].copy()  # the keys in _extra's order
    if measure:
        extra["maaleenhet"] = measure.strip()
    if block:
        extra["blokknummer"] = block.strip()
    return d if article else None


def _full_draft(head: tuple[str, str, str, date], line: int, fields: Fields, rule: DecimalRule) -> _Draft:
    """Any VL/PL line, every field checked; raises :class:`FieldError` for a line that cannot be used."""
    f = fields if len(fields) == 20 else (fields + _BLANK)[:20]
    (_, mark, article, name, name_2, measure, unit, unit_text, pris, mengde, _, _, block, group, brand, model, stocked,
     *_) = f  # fmt: skip
    article, unit, mark, pris, mengde = article.strip(), unit.strip(), mark.strip(), pris.strip(), mengde.strip()
    if not (mark and article and unit and pris):
        raise _missing(line, f)
    if unit.isdecimal():
        raise FieldError(line, 7, "PrisEnhet", f"PrisEnhet {unit!r} is a number, not a unit (fields shifted?)")
    d = _Draft()
    d.version_id, d.wholesaler_id, d.scope, d.valid_from = head
    d.line, d.article_number, d.number_type = line, article, NUMBER_TYPES.get(mark, "SUPPLIER")
    d.gtin = article if mark == "2" else None
    _amounts(d, line, pris, mengde, rule)
    _terms(d, line, f, rule)
    d.description, d.description_2 = name.strip() or None, name_2.strip() or None
    d.unit, d.unit_code = unit_text.strip() or unit, _unit_code(unit, unit_text)
    d.discount_group, d.brand = group.strip() or None, brand.strip() or None
    d.manufacturer_article, d.stocked, d.alternatives = model.strip() or None, _STOCKED.get(stocked.strip().upper()), ()
    d.extra = _extra(mark, measure, block, pris, mengde)
    return d


def _extra(mark: str, measure: str, block: str, pris: str, mengde: str) -> dict[str, str]:
    """Raw codes without a canonical field: VareMrk 3/5/other, fee items, MåleEnhet, BlokkNummer, written decimals."""
    extra: dict[str, str] = {}
    if mark not in NUMBER_TYPES:
        extra["varemrk"] = mark
    elif mark == "9":
        extra["fee"] = "true"
    if measure:
        extra["maaleenhet"] = measure.strip()
    if block:
        extra["blokknummer"] = block.strip()
    if not pris.isdecimal():
        extra["pris_raw"] = pris
    if mengde and not mengde.isdecimal():
        extra["mengde_raw"] = mengde
    return extra


def _missing(line: int, f: Fields) -> FieldError:
    index, name = next((i, n) for i, n in _REQUIRED if not f[i - 1].strip())
    return FieldError(line, index, name, f"{f[0]} line without {name}", missing=True)


def _amounts(d: _Draft, line: int, pris: str, mengde: str, rule: DecimalRule) -> None:
    """list_price, price_quantity and unit_list_price (Pris / Mengde, 6 decimals, ROUND_HALF_UP)."""
    price = (
        Decimal(pris + "E-2") if pris.isdecimal() and len(pris) <= 15 else number_field(line, 9, "Pris", pris, 2, rule)
    )
    quantity = _QUANTITIES.get(mengde) or number_field(line, 10, "Mengde", mengde, 4, rule)
    if quantity <= 0:
        raise FieldError(line, 10, "Mengde", f"Mengde {mengde!r}: a price must be for more than zero units")
    try:
        per_unit = price if quantity is _ONE else _DIVISION.divide(price, quantity)
        d.unit_list_price = per_unit.quantize(_Q6, ROUND_HALF_UP, _DIVISION)
    except InvalidOperation:
        raise FieldError(line, 9, "Pris", f"Pris {pris!r} per Mengde {mengde!r} is out of range") from None
    d.list_price, d.price_quantity = price, quantity
    if mengde.isdecimal():  # a written decimal depends on the rule: never remembered
        _remember(_QUANTITIES, mengde, quantity)


def _terms(d: _Draft, line: int, f: Fields, rule: DecimalRule) -> None:
    """Status, price type, price date, line discount and sales pack."""
    status, price_type, discount, pack = f[11].strip(), f[19].strip().upper(), f[18].strip(), f[17].strip()
    d.status, d.raw_status = _STATUSES.get(status, "UNKNOWN"), status or None
    found = _PRICE_TYPES.get(price_type)
    if found is None:
        raise FieldError(line, 20, "PrisType", f"PrisType {price_type!r} is neither B (gross) nor N (net)")
    d.price_type = found
    try:
        d.price_date = parse_date(f[10].strip())
    except ValueError as exc:
        raise FieldError(line, 11, "PrisDato", f"PrisDato {exc}") from None
    percent = None if discount in ("", "0") else number_field(line, 19, "Rabatt", discount, 2, rule)
    if percent is not None and not 0 <= percent <= _HUNDRED:
        raise FieldError(line, 19, "Rabatt", f"Rabatt {percent} % is outside 0–100 %")
    d.discount_percent = percent or None
    d.pack_size = _pack(line, 18, pack, rule)
    _remember(_SEEN_DATES, f[10], d.price_date)


def _pack(line: int, index: int, text: str, rule: DecimalRule) -> Decimal | None:
    """SalgsPakning (VL field 18, VA field 5): 4 decimals; empty or 0 is None."""
    text = text.strip()
    size = None if text in ("", "0") else number_field(line, index, "SalgsPakning", text, 4, rule) or None
    if size is not None and size < 0:
        raise FieldError(line, index, "SalgsPakning", f"SalgsPakning {text!r} is negative")
    if text.isdecimal():
        _remember(_SEEN_PACKS, text, size)
    return size


def _remember(seen: dict[str, _V], text: str, value: _V) -> None:
    """Remember a valid value read from ``text`` (stripped) for :func:`_quick_draft`; at most 4096 per table."""
    if len(seen) < 4096:
        seen[text] = value


def _unit_code(unit: str, text: str) -> str | None:
    """Rec 20 code of PrisEnhet, else of PrisEnhetTxt (NELFO ``OP`` + ``PAR`` → PR); known PrisEnhet codes are
    remembered for :func:`_quick_draft` (so a line whose code comes from the text always takes the full path)."""
    code = _UNIT_CODES.get(unit) or unit_code(unit)
    if code is not None:
        _remember(_UNIT_CODES, unit, code)
    return code or unit_code(text)


# --- VA / VX ---------------------------------------------------------------------------------------


def _alternative(line: int, fields: Fields, rule: DecimalRule) -> Alternative:
    """``VA;VareMrk;VareNr;VaType;SalgsPakning``."""
    _, mark, article, code, pack, *_ = fields if len(fields) >= 5 else fields + _BLANK
    kind = _KINDS.get(code) or _KINDS.get(code.strip().upper())
    if kind is None:
        raise FieldError(line, 4, "VaType", f"VaType {code[:10]!r} is not E, A, V or P", missing=not code.strip())
    size = _SEEN_PACKS[pack] if pack in _SEEN_PACKS else _pack(line, 5, pack, rule)
    if kind == "PACK" and size is None:
        raise FieldError(line, 5, "SalgsPakning", "a pack alternative (P) without SalgsPakning", missing=True)
    article, mark = article.strip(), mark.strip()
    if kind != "PACK" and not article:
        raise FieldError(line, 3, "VareNr", f"an alternative ({code}) without VareNr", missing=True)
    return Alternative(kind, NUMBER_TYPES.get(mark, "SUPPLIER") if mark else None, article or None, size)


def _information(line: int, fields: Fields, extra: dict[str, str]) -> None:
    """``VX;FeltId;Verdi`` into ``extra`` as ``vx_<feltid>``."""
    name = text_or_none(fields, 2)
    if name is None:
        raise FieldError(line, 2, "FeltId", "VX line without FeltId", missing=True)
    key = base = f"vx_{name.lower()}"
    count = 1
    while key in extra:
        count += 1
        key = f"{base}_{count}"
    extra[key] = fields[2].strip() if len(fields) > 2 else ""


def _same_layout() -> bool:
    """Whether a _Draft can become a Price by re-classing (same fields and slots, no __post_init__)."""
    names = tuple(f.name for f in dataclasses.fields(Price))
    if names != _FIELDS or getattr(Price, "__slots__", None) != _FIELDS or hasattr(Price, "__post_init__"):
        return False
    try:
        object.__setattr__(_Draft(), "__class__", Price)  # CPython refuses it unless the layouts are the same
    except TypeError:
        return False
    return True


_SAME_LAYOUT = _same_layout()
