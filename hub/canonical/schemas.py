"""The schema store: every ``schemas/<name>/<semver>.avsc`` file, newest version per name as writer.

Schemas are immutable once released (DESIGN §9.13): a change is a new semver file, and the previous
files stay so a reader can still decode what older writers wrote and CI can check compatibility.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import fastavro
import fastavro.schema

from hub.errors import ConfigError

DEFAULT_SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"

# canonical record type -> schema directory name
SCHEMA_NAMES = {
    "RawDocument": "raw_document",
    "SupplierInvoice": "supplier_invoice",
    "DeadLetter": "dead_letter",
    "PriceListVersion": "price_list_version",
    "Price": "price",
    "DiscountAgreement": "discount_agreement",
    "OrderConfirmation": "order_confirmation",
    "PriceDeviation": "price_deviation",
}


def parse_semver(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in text.split("."))
    return major, minor, patch


@dataclass(frozen=True)
class SchemaVersion:
    name: str  # directory name, e.g. supplier_invoice
    version: tuple[int, int, int]
    path: Path
    definition: dict[str, Any]

    @cached_property
    def parsed(self) -> Any:
        return fastavro.parse_schema(self.definition)

    @cached_property
    def canonical_form(self) -> str:
        return str(fastavro.schema.to_parsing_canonical_form(self.definition))

    @cached_property
    def fingerprint(self) -> bytes:
        """CRC-64-AVRO fingerprint, little-endian (as in Avro single-object encoding)."""
        return bytes.fromhex(fastavro.schema.fingerprint(self.canonical_form, "CRC-64-AVRO"))

    @property
    def label(self) -> str:
        return f"{self.name}/{'.'.join(map(str, self.version))}"


class SchemaStore:
    """All schema versions found under one directory."""

    def __init__(self, root: Path = DEFAULT_SCHEMAS_DIR) -> None:
        self.root = root
        self.versions: dict[str, list[SchemaVersion]] = {}
        for path in sorted(root.glob("*/*.avsc")):
            version = SchemaVersion(path.parent.name, parse_semver(path.stem), path, _read(path))
            self.versions.setdefault(version.name, []).append(version)
        for chain in self.versions.values():
            chain.sort(key=lambda v: v.version)
        self._by_fingerprint = {v.fingerprint: v for chain in self.versions.values() for v in chain}

    def latest(self, name: str) -> SchemaVersion:
        try:
            return self.versions[name][-1]
        except KeyError:
            raise ConfigError(f"no schema {name!r} under {self.root}") from None

    def for_record(self, record_type: str) -> SchemaVersion:
        return self.latest(SCHEMA_NAMES[record_type])

    def by_fingerprint(self, fingerprint: bytes) -> SchemaVersion | None:
        return self._by_fingerprint.get(fingerprint)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fastavro.parse_schema(data)
    except (OSError, ValueError, fastavro.schema.SchemaParseException) as exc:
        raise ConfigError(f"invalid Avro schema {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"invalid Avro schema {path}: top level must be a record")
    return data
