"""A hand-specialised Avro codec for exactly one schema: ``schemas/price/1.0.0.avsc`` (the bulk path).

A large price list is a million ``Price`` records, encoded on the translate side and decoded on the catalog
side within a ~60 s end-to-end budget on two cores. fastavro's ``schemaless_writer``/``schemaless_reader``
manage only ~11,000–17,000 records/s each on this union-heavy schema with four ``bytes`` decimals
(70–90 s per million each way), so this module owns a specialised encoder and decoder of that one schema's
Avro binary encoding, byte-identical to fastavro's output (tests compare them on every shape and on
thousands of random records).

Speed comes from doing only what this schema needs: the per-version prefix (version, wholesaler, scope,
valid_from) is encoded once; zig-zag varints, string lengths and enum indexes come from tables; decimals,
dates and low-cardinality strings (units, groups, statuses, ``extra``) are cached by their text; the record
is assembled with one ``b"".join``. The decoder slices the body, decodes short varints inline and returns
decimals already normalised (like :func:`hub.canonical.codec.normalized`) from a cache keyed by their bytes.

The codec is only correct for the schema it was written for: :data:`FINGERPRINT` is that schema's
CRC-64-AVRO fingerprint, and :func:`supports` is false for any other — a new ``price`` schema version makes
callers (:class:`hub.kafka.serde.AvroSerde`) fall back to fastavro until this module is updated.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hub.canonical.pricelist import Alternative, Price
from hub.canonical.schemas import SchemaVersion
from hub.errors import UndecodableRecordError

FINGERPRINT = bytes.fromhex("dd3ff35e6dc5b032")  # CRC-64-AVRO of schemas/price/1.0.0.avsc, little-endian
SCALE = 10  # every decimal of the schema: bytes, precision 38, scale 10
PRECISION = 38
CACHE_LIMIT = 1 << 16  # entries per cache; a full cache is emptied (cheaper than LRU bookkeeping)
SHORT_EXTRA = 64  # bytes: an ``extra`` map up to this size is remembered by its bytes
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

NUMBER_TYPES = ("SE_E_NUMBER", "SE_RSK", "NO_EL_NUMBER", "NO_NRF", "FI_SNRO", "DK_VVS", "GTIN", "SUPPLIER")
PRICE_TYPES = ("GROSS", "NET")
STATUSES = ("ACTIVE", "NEW", "CHANGED", "PHASING_OUT", "DISCONTINUED", "PRICE_ON_REQUEST", "UNKNOWN")
KINDS = ("REPLACEMENT", "ALTERNATIVE", "ALTERNATIVE_ID", "PACK")


def supports(schema: SchemaVersion) -> bool:
    """Whether this codec implements ``schema`` (the store's newest ``price``): same fingerprint, same bytes."""
    return schema.fingerprint == FINGERPRINT


# --- varints -------------------------------------------------------------------------------------------


def _varint(z: int) -> bytes:
    """Unsigned varint of an already zig-zagged ``z``."""
    out = bytearray()
    while z > 0x7F:
        out.append(z & 0x7F | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def long_bytes(n: int) -> bytes:
    """Avro ``int``/``long``: zig-zag, then varint."""
    return _varint((n << 1) ^ (n >> 63))


_VARINT = tuple(_varint(z) for z in range(1 << 14))  # every one- and two-byte varint
_CONT14 = tuple(bytes((z & 0x7F | 0x80, z >> 7 | 0x80)) for z in range(1 << 14))  # low 14 bits, more follow
_LEN = _VARINT[::2]  # string/bytes length n (zig-zag 2n) for n < 8192
_OPT_LEN = tuple(b"\x02" + n for n in _LEN)  # union branch 1, then the length
_NULL = b"\x00"


def _long(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    if z < 1 << 14:
        return _VARINT[z]
    if z < 1 << 21:
        return _CONT14[z & 0x3FFF] + _VARINT[z >> 14]
    if not -(1 << 63) <= n < 1 << 63:
        raise ValueError(f"{n} is out of range for an Avro long")
    return _varint(z)


def _string(text: str) -> bytes:
    data = text.encode()
    size = len(data)
    return (_LEN[size] if size < 8192 else long_bytes(size)) + data


def _enum(symbols: tuple[str, ...]) -> dict[str, bytes]:
    return {symbol: _VARINT[2 * index] for index, symbol in enumerate(symbols)}


_NUMBER_TYPE = _enum(NUMBER_TYPES)
_OPT_NUMBER_TYPE: dict[str | None, bytes] = {None: _NULL, **{k: b"\x02" + v for k, v in _NUMBER_TYPE.items()}}
_PRICE_STATUS = {
    p: {s: _VARINT[2 * i] + _VARINT[2 * j] for j, s in enumerate(STATUSES)} for i, p in enumerate(PRICE_TYPES)
}
_KIND = _enum(KINDS)
_STOCKED: dict[bool | None, bytes] = {None: _NULL, False: b"\x02\x00", True: b"\x02\x01"}


# --- decimals ------------------------------------------------------------------------------------------

_POW10: tuple[int, ...] = tuple(10**k for k in range(SCALE + 1))


def unscaled(value: Decimal) -> int:
    """The unscaled integer at scale 10, with fastavro's checks (``ValueError`` where fastavro raises one)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{value!r} is not a Decimal")
    text = str(value)
    whole, _, places = text.partition(".")
    if len(places) <= SCALE and len(text) <= PRECISION and "E" not in text and text[-1].isdigit():
        return int(whole + places) * _POW10[SCALE - len(places)]  # plain notation: the common case
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"decimal {value} is not a finite number")
    if len(digits) > PRECISION:
        raise ValueError("The decimal precision is bigger than allowed by schema")
    if exponent + SCALE < 0:
        raise ValueError("Scale provided in schema does not match the decimal")
    magnitude: int = int("".join(map(str, digits))) * 10 ** (exponent + SCALE)
    return -magnitude if sign else magnitude


def decimal_piece(value: Decimal) -> bytes:
    """Length and bytes of a decimal: two's complement, big-endian, sized from the magnitude like fastavro."""
    number = unscaled(value)
    size = (abs(number).bit_length() + 8) >> 3
    return _long(size) + number.to_bytes(size, "big", signed=True)


# --- encoder -------------------------------------------------------------------------------------------


class PriceEncoder:
    """Encodes the prices of one price-list version (the four prefix fields are the version's own)."""

    def __init__(self, version_id: str, wholesaler_id: str, scope: str, valid_from: date, header: bytes = b""):
        """``header`` (e.g. the single-object marker and fingerprint) is written before every body."""
        self.prefix = header + _string(version_id) + _string(wholesaler_id) + _string(scope)
        self.prefix += _long(valid_from.toordinal() - EPOCH_ORDINAL)
        self._decimals: dict[str, bytes] = {}  # str(decimal) -> length and bytes
        self._optional: dict[str, bytes] = {"None": _NULL}  # str(decimal or None) -> union branch, length, bytes
        self._words: dict[str | None, bytes] = {None: _NULL}  # repeating optional strings -> branch and string
        self._dates: dict[date | None, bytes] = {None: _NULL}  # optional dates -> union branch and days
        self._entries: dict[tuple[str, str], bytes] = {}  # extra entries -> key and value
        self._one: Decimal | None = None  # the last price_quantity object, and its piece
        self._one_piece = b""
        self._pack: Decimal | None = Decimal(0)  # the last pack_size object (None is a valid one), and its piece
        self._pack_piece = b""

    def encode(self, p: Price) -> bytes:
        """The Avro body of ``p`` (after ``header``); ``ValueError`` where fastavro would refuse it too."""
        dec, opt, words = self._decimals, self._optional, self._words
        try:
            z = (p.line << 1) ^ (p.line >> 63)
            return b"".join(
                (
                    self.prefix,
                    _LEN[len(a := p.article_number.encode())],
                    a,
                    _NUMBER_TYPE[p.number_type],
                    dec.get(str(p.list_price)) or self._decimal(p.list_price),
                    self._one_piece
                    if p.price_quantity is self._one
                    else dec.get(str(p.price_quantity)) or self._quantity(p),
                    dec.get(str(p.unit_list_price)) or self._decimal(p.unit_list_price),
                    _PRICE_STATUS[p.price_type][p.status],
                    _VARINT[z]
                    if z < 16384
                    else _CONT14[z & 0x3FFF] + _VARINT[z >> 14]
                    if z < 2097152
                    else _long(p.line),
                    _NULL if (s := p.gtin) is None else _OPT_LEN[len(g := s.encode())],
                    b"" if s is None else g,
                    _NULL if (s := p.description) is None else _OPT_LEN[len(d := s.encode())],
                    b"" if s is None else d,
                    _NULL if (s := p.description_2) is None else _OPT_LEN[len(e := s.encode())],
                    b"" if s is None else e,
                    words.get(p.unit) or self._word(p.unit),
                    words.get(p.unit_code) or self._word(p.unit_code),
                    words.get(p.discount_group) or self._word(p.discount_group),
                    opt.get(str(p.discount_percent)) or self._optional_decimal(p.discount_percent),
                    words.get(p.raw_status) or self._word(p.raw_status),
                    words.get(p.brand) or self._word(p.brand),
                    _NULL if (s := p.manufacturer_article) is None else _OPT_LEN[len(m := s.encode())],
                    b"" if s is None else m,
                    _STOCKED[p.stocked],
                    self._pack_piece if p.pack_size is self._pack else opt.get(str(p.pack_size)) or self._pack_size(p),
                    self._dates.get(p.price_date) or self._date(p.price_date),
                    self._alternatives(p.alternatives) if p.alternatives else _NULL,
                    self._extra(p.extra) if p.extra else _NULL,
                )
            )
        except IndexError:  # a string of 8 KiB or more: beyond the length table
            return self._encode_any(p)
        except (KeyError, AttributeError, TypeError) as exc:
            raise _misfit(p, exc) from None

    def _encode_any(self, p: Price) -> bytes:
        """What :meth:`encode` writes, without its tables' limits (for strings of 8 KiB and more)."""
        try:
            return self._join_any(p)
        except (KeyError, AttributeError, TypeError) as exc:
            raise _misfit(p, exc) from None

    def _join_any(self, p: Price) -> bytes:
        return b"".join(
            (
                self.prefix,
                _string(p.article_number),
                _NUMBER_TYPE[p.number_type],
                *map(decimal_piece, (p.list_price, p.price_quantity, p.unit_list_price)),
                _PRICE_STATUS[p.price_type][p.status],
                _long(p.line),
                *map(_optional_string, (p.gtin, p.description, p.description_2, p.unit, p.unit_code, p.discount_group)),
                _optional_decimal(p.discount_percent),
                *map(_optional_string, (p.raw_status, p.brand, p.manufacturer_article)),
                _STOCKED[p.stocked],
                _optional_decimal(p.pack_size),
                _optional_date(p.price_date),
                self._alternatives(p.alternatives) if p.alternatives else _NULL,
                self._extra(p.extra) if p.extra else _NULL,
            )
        )

    # cache misses: compute, remember (a full cache is emptied first), return

    def _decimal(self, value: Decimal) -> bytes:
        text = str(value)
        whole, _, places = text.partition(".")
        if (
            len(places) <= SCALE
            and len(text) <= PRECISION
            and "E" not in text
            and text[-1].isdigit()
            and isinstance(value, Decimal)
        ):
            number = int(whole + places) * _POW10[SCALE - len(places)]
            if number >= 0:  # the length (one byte: at most 21 bytes) and the value as one unsigned integer
                size = (number.bit_length() + 8) >> 3
                return _remember(self._decimals, text, (size << 1 << (size << 3) | number).to_bytes(size + 1, "big"))
        return _remember(self._decimals, text, decimal_piece(value))

    def _quantity(self, p: Price) -> bytes:
        """``price_quantity`` is mostly one shared object (``Decimal(1)``): remembered by identity."""
        self._one, self._one_piece = p.price_quantity, self._decimal(p.price_quantity)
        return self._one_piece

    def _pack_size(self, p: Price) -> bytes:
        """``pack_size`` too."""
        self._pack, self._pack_piece = p.pack_size, self._optional_decimal(p.pack_size)
        return self._pack_piece

    def _optional_decimal(self, value: Decimal | None) -> bytes:
        return _remember(self._optional, str(value), _optional_decimal(value))

    def _word(self, text: str | None) -> bytes:
        return _remember(self._words, text, _optional_string(text))

    def _date(self, day: date | None) -> bytes:
        return _remember(self._dates, day, _optional_date(day))

    def _entry(self, entry: tuple[str, str]) -> bytes:
        return _remember(self._entries, entry, _string(entry[0]) + _string(entry[1]))

    def _alternatives(self, alternatives: tuple[Alternative, ...]) -> bytes:
        optional = self._optional
        parts = [_long(len(alternatives))]
        for a in alternatives:
            parts += (
                _KIND[a.kind],
                _OPT_NUMBER_TYPE[a.number_type],
                _optional_string(a.article_number),
                optional.get(str(a.pack_size)) or self._optional_decimal(a.pack_size),
            )
        parts.append(_NULL)
        return b"".join(parts)

    def _extra(self, extra: dict[str, str]) -> bytes:
        entries = self._entries
        if len(extra) == 1:  # the usual case
            (entry,) = extra.items()
            return b"".join((b"\x02", entries.get(entry) or self._entry(entry), _NULL))
        parts = [_long(len(extra))]
        for entry in extra.items():
            parts.append(entries.get(entry) or self._entry(entry))
        parts.append(_NULL)
        return b"".join(parts)


def _misfit(p: Price, exc: Exception) -> ValueError:
    return ValueError(f"price (line {getattr(p, 'line', '?')}) does not fit the Price schema: {exc!r}")


def _remember(cache: dict[Any, bytes], key: Any, piece: bytes) -> bytes:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = piece
    return piece


def _optional_string(text: str | None) -> bytes:
    return _NULL if text is None else b"\x02" + _string(text)


def _optional_decimal(value: Decimal | None) -> bytes:
    return _NULL if value is None else b"\x02" + decimal_piece(value)


def _optional_date(day: date | None) -> bytes:
    return _NULL if day is None else b"\x02" + _long(day.toordinal() - EPOCH_ORDINAL)


# --- decoder -------------------------------------------------------------------------------------------


class DecodedPrice(dict[str, Any]):
    """A Price decoded by :class:`PriceDecoder`: every field (alternatives as dicts), decimals normalised.

    The type tells :func:`hub.pipeline.catalog.price_row` that nothing is left to convert."""

    __slots__ = ()


def _at(symbols: tuple[str, ...]) -> dict[int, str]:
    """Enum symbol by the byte of its index (zig-zag); a missing key is a corrupt body."""
    return {2 * index: symbol for index, symbol in enumerate(symbols)}


_NUMBER_TYPE_AT = _at(NUMBER_TYPES)
_PRICE_TYPE_AT = _at(PRICE_TYPES)
_STATUS_AT = _at(STATUSES)
_KIND_AT = _at(KINDS)
_OPTIONAL_NUMBER_TYPE_AT = {(2, index): symbol for index, symbol in _NUMBER_TYPE_AT.items()}
_STOCKED_AT: dict[bytes, bool | None] = {b"\x02\x00": False, b"\x02\x01": True}


def _number(raw: bytes) -> Decimal:
    """Unscaled two's complement at scale 10 → the exact value, trailing zeros dropped (integers at exponent 0)."""
    number = int.from_bytes(raw, "big", signed=True)
    whole, fraction = divmod(abs(number), _POW10[SCALE])
    if not fraction:
        return Decimal(-whole if number < 0 else whole)
    return Decimal(f"{'-' if number < 0 else ''}{whole}.{fraction:010d}".rstrip("0"))


class _Numbers(dict[bytes, Decimal]):
    """Decoded decimals by their bytes (prices repeat); a full cache is emptied."""

    def __missing__(self, raw: bytes) -> Decimal:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        value = self[raw] = _number(raw)
        return value


def read_long(b: bytes, pos: int) -> tuple[int, int]:
    """An Avro int/long at ``pos``: (value, position after it); up to three bytes unrolled."""
    z = b[pos]
    if z < 0x80:
        return (z >> 1) ^ -(z & 1), pos + 1
    y = b[pos + 1]
    if y < 0x80:
        z = z & 0x7F | y << 7
        return (z >> 1) ^ -(z & 1), pos + 2
    x = b[pos + 2]
    if x < 0x80:
        z = z & 0x7F | (y & 0x7F) << 7 | x << 14
        return (z >> 1) ^ -(z & 1), pos + 3
    return _read_long(b, pos)


def _read_long(b: bytes, pos: int) -> tuple[int, int]:
    shift = z = 0
    while True:
        byte = b[pos]
        pos += 1
        z |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (z >> 1) ^ -(z & 1), pos
        shift += 7
        if shift > 63:
            raise UndecodableRecordError(f"varint longer than 10 bytes at {pos}")


def read_string(b: bytes, pos: int) -> tuple[str, int]:
    size, pos = read_long(b, pos)
    end = pos + size
    if size < 0 or end > len(b):
        raise UndecodableRecordError(f"string of {size} bytes at {pos} in a body of {len(b)}")
    return b[pos:end].decode(), end


def read_bytes(b: bytes, pos: int) -> tuple[bytes, int]:
    size, pos = read_long(b, pos)
    end = pos + size
    if size < 0 or end > len(b):
        raise UndecodableRecordError(f"bytes of {size} at {pos} in a body of {len(b)}")
    return b[pos:end], end


def read_optional_string(b: bytes, pos: int) -> tuple[str | None, int]:
    branch = b[pos]
    if branch == 0:
        return None, pos + 1
    if branch != 2:
        raise UndecodableRecordError(f"union branch {branch} at {pos}")
    return read_string(b, pos + 1)


_FIELDS = (
    "version_id", "wholesaler_id", "scope", "valid_from", "article_number", "number_type", "list_price",
    "price_quantity", "unit_list_price", "price_type", "status", "line", "gtin", "description", "description_2",
    "unit", "unit_code", "discount_group", "discount_percent", "raw_status", "brand", "manufacturer_article",
    "stocked", "pack_size", "price_date", "alternatives", "extra",
)  # fmt: skip
_TEMPLATE = dict.fromkeys(_FIELDS)  # every optional field None until read
_STRINGS_1 = ("gtin", "description", "description_2", "unit", "unit_code", "discount_group")
_STRINGS_2 = ("raw_status", "brand", "manufacturer_article")
_DECIMALS = ("list_price", "price_quantity", "unit_list_price")


class PriceDecoder:
    """Decodes Price bodies; keeps its caches between calls (decimals, dates, repeating runs of fields)."""

    def __init__(self) -> None:
        self._numbers = _Numbers()
        self._dates: dict[int, date] = {}
        self._extras: dict[bytes, dict[str, str]] = {}  # extra by its bytes (the end of the body)
        # Runs of fields that mostly repeat from one price to the next: the last one as written and its values
        # (one attribute each, so a concurrent reader never sees the bytes of one and the values of another).
        self._head: tuple[bytes, dict[str, Any]] = (b"", _TEMPLATE)  # version_id … valid_from
        self._terms: tuple[bytes, bool | None, Decimal | None, date | None] = (b"", None, None, None)

    def decode(self, body: bytes | memoryview, offset: int = 0) -> DecodedPrice:
        """The Price whose Avro body starts at ``offset``; :class:`UndecodableRecordError` when it is not one."""
        b = body if type(body) is bytes else bytes(body)
        try:
            head, template = self._head
            if head and b.startswith(head, offset):
                pos = offset + len(head)
            else:
                pos, template = self._read_head(b, offset)
            row = DecodedPrice(template)
            pos = _strings(b, self._core(b, pos, row), row, _STRINGS_1)
            if b[pos]:
                row["discount_percent"], pos = self._optional_number(b, pos)
            else:
                pos += 1
            pos = _strings(b, pos, row, _STRINGS_2)
            terms, stocked, pack_size, price_date = self._terms
            if terms and b.startswith(terms, pos):
                pos += len(terms)
            else:
                pos, stocked, pack_size, price_date = self._read_terms(b, pos)
            row["stocked"], row["pack_size"], row["price_date"] = stocked, pack_size, price_date
            if b[pos]:
                row["alternatives"], pos = self._alternatives(b, pos)
            else:
                row["alternatives"], pos = [], pos + 1
            extra = self._extras.get(b[pos:])
            row["extra"] = self._read_extra(b, pos) if extra is None else extra.copy()
        except (IndexError, KeyError, ValueError, OverflowError) as exc:  # UnicodeDecodeError is a ValueError
            raise UndecodableRecordError(f"not a Price body: {exc!r}") from None
        return row

    def _read_head(self, b: bytes, start: int) -> tuple[int, dict[str, Any]]:
        version_id, pos = read_string(b, start)
        wholesaler_id, pos = read_string(b, pos)
        scope, pos = read_string(b, pos)
        days, pos = read_long(b, pos)
        template = _TEMPLATE.copy()  # a plain dict: DecodedPrice(template) clones it fastest
        template.update(version_id=version_id, wholesaler_id=wholesaler_id, scope=scope, valid_from=self._date(days))
        self._head = (b[start:pos], template)
        return pos, template

    def _core(self, b: bytes, pos: int, row: DecodedPrice) -> int:
        """article_number … line: a string, an enum, three decimals, two enums, a long."""
        n = b[pos]
        if n & 0x81:  # not a one-byte length
            row["article_number"], pos = read_string(b, pos)
        else:
            start = pos + 1
            pos = start + (n >> 1)
            row["article_number"] = b[start:pos].decode()
        row["number_type"] = _NUMBER_TYPE_AT[b[pos]]
        numbers = self._numbers
        pos += 1
        for name in _DECIMALS:
            n = b[pos]
            if n & 0x81:  # a length of 64 bytes or more (never from us), or a corrupt one
                raw, pos = read_bytes(b, pos)
            else:
                start = pos + 1
                pos = start + (n >> 1)
                raw = b[start:pos]
            row[name] = numbers[raw]
        row["price_type"] = _PRICE_TYPE_AT[b[pos]]
        row["status"] = _STATUS_AT[b[pos + 1]]
        row["line"], pos = read_long(b, pos + 2)
        return pos

    def _read_terms(self, b: bytes, start: int) -> tuple[int, bool | None, Decimal | None, date | None]:
        """stocked, pack_size and price_date (remembered: they seldom change within a list)."""
        stocked = None
        if b[start]:
            stocked = _STOCKED_AT[b[start : start + 2]]
        pack_size, pos = self._optional_number(b, start + (2 if b[start] else 1))
        price_date = None
        if b[pos]:
            if b[pos] != 2:
                raise UndecodableRecordError(f"union branch {b[pos]} at {pos}")
            days, pos = read_long(b, pos + 1)
            price_date = self._date(days)
        else:
            pos += 1
        self._terms = (b[start:pos], stocked, pack_size, price_date)
        return pos, stocked, pack_size, price_date

    def _optional_number(self, b: bytes, pos: int) -> tuple[Decimal | None, int]:
        if b[pos] == 0:
            return None, pos + 1
        if b[pos] != 2:
            raise UndecodableRecordError(f"union branch {b[pos]} at {pos}")
        raw, pos = read_bytes(b, pos + 1)
        return self._numbers[raw], pos

    def _date(self, days: int) -> date:
        day = self._dates.get(days)
        if day is None:
            if len(self._dates) >= CACHE_LIMIT:
                self._dates.clear()
            day = self._dates[days] = date.fromordinal(EPOCH_ORDINAL + days)
        return day

    def _alternatives(self, b: bytes, pos: int) -> tuple[list[dict[str, Any]], int]:
        items: list[dict[str, Any]] = []
        while count := b[pos]:
            if count & 0x81:  # a negative count (with a byte size) or 64 items and more
                count, pos = _block(b, pos)
            else:
                count, pos = count >> 1, pos + 1
            for _ in range(count):
                kind = _KIND_AT[b[pos]]
                if branch := b[pos + 1]:
                    number_type, pos = _OPTIONAL_NUMBER_TYPE_AT[branch, b[pos + 2]], pos + 3
                else:
                    number_type, pos = None, pos + 2
                article: str | None
                if b[pos] == 2 and not (n := b[pos + 1]) & 0x81:
                    article, pos = b[pos + 2 : pos + 2 + (n >> 1)].decode(), pos + 2 + (n >> 1)
                else:
                    article, pos = read_optional_string(b, pos)
                pack, pos = self._optional_number(b, pos) if b[pos] else (None, pos + 1)
                items.append({"kind": kind, "number_type": number_type, "article_number": article, "pack_size": pack})
        return items, pos + 1

    def _read_extra(self, b: bytes, start: int) -> dict[str, str]:
        extra: dict[str, str] = {}
        count, pos = _block(b, start)
        while count:
            for _ in range(count):
                key, pos = read_string(b, pos)
                extra[key], pos = read_string(b, pos)
            count, pos = _block(b, pos)
        if pos - start <= SHORT_EXTRA:  # longer maps mostly hold unique values (links): not worth keeping
            if len(self._extras) >= CACHE_LIMIT:
                self._extras.clear()
            self._extras[b[start:]] = extra.copy()
        return extra


def _block(b: bytes, pos: int) -> tuple[int, int]:
    """The item count of an array or map block; a negative count is followed by the block's byte size."""
    count, pos = read_long(b, pos)
    if count < 0:
        _size, pos = read_long(b, pos)
        return -count, pos
    return count, pos


def _strings(b: bytes, pos: int, row: DecodedPrice, names: tuple[str, ...]) -> int:
    """Consecutive ``["null", "string"]`` fields into ``row`` (None is the row's default already)."""
    for name in names:
        branch = b[pos]
        if branch == 2 and not (n := b[pos + 1]) & 0x81:
            start = pos + 2
            pos = start + (n >> 1)
            row[name] = b[start:pos].decode()
        elif branch:
            row[name], pos = read_optional_string(b, pos)
        else:
            pos += 1
    return pos


_DEFAULT_DECODER = PriceDecoder()


def decode_price_row(body: bytes | memoryview, offset: int = 0) -> DecodedPrice:
    """The Price body at ``offset`` as a :class:`DecodedPrice` (a module-wide decoder and its caches)."""
    return _DEFAULT_DECODER.decode(body, offset)
