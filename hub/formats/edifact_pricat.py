"""EDIFACT PRICAT → canonical price list: GS1 Sweden ESAP 20 "Prislista" and EANCOM price catalogues.

Owns the business reading of PRICAT messages of directories D93A … D16B (DESIGN §9.8). Each PRICAT message
is one price-list version (DESIGN §9.3): ``PriceListVersion`` ``ANNOUNCED``, then per LIN group a ``Price``
or a :class:`FailedRecord` ("message m, LIN n"), then the version ``COMPLETE`` with counts and a bounded
line report. Several PRICAT messages in one interchange give several such sequences, in message order. A
message that fails as a whole (UNT, header, not a PRICAT) is one FailedRecord and yields no version;
envelope errors come from :mod:`hub.formats.edifact` and fail the whole interchange.

PRI+AAB (gross) is the list price, else PRI+AAA (calculation net: NET), per the C509 price basis (5284,
default 1) and its unit (6411; absent means piece, ``EA``, as EANCOM defines). A LIN without either (EANCOM
pack-hierarchy sub-lines, retail-only lines) is a failed line. Header ALC groups (ESAP order discounts,
freight) and product-group (PGI) conditions have no canonical field and are not read. The qualifiers each
value comes from are named where it is read.

Memory: flat in the file size. The interchange is read through :func:`~hub.formats.edifact.iter_interchange`
(chunks of bytes, segments decoded and tokenized as they come), and each message is walked one LIN group at
a time; only counts, the bounded line report and a look-ahead of :data:`CHECK_AHEAD` segments are kept, so a
catalogue of 500 000 LIN groups (one message) needs no more memory than one of 5 000.

Streaming moves some verdicts behind records already yielded, and they are settled like this:

* The first :data:`CHECK_AHEAD` segments of a message are read before its first record, so a message that
  ends within them (nearly every message that is not a full catalogue) is checked whole first, as before:
  a wrong UNT is one FailedRecord and no version.
* A longer message whose UNT check fails at its end (count, reference, no UNT) has already yielded its
  ANNOUNCED and prices. Its version is then closed ``REJECTED`` (reason: the UNT problem) instead of
  ``COMPLETE``, followed by the message's FailedRecord — the pipeline's convention for a version that must
  not be applied (hub.pipeline.pricelists), and the catalog applies only COMPLETE versions.
* A message's closing record (COMPLETE, or REJECTED and its FailedRecord) is held until the envelope after
  it has been read: up to the next UNH, or through the UNZ checks. So an envelope error raised at the
  trailer leaves the last version open, which the pipeline closes REJECTED; a single-message interchange
  (the usual PRICAT) is never applied when its envelope is wrong. An envelope error met after an earlier
  message was closed cannot withdraw that message's version.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from typing import BinaryIO, ClassVar

from hub.canonical.pricelist import ArticleStatus, LineProblem, NumberType, Price, PriceListVersion
from hub.errors import DocumentError, InvalidValueError, MissingFieldError, ParseError, UnknownFormatError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext, TranslatorId
from hub.formats.edifact import Message, MessageReader, Segment, iter_interchange, split_groups, to_date, to_decimal
from hub.pricing.units import unit_code

_DIRECTORIES = ((1993, "A"), (2016, "B"))
_HEADER_GROUPS = frozenset(["RFF", "NAD", "CUX", "ALC", "TAX", "PAT", "TDT", "TOD", "PAC", "LOC", "APR"])
_LINE_END = frozenset(["LIN", "PGI", "UNS", "CNT"])
_LINE_GROUPS = frozenset(["PRI", "ALC", "TAX", "PAC", "NAD", "LOC", "TDT", "TOD"])
_GTIN_TYPES = frozenset(["EN", "SRV", "0160"])
_ACTIONS: dict[str, ArticleStatus] = {"1": "NEW", "2": "DISCONTINUED", "3": "CHANGED", "4": "ACTIVE"}
_PACK_QUANTITIES = ("52", "59")  # quantity per pack; consumer units in the traded unit
REPORT_LIMIT = 100  # line problems kept in a COMPLETE version (the counts are always exact)
# Body segments of a message read before its first record: a message this short is checked whole (UNT) first.
CHECK_AHEAD = 2_000


class EdifactPricatTranslator:
    """EDIFACT PRICAT interchanges (EANCOM, ESAP 20): per message a version, its prices, its completion."""

    id: ClassVar[TranslatorId] = TranslatorId("edifact-pricat", 1)
    record_type: ClassVar[str] = Price.TYPE
    description: ClassVar[str] = "EDIFACT PRICAT D93A…D16B (EANCOM / GS1 Sweden ESAP 20 Prislista)"

    def accepts(self, sniffed: Sniffed) -> int:
        return 20 if sniffed.syntax == "edifact" and names_pricat(sniffed.head) else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        # No size cap: the reading is streamed, memory does not grow with the file.
        closing: list[object] = []
        for message in iter_interchange(stream).messages():
            yield from closing  # the envelope up to this UNH is sound: the previous version may close
            closing = yield from translate_message(message, context)
        yield from closing  # the UNZ checks passed


def names_pricat(head: bytes) -> bool:
    """Whether a UNH in the head names PRICAT (UNA separators and level B separators respected)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("latin-1")
    plus, colon = "+", ":"
    if text.startswith("UNA") and len(text) > 8:
        plus, colon = text[4], text[3]
    elif text.startswith("UNB\x1d"):
        plus, colon = "\x1d", "\x1f"
    plus, colon = re.escape(plus), re.escape(colon)
    return re.search(f"UNH{plus}[^{plus}]*{plus}PRICAT{colon}", text) is not None


