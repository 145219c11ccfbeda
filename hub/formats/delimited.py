"""Delimited price files and spreadsheet rows: reading, numbers, dates, and the price-file output frame.

Shared by the Storel translators (:mod:`hub.formats.storel`) and the mapped CSV/XLSX translators
(:mod:`hub.formats.mapped`). Reading is streaming: :func:`read_rows` yields one numbered :class:`Row` per
physical line (blank lines skipped), so a 1M-line list never sits in memory.

Encodings (FORMATS.md §6): a UTF-8 byte order mark always means UTF-8. Otherwise ``"auto"`` stays
undecided while lines are plain ASCII and locks on the first line that is not: UTF-8 if that line is valid
UTF-8, else Windows-1252 ("ANSI"). After the lock a line that does not decode is a bad line, never guessed.
Line ends are CR LF or LF; a trailing DOS end-of-file mark (Ctrl-Z) is ignored. A quoted field may hold the
delimiter (Excel's CSV export) but not a line break.

Numbers (:class:`NumberFormat`) are strict: the configured decimal separator, an optional thousands separator
that must group digits by three, nothing else — "15.00" in a decimal-comma file is a bad line, not 1500 or 15.

The output frame (:class:`PriceListFrame`, :class:`DiscountCollector`) implements the record protocol every
price-file translator follows: ``PriceListVersion`` ANNOUNCED, one ``Price`` or ``FailedRecord`` per data
line, ``PriceListVersion`` COMPLETE with counts and the first 100 line problems; discount files yield their
``FailedRecord``s as they come and then one ``DiscountAgreement``.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import BinaryIO, TypeVar, get_args

from hub.canonical.pricelist import (
    DiscountAgreement,
    GroupDiscount,
    LineProblem,
    NetPrice,
    NumberType,
    Price,
    PriceListVersion,
)
from hub.errors import DocumentError, InvalidValueError, LocalSignal, MissingFieldError, ParseError
from hub.formats.base import FailedRecord, TranslationContext

UTF8_BOM = b"\xef\xbb\xbf"
AUTO = "auto"
MAX_LINE_BYTES = 256 * 1024
LINE_REPORT_SIZE = 100
VALID_FROM_HINT = "give the import a valid-from date (hub import --valid-from)"
# Group codes that mean "every other group" in a discount letter ("35 % on the rest"), upper case.
WILDCARD_GROUPS = frozenset({"*", "ÖVRIGT", "ÖVRIGA", "REST", "RESTEN", "ALLA", "ALLT", "DEFAULT", "OTHER", "OTHERS"})

Cell = str | int | float | bool | date | datetime | time | timedelta
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Row:
    """One physical line (CSV) or row (XLSX) with its 1-based number; text values are stripped."""

    line: int
    values: Sequence[Cell]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that cannot be used: the error (with its location) and the field it concerns."""

    line: int
    error: DocumentError
    field: str | None = None


class RowError(LocalSignal):
    """Raised while reading one row; the translator turns it into a ``FailedRecord`` and goes on."""

    def __init__(self, bad: BadLine) -> None:
        super().__init__(bad.error.message)
        self.bad = bad


# --- text lines -------------------------------------------------------------------------------------


class LineDecoder:
    """Decodes lines in one encoding, or detects it (``"auto"``, see the module docstring)."""

    def __init__(self, encoding: str = AUTO) -> None:
        self.encoding: str | None = None if encoding == AUTO else encoding

    def decode(self, raw: bytes, line: int) -> str:
        if line == 1 and raw.startswith(UTF8_BOM):
            self.encoding, raw = "utf-8", raw[len(UTF8_BOM) :]
        if self.encoding is None:
            if raw.isascii():
                return raw.decode("ascii")
            self.encoding = "utf-8" if _is_utf8(raw) else "cp1252"
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            message = f"line is not valid {self.encoding} text (byte {exc.start + 1}: {raw[exc.start : exc.end]!r})"
            raise InvalidValueError(message, location=f"line {line}") from None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_rows(stream: BinaryIO, *, encoding: str = AUTO, delimiter: str = ";") -> Iterator[Row | BadLine]:
    """Numbered rows of a delimited text stream; a line that does not decode comes as a :class:`BadLine`."""
    decoder = LineDecoder(encoding)
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            message = f"line longer than {MAX_LINE_BYTES} bytes: not a line-based text file"
            raise ParseError(message, location=f"line {number}")
        try:
            text = decoder.decode(raw.rstrip(b"\r\n"), number)
        except InvalidValueError as exc:
            yield BadLine(number, exc)
            continue
        fields = split_fields(text, delimiter) if text.strip(" \t\x1a") else []
        if any(fields):  # blank lines and lines of empty fields (";;;;" from a spreadsheet) are skipped
            yield Row(number, fields)


