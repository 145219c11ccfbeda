"""Identifiers: time-ordered document ids and deterministic event ids."""

from __future__ import annotations

import hashlib
import os
import time
import uuid


def new_document_id() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; sorts by arrival."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 68) & 0xFFF) << 64  # 12 bits rand_a
    value |= 0b10 << 62  # variant
    value |= rand & (2**62 - 1)
    return str(uuid.UUID(int=value))


def event_id(source_sha256: str, record_index: int) -> str:
    """Deterministic id of the ``record_index``-th record translated from a source document.

    A replay of the same bytes yields the same ids, which is what lets sinks recognise a
    re-translated record as a new version of the old one instead of a new record.
    """
    digest = hashlib.sha256(f"{source_sha256}:{record_index}".encode()).digest()
    value = int.from_bytes(digest[:16], "big")
    value &= ~(0xF << 76)
    value |= 0x8 << 76  # version 8: custom, RFC 9562 §5.8
    value &= ~(0b11 << 62)
    value |= 0b10 << 62
    return str(uuid.UUID(int=value))
