"""The virtual directory a wholesaler sees in the hosted inbox, confined to its own root.

What the partner sees::

    /            upload here (write-only: a file leaves it as soon as it is closed)
    /done/       files the hub took (read, delete)
    /error/      files the hub refused, each with <name>.error.txt (read, delete)

Every client path is resolved inside the partner's root: ``..`` above ``/`` is refused (permission
denied), absolute paths mean the virtual root, symlinks are neither created nor followed, and
nothing but the three folders above exists. Rename, mkdir, rmdir, symlink and append are refused.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
import structlog
from paramiko.sftp import (
    CMD_CLOSE,
    SFTP_BAD_MESSAGE,
    SFTP_FAILURE,
    SFTP_NO_SUCH_FILE,
    SFTP_OK,
    SFTP_OP_UNSUPPORTED,
    SFTP_PERMISSION_DENIED,
)

from hub.connectors.inbox.upload import DONE, ERROR, Account, InboxContext, Upload

log = structlog.get_logger(__name__)
FOLDERS = (DONE, ERROR)
MAX_NAME = 255
MAX_OPEN_UPLOADS = 8  # per session: each may grow to the document size limit on disk


@dataclass
class Session:
    """What one SFTP session remembers: where its committed uploads went, and which uploads are open."""

    taken: dict[str, Path] = field(default_factory=dict)
    open_uploads: set[int] = field(default_factory=set)


class EscapeError(PermissionError):
    """A client path that climbs above the partner's root (a PermissionError, not a hub error)."""


def virtual_parts(path: str) -> tuple[str, ...]:
    """The components of a client path inside the partner's root; EscapeError if it climbs above it."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise EscapeError(f"path outside your directory: {path!r}")
            parts.pop()
        else:
            parts.append(part)
    return tuple(parts)


def valid_name(name: str) -> bool:
    """A file name a partner may upload: plain, visible, printable, not one of the folders."""
    return (
        0 < len(name) <= MAX_NAME
        and not name.startswith(".")
        and name not in FOLDERS
        and "\\" not in name
        and all(ch.isprintable() for ch in name)
    )


class UploadHandle(paramiko.SFTPHandle):
    """An open upload; :meth:`commit` runs on the client's close, :meth:`close` alone discards."""

    def __init__(self, upload: Upload, flags: int, session: Session) -> None:
        super().__init__(flags)
        self.upload, self.session = upload, session
        session.open_uploads.add(id(self))

    def write(self, offset: int, data: Any) -> int:
        return SFTP_OK if self.upload.write(offset, bytes(data)) else SFTP_FAILURE

    def read(self, offset: int, length: int) -> bytes | int:
        return SFTP_OP_UNSUPPORTED

    def stat(self) -> paramiko.SFTPAttributes | int:
        attrs = paramiko.SFTPAttributes()
        attrs.st_size, attrs.st_mode = self.upload.size, stat.S_IFREG | 0o200
        return attrs

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK  # modes and times are the hub's business; accepted and ignored

    def commit(self) -> tuple[int, str]:
        try:
            outcome = self.upload.finish()
        except Exception:
            log.exception("inbox.upload_failed", user=self.upload.account.username, file=self.upload.name)
            self.upload.discard()
            return SFTP_FAILURE, "internal error in the hub; please send the file again"
        if outcome.placed is not None:
            # A client that stats its upload right after the close (paramiko's put does) finds it.
            self.session.taken[self.upload.name] = outcome.placed
        return (SFTP_OK if outcome.ok else SFTP_FAILURE), outcome.message

    def close(self) -> None:
        self.upload.discard()  # a no-op after commit moved the file
        self.session.open_uploads.discard(id(self))


class ReadHandle(paramiko.SFTPHandle):
    """A file in done/ or error/ opened for reading."""

    def __init__(self, path: Path) -> None:
        super().__init__(os.O_RDONLY)
        self.readfile = os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")  # never through a symlink

    def stat(self) -> paramiko.SFTPAttributes | int:
        return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))


class InboxSftpSubsystem(paramiko.SFTPServer):
    """paramiko's SFTP server, except that closing an upload answers with the intake's verdict."""

    def start_subsystem(self, name: str, transport: paramiko.Transport, channel: paramiko.Channel) -> None:
        if isinstance(self.server, InboxFs):
            channel.settimeout(self.server.idle_timeout_s)
        super().start_subsystem(name, transport, channel)

    def _process(self, t: int, request_number: int, msg: paramiko.Message) -> None:
        if t != CMD_CLOSE:
            super()._process(t, request_number, msg)  # type: ignore[misc]
            return
        handle = msg.get_binary()
        if handle in self.folder_table:
            del self.folder_table[handle]
            self._send_status(request_number, SFTP_OK)  # type: ignore[attr-defined]
            return
        target = self.file_table.pop(handle, None)
        if target is None:
            self._send_status(request_number, SFTP_BAD_MESSAGE, "Invalid handle")  # type: ignore[attr-defined]
            return
        code, message = target.commit() if isinstance(target, UploadHandle) else (SFTP_OK, "")
        target.close()
        self._send_status(request_number, code, message or None)  # type: ignore[attr-defined]


