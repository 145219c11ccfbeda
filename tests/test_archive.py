from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from hub.archive import LocalArchive
from hub.errors import DocumentTooLargeError, StoreUnavailableError


def test_stream_is_stored_content_addressed_and_read_back(tmp_path: Path) -> None:
    archive = LocalArchive(tmp_path)
    data = b"x" * 3_000_000  # several chunks
    obj = archive.put_stream(io.BytesIO(data), max_bytes=10_000_000)
    assert obj.sha256 == hashlib.sha256(data).hexdigest()
    assert obj.size == len(data)
    assert obj.uri == f"archive://sha256/{obj.sha256}"
    assert archive.read(obj.uri) == data
    assert (tmp_path / "objects" / obj.sha256[:2] / obj.sha256[2:4] / obj.sha256).exists()


def test_same_content_twice_is_one_object(tmp_path: Path) -> None:
    archive = LocalArchive(tmp_path)
    a = archive.put_bytes(b"invoice")
    b = archive.put_bytes(b"invoice")
    assert a == b
    assert len(list((tmp_path / "objects").rglob("*"))) == 3  # two fan-out folders + one file
    assert list((tmp_path / "tmp").iterdir()) == []


def test_too_large_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    archive = LocalArchive(tmp_path)
    with pytest.raises(DocumentTooLargeError, match="exceeds the size limit of 10 bytes"):
        archive.put_stream(io.BytesIO(b"y" * 11), max_bytes=10)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list((tmp_path / "objects").iterdir()) == []


@pytest.mark.parametrize("uri", ["file:///etc/passwd", "archive://sha256/../../etc/passwd", "archive://sha256/ab"])
def test_only_well_formed_archive_uris_resolve(tmp_path: Path, uri: str) -> None:
    with pytest.raises(ValueError, match="archive URI"):
        LocalArchive(tmp_path).read(uri)


def test_missing_object_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="archived object missing"):
        LocalArchive(tmp_path).read("archive://sha256/" + "0" * 64)
