"""Mapped CSV and XLSX price files: any column layout, read through a configured :class:`ColumnMapping`.

For files the hub has no translator for (a web shop's XLSX export, a wholesaler's own CSV). Both translators
are chosen only by name (``format_hint`` / the partner's formats; :meth:`accepts` is always 0) and are driven
entirely by ``context.mapping``:

* ``kind``: ``price_list`` → ``PriceListVersion`` + ``Price`` records (the protocol of
  :class:`~hub.formats.delimited.PriceListFrame`); ``discount_letter`` → one ``DiscountAgreement`` with group
  discounts (the group is ``columns.discount_group``, else ``columns.article_number``; a wildcard group such
  as ``*`` is the default discount, as for Storel); ``net_prices`` → one ``DiscountAgreement`` with net prices.
* Columns: a 1-based index, an Excel letter (upper case, ``A``–``XFD``) or a header text (case-insensitive,
  trimmed). A text is first looked up in the header row — so a column headed ``EAN`` is found by its header —
  and only then read as a letter or a number. The header row is the last non-blank of the first
  ``header_rows`` lines/rows (counted as physical lines, blank ones included); data starts after them.
  A column that is not in the file is an error naming the file's headers.
* CSV: ``encoding`` (a codec name, or ``auto`` to detect UTF-8 / Windows-1252 as for Storel; a UTF-8 BOM
  always wins), ``delimiter``, ``decimal_separator``, ``thousands_separator`` (digits grouped by three).
* XLSX: see :mod:`hub.formats.mapped_xlsx`. Numeric cells come as floats and are read at Excel's own
  precision, 15 significant digits (12.35 → ``Decimal("12.35")``, 0.1+0.2 → ``0.3``); text cells follow the
  mapping's separators.
* The mapping has no date columns: ``valid_from`` is the import option (required for price lists,
  ``MissingFieldError`` naming ``hub import --valid-from``; a discount agreement without it has None).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import BinaryIO, ClassVar

from hub.canonical.pricelist import ArticleStatus, GroupDiscount, NetPrice, Price
from hub.errors import DocumentError, InvalidValueError, MissingFieldError
from hub.formats.base import Sniffed, TranslationContext, TranslatorId
from hub.formats.delimited import (
    AUTO,
    BadLine,
    Column,
    DiscountCollector,
    Locator,
    NumberFormat,
    PriceListFrame,
    Row,
    RowView,
    cell_text,
    failures,
    line_location,
    option_date,
    read_rows,
    require_valid_from,
)
from hub.formats.mapped_xlsx import letter_index, read_sheet, sheet_locator
from hub.formats.mapping import ColumnMapping, ColumnRef
from hub.pricing.units import unit_code

_LETTERS = re.compile(r"[A-Z]{1,3}")
_STATUS: dict[str, ArticleStatus] = {
    "O": "ACTIVE", "A": "ACTIVE", "AKTIV": "ACTIVE", "ACTIVE": "ACTIVE", "NY": "NEW", "NEW": "NEW",
    "UL": "PHASING_OUT", "UTGÅENDE": "PHASING_OUT", "UTGÅR": "PHASING_OUT", "PHASING_OUT": "PHASING_OUT",
    "UTGÅTT": "DISCONTINUED", "DISCONTINUED": "DISCONTINUED", "PPB": "PRICE_ON_REQUEST",
}  # fmt: skip
_OPTIONAL: tuple[str, ...] = ("description", "unit", "price", "price_quantity", "discount_group", "gtin", "status")
_OPTIONAL += ("discount_percent", "discount_percent_2")


class MappedCsvTranslator:
    """A delimited text file read through the import's column mapping."""

    id: ClassVar[TranslatorId] = TranslatorId("mapped-csv", 1)
    record_type: ClassVar[str] = Price.TYPE  # or DiscountAgreement, by the mapping's kind
    description: ClassVar[str] = "CSV price list / discount letter / net prices read through a column mapping"

    def accepts(self, sniffed: Sniffed) -> int:
        return 0  # chosen by name only

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        mapping = require_mapping(context, "csv")
        _check_codec(mapping.encoding)
        rows = read_rows(stream, encoding=mapping.encoding, delimiter=mapping.delimiter)
        yield from translate_rows(rows, mapping, context, line_location)


class MappedXlsxTranslator:
    """One sheet of an XLSX workbook read through the import's column mapping."""

    id: ClassVar[TranslatorId] = TranslatorId("mapped-xlsx", 1)
    record_type: ClassVar[str] = Price.TYPE  # or DiscountAgreement, by the mapping's kind
    description: ClassVar[str] = "XLSX price list / discount letter / net prices read through a column mapping"

    def accepts(self, sniffed: Sniffed) -> int:
        return 0  # chosen by name only

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        mapping = require_mapping(context, "xlsx")
        sheet, rows = read_sheet(stream, mapping)
        yield from translate_rows(rows, mapping, context, sheet_locator(sheet))


