"""Kafka over TLS (HUB_KAFKA_SECURITY_PROTOCOL=SSL) end to end: every client of the hub verifies the broker, and
presents a client certificate where the broker demands one (mutual TLS).

The bundled broker speaks plaintext only (its --cert/--key are not wired to its listener), so a real TLS endpoint
is put in front of it: socat terminates TLS with a server certificate signed by a CA made here, and the broker
advertises the TLS port, so every connection — bootstrap and metadata alike — goes through TLS. An invoice is
imported (producer), translated by a `hub run translate` worker (faust / aiokafka consumer and producer) and read
back (consumer); the topics are created over TLS (admin client). A client given another CA is refused.

SASL cannot be exercised here: this broker build stores no SCRAM users (docs/deploy.md says what was verified).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.kafka.consumer import read_records
from hub.kafka.embedded import EmbeddedBroker, free_port
from hub.kafka.security import KafkaSecurity
from hub.kafka.topics import TopicNames
from tests.e2e.hubproc import HUB, hub_env
from tests.support import write_partners

pytestmark = pytest.mark.integration
PROJECT = Path(__file__).resolve().parents[2]
INVOICE = PROJECT / "examples" / "invoices" / "elgrossisten-syd-F2026-1187.xml"


@dataclass(frozen=True)
class TlsBroker:
    bootstrap: str
    ca_file: Path
    other_ca_file: Path
    client: tuple[Path, Path] | None  # the client certificate and key a mutual-TLS broker wants


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(directory: Path, label: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(f"{label} CA")).issuer_name(_name(f"{label} CA"))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (directory / f"{label}-ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _leaf(directory: Path, name: str, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost signed by ``ca``: (certificate PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder().subject_name(_name(name)).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, "socat exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"socat did not listen on {port}")


@pytest.fixture(scope="module", params=["server-tls", "mutual-tls"])
def tls_broker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    """TLS in front of a broker of its own; ``mutual-tls`` also demands a client certificate from our CA."""
    socat = shutil.which("socat")
    if socat is None:
        pytest.skip("socat is missing: `make system-deps` installs it (TLS in front of the bundled broker)")
    directory = tmp_path_factory.mktemp("kafka-tls")
    ca_key, ca = _ca(directory, "hub-test")
    _ca(directory, "stranger")
    server_cert, server_key = _leaf(directory, "localhost", ca_key, ca)
    client = _leaf(directory, "grossisthub", ca_key, ca) if request.param == "mutual-tls" else None
    verify = f"verify=1,cafile={directory / 'hub-test-ca.pem'}" if client else "verify=0"
    tls_port = free_port()
    with EmbeddedBroker(log_file=directory / "tansu.log", advertised_port=tls_port) as broker:
        listen = f"OPENSSL-LISTEN:{tls_port},bind=127.0.0.1,reuseaddr,fork,cert={server_cert},key={server_key},{verify}"
        command = [socat, listen, f"TCP:127.0.0.1:{broker.port}"]
        with (directory / "socat.log").open("wb") as log, subprocess.Popen(command, stderr=log) as proxy:
            try:
                _wait_listening(tls_port, proxy)
                yield TlsBroker(
                    f"127.0.0.1:{tls_port}", directory / "hub-test-ca.pem", directory / "stranger-ca.pem", client
                )
            finally:
                proxy.terminate()
                proxy.wait(timeout=10)


def _env(
    tmp_path: Path, broker: TlsBroker, ca_file: Path, prefix: str, client: tuple[Path, Path] | None
) -> dict[str, str]:
    env = hub_env(
        tmp_path / "var", write_partners(tmp_path), HUB_BOOTSTRAP_SERVERS=broker.bootstrap,
        HUB_KAFKA_SECURITY_PROTOCOL="SSL", HUB_KAFKA_SSL_CA_FILE=str(ca_file), HUB_TOPIC_PREFIX=prefix,
        HUB_APP_ID=f"tls-{prefix}",
    )  # fmt: skip
    if client is not None:
        env |= {"HUB_KAFKA_SSL_CERT_FILE": str(client[0]), "HUB_KAFKA_SSL_KEY_FILE": str(client[1])}
    return env


def _hub(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=120)


def test_an_invoice_travels_the_pipeline_over_tls(tls_broker: TlsBroker, tmp_path: Path) -> None:
    prefix = f"s{uuid.uuid4().hex[:6]}."
    env = _env(tmp_path, tls_broker, tls_broker.ca_file, prefix, tls_broker.client)
    applied = _hub("topics", "apply", env=env)
    assert applied.returncode == 0, applied.stderr
    worker = subprocess.Popen([*HUB, "run", "translate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        imported = _hub("import", str(INVOICE), "--partner", "elgrossisten-syd", env=env)
        assert imported.returncode == 0, imported.stderr
        cert, key = tls_broker.client or (None, None)
        security = KafkaSecurity("SSL", ca_file=tls_broker.ca_file, cert_file=cert, key_file=key)
        topic = TopicNames(prefix).invoice
        records = list(
            read_records(
                tls_broker.bootstrap,
                [topic],
                group_id=f"check-{prefix}",
                max_records=1,
                deadline_s=90,
                security=security,
            )
        )
    finally:
        worker.send_signal(signal.SIGINT)
        _out, err = worker.communicate(timeout=60)
    assert len(records) == 1, err.decode(errors="replace")[-2000:]
    assert b"F2026-1187" in (records[0].value or b"")  # the translated invoice, produced by the faust worker over TLS


def test_a_broker_certificate_from_an_unknown_ca_is_refused(tls_broker: TlsBroker, tmp_path: Path) -> None:
    env = _env(tmp_path, tls_broker, tls_broker.other_ca_file, f"x{uuid.uuid4().hex[:6]}.", tls_broker.client)
    result = _hub("topics", "apply", env=env)
    assert result.returncode != 0
    assert f"cannot list topics at {tls_broker.bootstrap}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("tls_broker", ["mutual-tls"], indirect=True)
def test_a_broker_that_wants_a_client_certificate_refuses_a_hub_without_one(
    tls_broker: TlsBroker, tmp_path: Path
) -> None:
    env = _env(tmp_path, tls_broker, tls_broker.ca_file, f"m{uuid.uuid4().hex[:6]}.", None)
    result = _hub("topics", "apply", env=env)
    assert result.returncode != 0
    assert f"cannot list topics at {tls_broker.bootstrap}" in result.stderr
