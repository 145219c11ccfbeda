"""Schema evolution checks (DESIGN §4, §9.13): every newer version must read what older ones wrote.

Uses Apache Avro's reader/writer compatibility checker. The rule enforced is BACKWARD_TRANSITIVE:
the newest version of a schema can read data written with *every* earlier version; a breaking
change is a new ``.v2`` topic with a new schema name, never a new version of the old one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import avro.compatibility
import avro.schema

from hub.canonical.schemas import SchemaStore, SchemaVersion


@dataclass(frozen=True, slots=True)
class CompatProblem:
    reader: str
    writer: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reader} cannot read data written with {self.writer}: {self.detail}"


def check_pair(reader: SchemaVersion, writer: SchemaVersion) -> CompatProblem | None:
    checker = avro.compatibility.ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(_parse(reader), _parse(writer))
    if result.compatibility is avro.compatibility.SchemaCompatibilityType.compatible:
        return None
    detail = "; ".join(
        f"{loc}: {msg}" for loc, msg in zip(sorted(result.locations), sorted(result.messages), strict=False)
    )
    return CompatProblem(reader.label, writer.label, detail or "incompatible")


def check_store(store: SchemaStore) -> list[CompatProblem]:
    """Newest version of every schema against each older version."""
    problems = []
    for chain in store.versions.values():
        newest = chain[-1]
        for older in chain[:-1]:
            problem = check_pair(newest, older)
            if problem:
                problems.append(problem)
    return problems


def _parse(version: SchemaVersion) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(version.definition))