def translate_message(reader: MessageReader, context: TranslationContext) -> Generator[object, None, list[object]]:
    """One message → ANNOUNCED and a Price or FailedRecord per LIN; or one FailedRecord.

    Returns (rather than yields) the closing records, COMPLETE or REJECTED and the message's FailedRecord,
    for the caller to yield once the envelope after the message has been read.
    """
    message, segments = reader.message, _look_ahead(reader)
    try:
        _check_message(message, reader.error)
        header, lines = _read_header(message, segments)
        announced = _announce(message, header, context)
    except DocumentError as exc:
        if isinstance(exc, ParseError) and exc is not reader.error:
            raise  # the input broke while the header was read from it: an envelope error, the interchange fails
        yield FailedRecord(exc, _reference(message))
        return []
    yield announced
    tally = _Tally()
    for ordinal, group in enumerate(_line_groups(lines), start=1):
        if _priceless_sub_line(group):
            continue  # a pack-hierarchy sub-line describes its parent's packaging; it is not an article to price
        line = line_number(group[0], ordinal)
        record = _line_record(message, announced, header.function, line, group)
        tally.count(line, record)
        yield record
    if reader.error is not None:  # found at the UNT, after the prices: the version must not be applied
        return [tally.rejected(announced, reader.error), FailedRecord(reader.error, _reference(message))]
    return [tally.complete(announced)]


def _reference(message: Message) -> str:
    return f"message {message.index} (UNH {message.ref})"


def _look_ahead(reader: MessageReader) -> Iterator[Segment]:
    """The body, of which the first CHECK_AHEAD segments are read now (reader.error is final if it ended)."""
    body = iter(reader)
    ahead = list(islice(body, CHECK_AHEAD))
    return chain(iter(ahead), body)  # a list iterator lets go of its list once passed: the look-ahead is freed


def _check_message(message: Message, error: ParseError | None) -> None:
    if error is not None:
        raise error
    if message.type != "PRICAT":
        raise UnknownFormatError(f"{message.type} message is not a price catalogue", location=message.location())
    match = re.fullmatch(r"D(\d\d)([A-Z])", message.version)
    year = int(match.group(1)) if match else 0
    directory = (year + (1900 if year >= 90 else 2000), match.group(2)) if match else None
    if directory is None or not _DIRECTORIES[0] <= directory <= _DIRECTORIES[1]:
        raise UnknownFormatError(f"PRICAT {message.version} is not supported (D93A…D16B)", location=message.location())


def _line_groups(segments: Iterable[Segment]) -> Iterator[list[Segment]]:
    """LIN groups, one at a time: a LIN and what follows it up to the next LIN, PGI or the summary."""
    group: list[Segment] = []
    for segment in segments:
        if segment.tag in _LINE_END:
            if group:
                yield group
            group = [segment] if segment.tag == "LIN" else []
        elif group:
            group.append(segment)
    if group:
        yield group


def line_number(lin: Segment, ordinal: int) -> int:
    """The LIN's own line item number (1082) when it is a positive integer, else its position."""
    value = lin.get(0) or ""
    return int(value) if value.isdigit() and len(value) <= 9 and int(value) > 0 else ordinal


def _number(message: Message, segment: Segment, element: int, component: int) -> Decimal | None:
    value = segment.get(element, component)
    return None if value is None else to_decimal(value, message.location(segment))


