"""Conversions between canonical dataclasses and plain dicts (JSON for people, Avro for Kafka).

Deliberately explicit: the dataclass field names *are* the Avro field names, so one generic walk
over :func:`dataclasses.fields` suffices in both directions, and a test keeps them in step.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")


def to_avro(record: object) -> dict[str, Any]:
    """Dataclass → dict that fastavro writes (Decimal, date and datetime stay native)."""
    return {f.name: _avro_value(getattr(record, f.name)) for f in dataclasses.fields(record)}  # type: ignore[arg-type]


def _avro_value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_avro(value)
    if isinstance(value, tuple | list):
        return [_avro_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _avro_value(v) for k, v in value.items()}
    return value


def to_json(record: object) -> dict[str, Any]:
    """Dataclass → JSON-safe dict: decimals as their exact strings, dates ISO, bytes dropped to size."""
    return {f.name: _json_value(getattr(record, f.name)) for f in dataclasses.fields(record)}  # type: ignore[arg-type]


def _json_value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"bytes": len(value)}
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def decimal_text(value: Decimal) -> str:
    """Plain notation, never an exponent: Decimal('1E+3') → '1000'."""
    text = format(value, "f")
    return text


def normalized(value: Decimal) -> Decimal:
    """Drop trailing zeros an Avro decimal scale added: 1656.2500000000 → 1656.25; 1.3E+3 → 1300."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Avro-decoded dict → dataclass ``cls`` (nested dataclasses, tuples and decimals restored)."""
    hints = typing.get_type_hints(cls)
    kwargs = {f.name: _from_value(hints[f.name], data.get(f.name)) for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    return cls(**kwargs)


def _from_value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _from_value(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_value(args[0], v) for v in value)
        return tuple(_from_value(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_dict(hint, value)  # type: ignore[arg-type]
    if hint is Decimal and isinstance(value, Decimal):
        return normalized(value)
    return value
