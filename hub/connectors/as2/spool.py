"""MIME entities on file (large AS2 messages): byte ranges instead of ``bytes``, decoded in chunks.

The same cuts as :mod:`hub.connectors.as2.mime` — header block at the first empty line, the signed part
of a ``multipart/signed`` exactly as sent (the CRLF before a delimiter belongs to the delimiter) — done by
seeking and scanning a file, so memory stays at a few chunks whatever the size of the message.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from typing import BinaryIO

from hub.connectors.as2.mime import HEADER_LINE, Typed
from hub.connectors.as2.span import Span, cut_signed

MAX_HEADER_BLOCK = 64 * 1024
MAX_SIGNATURE = 1 << 20
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class FileEntity(Typed):
    headers: Message
    body: Span

    def decode_to(self, out: BinaryIO) -> None:
        """Write the body with its Content-Transfer-Encoding undone; ValueError on broken base64."""
        encoding = self.transfer_encoding
        if encoding == "base64":
            _base64(self.body.chunks(), out)
        elif encoding == "quoted-printable":
            _quoted_printable(self.body.chunks(), out)
        else:
            for chunk in self.body.chunks():
                out.write(chunk)


def http_entity(headers: Message, body: Span) -> FileEntity:
    return FileEntity(headers, body)


def read_entity(span: Span) -> FileEntity:
    """Split at the first empty line; data without a header block is a bare text/plain body."""
    head = span.read(0, MAX_HEADER_BLOCK)
    if not HEADER_LINE.match(head):
        return FileEntity(BytesHeaderParser().parsebytes(b"Content-Type: text/plain\r\n\r\n"), span)
    ends = [(i, sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := head.find(sep)) >= 0]
    if not ends:
        if span.size > MAX_HEADER_BLOCK:
            msg = f"MIME header block longer than {MAX_HEADER_BLOCK} bytes"
            raise ValueError(msg)
        return FileEntity(BytesHeaderParser().parsebytes(head + b"\r\n\r\n"), span.sub(span.size, span.size))
    index, sep = min(ends)
    cut = index + len(sep)
    return FileEntity(BytesHeaderParser().parsebytes(head[:cut]), span.sub(cut, span.size))


def signed_parts(entity: FileEntity) -> tuple[Span, bytes]:
    """(the signed part's exact bytes as a span, the signature part's bytes) of a multipart/signed entity."""
    signed, signature = cut_signed(entity.body, entity.headers.get_param("boundary"))
    if signature.size > MAX_SIGNATURE:
        msg = f"signature part of {signature.size} bytes is larger than {MAX_SIGNATURE}"
        raise ValueError(msg)
    return signed, signature.read(0, signature.size)


def _base64(chunks: Iterator[bytes], out: BinaryIO) -> None:
    pending = b""
    for chunk in chunks:
        data = pending + chunk.translate(None, _WHITESPACE)
        cut = len(data) - len(data) % 4
        out.write(base64.b64decode(data[:cut], validate=True))
        pending = data[cut:]
    if pending:
        out.write(base64.b64decode(pending, validate=True))  # a short tail raises binascii.Error (a ValueError)


def _quoted_printable(chunks: Iterator[bytes], out: BinaryIO) -> None:
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        cut = data.rfind(b"\n") + 1  # decode whole lines only: a soft break or =XX may span chunks
        out.write(quopri.decodestring(data[:cut]))
        pending = data[cut:]
    out.write(quopri.decodestring(pending))
