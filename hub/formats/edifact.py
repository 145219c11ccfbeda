"""EDIFACT syntax layer (ISO 9735): bytes → interchange → messages → segments. Sans-IO, no business meaning.

Owns character-set decoding (UNB S001), the UNA service string advice and the release character, the
tokenizer, and the envelope checks: UNB/UNZ (control count, reference), UNG/UNE, UNH/UNT (segment count,
reference). An envelope problem raises :class:`ParseError` (the whole interchange is dead-lettered, DESIGN
§9.8); a problem confined to one message is kept on that :class:`Message` (``error``) so that only that
message fails. Also owns the value conventions every EDIFACT message shares: numbers (decimal mark) and
dates (DTM format codes 2379).

The tokenizer is our own rather than pydifact's: pydifact's tokens carry no position (errors must name
the segment, and UNT counts are checked on the raw segment boundaries), it works on an already decoded
``str`` (we must report the offending *byte* of a wrong character set), and it walks the input one
character at a time through a Python generator, where a regular expression does the same work in C.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hub.errors import InvalidValueError, ParseError

UTF8_BOM = b"\xef\xbb\xbf"
# UNB S001 syntax identifier → Python codec. UNOA/UNOB are ASCII subsets (UNOA is upper case only, but
# lower case is common in practice and harmless), UNOC…UNOK are ISO 8859 parts, UNOW/UNOY UTF-8.
CHARSETS = {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin-1", "UNOW": "utf-8", "UNOY": "utf-8"}
CHARSETS |= {f"UNO{level}": f"iso8859-{part}" for level, part in zip("DEFGHIJK", (2, 5, 7, 3, 4, 6, 8, 9), strict=True)}
MAX_DIGITS = 18  # n..35 is allowed by the syntax; no invoice amount needs more, and Decimal math stays exact
_NUMBER = re.compile(r"-?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_TAG = re.compile(r"[A-Z][A-Z0-9]{2}")
_BLANK = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Separators:
    """Service characters (UNA, or the ISO 9735 defaults)."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str | None = "?"
    repetition: str | None = None  # syntax 4 only; repeated elements do not occur in the messages we read
    terminator: str = "'"