class InboxFs(paramiko.SFTPServerInterface):
    """One SFTP session of one authenticated wholesaler."""

    def __init__(self, server: paramiko.ServerInterface, context: InboxContext, idle_timeout_s: float) -> None:
        super().__init__(server)
        account = getattr(server, "account", None)
        if not isinstance(account, Account):
            raise PermissionError("SFTP session without an authenticated account")
        self.account, self.context, self.idle_timeout_s = account, context, idle_timeout_s
        self.session = Session()

    def canonicalize(self, path: str) -> str:
        return "/" + "/".join(virtual_parts(path))

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        try:
            parts = virtual_parts(path)
        except EscapeError:
            return SFTP_PERMISSION_DENIED
        if parts == ():
            return [_attrs(self.account.root / f, f) for f in FOLDERS if _is_plain_dir(self.account.root / f)]
        folder = self._folder(parts)
        if folder is None:
            return SFTP_NO_SUCH_FILE
        return [_attrs(p, p.name) for p in sorted(folder.iterdir()) if _is_plain_file(p)]

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            parts = virtual_parts(path)
        except EscapeError:
            return SFTP_PERMISSION_DENIED
        if parts == () or self._folder(parts) is not None:
            return _attrs(self.account.root / "/".join(parts), parts[-1] if parts else "/")
        real = self._existing_file(parts)
        return _attrs(real, parts[-1]) if real is not None else SFTP_NO_SUCH_FILE

    lstat = stat

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        try:
            parts = virtual_parts(path)
        except EscapeError:
            log.warning("inbox.escape_refused", user=self.account.username, path=path)
            return SFTP_PERMISSION_DENIED
        if flags & (os.O_WRONLY | os.O_RDWR):
            return self._open_upload(parts, flags)
        real = self._existing_file(parts)
        if real is None or parts[0] not in FOLDERS:
            return SFTP_NO_SUCH_FILE
        return ReadHandle(real)

    def remove(self, path: str) -> int:
        try:
            parts = virtual_parts(path)
        except EscapeError:
            return SFTP_PERMISSION_DENIED
        real = self._existing_file(parts)
        if real is None or len(parts) != 2:
            return SFTP_NO_SUCH_FILE if real is None else SFTP_PERMISSION_DENIED
        real.unlink()
        return SFTP_OK

    def rename(self, oldpath: str, newpath: str) -> int:
        return SFTP_PERMISSION_DENIED

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        return SFTP_PERMISSION_DENIED

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_PERMISSION_DENIED

    def rmdir(self, path: str) -> int:
        return SFTP_PERMISSION_DENIED

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK

    def readlink(self, path: str) -> str | int:
        return SFTP_OP_UNSUPPORTED

    def symlink(self, target_path: str, path: str) -> int:
        return SFTP_PERMISSION_DENIED

    def _open_upload(self, parts: tuple[str, ...], flags: int) -> paramiko.SFTPHandle | int:
        if len(parts) != 1 or not valid_name(parts[0]):
            log.warning("inbox.upload_refused", user=self.account.username, path="/" + "/".join(parts))
            return SFTP_PERMISSION_DENIED
        if flags & os.O_APPEND or not flags & os.O_CREAT:
            return SFTP_OP_UNSUPPORTED  # no resume: every upload is a whole new file
        if len(self.session.open_uploads) >= MAX_OPEN_UPLOADS:
            log.warning("inbox.too_many_open_uploads", user=self.account.username, limit=MAX_OPEN_UPLOADS)
            return SFTP_FAILURE
        self.session.taken.pop(parts[0], None)
        return UploadHandle(Upload(self.context, self.account, parts[0]), flags, self.session)

    def _folder(self, parts: tuple[str, ...]) -> Path | None:
        if len(parts) == 1 and parts[0] in FOLDERS and _is_plain_dir(self.account.root / parts[0]):
            return self.account.root / parts[0]
        return None

    def _existing_file(self, parts: tuple[str, ...]) -> Path | None:
        """A regular, non-symlink file of this partner: done/x, error/x, or a name uploaded in this session."""
        if len(parts) == 1 and parts[0] in self.session.taken:
            real = self.session.taken[parts[0]]
        elif len(parts) == 2 and self._folder(parts[:1]) is not None:
            real = self.account.root / parts[0] / parts[1]
        else:
            return None
        return real if _is_plain_file(real) else None


def _is_plain_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def _is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _attrs(path: Path, name: str) -> paramiko.SFTPAttributes:
    return paramiko.SFTPAttributes.from_stat(path.lstat(), name)
