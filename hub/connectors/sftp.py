"""SFTP poller: takes files from a wholesaler's SFTP server, moves them to ``done/`` after the broker ack.

* The server's host key is pinned from the partners file (no trust on first use, no auto-add).
* A file is taken only once its size and mtime have been stable for ``min_age_seconds``.
* Bytes stream from the server into the archive; nothing holds a whole file in memory.
* Transport id ``sftp://user@host:port/path@mtime:size``: the same file seen again is a duplicate,
  a new upload under the same name (new mtime or size) is a new delivery.
* Refused deliveries go to ``error/`` with a ``.error.txt`` beside them; transient failures leave
  the file where it is for the next poll.
"""

from __future__ import annotations

import base64
import contextlib
import posixpath
import stat
from datetime import UTC, datetime
from typing import BinaryIO, cast

import paramiko
import structlog

from hub.connectors.base import StabilityTracker
from hub.errors import ConfigError, IntakeError, SftpUnavailableError
from hub.intake.service import Delivery, IntakeResult, IntakeService
from hub.partners import SftpEndpoint, Wholesaler

log = structlog.get_logger(__name__)


def load_private_key(path: str) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(path)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise ConfigError(f"cannot load SFTP private key {path}: {exc}") from None


def pinned_host_key(endpoint: SftpEndpoint) -> tuple[str, paramiko.PKey]:
    key_type, blob = endpoint.host_key.split()[:2]
    try:
        key = paramiko.PKey.from_type_string(key_type, base64.b64decode(blob))
    except (ValueError, paramiko.SSHException) as exc:
        raise ConfigError(f"invalid pinned host key for {endpoint.host}: {exc}") from None
    name = endpoint.host if endpoint.port == 22 else f"[{endpoint.host}]:{endpoint.port}"
    return name, key


class SftpPoller:
    def __init__(self, wholesaler: Wholesaler, intake: IntakeService) -> None:
        if wholesaler.sftp is None:
            raise ConfigError(f"wholesaler {wholesaler.id} has no sftp endpoint")
        self.wholesaler, self.endpoint, self.intake = wholesaler, wholesaler.sftp, intake
        self.name = f"sftp:{wholesaler.id}"
        self.interval_s = self.endpoint.poll_interval_seconds
        self._stable = StabilityTracker(self.endpoint.min_age_seconds)

    def poll_once(self) -> int:
        client = self._connect()
        try:
            sftp = client.open_sftp()
            return self._poll(sftp)
        except (OSError, paramiko.SSHException) as exc:
            raise SftpUnavailableError(f"{self.name}: {exc}") from None
        finally:
            client.close()

    def _connect(self) -> paramiko.SSHClient:
        ep = self.endpoint
        client = paramiko.SSHClient()
        name, key = pinned_host_key(ep)
        client.get_host_keys().add(name, key.get_name(), key)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                ep.host,
                port=ep.port,
                username=ep.username,
                pkey=load_private_key(str(ep.private_key_file)),
                timeout=ep.timeout_seconds,
                banner_timeout=ep.timeout_seconds,
                auth_timeout=ep.timeout_seconds,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise ConfigError(f"{self.name}: host key mismatch — refusing to connect ({exc})") from None
        except (OSError, paramiko.SSHException) as exc:
            client.close()
            raise SftpUnavailableError(f"{self.name}: cannot connect to {ep.host}:{ep.port}: {exc}") from None
        return client

    def _poll(self, sftp: paramiko.SFTPClient) -> int:
        remote_dir = self.endpoint.remote_dir
        entries = [e for e in sftp.listdir_attr(remote_dir) if _is_candidate(e)]
        self._stable.keep_only({e.filename for e in entries})
        taken = 0
        for entry in sorted(entries, key=lambda e: (e.st_mtime or 0, e.filename)):
            size, mtime = entry.st_size or 0, entry.st_mtime or 0
            if self._stable.ready(entry.filename, size, mtime):
                taken += self._take(sftp, entry.filename, size, mtime)
        return taken

    def _take(self, sftp: paramiko.SFTPClient, filename: str, size: int, mtime: int) -> int:
        ep = self.endpoint
        path = posixpath.join(ep.remote_dir, filename)
        delivery = Delivery(
            partner_id=self.wholesaler.id,
            channel="sftp",
            filename=filename,
            transport_id=f"sftp://{ep.username}@{ep.host}:{ep.port}{path}@{mtime}:{size}",
        )
        try:
            with sftp.open(path, "rb") as remote:
                remote.prefetch(size)
                result = self.intake.take(cast(BinaryIO, remote), delivery)
        except IntakeError as exc:
            self._refuse(sftp, filename, exc)
            return 0
        if not self._unchanged(sftp, path, size, mtime):
            log.warning("sftp.changed_while_reading", connector=self.name, file=filename)
            return 0  # not acknowledged; the new version is taken on a later poll
        self._acknowledge(sftp, filename, result)
        return 1

    def _acknowledge(self, sftp: paramiko.SFTPClient, filename: str, result: IntakeResult) -> None:
        target = self._move(sftp, filename, self.endpoint.done_dir)
        self.intake.acknowledged(result)
        self._stable.forget(filename)
        log.info(
            "sftp.taken",
            connector=self.name,
            file=filename,
            moved_to=target,
            document_id=result.document_id,
            duplicate=result.duplicate,
        )

    def _refuse(self, sftp: paramiko.SFTPClient, filename: str, exc: IntakeError) -> None:
        target = self._move(sftp, filename, self.endpoint.error_dir)
        with contextlib.suppress(OSError), sftp.open(target + ".error.txt", "wb") as note:
            note.write((exc.render() + "\n").encode())
        self._stable.forget(filename)
        log.error("sftp.refused", connector=self.name, file=filename, moved_to=target, error=exc.render())

    def _move(self, sftp: paramiko.SFTPClient, filename: str, folder: str) -> str:
        target_dir = posixpath.join(self.endpoint.remote_dir, folder)
        with contextlib.suppress(OSError):
            sftp.mkdir(target_dir)
        target = posixpath.join(target_dir, filename)
        counter = 0
        while _exists(sftp, target):
            counter += 1
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            target = posixpath.join(target_dir, f"{filename}.{stamp}-{counter}")
        sftp.posix_rename(posixpath.join(self.endpoint.remote_dir, filename), target)
        return target

    @staticmethod
    def _unchanged(sftp: paramiko.SFTPClient, path: str, size: int, mtime: int) -> bool:
        try:
            now = sftp.stat(path)
        except OSError:
            return False
        return (now.st_size, now.st_mtime) == (size, mtime)


def _is_candidate(entry: paramiko.SFTPAttributes) -> bool:
    return bool(entry.st_mode and stat.S_ISREG(entry.st_mode)) and not entry.filename.startswith(".")


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.stat(path)
    except OSError:
        return False
    return True
