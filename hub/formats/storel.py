"""Storel "GN prislista", rabattbrev and nettoprisfil (FORMATS.md §2.1.1, §3.2) → canonical price records.

Three semicolon files without a record type, a wholesaler id or (except per article) dates; each in the
documented Storel layout or the municipal purchasing-portal variant (UTF-8, LF):

==================  =====================================================================================
GN price list       ``Artikelnummer;Benämning;Enhet;Materialgrupp;GN-Pris;Prisdatum;ALEM;Lagerförd;Status``
                    municipal: ``Artikelnummer;Benämning;Enhet;Förpackningsstorlek;Materialgrupp;GN-Pris;
                    Prisdatum;Lagerförd``
rabattbrev          ``Materialgrupp;Rabatt1;Rabatt2`` — municipal: ``Materialgrupp;Rabatt``
nettoprisfil        ``Artikelnummer;Benämning;Nettopris;Rabattgrupp;Prisdatum`` — municipal:
                    ``Artikelnummer;Pris;Prisdatum``
==================  =====================================================================================

Decisions (see also :mod:`hub.formats.delimited` for encodings and numbers):

* **Layout**: a header row naming ``Förpackningsstorlek`` means municipal, any other header standard; without
  a header the first row whose price and date columns fit one layout decides (municipal: price in column 6,
  date in 7; standard: price in 5, date in 6); nothing fits → standard. Import option ``layout``
  (``standard`` | ``municipal``) overrides. Net-price files likewise (``Nettopris``/``Benämning`` header or a
  price in column 3 → standard; a price in column 2 → municipal).
* **Header row**: the first non-blank row is a header when its price (or discount) column is not a number.
* **valid_from**: the import option ``valid_from`` wins (an operator's statement beats inference: Prisdatum is
  the date of each article's price, kept as ``Price.price_date``). Without it a price list takes the *latest*
  Prisdatum in the file — every price in it is valid from then on — found by a first pass over the (seekable)
  stream; no option and no Prisdatum → ``MissingFieldError``. A net-price file likewise; a rabattbrev has no
  dates, so without the option its agreement has ``valid_from`` None (effective from receipt).
* **Status** O → ACTIVE, UL → PHASING_OUT, PPB → PRICE_ON_REQUEST (its price may be empty: list price 0),
  empty → ACTIVE, other → UNKNOWN; the raw code is kept. Lagerförd L/J → stocked, N → not, empty → unknown.
* **Default discount**: the import option ``default_discount_percent``, else a rabattbrev row whose group is a
  wildcard (``*``, ``ÖVRIGT``, ``REST`` …, see :data:`~hub.formats.delimited.WILDCARD_GROUPS`).
* **Empty files**: a price list without article lines is refused (it would empty the catalogue); an empty
  nettoprisfil means "no net prices" (Storel: "an empty file means no net-price file available") and yields an
  agreement without net prices; an empty rabattbrev is refused unless the import gives a default discount.
* **Sniffing**: the three files are told apart by the shape of their first data row only, at the low score
  :data:`SHAPE_SCORE`; the partner's formats or ``format_hint`` (see :data:`TRANSLATOR_BY_KIND`) is the normal
  way. One head has at most one shape (:func:`storel_kind`), so they never tie with each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from typing import BinaryIO, ClassVar, Literal, cast

from hub.canonical.pricelist import ArticleStatus, DiscountAgreement, GroupDiscount, NetPrice, NumberType, Price
from hub.errors import InvalidValueError, MissingFieldError
from hub.formats.base import Sniffed, TranslationContext, TranslatorId
from hub.formats.delimited import (
    AUTO,
    DECIMAL_COMMA,
    MAX_LINE_BYTES,
    UTF8_BOM,
    VALID_FROM_HINT,
    BadLine,
    Column,
    DiscountCollector,
    PriceListFrame,
    Row,
    RowView,
    failures,
    number_type,
    option_date,
    parse_date,
    read_rows,
    require_valid_from,
    split_fields,
    trim_trailing,
)
from hub.pricing.units import unit_code

Kind = Literal["price_list", "discount_letter", "net_prices"]
SHAPE_SCORE = 5
TRANSLATOR_BY_KIND: Mapping[Kind, str] = {
    "price_list": "storel-gn-prices",
    "discount_letter": "storel-discounts",
    "net_prices": "storel-net-prices",
}
_PEEK_ROWS = 20
_STATUS: Mapping[str, ArticleStatus] = {"O": "ACTIVE", "UL": "PHASING_OUT", "PPB": "PRICE_ON_REQUEST"}
_STOCKED = {"L": True, "J": True, "N": False}
_MAX_PERCENT_CHARS = 6


@dataclass(frozen=True, slots=True)
class GnLayout:
    name: str
    width: int
    price: Column
    date: Column
    group: Column
    stocked: Column
    pack: Column | None = None
    alem: Column | None = None
    status: Column | None = None


_ARTICLE, _DESCRIPTION, _UNIT = Column(0, "Artikelnummer"), Column(1, "Benämning"), Column(2, "Enhet")
GN_STANDARD = GnLayout(
    "standard", 9, Column(4, "GN-Pris"), Column(5, "Prisdatum"), Column(3, "Materialgrupp"), Column(7, "Lagerförd"),
    alem=Column(6, "ALEM"), status=Column(8, "Status"),
)  # fmt: skip
GN_MUNICIPAL = GnLayout(
    "municipal", 8, Column(5, "GN-Pris"), Column(6, "Prisdatum"), Column(4, "Materialgrupp"), Column(7, "Lagerförd"),
    pack=Column(3, "Förpackningsstorlek"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NetLayout:
    name: str
    width: int
    price: Column
    date: Column
    description: Column | None = None


NET_STANDARD = NetLayout("standard", 5, Column(2, "Nettopris"), Column(4, "Prisdatum"), _DESCRIPTION)
NET_MUNICIPAL = NetLayout("municipal", 3, Column(1, "Pris"), Column(2, "Prisdatum"))
_GROUP, _DISCOUNT_1, _DISCOUNT_2 = Column(0, "Materialgrupp"), Column(1, "Rabatt 1"), Column(2, "Rabatt 2")


# --- sniffing ---------------------------------------------------------------------------------------


def storel_kind(head: bytes) -> Kind | None:
    """The one Storel file kind the first data row of ``head`` is shaped like, or None."""
    text = head.removeprefix(UTF8_BOM).decode("latin-1")
    lines = [line for line in text.splitlines() if line.strip()][:2]  # the first may be a header
    for line in lines:
        kind = _shape(trim_trailing(split_fields(line, ";")))
        if kind is not None:
            return kind
    return None


def _shape(values: Sequence[str]) -> Kind | None:
    if _gn_shape(values) is not None:
        return "price_list"
    if _net_shape(values) is not None:
        return "net_prices"
    if len(values) in (2, 3) and all(_percent(v) is not None for v in values[1:]):
        return "discount_letter"
    return None


def _number(text: str) -> bool:
    return DECIMAL_COMMA.parse(text) is not None


def _gn_shape(values: Sequence[str]) -> GnLayout | None:
    for layout in (GN_MUNICIPAL, GN_STANDARD):
        fits = layout.date.index < len(values) <= layout.width and _number(values[layout.price.index])
        if fits and parse_date(values[layout.date.index]) is not None:
            return layout
    return None


def _net_shape(values: Sequence[str]) -> NetLayout | None:
    for layout in (NET_STANDARD, NET_MUNICIPAL):
        if len(values) == layout.width and _number(values[layout.price.index]) and parse_date(values[-1]):
            return layout
    return None


def _percent(text: str) -> Decimal | None:
    text = text.removesuffix("%").strip()
    number = DECIMAL_COMMA.parse(text) if len(text) <= _MAX_PERCENT_CHARS else None
    return number if number is not None and 0 <= number <= 100 else None


class _StorelBase:
    kind: ClassVar[Kind]

    def accepts(self, sniffed: Sniffed) -> int:
        return SHAPE_SCORE if sniffed.syntax == "csv" and storel_kind(sniffed.head) == self.kind else 0

    def check_kind(self, context: TranslationContext) -> None:
        """An import option ``kind`` that names another file kind is an operator error, not a guess."""
        kind = context.options.get("kind", "").strip()
        if kind and kind != self.kind:
            raise InvalidValueError(f"import option kind {kind!r} does not fit this translator ({self.kind})")


# --- shared reading ---------------------------------------------------------------------------------


def _rows(stream: BinaryIO, context: TranslationContext) -> Iterator[Row | BadLine]:
    """Storel rows; the encoding is detected unless the import option ``encoding`` names one."""
    return read_rows(stream, encoding=context.options.get("encoding", AUTO) or AUTO)


def _peek(rows: Iterator[Row | BadLine]) -> tuple[list[Row], bool, Iterator[Row | BadLine]]:
    """The first rows (for layout and header), whether there is more than one line, and every row still."""
    head = list(islice(rows, _PEEK_ROWS))
    return [r for r in head if isinstance(r, Row)], len(head) > 1, chain(head, rows)


def _header_line(head: Sequence[Row], value_column: Column) -> int | None:
    """The line of the header row: the first row, when its price/discount column is not a number."""
    if not head:
        return None
    values = head[0].values
    text = str(values[value_column.index]) if value_column.index < len(values) else ""
    return None if _number(text.removesuffix("%").strip()) else head[0].line


def _option_layout(options: Mapping[str, str], layouts: Sequence[GnLayout] | Sequence[NetLayout]) -> str | None:
    name = options.get("layout", "").strip().lower()
    if name and name not in {layout.name for layout in layouts}:
        raise InvalidValueError(f"import option layout {name!r} is not one of standard, municipal")
    return name or None


def _currency(context: TranslationContext) -> str:
    return context.mapping.currency if context.mapping else context.options.get("currency") or "SEK"


def _normalised(values: Sequence[object]) -> list[str]:
    return [str(v).strip().lower() for v in values]


# --- GN price list ----------------------------------------------------------------------------------


class StorelPriceListTranslator(_StorelBase):
    """Storel GN price list (standard and municipal layout) → ``PriceListVersion`` + ``Price`` records."""

    id: ClassVar[TranslatorId] = TranslatorId("storel-gn-prices", 1)
    record_type: ClassVar[str] = Price.TYPE
    description: ClassVar[str] = "Storel GN prislista (semicolon, ANSI or UTF-8; standard and municipal layout)"
    kind: ClassVar[Kind] = "price_list"

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        start = stream.tell() if stream.seekable() else None
        self.check_kind(context)
        head, several, rows = _peek(_rows(stream, context))
        layout = _gn_layout(head, context.options)
        header = _header_line(head, layout.price)
        if not several and (not head or head[0].line == header):
            raise MissingFieldError("the price list has no article lines")
        valid_from = option_date(context.options)
        if valid_from is None:
            valid_from = _latest_date(stream, start, layout.date)
            rows = _rows(stream, context)
        frame = PriceListFrame(context, valid_from, _currency(context))
        yield frame.announced()
        numbers = number_type(context)
        yield from frame.lines(rows, lambda row: _gn_price(RowView(row), layout, frame, numbers), header)
        yield frame.complete()


def _gn_layout(head: Sequence[Row], options: Mapping[str, str]) -> GnLayout:
    forced = _option_layout(options, (GN_STANDARD, GN_MUNICIPAL))
    if forced is not None:
        return GN_STANDARD if forced == "standard" else GN_MUNICIPAL
    for row in head:
        names = _normalised(row.values)
        if any(name.startswith("förpackning") for name in names):
            return GN_MUNICIPAL
        if names and names[0].startswith("artikel"):
            return GN_STANDARD
        found = _gn_shape(trim_trailing([str(v) for v in row.values]))
        if found is not None:
            return found
    return GN_STANDARD


def _latest_date(stream: BinaryIO, start: int | None, column: Column) -> date:
    """The latest date in ``column``: a quick first pass over the raw lines, then the stream is rewound.

    Dates are compared as their digits (YYYYMMDD and YYYY-MM-DD order like the dates); bad values are
    reported by the second, real pass.
    """
    if start is None:
        raise MissingFieldError(f"the price list cannot be scanned twice for its dates; {VALID_FROM_HINT}")
    stream.seek(start)
    latest: bytes = b""
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        fields = raw.split(b";")
        found = fields[column.index].strip().replace(b"-", b"") if column.index < len(fields) else b""
        if found > latest and parse_date(found.decode("latin-1")) is not None:
            latest = found
    stream.seek(start)
    if not latest:
        raise MissingFieldError(f"the price list has no {column.label}; {VALID_FROM_HINT}")
    return require_valid_from(parse_date(latest.decode("latin-1")))


def _gn_price(view: RowView, layout: GnLayout, frame: PriceListFrame, numbers: NumberType) -> Price:
    fields = _fields(view, layout.width, f"the {layout.name} GN price list")
    article, description, unit = fields[0], fields[1] or None, fields[2] or None
    if not article:
        raise view.error(MissingFieldError, f"{_ARTICLE.label} is empty", _ARTICLE)
    raw_status = fields[layout.status.index] or None if layout.status else None
    status = _STATUS.get(raw_status.upper(), "UNKNOWN") if raw_status else "ACTIVE"
    price = _gn_amount(view, layout.price, status)
    return Price(
        version_id=frame.version_id,
        wholesaler_id=frame.wholesaler_id,
        scope=frame.scope,
        valid_from=frame.valid_from,
        article_number=article,
        number_type=numbers,
        list_price=price,
        price_quantity=Decimal(1),
        unit_list_price=price,
        price_type="GROSS",
        status=status,
        line=view.row.line,
        description=description,
        unit=unit,
        unit_code=unit_code(unit),
        discount_group=fields[layout.group.index] or None,
        raw_status=raw_status,
        stocked=_STOCKED.get(fields[layout.stocked.index].upper()),
        pack_size=view.decimal(layout.pack) if layout.pack else None,
        price_date=view.date(layout.date),
        extra=_extra(fields, layout),
    )


def _fields(view: RowView, width: int, what: str) -> list[str]:
    """The row's (text) fields padded to ``width``; more non-empty fields than that is a bad line."""
    values = cast("list[str]", view.row.values)
    if len(values) > width:
        count = len(trim_trailing(values))
        if count > width:
            raise view.error(InvalidValueError, f"the line has {count} fields; {what} has at most {width}")
        return values[:width]
    return values + [""] * (width - len(values))


