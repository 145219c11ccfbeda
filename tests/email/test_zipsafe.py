"""ZIP attachments: the limits hold, hostile archives are refused with a reason, good ones are read in full."""

from __future__ import annotations

import gzip
import io
import stat
import zipfile

import pytest

from hub.connectors.email.config import ZipLimits
from hub.connectors.email.zipsafe import check_zip
from hub.errors import UnsafeArchiveError
from tests.conftest import EXAMPLES

DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"
ACCEPTED = frozenset({"xml", "edi", "csv", "xlsx"})
LIMITS = ZipLimits()


def make_zip(*entries: tuple[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def check(data: bytes, limits: ZipLimits = LIMITS, max_entry_bytes: int = 10**9):  # type: ignore[no-untyped-def]
    return check_zip(data, "prices.zip", limits, accepted=ACCEPTED, max_entry_bytes=max_entry_bytes)


def test_a_good_zip_yields_its_documents_and_skips_other_files() -> None:
    data = make_zip(("invoices/F2026-1187.xml", DEMO.read_bytes()), ("readme.pdf", b"%PDF-1.4"), ("empty/", b""))
    plan = check(data)
    assert [(e.path, e.name) for e in plan.entries] == [("invoices/F2026-1187.xml", "F2026-1187.xml")]
    assert plan.skipped == ("readme.pdf",)
    with plan.open(plan.entries[0]) as stream:
        assert stream.read() == DEMO.read_bytes()


def test_a_zip_bomb_is_refused_before_anything_is_read() -> None:
    bomb = make_zip(("prices.csv", b"0" * (20 * 1024 * 1024)))
    assert len(bomb) < 100_000
    with pytest.raises(UnsafeArchiveError, match=r"entry 'prices.csv' expands \d+ times .* a ZIP bomb\?"):
        check(bomb)


@pytest.mark.parametrize(
    "name",
    ["../evil.xml", "a/../../evil.xml", "/etc/evil.xml", "C:/evil.xml", "a\\..\\evil.xml"],
)
def test_path_traversal_is_refused(name: str) -> None:
    with pytest.raises(UnsafeArchiveError, match="path outside the archive"):
        check(make_zip((name, b"<a/>")))


def test_nested_archives_are_refused_by_name_and_by_content() -> None:
    inner = make_zip(("a.xml", b"<a/>"))
    with pytest.raises(UnsafeArchiveError, match=r"'inner\.zip' is an archive inside the archive"):
        check(make_zip(("inner.zip", inner)))
    with pytest.raises(UnsafeArchiveError, match=r"'disguised\.xml' holds an archive"):
        check(make_zip(("disguised.xml", inner)))
    with pytest.raises(UnsafeArchiveError, match="holds an archive"):
        check(make_zip(("prices.csv", gzip.compress(b"a;b\n" * 10))))
    xlsx = make_zip(("[Content_Types].xml", b"<Types/>"))
    assert [e.name for e in check(make_zip(("prices.xlsx", xlsx))).entries] == ["prices.xlsx"]


def test_count_total_size_and_entry_size_limits() -> None:
    many = make_zip(*((f"f{i}.csv", b"a;b\n") for i in range(11)))
    with pytest.raises(UnsafeArchiveError, match="11 entries, more than the limit of 10"):
        check(many, ZipLimits(max_entries=10))
    two = make_zip(("a.csv", b"x" * 600), ("b.csv", b"y" * 600), compression=zipfile.ZIP_STORED)
    with pytest.raises(UnsafeArchiveError, match="unpacks to more than 1000 bytes"):
        check(two, ZipLimits(max_total_bytes=1000))
    with pytest.raises(UnsafeArchiveError, match=r"'a\.csv' unpacks to 600 bytes, over the limit of 500"):
        check(two, max_entry_bytes=500)


def test_symlinks_encryption_and_garbage_are_refused() -> None:
    link = zipfile.ZipInfo("link.xml")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        check(make_zip((link, b"/etc/passwd")))
    encrypted = bytearray(make_zip(("a.xml", b"<a/>")))
    encrypted[6] |= 0x1  # general purpose flag of the local header …
    central = encrypted.rfind(b"PK\x01\x02")
    encrypted[central + 8] |= 0x1  # … and of the central directory entry
    with pytest.raises(UnsafeArchiveError, match="encrypted"):
        check(bytes(encrypted))
    with pytest.raises(UnsafeArchiveError, match="not a readable ZIP"):
        check(b"PK\x03\x04 this is not really a zip")


def test_an_entry_whose_header_lies_about_its_size_is_stopped_while_read() -> None:
    honest = make_zip(("prices.csv", b"a;b;c\n" * 1000))
    central = honest.rfind(b"PK\x01\x02")
    lying = bytearray(honest)
    lying[central + 24 : central + 28] = (100).to_bytes(4, "little")  # uncompressed size: 100 bytes
    with pytest.raises(UnsafeArchiveError, match=r"Bad CRC|damaged|beyond its declared size"):
        plan = check(bytes(lying))
        with plan.open(plan.entries[0]) as stream:
            stream.read()
