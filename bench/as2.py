"""Benchmark: AS2 messages/s end to end, and the receiver's memory for a large message.

    python -m bench.as2 [--messages 40] [--concurrency 4] [--size-mb 1] [--large-mb 200]

A child process runs the hub side exactly as ``hub up`` would: the bundled broker, a runtime
(SQLite state, local archive), the AS2 migrations and :class:`As2Service` on 127.0.0.1. This process
plays the partner: it builds signed + encrypted messages with pyas2lib (before the clock starts) and
POSTs them, each asking for a signed synchronous MDN. One message = HTTP in → raw archived → decrypted
and verified → payload archived → RawDocument published and acked by the broker → signed MDN back.

Memory is the child's peak resident set (VmHWM from /proc), read before and after the large message,
so the partner's own copies do not count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

MiB = 1024 * 1024
HUB, PARTNER = "grossisthub-bench", "wholesaler-bench"


def keypair(directory: Path, name: str) -> tuple[Path, Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    fmt = serialization.PrivateFormat.PKCS8
    key_pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    (directory / f"{name}.crt").write_bytes(cert_pem)
    (directory / f"{name}.key").write_bytes(key_pem)
    return directory / f"{name}.crt", directory / f"{name}.key", key_pem + cert_pem


def write_partners(directory: Path, large_mb: int) -> Path:
    hub_crt, hub_key, _ = keypair(directory, "hub")
    partner_crt, _, _ = keypair(directory, "partner")
    station = {
        "as2_id": HUB,
        "port": 0,
        "max_message_bytes": (large_mb + 64) * MiB,
        "keys": [{"certificate_file": str(hub_crt), "private_key_file": str(hub_key)}],
    }
    profile = {"as2_id": PARTNER, "certificates": [{"certificate_file": str(partner_crt)}]}
    data = {
        "as2_station": station,
        "wholesalers": [{"id": "bench-wholesaler", "name": "Bench AB", "as2": profile}],
    }
    path = directory / "partners.yaml"
    path.write_text(json.dumps(data))
    return path


def serve(directory: Path) -> None:
    """The hub side (child process): bundled broker, runtime, AS2 service; runs until stdin closes."""
    from hub.connectors.as2.migrations import AS2_MIGRATIONS
    from hub.connectors.as2.server import As2Service
    from hub.db.migrate import upgrade
    from hub.kafka.embedded import EmbeddedBroker
    from hub.kafka.topics import apply_topics, load_topic_specs
    from hub.logs import configure_logging
    from hub.runtime import build_runtime
    from hub.settings import load_settings

    with EmbeddedBroker(log_file=directory / "broker.log") as broker:
        settings = load_settings(
            data_dir=directory / "var", partners_file=directory / "partners.yaml",
            bootstrap_servers=broker.bootstrap_servers, max_document_bytes=1024 * MiB, log_level="WARNING",
        )  # fmt: skip
        configure_logging(settings)
        runtime = build_runtime(settings, bootstrap_servers=broker.bootstrap_servers)
        runtime.migrate()
        upgrade(runtime.state_engine, "as2", AS2_MIGRATIONS)
        apply_topics(broker.bootstrap_servers, load_topic_specs(), runtime.topics)
        service = As2Service.from_runtime(runtime)
        assert service is not None
        service.start()
        (directory / "url").write_text(service.url)
        sys.stdin.read()
        service.stop()
        runtime.close()


def build_message(directory: Path, payload: bytes) -> tuple[dict[str, str], bytes]:
    from pyas2lib import Message, Organization, Partner  # type: ignore[import-untyped]

    bundle = (directory / "partner.key").read_bytes() + (directory / "partner.crt").read_bytes()
    hub_cert = (directory / "hub.crt").read_bytes()
    org = Organization(as2_name=PARTNER, sign_key=bundle)
    partner = Partner(
        as2_name=HUB, verify_cert=hub_cert, encrypt_cert=hub_cert, validate_certs=False, sign=True,
        digest_alg="sha256", encrypt=True, enc_alg="aes_256_cbc", mdn_mode="SYNC", mdn_digest_alg="sha256",
    )  # fmt: skip
    message = Message(sender=org, receiver=partner)
    message.build(payload, filename="prices.xml", content_type="application/xml")
    return dict(message.headers), message.content


def payload(number: int, size: int) -> bytes:
    head = f'<?xml version="1.0"?>\n<PriceList number="{number}" at="{time.time_ns()}">\n'.encode()
    line = b'  <Article id="E1234567" price="123.45" unit="EA">Installationskabel EQLQ 3G1,5</Article>\n'
    return head + line * max(1, (size - len(head)) // len(line)) + b"</PriceList>\n"


CLIENT = httpx.Client(timeout=600)  # keep-alive, as an AS2 product sending a batch would


def send(url: str, message: tuple[dict[str, str], bytes]) -> float:
    started = time.perf_counter()
    response = CLIENT.post(url, headers=message[0], content=message[1])
    if response.status_code != 200 or b"; processed\r\n" not in response.content:
        raise SystemExit(f"not processed: HTTP {response.status_code} {response.content[:400]!r}")
    return time.perf_counter() - started


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(url: str, directory: Path, count: int, size: int, concurrency: int) -> tuple[float, float]:
    messages = [build_message(directory, payload(i, size)) for i in range(count * 2)]
    started = time.perf_counter()
    for message in messages[:count]:
        send(url, message)
    sequential = count / (time.perf_counter() - started)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda m: send(url, m), messages[count:]))
    return sequential, count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--large-mb", type=int, default=200)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory(prefix="bench-as2-") as tmp:
        directory = Path(tmp)
        write_partners(directory, args.large_mb)
        child = subprocess.Popen([sys.executable, "-m", "bench.as2", "--serve", tmp], stdin=subprocess.PIPE)
        try:
            run(directory, child.pid, args)
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=60)


def run(directory: Path, pid: int, args: argparse.Namespace) -> None:
    while not (directory / "url").exists():
        time.sleep(0.1)
    url = (directory / "url").read_text()
    send(url, build_message(directory, payload(-1, 10_000)))  # warm-up: keys loaded, topics known
    size = int(args.size_mb * MiB)
    sequential, parallel = throughput(url, directory, args.messages, size, args.concurrency)
    print(f"AS2 {args.size_mb:g} MB signed+encrypted, sync signed MDN, end to end (broker ack):")
    print(f"  sequential            {sequential:6.1f} messages/s")
    print(f"  {args.concurrency} concurrent senders  {parallel:6.1f} messages/s")
    before = peak_rss_mb(pid)
    large = build_message(directory, payload(-2, args.large_mb * MiB))
    seconds = send(url, large)
    after = peak_rss_mb(pid)
    print(f"AS2 {args.large_mb} MB signed+encrypted (HTTP body {len(large[1]) / MiB:.0f} MB): {seconds:.1f} s")
    print(f"  receiver peak RSS     {before:6.0f} MB before, {after:6.0f} MB after (+{after - before:.0f} MB)")
    print(f"  = {(after - before) / args.large_mb:.2f} x the payload in memory (above stream_above_bytes: on disk)")


if __name__ == "__main__":
    os.environ.setdefault("HUB_LOG_LEVEL", "WARNING")
    main()
