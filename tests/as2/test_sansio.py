"""Sans-IO units: unwrapping with pyas2lib under the partner policy, MDN content, certificate rollover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyas2lib import Mdn, Organization

from hub.connectors.as2.certs import load_partner_certificates, load_station_keys, report_expiry, signing_key
from hub.connectors.as2.config import As2Partner, As2Station
from hub.connectors.as2.mdn import Receipt, RenderedMdn, Signer, render
from hub.connectors.as2.receive import Failure, Unwrapped, Unwrapper, mdn_request
from tests.as2.conftest import HUB_ID, INVOICE, PARTNER_ID, Pki
from tests.as2.messages import Built, build
from tests.as2.pki import KeyPair, make_pair

NOW = datetime.now(UTC)


def profile(*certs: KeyPair, **overrides: object) -> As2Partner:
    certificates = [{"certificate_file": c.cert_file} for c in certs]
    return As2Partner.model_validate({"as2_id": PARTNER_ID, "certificates": certificates, **overrides})


def station(*keys: KeyPair, windows: list[dict[str, object]] | None = None) -> As2Station:
    items = [
        {"certificate_file": k.cert_file, "private_key_file": k.key_file, **((windows or [{}] * len(keys))[i])}
        for i, k in enumerate(keys)
    ]
    return As2Station.model_validate({"as2_id": HUB_ID, "keys": items})


def unwrap(built: Built, hub_station: As2Station, partner: As2Partner, now: datetime = NOW) -> Unwrapped | Failure:
    headers = {k.lower(): v for k, v in built.headers.items()}
    certs = load_partner_certificates("elgrossisten-syd", partner)
    return Unwrapper(load_station_keys(hub_station), HUB_ID).unwrap(headers, built.body, partner, certs, now)


@pytest.mark.parametrize(
    ("options", "security"),
    [
        ({}, (True, True, False)),
        ({"compress": True, "encrypt": "aes_128_cbc", "sign": "sha512"}, (True, True, True)),
        ({"encrypt": None}, (True, False, False)),
    ],
)
def test_payload_is_decrypted_verified_and_decompressed(
    pki: Pki, options: dict[str, object], security: tuple[bool, ...]
) -> None:
    built = build(pki.partner, pki.hub, **options)  # type: ignore[arg-type]
    result = unwrap(built, station(pki.hub), profile(pki.partner, require_encrypted=bool(options.get("encrypt", 1))))
    assert isinstance(result, Unwrapped), result
    # pyas2lib sends text in MIME canonical form (CRLF line ends); XML parsers read both alike
    assert result.payload.read() == INVOICE.read_bytes().replace(b"\n", b"\r\n")
    assert (result.signed, result.encrypted, result.compressed) == security
    assert (result.filename, result.content_type) == ("F2026-1187.xml", "application/xml")
    assert result.mic == built.message.mic.decode()  # the MIC the sender computed


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"encrypt": "tripledes_192_cbc"}, "encryption tripledes_192_cbc refused"),
        ({"sign": "sha1"}, "signature digest sha1 refused"),
        ({"encrypt": None}, "must be encrypted"),
        ({"sign": None}, "must be signed"),
    ],
)
def test_weak_or_missing_security_is_refused(pki: Pki, options: dict[str, object], text: str) -> None:
    result = unwrap(build(pki.partner, pki.hub, **options), station(pki.hub), profile(pki.partner))  # type: ignore[arg-type]
    assert isinstance(result, Failure)
    assert result.modifier == "insufficient-message-security" and text in result.text


def test_weak_algorithms_need_explicit_permission(pki: Pki) -> None:
    with pytest.raises(ValueError, match="allow_weak_algorithms"):
        profile(pki.partner, signing_digests=["sha1"])
    legacy = profile(
        pki.partner, allow_weak_algorithms=True, signing_digests=["sha1"], encryption_algorithms=["tripledes_192_cbc"]
    )
    result = unwrap(build(pki.partner, pki.hub, sign="sha1", encrypt="tripledes_192_cbc"), station(pki.hub), legacy)
    assert isinstance(result, Unwrapped) and result.mic_alg == "sha1"


def test_compression_can_be_required(pki: Pki) -> None:
    result = unwrap(build(pki.partner, pki.hub), station(pki.hub), profile(pki.partner, require_compressed=True))
    assert isinstance(result, Failure) and "compressed" in result.text


def test_wrong_signer_and_wrong_recipient_fail_with_rfc_modifiers(pki: Pki) -> None:
    forged = unwrap(build(pki.wrong, pki.hub), station(pki.hub), profile(pki.partner))
    assert isinstance(forged, Failure) and forged.modifier == "authentication-failed"
    not_for_us = unwrap(build(pki.partner, pki.wrong), station(pki.hub), profile(pki.partner))
    assert isinstance(not_for_us, Failure) and not_for_us.modifier == "decryption-failed"


def test_older_partner_certificate_still_verifies_during_rollover(pki: Pki, tmp_path: Path) -> None:
    newer = make_pair(tmp_path, "partner-2027")
    both = profile(newer, pki.partner)
    result = unwrap(build(pki.partner, pki.hub), station(pki.hub), both)
    assert isinstance(result, Unwrapped) and result.verified_by == format(pki.partner.serial, "x")
    ended = profile(pki.partner, newer).model_copy()
    later = NOW + timedelta(days=400)  # the old certificate's window has closed
    assert isinstance(unwrap(build(pki.partner, pki.hub), station(pki.hub), ended, later), Failure)


def test_messages_to_either_of_our_keys_decrypt_during_rollover(pki: Pki, tmp_path: Path) -> None:
    new_key = make_pair(tmp_path, "hub-2027")
    ours = station(pki.hub, new_key)
    for recipient in (pki.hub, new_key):
        assert isinstance(unwrap(build(pki.partner, recipient), ours, profile(pki.partner)), Unwrapped)


def test_newer_key_signs_mdns_once_its_window_opens(pki: Pki, tmp_path: Path) -> None:
    new_key = make_pair(tmp_path, "hub-next")
    opens = NOW + timedelta(days=10)
    keys = load_station_keys(station(pki.hub, new_key, windows=[{}, {"valid_from": opens}]))
    assert signing_key(keys, NOW).certificate.serial == pki.hub.serial  # type: ignore[union-attr]
    assert signing_key(keys, opens + timedelta(seconds=1)).certificate.serial == new_key.serial  # type: ignore[union-attr]


def test_expiring_certificates_are_reported(pki: Pki, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    soon = make_pair(tmp_path, "soon", days=20)
    certs = load_partner_certificates("elgrossisten-syd", profile(soon, pki.partner))
    expiring = report_expiry(certs, NOW)
    assert [c.serial for c in expiring] == [soon.serial]
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "hub_certificate_days_to_expiry",
        {"owner": "elgrossisten-syd", "usage": "verify,encrypt", "serial": format(soon.serial, "x")},
    )
    assert value is not None and 17 <= value <= 19


def _signed_mdn(pki: Pki, built: Built, receipt: Receipt) -> RenderedMdn:
    pair = Organization.load_key(pki.hub.bundle, None)
    return render(receipt, domain="test.invalid", signer=Signer(pair, "sha256"))


def _pyas2lib_reads(mdn: RenderedMdn, built: Built, verify: KeyPair) -> tuple[str, str | None, Mdn]:
    head = "".join(f"{k}: {v}\r\n" for k, v in mdn.headers).encode()
    built.message.receiver.verify_cert = verify.cert_pem
    parsed = Mdn()
    status, detail = parsed.parse(head + b"\r\n" + mdn.body, lambda _m, _r: built.message)
    return status, detail, parsed


def test_positive_mdn_carries_the_mic_and_a_signature_pyas2lib_verifies(pki: Pki) -> None:
    built = build(pki.partner, pki.hub)
    result = unwrap(built, station(pki.hub), profile(pki.partner))
    assert isinstance(result, Unwrapped)
    receipt = Receipt(built.message.message_id, PARTNER_ID, HUB_ID, "processed", "ok", result.mic, result.mic_alg)
    mdn = _signed_mdn(pki, built, receipt)
    status, detail, parsed = _pyas2lib_reads(mdn, built, pki.hub)
    assert (status, detail, parsed.digest_alg) == ("processed", None, "sha256")  # MIC matched, signature verified
    assert b"Original-Message-ID: <" + built.message.message_id.encode() + b">" in mdn.body
    assert RenderedMdn.from_bytes(mdn.to_bytes()) == mdn
    forged = _pyas2lib_reads(mdn, built, pki.wrong)
    assert forged[0] == "failed/Failure"


def test_error_mdn_names_the_rfc_modifier_and_is_unsigned_when_not_asked(pki: Pki) -> None:
    built = build(pki.partner, pki.hub, mdn_digest=None)
    assert not mdn_request({k.lower(): v for k, v in built.headers.items()}).signed
    receipt = Receipt(built.message.message_id, PARTNER_ID, HUB_ID, "authentication-failed", "bad signature")
    mdn = render(receipt, domain="test.invalid", signer=None)
    assert dict(mdn.headers)["Content-Type"].startswith("multipart/report")
    status, detail, _ = _pyas2lib_reads(mdn, built, pki.hub)
    assert (status, detail) == ("processed/error", "authentication-failed")


def test_mdn_request_options_are_parsed() -> None:
    asked = mdn_request(
        {
            "disposition-notification-to": "x@y",
            "disposition-notification-options": "signed-receipt-protocol=optional, pkcs7-signature; "
            "signed-receipt-micalg=optional, SHA-256, sha1",
            "receipt-delivery-option": "https://partner.example/as2",
        }
    )
    assert (asked.wanted, asked.signed, asked.micalgs, asked.async_url) == (
        True, True, ("sha256", "sha1"), "https://partner.example/as2",
    )  # fmt: skip


def test_byte_budget_makes_large_messages_wait_for_each_other() -> None:
    import threading
    import time

    from hub.connectors.as2.receiver import ByteBudget

    budget, order = ByteBudget(100), []

    def second() -> None:
        with budget.hold(80):
            order.append("second")

    with budget.hold(80):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.2)
        order.append("first done")
    waiter.join(timeout=5)
    assert order == ["first done", "second"]
    with budget.hold(10_000):  # larger than the whole budget: runs alone instead of waiting forever
        pass
