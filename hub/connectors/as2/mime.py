"""Byte-level MIME for AS2 (RFC 2045 / RFC 1847): headers and body of an entity, the parts of a multipart/signed.

The AS2 receiver works on the bytes as they were sent: the signed part of a ``multipart/signed`` is
cut out of the body exactly (the CRLF before a boundary belongs to the boundary), so the digest is
taken over what the sender signed — no re-serialisation through the ``email`` package, which is slow
for large bodies and can change bytes (a classic source of MIC mismatches between AS2 products).
Only header blocks go through the ``email`` parser.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
DELIMITER_END = (b"\r", b"\n", b" ", b"\t", b"-")


@dataclass(frozen=True, slots=True)
class Entity:
    headers: Message
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    @property
    def smime_type(self) -> str:
        return str(self.headers.get_param("smime-type") or "").lower()

    def is_pkcs7(self, smime_type: str) -> bool:
        return self.content_type in ("application/pkcs7-mime", "application/x-pkcs7-mime") and (
            self.smime_type == smime_type
        )

    @property
    def enveloped(self) -> bool:
        return self.is_pkcs7("enveloped-data")

    @property
    def compressed(self) -> bool:
        return self.is_pkcs7("compressed-data")

    @property
    def signed(self) -> bool:
        return self.content_type == "multipart/signed"

    def decoded(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone."""
        encoding = str(self.headers.get("content-transfer-encoding", "")).strip().lower()
        if encoding == "base64":
            return base64.b64decode(self.body)
        if encoding == "quoted-printable":
            return quopri.decodestring(self.body)
        return self.body


def from_http(headers: Mapping[str, str], body: bytes) -> Entity:
    """The outermost entity: the HTTP headers are its MIME headers."""
    wanted = ("content-type", "content-transfer-encoding", "content-disposition")
    block = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() in wanted)
    return Entity(BytesHeaderParser().parsebytes(block.encode("latin-1", "replace") + b"\r\n"), body)


def parse_entity(data: bytes) -> Entity:
    """Split a MIME entity at its first empty line; data without a header block is a bare text/plain body."""
    if not HEADER_LINE.match(data):
        return Entity(BytesHeaderParser().parsebytes(b"Content-Type: text/plain\r\n\r\n"), data)
    ends = [(i, sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := data.find(sep)) >= 0]
    if not ends:
        return Entity(BytesHeaderParser().parsebytes(data + b"\r\n\r\n"), b"")
    index, sep = min(ends)
    return Entity(BytesHeaderParser().parsebytes(data[: index + len(sep)]), data[index + len(sep) :])


def split_signed(entity: Entity) -> tuple[bytes, bytes]:
    """(the signed part's exact bytes, the signature part's bytes) of a multipart/signed entity."""
    boundary = entity.headers.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        msg = "multipart/signed without a boundary"
        raise ValueError(msg)
    delimiter = b"--" + boundary.encode("latin-1")
    body = entity.body
    first = _delimiter(body, delimiter, 0)
    second = _delimiter(body, delimiter, _line_end(body, first))
    third = _delimiter(body, delimiter, _line_end(body, second))
    return _part(body, _line_end(body, first), second), _part(body, _line_end(body, second), third)


def _delimiter(body: bytes, delimiter: bytes, start: int) -> int:
    """Index of the next delimiter line (at the start of a line) at or after ``start``."""
    position = start
    while True:
        found = body.find(delimiter, position)
        if found < 0:
            msg = "multipart/signed: boundary not found"
            raise ValueError(msg)
        at_line_start = found == 0 or body[found - 1 : found] == b"\n"
        after = body[found + len(delimiter) : found + len(delimiter) + 1]
        if at_line_start and (after in DELIMITER_END or not after):
            return found
        position = found + 1


def _line_end(body: bytes, start: int) -> int:
    end = body.find(b"\n", start)
    return len(body) if end < 0 else end + 1


def _part(body: bytes, start: int, next_delimiter: int) -> bytes:
    end = next_delimiter
    if body[end - 2 : end] == b"\r\n":
        end -= 2
    elif body[end - 1 : end] == b"\n":
        end -= 1
    return body[start:end]
