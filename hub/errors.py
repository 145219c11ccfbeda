"""The hub's one error taxonomy.

Every error the hub raises on purpose derives from :class:`HubError` and carries a stable
UPPER_SNAKE ``code`` that operators, partners and tests can rely on::

    HubError
    ├── ConfigError                 bad settings or partners file; stops startup
    │   └── UnsupportedStylesheetError  a rule stylesheet we cannot speed up safely (internal: used as published)
    ├── TransientError              retry later; never dead-lettered, never acknowledged
    │   ├── BrokerUnavailableError  BROKER_UNAVAILABLE  (no ack from Kafka in time)
    │   ├── StoreUnavailableError   STORE_UNAVAILABLE   (database or archive not reachable)
    │   ├── SftpUnavailableError    SFTP_UNAVAILABLE    (a wholesaler's SFTP server)
    │   └── ImapUnavailableError    IMAP_UNAVAILABLE    (an IMAP mailbox the hub polls)
    ├── IntakeError                 refused at the edge (stage ``receive``); partner gets a negative ack
    │   ├── DocumentTooLargeError   DOCUMENT_TOO_LARGE
    │   ├── UnknownPartnerError     UNKNOWN_PARTNER
    │   ├── UnsafeArchiveError      UNSAFE_ARCHIVE      (ZIP bomb, nested archive, traversal, too many entries)
    │   └── NoDocumentError         NO_DOCUMENT         (a mail without an attachment of an accepted type)
    └── DocumentError               the document itself is wrong; goes to ``hub.dlq.v1``
        ├── InternalError           INTERNAL            (a bug met while processing; dead-lettered, not a crash)
        ├── UndecodableRecordError  UNDECODABLE_RECORD  (stage ``parse``: a Kafka record we cannot decode)
        ├── UnknownFormatError      UNKNOWN_FORMAT      (stage ``parse``)
        ├── RuleFailedError         RULE_FAILED         (stage ``translate``: EN 16931 / Peppol / arithmetic rules)
        ├── HostileInputError       HOSTILE_INPUT       (stage ``parse``: DOCTYPE, entities, bombs)
        ├── ParseError              PARSE_ERROR         (stage ``parse``: not well-formed)
        ├── MissingFieldError       MISSING_FIELD       (stage ``translate``)
        ├── InvalidValueError       INVALID_VALUE       (stage ``translate``)
        ├── UnknownBuyerError       UNKNOWN_BUYER       (stage ``enrich``)
        ├── ListRejectedError       LIST_REJECTED       (stage ``translate``: too many bad lines; nothing applied)
        ├── LinesSkippedError       LINES_SKIPPED       (stage ``translate``: a few bad lines; the rest applied)
        ├── ConflictingDuplicateError CONFLICTING_DUPLICATE (stage ``sink``: same number, other content)
        ├── ChangedAfterApprovalError CHANGED_AFTER_APPROVAL (stage ``sink``: correction of a booked row)
        └── PartnerMismatchError    PARTNER_MISMATCH    (stage ``enrich``)

Two kinds of exceptions may live outside this module: subclasses of :class:`LocalSignal` (used inside one
module to unwind to a handler in that same module, never escaping it) and ``OSError`` subclasses that a
protocol library translates into its wire status (e.g. paramiko's SFTP permission denied).

``DocumentError`` knows where in the document it happened (``location``: a line, a segment or an
XPath) so that the message a person reads names the file, the place and the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal, Protocol

Stage = Literal["receive", "parse", "translate", "enrich", "sink"]


class RuleFinding(Protocol):
    """What RuleFailedError needs of a rule finding (hub.canonical.ValidationIssue satisfies it)."""

    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def location(self) -> str | None: ...


class LocalSignal(Exception):
    """Base of module-internal exceptions that unwind to a handler in the same module and never escape."""


class HubError(Exception):
    """Base of every error the hub raises deliberately."""

    code: ClassVar[str] = "HUB_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self) -> str:
        """One line for a person: ``error[CODE]: message``."""
        return f"error[{self.code}]: {self.message}"


class ConfigError(HubError):
    """Settings or the partners file are invalid; the process must not start."""

    code = "CONFIG_INVALID"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def render(self) -> str:
        lines = [super().render(), *(f"  {p}" for p in self.problems)]
        return "\n".join(lines)


class UnsupportedStylesheetError(ConfigError):
    """A rule stylesheet is not shaped like the Schematron skeleton's output; it is used as published."""

    code = "UNSUPPORTED_STYLESHEET"


