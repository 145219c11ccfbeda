"""Unwrapping large AS2 messages on disk: decrypt, verify, decompress in chunks, memory flat with size.

pyas2lib's CMS functions (used by :mod:`hub.connectors.as2.receive` for ordinary messages) hold the
whole message several times over — about 7x a 200 MB payload, measured by bench/as2.py. Above the
station's ``stream_above_bytes`` the receiver uses this module instead. It reads the same layers with
the same policy and answers with the same dispositions; the tests run both on the same messages and
compare payload, MIC and security flags. The work is done with ``cryptography`` on chunks:

* **decrypt** — the CMS envelope is walked by :mod:`hub.connectors.as2.der`; the content key is unwrapped
  with our RSA key (PKCS#1 v1.5 or OAEP), the content decrypted with AES-CBC or (where the partner is
  allowed it) 3DES-CBC, one chunk at a time, into a temporary file. RC2 has no streaming implementation
  here: a large RC2 message is refused with ``decryption-failed`` (RC2 is refused anyway unless allowed);
* **verify** — the signed part stays where it is in the file; its digest is computed in chunks and must
  equal the signed ``message-digest`` attribute, whose signature is checked with the partner certificate;
* **decompress** — zlib in chunks (RFC 3274 CompressedData).

A signed part with bare LF line ends is verified as sent only (the in-memory path also tries the CRLF
canonical form for lax senders); large messages come from AS2 products, which send CRLF.
"""

from __future__ import annotations

import base64
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from asn1crypto import algos, cms  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hub.connectors.as2.certs import Certificate, OwnKey, decryption_keys
from hub.connectors.as2.config import As2Partner
from hub.connectors.as2.der import BerReader, compressed_data, enveloped_data
from hub.connectors.as2.mime import http_headers, parse_entity
from hub.connectors.as2.receive import CMS_CIPHERS, INSUFFICIENT, Failure, MdnRequest, Unwrapped, mdn_request
from hub.connectors.as2.span import CHUNK, Span
from hub.connectors.as2.spool import FileEntity, http_entity, read_entity, signed_parts
from hub.errors import LocalSignal

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224,
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}  # fmt: skip


class _Refused(LocalSignal):
    """A step failed with an RFC 4130 disposition modifier."""

    def __init__(self, modifier: str, text: str) -> None:
        super().__init__(text)
        self.failure = Failure(modifier, text)


@dataclass
class _Layers:
    entity: FileEntity
    encrypted: bool = False
    compressed: bool = False
    decrypted: Span | None = None
    mic: str | None = None
    mic_alg: str | None = None
    verified_by: Certificate | None = None


