"""Building MDNs (RFC 4130 §7 / RFC 3798): the receipt the hub returns for every AS2 message.

An MDN is a ``multipart/report`` with a human-readable part and a ``message/disposition-notification``
part (original Message-ID, disposition, ``Received-content-MIC``). When the sender asked for a signed
receipt it is wrapped in ``multipart/signed`` and signed with pyas2lib's CMS signer, using our newest
valid signing key. The exact bytes that are signed are the bytes that are sent (no re-serialisation),
so the partner's MIC/signature check sees what we hashed.

An MDN is rendered once, stored (archive) and — for a duplicate message — sent again byte for byte.
"""

from __future__ import annotations

import base64
import secrets
import textwrap
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from pyas2lib.cms import sign_message  # type: ignore[import-untyped]
from pyas2lib.utils import quote_as2name  # type: ignore[import-untyped]

PROCESSED = "processed"
MICALG_NAMES = {"sha1": "sha1", "md5": "md5"} | {f"sha{n}": f"sha-{n}" for n in (224, 256, 384, 512)}


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the MDN says about one message."""

    original_message_id: str
    partner_as2_id: str  # the original sender (AS2-From of the message)
    station_as2_id: str  # the original recipient (AS2-To of the message)
    disposition: str  # "processed" or an error modifier such as "authentication-failed"
    text: str
    mic: str | None = None
    mic_alg: str | None = None

    @property
    def positive(self) -> bool:
        return self.disposition == PROCESSED


@dataclass(frozen=True, slots=True)
class RenderedMdn:
    message_id: str
    headers: list[tuple[str, str]]
    body: bytes

    def to_bytes(self) -> bytes:
        """Headers and body as one HTTP-style blob, as stored in the archive."""
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers)
        return head.encode() + b"\r\n" + self.body

    @classmethod
    def from_bytes(cls, blob: bytes) -> RenderedMdn:
        head, _, body = blob.partition(b"\r\n\r\n")
        headers = [(k, v.strip()) for k, _, v in (line.partition(":") for line in head.decode().split("\r\n"))]
        message_id = next((v.strip("<>") for k, v in headers if k.lower() == "message-id"), "")
        return cls(message_id, headers, body)


@dataclass(frozen=True, slots=True)
class Signer:
    """A loaded signing key (pyas2lib/oscrypto ``(private key, certificate)`` pair) and the digest to use."""

    key: Any
    digest: str


def disposition_line(receipt: Receipt) -> str:
    status = PROCESSED if receipt.positive else f"processed/error: {receipt.disposition}"
    return f"automatic-action/MDN-sent-automatically; {status}"


def render(receipt: Receipt, *, domain: str, signer: Signer | None) -> RenderedMdn:
    """Render the MDN; signed when ``signer`` is given (the sender asked for a signed receipt)."""
    report = _report_entity(receipt)
    if signer is None:
        head, _, body = report.partition(b"\r\n\r\n")
        content_type = head.decode().partition(":")[2].strip()
    else:
        content_type, body = _signed(report, signer)
    message_id = f"{uuid.uuid4()}@{domain}"
    headers = [
        ("AS2-Version", "1.2"),
        ("ediint-features", "CMS"),
        ("Message-ID", f"<{message_id}>"),
        ("AS2-From", quote_as2name(receipt.station_as2_id)),
        ("AS2-To", quote_as2name(receipt.partner_as2_id)),
        ("Date", formatdate(usegmt=True)),
        ("Subject", "Message Disposition Notification"),
        ("User-Agent", "grossisthub AS2"),
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
    ]
    return RenderedMdn(message_id, headers, body)


def _report_entity(receipt: Receipt) -> bytes:
    boundary = _boundary()
    fields = [
        "Reporting-UA: grossisthub AS2",
        f"Original-Recipient: rfc822; {receipt.station_as2_id}",
        f"Final-Recipient: rfc822; {receipt.station_as2_id}",
        f"Original-Message-ID: <{receipt.original_message_id}>",
        f"Disposition: {disposition_line(receipt)}",
    ]
    if receipt.mic and receipt.mic_alg:
        fields.append(f"Received-content-MIC: {receipt.mic}, {MICALG_NAMES.get(receipt.mic_alg, receipt.mic_alg)}")
    text = receipt.text.encode("ascii", "replace").decode()
    return (
        f'Content-Type: multipart/report; report-type=disposition-notification; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        f"{text}\r\n"
        f"--{boundary}\r\nContent-Type: message/disposition-notification\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        + "".join(f"{f}\r\n" for f in fields)
        + f"\r\n--{boundary}--\r\n"
    ).encode("ascii")


def _signed(report: bytes, signer: Signer) -> tuple[str, bytes]:
    signature = sign_message(report, signer.digest, signer.key)
    encoded = "\r\n".join(textwrap.wrap(base64.b64encode(signature).decode(), 76))
    boundary = _boundary()
    body = (
        f"--{boundary}\r\n".encode()
        + report
        + (
            f"\r\n--{boundary}\r\n"
            "Content-Type: application/pkcs7-signature; name=smime.p7s; smime-type=signed-data\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
            f"{encoded}\r\n--{boundary}--\r\n"
        ).encode()
    )
    micalg = MICALG_NAMES.get(signer.digest, signer.digest)
    return f'multipart/signed; protocol="application/pkcs7-signature"; micalg={micalg}; boundary="{boundary}"', body


def _boundary() -> str:
    return f"----=_grossisthub_{secrets.token_hex(12)}"
