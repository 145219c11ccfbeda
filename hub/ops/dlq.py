"""Dead letters as ops see them: grouped, filtered, one in detail, and the documents to retry.

Everything reads ``hub_dead_letter`` (every dead letter is recorded there as well as on ``hub.dlq.v1``) joined
with the intake ledger. A dead letter is *open* while its document is still ``dead_lettered``; a later
successful replay (or a retry) closes it without deleting anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, func, select

from hub.intake.ledger import DEAD_LETTERED
from hub.intake.tables import dead_letter, intake
from hub.ops.selection import DocumentRow, load_document


@dataclass(frozen=True, slots=True)
class DlqFilter:
    since: datetime | None = None
    until: datetime | None = None
    partners: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()

    def is_empty(self) -> bool:
        return not any((self.since, self.until, self.partners, self.codes, self.ids))

    def describe(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "dead_letters": list(self.ids),
            "partners": list(self.partners),
            "codes": list(self.codes),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True, slots=True)
class DlqGroup:
    code: str
    partner_id: str | None
    translator: str | None
    letters: int
    documents: int
    open_documents: int
    first: datetime
    last: datetime


def groups(engine: Engine, f: DlqFilter) -> list[DlqGroup]:
    """Dead letters grouped by (code, partner, translator name@version), largest group first."""
    dl = dead_letter.c
    still_open = case((intake.c.state == DEAD_LETTERED, dl.document_id))
    query = (
        select(
            dl.code,
            dl.partner_id,
            dl.translator,
            func.count(dl.id),
            func.count(dl.document_id.distinct()),
            func.count(still_open.distinct()),
            func.min(dl.created_at),
            func.max(dl.created_at),
        )
        .select_from(dead_letter.outerjoin(intake, intake.c.document_id == dl.document_id))
        .where(*_conditions(f))
        .group_by(dl.code, dl.partner_id, dl.translator)
        .order_by(func.count(dl.id).desc(), dl.code)
    )
    with engine.connect() as conn:
        return [DlqGroup(*row) for row in conn.execute(query)]


def entries(engine: Engine, f: DlqFilter, *, limit: int = 200) -> list[dict[str, Any]]:
    """Single dead letters, newest first, with the file name and the document's current state."""
    query = (
        select(dead_letter, intake.c.filename, intake.c.state.label("document_state"))
        .select_from(dead_letter.outerjoin(intake, intake.c.document_id == dead_letter.c.document_id))
        .where(*_conditions(f))
        .order_by(dead_letter.c.created_at.desc(), dead_letter.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def get(engine: Engine, letter_id: int) -> tuple[dict[str, Any], DocumentRow | None] | None:
    """One dead letter and the ledger row of its document (None when the record had no document id)."""
    with engine.connect() as conn:
        row = conn.execute(select(dead_letter).where(dead_letter.c.id == letter_id)).first()
    if row is None:
        return None
    letter = dict(row._mapping)
    document = load_document(engine, letter["document_id"]) if letter["document_id"] else None
    return letter, document


def documents_to_retry(engine: Engine, f: DlqFilter) -> tuple[list[str], list[int], list[int]]:
    """(document ids in order of first failure, unknown dead-letter ids, dead letters without a document)."""
    query = select(dead_letter.c.id, dead_letter.c.document_id).where(*_conditions(f)).order_by(dead_letter.c.id)
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    found = {r.id for r in rows}
    unknown = [i for i in f.ids if i not in found]
    orphans = [r.id for r in rows if not r.document_id]
    documents = list(dict.fromkeys(r.document_id for r in rows if r.document_id))
    return documents, unknown, orphans


def _conditions(f: DlqFilter) -> Sequence[ColumnElement[bool]]:
    dl = dead_letter.c
    conditions: list[ColumnElement[bool]] = []
    if f.ids:
        conditions.append(dl.id.in_(f.ids))
    if f.since:
        conditions.append(dl.created_at >= f.since)
    if f.until:
        conditions.append(dl.created_at < f.until)
    if f.partners:
        conditions.append(dl.partner_id.in_(f.partners))
    if f.codes:
        conditions.append(dl.code.in_([c.upper() for c in f.codes]))
    return conditions
