"""Test certificates and keys (self-signed RSA, as AS2 partners use them), made with `cryptography`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    name: str
    cert_pem: bytes
    key_pem: bytes
    cert_file: Path
    key_file: Path
    serial: int

    @property
    def bundle(self) -> bytes:
        """Key + certificate in one PEM (what pyas2lib / django-pyas2 load as a private key)."""
        return self.key_pem + self.cert_pem


def make_pair(
    directory: Path, name: str, *, not_before: datetime | None = None, days: int = 365, bits: int = 2048
) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    start = not_before or datetime.now(UTC) - timedelta(days=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.COUNTRY_NAME, "SE")])
    serial = x509.random_serial_number()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    key_file.chmod(0o600)
    return KeyPair(name, cert_pem, key_pem, cert_file, key_file, serial)