def split_fields(text: str, delimiter: str) -> list[str]:
    """The stripped fields of one line; quotes are honoured only when the line has any."""
    fields = next(csv.reader([text], delimiter=delimiter)) if '"' in text else text.split(delimiter)
    return [f.strip() for f in fields]


def trim_trailing(values: Sequence[str]) -> list[str]:
    """``values`` without trailing empty fields (a line ending in ``;`` has no extra column)."""
    end = len(values)
    while end and not values[end - 1]:
        end -= 1
    return list(values[:end])


# --- numbers, dates and cells -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberFormat:
    decimal: str = ","
    thousands: str = ""

    def parse(self, text: str) -> Decimal | None:
        """The number written in ``text``, or None when it is not one in this format."""
        if self.thousands == " ":
            text = text.replace("\xa0", " ").replace("\u202f", " ")
        match = _number_pattern(self.decimal, self.thousands).fullmatch(text.strip())
        if match is None:
            return None
        return Decimal(match.group(0).replace(self.thousands or "\0", "").replace(self.decimal, "."))

    def describe(self) -> str:
        grouping = f", thousands {self.thousands!r}" if self.thousands else ""
        return f"decimal {self.decimal!r}{grouping}"


@functools.cache
def _number_pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    grouped = rf"|\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+" if thousands else ""
    return re.compile(rf"[-+]?(?:\d+{grouped})(?:{re.escape(decimal)}\d+)?")


DECIMAL_COMMA = NumberFormat()


@functools.lru_cache(maxsize=4096)  # a price file repeats a handful of dates
def parse_date(text: str) -> date | None:
    """``YYYYMMDD`` (Storel Prisdatum) or ISO ``YYYY-MM-DD``; None when ``text`` is neither."""
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if len(text) != 10 or text[4] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def cell_text(value: Cell) -> str | None:
    """A cell as text (stripped; None when empty). XLSX floats are read at Excel's 15 significant digits."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def cell_decimal(value: Cell, numbers: NumberFormat) -> Decimal | None:
    """A numeric cell (int, float at 15 significant digits) or a text cell in ``numbers``; None if neither."""
    if isinstance(value, str):
        return numbers.parse(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value):  # inf / nan: never from a sane sheet, never trusted
        return Decimal(format(value, ".15g"))
    return None


def cell_date(value: Cell) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(value) if isinstance(value, str) else None


# --- columns and rows -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    index: int  # 0-based
    label: str  # the header text or the documented field name


Locator = Callable[[int, "Column | None"], str]


def line_location(line: int, column: Column | None) -> str:
    """``line 12, column 5 (GN-Pris)``: where a CSV problem is."""
    return f"line {line}" if column is None else f"line {line}, column {column.index + 1} ({column.label})"


class RowView:
    """Typed access to one row's cells; problems raise :class:`RowError` naming line and column."""

    __slots__ = ("_locate", "_numbers", "row")

    def __init__(self, row: Row, numbers: NumberFormat = DECIMAL_COMMA, locate: Locator = line_location) -> None:
        self.row, self._numbers, self._locate = row, numbers, locate

    def cell(self, column: Column | None) -> Cell:
        values = self.row.values
        return values[column.index] if column is not None and column.index < len(values) else ""

    def text(self, column: Column | None) -> str | None:
        value = self.cell(column)
        return (value or None) if isinstance(value, str) else cell_text(value)

    def required(self, column: Column) -> str:
        text = self.text(column)
        if text is None:
            raise self.error(MissingFieldError, f"{column.label} is empty", column)
        return text

    def decimal(self, column: Column | None) -> Decimal | None:
        value = self.cell(column)
        if column is None or cell_text(value) is None:
            return None
        number = cell_decimal(value, self._numbers)
        if number is None:
            message = f"{column.label} {cell_text(value)!r} is not a number ({self._numbers.describe()})"
            raise self.error(InvalidValueError, message, column)
        return number

    def required_decimal(self, column: Column) -> Decimal:
        number = self.decimal(column)
        if number is None:
            raise self.error(MissingFieldError, f"{column.label} is empty", column)
        return number

    def date(self, column: Column | None) -> date | None:
        value = self.cell(column)
        if column is None or cell_text(value) is None:
            return None
        found = cell_date(value)
        if found is None:
            raise self.error(InvalidValueError, f"{column.label} {cell_text(value)!r} is not a date (YYYYMMDD)", column)
        return found

    def error(self, kind: type[DocumentError], message: str, column: Column | None = None) -> RowError:
        location = self._locate(self.row.line, column)
        return RowError(BadLine(self.row.line, kind(message, location=location), column.label if column else None))