def _date(message: Message, segment: Segment) -> date | None:
    value = segment.get(0, 1)
    return None if value is None else to_date(value, segment.get(0, 2), message.location(segment))


@dataclass
class _Header:
    """What the segments before the first LIN/PGI say."""

    number: str | None = None
    function: str | None = None
    dates: dict[str, date] = field(default_factory=dict)
    currency: str | None = None
    parties: dict[str, str] = field(default_factory=dict)
    customer_number: str | None = None


def _read_header(message: Message, segments: Iterator[Segment]) -> tuple[_Header, Iterator[Segment]]:
    """The segments before the first LIN/PGI: BGM number (ESAP T0001) and 1225 (T0002), DTMs, CUX, NAD ids,
    RFF+IT (internal customer number). Returns the header and the rest of the body, from that LIN/PGI on.
    """
    header = _Header()
    in_group = False  # DTMs count only before the first group (RFF, NAD, CUX … date their own group)
    for segment in segments:
        tag, qualifier = segment.tag, segment.qualifier
        if tag in ("LIN", "PGI"):
            return header, chain((segment,), segments)
        in_group = in_group or tag in _HEADER_GROUPS
        if tag == "BGM" and header.number is None:
            header.number, header.function = segment.get(1), segment.get(2)
        elif tag == "DTM" and not in_group and qualifier and qualifier not in header.dates:
            found = _date(message, segment)
            if found is not None:
                header.dates[qualifier] = found
        elif tag == "CUX" and segment.get(0, 1) and (header.currency is None or segment.get(0, 0) == "2"):
            header.currency = segment.get(0, 1)
        elif tag == "NAD" and qualifier and segment.get(1, 0):
            header.parties.setdefault(qualifier, segment.get(1, 0) or "")
        elif tag == "RFF" and qualifier == "IT" and header.customer_number is None:
            header.customer_number = segment.get(0, 1)
    return header, iter(())


def _validity(message: Message, header: _Header, options_from: str | None) -> tuple[date, date | None]:
    """From DTM+194 (start), +157 (validity start), +137 (document date) or the option; to DTM+206 or +36."""
    dates = header.dates
    start = next((dates[q] for q in ("194", "157", "137") if q in dates), None) or _option_date(options_from)
    end = next((dates[q] for q in ("206", "36") if q in dates), None)
    if start is None:
        text = "no validity start (DTM+194/157), document date (DTM+137) or valid_from import option"
        raise MissingFieldError(text, location=message.location())
    if end is not None and end < start:
        raise InvalidValueError(f"validity ends {end} before it starts {start}", location=message.location())
    return start, end


def _option_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValueError(f"import option valid_from {value!r} is not an ISO date", location="options") from None


def _announce(message: Message, header: _Header, context: TranslationContext) -> PriceListVersion:
    valid_from, valid_to = _validity(message, header, context.options.get("valid_from"))
    return PriceListVersion(
        version_id=context.options.get("version_id", ""),
        wholesaler_id=context.partner_id or "",
        scope=context.tenant_id or "central",
        status="ANNOUNCED",
        valid_from=valid_from,
        valid_to=valid_to,
        currency=header.currency,
        list_name=header.number,
        customer_number=header.customer_number,
        buyer_id=header.parties.get("BY"),
        seller_id=header.parties.get("SU") or header.parties.get("SE"),
    )


@dataclass
class _Tally:
    """Counts of one version and its first line problems."""

    articles: int = 0
    failed: int = 0
    problems: list[LineProblem] = field(default_factory=list)

    def count(self, line: int, record: Price | FailedRecord) -> None:
        if isinstance(record, Price):
            self.articles += 1
            return
        self.failed += 1
        if len(self.problems) < REPORT_LIMIT:
            error = record.error
            where = f" ({error.location})" if error.location else ""
            self.problems.append(LineProblem(line, f"[{error.code}] {error.message}{where}"))

    def complete(self, announced: PriceListVersion) -> PriceListVersion:
        report = tuple(self.problems)
        return dataclasses.replace(
            announced, status="COMPLETE", article_count=self.articles, failed_lines=self.failed, line_report=report
        )

    def rejected(self, announced: PriceListVersion, error: DocumentError) -> PriceListVersion:
        """The version closed as never to be applied: its message failed after its prices were yielded."""
        reason = f"{error.code}: {error.message} ({error.location}); nothing of this version is applied"
        return dataclasses.replace(self.complete(announced), status="REJECTED", reason=reason)


