"""Large-message unwrapping on disk (hub.connectors.as2.streamed) against the in-memory pyas2lib path.

Both paths get the same messages — built by pyas2lib as a partner would, and re-encoded the way other AS2
products send them (BER with indefinite lengths and segmented content, base64 bodies) — and must agree on
payload, MIC, security flags and failures. Memory is measured with tracemalloc: flat in the message size.
"""

from __future__ import annotations

import base64
import io
import tracemalloc
from contextlib import ExitStack
from pathlib import Path

import pytest

from hub.connectors.as2.certs import load_partner_certificates, load_station_keys
from hub.connectors.as2.receive import Failure, Unwrapped
from hub.connectors.as2.streamed import StreamUnwrapper
from tests.as2.conftest import INVOICE, Pki
from tests.as2.messages import Built, build
from tests.as2.test_sansio import NOW, profile, station, unwrap

XML = INVOICE.read_bytes().replace(b"\n", b"\r\n")


def streamed(built: Built, pki: Pki, tmp_path: Path, files: ExitStack, **overrides: object) -> Unwrapped | Failure:
    headers = {k.lower(): v for k, v in built.headers.items()}
    partner = profile(pki.partner, **overrides)
    certs = load_partner_certificates("elgrossisten-syd", partner)
    unwrapper = StreamUnwrapper(load_station_keys(station(pki.hub)), tmp_path / "work")
    body = io.BytesIO(built.body)
    return unwrapper.unwrap(headers, body, len(built.body), partner, certs, NOW, files)


@pytest.mark.parametrize(
    ("options", "overrides"),
    [
        ({}, {}),
        ({"compress": True, "encrypt": "aes_128_cbc", "sign": "sha512"}, {}),
        ({"encrypt": "aes_192_cbc", "sign": "sha384"}, {}),
        ({"encrypt": None}, {"require_encrypted": False}),
        ({"sign": None}, {"require_signed": False}),
        ({"sign": None, "encrypt": None, "compress": True}, {"require_signed": False, "require_encrypted": False}),
        (
            {"encrypt": "tripledes_192_cbc"},
            {"allow_weak_algorithms": True, "encryption_algorithms": ["aes_256_cbc", "tripledes_192_cbc"]},
        ),
    ],
)
def test_streamed_path_agrees_with_pyas2lib(
    pki: Pki, tmp_path: Path, options: dict[str, object], overrides: dict[str, object]
) -> None:
    built = build(pki.partner, pki.hub, **options)  # type: ignore[arg-type]
    memory = unwrap(built, station(pki.hub), profile(pki.partner, **overrides))
    with ExitStack() as files:
        disk = streamed(built, pki, tmp_path, files, **overrides)
        assert isinstance(memory, Unwrapped) and isinstance(disk, Unwrapped), (memory, disk)
        assert disk.payload.read() == memory.payload.read() == XML
        assert (disk.mic, disk.mic_alg, disk.verified_by) == (memory.mic, memory.mic_alg, memory.verified_by)
        assert (disk.signed, disk.encrypted, disk.compressed) == (memory.signed, memory.encrypted, memory.compressed)
        assert (disk.filename, disk.content_type) == ("F2026-1187.xml", "application/xml")
    if options.get("sign", "sha256"):
        assert disk.mic == built.message.mic.decode()  # the MIC the sender computed


def test_ber_with_indefinite_lengths_and_a_base64_body_unwraps(pki: Pki, tmp_path: Path) -> None:
    """BouncyCastle-based products send CMS as BER: indefinite lengths, content in segments."""
    built = build(pki.partner, pki.hub, compress=True)
    ber = base64.encodebytes(to_ber(built.body))
    rebuilt = Built(built.message, {**built.headers, "Content-Transfer-Encoding": "base64"}, ber)
    with ExitStack() as files:
        result = streamed(rebuilt, pki, tmp_path, files)
        assert isinstance(result, Unwrapped), result
        assert result.payload.read() == XML
        assert result.mic == built.message.mic.decode()