def each_row(rows: Iterator[Row | BadLine], take: Callable[[Row], T], skip: int | None = None) -> Iterator[T | BadLine]:
    """``take`` of every row but line ``skip`` (a header), or the :class:`BadLine` of a row that failed."""
    for item in rows:
        if isinstance(item, BadLine):
            yield item
        elif item.line != skip:
            try:
                yield take(item)
            except RowError as exc:
                yield exc.bad


def failures(
    rows: Iterator[Row | BadLine], take: Callable[[Row], None], skip: int | None = None
) -> Iterator[FailedRecord]:
    """Feed every row to ``take`` (a collector); yield a ``FailedRecord`` for each one that failed."""
    for item in each_row(rows, take, skip):
        if isinstance(item, BadLine):
            yield failed(item)


# --- import options ---------------------------------------------------------------------------------


def option_date(options: Mapping[str, str], name: str = "valid_from") -> date | None:
    text = options.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(f"import option {name} {text!r} is not a date (YYYY-MM-DD)") from None


def require_valid_from(found: date | None) -> date:
    if found is None:
        raise MissingFieldError(f"the file carries no valid-from date; {VALID_FROM_HINT}")
    return found


def option_percent(options: Mapping[str, str], name: str) -> Decimal | None:
    text = options.get(name, "").strip().removesuffix("%").strip()
    if not text:
        return None
    number = NumberFormat(",").parse(text)
    number = NumberFormat(".").parse(text) if number is None else number
    if number is None or not 0 <= number <= 100:
        raise InvalidValueError(f"import option {name} {text!r} is not a percentage between 0 and 100")
    return number


def number_type(context: TranslationContext, default: NumberType = "SUPPLIER") -> NumberType:
    """The article number type: the mapping's, else the import option ``number_type``, else ``default``."""
    if context.mapping is not None:
        return context.mapping.number_type
    text = context.options.get("number_type", "").strip().upper()
    for known in get_args(NumberType):
        if text == known:
            return known  # type: ignore[no-any-return]
    if text:
        raise InvalidValueError(f"import option number_type {text!r} is not one of {', '.join(get_args(NumberType))}")
    return default


# --- output frames ----------------------------------------------------------------------------------


