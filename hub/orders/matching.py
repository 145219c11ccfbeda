"""Which work order a pick-up belongs to. Pure.

The fitter gives the work-order number at the counter; it travels in one of several reference fields, often
typed by hand ("Projekt 19271 Kalle", "2091/19271"). A tenant configures an ordered list of patterns (which
reference types to look in, a regex capturing the number). Every candidate is checked against the ERP's
*open* work orders: nothing is guessed — a number that is not an open work order does not match, and a
document or line without a match goes to the unmatched list. A match records the pattern, field and text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hub.canonical.orders import OrderConfirmation, OrderLine, Reference
from hub.partners import WorkOrderPattern


@dataclass(frozen=True, slots=True)
class Match:
    work_order: str
    rule: str  # pattern name, or "assigned by <who>"
    field: str  # reference type it was found in, or "manual"
    text: str  # the reference text it was found in


def match_references(
    references: Sequence[Reference], patterns: Sequence[WorkOrderPattern], open_orders: set[str]
) -> Match | None:
    """The first open work order found by the first pattern that finds one."""
    for pattern in patterns:
        compiled = re.compile(pattern.regex)
        for field in pattern.fields:
            for ref in (r for r in references if r.type == field):
                for number in _candidates(compiled, ref.value):
                    if number in open_orders:
                        return Match(number, pattern.name, field, ref.value)
    return None


def _candidates(compiled: re.Pattern[str], text: str) -> Iterable[str]:
    for found in compiled.finditer(text):
        number = found.groupdict().get("number") or found.group(1)
        if number:
            yield number.strip()


def match_line(
    document: OrderConfirmation, line: OrderLine, patterns: Sequence[WorkOrderPattern], open_orders: set[str]
) -> Match | None:
    """A line's own references win over the document's (a pick-up ticket may serve two jobs)."""
    return match_references(line.line_references, patterns, open_orders) or match_references(
        document.references, patterns, open_orders
    )
