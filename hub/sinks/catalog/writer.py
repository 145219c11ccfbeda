"""Writes the price catalog: prices in batches, versions as they progress, discount agreements.

Bulk path (DESIGN §9.4): prices arrive in batches of thousands. On PostgreSQL each batch is ``COPY``-ed into a
temporary staging table and merged with one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (a replay inserts
nothing); on SQLite the batch is an ``INSERT OR IGNORE``. A version's prices are invisible to every query
until the version is *merged*: its COMPLETE record has arrived and exactly ``article_count`` prices are
stored — then one transaction stamps ``merged_at`` and computes, set-based, which articles of the previous
version left the list. Nothing is ever half-applied.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update
from sqlalchemy.dialects import sqlite

from hub.canonical.pricelist import DiscountAgreement, PriceListVersion
from hub.db.types import utcnow
from hub.sinks.catalog.tables import discount_agreement, group_discount, net_price, price, price_list_version

PRICE_COLUMNS = (
    "version_id",
    "number_type",
    "article_number",
    "wholesaler_id",
    "gtin",
    "description",
    "unit",
    "unit_code",
    "list_price",
    "price_quantity",
    "unit_list_price",
    "discount_group",
    "price_type",
    "status",
    "raw_status",
    "line",
)
FINAL = ("REJECTED", "ROLLED_BACK")


@dataclass(frozen=True, slots=True)
class Merged:
    """A version that just became visible, and the articles of its predecessor that it no longer lists."""

    version_id: str
    wholesaler_id: str
    scope: str
    removed: list[tuple[str, str]]  # (number_type, article_number)


class CatalogWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def store_prices(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store a batch of price rows (dicts keyed by :data:`PRICE_COLUMNS`); replays insert nothing."""
        if not rows:
            return
        if self.engine.dialect.name == "postgresql":
            self._copy_merge(rows)
        else:
            with self.engine.begin() as conn:
                conn.execute(sqlite.insert(price).prefix_with("OR IGNORE"), list(rows))

    def _copy_merge(self, rows: Sequence[dict[str, Any]]) -> None:
        columns = ", ".join(f'"{c}"' for c in PRICE_COLUMNS)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS catalog_price_staging "
                "(LIKE catalog_price INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cursor.copy(f"COPY catalog_price_staging ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in PRICE_COLUMNS])
            cursor.execute(
                f"INSERT INTO catalog_price ({columns}) SELECT {columns} FROM catalog_price_staging "
                "ON CONFLICT DO NOTHING"
            )
            raw.commit()
        finally:
            raw.close()

    def record_version(self, version: PriceListVersion) -> None:
        """Upsert the version row; a version only moves forward (REJECTED and ROLLED_BACK are final)."""
        with self.engine.begin() as conn:
            current = conn.scalar(select(price_list_version.c.status).where(_is(version.version_id)))
            if current is None:
                conn.execute(insert(price_list_version).values(**_version_row(version), announced_at=utcnow()))
            elif current not in FINAL and not (current == "COMPLETE" and version.status == "ANNOUNCED"):
                conn.execute(update(price_list_version).where(_is(version.version_id)).values(**_progress(version)))

    def merge_ready(self) -> list[Merged]:
        """Make every fully stored COMPLETE version visible; return what was merged."""
        merged = []
        with self.engine.begin() as conn:
            pending = conn.execute(
                select(price_list_version).where(
                    price_list_version.c.status == "COMPLETE", price_list_version.c.merged_at.is_(None)
                )
            ).all()
            for row in pending:
                stored = conn.scalar(
                    select(func.count()).select_from(price).where(price.c.version_id == row.version_id)
                )
                if (stored or 0) >= (row.article_count or 0):
                    merged.append(_merge(conn, row._mapping))
        return merged

    def store_agreement(self, agreement: DiscountAgreement) -> bool:
        """Store an agreement once (by id); returns False when it was already there."""
        with self.engine.begin() as conn:
            exists = conn.scalar(
                select(discount_agreement.c.agreement_id).where(
                    discount_agreement.c.agreement_id == agreement.agreement_id
                )
            )
            if exists:
                return False
            conn.execute(insert(discount_agreement).values(**_agreement_row(agreement), created_at=utcnow()))
            _agreement_children(conn, agreement)
        return True


def _is(version_id: str) -> Any:
    return price_list_version.c.version_id == version_id


def _version_row(v: PriceListVersion) -> dict[str, Any]:
    return {
        "version_id": v.version_id,
        "wholesaler_id": v.wholesaler_id,
        "scope": v.scope,
        "status": v.status,
        "valid_from": v.valid_from,
        "valid_to": v.valid_to,
        "currency": v.currency,
        "list_name": v.list_name,
        "customer_number": v.customer_number,
        "source_document_id": v.source_document_id,
        **({} if v.status == "ANNOUNCED" else _progress(v)),
    }