@pytest.mark.parametrize(
    ("signer", "recipient", "options", "modifier", "text"),
    [
        ("wrong", "hub", {}, "authentication-failed", ""),
        ("partner", "wrong", {}, "decryption-failed", ""),
        ("partner", "hub", {"encrypt": "tripledes_192_cbc"}, "insufficient-message-security", "tripledes_192_cbc"),
        ("partner", "hub", {"sign": "sha1"}, "insufficient-message-security", "signature digest sha1 refused"),
        ("partner", "hub", {"encrypt": None}, "insufficient-message-security", "must be encrypted"),
        ("partner", "hub", {"sign": None}, "insufficient-message-security", "must be signed"),
    ],
)
def test_streamed_failures_match_the_in_memory_dispositions(
    pki: Pki, tmp_path: Path, signer: str, recipient: str, options: dict[str, object], modifier: str, text: str
) -> None:
    built = build(getattr(pki, signer), getattr(pki, recipient), **options)  # type: ignore[arg-type]
    memory = unwrap(built, station(pki.hub), profile(pki.partner))
    with ExitStack() as files:
        disk = streamed(built, pki, tmp_path, files)
    assert isinstance(memory, Failure) and isinstance(disk, Failure)
    assert disk.modifier == memory.modifier == modifier
    assert text in disk.text


def test_a_tampered_signed_part_fails_authentication(pki: Pki, tmp_path: Path) -> None:
    built = build(pki.partner, pki.hub, encrypt=None)
    tampered = Built(built.message, built.headers, built.body.replace(b"F2026-1187", b"F2026-9999", 1))
    with ExitStack() as files:
        result = streamed(tampered, pki, tmp_path, files, require_encrypted=False)
    assert isinstance(result, Failure) and result.modifier == "authentication-failed"
    assert result.text == "the signed message digest does not match the content"


def test_truncated_envelope_is_a_decryption_failure_naming_the_offset(pki: Pki, tmp_path: Path) -> None:
    built = build(pki.partner, pki.hub)
    cut = Built(built.message, built.headers, built.body[:200])
    with ExitStack() as files:
        result = streamed(cut, pki, tmp_path, files)
    assert isinstance(result, Failure) and result.modifier == "decryption-failed"
    assert "truncated" in result.text and "offset" in result.text


def test_memory_is_flat_in_the_message_size(pki: Pki, tmp_path: Path) -> None:
    peaks = {}
    for megabytes in (2, 16):
        payload = (XML * (megabytes * 2**20 // len(XML) + 1))[: megabytes * 2**20]
        built = build(pki.partner, pki.hub, payload=payload, compress=True)
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        with ExitStack() as files:
            result = streamed(built, pki, tmp_path, files)
            assert isinstance(result, Unwrapped), result
            peaks[megabytes] = tracemalloc.get_traced_memory()[1] - baseline
            assert result.payload.read() == payload
        tracemalloc.stop()
    # chunks of 1 MiB: a few of them at most, whatever the size (the in-memory path holds ~7x the message)
    assert peaks[16] < peaks[2] + 2 * 2**20, peaks
    assert peaks[16] < 8 * 2**20, peaks


def to_ber(der: bytes, segment: int = 1000) -> bytes:
    """Re-encode DER as a streaming encoder writes BER: containers of the big content get indefinite lengths,
    the content is cut into segments; small elements stay DER."""
    out, _ = _ber_element(der, 0, segment)
    return out


def _ber_element(data: bytes, at: int, segment: int) -> tuple[bytes, int]:
    tag, length, start = data[at], *_length(data, at + 1)
    content, end = data[start : start + length], start + length
    if tag & 0x20 and length > segment:  # a streaming encoder leaves the small parts (keys, algorithms) DER
        children, position = b"", start
        while position < end:
            child, position = _ber_element(data, position, segment)
            children += child
        return bytes([tag]) + b"\x80" + children + b"\x00\x00", end
    if tag in (0x04, 0x80) and length > segment:  # OCTET STRING / [0] IMPLICIT content: segmented
        parts = b"".join(_der(0x04, content[i : i + segment]) for i in range(0, length, segment))
        return bytes([tag | 0x20]) + b"\x80" + parts + b"\x00\x00", end
    return data[at:end], end


def _length(data: bytes, at: int) -> tuple[int, int]:
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    return int.from_bytes(data[at + 1 : at + 1 + count], "big"), at + 1 + count


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content
