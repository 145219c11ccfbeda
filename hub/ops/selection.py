"""Which documents an operator means: filters over the intake ledger (never over a topic, DESIGN §9.12).

A :class:`Selection` is built from CLI options; :func:`select_documents` turns it into ledger rows, oldest
first. Time filters take ISO dates/instants (a date or a naive time is local time) or a relative age such as
``90m``, ``12h``, ``3d`` or ``2w``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, exists, or_, select

from hub.db.types import utcnow
from hub.intake.ledger import LedgerEntry
from hub.intake.tables import dead_letter, intake

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """``2026-03-01``, ``2026-03-01T12:00``, ``2026-03-01T12:00+01:00`` or ``3d`` (ago) → aware datetime."""
    match = _RELATIVE.match(text)
    if match:
        return (now or utcnow()) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        msg = f"{text!r} is neither an ISO date/time (2026-03-01, 2026-03-01T12:00) nor an age like 12h or 3d"
        raise ValueError(msg) from None
    return value if value.tzinfo else value.astimezone()


@dataclass(frozen=True, slots=True)
class Selection:
    documents: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()  # translator names (peppol-bis3-invoice), without version
    dlq_codes: tuple[str, ...] = ()
    since: datetime | None = None  # received at or after
    until: datetime | None = None  # received before
    everything: bool = False  # explicit: no filter at all

    def is_empty(self) -> bool:
        filters = (self.documents, self.partners, self.formats, self.dlq_codes, self.since, self.until)
        return not self.everything and not any(filters)

    def describe(self) -> dict[str, Any]:
        """For the audit record: only the filters that were given."""
        values: dict[str, Any] = {
            "documents": list(self.documents),
            "partners": list(self.partners),
            "formats": list(self.formats),
            "dlq_codes": list(self.dlq_codes),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "all": self.everything,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """A ledger row with what replay and trail need beyond :class:`LedgerEntry`."""

    entry: LedgerEntry
    translator: str | None
    raw_topic: str | None
    raw_partition: int | None
    raw_offset: int | None
    last_error: str | None
    updated_at: datetime

    @property
    def document_id(self) -> str:
        return self.entry.document_id


def select_documents(engine: Engine, selection: Selection) -> list[DocumentRow]:
    """The ledger rows matching every given filter, oldest first; none for an empty selection (``everything``
    must be explicit — a filter that resolved to nothing, such as dead letters without documents, is not "all")."""
    if selection.is_empty():
        return []
    query = select(intake).where(*_conditions(selection)).order_by(intake.c.received_at, intake.c.document_id)
    with engine.connect() as conn:
        return [document_row(r._mapping) for r in conn.execute(query)]


def missing_documents(rows: Sequence[DocumentRow], selection: Selection) -> list[str]:
    """Document ids the operator named that the ledger does not know (or that other filters excluded)."""
    found = {r.document_id for r in rows}
    return [d for d in selection.documents if d not in found]


def _conditions(s: Selection) -> list[ColumnElement[bool]]:
    c = intake.c
    conditions: list[ColumnElement[bool]] = []
    if s.documents:
        conditions.append(c.document_id.in_(s.documents))
    if s.partners:
        conditions.append(c.partner_id.in_(s.partners))
    if s.since:
        conditions.append(c.received_at >= s.since)
    if s.until:
        conditions.append(c.received_at < s.until)
    if s.formats:
        conditions.append(_format_condition(s.formats))
    if s.dlq_codes:
        dl = dead_letter.c
        conditions.append(exists().where(and_(dl.document_id == c.document_id, dl.code.in_(s.dlq_codes))))
    return conditions


def _format_condition(formats: Sequence[str]) -> ColumnElement[bool]:
    """Last translated by that translator, forced to it, or dead-lettered by it."""
    c, dl = intake.c, dead_letter.c
    by_translator = [c.translator.like(f"{name}@%") for name in formats]
    by_dead_letter = exists().where(
        and_(dl.document_id == c.document_id, or_(*(dl.translator.like(f"{name}@%") for name in formats)))
    )
    return or_(*by_translator, c.format_hint.in_(formats), by_dead_letter)


def document_row(row: Any) -> DocumentRow:
    entry = LedgerEntry(**{name: row[name] for name in LedgerEntry.__dataclass_fields__})
    return DocumentRow(
        entry=entry,
        translator=row["translator"],
        raw_topic=row["raw_topic"],
        raw_partition=row["raw_partition"],
        raw_offset=row["raw_offset"],
        last_error=row["last_error"],
        updated_at=row["updated_at"],
    )


def load_document(engine: Engine, document_id: str) -> DocumentRow | None:
    with engine.connect() as conn:
        row = conn.execute(select(intake).where(intake.c.document_id == document_id)).first()
    return document_row(row._mapping) if row else None