def _gn_amount(view: RowView, column: Column, status: ArticleStatus) -> Decimal:
    price = view.decimal(column)
    if price is None and status == "PRICE_ON_REQUEST":
        return Decimal(0)
    if price is None:
        raise view.error(MissingFieldError, f"{column.label} is empty", column)
    if price < 0:
        raise view.error(InvalidValueError, f"{column.label} {price} is negative", column)
    return price


def _extra(fields: Sequence[str], layout: GnLayout) -> dict[str, str]:
    extra: dict[str, str] = {}
    alem, stocked = fields[layout.alem.index] if layout.alem else "", fields[layout.stocked.index]
    if alem:
        extra["alem"] = alem
    if stocked and stocked.upper() not in _STOCKED:
        extra["stocked_raw"] = stocked
    return extra


# --- rabattbrev -------------------------------------------------------------------------------------


class StorelDiscountTranslator(_StorelBase):
    """Storel rabattbrev (``Materialgrupp;Rabatt1;Rabatt2`` or ``Materialgrupp;Rabatt``) → ``DiscountAgreement``."""

    id: ClassVar[TranslatorId] = TranslatorId("storel-discounts", 1)
    record_type: ClassVar[str] = DiscountAgreement.TYPE
    description: ClassVar[str] = "Storel rabattbrev (discount per materialgrupp, semicolon)"
    kind: ClassVar[Kind] = "discount_letter"

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        self.check_kind(context)
        head, _, rows = _peek(_rows(stream, context))
        header = _header_line(head, _DISCOUNT_1)
        collector = DiscountCollector(context)
        yield from failures(rows, lambda row: _take_group(RowView(row), collector), header)
        if collector.empty:
            raise MissingFieldError("the discount letter has no usable discount lines")
        yield collector.agreement(option_date(context.options))