@dataclass(frozen=True, slots=True)
class _Pri:
    """One PRI C509: amount, price basis quantity (5284, default 1) and its unit (6411)."""

    amount: Decimal
    basis: Decimal
    unit: str | None


def _line_record(
    message: Message, version: PriceListVersion, function: str | None, line: int, group: list[Segment]
) -> Price | FailedRecord:
    """One LIN group → a Price, or a FailedRecord naming the message and the LIN."""
    try:
        return _price(message, version, function, line, group)
    except (DocumentError, ArithmeticError) as exc:  # ArithmeticError: a value Decimal cannot hold exactly
        where = message.location(group[0])
        error = exc if isinstance(exc, DocumentError) else InvalidValueError(f"out of range: {exc}", location=where)
        return FailedRecord(error, f"message {message.index}, LIN {line}")


def _price(message: Message, version: PriceListVersion, function: str | None, line: int, group: list[Segment]) -> Price:
    lin, runs = group[0], split_groups(group[1:], _LINE_GROUPS)
    prices = _prices(message, runs)
    chosen = prices.get("AAB") or prices.get("AAA")
    if chosen is None:
        raise MissingFieldError(_no_price(lin, line, prices), location=message.location(lin))
    article, number_type, gtin = _identifiers(message, lin, runs[0], line)
    status, raw_status = _status(lin, function)
    percents, extra = _allowances(message, runs, net="AAB" not in prices)
    description, description_2 = _descriptions(runs[0])
    return Price(
        version_id=version.version_id,
        wholesaler_id=version.wholesaler_id,
        scope=version.scope,
        valid_from=version.valid_from,
        article_number=article,
        number_type=number_type,
        list_price=chosen.amount,
        price_quantity=chosen.basis,
        unit_list_price=chosen.amount / chosen.basis,
        price_type="GROSS" if "AAB" in prices else "NET",
        status=status,
        raw_status=raw_status,
        line=line,
        gtin=gtin,
        unit=chosen.unit,
        unit_code=unit_code(chosen.unit) if chosen.unit else "EA",
        discount_percent=percents[0] if percents else None,
        manufacturer_article=_item_id(_pia_ids(runs[0]), {"MF"}),
        pack_size=_pack_size(message, runs),
        price_date=_price_date(message, runs),
        description=description,
        description_2=description_2,
        extra=extra | _other_prices(prices),
    )


def _prices(message: Message, runs: list[list[Segment]]) -> dict[str, _Pri]:
    """The first PRI group of each kind read here: AAB gross, AAA calculation net, AAE suggested retail."""
    found: dict[str, _Pri] = {}
    for run in runs[1:]:
        kind = run[0].qualifier if run and run[0].tag == "PRI" else None
        if kind in ("AAB", "AAA", "AAE") and kind not in found:
            found[kind] = _pri(message, run)
    return found


def _pri(message: Message, run: list[Segment]) -> _Pri:
    pri = run[0]
    amount, basis = _number(message, pri, 0, 1), _number(message, pri, 0, 4)
    if amount is None:
        raise MissingFieldError(f"{pri.label} has no price amount (5118)", location=message.location(pri))
    if amount < 0 or (basis is not None and basis <= 0):
        raise InvalidValueError(f"{pri.label}: price {amount} per {basis}", location=message.location(pri))
    return _Pri(amount, basis if basis is not None else Decimal(1), pri.get(0, 5))


def _priceless_sub_line(group: list[Segment]) -> bool:
    lin = group[0]
    is_sub_line = lin.get(3, 0) == "1" and bool(lin.get(3, 1))
    return is_sub_line and not any(s.tag == "PRI" and s.get(0, 0) in ("AAA", "AAB") for s in group[1:])


def _no_price(lin: Segment, line: int, prices: dict[str, _Pri]) -> str:
    text = f"LIN {line} has no gross (PRI+AAB) or net (PRI+AAA) price"
    if lin.get(3, 0) == "1" and lin.get(3, 1):
        return f"{text}: it is a sub-line of LIN {lin.get(3, 1)} (pack hierarchy)"
    return text + (" (only a suggested retail price, PRI+AAE)" if "AAE" in prices else "")


def _other_prices(prices: dict[str, _Pri]) -> dict[str, str]:
    """The prices that are not the list price, kept as written ("amount/basis unit")."""
    other = {"net_price": prices.get("AAA") if "AAB" in prices else None, "suggested_retail_price": prices.get("AAE")}
    return {k: f"{p.amount}/{p.basis}" + (f" {p.unit}" if p.unit else "") for k, p in other.items() if p}