# Character set level B without UNA uses the information separators IS4/IS3/IS1 and no release character.
_LEVEL_B = Separators(component="\x1f", element="\x1d", release=None, terminator="\x1c")


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: tag, data elements (each a tuple of components, release characters removed)."""

    tag: str
    elements: tuple[tuple[str, ...], ...]
    position: int  # 1-based number in the interchange (UNB = 1; UNA is service advice, not a segment)

    def get(self, element: int, component: int = 0) -> str | None:
        """Data element ``element`` (0 = first after the tag), component ``component``; None if absent/empty."""
        if element >= len(self.elements) or component >= len(self.elements[element]):
            return None
        return self.elements[element][component] or None

    def texts(self, element: int, first: int = 0, last: int = 99) -> list[str]:
        """The non-empty components ``first``…``last`` of one data element."""
        return [c for c in self.elements[element][first : last + 1] if c] if element < len(self.elements) else []

    @property
    def qualifier(self) -> str | None:
        return self.get(0)

    @property
    def label(self) -> str:
        """``MOA+77``: tag and first value, what a person looks for in the file."""
        return f"{self.tag}+{self.qualifier}" if self.qualifier else self.tag


@dataclass(frozen=True, slots=True)
class Message:
    """One UNH…UNT message; ``segments`` are those between UNH and UNT."""

    index: int  # 1-based number of the message in the interchange
    ref: str
    type: str  # "INVOIC"
    version: str  # "D96A": S009 0052 + 0054
    agency: str | None  # "UN"
    association: str | None  # "EAN008" (EANCOM subset version), None if not given
    segments: tuple[Segment, ...]
    position: int  # interchange position of the UNH segment
    error: ParseError | None = None  # a message-level syntax error (UNT count or reference, no UNT, bad UNH)

    def location(self, segment: Segment | None = None) -> str:
        """``message 2, segment 7 (PRI+AAA)``; segments counted as in UNT (UNH = 1)."""
        if segment is None:
            return f"message {self.index}"
        return f"message {self.index}, segment {segment.position - self.position + 1} ({segment.label})"


@dataclass(frozen=True, slots=True)
class Notice:
    """An envelope irregularity tolerated by policy; it travels with every record as a warning."""

    rule: str
    message: str
    location: str


@dataclass(frozen=True, slots=True)
class Interchange:
    """UNB facts and the messages, in order."""

    sender: str
    sender_qualifier: str | None
    recipient: str
    recipient_qualifier: str | None
    charset: str  # syntax identifier, "UNOC"
    syntax_version: str  # S001 0002, "3"
    control_ref: str
    test: bool  # UNB 0035 = 1
    separators: Separators
    messages: tuple[Message, ...]
    notices: tuple[Notice, ...] = ()


def parse_interchange(data: bytes) -> Interchange:
    """Decode, tokenize and check the envelope of one interchange; envelope errors raise ParseError."""
    separators, text = decode(data)
    return _Envelope(tokenize(text, separators), separators).interchange()


# --- decoding --------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[Separators, str]:
    """Service characters and the text from UNB on, decoded with the character set UNB S001 names."""
    start = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    start = _skip_blank(data, start)
    has_una = data[start : start + 3] == b"UNA"
    separators, start = _service_string(data, start) if has_una else (Separators(), start)
    if data[start : start + 3] != b"UNB":
        raise ParseError("the interchange does not start with UNB (after an optional UNA)", location=f"byte {start}")
    if not has_una and data[start + 3 : start + 4] == b"\x1d":
        separators = _LEVEL_B
    charset = _syntax_identifier(data, start, separators)
    codec = CHARSETS.get(charset)
    if codec is None:
        raise ParseError(f"unsupported character set {charset!r} in UNB S001", location="segment 1 (UNB)")
    try:
        text = data[start:].decode(codec)
    except UnicodeDecodeError as exc:
        raise _bad_byte(data, start + exc.start, codec) from None
    _refuse_controls(text, separators, data, start, codec)
    return separators, text


def _skip_blank(data: bytes, at: int) -> int:
    while at < len(data) and data[at] in b" \t\r\n":
        at += 1
    return at


def _service_string(data: bytes, start: int) -> tuple[Separators, int]:
    chars = data[start + 3 : start + 9].decode("latin-1")
    if len(chars) < 6:
        raise ParseError("UNA service string advice is cut short", location=f"byte {start}")
    component, element, decimal, terminator = chars[0], chars[1], chars[2], chars[5]
    release = None if chars[3] == " " else chars[3]
    separators = Separators(component, element, decimal, release, None if chars[4] == " " else chars[4], terminator)
    used = [c for c in (component, element, separators.release, separators.repetition, terminator) if c]
    if len(set(used)) != len(used) or decimal not in ".," or any(c.isalnum() for c in used):
        raise ParseError(f"UNA service characters {chars!r} are not usable", location=f"byte {start}")
    return separators, _skip_blank(data, start + 9)


def _syntax_identifier(data: bytes, start: int, separators: Separators) -> str:
    head = data[start + 4 : start + 40].decode("latin-1")
    return re.split(f"[{re.escape(separators.component + separators.element + separators.terminator)}]", head)[0]


def _bad_byte(data: bytes, offset: int, codec: str) -> ParseError:
    return ParseError(
        f"byte 0x{data[offset]:02X} at offset {offset} is not valid in the declared character set ({codec})",
        location=f"byte {offset}",
    )


def _refuse_controls(text: str, separators: Separators, data: bytes, start: int, codec: str) -> None:
    # Control characters are no EDIFACT data in any character set; C1 controls in a Latin-1 file are the
    # mark of a Windows-1252 file declared as UNOC (0x92 = ’), which would otherwise decode silently wrong.
    allowed = {"\t", "\r", "\n", separators.component, separators.element, separators.terminator}
    for match in re.finditer(r"[\x00-\x1f\x7f-\x9f]", text):
        if match.group() not in allowed:
            raise _bad_byte(data, start + len(text[: match.start()].encode(codec)), codec)


# --- tokenizing ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _splitter(separator: str, release: str | None) -> re.Pattern[str]:
    """Matches a separator or an escaped character (release + any), so escapes are skipped over."""
    escape = f"{re.escape(release)}.|" if release else ""
    return re.compile(f"{escape}{re.escape(separator)}", re.DOTALL)


def _split(raw: str, separator: str, release: str | None) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _splitter(separator, release).finditer(raw):
        if match.group() == separator:
            parts.append(raw[start : match.start()])
            start = match.end()
    parts.append(raw[start:])
    return parts


def _unescape(value: str, release: str | None) -> str:
    if not release or release not in value:
        return value
    return re.sub(f"{re.escape(release)}(.)", lambda m: m.group(1), value, flags=re.DOTALL)


def tokenize(text: str, separators: Separators) -> list[Segment]:
    """Every segment of ``text``; raises ParseError on an empty or malformed segment or a cut-off tail."""
    segments: list[Segment] = []
    pattern = _splitter(separators.terminator, separators.release)
    start = search_from = 0
    while match := pattern.search(text, search_from):
        search_from = match.end()
        if match.group() != separators.terminator:
            continue
        segment = _segment(text[start : match.start()], len(segments) + 1, separators)
        segments.append(segment)
        if segment.tag == "UNO":
            search_from = _skip_object(text, search_from, segment)
        start = search_from
    if text[start:].strip(_BLANK):
        where = f"after segment {len(segments)}" if segments else "segment 1"
        raise ParseError("the data ends inside a segment (no segment terminator): truncated?", location=where)
    return segments


def _skip_object(text: str, at: int, uno: Segment) -> int:
    """Where the segment after a UNO package's object starts (ISO 9735-8: the object is raw, not segments).

    The length (0810) counts octets; the object is skipped by characters, which is the same for the text
    objects (base64) these files carry. A binary object in a UTF-8 interchange fails as undecodable.
    """
    length = uno.get(3)
    if length is None or not length.isdigit() or at + int(length) > len(text):
        raise ParseError(f"UNO object length {length!r} does not fit the data", location=_where(uno))
    return at + int(length)


def _segment(raw: str, position: int, separators: Separators) -> Segment:
    raw = raw.lstrip(_BLANK)  # line breaks between segments are common and carry nothing
    release = separators.release
    elements = _split(raw, separators.element, release)
    tag = _unescape(_split(elements[0], separators.component, release)[0], release)
    if not _TAG.fullmatch(tag):
        shown = raw[:20] or "(empty)"
        raise ParseError(f"segment {position} has no valid tag: {shown!r}", location=f"segment {position}")
    values = tuple(tuple(_unescape(c, release) for c in _split(e, separators.component, release)) for e in elements[1:])
    return Segment(tag, values, position)


# --- envelope --------------------------------------------------------------------------------------


def _where(segment: Segment) -> str:
    return f"segment {segment.position} ({segment.label})"


class _Envelope:
    """Walks UNB … UNZ once: collects messages, checks groups and the interchange trailer."""

    def __init__(self, segments: list[Segment], separators: Separators) -> None:
        if not segments or segments[0].tag != "UNB":
            raise ParseError("the interchange does not start with UNB", location="segment 1")
        self.segments, self.separators, self.unb = segments, separators, segments[0]
        self.messages: list[Message] = []
        self.notices: list[Notice] = []
        self.groups = 0
        self.group: tuple[Segment, int] | None = None  # open UNG and the message count before it

    def interchange(self) -> Interchange:
        unb = self.unb
        control_ref = unb.get(4)
        if not control_ref or not unb.get(1) or not unb.get(2):
            raise ParseError("UNB lacks sender, recipient or control reference (0020)", location=_where(unb))
        unz = self._walk()
        self._check_trailer(unz, control_ref)
        return Interchange(
            sender=unb.get(1) or "",
            sender_qualifier=unb.get(1, 1),
            recipient=unb.get(2) or "",
            recipient_qualifier=unb.get(2, 1),
            charset=unb.get(0) or "",
            syntax_version=unb.get(0, 1) or "",
            control_ref=control_ref,
            test=unb.get(10) == "1",
            separators=self.separators,
            messages=tuple(self.messages),
            notices=tuple(self.notices),
        )

    def _walk(self) -> Segment:
        """Consume UNB+1 … UNZ; returns UNZ."""
        body: list[Segment] | None = None
        unh: Segment | None = None
        for segment in self.segments[1:]:
            if unh is not None and body is not None:
                if segment.tag not in ("UNH", "UNT", "UNG", "UNE", "UNZ", "UNB"):
                    body.append(segment)
                    continue
                self._close(unh, body, segment if segment.tag == "UNT" else None)
                unh = body = None
                if segment.tag == "UNT":
                    continue
            if segment.tag == "UNH":
                unh, body = segment, []
            elif segment.tag in ("UNO", "UNP"):
                continue  # an associated-data package (syntax 4, e.g. a PDF copy) between messages
            elif segment.tag == "UNZ":
                return self._last(segment)
            else:
                self._service(segment)
        raise ParseError("the interchange has no UNZ trailer: truncated?", location=_where(self.segments[-1]))

    def _last(self, unz: Segment) -> Segment:
        if unz is not self.segments[-1]:
            raise ParseError("data after the UNZ interchange trailer", location=_where(unz))
        if self.group is not None:
            raise ParseError("functional group (UNG) not closed by UNE", location=_where(self.group[0]))
        return unz

    def _service(self, segment: Segment) -> None:
        if segment.tag == "UNG" and self.group is None:
            self.group = (segment, len(self.messages))
        elif segment.tag == "UNE" and self.group is not None:
            ung, before = self.group
            count = len(self.messages) - before
            if segment.get(0) != str(count) or segment.get(1) != ung.get(4):
                raise ParseError(
                    f"UNE {segment.get(0)}/{segment.get(1)} does not match group {ung.get(4)} with {count} message(s)",
                    location=_where(segment),
                )
            self.group, self.groups = None, self.groups + 1
        else:
            raise ParseError(f"{segment.tag} is not allowed here (outside a message)", location=_where(segment))

    def _close(self, unh: Segment, body: list[Segment], unt: Segment | None) -> None:
        index = len(self.messages) + 1
        s009 = unh.elements[1] if len(unh.elements) > 1 else ()
        version = "".join(s009[1:3]) if len(s009) > 2 else ""
        message = Message(
            index, unh.get(0) or "", unh.get(1) or "", version, unh.get(1, 3), unh.get(1, 4), tuple(body), unh.position
        )
        error = _message_error(message, unh, unt)
        self.messages.append(message if error is None else dataclasses.replace(message, error=error))

    def _check_trailer(self, unz: Segment, control_ref: str) -> None:
        count = self.groups or len(self.messages)
        what = "functional group(s)" if self.groups else "message(s)"
        if unz.get(0) != str(count):
            problem = f"UNZ control count {unz.get(0)} ≠ {count} {what} in the interchange"
            if not self.unb.get(10) == "1":
                raise ParseError(problem, location=_where(unz))
            # Test interchanges (UNB 0035 = 1) are hand-made examples, often with a stale count; they
            # are translated with a warning so a partner's test file can be checked end to end.
            self.notices.append(Notice("EDIFACT-UNZ-COUNT", problem + " (test interchange)", _where(unz)))
        if unz.get(1) != control_ref:
            problem = f"UNZ reference {unz.get(1)!r} ≠ UNB control reference {control_ref!r}"
            if not self.messages or unz.get(1) != self.messages[-1].ref:
                raise ParseError(problem, location=_where(unz))
            # A known generator mistake echoes the last UNH reference in UNZ; the trailer still names a
            # message of this interchange, so nothing was cut or concatenated.
            self.notices.append(Notice("EDIFACT-UNZ-REF", problem + " (it repeats the last UNH)", _where(unz)))


def _message_error(message: Message, unh: Segment, unt: Segment | None) -> ParseError | None:
    if not message.ref or not message.type or not message.version:
        return ParseError("UNH lacks the message reference or type (S009)", location=message.location(unh))
    if unt is None:
        return ParseError(f"message {message.ref} has no UNT trailer", location=message.location(unh))
    count = len(message.segments) + 2
    if unt.get(0) != str(count):
        return ParseError(f"UNT segment count {unt.get(0)} ≠ {count} segments", location=message.location(unt))
    if unt.get(1) != message.ref:
        return ParseError(f"UNT reference {unt.get(1)!r} ≠ UNH {message.ref!r}", location=message.location(unt))
    return None


# --- values ----------------------------------------------------------------------------------------


def to_decimal(value: str, location: str) -> Decimal:
    """An EDIFACT number: optional minus, either decimal mark, no grouping, no exponent.

    Both marks are accepted whatever UNA says: ISO 9735 allows no digit grouping, so a comma or full
    stop can only ever be the decimal mark, and senders that declare one and write the other exist.
    """
    if not _NUMBER.fullmatch(value) or sum(c.isdigit() for c in value) > MAX_DIGITS:
        raise InvalidValueError(f"{value!r} is not a number", location=location)
    return Decimal(value.replace(",", "."))


def to_date(value: str, fmt: str | None, location: str) -> date:
    """The date part of a DTM value: formats 102 (CCYYMMDD), 203/204 (…HHMM[SS]) and 101 (YYMMDD).

    A 102 value carrying a time (``199910060000``, seen in real files) is read by its length: the date
    part is unambiguous.
    """
    fmt = fmt or "102"
    try:
        if value.isdigit() and fmt in ("102", "203", "204", "205") and len(value) in (8, 12, 14):
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        if value.isdigit() and fmt == "101" and len(value) == 6:
            year = int(value[:2])
            return date(year + (1900 if year >= 70 else 2000), int(value[2:4]), int(value[4:6]))
    except ValueError:
        pass
    raise InvalidValueError(f"{value!r} is not a date in DTM format {fmt}", location=location)


def split_groups(segments: Sequence[Segment], triggers: frozenset[str]) -> list[list[Segment]]:
    """Cut a run of segments before every trigger tag; the first run (maybe empty) precedes the first trigger."""
    runs: list[list[Segment]] = [[]]
    for segment in segments:
        if segment.tag in triggers:
            runs.append([])
        runs[-1].append(segment)
    return runs
