"""Streaming BER/DER over a file: walk a large CMS structure and read only its small parts whole.

A 200 MB AS2 message is one CMS ``EnvelopedData`` (or ``CompressedData``) whose content is a single
OCTET STRING. asn1crypto (under pyas2lib) loads the whole structure, so memory grows with the message.
This reader walks the outer SEQUENCEs header by header, returns the small elements (recipient infos,
algorithm identifiers) as bytes for asn1crypto, and yields the big content in chunks — primitive, or
constructed from segments with definite or indefinite length (BER, as BouncyCastle-based products send).
Bytes that are not the structure expected raise ``ValueError`` naming the offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
MAX_ELEMENT = 1 << 20  # recipient infos, algorithm identifiers: never near this
SEQUENCE, SET, OID, INTEGER, OCTET_STRING = 0x30, 0x31, 0x06, 0x02, 0x04
EXPLICIT_0, IMPLICIT_0_PRIMITIVE = 0xA0, 0x80
ENVELOPED_DATA = bytes.fromhex("06092a864886f70d010703")  # 1.2.840.113549.1.7.3
COMPRESSED_DATA = bytes.fromhex("060b2a864886f70d0109100109")  # 1.2.840.113549.1.9.16.1.9


@dataclass(frozen=True, slots=True)
class Header:
    tag: int  # the first identifier octet (class, constructed bit, low tag number)
    length: int | None  # None: indefinite (ends with an end-of-contents 00 00)
    raw: bytes
    offset: int

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    @property
    def end_of_contents(self) -> bool:
        return self.tag == 0 and self.length == 0


class BerReader:
    """Sequential reader of ``size`` bytes of ``stream`` from its current position."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream, self.size, self.offset = stream, size, 0

    def header(self) -> Header:
        start, raw = self.offset, bytearray(self._read(1))
        if raw[0] & 0x1F == 0x1F:  # high tag number: base-128 continuation octets
            while True:
                raw += self._read(1)
                if not raw[-1] & 0x80:
                    break
        raw += self._read(1)
        first = raw[-1]
        if first == 0x80:
            return Header(raw[0], None, bytes(raw), start)
        if first < 0x80:
            return Header(raw[0], first, bytes(raw), start)
        count = first & 0x7F
        if count > 8:
            raise ValueError(f"length of {count} octets at offset {start}")
        octets = self._read(count)
        return Header(raw[0], int.from_bytes(octets, "big"), bytes(raw + octets), start)

    def expect(self, tag: int, what: str) -> Header:
        header = self.header()
        if header.tag != tag:
            raise ValueError(f"expected {what} (tag 0x{tag:02x}) at offset {header.offset}, found 0x{header.tag:02x}")
        return header

    def element(self, header: Header | None = None) -> bytes:
        """One whole element (header included), definite or indefinite, at most :data:`MAX_ELEMENT` bytes."""
        header = header or self.header()
        if header.length is not None:
            if header.length > MAX_ELEMENT:
                raise ValueError(f"element of {header.length} bytes at offset {header.offset} is too large")
            return header.raw + self._read(header.length)
        if not header.constructed:
            raise ValueError(f"primitive element with indefinite length at offset {header.offset}")
        parts = [header.raw]
        while True:
            child = self.header()
            parts.append(self.element(child) if not child.end_of_contents else child.raw)
            if child.end_of_contents:
                return b"".join(parts)
            if self.offset - header.offset > MAX_ELEMENT:
                raise ValueError(f"element at offset {header.offset} is too large")

    def octets(self, header: Header) -> Iterator[bytes]:
        """The content of an OCTET STRING (or an implicitly tagged one) in chunks, segmented or not."""
        if not header.constructed:
            if header.length is None:
                raise ValueError(f"primitive OCTET STRING with indefinite length at offset {header.offset}")
            yield from self._chunks(header.length)
            return
        end = None if header.length is None else self.offset + header.length
        while end is None or self.offset < end:
            child = self.header()
            if child.end_of_contents:
                if end is not None:
                    raise ValueError(f"end-of-contents inside a definite-length string at offset {child.offset}")
                return
            if child.tag not in (OCTET_STRING, OCTET_STRING | 0x20):
                raise ValueError(f"segment of a constructed OCTET STRING has tag 0x{child.tag:02x} at {child.offset}")
            yield from self.octets(child)

    def _chunks(self, length: int) -> Iterator[bytes]:
        left = length
        while left:
            chunk = self._read(min(CHUNK, left))
            left -= len(chunk)
            yield chunk

    def _read(self, count: int) -> bytes:
        if self.offset + count > self.size:
            raise ValueError(f"truncated: {count} byte(s) needed at offset {self.offset} of {self.size}")
        data = self.stream.read(count)
        if len(data) != count:
            raise ValueError(f"truncated: {count} byte(s) needed at offset {self.offset}")
        self.offset += count
        return data


@dataclass(frozen=True, slots=True)
class Enveloped:
    recipient_infos: bytes  # DER/BER of the RecipientInfos SET
    algorithm: bytes  # the ContentEncryptionAlgorithmIdentifier
    content: Iterator[bytes]  # the encrypted content, in chunks


def enveloped_data(reader: BerReader) -> Enveloped:
    """ContentInfo → EnvelopedData (RFC 5652 §6.1), up to the encrypted content."""
    _content_info(reader, ENVELOPED_DATA, "enveloped-data")
    reader.expect(SEQUENCE, "EnvelopedData")
    reader.element()  # version
    infos = reader.element()
    if infos[0] == EXPLICIT_0:  # originatorInfo: skipped, the recipient infos follow
        infos = reader.element()
    if infos[0] != SET:
        raise ValueError("EnvelopedData: recipientInfos missing")
    reader.expect(SEQUENCE, "EncryptedContentInfo")
    reader.element()  # content type
    algorithm = reader.element()
    content = reader.header()
    if content.tag not in (IMPLICIT_0_PRIMITIVE, EXPLICIT_0):
        raise ValueError(f"EnvelopedData without encrypted content at offset {content.offset}")
    return Enveloped(infos, algorithm, reader.octets(content))


def compressed_data(reader: BerReader) -> tuple[bytes, Iterator[bytes]]:
    """ContentInfo → CompressedData (RFC 3274): (the compression algorithm, the compressed content in chunks)."""
    _content_info(reader, COMPRESSED_DATA, "compressed-data")
    reader.expect(SEQUENCE, "CompressedData")
    reader.element()  # version
    algorithm = reader.element()
    reader.expect(SEQUENCE, "EncapsulatedContentInfo")
    reader.element()  # content type
    reader.expect(EXPLICIT_0, "eContent")
    string = reader.header()
    if string.tag not in (OCTET_STRING, OCTET_STRING | 0x20):
        raise ValueError(f"eContent is not an OCTET STRING at offset {string.offset}")
    return algorithm, reader.octets(string)


def _content_info(reader: BerReader, oid: bytes, what: str) -> None:
    reader.expect(SEQUENCE, "ContentInfo")
    if reader.element() != oid:
        raise ValueError(f"not CMS {what}")
    reader.expect(EXPLICIT_0, "ContentInfo content")
