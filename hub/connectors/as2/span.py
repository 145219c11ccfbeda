"""A byte range of a file, and the one cut AS2 makes in a MIME body: the parts of a multipart/signed.

Shared by the in-memory entities (:mod:`hub.connectors.as2.mime`, a ``BytesIO``) and the on-file ones
(:mod:`hub.connectors.as2.spool`): the signed part is cut exactly as sent — the CRLF before a delimiter
belongs to the delimiter — so the digest is taken over what the sender signed.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

CHUNK = 1 << 20
DELIMITER_END = (b"\r", b"\n", b" ", b"\t", b"-")


@dataclass(frozen=True, slots=True)
class Span:
    """Bytes ``start`` … ``end`` of a file."""

    file: BinaryIO
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start

    def read(self, offset: int, count: int) -> bytes:
        """Up to ``count`` bytes from ``offset`` (relative to the span), never past its end."""
        count = max(0, min(count, self.size - offset))
        self.file.seek(self.start + offset)
        return self.file.read(count)

    def chunks(self) -> Iterator[bytes]:
        for offset in range(0, self.size, CHUNK):
            yield self.read(offset, CHUNK)

    def open(self) -> BinaryIO:
        """A read-only file of just this span (the payload handed to the intake)."""
        return cast(BinaryIO, io.BufferedReader(_SpanIO(self), CHUNK))

    def sub(self, start: int, end: int) -> Span:
        return Span(self.file, self.start + start, self.start + end)

    def digest(self, algorithm: str) -> bytes:
        hashed = hashlib.new(algorithm)
        for chunk in self.chunks():
            hashed.update(chunk)
        return hashed.digest()


class _SpanIO(io.RawIOBase):
    def __init__(self, span: Span) -> None:
        self.span, self.position = span, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.span.read(self.position, len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def cut_signed(body: Span, boundary: object) -> tuple[Span, Span]:
    """(the signed part, the signature part) of a multipart/signed body with this boundary parameter."""
    if not isinstance(boundary, str) or not boundary:
        msg = "multipart/signed without a boundary"
        raise ValueError(msg)
    delimiter = b"--" + boundary.encode("latin-1")
    first = _delimiter(body, delimiter, 0)
    second = _delimiter(body, delimiter, _line_end(body, first))
    third = _delimiter(body, delimiter, _line_end(body, second))
    return _part(body, _line_end(body, first), second), _part(body, _line_end(body, second), third)


def _find(span: Span, needle: bytes, start: int) -> int:
    """Offset of ``needle`` at or after ``start`` in ``span``, or -1; reads overlapping chunks."""
    position = start
    while position < span.size:
        window = span.read(position, CHUNK + len(needle))
        found = window.find(needle)
        if found >= 0:
            return position + found
        position += CHUNK
    return -1


def _delimiter(span: Span, delimiter: bytes, start: int) -> int:
    position = start
    while True:
        found = _find(span, delimiter, position)
        if found < 0:
            msg = "multipart/signed: boundary not found"
            raise ValueError(msg)
        at_line_start = found == 0 or span.read(found - 1, 1) == b"\n"
        after = span.read(found + len(delimiter), 1)
        if at_line_start and (after in DELIMITER_END or not after):
            return found
        position = found + 1


def _line_end(span: Span, start: int) -> int:
    end = _find(span, b"\n", start)
    return span.size if end < 0 else end + 1


def _part(span: Span, start: int, next_delimiter: int) -> Span:
    end = next_delimiter
    before = span.read(end - 2, 2) if end >= 2 else b""
    if before == b"\r\n":
        end -= 2
    elif before[-1:] == b"\n":
        end -= 1
    return span.sub(start, end)
