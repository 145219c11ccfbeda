"""EDIFACT syntax layer (ISO 9735): bytes → interchange → messages → segments. Sans-IO, no business meaning.

Owns character-set decoding (UNB S001), the UNA service string advice and the release character, the
tokenizer, and the envelope checks: UNB/UNZ (control count, reference), UNG/UNE, UNH/UNT (segment count,
reference). An envelope problem raises :class:`ParseError` (the whole interchange is dead-lettered, DESIGN
§9.8); a problem confined to one message is kept on that :class:`Message` (``error``) so that only that
message fails. Also owns the value conventions every EDIFACT message shares: numbers (decimal mark) and
dates (DTM format codes 2379).

Two readings share the tokenizer and the envelope walk: :func:`parse_interchange` takes the bytes and holds
every message (INVOIC, ORDERS: bounded documents), :func:`iter_interchange` reads a binary stream in chunks
and hands out messages and their segments lazily, its memory flat in the input size (PRICAT catalogues).

The tokenizer is our own rather than pydifact's: pydifact's tokens carry no position (errors must name
the segment, and UNT counts are checked on the raw segment boundaries), it works on an already decoded
``str`` (we must report the offending *byte* of a wrong character set), and it walks the input one
character at a time through a Python generator, where a regular expression does the same work in C.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

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
    """Decode, tokenize and check the envelope of one interchange; envelope errors raise ParseError.

    The whole input is decoded and tokenized before the envelope is walked, so a wrong byte or a broken
    segment anywhere is reported before any envelope problem.
    """
    separators, text = decode(data)
    reader = InterchangeReader(iter(tokenize(text, separators)), separators)
    messages = tuple(message.read() for message in reader.messages())
    return dataclasses.replace(reader.header, messages=messages, notices=tuple(reader.notices))


def iter_interchange(stream: BinaryIO) -> InterchangeReader:
    """The streaming reading of one interchange: memory bounded by a chunk and a segment, whatever the size.

    The stream is read in chunks of :data:`CHUNK_BYTES`, decoded and tokenized as it goes; the messages
    and their segments come lazily from :meth:`InterchangeReader.messages`. The same ParseErrors as
    :func:`parse_interchange` are raised, but where the stream meets them: after earlier messages were read.
    """
    separators, texts = _decode_stream(stream)
    return InterchangeReader(_Tokenizer(separators).segments(texts), separators)


# --- decoding --------------------------------------------------------------------------------------

CHUNK_BYTES = 64 * 1024  # read size of iter_interchange: large enough that per-chunk work is negligible


def decode(data: bytes) -> tuple[Separators, str]:
    """Service characters and the text from UNB on, decoded with the character set UNB S001 names."""
    separators, start, codec = _prelude(data)
    try:
        text = data[start:].decode(codec)
    except UnicodeDecodeError as exc:
        raise _bad_byte(data[start + exc.start], start + exc.start, codec) from None
    _refuse_controls(text, separators, start, codec)
    return separators, text


def _prelude(data: bytes) -> tuple[Separators, int, str]:
    """Separators, the offset of UNB and the codec of the S001 character set, from the head of the data."""
    start = _skip_blank(data, len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0)
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
    return separators, start, codec


def _prelude_span(data: bytes) -> int:
    """How many bytes :func:`_prelude` may look at: blanks, UNA, blanks, then 40 bytes of UNB."""
    start = _skip_blank(data, len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0)
    if data[start : start + 3] == b"UNA":
        start = _skip_blank(data, start + 9)
    return start + 40


def _decode_stream(stream: BinaryIO) -> tuple[Separators, Iterator[str]]:
    head = stream.read(CHUNK_BYTES)
    # Usually one read; more only when the head is a long run of blanks, which _prelude skips whole.
    while len(head) < _prelude_span(head) and (more := stream.read(CHUNK_BYTES)):
        head += more
    separators, start, codec = _prelude(head)
    return separators, _texts(stream, head[start:], start, separators, codec)


def _texts(stream: BinaryIO, first: bytes, offset: int, separators: Separators, codec: str) -> Iterator[str]:
    """The decoded text, chunk by chunk; ``offset`` is the byte offset of ``first`` in the whole input."""
    decoder = codecs.getincrementaldecoder(codec)()
    chunk = first
    while True:
        # A multi-byte character cut by the chunk boundary waits in the decoder: the decoded text
        # starts that many bytes before the chunk, which keeps the reported offsets exact.
        text_offset = offset - len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise _bad_byte(exc.object[exc.start], text_offset + exc.start, codec) from None
        _refuse_controls(text, separators, text_offset, codec)
        if text:
            yield text
        if not chunk:
            return
        offset += len(chunk)
        chunk = stream.read(CHUNK_BYTES)


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


def _bad_byte(value: int, offset: int, codec: str) -> ParseError:
    return ParseError(
        f"byte 0x{value:02X} at offset {offset} is not valid in the declared character set ({codec})",
        location=f"byte {offset}",
    )


def _refuse_controls(text: str, separators: Separators, start: int, codec: str) -> None:
    # Control characters are no EDIFACT data in any character set; C1 controls in a Latin-1 file are the
    # mark of a Windows-1252 file declared as UNOC (0x92 = ’), which would otherwise decode silently wrong.
    allowed = {"\t", "\r", "\n", separators.component, separators.element, separators.terminator}
    for match in re.finditer(r"[\x00-\x1f\x7f-\x9f]", text):
        if match.group() not in allowed:
            offset = start + len(text[: match.start()].encode(codec))
            raise _bad_byte(match.group().encode(codec)[0], offset, codec)


# --- tokenizing ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _splitter(separator: str, release: str | None) -> re.Pattern[str]:
    """Matches a separator or an escaped character (release + any), so escapes are skipped over."""
    escape = f"{re.escape(release)}.|" if release else ""
    return re.compile(f"{escape}{re.escape(separator)}", re.DOTALL)


def _split(raw: str, separator: str, release: str | None) -> list[str]:
    if not release or release not in raw:
        return raw.split(separator)  # nothing escaped: the C split gives the same parts, much faster
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
    return list(_Tokenizer(separators).segments((text,)))


class _Tokenizer:
    """Cuts text arriving in pieces into segments; a piece may end anywhere, even between release and escaped."""

    def __init__(self, separators: Separators) -> None:
        self.separators = separators
        self.pattern = _splitter(separators.terminator, separators.release)
        self.count = 0  # segments so far: the next one's position - 1
        self.pending = ""  # text after the last complete segment
        self.scanned = 0  # length of the head of ``pending`` known to hold no terminator
        self.skip = 0  # characters of a UNO package's object still to pass over
        self.uno: Segment | None = None

    def segments(self, texts: Iterable[str]) -> Iterator[Segment]:
        for text in texts:
            yield from self._feed(text)
        if self.skip:
            assert self.uno is not None
            raise ParseError(f"UNO object length {self.uno.get(3)!r} does not fit the data", location=_where(self.uno))
        if self.pending.strip(_BLANK):
            where = f"after segment {self.count}" if self.count else "segment 1"
            raise ParseError("the data ends inside a segment (no segment terminator): truncated?", location=where)

    def _feed(self, text: str) -> Iterator[Segment]:
        if self.skip:
            passed = min(self.skip, len(text))
            text, self.skip = text[passed:], self.skip - passed
        buffer, terminator = self.pending + text, self.separators.terminator
        start, search_from = 0, self.scanned
        while match := self.pattern.search(buffer, search_from):
            search_from = match.end()
            if match.group() != terminator:
                continue
            self.count += 1
            segment = _segment(buffer[start : match.start()], self.count, self.separators)
            yield segment
            if segment.tag == "UNO":
                search_from += _object_length(segment)
                if search_from > len(buffer):  # the object goes on in the next piece
                    self.skip, self.uno, self.pending, self.scanned = search_from - len(buffer), segment, "", 0
                    return
            start = search_from
        self.pending = buffer[start:]
        # No terminator up to the end, but the last character may be a release waiting for its escapee.
        self.scanned = max(search_from, len(buffer) - 1, start) - start


def _object_length(uno: Segment) -> int:
    """The length (0810) of a UNO package's object (ISO 9735-8: the object is raw, not segments).

    The length counts octets; the object is skipped by characters, which is the same for the text
    objects (base64) these files carry. A binary object in a UTF-8 interchange fails as undecodable.
    """
    length = uno.get(3)
    if length is None or not length.isdigit():
        raise ParseError(f"UNO object length {length!r} does not fit the data", location=_where(uno))
    return int(length)


def _segment(raw: str, position: int, separators: Separators) -> Segment:
    raw = raw.lstrip(_BLANK)  # line breaks between segments are common and carry nothing
    release, component = separators.release, separators.component
    elements = _split(raw, separators.element, release)
    tag = _unescape(_split(elements[0], component, release)[0], release)
    if not _TAG.fullmatch(tag):
        shown = raw[:20] or "(empty)"
        raise ParseError(f"segment {position} has no valid tag: {shown!r}", location=f"segment {position}")
    if not release or release not in raw:  # the common case, and the hot path of a large catalogue
        return Segment(tag, tuple(tuple(e.split(component)) for e in elements[1:]), position)
    values = tuple(tuple(_unescape(c, release) for c in _split(e, component, release)) for e in elements[1:])
    return Segment(tag, values, position)


# --- envelope --------------------------------------------------------------------------------------

_SERVICE_TAGS = frozenset(["UNH", "UNT", "UNG", "UNE", "UNZ", "UNB"])  # end a message's body


def _where(segment: Segment) -> str:
    return f"segment {segment.position} ({segment.label})"


class InterchangeReader:
    """Walks UNB … UNZ once, as the segments come: messages one at a time, groups and the trailer checked.

    ``header`` holds the UNB facts (no messages). :meth:`messages` yields a :class:`MessageReader` per
    UNH; the UNG/UNE, UNZ and "data after UNZ" checks run as the walk reaches them, and ``notices`` is
    complete once :meth:`messages` is exhausted.
    """

    def __init__(self, segments: Iterator[Segment], separators: Separators) -> None:
        unb = next(segments, None)
        if unb is None or unb.tag != "UNB":
            raise ParseError("the interchange does not start with UNB", location="segment 1")
        self._segments, self.unb, self.last = segments, unb, unb  # last: the latest segment read
        self._back: Segment | None = None  # a segment read ahead by a message body, handed back to the walk
        self.notices: list[Notice] = []
        self.count = 0  # messages so far
        self.last_ref: str | None = None  # UNH reference of the latest message
        self.groups = 0
        self.group: tuple[Segment, int] | None = None  # open UNG and the message count before it
        self.header = self._header(unb, separators)

    @staticmethod
    def _header(unb: Segment, separators: Separators) -> Interchange:
        control_ref = unb.get(4)
        if not control_ref or not unb.get(1) or not unb.get(2):
            raise ParseError("UNB lacks sender, recipient or control reference (0020)", location=_where(unb))
        return Interchange(
            sender=unb.get(1) or "",
            sender_qualifier=unb.get(1, 1),
            recipient=unb.get(2) or "",
            recipient_qualifier=unb.get(2, 1),
            charset=unb.get(0) or "",
            syntax_version=unb.get(0, 1) or "",
            control_ref=control_ref,
            test=unb.get(10) == "1",
            separators=separators,
            messages=(),
        )

    def messages(self) -> Iterator[MessageReader]:
        """Each message in order; a body left unread is passed over when the next one is asked for."""
        while (segment := self.next_segment()) is not None:
            if segment.tag == "UNH":
                self.count += 1
                message = MessageReader(self, segment, self.count)
                self.last_ref = message.message.ref
                yield message
                message.drain()
            elif segment.tag in ("UNO", "UNP"):
                continue  # an associated-data package (syntax 4, e.g. a PDF copy) between messages
            elif segment.tag == "UNZ":
                self._close(segment)
                return
            else:
                self._service(segment)
        raise ParseError("the interchange has no UNZ trailer: truncated?", location=_where(self.last))

    def next_segment(self) -> Segment | None:
        """The next segment of the walk (a handed-back one first); None at the end of the data."""
        if self._back is not None:
            segment, self._back = self._back, None
            return segment
        found = next(self._segments, None)
        if found is not None:
            self.last = found
        return found

    def hand_back(self, segment: Segment) -> None:
        self._back = segment

    def _close(self, unz: Segment) -> None:
        if self.next_segment() is not None:
            raise ParseError("data after the UNZ interchange trailer", location=_where(unz))
        if self.group is not None:
            raise ParseError("functional group (UNG) not closed by UNE", location=_where(self.group[0]))
        self._check_trailer(unz, self.header.control_ref)

    def _service(self, segment: Segment) -> None:
        if segment.tag == "UNG" and self.group is None:
            self.group = (segment, self.count)
        elif segment.tag == "UNE" and self.group is not None:
            ung, before = self.group
            count = self.count - before
            if segment.get(0) != str(count) or segment.get(1) != ung.get(4):
                raise ParseError(
                    f"UNE {segment.get(0)}/{segment.get(1)} does not match group {ung.get(4)} with {count} message(s)",
                    location=_where(segment),
                )
            self.group, self.groups = None, self.groups + 1
        else:
            raise ParseError(f"{segment.tag} is not allowed here (outside a message)", location=_where(segment))

    def _check_trailer(self, unz: Segment, control_ref: str) -> None:
        count = self.groups or self.count
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
            if self.last_ref is None or unz.get(1) != self.last_ref:
                raise ParseError(problem, location=_where(unz))
            # A known generator mistake echoes the last UNH reference in UNZ; the trailer still names a
            # message of this interchange, so nothing was cut or concatenated.
            self.notices.append(Notice("EDIFACT-UNZ-REF", problem + " (it repeats the last UNH)", _where(unz)))


class MessageReader:
    """One message as it is read: its UNH facts at once, its body segments lazily, its UNT check at the end.

    ``message`` is the :class:`Message` without segments (enough for locations). ``error`` is the UNH
    problem from the start, and the UNT problem (count, reference, none) once ``closed``: after the body
    was iterated to its end. Iterate the body once; the reader hands any service segment ending it back.
    """

    def __init__(self, envelope: InterchangeReader, unh: Segment, index: int) -> None:
        s009 = unh.elements[1] if len(unh.elements) > 1 else ()
        version = "".join(s009[1:3]) if len(s009) > 2 else ""
        self.message = Message(
            index, unh.get(0) or "", unh.get(1) or "", version, unh.get(1, 3), unh.get(1, 4), (), unh.position
        )
        self._envelope, self._unh = envelope, unh
        self.error: ParseError | None = _header_error(self.message, unh)
        self.closed = False
        self.count = 0  # body segments read

    def __iter__(self) -> Iterator[Segment]:
        while not self.closed:
            segment = self._envelope.next_segment()
            if segment is None or segment.tag in _SERVICE_TAGS:
                if segment is not None and segment.tag != "UNT":
                    self._envelope.hand_back(segment)
                self._close(segment if segment is not None and segment.tag == "UNT" else None)
                return
            self.count += 1
            yield segment

    def _close(self, unt: Segment | None) -> None:
        self.closed = True
        if self.error is None:
            self.error = _trailer_error(self.message, self._unh, unt, self.count + 2)

    def drain(self) -> None:
        """Pass over what is left of the body."""
        for _ in self:
            pass

    def read(self) -> Message:
        """The whole message, body held (for messages of bounded size)."""
        segments = tuple(self)
        return dataclasses.replace(self.message, segments=segments, error=self.error)


def _header_error(message: Message, unh: Segment) -> ParseError | None:
    if not message.ref or not message.type or not message.version:
        return ParseError("UNH lacks the message reference or type (S009)", location=message.location(unh))
    return None


def _trailer_error(message: Message, unh: Segment, unt: Segment | None, count: int) -> ParseError | None:
    """``count``: the segments of the message, UNH and UNT included."""
    if unt is None:
        return ParseError(f"message {message.ref} has no UNT trailer", location=message.location(unh))
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
    if not _NUMBER.fullmatch(value) or (len(value) > MAX_DIGITS and sum(c.isdigit() for c in value) > MAX_DIGITS):
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