class PriceListFrame:
    """The version protocol: :meth:`announced`, then :meth:`accept` / :meth:`reject` per line, :meth:`complete`."""

    def __init__(self, context: TranslationContext, valid_from: date, currency: str) -> None:
        self.version_id = context.options.get("version_id", "")
        self.wholesaler_id = context.partner_id or ""
        self.scope = context.tenant_id or "central"
        self.valid_from, self.currency = valid_from, currency
        self.article_count = self.failed_lines = 0
        self.problems: list[LineProblem] = []

    def announced(self) -> PriceListVersion:
        return self._version("ANNOUNCED")

    def accept(self, price: Price) -> Price:
        self.article_count += 1
        return price

    def reject(self, bad: BadLine) -> FailedRecord:
        self.failed_lines += 1
        if len(self.problems) < LINE_REPORT_SIZE:
            self.problems.append(LineProblem(bad.line, bad.error.message, bad.field))
        return FailedRecord(bad.error, reference=f"line {bad.line}")

    def lines(
        self, rows: Iterator[Row | BadLine], make: Callable[[Row], Price], skip: int | None = None
    ) -> Iterator[object]:
        """A ``Price`` or ``FailedRecord`` per data row (``skip``: the header line)."""
        for item in each_row(rows, make, skip):
            yield self.reject(item) if isinstance(item, BadLine) else self.accept(item)

    def complete(self) -> PriceListVersion:
        return self._version("COMPLETE")

    def _version(self, status: str) -> PriceListVersion:
        done = status == "COMPLETE"
        return PriceListVersion(
            version_id=self.version_id,
            wholesaler_id=self.wholesaler_id,
            scope=self.scope,
            status="COMPLETE" if done else "ANNOUNCED",
            valid_from=self.valid_from,
            currency=self.currency,
            article_count=self.article_count if done else None,
            failed_lines=self.failed_lines if done else None,
            line_report=tuple(self.problems) if done else (),
        )


def failed(bad: BadLine) -> FailedRecord:
    return FailedRecord(bad.error, reference=f"line {bad.line}")


class DiscountCollector:
    """Collects group discounts or net prices of one letter and builds the one ``DiscountAgreement``.

    The default discount is the import option ``default_discount_percent`` when given, else the first
    discount of a row whose group is a wildcard (:data:`WILDCARD_GROUPS`). A group or article given twice
    is a bad line (the first one counts); a wildcard row with a second discount too.
    """

    def __init__(self, context: TranslationContext, currency: str | None = None) -> None:
        self._context, self._currency = context, currency
        self.default = option_percent(context.options, "default_discount_percent")
        self._default_line: int | None = None
        self._groups: dict[str, GroupDiscount] = {}
        self._net: dict[str, NetPrice] = {}
        self._seen: dict[str, int] = {}
        self.latest_date: date | None = None  # the latest price date of the net prices taken

    def group(self, view: RowView, group: Column, discount: GroupDiscount) -> None:
        if discount.group.upper() in WILDCARD_GROUPS:
            self._wildcard(view, group, discount)
            return
        self._once(view, group, discount.group)
        self._groups[discount.group] = discount

    def net_price(self, view: RowView, article: Column, net: NetPrice, price_date: date | None = None) -> None:
        self._once(view, article, net.article_number)
        self._net[net.article_number] = net
        if price_date is not None and (self.latest_date is None or price_date > self.latest_date):
            self.latest_date = price_date

    @property
    def empty(self) -> bool:
        return not self._groups and not self._net and self.default is None

    def agreement(self, valid_from: date | None) -> DiscountAgreement:
        context = self._context
        return DiscountAgreement(
            agreement_id=context.options.get("agreement_id", ""),
            wholesaler_id=context.partner_id or "",
            tenant_id=context.tenant_id,
            valid_from=valid_from,
            currency=self._currency,
            default_discount_percent=self.default,
            group_discounts=tuple(self._groups.values()),
            net_prices=tuple(self._net.values()),
        )

    def _once(self, view: RowView, column: Column, key: str) -> None:
        first = self._seen.setdefault(key, view.row.line)
        if first != view.row.line:
            raise view.error(InvalidValueError, f"{column.label} {key!r} was already given on line {first}", column)

    def _wildcard(self, view: RowView, group: Column, discount: GroupDiscount) -> None:
        if discount.discount_percent_2 is not None:
            raise view.error(InvalidValueError, f"the default row {discount.group!r} may carry one discount", group)
        if self._default_line is not None:
            message = f"a second default row (the first is on line {self._default_line})"
            raise view.error(InvalidValueError, message, group)
        self._default_line = view.row.line
        if self.default is None:  # the import option wins over the file
            self.default = discount.discount_percent
