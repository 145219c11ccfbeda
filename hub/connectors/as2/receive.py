"""Sans-IO receive: HTTP headers + body bytes in → the verified business payload, or an RFC 4130 failure.

The cryptography is pyas2lib's (``pyas2lib.cms``: ``decrypt_message``, ``verify_message``,
``decompress_message``, on top of oscrypto/asn1crypto). The MIME layers are cut at byte level
(:mod:`hub.connectors.as2.mime`) instead of pyas2lib's ``Message.parse``, which runs every body
through the ``email`` package several times (~0.4 s and ~14x the size in memory for a 1 MB message,
measured by bench/as2.py) and re-serialises the signed part before hashing it. Around that:

* **algorithm policy** — the content-encryption algorithm is read from the CMS envelope *before*
  decrypting and refused unless the partner allows it; the signature digest after verifying;
* **certificate rollover** — the decryption key is the one whose certificate the sender named
  (issuer + serial), other keys are tried after it; each usable partner certificate is tried for
  the signature (newest first) until one verifies;
* **requirements** — signed / encrypted / compressed as the partner profile demands
  (compress-before-sign and sign-before-compress are both accepted, RFC 5402);
* **MIC** — signed: the signature's digest over the signed part's exact bytes; encrypted but unsigned:
  over the decrypted MIME entity; plain: over the payload (RFC 4130 §7.3.1), with the first allowed
  algorithm the sender asked for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from asn1crypto import cms  # type: ignore[import-untyped]
from oscrypto import asymmetric  # type: ignore[import-untyped]
from pyas2lib import Organization  # type: ignore[import-untyped]
from pyas2lib.cms import decompress_message, decrypt_message, verify_message  # type: ignore[import-untyped]

from hub.connectors.as2.certs import Certificate, OwnKey, decryption_keys
from hub.connectors.as2.config import As2Partner
from hub.connectors.as2.mime import Entity, from_http, parse_entity, split_signed

CMS_CIPHERS = {
    "aes128_cbc": "aes_128_cbc",
    "aes192_cbc": "aes_192_cbc",
    "aes256_cbc": "aes_256_cbc",
    "tripledes_3key": "tripledes_192_cbc",
    "rc2": "rc2_128_cbc",
}
MIC_NAMES = (
    {"sha1": "sha1", "sha-1": "sha1", "md5": "md5"}
    | {f"sha{n}": f"sha{n}" for n in (224, 256, 384, 512)}
    | {f"sha-{n}": f"sha{n}" for n in (224, 256, 384, 512)}
)
INSUFFICIENT = "insufficient-message-security"


@dataclass(frozen=True, slots=True)
class MdnRequest:
    """What the sender asked for in its ``Disposition-Notification-*`` headers."""

    wanted: bool
    signed: bool
    micalgs: tuple[str, ...]
    async_url: str | None


@dataclass(frozen=True, slots=True)
class Unwrapped:
    payload: BinaryIO  # positioned at the start of the business document
    filename: str | None
    content_type: str
    signed: bool
    encrypted: bool
    compressed: bool
    mic: str
    mic_alg: str
    verified_by: str | None  # serial (hex) of the partner certificate that verified the signature


@dataclass(frozen=True, slots=True)
class Failure:
    """An RFC 4130 disposition modifier (``authentication-failed`` …) and a sentence for people."""

    modifier: str
    text: str


@dataclass(frozen=True, slots=True)
class Envelope:
    algorithm: str  # pyas2lib name, or the CMS OID name when we do not know it
    issuer_der: bytes | None
    serial: int | None


def mdn_request(headers: Mapping[str, str]) -> MdnRequest:
    """Parse ``Disposition-Notification-Options`` (RFC 4130 §7.3): signed receipt? which MIC algorithms?"""
    options: dict[str, list[str]] = {}
    for part in headers.get("disposition-notification-options", "").split(";"):
        name, _, values = part.partition("=")
        items = [v.strip().lower() for v in values.split(",")]
        options[name.strip().lower()] = items[1:] if len(items) > 1 else items
    signed = "pkcs7-signature" in options.get("signed-receipt-protocol", [])
    micalgs = tuple(MIC_NAMES[m] for m in options.get("signed-receipt-micalg", []) if m in MIC_NAMES)
    url = headers.get("receipt-delivery-option", "").strip() or None
    return MdnRequest("disposition-notification-to" in headers, signed, micalgs, url)


def peek_envelope(headers: Mapping[str, str], body: bytes) -> Envelope | None:
    """The CMS envelope's cipher and recipient, read without decrypting; None if not encrypted."""
    content_type = headers.get("content-type", "").lower()
    if "pkcs7-mime" not in content_type or "enveloped-data" not in content_type:
        return None
    try:
        der = body
        if headers.get("content-transfer-encoding", "").strip().lower() == "base64":
            der = base64.b64decode(body)
        enveloped = cms.ContentInfo.load(der)["content"]
        algorithm = enveloped["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"].native
        rid = enveloped["recipient_infos"][0].chosen["rid"]
    except (ValueError, TypeError, KeyError, IndexError, binascii.Error):
        return Envelope("unreadable", None, None)
    issuer, serial = None, None
    if rid.name == "issuer_and_serial_number":
        issuer, serial = rid.chosen["issuer"].dump(), rid.chosen["serial_number"].native
    return Envelope(CMS_CIPHERS.get(algorithm, algorithm), issuer, serial)


