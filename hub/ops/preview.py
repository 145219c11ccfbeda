"""A preview of an archived document around an error location, for ``hub dlq show``.

Locations come in the shapes the translators write: ``line 43, column 48`` (text formats, XML syntax
errors), an XPath (``/Invoice/cac:InvoiceLine[2]/cac:Price``, also SVRL's ``/*:Invoice[namespace-uri()=…][1]``),
EDIFACT ``segment 7 (PRI+AAA)`` or ``message 2, segment 5 (MOA+77)``, and ``byte 120``. Anything else shows
the head of the file. Text is decoded with the document's own charset (BOM, XML declaration, EDIFACT UNB
syntax identifier), else UTF-8, else Windows-1252 — and the preview says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

from hub.archive import Archive
from hub.formats.edifact import CHARSETS
from hub.formats.xmlsafe import make_parser, refuse_hostile_prolog

MAX_STRUCTURED_BYTES = 32 * 1024 * 1024  # XPath and segment previews parse the whole document
MAX_WIDTH = 160
_LINE = re.compile(r"\bline (\d+)(?:, column (\d+))?")
_SEGMENT = re.compile(r"(?:message (\d+), )?segment (\d+)")
_BYTE = re.compile(r"\b(?:byte|offset) (\d+)")
_XPATH = re.compile(r"(?:^|[\s,(])(/[^\s,]+)")
_XML_ENCODING = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_STEP = re.compile(r"/([^/\[]+)((?:\[[^\]]*\])*)")


@dataclass(frozen=True, slots=True)
class Shown:
    number: int  # line, segment or byte offset
    text: str
    focus: bool = False


@dataclass(frozen=True, slots=True)
class Preview:
    kind: str  # lines | xml | segments | bytes | head | binary | unavailable
    unit: str  # what ``number`` counts: line, segment, byte
    charset: str | None
    rows: list[Shown] = field(default_factory=list)
    note: str | None = None


def make_preview(archive: Archive, uri: str, location: str | None, *, context: int = 2) -> Preview:
    """The region of the archived bytes that ``location`` points at (plus ``context`` lines around)."""
    try:
        with archive.open(uri) as handle:
            head = handle.read(4096)
    except Exception as exc:  # the archive is the one place a missing file is worth a clear sentence
        return Preview("unavailable", "line", None, note=f"the archived bytes cannot be read: {exc}")
    if _binary(head):
        return _hexdump(head[:256], 0, None, "binary")
    codec, note = _charset(head, archive, uri)
    where = location or ""
    if (path := _XPATH.search(where)) and head.lstrip().startswith(b"<"):
        return _xml(archive, uri, path.group(1), codec, note, context)
    if (segment := _SEGMENT.search(where)) and not _LINE.search(where):
        message = int(segment.group(1)) if segment.group(1) else None
        return _segments(archive, uri, message, int(segment.group(2)), codec, note, context)
    if line := _LINE.search(where):
        column = int(line.group(2)) if line.group(2) else None
        return _lines(archive, uri, int(line.group(1)), column, codec, note, context)
    if byte := _BYTE.search(where):
        return _bytes_around(archive, uri, int(byte.group(1)))
    return _lines(archive, uri, 1, None, codec, note, context, focus=False, after=2 * context + 4)


# --- charsets -----------------------------------------------------------------------------------------


def _binary(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") or (b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")))


def _charset(head: bytes, archive: Archive, uri: str) -> tuple[str, str]:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 (byte order mark)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16 (byte order mark)"
    if declared := _XML_ENCODING.match(head):
        name = declared.group(1).decode("ascii")
        return _known(name), f"{name} (XML declaration)"
    unb = re.search(rb"UNB[^A-Z]{1,3}(UNO[A-Z])", head[:200])
    if unb and (codec := CHARSETS.get(unb.group(1).decode("ascii"))):
        return codec, f"{codec} (EDIFACT {unb.group(1).decode('ascii')})"
    if _is_utf8(archive, uri):
        return "utf-8", "UTF-8"
    return "cp1252", "Windows-1252 (the bytes are not valid UTF-8)"


def _known(name: str) -> str:
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name


def _is_utf8(archive: Archive, uri: str, limit: int = 8 * 1024 * 1024) -> bool:
    with archive.open(uri) as handle:
        data = handle.read(limit)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3 and len(data) == limit  # only a character cut at the limit
    return True


# --- lines --------------------------------------------------------------------------------------------


def _lines(
    archive: Archive,
    uri: str,
    line: int,
    column: int | None,
    codec: str,
    note: str,
    context: int,
    *,
    focus: bool = True,
    after: int | None = None,
) -> Preview:
    first, last = max(1, line - context), line + (context if after is None else after)
    rows = []
    with archive.open(uri) as handle:
        for number, raw in _numbered_lines(handle):
            if number > last:
                break
            if number >= first:
                text = raw.decode(codec, errors="replace").rstrip("\r\n").lstrip("\ufeff")
                is_focus = focus and number == line
                rows.append(Shown(number, _clip(text, column if is_focus else None), is_focus))
    shown_note = f"{note}; column {column}" if column else note
    if focus and not any(r.focus for r in rows):
        shown_note += f"; the file has fewer than {line} lines"
    return Preview("lines" if focus else "head", "line", codec, rows, shown_note)


def _numbered_lines(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    yield from enumerate(handle, start=1)


def _clip(text: str, column: int | None) -> str:
    text = text.replace("\t", " ")
    if len(text) <= MAX_WIDTH:
        return text
    centre = (column or 1) - 1
    start = max(0, min(centre - MAX_WIDTH // 2, len(text) - MAX_WIDTH))
    prefix, suffix = ("…" if start else ""), ("…" if start + MAX_WIDTH < len(text) else "")
    return prefix + text[start : start + MAX_WIDTH] + suffix


# --- XML ----------------------------------------------------------------------------------------------


def _xml(archive: Archive, uri: str, path: str, codec: str, note: str, context: int) -> Preview:
    data = _read_bounded(archive, uri)
    element = None
    if data is not None:
        element = _resolve(data, path)
    if element is None or element.sourceline is None:
        fallback = _lines(archive, uri, 1, None, codec, note, context, focus=False, after=2 * context + 4)
        return Preview("head", "line", codec, fallback.rows, f"{note}; {path} not found in the document")
    start = int(element.sourceline)
    span = etree.tostring(element, with_tail=False).count(b"\n")
    end = start + min(span, 12)
    rows = _lines(archive, uri, start, None, codec, note, context, after=end - start + context).rows
    marked = [Shown(r.number, r.text, start <= r.number <= end) for r in rows]
    return Preview("xml", "line", codec, marked, f"{note}; element {path}")


def _read_bounded(archive: Archive, uri: str) -> bytes | None:
    with archive.open(uri) as handle:
        data = handle.read(MAX_STRUCTURED_BYTES + 1)
    return None if len(data) > MAX_STRUCTURED_BYTES else data


def _resolve(data: bytes, path: str) -> etree._Element | None:
    """Walk a simple XPath by local names and positions; tolerant of prefixes, ``*:`` and SBDH wrapping."""
    try:
        refuse_hostile_prolog(data)
        root = etree.fromstring(data, make_parser())
    except Exception:
        return None
    steps = [(_local(name), _position(preds)) for name, preds in _STEP.findall(path) if not name.startswith("@")]
    if not steps:
        return None
    first = next((el for el in root.iter() if isinstance(el.tag, str) and _local(el.tag) == steps[0][0]), None)
    current = first
    for name, position in steps[1:]:
        if current is None:
            return None
        children = [c for c in current if isinstance(c.tag, str) and _local(c.tag) == name]
        current = children[position - 1] if 0 < position <= len(children) else None
    return current


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _position(predicates: str) -> int:
    numbers = re.findall(r"\[(\d+)\]", predicates)
    return int(numbers[-1]) if numbers else 1


# --- EDIFACT segments -----------------------------------------------------------------------------------


def _segments(
    archive: Archive, uri: str, message: int | None, segment: int, codec: str, note: str, context: int
) -> Preview:
    data = _read_bounded(archive, uri)
    if data is None:
        return Preview("unavailable", "segment", codec, note="the interchange is too large to preview")
    segments = split_segments(data.decode(codec, errors="replace"))
    target = segment
    if message is not None:
        heads = [i for i, s in enumerate(segments, start=1) if s.startswith("UNH")]
        if message > len(heads):
            return Preview("unavailable", "segment", codec, note=f"the interchange has no message {message}")
        target = heads[message - 1] + segment - 1
    first, last = max(1, target - context), min(len(segments), target + context)
    rows = [Shown(i, _clip(segments[i - 1], None), i == target) for i in range(first, last + 1)]
    where = f"message {message}, segment {segment} = interchange segment {target}" if message else f"segment {target}"
    return Preview("segments", "segment", codec, rows, f"{note}; {where}")


def split_segments(text: str) -> list[str]:
    """Segments of an interchange (UNA excluded, so UNB is number 1), separators as written."""
    terminator, release = "'", "?"
    body = text.lstrip("\ufeff \r\n")
    if body.startswith("UNA") and len(body) >= 9:
        release = body[6] if body[6] != " " else ""
        terminator = body[8]
        body = body[9:]
    segments, current, escaped = [], [], False
    for char in body:
        current.append(char)
        if escaped:
            escaped = False
        elif release and char == release:
            escaped = True
        elif char == terminator:
            segments.append("".join(current).strip())
            current = []
    if "".join(current).strip():
        segments.append("".join(current).strip())
    return segments


# --- bytes --------------------------------------------------------------------------------------------


def _bytes_around(archive: Archive, uri: str, offset: int) -> Preview:
    start = max(0, (offset // 16 - 2) * 16)
    with archive.open(uri) as handle:
        handle.seek(start)
        data = handle.read(80)
    return _hexdump(data, start, offset, "bytes")


def _hexdump(data: bytes, start: int, offset: int | None, kind: str) -> Preview:
    rows = []
    for i in range(0, len(data), 16):
        chunk = data[i : i + 16]
        text = (
            " ".join(f"{b:02x}" for b in chunk).ljust(48)
            + "  "
            + "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        )
        address = start + i
        rows.append(Shown(address, text, offset is not None and address <= offset < address + 16))
    note = "binary file: first bytes" if kind == "binary" else f"byte {offset}"
    return Preview(kind, "byte", None, rows, note)
