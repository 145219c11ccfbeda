"""Fixtures of the hosted SFTP inbox tests."""

from tests.inbox.hosted import hosted

__all__ = ["hosted"]