@dataclass
class _Layers:
    """What was peeled off so far."""

    entity: Entity
    encrypted: bool = False
    compressed: bool = False
    decrypted: bytes | None = None  # the decrypted MIME entity (MIC of encrypted, unsigned messages)
    mic: str | None = None
    mic_alg: str | None = None
    verified_by: Certificate | None = None


class Unwrapper:
    """Decrypts, verifies and decompresses with pyas2lib's CMS functions; caches loaded keys."""

    def __init__(self, keys: Sequence[OwnKey], station_id: str) -> None:
        self.keys, self.station_id = keys, station_id
        self._loaded: dict[tuple[str, int], Any] = {}

    def unwrap(
        self, headers: Mapping[str, str], body: bytes, profile: As2Partner, certs: Sequence[Certificate], now: datetime
    ) -> Unwrapped | Failure:
        envelope = peek_envelope(headers, body)
        if envelope and envelope.algorithm not in profile.encryption_algorithms:
            allowed = ", ".join(profile.encryption_algorithms)
            return Failure(INSUFFICIENT, f"encryption {envelope.algorithm} refused (allowed: {allowed})")
        layers = _Layers(from_http(headers, body))
        for step in (self._decrypt, _decompress, self._verify, _decompress):
            failure = step(layers, profile, certs, now, envelope)
            if failure is not None:
                return failure
        return _result(layers, profile, mdn_request(headers))

    def _decrypt(
        self, layers: _Layers, profile: As2Partner, _c: Sequence[Certificate], _n: datetime, envelope: Envelope | None
    ) -> Failure | None:
        if not layers.entity.enveloped:
            return _required(profile.require_encrypted, "encrypted")
        der = layers.entity.decoded()
        keys = decryption_keys(self.keys, *(envelope.issuer_der, envelope.serial) if envelope else (None, None))
        error = "no decryption key configured"
        for key in keys:
            try:
                _cipher, plain = decrypt_message(der, self._key(key))
            except Exception as exc:  # pyas2lib/oscrypto raise several kinds; the next key may fit
                error = str(exc) or type(exc).__name__
                continue
            layers.entity, layers.decrypted, layers.encrypted = parse_entity(plain), plain, True
            return None
        return Failure("decryption-failed", error)

    def _verify(
        self, layers: _Layers, profile: As2Partner, certs: Sequence[Certificate], now: datetime, _e: Envelope | None
    ) -> Failure | None:
        if not layers.entity.signed:
            return _required(profile.require_signed, "signed")
        try:
            signed, signature_part = split_signed(layers.entity)
        except ValueError as exc:
            return Failure("authentication-failed", str(exc))
        signature = parse_entity(signature_part).decoded()
        usable = [c for c in certs if "verify" in c.usage and c.usable(now)]
        if not usable:
            return Failure("authentication-failed", "no partner certificate is valid now to verify the signature")
        error = ""
        for cert in sorted(usable, key=lambda c: c.window_from, reverse=True):
            for content in _canonical_forms(signed):
                try:
                    digest = verify_message(content, signature, self._certificate(cert))
                except Exception as exc:  # IntegrityError, or a signature pyas2lib cannot read
                    error = str(exc) or type(exc).__name__
                    continue
                return self._verified(layers, profile, content, digest, cert)
        return Failure("authentication-failed", error or "signature does not verify")

    def _verified(
        self, layers: _Layers, profile: As2Partner, content: bytes, digest: str, cert: Certificate
    ) -> Failure | None:
        if digest not in profile.signing_digests:
            return Failure(INSUFFICIENT, f"signature digest {digest} refused ({', '.join(profile.signing_digests)})")
        layers.mic = base64.b64encode(hashlib.new(digest, content).digest()).decode()
        layers.mic_alg, layers.verified_by, layers.entity = digest, cert, parse_entity(content)
        layers.decrypted = None  # the MIC is the signed part's; free the decrypted copy
        return None

    def _key(self, key: OwnKey) -> Any:
        cached = self._loaded.get(("key", key.certificate.serial))
        if cached is None:
            cached = Organization.load_key(key.key_pem + b"\n" + key.certificate.pem, key.password)
            self._loaded[("key", key.certificate.serial)] = cached
        return cached

    def _certificate(self, cert: Certificate) -> Any:
        cached = self._loaded.get(("cert", cert.serial))
        if cached is None:
            cached = asymmetric.load_certificate(cert.pem)
            self._loaded[("cert", cert.serial)] = cached
        return cached


