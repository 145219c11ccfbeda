"""The hosted inbox's host key: loaded from its file, generated once if the file does not exist, never overwritten.

Partners pin this key; a silently regenerated key would look like a man-in-the-middle to every one
of them. So: an existing file that cannot be read or parsed stops the hub (ConfigError) instead of
being replaced, and a new key is created with ``O_EXCL`` (two starting processes cannot both write one)
and announced with a warning that carries the public key to hand to partners.
"""

from __future__ import annotations

import os
from pathlib import Path

import paramiko
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.errors import ConfigError

log = structlog.get_logger(__name__)


def load_or_create_host_key(path: Path) -> paramiko.PKey:
    """The host key at ``path``; created (ed25519, mode 0600) only when no file exists there."""
    if not path.exists() and not path.is_symlink():
        _create(path)
    try:
        key = paramiko.PKey.from_path(path)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise ConfigError(
            f"cannot read the SFTP inbox host key {path}: {exc} — fix the file or its permissions; "
            "the hub never replaces an existing host key (partners have pinned it)"
        ) from None
    return key


def public_line(key: paramiko.PKey) -> str:
    """``ssh-ed25519 AAAA…``: what a partner puts into its known_hosts (with ``[host]:port`` in front)."""
    return f"{key.get_name()} {key.get_base64()}"


def _create(path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    data = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it a moment ago: load theirs
    except OSError as exc:
        raise ConfigError(f"cannot create the SFTP inbox host key {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    key = paramiko.PKey.from_path(path)
    log.warning(
        "inbox.host_key_generated",
        path=str(path),
        public_key=public_line(key),
        fingerprint=key.fingerprint,
        note="NEW host key: give partners this public key to pin; keep the file — it is never regenerated",
    )
