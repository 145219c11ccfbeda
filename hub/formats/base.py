"""The translator contract.

A translator is pure: it gets a binary stream and a :class:`TranslationContext` and yields
canonical records (DESIGN §9.1: an iterator, so a 300 MB file never sits in memory; small XML
documents may be read whole). It never touches Kafka, a database, the archive or the clock.

Every translator has a :class:`TranslatorId` whose integer ``version`` is bumped on *any* change
that alters output for the same input; sinks use it to fence replays (a record from an older
version never overwrites one from a newer version).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar, Protocol

from hub.canonical.invoice import ValidationIssue
from hub.errors import DocumentError
from hub.formats.mapping import ColumnMapping


@dataclass(frozen=True, slots=True)
class TranslatorId:
    name: str  # e.g. "peppol-bis3-invoice"
    version: int

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


class DocumentValidator(Protocol):
    """Official business rules compiled once (EN 16931 + Peppol); pure and in-memory once loaded."""

    def validate(self, data: bytes, *, peppol: bool) -> Sequence[ValidationIssue]:
        """Every finding (fatal and warning) for one UBL document; the document is not modified."""
        ...


@dataclass(frozen=True, slots=True)
class TranslationContext:
    """What a translator may know besides the bytes."""

    partner_id: str | None = None
    tenant_id: str | None = None
    filename: str | None = None
    max_xml_bytes: int = 64 * 1024 * 1024
    validator: DocumentValidator | None = None  # None: official rules not applied (switched off or unavailable)
    validation_skipped: str = "the official EN 16931 / Peppol rules are not loaded (set HUB_VALIDATION_ARTEFACTS)"
    options: Mapping[str, str] = field(default_factory=dict)  # import options: valid_from (ISO date), kind, …
    mapping: ColumnMapping | None = None  # the column mapping named by options["mapping"], resolved by the caller


@dataclass(frozen=True, slots=True)
class EmbeddedContent:
    """Decoded bytes of an attachment embedded in a document (a PDF copy of the invoice, say).

    A translator yields these alongside its records; the pipeline stores them in the archive and fills
    ``archive_uri`` into the record's ``Attachment`` with the same ``sha256``. Bytes never ride on Kafka.
    """

    document_id: str
    sha256: str
    content: bytes
    filename: str | None = None
    mime_type: str | None = None


VALIDATION_SKIPPED = "HUB-VALIDATION-SKIPPED"


@dataclass(frozen=True, slots=True)
class FailedRecord:
    """One message of a multi-message interchange that failed; the others still go through.

    A translator yields this *instead of* a record (DESIGN §9.8: a message error dead-letters only that
    message; an envelope error is raised and dead-letters the whole interchange).
    """

    error: DocumentError
    reference: str  # e.g. "UNH 2 (message reference 000123)"


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What a quick look at the first bytes revealed (no full parse)."""

    syntax: str  # "xml" | "edifact" | "nelfo" | "csv" | "unknown"
    root: str | None = None  # XML: "{namespace}LocalName" of the document root (after SBDH)
    customization_id: str | None = None  # UBL cbc:CustomizationID, if seen in the head
    head: bytes = b""


class Translator(Protocol):
    """Implemented by every translator class; the registry holds instances."""

    id: ClassVar[TranslatorId]
    record_type: ClassVar[str]  # canonical record type it yields, e.g. "SupplierInvoice"
    description: ClassVar[str]

    def accepts(self, sniffed: Sniffed) -> int:
        """0 = not mine; higher = more specific match (the registry takes the highest)."""
        ...

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        """Yield canonical records; raise :class:`hub.errors.DocumentError` subclasses on bad input."""
        ...
