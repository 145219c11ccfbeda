"""The hosted SFTP inbox server: listens (127.0.0.1 by default), authenticates wholesalers by key, serves SFTP.

One accept thread; each connection is a paramiko ``Transport`` (its own thread) that allows exactly one
thing: the ``sftp`` subsystem, after a password-less public-key login with a key from the wholesaler's
``inbox.authorized_keys``. Shells, exec, port forwarding, passwords and keyboard-interactive are refused.

Start it from ``hub up``::

    inbox = HostedInbox.from_partners(partners, intake, data_dir=..., max_document_bytes=...)
    if inbox: inbox.start() ... inbox.close()     # or inbox.serve(stop_event) in a thread
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from pathlib import Path

import paramiko
import structlog
from paramiko.common import AUTH_FAILED, AUTH_SUCCESSFUL, OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED, OPEN_SUCCEEDED
from pydantic import ValidationError

from hub.connectors.inbox.config import InboxServer, parse_authorized_key
from hub.connectors.inbox.files import InboxFs, InboxSftpSubsystem
from hub.connectors.inbox.hostkey import load_or_create_host_key, public_line
from hub.connectors.inbox.upload import DONE, ERROR, Account, InboxContext
from hub.errors import ConfigError
from hub.intake.service import IntakeService
from hub.partners import Partners

log = structlog.get_logger(__name__)
MAX_CHANNELS = 4  # per connection


class Gatekeeper(paramiko.ServerInterface):
    """Authentication and channel policy of one connection."""

    def __init__(self, accounts: Mapping[str, Account], peer: str) -> None:
        self.accounts, self.peer = accounts, peer
        self.account: Account | None = None
        self._channels = 0

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_none(self, username: str) -> int:
        return AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        account = self.accounts.get(username)
        if account is not None and key.asbytes() in account.keys:
            self.account = account
            return AUTH_SUCCESSFUL
        log.warning("inbox.auth_refused", user=username, key=key.fingerprint, peer=self.peer)
        return AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind != "session" or self._channels >= MAX_CHANNELS:
            return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        self._channels += 1
        return OPEN_SUCCEEDED

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        username = channel.get_transport().get_username()
        account = self.accounts.get(username or "")
        if name != "sftp" or account is None:
            return False
        self.account = account  # the user the transport authenticated, whatever was tried before
        log.info("inbox.session", user=account.username, partner=account.wholesaler_id, peer=self.peer)
        return super().check_channel_subsystem_request(channel, name)


class HostedInbox:
    """The hub's SFTP server; ``start``/``close`` or ``serve(stop)``. Binds only the configured address."""

    def __init__(
        self,
        config: InboxServer,
        accounts: Mapping[str, Account],
        intake: IntakeService,
        *,
        data_dir: Path,
        max_document_bytes: int,
    ) -> None:
        self.config, self.accounts = config, dict(accounts)
        self.root = config.root_dir or data_dir / "sftp-inbox" / "root"
        self.host_key_file = config.host_key_file or data_dir / "sftp-inbox" / "ssh_host_ed25519_key"
        self.host_key = load_or_create_host_key(self.host_key_file)
        self._prepare_dirs()
        self._intake, self._max_bytes = intake, max_document_bytes
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()

    @classmethod
    def from_partners(
        cls, partners: Partners, intake: IntakeService, *, data_dir: Path, max_document_bytes: int
    ) -> HostedInbox | None:
        """The server the partners file configures (``sftp_inbox``), or None when it configures none."""
        config = partners.data.sftp_inbox
        if config is None:
            return None
        root = config.root_dir or data_dir / "sftp-inbox" / "root"
        accounts = build_accounts(partners, root)
        return cls(config, accounts, intake, data_dir=data_dir, max_document_bytes=max_document_bytes)

    def listen_on(self, host: str) -> None:
        """Listen on ``host`` instead of the partners file's address (a pod's own IP); checked like the file's."""
        try:
            self.config = self.config.model_copy(update={"host": InboxServer.model_validate({"host": host}).host})
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise ConfigError(f"SFTP inbox --listen-host {host!r}: {reason}") from None

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` actually bound (the port is known after :meth:`start`)."""
        if self._listener is None:
            return self.config.host, self.config.port
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    @property
    def public_key(self) -> str:
        return public_line(self.host_key)

    def start(self) -> None:
        """Bind and start accepting; ConfigError if the address cannot be bound."""
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.config.host, self.config.port))
        except OSError as exc:
            listener.close()
            raise ConfigError(f"SFTP inbox cannot listen on {self.config.host}:{self.config.port}: {exc}") from None
        listener.listen(16)
        for leftover in (self.root / ".staging").iterdir():  # uploads cut off by an earlier stop: never taken
            leftover.unlink(missing_ok=True)
        listener.settimeout(0.5)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="sftp-inbox", daemon=True)
        self._thread.start()
        host, port = self.address
        log.info("inbox.listening", host=host, port=port, host_key=self.public_key, accounts=sorted(self.accounts))

    def close(self) -> None:
        """Stop accepting, drop open connections (their unfinished uploads are discarded)."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()
        for transport in transports:
            transport.join(timeout=5)

    def serve(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set (for a thread of ``hub up``)."""
        self.start()
        try:
            stop.wait()
        finally:
            self.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closing.is_set():
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if not self._closing.is_set():
                    log.exception("inbox.accept_failed")
                return
            try:
                self._serve_connection(conn, f"{peer[0]}:{peer[1]}")
            except Exception:
                log.exception("inbox.connection_failed", peer=peer)
                conn.close()

    def _serve_connection(self, conn: socket.socket, peer: str) -> None:
        with self._lock:
            self._transports = [t for t in self._transports if t.is_active()]
            if len(self._transports) >= self.config.max_connections:
                log.warning("inbox.too_many_connections", peer=peer, limit=self.config.max_connections)
                conn.close()
                return
            conn.settimeout(None)
            transport = paramiko.Transport(conn)
            self._transports.append(transport)
        transport.banner_timeout = transport.handshake_timeout = self.config.auth_timeout_seconds
        transport.auth_timeout = self.config.auth_timeout_seconds
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler(
            "sftp", InboxSftpSubsystem, InboxFs, self._context(), self.config.idle_timeout_seconds
        )
        # With an event, start_server returns at once; negotiation and auth run in the transport's thread.
        transport.start_server(event=threading.Event(), server=Gatekeeper(self.accounts, peer))

    def _context(self) -> InboxContext:
        host, port = self.address
        return InboxContext(self._intake, self.root / ".staging", self._max_bytes, f"{host}:{port}")

    def _prepare_dirs(self) -> None:
        (self.root / ".staging").mkdir(parents=True, exist_ok=True)
        for account in self.accounts.values():
            for folder in (DONE, ERROR):
                (account.root / folder).mkdir(parents=True, exist_ok=True)


def build_accounts(partners: Partners, root: Path) -> dict[str, Account]:
    """One account per wholesaler with ``inbox``; ConfigError when two share a user name."""
    accounts: dict[str, Account] = {}
    for wholesaler in partners.wholesalers:
        if wholesaler.inbox is None:
            continue
        username = wholesaler.inbox.username or wholesaler.id
        if username in accounts:
            other = accounts[username].wholesaler_id
            raise ConfigError(f"SFTP inbox user {username!r} is used by {other!r} and {wholesaler.id!r}")
        keys = frozenset(parse_authorized_key(line)[1] for line in wholesaler.inbox.authorized_keys)
        accounts[username] = Account(username, wholesaler.id, root / wholesaler.id, keys)
    return accounts
