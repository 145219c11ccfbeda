"""AS2 configuration models (partners file): the hub's own station and each wholesaler's AS2 profile.

Owned by the AS2 connector; ``hub.partners`` validates them as part of the partners file. Only
plain pydantic here (no pyas2lib, no crypto): loading the partners file must not need the AS2 extra.

Algorithm names follow pyas2lib's vocabulary (``aes_256_cbc``, ``sha256``). SHA-1, MD5, 3DES and RC2
are *weak*: a partner may list them only with ``allow_weak_algorithms: true``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Digest = Literal["sha256", "sha384", "sha512", "sha224", "sha1", "md5"]
Encryption = Literal["aes_128_cbc", "aes_192_cbc", "aes_256_cbc", "tripledes_192_cbc", "rc2_128_cbc"]
StationUsage = Literal["sign", "decrypt"]
PartnerUsage = Literal["verify", "encrypt"]
MdnMode = Literal["as_requested", "sync", "async"]

WEAK_DIGESTS: frozenset[str] = frozenset({"sha1", "md5"})
WEAK_ENCRYPTION: frozenset[str] = frozenset({"tripledes_192_cbc", "rc2_128_cbc"})
AS2_ID = r"^[!-~][ -~]{0,127}$"  # RFC 4130: 1–128 printable ASCII characters
MiB = 1024 * 1024
_STATION_USAGE: list[StationUsage] = ["sign", "decrypt"]
_PARTNER_USAGE: list[PartnerUsage] = ["verify", "encrypt"]
_STRONG_ENCRYPTION: list[Encryption] = ["aes_128_cbc", "aes_192_cbc", "aes_256_cbc"]
_STRONG_DIGESTS: list[Digest] = ["sha256", "sha384", "sha512"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Window(_Strict):
    valid_from: datetime | None = Field(
        None, description="Use this certificate from this instant on (default: the certificate's notBefore)."
    )
    valid_to: datetime | None = Field(
        None, description="Stop using it after this instant (default: the certificate's notAfter)."
    )

    @field_validator("valid_from", "valid_to")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            msg = "give a time zone, e.g. 2026-05-01T00:00:00Z"
            raise ValueError(msg)
        return value


class StationKey(_Window):
    """One of our key pairs: a private key and its certificate (PEM)."""

    certificate_file: Path = Field(description="Our certificate (PEM); partners encrypt to it and verify MDNs.")
    private_key_file: Path = Field(description="The matching private key (PEM, PKCS#8 or traditional).")
    password_file: Path | None = Field(None, description="File holding the key's passphrase, if it is encrypted.")
    usage: list[StationUsage] = Field(
        default_factory=lambda: list(_STATION_USAGE),
        description="sign = signs our MDNs (the newest valid key signs); decrypt = decrypts inbound messages.",
    )


class PartnerCertificate(_Window):
    """One certificate of a trading partner (PEM or DER)."""

    certificate_file: Path = Field(description="The partner's certificate file (PEM or DER).")
    usage: list[PartnerUsage] = Field(
        default_factory=lambda: list(_PARTNER_USAGE),
        description="verify = checks the partner's signatures; encrypt = what we encrypt to (outbound, later).",
    )


class AsyncMdnPolicy(_Strict):
    """How asynchronous MDNs are delivered: a persistent queue retried with exponential backoff."""

    first_retry_seconds: float = Field(10.0, gt=0, description="Wait before the first retry of a failed delivery.")
    max_backoff_seconds: float = Field(3600.0, gt=0, description="The wait between retries never exceeds this.")
    max_attempts: int = Field(40, ge=1, description="After this many failed attempts the MDN is given up (logged).")
    timeout_seconds: float = Field(30.0, gt=0, description="HTTP timeout of one delivery attempt.")
    poll_interval_seconds: float = Field(1.0, gt=0, description="How often the queue is checked for due MDNs.")


class As2Station(_Strict):
    """The hub's own AS2 identity (top-level ``as2_station`` in the partners file)."""

    as2_id: str = Field(pattern=AS2_ID, description="Our AS2 id: what partners put in AS2-To.")
    keys: list[StationKey] = Field(
        min_length=1, description="Our key pairs; several with overlapping windows roll over without downtime."
    )
    host: str = Field(
        "127.0.0.1", description="Interface the receiver binds to; put a TLS reverse proxy in front of it."
    )
    port: int = Field(4080, ge=0, le=65535, description="TCP port of the receiver; 0 = any free port.")
    path: str = Field("/as2", pattern=r"^/[A-Za-z0-9/_.-]*$", description="HTTP path partners POST messages to.")
    max_message_bytes: int = Field(
        64 * MiB, gt=0, description="Larger HTTP bodies are refused with an error MDN (and not archived)."
    )
    max_bytes_in_flight: int = Field(
        256 * MiB,
        gt=0,
        description=(
            "Bodies being unwrapped in memory at the same time may add up to this; further messages wait. "
            "Unwrapping holds about 7x a message in memory (docs/as2.md), so this caps the receiver's memory; "
            "messages above stream_above_bytes are unwrapped on disk and do not count."
        ),
    )
    stream_above_bytes: int = Field(
        8 * MiB,
        ge=0,
        description=(
            "Larger messages are decrypted, verified and decompressed in chunks on disk (memory flat with size); "
            "smaller ones in memory with pyas2lib, which is faster for them. 0 streams every message."
        ),
    )
    message_id_domain: str = Field("grossisthub.local", description="Right-hand side of our MDN Message-IDs.")
    mdn_text: str = Field(
        "The AS2 message has been received and handed on for processing.",
        description="Human-readable text of a positive MDN.",
    )
    async_mdn: AsyncMdnPolicy = Field(default_factory=AsyncMdnPolicy, description="Asynchronous MDN delivery.")


