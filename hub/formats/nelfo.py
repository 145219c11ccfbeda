"""EFONELFO 4.0 syntax shared by every NELFO translator (varefil, pristilbud, rabattfil, later CH/DH).

Owns the text layer only, never a record's meaning:

* **Reading** (:func:`read_records`): the binary stream is read in chunks and split into physical lines
  (CR LF, LF-only tolerated, a last line without a line end kept), each numbered from 1 and split on ``;``
  into fields; ``fields[0]`` is the record type (``VH``, ``VL``, ``RL``, ``CL``, …). Blank lines are
  skipped but still counted. Memory stays flat: one chunk (256 KiB) of lines is held at a time.
* **Charset**: a UTF-8 BOM means UTF-8. Otherwise the charset is decided at the first line holding a
  non-ASCII byte: UTF-8 if that line is valid UTF-8, else CP1252 (ISO-8859-1 for the five bytes CP1252
  leaves undefined, e.g. the 0x9D of a broken ``ø`` in a real ETMAN file). A byte that does not fit the
  chosen charset later in the file is read as ISO-8859-1, so a stray character in a name never costs a
  price. A NUL byte (UTF-16, a binary file) is a :class:`ParseError` "wrong charset" naming the line.
* **Joined records**: a real file joins records on one physical line with a space (``…7080001003395
  CL;20;…``, FORMATS §5.2). A record with *more* fields than its layout, whose field at or after the
  layout's last position reads ``<value> <TYPE>`` (TYPE a record type of the layout) followed by a
  non-empty field, is split there; both parts keep the physical line number. Nothing else is split, so
  a name that merely contains ``VL`` is never cut.
* **Numbers** (:func:`number`): implied decimals (``4060`` with 2 places = 40.60). A field written with a
  ``,`` or ``.`` is read by one of two rules: ``scaled`` (default, what the one real file with separators
  means: ETMAN writes ``Pris`` ``1872,5`` between ``2247`` and ``3424`` for the same cable family, i.e.
  18.725 — the written number is still in units of the implied decimals) or ``as_written`` (``20,50`` =
  20.50, for a wholesaler that writes whole decimals; chosen per partner with an import option).
* **Dates** (:func:`parse_date`): ``YYYYMMDD``; empty is None.
* **Headers** (:func:`read_header`, :func:`check_header`, :func:`header_score`): ``xH;EFONELFO;4.0``, other
  versions refused with a clear message; the facts every header carries (seller, buyer, customer number,
  agreement, currency, validity) at the field numbers a :class:`HeaderLayout` gives per file type.

Field errors are raised as :class:`FieldError` (record line, 1-based field number, NELFO field name) and
turned into the hub's :class:`MissingFieldError` / :class:`InvalidValueError` with location
``line 12, field 9 (Pris)``.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Literal

from hub.canonical.pricelist import NumberType
from hub.errors import DocumentError, InvalidValueError, LocalSignal, MissingFieldError, ParseError, UnknownFormatError

Fields = list[str]
DecimalRule = Literal["scaled", "as_written"]
DECIMAL_RULES: tuple[DecimalRule, ...] = ("scaled", "as_written")
DECIMAL_OPTION = "nelfo_decimals"  # TranslationContext.options key choosing the DecimalRule

# VareMrk (number type of VareNr, on VL/VA/RL/BL/CL lines): 1 EFO el-number, 2 EAN/GTIN, 4 NRF, 0 the supplier's
# own number, 9 a fee/surcharge item; 3 and 5 (5 = discount group in RL) are not in the public sources.
NUMBER_TYPES: dict[str, NumberType] = {
    "1": "NO_EL_NUMBER",
    "2": "GTIN",
    "4": "NO_NRF",
    "0": "SUPPLIER",
    "9": "SUPPLIER",
}
CHUNK_SIZE = 256 * 1024
MAX_LINE_BYTES = 1024 * 1024  # a "line" longer than this is not NELFO text
UTF8_BOM = b"\xef\xbb\xbf"
_FALLBACK = "hub.nelfo.latin1"  # codec error handler: undecodable bytes are read as ISO-8859-1
_SUFFIX = {2: "E-2", 4: "E-4"}
_DATES: dict[str, date] = {}


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(_FALLBACK, _latin1_fallback)


class FieldError(LocalSignal):
    """A field of one record is missing or invalid; the record (line) fails, the file goes on."""

    def __init__(self, line: int, index: int, name: str, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.line, self.index, self.name, self.message, self.missing = line, index, name, message, missing

    @property
    def location(self) -> str:
        return f"line {self.line}, field {self.index} ({self.name})"

    def error(self) -> DocumentError:
        kind = MissingFieldError if self.missing else InvalidValueError
        return kind(self.message, location=self.location)


# --- reading -------------------------------------------------------------------------------------


def text_lines(stream: BinaryIO) -> Iterator[list[str]]:
    """The stream's lines, decoded, without line ends, a chunk's worth at a time (a last line without CR LF kept).

    Raises :class:`ParseError` for a NUL byte ("wrong charset", naming its line) or an endless line.
    """
    decode, rest, before = _Decoder(), b"", 0
    while chunk := stream.read(CHUNK_SIZE):
        data = (rest + chunk).replace(b"\r\n", b"\n")
        if b"\x00" in data:
            line = before + data.count(b"\n", 0, data.index(b"\x00")) + 1
            message = "wrong charset: NUL bytes (UTF-16 or a binary file?); NELFO is ISO-8859-1/CP1252 or UTF-8"
            raise ParseError(message, location=f"line {line}")
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if len(rest) > MAX_LINE_BYTES:
            raise ParseError(f"a line longer than {MAX_LINE_BYTES} bytes: not a NELFO text file")
        lines = decode(data[:cut]).split("\n")[:-1]
        yield _without_bom(lines) if before == 0 else lines
        before += len(lines)
    if rest:
        last = [decode(rest[:-1] if rest.endswith(b"\r") else rest)]
        yield _without_bom(last) if before == 0 else last


def _without_bom(lines: list[str]) -> list[str]:
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return lines


class _Decoder:
    """Decodes a file chunk by chunk in the charset decided at its first non-ASCII line (module doc)."""

    def __init__(self) -> None:
        self.encoding = ""

    def __call__(self, data: bytes) -> str:
        if not self.encoding and not data.isascii():
            first = next(line for line in data.split(b"\n") if not line.isascii())
            self.encoding = "utf-8" if first.startswith(UTF8_BOM) or _is_utf8(first) else "cp1252"
        return data.decode(self.encoding or "latin-1", _FALLBACK)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_records(stream: BinaryIO, layout: Mapping[str, int]) -> Iterator[tuple[int, Fields]]:
    """(line number, fields) per record; ``layout`` maps a record type to its number of fields."""
    number = 0
    for lines in text_lines(stream):
        for text in lines:
            number += 1
            fields = text.split(";")
            size = layout.get(fields[0], 0)
            if size and len(fields) > size:
                yield from ((number, part) for part in split_joined(fields, layout))
            elif size or len(fields) > 1 or fields[0].strip():
                yield number, fields


def split_joined(fields: Fields, layout: Mapping[str, int]) -> list[Fields]:
    """A record with trailing fields split into the records joined by a space (see the module doc)."""
    records: list[Fields] = []
    rest: Fields | None = fields
    while rest is not None:
        size = layout.get(rest[0], 0)
        head, rest = _split_once(rest, size, layout) if size and len(rest) > size else (rest, None)
        records.append(head)
    return records


def _split_once(fields: Fields, size: int, layout: Mapping[str, int]) -> tuple[Fields, Fields | None]:
    for i in range(size - 1, len(fields) - 1):
        value, space, kind = fields[i].rpartition(" ")
        if space and kind in layout and fields[i + 1]:
            return [*fields[:i], value], [kind, *fields[i + 1 :]]
    return fields, None


# --- values --------------------------------------------------------------------------------------


def number(text: str, places: int, rule: DecimalRule = "scaled") -> Decimal:
    """A NELFO number with ``places`` implied decimals; raises ValueError when it is not one.

    Plain digits (an optional ``-``): implied decimals. With one ``,`` or ``.``: by ``rule`` (module doc).
    At most 18 digits before and 10 after the decimal point (what the canonical decimals hold).
    """
    body = text.strip()
    digits = body[1:] if body.startswith("-") else body
    if digits.isdigit() and digits.isascii():
        value = Decimal(body + (_SUFFIX.get(places) or f"E-{places}"))
    else:
        whole, sep, fraction = digits.replace(",", ".").partition(".")
        if not sep or not (whole or fraction) or not (whole + fraction).isdigit() or not digits.isascii():
            raise ValueError(f"{text!r} is not a number")
        value = Decimal(body.replace(",", "."))
        value = value.scaleb(-places) if rule == "scaled" else value
    if value and (value.adjusted() > 17 or int(value.as_tuple().exponent) < -10):
        raise ValueError(f"{text!r} is out of range (at most 18 digits before and 10 after the decimal point)")
    return value


def parse_date(text: str) -> date | None:
    """``YYYYMMDD`` → date; empty → None; raises ValueError otherwise."""
    found = _DATES.get(text)
    if found is not None or not text:
        return found
    if len(text) != 8 or not text.isdigit() or not text.isascii():
        raise ValueError(f"{text!r} is not a date (YYYYMMDD)")
    found = date(int(text[:4]), int(text[4:6]), int(text[6:]))  # raises ValueError for 20110231
    if len(_DATES) < 4096:  # a file uses a handful of dates
        _DATES[text] = found
    return found


def field_date(fields: Fields, index: int, name: str, line: int) -> date | None:
    """Field ``index`` (1-based) as a date, a bad date raising :class:`FieldError`."""
    text = fields[index - 1].strip() if index <= len(fields) else ""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise FieldError(line, index, name, f"{name} {exc}") from None


def field_number(fields: Fields, index: int, name: str, line: int, places: int, rule: DecimalRule) -> Decimal | None:
    """Field ``index`` (1-based) as a number with implied decimals; empty → None."""
    text = fields[index - 1].strip() if index <= len(fields) else ""
    return number_field(line, index, name, text, places, rule) if text else None


def number_field(line: int, index: int, name: str, text: str, places: int, rule: DecimalRule) -> Decimal:
    """:func:`number` of field ``index`` (1-based), raising :class:`FieldError` when it is not one."""
    try:
        return number(text, places, rule)
    except ValueError as exc:
        raise FieldError(line, index, name, f"{name} {exc}") from None
    except InvalidOperation:
        raise FieldError(line, index, name, f"{name} {text!r} is not a number") from None


def text_or_none(fields: Fields, index: int) -> str | None:
    """Field ``index`` (1-based) stripped; empty or absent → None."""
    return (fields[index - 1].strip() or None) if 0 < index <= len(fields) else None


def option_date(options: Mapping[str, str]) -> date | None:
    """The import option ``valid_from`` (ISO date), for a header without FraDato; None when not given."""
    text = options.get("valid_from")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidValueError(f"import option valid_from {text!r} is not an ISO date") from None


def decimal_rule(options: Mapping[str, str]) -> DecimalRule:
    """The explicit-decimal rule from the import options (``nelfo_decimals``), ``scaled`` by default."""
    value = options.get(DECIMAL_OPTION, "scaled")
    for rule in DECIMAL_RULES:
        if value == rule:
            return rule
    raise UnknownFormatError(f"import option {DECIMAL_OPTION}={value!r} is not one of {', '.join(DECIMAL_RULES)}")


# --- headers -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """Where one file type's header keeps the facts of :class:`Header` (1-based field numbers, 0 = nowhere)."""

    kinds: tuple[str, ...]  # its header record types, e.g. ("VH", "PH")
    seller_id: int  # SelgersId
    buyer_id: int  # KjøpersId
    customer_number: int  # KundeNr
    agreement_id: int  # AvtaleId
    currency: int  # Valuta
    valid_from: int  # FraDato
    valid_to: int  # TilDato