def _pia_ids(core: list[Segment]) -> list[tuple[str | None, str | None]]:
    return [(s.get(i, 0), s.get(i, 1)) for s in core if s.tag == "PIA" for i in range(1, 6)]


def _item_id(ids: list[tuple[str | None, str | None]], kinds: set[str] | frozenset[str]) -> str | None:
    return next((value for value, kind in ids if value and kind in kinds), None)


def _identifiers(message: Message, lin: Segment, core: list[Segment], line: int) -> tuple[str, NumberType, str | None]:
    """Article number, its type and the GTIN: PIA SA first, else the LIN's GTIN, else the LIN number."""
    lin_number, lin_type = lin.get(2, 0), lin.get(2, 1)
    ids = _pia_ids(core)
    gtins = [
        v
        for v, k in [(lin_number, lin_type), *ids]
        if k in _GTIN_TYPES and v and v.isdigit() and len(v) in (8, 12, 13, 14)
    ]
    gtin = gtins[0] if gtins else None
    supplier = _item_id(ids, {"SA"})
    if supplier:
        return supplier, "SUPPLIER", gtin
    if gtin:
        return gtin, "GTIN", gtin
    if lin_number:
        return lin_number, "SUPPLIER", None
    raise MissingFieldError(f"LIN {line} has no article number (LIN C212, PIA …:SA)", location=message.location(lin))


def _status(lin: Segment, function: str | None) -> tuple[ArticleStatus, str | None]:
    """LIN 1229 action first; else the list's status (BGM 1225, ESAP T0002: 4 change → CHANGED)."""
    action = lin.get(1)
    if action:
        return _ACTIONS.get(action, "UNKNOWN"), f"LIN {action}"
    if function == "4":
        return "CHANGED", "BGM 4"
    return "ACTIVE", f"BGM {function}" if function else None


def _descriptions(core: list[Segment]) -> tuple[str | None, str | None]:
    """IMD free texts (C273 7008, both occurrences): the first is the description, the rest its second line."""
    texts = [t for s in core if s.tag == "IMD" for t in s.texts(2, 3, 4)]
    return (texts[0] if texts else None), (" ".join(texts[1:]) or None)


def _allowances(message: Message, runs: list[list[Segment]], net: bool) -> tuple[list[Decimal], dict[str, str]]:
    """Percentages of the ALC+A groups: plain ones (a line discount) and quantity steps (with RNG)."""
    plain: list[Decimal] = []
    steps: list[str] = []
    for run in (run for run in runs[1:] if run and run[0].tag == "ALC" and run[0].qualifier == "A"):
        pcd = next((s for s in run if s.tag == "PCD"), None)
        percent = _number(message, pcd, 0, 1) if pcd else None
        if percent is None:
            continue
        rng = next((s for s in run if s.tag == "RNG"), None)
        if rng is None:
            plain.append(percent)
        else:
            steps.append(f"{percent} % from {rng.get(1, 1) or '?'} {rng.get(1, 0) or ''}".rstrip())
    extra = {"quantity_discounts": "; ".join(steps)} if steps else {}
    if net and plain:  # EANCOM AAA "calculation net": the allowances are already in the price
        return [], extra | {"discount_percent_in_net_price": "; ".join(str(p) for p in plain)}
    return plain, extra | ({"discount_percents": "; ".join(str(p) for p in plain)} if len(plain) > 1 else {})


def _pack_size(message: Message, runs: list[list[Segment]]) -> Decimal | None:
    """QTY+52 (quantity per pack) or QTY+59 (consumer units in the traded unit), in the line or a PAC group."""
    quantities = [s for s in _in_runs(runs, "PAC") if s.tag == "QTY"]
    for qualifier in _PACK_QUANTITIES:
        found = next((s for s in quantities if s.qualifier == qualifier), None)
        if found is not None:
            return _number(message, found, 0, 1)
    return None


def _price_date(message: Message, runs: list[list[Segment]]) -> date | None:
    """A line or price validity start (DTM+194/157) in the line or a PRI group."""
    dtm = next((s for s in _in_runs(runs, "PRI") if s.tag == "DTM" and s.qualifier in ("194", "157")), None)
    return _date(message, dtm) if dtm else None


def _in_runs(runs: list[list[Segment]], group: str) -> Iterator[Segment]:
    """The line's own segments, then those of its ``group`` groups."""
    yield from runs[0]
    yield from (s for run in runs[1:] if run and run[0].tag == group for s in run)