class As2Partner(_Strict):
    """A wholesaler's AS2 profile (``wholesalers[].as2``)."""

    as2_id: str = Field(pattern=AS2_ID, description="The partner's AS2 id: what it puts in AS2-From.")
    certificates: list[PartnerCertificate] = Field(
        default_factory=list, description="Signature-verification / encryption certificates with validity windows."
    )
    require_signed: bool = Field(True, description="Refuse unsigned messages (authentication).")
    require_encrypted: bool = Field(True, description="Refuse unencrypted messages.")
    require_compressed: bool = Field(False, description="Refuse uncompressed messages.")
    encryption_algorithms: list[Encryption] = Field(
        default_factory=lambda: list(_STRONG_ENCRYPTION),
        description="Content-encryption algorithms accepted from this partner.",
    )
    signing_digests: list[Digest] = Field(
        default_factory=lambda: list(_STRONG_DIGESTS),
        description="Signature digests accepted from this partner (also used for MIC and MDN signatures).",
    )
    allow_weak_algorithms: bool = Field(
        False, description="Must be true to list SHA-1, MD5, 3DES or RC2 above (legacy partners only)."
    )
    mdn_mode: MdnMode = Field(
        "as_requested",
        description=(
            "as_requested: answer as the message asks (RFC 4130); sync: always answer in the HTTP response; "
            "async: the partner is expected to ask for an asynchronous MDN (a message that does not is "
            "answered synchronously, with a warning in the log)."
        ),
    )
    mdn_signing_digest: Digest | None = Field(
        None, description="Digest for signing our MDNs; default: the first the message asks for that is allowed."
    )
    async_mdn_url_prefixes: list[str] = Field(
        default_factory=list,
        description="Asynchronous MDNs are only sent to URLs starting with one of these; [] = any http(s) URL.",
    )

    @model_validator(mode="after")
    def _policy(self) -> As2Partner:
        weak = (set(self.signing_digests) & WEAK_DIGESTS) | (set(self.encryption_algorithms) & WEAK_ENCRYPTION)
        if self.mdn_signing_digest in WEAK_DIGESTS:
            weak.add(self.mdn_signing_digest)
        if weak and not self.allow_weak_algorithms:
            msg = f"weak algorithm(s) {sorted(weak)} need allow_weak_algorithms: true"
            raise ValueError(msg)
        if self.require_signed and not any("verify" in c.usage for c in self.certificates):
            msg = "require_signed needs at least one certificate with usage 'verify'"
            raise ValueError(msg)
        if not self.signing_digests or not self.encryption_algorithms:
            msg = "signing_digests and encryption_algorithms must not be empty"
            raise ValueError(msg)
        return self
