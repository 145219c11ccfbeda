"""A real mail server for the e-mail intake tests: dovecot IMAP on loopback, aiosmtpd delivering via dovecot-lda.

dovecot runs in the foreground (``dovecot -F``) as a child of the test process, with its own ``base_dir``, config,
passwd-file and maildirs under ``/tmp/grossisthub-test-dovecot-<random>/``, IMAP (no TLS) on a free 127.0.0.1 port.
An aiosmtpd server on another free port hands every message to ``/usr/lib/dovecot/dovecot-lda``, so mail arrives
exactly as a mail server would deliver it. Each test gets a fresh mail account (:func:`mail_account`), so tests never
see each other's mail.

dovecot refuses mail users with uid 0; when the tests run as root the maildirs belong to a system user ``hubmail``
(created if missing, like the SFTP fixture's user). A missing dovecot is an error, not a skip: CI installs it with
``scripts/system-deps.sh``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imap_tools import MailBoxUnencrypted

DOVECOT = Path("/usr/sbin/dovecot")
LDA = Path("/usr/lib/dovecot/dovecot-lda")
HOST = "127.0.0.1"
MAIL_USER = "hubmail"
DOMAIN = "hub.test"
READY_TIMEOUT_S = 15.0
SPARE_ACCOUNTS = 40
INSTALL_HINT = "install it with `apt-get install -y dovecot-imapd` (or run scripts/system-deps.sh)"


@dataclass(frozen=True)
class MailAccount:
    """One mailbox on the test server: log in over IMAP, receive mail at ``address`` over SMTP."""

    server: MailServer
    username: str
    password: str
    password_file: Path

    @property
    def address(self) -> str:
        return f"{self.username}@{DOMAIN}"

    def deliver(self, message: EmailMessage | bytes, *, mail_from: str) -> None:
        """Send through the SMTP server; returns once dovecot-lda stored the mail."""
        data = message.as_bytes(policy=SMTP_POLICY) if isinstance(message, EmailMessage) else message
        with smtplib.SMTP(HOST, self.server.smtp_port, timeout=30) as smtp:
            smtp.sendmail(mail_from, [self.address], data)

    def imap(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted(HOST, self.server.imap_port, timeout=30).login(self.username, self.password)

    def folder(self, name: str) -> list[tuple[str, tuple[str, ...]]]:
        """``(subject, flags)`` of every mail in a folder (empty if the folder does not exist)."""
        with self.imap() as box:
            if not box.folder.exists(name):
                return []
            box.folder.set(name)
            return [(m.subject, m.flags) for m in box.fetch(mark_seen=False)]


class _LdaHandler:
    """aiosmtpd handler: every recipient's copy goes through dovecot-lda, as a real MTA would do it."""

    def __init__(self, config: Path) -> None:
        self.config = config

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for rcpt in envelope.rcpt_tos:
            user = rcpt.split("@", 1)[0]
            proc = await asyncio.create_subprocess_exec(
                str(LDA), "-c", str(self.config), "-d", user, "-f", envelope.mail_from,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            out, _ = await proc.communicate(envelope.original_content)
            if proc.returncode != 0:
                log = self.config.with_name("dovecot.log").read_text(errors="replace").splitlines()[-3:]
                return f"451 dovecot-lda failed ({proc.returncode}): {out.decode(errors='replace')[:200]} {log}"
        return "250 OK delivered"


class MailServer:
    """dovecot + aiosmtpd; :meth:`close` stops both and removes every file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.imap_port = _free_port()
        self.smtp_port = _free_port()
        self.uid, self.gid = _mail_ids()
        self.config = root / "dovecot.conf"
        self.users = root / "users"
        self.log_file = root / "dovecot.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._smtp: Controller | None = None
        self._spare: list[MailAccount] = []

    def start(self) -> None:
        for sub in ("run", "state", "mail", "secrets"):
            (self.root / sub).mkdir(mode=0o755)
        self.users.write_text("")
        self._spare = [self._write_account() for _ in range(SPARE_ACCOUNTS)]
        self.config.write_text(_config(self.root, self.imap_port, self.uid))
        with (self.root / "dovecot.out").open("ab") as out:
            self._process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(self.config)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self._wait_ready()
        self._smtp = Controller(_LdaHandler(self.config), hostname=HOST, port=self.smtp_port)
        self._smtp.start()

    def add_account(self) -> MailAccount:
        """A mailbox nobody used before. dovecot re-reads its passwd-file at most once a second, so accounts are
        written ahead (before its first lookup); past those, a new one is written and awaited."""
        if self._spare:
            return self._spare.pop()
        account = self._write_account()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception), account.imap():
                return account
            time.sleep(0.2)
        raise RuntimeError(f"dovecot does not know the new user {account.username}:\n{self._logs()}")

    def _write_account(self) -> MailAccount:
        name = f"u{uuid.uuid4().hex[:10]}"
        password = uuid.uuid4().hex
        home = self.root / "mail" / name
        home.mkdir(mode=0o700)
        os.chown(home, self.uid, self.gid)
        with self.users.open("a") as users:
            users.write(f"{name}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{home}::\n")
        secret = self.root / "secrets" / name
        secret.write_text(password + "\n")
        return MailAccount(self, name, password, secret)

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, 9)
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited during startup:\n{self._logs()}")
            if _greets(self.imap_port):
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"dovecot did not answer on {HOST}:{self.imap_port} in {READY_TIMEOUT_S:.0f}s:\n{self._logs()}"
        )

    def _logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in (self.root / "dovecot.out", self.log_file) if p.exists()
        )


def start_mail_server() -> MailServer:
    missing = [str(p) for p in (DOVECOT, LDA) if not p.exists()]
    if missing:
        raise RuntimeError(f"dovecot missing ({', '.join(missing)}): {INSTALL_HINT}")
    root = Path(tempfile.mkdtemp(prefix="grossisthub-test-dovecot-"))
    root.chmod(0o755)  # the mail user and dovecot's login user must reach the sockets and maildirs
    server = MailServer(root)
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server


def _config(root: Path, port: int, uid: int) -> str:
    return f"""# Generated by tests/services/dovecot.py for grossisthub's e-mail tests.
base_dir = {root}/run
state_dir = {root}/state
instance_name = {root.name}
listen = {HOST}
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
first_valid_uid = {min(uid, 100)}
mail_location = maildir:~/Maildir
{_run_as_self()}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
protocol lda {{
  postmaster_address = postmaster@{DOMAIN}
}}
"""


def _run_as_self() -> str:
    """Not root: every dovecot process runs as the current user."""
    if os.geteuid() == 0:
        return ""
    me = pwd.getpwuid(os.geteuid()).pw_name
    return f"default_login_user = {me}\ndefault_internal_user = {me}\n"


def _mail_ids() -> tuple[int, int]:
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    try:
        entry = pwd.getpwnam(MAIL_USER)
    except KeyError:
        args = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", MAIL_USER]
        result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        try:
            entry = pwd.getpwnam(MAIL_USER)
        except KeyError:
            raise RuntimeError(f"useradd {MAIL_USER} failed: {result.stderr.strip()}") from None
    return entry.pw_uid, entry.pw_gid


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _greets(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            return sock.recv(100).startswith(b"* OK")
    except OSError:
        return False


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """One dovecot + SMTP server for the whole session; stopped and its directory removed at the end."""
    server = start_mail_server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def mail_account(mail_server: MailServer) -> MailAccount:
    """A fresh, empty mailbox on the session's server."""
    return mail_server.add_account()