def require_mapping(context: TranslationContext, file_type: str) -> ColumnMapping:
    mapping = context.mapping
    if mapping is None:
        raise MissingFieldError("no column mapping given; import with --mapping NAME")
    if mapping.file_type != file_type:
        raise InvalidValueError(f"mapping {mapping.name!r} is for {mapping.file_type} files, not {file_type}")
    if mapping.thousands_separator == mapping.decimal_separator:
        raise InvalidValueError(f"mapping {mapping.name!r} uses {mapping.decimal_separator!r} for both separators")
    return mapping


def _check_codec(encoding: str) -> None:
    """A known codec that writes a line feed as the byte LF (UTF-16/32 do not: save such files as UTF-8)."""
    if encoding == AUTO:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidValueError(f"the mapping's encoding {encoding!r} is not known") from None
    if "\n".encode(encoding) != b"\n":
        raise InvalidValueError(f"the mapping's encoding {encoding!r} is not read line by line; use utf-8")


# --- columns ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Columns:
    """The mapping's columns resolved against the file (None: not mapped)."""

    article_number: Column
    description: Column | None
    unit: Column | None
    price: Column | None
    price_quantity: Column | None
    discount_group: Column | None
    gtin: Column | None
    status: Column | None
    discount_percent: Column | None
    discount_percent_2: Column | None


@dataclass(frozen=True, slots=True)
class _Header:
    names: Sequence[str] | None  # None: the mapping has no header row
    where: str  # where the header row is (or would be)


def resolve_columns(mapping: ColumnMapping, header: _Header) -> Columns:
    article = _resolve(mapping.columns.article_number, "article_number", mapping, header)
    found = {name: _maybe(getattr(mapping.columns, name), name, mapping, header) for name in _OPTIONAL}
    return Columns(article, **found)


def _maybe(ref: ColumnRef | None, field: str, mapping: ColumnMapping, header: _Header) -> Column | None:
    return None if ref is None else _resolve(ref, field, mapping, header)


def _resolve(ref: ColumnRef, field: str, mapping: ColumnMapping, header: _Header) -> Column:
    names = header.names
    text = str(ref).strip()
    if isinstance(ref, str) and names is not None:
        for index, name in enumerate(names):
            if name.casefold() == text.casefold():
                return Column(index, name)
    if isinstance(ref, int) or text.isdigit() or _LETTERS.fullmatch(text):
        index = int(text) - 1 if text.isdigit() else letter_index(text)
        if index >= 0 and (names is None or index < len(names)):
            return Column(index, names[index] if names and names[index] else field)
    raise _misfit(text, field, mapping, header)


def _misfit(text: str, field: str, mapping: ColumnMapping, header: _Header) -> DocumentError:
    if header.names is None:
        message = f"column {text!r} ({field}) cannot be found: the mapping has no header row (header_rows: 0)"
        return MissingFieldError(f"mapping {mapping.name!r}: {message}", location=header.where)
    if not header.names:
        message = f"the file has no header row in its first {mapping.header_rows} rows (is it empty?)"
        return MissingFieldError(f"mapping {mapping.name!r}: {message}", location=header.where)
    shown = ", ".join(repr(name) for name in header.names if name)
    message = f"column {text!r} ({field}) is not in the file; the file's headers are: {shown}"
    return MissingFieldError(f"mapping {mapping.name!r}: {message}", location=header.where)


def _split(
    rows: Iterator[Row | BadLine], mapping: ColumnMapping, locate: Locator
) -> tuple[_Header, Iterator[Row | BadLine]]:
    """The header (the last non-blank of the first ``header_rows`` rows) and the data rows after it."""
    last: Row | None = None
    for item in rows:
        if item.line > mapping.header_rows:
            return _header_of(last, mapping, locate), chain([item], rows)
        if isinstance(item, BadLine):
            raise item.error
        last = item
    return _header_of(last, mapping, locate), iter(())


def _header_of(row: Row | None, mapping: ColumnMapping, locate: Locator) -> _Header:
    if mapping.header_rows == 0:
        return _Header(None, locate(1, None))
    if row is None:
        return _Header([], locate(mapping.header_rows, None))
    return _Header([cell_text(v) or "" for v in row.values], locate(row.line, None))


def _need(column: Column | None, field: str, mapping: ColumnMapping) -> Column:
    if column is None:
        raise MissingFieldError(
            f"mapping {mapping.name!r} names no {field} column (columns.{field}); {mapping.kind} needs one"
        )
    return column


# --- records ----------------------------------------------------------------------------------------


