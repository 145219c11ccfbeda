"""The Avro schemas are the contract: they parse, match the canonical dataclasses, and evolve compatibly."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import pytest

from hub.canonical import (
    DeadLetter,
    DiscountAgreement,
    OrderConfirmation,
    Price,
    PriceListVersion,
    RawDocument,
    SupplierInvoice,
)
from hub.canonical.compat import check_pair, check_store
from hub.canonical.pricecheck import PriceDeviation
from hub.canonical.schemas import SchemaStore, SchemaVersion


def test_every_schema_parses_and_documents_every_field() -> None:
    store = SchemaStore()
    assert set(store.versions) >= {"raw_document", "supplier_invoice", "dead_letter"}
    undocumented = [
        f"{v.label}: {path}" for chain in store.versions.values() for v in chain for path in _undocumented(v.definition)
    ]
    assert undocumented == []


def _undocumented(schema: Any, path: str = "") -> list[str]:
    if isinstance(schema, list):
        return [p for s in schema for p in _undocumented(s, path)]
    if isinstance(schema, dict) and schema.get("type") == "record":
        missing = [] if schema.get("doc") else [path or schema["name"]]
        for field in schema["fields"]:
            here = f"{path}.{field['name']}" if path else field["name"]
            missing += ([] if field.get("doc") else [here]) + _undocumented(field["type"], here)
        return missing
    if isinstance(schema, dict) and schema.get("type") in ("array", "map"):
        return _undocumented(schema.get("items", schema.get("values")), path)
    return []


@pytest.mark.parametrize(
    "record",
    [
        RawDocument,
        SupplierInvoice,
        DeadLetter,
        PriceListVersion,
        Price,
        DiscountAgreement,
        OrderConfirmation,
        PriceDeviation,
    ],
)
def test_dataclasses_and_schemas_have_the_same_fields(record: type) -> None:
    schema = SchemaStore().for_record(record.TYPE).definition  # type: ignore[attr-defined]
    assert _dataclass_shape(record) == _schema_shape(schema, {})


def _dataclass_shape(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    shape: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        inner = _unwrap(hints[field.name])
        shape[field.name] = _dataclass_shape(inner) if dataclasses.is_dataclass(inner) else None
    return shape


def _unwrap(hint: Any) -> Any:
    for arg in (*typing.get_args(hint), hint):
        if dataclasses.is_dataclass(arg):
            return arg
        nested = [a for a in typing.get_args(arg) if dataclasses.is_dataclass(a)]
        if nested:
            return nested[0]
    return hint


def _schema_shape(schema: dict[str, Any], named: dict[str, Any]) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for field in schema["fields"]:
        record = _record_in(field["type"], named)
        shape[field["name"]] = _schema_shape(record, named) if record else None
    return shape


def _record_in(typ: Any, named: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(typ, str):
        return named.get(typ)
    if isinstance(typ, list):
        return next((r for r in (_record_in(t, named) for t in typ) if r), None)
    if typ.get("type") == "record":
        named[typ["name"]] = typ
        return typ  # type: ignore[no-any-return]
    if typ.get("type") == "array":
        return _record_in(typ["items"], named)
    if typ.get("type") == "enum":
        named[typ["name"]] = None
    return None


def test_released_schemas_are_backward_compatible() -> None:
    assert check_store(SchemaStore()) == []


def _variant(tmp_path: Path, base: SchemaVersion, version: str, change: Any) -> SchemaVersion:
    definition = json.loads(json.dumps(base.definition))
    change(definition)
    path = tmp_path / base.name / f"{version}.avsc"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(definition))
    return SchemaVersion(base.name, (1, 1, 0), path, definition)


def test_checker_rejects_a_new_field_without_default_and_accepts_one_with(tmp_path: Path) -> None:
    base = SchemaStore().latest("raw_document")
    breaking = _variant(tmp_path, base, "1.1.0", lambda d: d["fields"].append({"name": "x", "type": "string"}))
    problem = check_pair(breaking, base)
    assert problem is not None
    assert f"raw_document/1.1.0 cannot read data written with {base.label}" in str(problem)
    compatible = _variant(
        tmp_path,
        base,
        "1.1.0",
        lambda d: d["fields"].append({"name": "x", "type": ["null", "string"], "default": None}),
    )
    assert check_pair(compatible, base) is None


def test_store_check_catches_a_breaking_release(tmp_path: Path) -> None:
    base = SchemaStore().latest("dead_letter")
    (tmp_path / "dead_letter").mkdir()
    (tmp_path / "dead_letter" / "1.0.0.avsc").write_text(json.dumps(base.definition))
    _variant(tmp_path, base, "2.0.0", lambda d: d["fields"].__setitem__(0, {"name": "code", "type": "int"}))
    problems = check_store(SchemaStore(tmp_path))
    assert [str(p).split(":")[0] for p in problems] == [
        "dead_letter/2.0.0 cannot read data written with dead_letter/1.0.0"
    ]
