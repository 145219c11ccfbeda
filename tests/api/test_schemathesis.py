"""A property-based run of the published OpenAPI document (schemathesis) over every endpoint, in process,
against the real PostgreSQL and broker: no 5xx ever, and every answer conforms to the document (status
code, content type, headers, body schema; invalid input rejected with a 4xx, valid input accepted).

Positive cases are steered half the time to the seeded tenant and its real ids, so the generated filters,
dates and articles also run through queries that find data — not only through 404s for random tenants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import negative_data_rejection

from hub.api import create_app
from hub.api.tokens import TokenStore
from hub.runtime import Runtime
from tests.api.conftest import A, B, build_runtime
from tests.api.seed import Seeded, seed_catalog, seed_dead_letter, seed_invoice

STATS: Counter[tuple[str, int]] = Counter()


@dataclass(frozen=True)
class Target:
    schema: BaseSchema
    headers: dict[str, str]
    seeded: Seeded
    failed_document: str


@pytest.fixture
def target(tmp_path: Path, unique: str, postgres_url: str, bootstrap_servers: str) -> Iterator[Target]:
    rt: Runtime = build_runtime(tmp_path, unique, postgres_url, bootstrap_servers)
    seeded = seed_invoice(rt, A, "A-100")
    seed_invoice(rt, B, "B-200")
    failed = seed_dead_letter(rt, tenant_scope=A)
    seed_catalog(rt, A)
    app = create_app(rt)
    token = TokenStore(rt.state_engine).create("fuzz", ("admin",)).token
    yield Target(schemathesis.openapi.from_asgi("/openapi.json", app), {"Authorization": f"Bearer {token}"},
                 seeded, failed)  # fmt: skip
    rt.close()
    _report()


# schemathesis' own pytest integration (``from_fixture``/``parametrize``) reads ``request.node._nodeid``,
# which pytest 9.2 no longer has; the operations' Hypothesis strategies are driven directly instead.
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXAMPLES = 120
ACTION_EXAMPLES = 12  # a POST really replays or redelivers on the broker (seconds each): fewer


@pytest.mark.timeout(900)  # every operation, positive and negative, on real PostgreSQL and the broker
def test_every_endpoint_conforms_and_never_answers_5xx(target: Target) -> None:
    operations = [result.ok() for result in target.schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 10
    for operation in operations:
        has_parameters = any(True for _ in operation.iter_parameters())
        for mode in MODES if has_parameters else MODES[:1]:  # nothing to make invalid without parameters
            _fuzz(operation, mode, target)
    for operation in operations:  # every operation got answers, and none was a 5xx
        label = f"{operation.method.upper()} {operation.path}"
        assert any(op == label for op, _status in STATS), label
    assert not [key for key in STATS if key[1] >= 500]


def _fuzz(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, target: Target) -> None:
    examples = ACTION_EXAMPLES if operation.method.upper() == "POST" else EXAMPLES

    @given(case=operation.as_strategy(generation_mode=mode), steer=st.booleans(), failed=st.booleans())
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: Case[Any], steer: bool, failed: bool) -> None:
        if steer:
            _steer(case, target, failed)
        if isinstance(case.body, dict) and isinstance(case.body.get("wait_s"), int | float):
            case.body["wait_s"] = 0  # still valid; no sink runs here, so waiting would only spend the time budget
        # the admin token, unless this case is about a missing or malformed Authorization header
        negative_auth = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
        # A query string carries text only: a "negative" boolean or number (false, 0) arrives as the text
        # "false" / "0", which is a valid wholesaler id — so for query parameters only the 5xx rule applies.
        query_only = case.meta is not None and case.meta.is_negative_at(ParameterLocation.QUERY)
        excluded = [negative_data_rejection] if query_only else None
        response = case.call_and_validate(headers=None if negative_auth else target.headers, excluded_checks=excluded)
        STATS[(f"{case.method} {case.path}", response.status_code)] += 1
        assert response.status_code < 500, response.text

    run()


def _steer(case: Case[Any], target: Target, failed: bool) -> None:
    """Point a positive case at the seeded tenant and its ids (valid values, so it stays positive)."""
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    document = target.failed_document if failed else target.seeded.document_id
    known = {"tenant_id": A, "invoice_id": target.seeded.invoice_id, "article": "1416002", "document_id": document}
    for name in list(case.path_parameters or {}):
        case.path_parameters[name] = known.get(name, case.path_parameters[name])


def _report() -> None:
    """The numbers for the record: requests per operation and status (shown with pytest -s)."""
    total = sum(STATS.values())
    by_status = Counter[int]()
    for (_op, status), n in STATS.items():
        by_status[status] += n
    print(f"\nschemathesis: {total} requests, by status {dict(sorted(by_status.items()))}")
    for op in sorted({op for op, _ in STATS}):
        print(f"  {op}: " + ", ".join(f"{s}×{n}" for (o, s), n in sorted(STATS.items()) if o == op))
