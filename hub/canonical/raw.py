"""``RawDocument`` (what a connector received) and ``DeadLetter`` (what could not be processed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

Channel = Literal["as2", "sftp", "email", "upload", "drop"]


@dataclass(frozen=True, slots=True)
class RawDocument:
    """A received document: metadata plus a reference to its bytes in the archive."""

    TYPE: ClassVar[str] = "RawDocument"

    document_id: str  # UUIDv7, assigned at intake
    partner_id: str  # the delivering wholesaler
    channel: Channel
    transport_id: str  # AS2 Message-ID, sftp://host/path@mtime:size, mail Message-ID, upload:sha256
    sha256: str
    size: int
    archive_uri: str
    received_at: datetime  # UTC
    tenant_id: str | None = None  # known when a tenant forwarded or uploaded it
    filename: str | None = None
    content_type: str | None = None
    format_hint: str | None = None  # translator name forced by the partner or the operator
    inline_content: bytes | None = None  # the bytes themselves when small
    options: dict[str, str] = field(default_factory=dict)  # import options: mapping, valid_from, kind


@dataclass(frozen=True, slots=True)
class Header:
    """One Kafka record header."""

    key: str
    value: bytes | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that failed, with the original Kafka record and the reason."""

    TYPE: ClassVar[str] = "DeadLetter"

    code: str  # UPPER_SNAKE error code, e.g. UNKNOWN_FORMAT
    stage: str  # receive | parse | translate | enrich | sink
    message: str
    failed_at: datetime
    original_topic: str
    original_partition: int
    original_offset: int
    original_key: bytes | None
    original_value: bytes | None
    original_headers: tuple[Header, ...] = ()
    location: str | None = None  # line, segment or XPath
    document_id: str | None = None
    partner_id: str | None = None
    filename: str | None = None
    translator: str | None = None  # name@version