def _decompress(
    layers: _Layers, profile: As2Partner, _c: Sequence[Certificate], _n: datetime, _e: Envelope | None
) -> Failure | None:
    if not layers.entity.compressed:
        return None
    try:
        layers.entity = parse_entity(decompress_message(layers.entity.decoded()))
    except Exception as exc:  # DecompressionError, or a broken base64 body
        return Failure("decompression-failed", str(exc) or type(exc).__name__)
    layers.compressed = True
    return None


def _required(required: bool, what: str) -> Failure | None:
    return Failure(INSUFFICIENT, f"messages from this partner must be {what}") if required else None


def _canonical_forms(signed: bytes) -> list[bytes]:
    """The signed bytes as sent; then with bare LF made CRLF (RFC 5751 canonical form) for lax senders."""
    forms = [signed]
    if b"\n" in signed and signed.count(b"\n") != signed.count(b"\r\n"):
        forms.append(signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return forms


def _result(layers: _Layers, profile: As2Partner, asked: MdnRequest) -> Unwrapped | Failure:
    if not layers.compressed and (failure := _required(profile.require_compressed, "compressed")):
        return failure
    payload = layers.entity.decoded()
    mic, mic_alg = layers.mic, layers.mic_alg
    if mic is None or mic_alg is None:  # unsigned: RFC 4130 §7.3.1 (b) and (c)
        mic_alg = next((a for a in asked.micalgs if a in profile.signing_digests), "sha256")
        source = layers.decrypted if layers.decrypted is not None else payload
        mic = base64.b64encode(hashlib.new(mic_alg, source).digest()).decode()
    return Unwrapped(
        payload=io.BytesIO(payload),
        filename=layers.entity.headers.get_filename(),
        content_type=layers.entity.content_type,
        signed=layers.verified_by is not None,
        encrypted=layers.encrypted,
        compressed=layers.compressed,
        mic=mic,
        mic_alg=mic_alg,
        verified_by=layers.verified_by.serial_hex if layers.verified_by else None,
    )
