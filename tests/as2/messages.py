"""Build AS2 messages with pyas2lib (the sender side of the unit tests) and post them to the hub."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from pyas2lib import Mdn, Message, Organization, Partner

from tests.as2.conftest import HUB_ID, INVOICE, PARTNER_ID
from tests.as2.pki import KeyPair


@dataclass
class Built:
    message: Any
    headers: dict[str, str]
    body: bytes


def build(
    signer: KeyPair,
    recipient: KeyPair,
    *,
    payload: bytes | None = None,
    sign: str | None = "sha256",
    encrypt: str | None = "aes_256_cbc",
    compress: bool = False,
    mdn: str | None = "SYNC",
    mdn_digest: str | None = "sha256",
    as2_from: str = PARTNER_ID,
    as2_to: str = HUB_ID,
    mdn_url: str | None = None,
) -> Built:
    org = Organization(as2_name=as2_from, sign_key=signer.bundle, mdn_url=mdn_url or "http://127.0.0.1:9/none")
    partner = Partner(
        as2_name=as2_to, verify_cert=recipient.cert_pem, encrypt_cert=recipient.cert_pem, validate_certs=False,
        sign=bool(sign), digest_alg=sign or "sha256", encrypt=bool(encrypt), enc_alg=encrypt or "aes_256_cbc",
        compress=compress, mdn_mode=mdn, mdn_digest_alg=mdn_digest,
    )  # fmt: skip
    message = Message(sender=org, receiver=partner)
    data = payload if payload is not None else INVOICE.read_bytes()
    message.build(data, filename="F2026-1187.xml", content_type="application/xml")
    return Built(message, dict(message.headers), message.content)


def post(url: str, built: Built, **extra_headers: str) -> httpx.Response:
    return httpx.post(url, content=built.body, headers={**built.headers, **extra_headers}, timeout=30)


def parse_mdn(response: httpx.Response, built: Built, verify_with: KeyPair) -> tuple[str, str | None, Any]:
    """Let pyas2lib check our MDN the way a partner does: (status, detailed status, Mdn)."""
    head = "".join(f"{k}: {v}\r\n" for k, v in response.headers.items()).encode()
    built.message.receiver.verify_cert = verify_with.cert_pem
    mdn = Mdn()
    status, detail = mdn.parse(head + b"\r\n" + response.content, lambda _mid, _rcpt: built.message)
    return status, detail, mdn
