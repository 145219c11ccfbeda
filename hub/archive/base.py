"""The archive interface: streams in, content addressed by SHA-256, durable before it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol

URI_PREFIX = "archive://sha256/"


@dataclass(frozen=True, slots=True)
class ArchivedObject:
    sha256: str
    size: int

    @property
    def uri(self) -> str:
        """Location-independent reference; the configured backend resolves it."""
        return f"{URI_PREFIX}{self.sha256}"


def sha256_of_uri(uri: str) -> str:
    if not uri.startswith(URI_PREFIX):
        msg = f"not an archive URI: {uri!r}"
        raise ValueError(msg)
    digest = uri.removeprefix(URI_PREFIX)
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        msg = f"malformed archive URI: {uri!r}"
        raise ValueError(msg)
    return digest


class Archive(Protocol):
    """Implemented by the local directory store (default) and, later, an S3-compatible store."""

    def put_stream(self, stream: BinaryIO, *, max_bytes: int) -> ArchivedObject:
        """Copy ``stream`` in; return only once the bytes are durable. Idempotent per content."""
        ...

    def put_bytes(self, data: bytes) -> ArchivedObject: ...

    def open(self, uri: str) -> BinaryIO:
        """Open archived bytes for reading."""
        ...

    def read(self, uri: str) -> bytes: ...

    def exists(self, uri: str) -> bool: ...