class TransientError(HubError):
    """A dependency is unavailable; retry without committing or acknowledging anything."""

    code = "TRANSIENT"


class BrokerUnavailableError(TransientError):
    code = "BROKER_UNAVAILABLE"


class StoreUnavailableError(TransientError):
    code = "STORE_UNAVAILABLE"


class SftpUnavailableError(TransientError):
    code = "SFTP_UNAVAILABLE"


class ImapUnavailableError(TransientError):
    code = "IMAP_UNAVAILABLE"


class IntakeError(HubError):
    """A delivery is refused at the edge; the partner receives a negative acknowledgement."""

    code = "INTAKE_REFUSED"
    stage: ClassVar[Stage] = "receive"


class DocumentTooLargeError(IntakeError):
    code = "DOCUMENT_TOO_LARGE"


class UnknownPartnerError(IntakeError):
    code = "UNKNOWN_PARTNER"


class UnsafeArchiveError(IntakeError):
    """A ZIP that could exhaust memory or disk, hides an archive in an archive, or names paths outside itself."""

    code = "UNSAFE_ARCHIVE"


class NoDocumentError(IntakeError):
    """A delivery (a mail) that carries nothing the hub can take: no attachment of an accepted type."""

    code = "NO_DOCUMENT"


class DocumentError(HubError):
    """The document cannot be processed as it is; it is dead-lettered with this reason."""

    code = "DOCUMENT_ERROR"
    stage: ClassVar[Stage] = "translate"

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.location = location
        self.translator: str | None = None  # name@version, filled in by the pipeline when a translator failed

    def render_for(self, filename: str | None) -> str:
        """``error[CODE]: message (file: location)`` — what ``hub translate`` prints."""
        where = ": ".join(p for p in (filename, self.location) if p)
        return f"error[{self.code}]: {self.message}" + (f" ({where})" if where else "")

    def render(self) -> str:
        return self.render_for(None)


class InternalError(DocumentError):
    """An unexpected failure while processing a document: a bug, dead-lettered instead of crashing."""

    code = "INTERNAL"


class UndecodableRecordError(DocumentError):
    code = "UNDECODABLE_RECORD"
    stage = "parse"


class RuleFailedError(DocumentError):
    """Fatal business-rule findings; ``issues`` holds every failed rule (id, message, location)."""

    code = "RULE_FAILED"

    def __init__(self, issues: Sequence[RuleFinding]) -> None:
        shown = "; ".join(f"[{i.rule}] {i.message}" for i in issues)
        super().__init__(f"{len(issues)} rule(s) failed: {shown}", location=issues[0].location if issues else None)
        self.issues = list(issues)

    def render_for(self, filename: str | None) -> str:
        """One line per failed rule, so `hub translate` lists every rule id with its message."""
        head = f"error[{self.code}]: {len(self.issues)} rule(s) failed" + (f" ({filename})" if filename else "")
        return "\n".join([head, *(f"  [{i.rule}] {i.message} ({i.location or '-'})" for i in self.issues)])


class UnknownFormatError(DocumentError):
    code = "UNKNOWN_FORMAT"
    stage = "parse"


class HostileInputError(DocumentError):
    code = "HOSTILE_INPUT"
    stage = "parse"


class ParseError(DocumentError):
    code = "PARSE_ERROR"
    stage = "parse"


class MissingFieldError(DocumentError):
    code = "MISSING_FIELD"


class InvalidValueError(DocumentError):
    code = "INVALID_VALUE"


class UnknownBuyerError(DocumentError):
    code = "UNKNOWN_BUYER"
    stage = "enrich"


class ListRejectedError(DocumentError):
    code = "LIST_REJECTED"


class LinesSkippedError(DocumentError):
    code = "LINES_SKIPPED"


class ConflictingDuplicateError(DocumentError):
    code = "CONFLICTING_DUPLICATE"
    stage = "sink"


class ChangedAfterApprovalError(DocumentError):
    code = "CHANGED_AFTER_APPROVAL"
    stage = "sink"


class PartnerMismatchError(DocumentError):
    code = "PARTNER_MISMATCH"
    stage = "enrich"