@dataclass(frozen=True, slots=True)
class Header:
    """What an EFONELFO 4.0 header says about its file."""

    kind: str
    seller_id: str | None
    buyer_id: str | None
    customer_number: str | None
    agreement_id: str | None
    currency: str | None
    valid_from: date | None  # FraDato, else the import option valid_from
    valid_to: date | None


def read_header(line: int, fields: Fields, layout: HeaderLayout, options: Mapping[str, str]) -> Header:
    """The header's facts; raises for a missing or wrong header (:func:`check_header`) or a bad date."""
    kind = check_header(line, fields, layout.kinds)
    try:
        valid_from = field_date(fields, layout.valid_from, "FraDato", line) if layout.valid_from else None
        valid_to = field_date(fields, layout.valid_to, "TilDato", line) if layout.valid_to else None
    except FieldError as exc:
        raise exc.error() from None
    return Header(
        kind, seller_id=text_or_none(fields, layout.seller_id), buyer_id=text_or_none(fields, layout.buyer_id),
        customer_number=text_or_none(fields, layout.customer_number),
        agreement_id=text_or_none(fields, layout.agreement_id), currency=text_or_none(fields, layout.currency),
        valid_from=valid_from or option_date(options), valid_to=valid_to,
    )  # fmt: skip


def check_header(line: int, fields: Fields, kinds: tuple[str, ...]) -> str:
    """The header's record type if it is one of ``kinds`` in EFONELFO 4.0; raises otherwise."""
    kind, fmt, version = ([*fields, "", ""])[:3]
    where = f"line {line}"
    if kind not in kinds or fmt.strip() != "EFONELFO":
        expected = "/".join(kinds)
        raise ParseError(f"no EFONELFO {expected} header: the file starts with {kind[:20]!r}", location=where)
    if version.strip() != "4.0":
        raise UnknownFormatError(
            f"EFONELFO {version.strip()[:10] or '(no version)'} is not supported; ask the wholesaler for 4.0",
            location=where,
        )
    return kind


def head_record(head: bytes) -> list[bytes]:
    """The first record of a document head (BOM and blank lines skipped), split on ``;``."""
    body = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    first = body.lstrip(b" \t\r\n").split(b"\n", 1)[0].rstrip(b"\r")
    return first.split(b";")


def header_score(head: bytes, kinds: tuple[bytes, ...]) -> int:
    """20 for an EFONELFO 4.0 header of ``kinds``; 5 for another version (so it is refused clearly)."""
    fields = head_record(head)
    if len(fields) < 3 or fields[0] not in kinds or fields[1] != b"EFONELFO":
        return 0
    return 20 if fields[2] == b"4.0" else 5
