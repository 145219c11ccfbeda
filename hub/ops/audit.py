"""The audit log of operator actions: one run per ``hub replay`` / ``hub redeliver`` / ``hub dlq retry``.

A run records who (operator, host), why (the mandatory reason), what (the selection), whether it was a dry
run, and how it ended; an item per document records the outcome, the translator used and the details
(events before and after, sink outcomes). Runs are written before anything is published, so even an
interrupted run leaves a trace (status ``running``).
"""

from __future__ import annotations

import getpass
import json
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from hub.db.types import utcnow
from hub.ids import new_document_id
from hub.intake.tables import audit_item, audit_run

RUNNING, DONE, FAILED = "running", "done", "failed"


def default_operator() -> str:
    """The OS user running the command (what ``--operator`` defaults to)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    action: str
    operator: str
    host: str | None
    reason: str
    selection: dict[str, Any]
    dry_run: bool
    status: str
    summary: dict[str, int]
    started_at: datetime
    finished_at: datetime | None


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(self, action: str, *, operator: str, reason: str, selection: dict[str, Any], dry_run: bool) -> str:
        """Open a run; returns its id (a UUIDv7, so runs sort by time)."""
        run_id = new_document_id()
        with self.engine.begin() as conn:
            conn.execute(
                audit_run.insert().values(
                    run_id=run_id,
                    action=action,
                    operator=operator,
                    host=socket.gethostname(),
                    reason=reason,
                    selection=json.dumps(selection, sort_keys=True, default=str),
                    dry_run=dry_run,
                    status=RUNNING,
                    started_at=utcnow(),
                )
            )
        return run_id

    def item(
        self, run_id: str, document_id: str | None, outcome: str, *, translator: str | None = None, **detail: Any
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                audit_item.insert().values(
                    run_id=run_id,
                    document_id=document_id,
                    outcome=outcome,
                    translator=translator,
                    detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
                    created_at=utcnow(),
                )
            )

    def finish(self, run_id: str, outcomes: Counter[str], *, failed: bool = False) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(audit_run)
                .where(audit_run.c.run_id == run_id)
                .values(status=FAILED if failed else DONE, summary=json.dumps(dict(outcomes)), finished_at=utcnow())
            )

    @contextmanager
    def failing(self, run_id: str) -> Iterator[None]:
        """Mark the run failed if the block raises (Ctrl-C included), so no run stays ``running`` for ever."""
        try:
            yield
        except BaseException:
            self.finish(run_id, Counter(), failed=True)
            raise

    def run(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_run).where(audit_run.c.run_id == run_id)).first()
        return _run(row._mapping) if row else None

    def runs(self, *, limit: int = 50) -> list[RunRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_run).order_by(audit_run.c.started_at.desc()).limit(limit))
            return [_run(r._mapping) for r in rows]

    def items_of_document(self, document_id: str) -> list[tuple[RunRecord, dict[str, Any]]]:
        """Every audited action on one document, oldest first, with its run."""
        i = audit_item.c
        query = (
            select(audit_run, i.document_id, i.outcome, i.translator, i.detail, i.created_at.label("item_at"))
            .join(audit_run, audit_run.c.run_id == i.run_id)
            .where(i.document_id == document_id)
            .order_by(i.created_at, i.id)
        )
        with self.engine.connect() as conn:
            rows = [r._mapping for r in conn.execute(query)]
        return [(_run(r), _item(r, "item_at")) for r in rows]

    def items(self, run_id: str) -> list[dict[str, Any]]:
        query = select(audit_item).where(audit_item.c.run_id == run_id).order_by(audit_item.c.id)
        with self.engine.connect() as conn:
            return [_item(r._mapping) for r in conn.execute(query)]


def _run(row: Any) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        action=row["action"],
        operator=row["operator"],
        host=row["host"],
        reason=row["reason"],
        selection=json.loads(row["selection"] or "{}"),
        dry_run=bool(row["dry_run"]),
        status=row["status"],
        summary=json.loads(row["summary"] or "{}"),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _item(row: Any, created: str = "created_at") -> dict[str, Any]:
    return {
        "document_id": row["document_id"],
        "outcome": row["outcome"],
        "translator": row["translator"],
        "detail": json.loads(row["detail"]) if row["detail"] else {},
        "created_at": row[created],
    }
