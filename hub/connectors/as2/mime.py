"""Byte-level MIME for AS2 (RFC 2045 / RFC 1847): headers and body of an entity, the parts of a multipart/signed.

The AS2 receiver works on the bytes as they were sent: the signed part of a ``multipart/signed`` is
cut out of the body exactly (the CRLF before a boundary belongs to the boundary), so the digest is
taken over what the sender signed — no re-serialisation through the ``email`` package, which is slow
for large bodies and can change bytes (a classic source of MIC mismatches between AS2 products).
Only header blocks go through the ``email`` parser.
"""

from __future__ import annotations

import base64
import io
import quopri
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

from hub.connectors.as2.span import Span, cut_signed

HEADER_LINE = re.compile(rb"^[!-9;-~]+:")


class Typed:
    """What an entity's headers say about it (shared by in-memory and on-file entities)."""

    __slots__ = ()
    headers: Message

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

    @property
    def transfer_encoding(self) -> str:
        return str(self.headers.get("content-transfer-encoding", "")).strip().lower()


@dataclass(frozen=True, slots=True)
class Entity(Typed):
    headers: Message
    body: bytes

    def decoded(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone."""
        encoding = self.transfer_encoding
        if encoding == "base64":
            return base64.b64decode(self.body)
        if encoding == "quoted-printable":
            return quopri.decodestring(self.body)
        return self.body


def from_http(headers: Mapping[str, str], body: bytes) -> Entity:
    """The outermost entity: the HTTP headers are its MIME headers."""
    return Entity(http_headers(headers), body)


def http_headers(headers: Mapping[str, str]) -> Message:
    """The MIME headers of the HTTP body (its type, transfer encoding and disposition)."""
    wanted = ("content-type", "content-transfer-encoding", "content-disposition")
    block = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() in wanted)
    return BytesHeaderParser().parsebytes(block.encode("latin-1", "replace") + b"\r\n")


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
    body = Span(io.BytesIO(entity.body), 0, len(entity.body))
    signed, signature = cut_signed(body, entity.headers.get_param("boundary"))
    return signed.read(0, signed.size), signature.read(0, signature.size)
