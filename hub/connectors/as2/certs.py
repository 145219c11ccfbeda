"""Certificates and keys of the AS2 station and its partners: loading, validity windows, rollover, expiry.

A certificate is *usable* inside its window: the certificate's own notBefore/notAfter, narrowed by
``valid_from``/``valid_to`` from the partners file. Several certificates may overlap; that is how a
key or certificate is rolled over without downtime:

* our MDNs are signed with the newest usable ``sign`` key (largest window start);
* inbound messages are decrypted with the key whose certificate the sender named (issuer + serial);
* a partner's signature is verified with each usable certificate, newest first, until one fits.

:func:`report_expiry` feeds the ``hub_certificate_days_to_expiry`` gauge and logs a warning when a
certificate has fewer than :data:`WARN_DAYS` days left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import structlog
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from prometheus_client import Gauge

from hub.connectors.as2.config import As2Partner, As2Station, PartnerCertificate, StationKey
from hub.db.types import utcnow
from hub.errors import ConfigError

log = structlog.get_logger(__name__)
WARN_DAYS = 30
DAYS_TO_EXPIRY = Gauge(
    "hub_certificate_days_to_expiry",
    "Days until an AS2 certificate leaves its validity window (negative: expired).",
    ["owner", "usage", "serial"],
)


@dataclass(frozen=True, slots=True)
class Certificate:
    """One configured certificate with its effective validity window."""

    owner: str  # "station" or the wholesaler id
    usage: tuple[str, ...]
    path: Path
    pem: bytes
    subject: str
    issuer_der: bytes
    serial: int
    not_before: datetime
    not_after: datetime
    window_from: datetime
    window_to: datetime

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "x")

    def usable(self, now: datetime) -> bool:
        return self.window_from <= now <= self.window_to

    def days_to_expiry(self, now: datetime) -> int:
        return math.floor((self.window_to - now).total_seconds() / 86400)

    def named_by(self, issuer_der: bytes | None, serial: int | None) -> bool:
        """Is this the certificate a CMS IssuerAndSerialNumber names?"""
        return serial == self.serial and (issuer_der is None or issuer_der == self.issuer_der)


@dataclass(frozen=True, slots=True)
class OwnKey:
    """One of the station's key pairs: certificate plus the PEM private key (and passphrase)."""

    certificate: Certificate
    key_pem: bytes
    password: str | None = field(repr=False, default=None)


def load_certificate(
    path: Path, owner: str, usage: Iterable[str], window: StationKey | PartnerCertificate
) -> Certificate:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read AS2 certificate {path}: {exc.strerror}") from None
    try:
        cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ConfigError(f"{path}: not an X.509 certificate ({exc})") from None
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    return Certificate(
        owner=owner,
        usage=tuple(usage),
        path=path,
        pem=cert.public_bytes(Encoding.PEM),
        subject=cert.subject.rfc4514_string(),
        issuer_der=cert.issuer.public_bytes(),
        serial=cert.serial_number,
        not_before=not_before,
        not_after=not_after,
        window_from=max(not_before, window.valid_from or not_before),
        window_to=min(not_after, window.valid_to or not_after),
    )


def load_station_keys(station: As2Station) -> list[OwnKey]:
    keys = []
    for item in station.keys:
        cert = load_certificate(item.certificate_file, "station", item.usage, item)
        try:
            key_pem = item.private_key_file.read_bytes()
            password = item.password_file.read_text(encoding="utf-8").strip() if item.password_file else None
        except OSError as exc:
            raise ConfigError(f"cannot read AS2 private key {item.private_key_file}: {exc.strerror}") from None
        keys.append(OwnKey(cert, key_pem, password))
    return keys


def load_partner_certificates(owner: str, profile: As2Partner) -> list[Certificate]:
    return [load_certificate(c.certificate_file, owner, c.usage, c) for c in profile.certificates]


def configured_certificates(
    station: As2Station | None, profiles: Iterable[tuple[str, As2Partner]]
) -> list[Certificate]:
    """Every certificate of the station and of each partner (owner = "station" or the wholesaler id)."""
    own = [k.certificate for k in load_station_keys(station)] if station else []
    return own + [c for owner, profile in profiles for c in load_partner_certificates(owner, profile)]


def signing_key(keys: Sequence[OwnKey], now: datetime) -> OwnKey | None:
    """The newest usable key with usage ``sign``: a rolled-over key takes over once its window opens."""
    usable = [k for k in keys if "sign" in k.certificate.usage and k.certificate.usable(now)]
    return max(usable, key=lambda k: k.certificate.window_from, default=None)


def decryption_keys(keys: Sequence[OwnKey], issuer_der: bytes | None, serial: int | None) -> list[OwnKey]:
    """Keys to try for a message encrypted to (issuer, serial): the named one first, then the others.

    An expired key still decrypts: a partner that has not switched yet must not lose messages.
    """
    candidates = [k for k in keys if "decrypt" in k.certificate.usage]
    named = [k for k in candidates if k.certificate.named_by(issuer_der, serial)]
    return named + [k for k in candidates if k not in named]


def report_expiry(certs: Iterable[Certificate], now: datetime | None = None) -> list[Certificate]:
    """Set the gauge for every certificate; log (and return) those with fewer than WARN_DAYS days left."""
    now = now or utcnow()
    expiring = []
    for cert in certs:
        days = cert.days_to_expiry(now)
        DAYS_TO_EXPIRY.labels(owner=cert.owner, usage=",".join(cert.usage), serial=cert.serial_hex).set(days)
        if days < WARN_DAYS:
            expiring.append(cert)
            log.warning(
                "as2.certificate_expiring",
                owner=cert.owner,
                usage=",".join(cert.usage),
                subject=cert.subject,
                serial=cert.serial_hex,
                valid_to=cert.window_to.isoformat(),
                days_left=days,
            )
    return expiring