class StreamUnwrapper:
    """The large-message twin of :class:`~hub.connectors.as2.receive.Unwrapper`; temporary files in ``work_dir``."""

    def __init__(self, keys: Sequence[OwnKey], work_dir: Path) -> None:
        self.keys, self.work_dir = keys, work_dir
        self._private: dict[int, Any] = {}
        self._public: dict[int, Any] = {}

    def unwrap(
        self,
        headers: Mapping[str, str],
        body: BinaryIO,
        size: int,
        profile: As2Partner,
        certs: Sequence[Certificate],
        now: datetime,
        files: ExitStack,
    ) -> Unwrapped | Failure:
        """``files`` owns the temporary files; the payload stream of the result lives as long as it does."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        layers = _Layers(http_entity(http_headers(headers), Span(body, 0, size)))
        run = _Run(self, layers, profile, certs, now, files)
        try:
            for step in (run.decrypt, run.decompress, run.verify, run.decompress):
                step()
            return run.result(mdn_request(headers))
        except _Refused as refused:
            return refused.failure

    def private_key(self, key: OwnKey) -> Any:
        loaded = self._private.get(key.certificate.serial)
        if loaded is None:
            password = key.password.encode() if key.password else None
            loaded = serialization.load_pem_private_key(key.key_pem, password)
            self._private[key.certificate.serial] = loaded
        return loaded

    def public_key(self, cert: Certificate) -> Any:
        loaded = self._public.get(cert.serial)
        if loaded is None:
            loaded = x509.load_pem_x509_certificate(cert.pem).public_key()
            self._public[cert.serial] = loaded
        return loaded


class _Run:
    """One message's layers, peeled one step at a time."""

    def __init__(
        self,
        owner: StreamUnwrapper,
        layers: _Layers,
        profile: As2Partner,
        certs: Sequence[Certificate],
        now: datetime,
        files: ExitStack,
    ) -> None:
        self.owner, self.layers, self.profile, self.certs, self.now, self.files = (
            owner, layers, profile, certs, now, files
        )  # fmt: skip

    # -- decrypt -------------------------------------------------------------------------------------
    def decrypt(self) -> None:
        entity = self.layers.entity
        if not entity.enveloped:
            _require(self.profile.require_encrypted, "encrypted")
            return
        der = self._decoded(entity, "decryption-failed")
        try:
            envelope = enveloped_data(_reader(der))
            algorithm = algos.EncryptionAlgorithm.load(envelope.algorithm)
            name = CMS_CIPHERS.get(algorithm["algorithm"].native, algorithm["algorithm"].native)
            infos = cms.RecipientInfos.load(envelope.recipient_infos)
        except (ValueError, TypeError, KeyError) as exc:
            raise _Refused("decryption-failed", f"unreadable CMS envelope: {exc}") from None
        if name not in self.profile.encryption_algorithms:
            allowed = ", ".join(self.profile.encryption_algorithms)
            raise _Refused(INSUFFICIENT, f"encryption {name} refused (allowed: {allowed})")
        content_key = self._content_key(infos)
        plain = self._temp()
        try:
            _decrypt_into(algorithm, content_key, envelope.content, plain)
        except ValueError as exc:
            raise _Refused("decryption-failed", str(exc) or type(exc).__name__) from None
        span = Span(plain, 0, plain.tell())
        self.layers.entity, self.layers.decrypted, self.layers.encrypted = self._entity(span), span, True

    def _content_key(self, infos: Any) -> bytes:
        try:
            transports = [i.chosen for i in infos if i.name == "ktri"]
            rid = transports[0]["rid"] if transports else None
            named = rid.chosen if rid is not None and rid.name == "issuer_and_serial_number" else None
            issuer, serial = (named["issuer"].dump(), named["serial_number"].native) if named else (None, None)
        except (ValueError, TypeError, KeyError) as exc:  # asn1crypto parses lazily
            raise _Refused("decryption-failed", f"unreadable recipient info: {exc}") from None
        if not transports:
            raise _Refused("decryption-failed", "the envelope has no key-transport recipient (RSA) for us")
        error = "no decryption key configured"
        for key in decryption_keys(self.owner.keys, issuer, serial):
            for info in transports:
                try:
                    return _unwrap_key(self.owner.private_key(key), info)
                except (ValueError, TypeError) as exc:  # not our key, or not for this recipient info
                    error = str(exc) or type(exc).__name__
        raise _Refused("decryption-failed", error)

    # -- verify --------------------------------------------------------------------------------------
    def verify(self) -> None:
        entity = self.layers.entity
        if not entity.signed:
            _require(self.profile.require_signed, "signed")
            return
        try:
            signed, signature_part = signed_parts(entity)
            signature = parse_entity(signature_part).decoded()  # small: the in-memory entity serves
            signer = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
            digest = signer["digest_algorithm"]["algorithm"].native
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise _Refused("authentication-failed", f"unreadable signature: {exc}") from None
        usable = [c for c in self.certs if "verify" in c.usage and c.usable(self.now)]
        if not usable:
            raise _Refused("authentication-failed", "no partner certificate is valid now to verify the signature")
        if digest not in HASHES:
            raise _Refused("authentication-failed", f"unsupported signature digest {digest}")
        computed = signed.digest(digest)
        cert = self._verifying_certificate(signer, computed, digest, usable)
        if digest not in self.profile.signing_digests:
            allowed = ", ".join(self.profile.signing_digests)
            raise _Refused(INSUFFICIENT, f"signature digest {digest} refused ({allowed})")
        self.layers.mic = base64.b64encode(computed).decode()
        self.layers.mic_alg, self.layers.verified_by = digest, cert
        self.layers.entity, self.layers.decrypted = self._entity(signed), None

    def _verifying_certificate(
        self, signer: Any, computed: bytes, digest: str, usable: list[Certificate]
    ) -> Certificate:
        error = "signature does not verify"
        for cert in sorted(usable, key=lambda c: c.window_from, reverse=True):
            try:
                _check_signature(self.owner.public_key(cert), signer, computed, digest)
            except (InvalidSignature, ValueError, TypeError) as exc:
                error = str(exc) or "signature does not verify"
                continue
            return cert
        raise _Refused("authentication-failed", error)

    # -- decompress ----------------------------------------------------------------------------------
    def decompress(self) -> None:
        entity = self.layers.entity
        if not entity.compressed:
            return
        der = self._decoded(entity, "decompression-failed")
        out = self._temp()
        try:
            _algorithm, content = compressed_data(_reader(der))
            _inflate_into(content, out)
        except (zlib.error, ValueError) as exc:
            raise _Refused("decompression-failed", str(exc) or type(exc).__name__) from None
        self.layers.entity, self.layers.compressed = self._entity(Span(out, 0, out.tell())), True

    # -- result --------------------------------------------------------------------------------------
    def result(self, asked: MdnRequest) -> Unwrapped:
        if not self.layers.compressed:
            _require(self.profile.require_compressed, "compressed")
        entity = self.layers.entity
        payload = self._decoded(entity, "unexpected-processing-error")
        mic, mic_alg = self.layers.mic, self.layers.mic_alg
        if mic is None or mic_alg is None:  # unsigned: RFC 4130 §7.3.1 (b) and (c)
            mic_alg = next((a for a in asked.micalgs if a in self.profile.signing_digests), "sha256")
            source = self.layers.decrypted if self.layers.decrypted is not None else payload
            mic = base64.b64encode(source.digest(mic_alg)).decode()
        verified = self.layers.verified_by
        return Unwrapped(
            payload=payload.open(), filename=entity.headers.get_filename(), content_type=entity.content_type,
            signed=verified is not None, encrypted=self.layers.encrypted, compressed=self.layers.compressed,
            mic=mic, mic_alg=mic_alg, verified_by=verified.serial_hex if verified else None,
        )  # fmt: skip

    # -- files ---------------------------------------------------------------------------------------
    def _temp(self) -> BinaryIO:
        handle: BinaryIO = self.files.enter_context(tempfile.TemporaryFile(dir=self.owner.work_dir))  # noqa: SIM115 -- closed by the ExitStack
        return handle

    def _entity(self, span: Span) -> FileEntity:
        try:
            return read_entity(span)
        except ValueError as exc:
            raise _Refused("unexpected-processing-error", str(exc)) from None

    def _decoded(self, entity: FileEntity, modifier: str) -> Span:
        """The body with its transfer encoding undone: the span itself when there is none."""
        if entity.transfer_encoding not in ("base64", "quoted-printable"):
            return entity.body
        out = self._temp()
        try:
            entity.decode_to(out)
        except ValueError as exc:
            raise _Refused(modifier, f"broken {entity.transfer_encoding} body: {exc}") from None
        return Span(out, 0, out.tell())


