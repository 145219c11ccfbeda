"""Safe unpacking of ZIP attachments: every limit is checked before a single entry is taken.

A ZIP is refused whole (``UnsafeArchiveError``, code UNSAFE_ARCHIVE) when it

* is not a readable ZIP, or has encrypted entries;
* has more than ``max_entries`` entries, or entries whose declared sizes add up to more than
  ``max_total_bytes``, or one entry over the hub's document size limit;
* expands more than ``max_ratio`` times (per entry above ``ratio_floor_bytes``, and as a whole);
* names a path outside itself (absolute, ``..``, drive letters, backslashes) or holds a symlink;
* holds another archive (ZIP, gzip, 7z, RAR, bzip2, xz, tar — by name or by content; an XLSX is a
  document, not an archive).

While an entry is read, its bytes are counted against the declared size, so a ZIP whose headers lie
is still stopped; a CRC or decompression error also refuses it. Nothing is ever written to disk
under an entry's own name.
"""

from __future__ import annotations

import io
import posixpath
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from hub.connectors.email.config import ZipLimits
from hub.errors import UnsafeArchiveError

ARCHIVE_EXTENSIONS = frozenset({"zip", "gz", "tgz", "7z", "rar", "bz2", "xz", "tar", "jar", "cab", "z", "lz", "zst"})
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh", b"\xfd7zXZ", b"(\xb5/\xfd")
ZIP_BASED_DOCUMENTS = frozenset({"xlsx"})
DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class ZipEntry:
    path: str  # the entry's path inside the ZIP (already checked)
    name: str  # its last component: the document's file name
    size: int  # declared uncompressed size


@dataclass(frozen=True, slots=True)
class ZipPlan:
    """A checked ZIP: the entries to take and the names that were skipped (not an accepted type)."""

    archive: zipfile.ZipFile
    entries: tuple[ZipEntry, ...]
    skipped: tuple[str, ...]

    def open(self, entry: ZipEntry) -> BinaryIO:
        return io.BufferedReader(CountingEntry(self.archive, entry))


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_zip(data: bytes, label: str, limits: ZipLimits, *, accepted: frozenset[str], max_entry_bytes: int) -> ZipPlan:
    """Check ``data`` (the ZIP named ``label``) against every limit; UnsafeArchiveError names the first breach."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise UnsafeArchiveError(f"{label}: not a readable ZIP ({exc})") from None
    if len(infos) > limits.max_entries:
        raise UnsafeArchiveError(f"{label}: {len(infos)} entries, more than the limit of {limits.max_entries}")
    entries: list[ZipEntry] = []
    skipped: list[ZipEntry] = []
    total = 0
    for info in infos:
        _check_entry(info, label, limits, max_entry_bytes)
        if info.is_dir():
            continue
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeArchiveError(f"{label}: unpacks to more than {limits.max_total_bytes} bytes")
        _check_not_nested(archive, info, label)
        entry = ZipEntry(info.filename, posixpath.basename(info.filename), info.file_size)
        (entries if extension(entry.name) in accepted else skipped).append(entry)
    if total > limits.ratio_floor_bytes and total > limits.max_ratio * max(len(data), 1):
        raise UnsafeArchiveError(f"{label}: expands {total / max(len(data), 1):.0f} times (limit {limits.max_ratio:g})")
    return ZipPlan(archive, tuple(entries), tuple(e.path for e in skipped))


def _check_entry(info: zipfile.ZipInfo, label: str, limits: ZipLimits, max_entry_bytes: int) -> None:
    where = f"{label}: entry {info.filename!r}"
    name = info.filename
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise UnsafeArchiveError(f"{where} names a path outside the archive (path traversal)")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchiveError(f"{where} is a symbolic link")
    if info.flag_bits & 0x1:
        raise UnsafeArchiveError(f"{where} is encrypted")
    if info.file_size > max_entry_bytes:
        raise UnsafeArchiveError(f"{where} unpacks to {info.file_size} bytes, over the limit of {max_entry_bytes}")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
        raise UnsafeArchiveError(
            f"{where} expands {ratio:.0f} times ({info.compress_size} → {info.file_size} bytes; "
            f"limit {limits.max_ratio:g}): a ZIP bomb?"
        )


def _check_not_nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
    ext = extension(info.filename)
    if ext in ARCHIVE_EXTENSIONS:
        raise UnsafeArchiveError(f"{label}: entry {info.filename!r} is an archive inside the archive (not unpacked)")
    if ext in ZIP_BASED_DOCUMENTS:
        return
    try:
        with archive.open(info) as head:
            start = head.read(8)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as exc:
        raise UnsafeArchiveError(f"{label}: entry {info.filename!r} cannot be read ({exc})") from None
    if start.startswith(ARCHIVE_MAGIC) or (len(start) >= 8 and _tar_magic(archive, info)):
        raise UnsafeArchiveError(f"{label}: entry {info.filename!r} holds an archive (not unpacked)")


def _tar_magic(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if info.file_size < 512:
        return False
    with archive.open(info) as head:
        block = head.read(512)
    return block[257:262] == b"ustar"


class CountingEntry(io.RawIOBase):
    """A ZIP entry as a binary stream that stops at its declared size and turns ZIP errors into refusals."""

    def __init__(self, archive: zipfile.ZipFile, entry: ZipEntry) -> None:
        super().__init__()
        self._entry = entry
        self._inner = archive.open(entry.path)
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            chunk = self._inner.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise UnsafeArchiveError(f"entry {self._entry.path!r} is damaged ({exc})") from None
        self._read += len(chunk)
        if self._read > self._entry.size:
            raise UnsafeArchiveError(f"entry {self._entry.path!r} unpacks beyond its declared size")
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._inner.close()
        super().close()