def translate_rows(
    rows: Iterator[Row | BadLine], mapping: ColumnMapping, context: TranslationContext, locate: Locator
) -> Iterator[object]:
    """The records of a mapped file's rows (see the module docstring)."""
    header, data = _split(rows, mapping, locate)
    reader = _Reader(mapping, resolve_columns(mapping, header), locate)
    if mapping.kind == "price_list":
        yield from _price_list(data, reader, context, header)
    else:
        yield from _agreement(data, reader, context)


def _price_list(
    data: Iterator[Row | BadLine], reader: _Reader, context: TranslationContext, header: _Header
) -> Iterator[object]:
    valid_from = require_valid_from(option_date(context.options))
    _need(reader.columns.price, "price", reader.mapping)
    first = next(data, None)
    if first is None:
        raise MissingFieldError("the price list has no data rows", location=header.where)
    frame = PriceListFrame(context, valid_from, reader.mapping.currency)
    yield frame.announced()
    yield from frame.lines(chain([first], data), lambda row: reader.price(row, frame))
    yield frame.complete()


def _agreement(data: Iterator[Row | BadLine], reader: _Reader, context: TranslationContext) -> Iterator[object]:
    letter = reader.mapping.kind == "discount_letter"
    collector = DiscountCollector(context, None if letter else reader.mapping.currency)
    take = reader.group_discount if letter else reader.net_price
    yield from failures(data, lambda row: take(row, collector))
    if letter and collector.empty:
        raise MissingFieldError("the discount letter has no usable discount rows")
    yield collector.agreement(option_date(context.options))


class _Reader:
    """Reads one data row into a record, through the resolved columns."""

    def __init__(self, mapping: ColumnMapping, columns: Columns, locate: Locator) -> None:
        self.mapping, self.columns, self._locate = mapping, columns, locate
        self._numbers = NumberFormat(mapping.decimal_separator, mapping.thousands_separator)
        if mapping.kind == "discount_letter":
            self._group = columns.discount_group or columns.article_number
            self._discount = _need(columns.discount_percent, "discount_percent", mapping)
        elif mapping.kind == "net_prices":
            _need(columns.price, "price", mapping)

    def view(self, row: Row) -> RowView:
        return RowView(row, self._numbers, self._locate)

    def price(self, row: Row, frame: PriceListFrame) -> Price:
        view, cols = self.view(row), self.columns
        article = view.required(cols.article_number)
        price = self._amount(view, _need(cols.price, "price", self.mapping))
        quantity = self._quantity(view)
        unit, raw_status = view.text(cols.unit), view.text(cols.status)
        return Price(
            version_id=frame.version_id,
            wholesaler_id=frame.wholesaler_id,
            scope=frame.scope,
            valid_from=frame.valid_from,
            article_number=article,
            number_type=self.mapping.number_type,
            list_price=price,
            price_quantity=quantity,
            unit_list_price=price if quantity == 1 else price / quantity,
            price_type=self.mapping.price_type,
            status=_STATUS.get(raw_status.upper(), "UNKNOWN") if raw_status else "ACTIVE",
            line=row.line,
            gtin=view.text(cols.gtin),
            description=view.text(cols.description),
            unit=unit,
            unit_code=unit_code(unit),
            discount_group=view.text(cols.discount_group),
            discount_percent=self._percent(view, cols.discount_percent),
            raw_status=raw_status,
        )

    def group_discount(self, row: Row, collector: DiscountCollector) -> None:
        view = self.view(row)
        group = view.required(self._group)
        first = self._percent(view, self._discount)
        if first is None:
            raise view.error(MissingFieldError, f"{self._discount.label} is empty", self._discount)
        discount = GroupDiscount(group, first, self._percent(view, self.columns.discount_percent_2))
        collector.group(view, self._group, discount)

    def net_price(self, row: Row, collector: DiscountCollector) -> None:
        view, cols = self.view(row), self.columns
        article = view.required(cols.article_number)
        net = NetPrice(
            article_number=article,
            net_price=self._amount(view, _need(cols.price, "price", self.mapping)),
            price_quantity=self._quantity(view),
            unit=view.text(cols.unit),
            number_type=self.mapping.number_type,
            description=view.text(cols.description),
        )
        collector.net_price(view, cols.article_number, net)

    def _amount(self, view: RowView, column: Column) -> Decimal:
        amount = view.required_decimal(column)
        if amount < 0:
            raise view.error(InvalidValueError, f"{column.label} {amount} is negative", column)
        return amount

    def _quantity(self, view: RowView) -> Decimal:
        column = self.columns.price_quantity
        quantity = view.decimal(column)
        if quantity is not None and quantity <= 0:
            raise view.error(InvalidValueError, f"price quantity {quantity} is not positive", column)
        return quantity or Decimal(1)

    def _percent(self, view: RowView, column: Column | None) -> Decimal | None:
        found = view.decimal(column)
        if found is not None and not 0 <= found <= 100:
            raise view.error(InvalidValueError, f"discount {found} is not between 0 and 100", column)
        return found