def _reader(span: Span) -> BerReader:
    """A BER reader over ``span``: it reads the file sequentially, so nothing else may seek it meanwhile."""
    span.file.seek(span.start)
    return BerReader(span.file, span.size)


def _require(required: bool, what: str) -> None:
    if required:
        raise _Refused(INSUFFICIENT, f"messages from this partner must be {what}")


def _unwrap_key(private_key: Any, info: Any) -> bytes:
    """The content-encryption key of a KeyTransRecipientInfo, decrypted with our RSA key."""
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise TypeError("the station key is not an RSA key")
    algorithm = info["key_encryption_algorithm"]
    encrypted = info["encrypted_key"].native
    if algorithm["algorithm"].native == "rsaes_oaep":
        params = algorithm["parameters"]
        digest = HASHES[params["hash_algorithm"]["algorithm"].native]()
        mgf_digest = HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
        oaep = asym.OAEP(mgf=asym.MGF1(mgf_digest), algorithm=digest, label=None)
        return bytes(private_key.decrypt(encrypted, oaep))
    return bytes(private_key.decrypt(encrypted, asym.PKCS1v15()))


def _decrypt_into(algorithm: Any, key: bytes, content: Iterator[bytes], out: BinaryIO) -> None:
    cipher_name = algorithm.encryption_cipher
    if cipher_name == "aes":
        block: Any = algorithms.AES(key)
    elif cipher_name == "tripledes":
        block = TripleDES(key)
    else:
        msg = f"{algorithm['algorithm'].native} cannot be decrypted in chunks; large messages need AES or 3DES"
        raise ValueError(msg)
    decryptor = Cipher(block, modes.CBC(algorithm.encryption_iv)).decryptor()
    unpadder = padding.PKCS7(block.block_size).unpadder()
    for chunk in content:
        out.write(unpadder.update(decryptor.update(chunk)))
    out.write(unpadder.update(decryptor.finalize()))
    out.write(unpadder.finalize())  # ValueError: wrong key or corrupted content


def _inflate_into(content: Iterator[bytes], out: BinaryIO) -> None:
    """zlib in bounded steps: a megabyte of compressed text may stand for a hundred megabytes."""
    inflater = zlib.decompressobj()
    for chunk in content:
        data = chunk
        while data:
            out.write(inflater.decompress(data, CHUNK))
            data = inflater.unconsumed_tail
    out.write(inflater.flush())


def _check_signature(public_key: Any, signer: Any, computed: bytes, digest: str) -> None:
    """Raise InvalidSignature unless ``signer`` signs content whose ``digest`` is ``computed``."""
    attributes = signer["signed_attrs"]
    signature = signer["signature"].native
    hash_algorithm = HASHES[digest]()
    if attributes.native is None or len(attributes) == 0:
        data, prehashed = computed, True  # no signed attributes: the signature is over the content's digest
    else:
        stated = next((a["values"][0].native for a in attributes if a["type"].native == "message_digest"), None)
        if stated != computed:
            raise InvalidSignature("the signed message digest does not match the content")
        data, prehashed = b"\x31" + attributes.dump()[1:], False  # signed over the attributes as a SET OF
    scheme = signer["signature_algorithm"].signature_algo
    chosen: Any = Prehashed(hash_algorithm) if prehashed else hash_algorithm
    if isinstance(public_key, rsa.RSAPublicKey):
        pad: asym.AsymmetricPadding = asym.PKCS1v15()
        if scheme == "rsassa_pss":
            params = signer["signature_algorithm"]["parameters"]
            pad = asym.PSS(mgf=asym.MGF1(hash_algorithm), salt_length=params["salt_length"].native)
        public_key.verify(signature, data, pad, chosen)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(chosen))
    else:
        raise TypeError("the partner certificate's key is neither RSA nor EC")
