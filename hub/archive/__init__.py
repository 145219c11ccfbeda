"""Content-addressed raw-document store. Knows bytes and hashes, never formats."""

from hub.archive.base import Archive, ArchivedObject
from hub.archive.local import LocalArchive

__all__ = ["Archive", "ArchivedObject", "LocalArchive"]
