"""As-of reads of the price catalog. Every read is for one tenant: it sees central lists and its own only.

A version is *effective* for (wholesaler, scope) on a day when it is merged, COMPLETE (not rejected or rolled
back) and the latest by ``valid_from`` (then by merge time) not after that day. For a tenant, its own
(forwarded or self-imported) list of a wholesaler wins over the central one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from hub.pricing.netprice import AgreedNetPrice, Agreement, ListPrice
from hub.sinks.catalog.tables import discount_agreement, group_discount, net_price, price, price_list_version

INDUSTRY_NUMBERS = ("SE_E_NUMBER", "SE_RSK", "NO_EL_NUMBER", "NO_NRF", "FI_SNRO", "DK_VVS", "GTIN")
v = price_list_version.c


def effective_versions(conn: Connection, tenant: str, day: date, wholesaler: str | None = None) -> dict[str, Any]:
    """wholesaler id → the version row a tenant's prices come from on ``day``."""
    query = (
        select(price_list_version)
        .where(v.status == "COMPLETE", v.merged_at.is_not(None), v.valid_from <= day, v.scope.in_(("central", tenant)))
        .order_by(v.valid_from, v.merged_at)
    )
    if wholesaler:
        query = query.where(v.wholesaler_id == wholesaler)
    chosen: dict[str, Any] = {}
    for row in conn.execute(query):
        current = chosen.get(row.wholesaler_id)
        if current is None or row.scope == tenant or current.scope == "central":
            chosen[row.wholesaler_id] = row  # later rows are newer; the tenant's own scope wins over central
    return chosen


def lookup(engine: Engine, tenant: str, article: str, day: date, wholesaler: str | None = None) -> list[ListPrice]:
    """Every wholesaler's price for ``article`` (its number or GTIN), matching across wholesalers only by
    industry numbers of the same type or by GTIN — never a wholesaler's own number against another type."""
    with engine.connect() as conn:
        versions = effective_versions(conn, tenant, day, wholesaler)
        if not versions:
            return []
        ids = [row.version_id for row in versions.values()]
        direct = _rows(conn, ids, or_(price.c.article_number == article, price.c.gtin == article))
        keys = {(r.number_type, r.article_number) for r in direct if r.number_type in INDUSTRY_NUMBERS}
        gtins = {r.gtin for r in direct if r.gtin}
        related = _related(conn, ids, keys, gtins)
    rows = _last_line_wins([*direct, *related])
    by_version = {row.version_id: row for row in versions.values()}
    return [_list_price(r, by_version[r.version_id]) for r in rows.values()]


def _last_line_wins(rows: Sequence[Any]) -> dict[tuple[str, str, str], Any]:
    """One row per (version, number type, article): a file listing an article twice means its last line."""
    chosen: dict[tuple[str, str, str], Any] = {}
    for r in sorted(rows, key=lambda r: r.line):
        chosen[(r.version_id, r.number_type, r.article_number)] = r
    return chosen


def _rows(conn: Connection, version_ids: Sequence[str], condition: Any) -> list[Any]:
    return list(conn.execute(select(price).where(price.c.version_id.in_(version_ids), condition)))


def _related(conn: Connection, ids: Sequence[str], keys: set[tuple[str, str]], gtins: set[str]) -> list[Any]:
    found: list[Any] = []
    for number_type, number in keys:
        found += _rows(conn, ids, (price.c.number_type == number_type) & (price.c.article_number == number))
    if gtins:
        found += _rows(conn, ids, price.c.gtin.in_(gtins))
    return found


def _list_price(r: Any, version: Any) -> ListPrice:
    return ListPrice(
        wholesaler_id=r.wholesaler_id,
        version_id=r.version_id,
        valid_from=version.valid_from,
        article_number=r.article_number,
        number_type=r.number_type,
        list_price=r.list_price,
        price_quantity=r.price_quantity,
        unit_list_price=r.unit_list_price,
        price_type=r.price_type,
        unit=r.unit,
        unit_code=r.unit_code,
        discount_group=r.discount_group,
        gtin=r.gtin,
        description=r.description,
        status=r.status,
        scope=version.scope,
        currency=version.currency,
    )


def agreements(engine: Engine, tenant: str, wholesaler: str) -> list[Agreement]:
    """Every discount agreement of a tenant with a wholesaler (the engine picks the one valid on a day)."""
    with engine.connect() as conn:
        heads = conn.execute(
            select(discount_agreement).where(
                discount_agreement.c.tenant_id == tenant, discount_agreement.c.wholesaler_id == wholesaler
            )
        ).all()
        return [_agreement(conn, head) for head in heads]


def _agreement(conn: Connection, head: Any) -> Agreement:
    groups = conn.execute(select(group_discount).where(group_discount.c.agreement_id == head.agreement_id))
    nets = conn.execute(select(net_price).where(net_price.c.agreement_id == head.agreement_id))
    return Agreement(
        agreement_id=head.agreement_id,
        valid_from=head.valid_from,
        valid_to=head.valid_to,
        group_discounts={g.discount_group: (g.discount_percent, g.discount_percent_2) for g in groups},
        net_prices={n.article_number: AgreedNetPrice(n.net_price, n.price_quantity) for n in nets},
        default_discount_percent=head.default_discount_percent,
    )


def versions(engine: Engine, wholesaler: str | None = None, tenant: str | None = None) -> list[dict[str, Any]]:
    """Versions, newest first; with ``tenant`` only central ones and that tenant's own."""
    query = select(price_list_version).order_by(v.announced_at.desc())
    if wholesaler:
        query = query.where(v.wholesaler_id == wholesaler)
    if tenant:
        query = query.where(v.scope.in_(("central", tenant)))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class Change:
    number_type: str
    article_number: str
    description: str | None
    old_unit_price: Decimal | None
    new_unit_price: Decimal | None
    unit_code: str | None
    percent: Decimal | None  # None for added/removed or when the unit changed

    @property
    def kind(self) -> str:
        if self.old_unit_price is None:
            return "added"
        if self.new_unit_price is None:
            return "removed"
        return "changed"


def diff(engine: Engine, old: str, new: str) -> list[Change]:
    """Added, removed and changed articles between two versions; biggest increases first."""
    with engine.connect() as conn:
        before = _by_article(conn, old)
        after = _by_article(conn, new)
    changes = [_change(key, before.get(key), after.get(key)) for key in before.keys() | after.keys()]
    changes = [c for c in changes if c.kind != "changed" or c.old_unit_price != c.new_unit_price]
    return sorted(changes, key=_order)


def _by_article(conn: Connection, version_id: str) -> dict[tuple[str, str], Any]:
    rows = conn.execute(select(price).where(price.c.version_id == version_id).order_by(price.c.line))
    return {(r.number_type, r.article_number): r for r in rows}  # ordered by line: the last line wins


def _change(key: tuple[str, str], old: Any, new: Any) -> Change:
    row = new or old
    percent = None
    if old is not None and new is not None and old.unit_code == new.unit_code and old.unit_list_price:
        percent = ((new.unit_list_price - old.unit_list_price) * 100 / old.unit_list_price).quantize(Decimal("0.01"))
    return Change(
        key[0],
        key[1],
        row.description,
        old.unit_list_price if old is not None else None,
        new.unit_list_price if new is not None else None,
        row.unit_code,
        percent,
    )


def _order(change: Change) -> tuple[int, Decimal, str]:
    rank = {"changed": 0, "added": 1, "removed": 2}[change.kind]
    return rank, -(change.percent if change.percent is not None else Decimal(0)), change.article_number