def _progress(v: PriceListVersion) -> dict[str, Any]:
    values: dict[str, Any] = {"status": v.status}
    if v.status in ("COMPLETE", "REJECTED"):
        report = [{"line": p.line, "field": p.field, "message": p.message} for p in v.line_report]
        values.update(
            article_count=v.article_count,
            failed_lines=v.failed_lines,
            line_report=json.dumps(report),
            completed_at=utcnow(),
            reason=v.reason,
        )
    if v.status == "ROLLED_BACK":
        values.update(rolled_back_at=utcnow(), reason=v.reason)
    return values


def _merge(conn: Connection, row: Any) -> Merged:
    previous = previous_version(conn, row["wholesaler_id"], row["scope"], row["valid_from"], row["version_id"])
    removed: list[tuple[str, str]] = []
    if previous is not None:
        removed = [tuple(r) for r in conn.execute(_removed_query(previous, row["version_id"]))]
    conn.execute(
        update(price_list_version).where(_is(row["version_id"])).values(merged_at=utcnow(), removed_count=len(removed))
    )
    return Merged(row["version_id"], row["wholesaler_id"], row["scope"], removed)


def previous_version(conn: Connection, wholesaler: str, scope: str, day: date, exclude: str) -> str | None:
    """The version that was visible for (wholesaler, scope) before ``exclude`` was merged."""
    v = price_list_version.c
    return conn.scalar(
        select(v.version_id)
        .where(
            v.wholesaler_id == wholesaler,
            v.scope == scope,
            v.status == "COMPLETE",
            v.merged_at.is_not(None),
            v.valid_from <= day,
            v.version_id != exclude,
        )
        .order_by(v.valid_from.desc(), v.merged_at.desc())
        .limit(1)
    )


def _removed_query(old: str, new: str) -> Any:
    newer = price.alias("newer")
    return (
        select(price.c.number_type, price.c.article_number)
        .distinct()
        .select_from(
            price.outerjoin(
                newer,
                and_(
                    newer.c.version_id == new,
                    newer.c.number_type == price.c.number_type,
                    newer.c.article_number == price.c.article_number,
                ),
            )
        )
        .where(price.c.version_id == old, newer.c.article_number.is_(None))
    )


def _agreement_row(a: DiscountAgreement) -> dict[str, Any]:
    return {
        "agreement_id": a.agreement_id,
        "tenant_id": a.tenant_id,
        "wholesaler_id": a.wholesaler_id,
        "valid_from": a.valid_from,
        "valid_to": a.valid_to,
        "customer_number": a.customer_number,
        "agreement_reference": a.agreement_reference,
        "currency": a.currency,
        "default_discount_percent": a.default_discount_percent,
        "source_document_id": a.source_document_id,
    }


def _agreement_children(conn: Connection, a: DiscountAgreement) -> None:
    groups = {g.group: g for g in a.group_discounts}  # a group listed twice: the last line wins
    if groups:
        conn.execute(
            insert(group_discount),
            [
                {
                    "agreement_id": a.agreement_id,
                    "discount_group": g.group,
                    "discount_percent": g.discount_percent,
                    "discount_percent_2": g.discount_percent_2,
                }
                for g in groups.values()
            ],
        )
    nets = {(n.number_type, n.article_number): n for n in a.net_prices}
    if nets:
        conn.execute(
            insert(net_price),
            [
                {
                    "agreement_id": a.agreement_id,
                    "number_type": n.number_type,
                    "article_number": n.article_number,
                    "net_price": n.net_price,
                    "price_quantity": n.price_quantity,
                    "unit": n.unit,
                    "description": n.description,
                }
                for n in nets.values()
            ],
        )


def rollback(engine: Engine, wholesaler: str, scope: str, reason: str) -> tuple[Any, str | None]:
    """Undo the last merged version of (wholesaler, scope): it becomes ROLLED_BACK and the version before it
    is effective again. Returns (the rolled-back version row, the version now effective on its first day)."""
    with engine.begin() as conn:
        last = conn.execute(
            select(price_list_version)
            .where(
                price_list_version.c.wholesaler_id == wholesaler,
                price_list_version.c.scope == scope,
                price_list_version.c.status == "COMPLETE",
                price_list_version.c.merged_at.is_not(None),
            )
            .order_by(price_list_version.c.merged_at.desc())
            .limit(1)
        ).first()
        if last is None:
            return None, None
        conn.execute(
            update(price_list_version)
            .where(_is(last.version_id))
            .values(status="ROLLED_BACK", rolled_back_at=utcnow(), reason=reason)
        )
        now = previous_version(conn, wholesaler, scope, last.valid_from, last.version_id)
    return last, now
