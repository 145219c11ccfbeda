"""Hosted SFTP inbox configuration (partners file): the server (``sftp_inbox``) and each wholesaler's login.

Owned by the inbox connector. Only password-less public-key logins exist: a wholesaler's
``authorized_keys`` lines are the whole of its credentials.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
)
USERNAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


class InboxServer(BaseModel):
    """The hub's SFTP server (top-level ``sftp_inbox`` in the partners file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(
        "127.0.0.1",
        description="Address to listen on: loopback by default; a specific interface address to serve partners. "
        "Wildcard addresses (0.0.0.0, ::) are refused.",
    )
    port: int = Field(2222, ge=0, le=65535, description="TCP port; 0 = any free port (tests).")
    host_key_file: Path | None = Field(
        None,
        description="The server's private host key (OpenSSH format). Generated once (and logged loudly) if the "
        "file does not exist, never overwritten; unreadable → the hub does not start. "
        "Default: DATA_DIR/sftp-inbox/ssh_host_ed25519_key.",
    )
    root_dir: Path | None = Field(
        None,
        description="Where each wholesaler's virtual directory lives (<root_dir>/<wholesaler-id>/, with done/ "
        "and error/); uploads in progress are staged in <root_dir>/.staging/. Default: DATA_DIR/sftp-inbox/root.",
    )
    max_connections: int = Field(32, ge=1, description="Connections beyond this are closed at once.")
    auth_timeout_seconds: float = Field(30.0, gt=0, description="Time a client has to log in.")
    idle_timeout_seconds: float = Field(
        600.0, gt=0, description="A connection with no SFTP request for this long is closed (uploads discarded)."
    )

    @field_validator("host")
    @classmethod
    def _no_wildcard(cls, value: str) -> str:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            msg = "expected an IP address such as 127.0.0.1"
            raise ValueError(msg) from None
        if address.is_unspecified:
            msg = "a wildcard address listens on every interface; name the one interface to serve on"
            raise ValueError(msg)
        return value


class InboxAccount(BaseModel):
    """A wholesaler's login to the hosted inbox (``wholesalers[].inbox``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str | None = Field(
        None, pattern=USERNAME, description="SFTP user name; default: the wholesaler id. Unique across wholesalers."
    )
    authorized_keys: list[str] = Field(
        min_length=1,
        description="The wholesaler's public keys as OpenSSH authorized_keys lines ('ssh-ed25519 AAAA… comment'); "
        "key options are not supported. Several keys allow a rotation with overlap.",
    )

    @field_validator("authorized_keys")
    @classmethod
    def _key_lines(cls, lines: list[str]) -> list[str]:
        for line in lines:
            parse_authorized_key(line)
        return lines


def parse_authorized_key(line: str) -> tuple[str, bytes]:
    """``(key type, key blob)`` of one authorized_keys line; ValueError names what is wrong."""
    parts = line.split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        msg = f"expected '<key-type> <base64> [comment]' with a key type of {', '.join(KEY_TYPES)}; got {line[:40]!r}"
        raise ValueError(msg)
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        msg = f"the key data of {parts[0]} is not base64"
        raise ValueError(msg) from None
    if not blob.startswith(len(parts[0]).to_bytes(4, "big") + parts[0].encode()):
        msg = f"the key data does not hold a {parts[0]} key"
        raise ValueError(msg)
    return parts[0], blob