def _take_group(view: RowView, collector: DiscountCollector) -> None:
    collector.group(view, _GROUP, _group_discount(view))


def _group_discount(view: RowView) -> GroupDiscount:
    _fields(view, 3, "a rabattbrev")
    group = view.required(_GROUP)
    first = _discount(view, _DISCOUNT_1)
    if first is None:
        raise view.error(MissingFieldError, f"{_DISCOUNT_1.label} is empty", _DISCOUNT_1)
    return GroupDiscount(group, first, _discount(view, _DISCOUNT_2))


def _discount(view: RowView, column: Column) -> Decimal | None:
    text = view.text(column)
    if text is None:
        return None
    found = _percent(text)
    if found is None:
        message = f"{column.label} {text!r} is not a percentage (0–100, decimal comma, at most 6 characters)"
        raise view.error(InvalidValueError, message, column)
    return found


# --- nettoprisfil -----------------------------------------------------------------------------------


class StorelNetPriceTranslator(_StorelBase):
    """Storel nettoprisfil (standard 5 columns, municipal 3) → ``DiscountAgreement`` with article net prices."""

    id: ClassVar[TranslatorId] = TranslatorId("storel-net-prices", 1)
    record_type: ClassVar[str] = DiscountAgreement.TYPE
    description: ClassVar[str] = "Storel nettoprisfil (article net prices, semicolon)"
    kind: ClassVar[Kind] = "net_prices"

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        self.check_kind(context)
        head, _, rows = _peek(_rows(stream, context))
        layout = _net_layout(head, context.options)
        header = _header_line(head, layout.price)
        collector, numbers = DiscountCollector(context, _currency(context)), number_type(context)
        yield from failures(rows, lambda row: _take_net(RowView(row), layout, numbers, collector), header)
        yield collector.agreement(option_date(context.options) or collector.latest_date)


