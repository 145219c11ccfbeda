"""Old vs new canonical output of a document, field by field, amounts first (``hub replay --dry-run``).

*Old* is what the ERP holds for the source document (decision, see docs/operations.md): it is what a replay
would change, it survives restarts of the bundled broker, and it is the only old output that matters to the
people who approve invoices. *New* is the record today's translator produces. Only the fields the ERP
stores are compared — a difference elsewhere cannot change the ERP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from hub.canonical.codec import decimal_text, normalized
from hub.canonical.invoice import SupplierInvoice

HEADER_FIELDS = (
    "invoice_number", "kind", "type_code", "issue_date", "due_date", "delivery_date", "currency",
    "buyer_reference", "order_reference", "sales_order_reference", "project_reference", "contract_reference",
    "despatch_reference", "accounting_cost", "payment_terms", "payment_id", "payee_account",
    "line_total", "allowance_total", "charge_total", "tax_exclusive_total", "tax_total", "tax_inclusive_total",
    "prepaid_total", "rounding_amount", "payable_amount",
)  # fmt: skip
LINE_FIELDS = (
    "line_id", "article_number", "gtin", "description", "quantity", "unit_code", "unit_price",
    "price_base_quantity", "gross_price", "line_amount", "vat_category", "vat_rate", "order_line_reference",
    "accounting_cost",
)  # fmt: skip
PARTY_FIELDS = {"name": "name", "org_number": "org_number", "vat_number": "vat_number"}


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # "payable_amount", "line 1 unit_price", "vat S 25 tax_amount"
    old: str | None
    new: str | None
    amount: bool  # a number changed (money, quantity, price base, rate)


@dataclass(frozen=True, slots=True)
class RecordDiff:
    label: str  # "invoice F2026-1187"
    outcome: str  # what the sink will do: inserted, updated, unchanged, protected, ignored_older, conflict, …
    changes: list[Change] = field(default_factory=list)
    note: str | None = None

    @property
    def amounts_changed(self) -> bool:
        return any(c.amount for c in self.changes)


def diff_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every key whose value differs; numeric changes first, otherwise in the order of ``new`` then ``old``."""
    keys = list(dict.fromkeys([*new, *old]))
    changes = []
    for key in keys:
        a, b = _comparable(old.get(key)), _comparable(new.get(key))
        if a != b:
            changes.append(Change(key, _shown(a), _shown(b), isinstance(a, Decimal) or isinstance(b, Decimal)))
    return sorted(changes, key=lambda c: not c.amount)


def erp_invoice_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ERP invoice (with ``lines`` and ``vat_breakdown``) as flat comparable fields."""
    values = {name: row.get(name) for name in HEADER_FIELDS}
    for side in ("seller", "buyer"):
        values.update({f"{side} {label}": row.get(f"{side}_{column}") for label, column in PARTY_FIELDS.items()})
    values["corrects_invoice"] = row.get("corrects_invoice")
    for position, line in enumerate(row.get("lines", ()), start=1):
        values.update({f"line {position} {name}": line.get(name) for name in LINE_FIELDS})
    for vat in row.get("vat_breakdown", ()):
        values.update(_vat_fields(vat["category"], vat["rate"], vat["taxable_amount"], vat["tax_amount"]))
    return values


def canonical_invoice_fields(invoice: SupplierInvoice) -> dict[str, Any]:
    """A canonical invoice as the same flat fields as :func:`erp_invoice_fields`."""
    values = {name: getattr(invoice, name) for name in HEADER_FIELDS}
    for side, party in (("seller", invoice.seller), ("buyer", invoice.buyer)):
        values.update({f"{side} {label}": getattr(party, attr) for label, attr in PARTY_FIELDS.items()})
    values["corrects_invoice"] = ", ".join(p.number for p in invoice.preceding_invoices) or None
    for position, line in enumerate(invoice.lines, start=1):
        values.update({f"line {position} {name}": getattr(line, name) for name in LINE_FIELDS})
    for vat in invoice.vat_breakdown:
        values.update(_vat_fields(vat.category, vat.rate, vat.taxable_amount, vat.tax_amount))
    return values


def _vat_fields(category: str, rate: Decimal | None, taxable: Decimal, tax: Decimal) -> dict[str, Any]:
    key = f"vat {category} {decimal_text(normalized(rate)) if rate is not None else '-'}"
    return {f"{key} taxable_amount": taxable, f"{key} tax_amount": tax}


def _comparable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return normalized(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return normalized(Decimal(str(value)))
    if isinstance(value, date):
        return value.isoformat()
    if value == "":
        return None
    return value


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    return decimal_text(value) if isinstance(value, Decimal) else str(value)


def order_by_importance(diffs: list[Any], key: Callable[[Any], list[RecordDiff]]) -> list[Any]:
    """Documents whose amounts change first, then other changes, then unchanged ones (stable otherwise)."""

    def rank(item: Any) -> int:
        records = key(item)
        if any(r.amounts_changed for r in records):
            return 0
        return 1 if any(r.changes or r.outcome not in ("unchanged", "ignored_older") for r in records) else 2

    return sorted(diffs, key=rank)
