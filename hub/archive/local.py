"""Local-directory archive: ``<root>/objects/ab/cd/<sha256>``, written via temp file + fsync + rename."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from hub.archive.base import ArchivedObject, sha256_of_uri
from hub.errors import DocumentTooLargeError, StoreUnavailableError

CHUNK = 1024 * 1024


class LocalArchive:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = root / "objects"
        self._tmp = root / "tmp"
        for folder in (self._objects, self._tmp):
            folder.mkdir(parents=True, exist_ok=True)

    def put_stream(self, stream: BinaryIO, *, max_bytes: int) -> ArchivedObject:
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="in-")
        tmp = Path(tmp_name)
        try:
            digest, size = _copy_hashing(stream, fd, max_bytes)
            obj = ArchivedObject(digest, size)
            self._commit(tmp, self._path(digest))
            return obj
        except OSError as exc:
            raise StoreUnavailableError(f"archive write failed under {self.root}: {exc.strerror}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def put_bytes(self, data: bytes) -> ArchivedObject:
        return self.put_stream(io.BytesIO(data), max_bytes=len(data) + 1)

    def open(self, uri: str) -> BinaryIO:
        path = self._path(sha256_of_uri(uri))
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise StoreUnavailableError(f"archived object missing: {uri} (expected at {path})") from None

    def read(self, uri: str) -> bytes:
        with self.open(uri) as handle:
            return handle.read()

    def exists(self, uri: str) -> bool:
        return self._path(sha256_of_uri(uri)).exists()

    def _path(self, digest: str) -> Path:
        return self._objects / digest[:2] / digest[2:4] / digest

    def _commit(self, tmp: Path, final: Path) -> None:
        if final.exists():
            return  # same content already archived; content addressing makes this a no-op
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.replace(final)
        _fsync_dir(final.parent)


def _copy_hashing(stream: BinaryIO, fd: int, max_bytes: int) -> tuple[str, int]:
    hasher, size = hashlib.sha256(), 0
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                msg = f"document exceeds the size limit of {max_bytes} bytes"
                raise DocumentTooLargeError(msg)
            hasher.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
