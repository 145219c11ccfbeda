"""E-mail intake configuration (partners file): the mailboxes the hub polls and the wholesalers' sender addresses.

Owned by the e-mail connector. A mailbox without ``tenant`` is *central* (the sender decides the
wholesaler, documents are for every tenant); a mailbox with ``tenant`` is *forwarded* mode: what
arrives there is imported for that tenant only (see docs/connectors.md for the rule that decides the
wholesaler of a forwarded mail).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MiB = 1024 * 1024
MAILBOX_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


def _lower_all(values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    out = [v.strip().lower() for v in values]
    bad = [v for v in out if not pattern.match(v)]
    if bad:
        msg = f"not {what}: {', '.join(bad)}"
        raise ValueError(msg)
    return out


class EmailSenders(BaseModel):
    """Which sender addresses belong to a wholesaler (``wholesalers[].email``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    addresses: list[str] = Field(
        default_factory=list, description="Exact sender addresses (case-insensitive), e.g. prislista@ahlsell.se."
    )
    domains: list[str] = Field(
        default_factory=list,
        description="Sender domains: any address @domain (exactly this domain, not its subdomains). "
        "An exact address of another wholesaler wins over a domain.",
    )

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        return _lower_all(values, ADDRESS, "e-mail addresses")

    @field_validator("domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        return _lower_all([v.lstrip("@") for v in values], DOMAIN, "domain names")

    @model_validator(mode="after")
    def _something(self) -> EmailSenders:
        if not self.addresses and not self.domains:
            msg = "give at least one of addresses or domains"
            raise ValueError(msg)
        return self


class ZipLimits(BaseModel):
    """Limits for ZIP attachments; a ZIP that breaks one is refused whole (UNSAFE_ARCHIVE)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_entries: int = Field(100, ge=1, description="Files (and folders) in one ZIP.")
    max_total_bytes: int = Field(512 * MiB, ge=1, description="Uncompressed size of all entries together.")
    max_ratio: float = Field(
        100.0, gt=1, description="Uncompressed / compressed size of an entry (and of the whole ZIP)."
    )
    ratio_floor_bytes: int = Field(
        1 * MiB, ge=0, description="Entries smaller than this uncompressed are not ratio-checked (tiny files)."
    )


class Mailbox(BaseModel):
    """An IMAP mailbox the hub polls (top-level ``mailboxes`` in the partners file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=MAILBOX_ID, description="Name in logs and transport ids; keep it stable.")
    host: str = Field(description="IMAP server host name or address.")
    port: int = Field(993, ge=1, le=65535, description="IMAP port (993 for TLS, 143 for STARTTLS/plain).")
    security: Literal["tls", "starttls", "plain"] = Field(
        "tls", description="tls (IMAPS), starttls, or plain — plain only to a loopback address."
    )
    username: str = Field(min_length=1, description="IMAP login.")
    password_file: Path = Field(description="File holding the IMAP password (first line); never the partners file.")
    folder: str = Field("INBOX", description="Folder to take mail from.")
    processed_folder: str = Field("grossisthub-processed", description="Taken mail is flagged and moved here.")
    error_folder: str = Field("grossisthub-error", description="Refused mail is flagged and moved here.")
    tenant: str | None = Field(
        None, description="Forwarded mode: everything taken here is imported for this tenant only."
    )
    forwarders: list[str] = Field(
        default_factory=list,
        description="Forwarded mode: addresses or @domains of the tenant's own people allowed to forward "
        "wholesaler mail here; mail from anyone else (and not from a wholesaler) is left for a person.",
    )
    wholesaler: str | None = Field(
        None,
        description="Forwarded mode: the wholesaler of everything forwarded here (a mailbox per wholesaler); "
        "unset = found from the original sender of the forwarded mail.",
    )
    extensions: list[str] = Field(
        default_factory=lambda: ["xml", "edi", "csv", "xlsx", "zip"],
        description="Attachment types taken (file name extension); others are ignored.",
    )
    max_message_bytes: int = Field(64 * MiB, ge=1, description="Larger mail is refused (moved to error_folder).")
    zip: ZipLimits = Field(default_factory=ZipLimits, description="Limits for ZIP attachments.")
    poll_interval_seconds: float = Field(60.0, gt=0, description="Time between polls.")
    timeout_seconds: float = Field(30.0, gt=0, description="IMAP connect / command timeout.")

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().lstrip(".") for v in values]

    @field_validator("forwarders")
    @classmethod
    def _forwarders(cls, values: list[str]) -> list[str]:
        out = [v.strip().lower() for v in values]
        bad = [v for v in out if not (ADDRESS.match(v) or DOMAIN.match(v.lstrip("@")))]
        if bad:
            msg = f"not addresses or @domains: {', '.join(bad)}"
            raise ValueError(msg)
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Mailbox:
        if self.security == "plain" and not _is_loopback(self.host):
            msg = "security: plain sends the password in clear text; allowed only to a loopback address"
            raise ValueError(msg)
        if (self.forwarders or self.wholesaler) and not self.tenant:
            msg = "forwarders and wholesaler belong to forwarded mode: set tenant as well"
            raise ValueError(msg)
        return self


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