def _net_layout(head: Sequence[Row], options: Mapping[str, str]) -> NetLayout:
    forced = _option_layout(options, (NET_STANDARD, NET_MUNICIPAL))
    if forced is not None:
        return NET_STANDARD if forced == "standard" else NET_MUNICIPAL
    for row in head:
        names = _normalised(row.values)
        if any(name.startswith(("nettopris", "benämning", "rabattgrupp")) for name in names):
            return NET_STANDARD
        if len(names) > 1 and names[1] == "pris":
            return NET_MUNICIPAL
        values = [str(v) for v in row.values]
        if len(values) > 1 and _number(values[1]):
            return NET_MUNICIPAL
        if len(values) > 2 and _number(values[2]):
            return NET_STANDARD
    return NET_STANDARD


def _take_net(view: RowView, layout: NetLayout, numbers: NumberType, collector: DiscountCollector) -> None:
    collector.net_price(view, _ARTICLE, *_net_price(view, layout, numbers))


def _net_price(view: RowView, layout: NetLayout, numbers: NumberType) -> tuple[NetPrice, date | None]:
    _fields(view, layout.width, f"the {layout.name} nettoprisfil")
    article = view.required(_ARTICLE)
    price = view.required_decimal(layout.price)
    if price < 0:
        raise view.error(InvalidValueError, f"{layout.price.label} {price} is negative", layout.price)
    net = NetPrice(
        article_number=article,
        net_price=price,
        number_type=numbers,
        description=view.text(layout.description),
    )
    return net, view.date(layout.date)
