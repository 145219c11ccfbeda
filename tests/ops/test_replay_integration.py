"""Replay, redeliver, dead letters and the trail on the real broker and both databases, stages driven directly.

The format-fix story: ``peppol-bis3-invoice`` version 1 (a plugin) folds the price base quantity into the
unit price the wrong way round and refuses a fractional base quantity; version 2 fixes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from hub.formats.registry import install_extra_translators
from hub.intake.tables import event as event_table
from hub.ops import dlq
from hub.ops.audit import AuditLog
from hub.ops.diff import order_by_importance
from hub.ops.preview import make_preview
from hub.ops.redeliver import MISSING, EventSelection, Redeliverer, redeliver_all, select_events
from hub.ops.replay import Replayer, plan
from hub.ops.selection import Selection
from hub.ops.trail import build_trail, find_documents
from hub.runtime import Runtime
from hub.sinks.erp.tables import supplier_invoice
from tests.ops.pipeline import Hub
from tests.ops.translators import BUGGY, DEMO, FIXED, variant

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(runtime_each_erp: Runtime) -> Iterator[Runtime]:
    yield runtime_each_erp
    install_extra_translators(None)  # the plugin translators of a test never leak into the next


def test_format_fix_story_dry_run_replay_twice_protected_trail_and_redeliver(
    runtime: Runtime, bootstrap_servers: str, unique: str
) -> None:
    hub = Hub(runtime, bootstrap_servers, unique)
    install_extra_translators(BUGGY)
    a, outcome_a = hub.take(DEMO, "F2026-1187.xml")
    b, outcome_b = hub.take(variant("F2026-1188", price=b"29.75", base=b"2.5"), "F2026-1188.xml")
    c, outcome_c = hub.take(variant("F2026-1189"), "F2026-1189.xml")
    assert (outcome_a, outcome_b, outcome_c) == ("translated", "dead_lettered", "translated")
    assert sorted(o for _, o in hub.sink()) == ["inserted", "inserted"]
    assert hub.erp()["F2026-1187"]["lines"][0]["unit_price"] == Decimal("119000")  # the bug
    with runtime.erp_engine.begin() as conn:
        conn.execute(
            update(supplier_invoice)
            .where(supplier_invoice.c.invoice_number == "F2026-1189")
            .values(erp_status="approved")
        )

    # The dead letter: grouped, shown with the bytes around the XPath the translator named.
    [group] = dlq.groups(runtime.state_engine, dlq.DlqFilter())
    assert (group.code, group.partner_id, group.translator, group.open_documents) == (
        "INVALID_VALUE", "elgrossisten-syd", "peppol-bis3-invoice@1", 1,
    )  # fmt: skip
    [entry] = dlq.entries(runtime.state_engine, dlq.DlqFilter(codes=("invalid_value",)))
    letter, document = dlq.get(runtime.state_engine, entry["id"])  # type: ignore[misc]
    assert document is not None and document.document_id == b
    preview = make_preview(runtime.archive, document.entry.archive_uri, letter["location"])
    assert [r.text.strip() for r in preview.rows if r.focus] == [
        '<cbc:BaseQuantity unitCode="MTR">2.5</cbc:BaseQuantity>'
    ]

    # Version 2 is deployed. The dry run shows the diff (amounts first) and publishes nothing.
    install_extra_translators(FIXED)
    audit = AuditLog(runtime.state_engine)
    replayer = Replayer(runtime, audit)
    chosen = plan(runtime.state_engine, Selection(formats=("peppol-bis3-invoice",)))
    assert [r.document_id for r in chosen.documents] == [a, b, c] and not chosen.skipped
    run = audit.start(
        "replay", operator="ops-anna", reason="translator v2 fixes price base quantity", selection={}, dry_run=True
    )
    previews = {p.document.document_id: p for p in (replayer.preview(run, row) for row in chosen.documents)}
    [record_a] = previews[a].records
    assert record_a.outcome == "updated"
    assert [(ch.path, ch.old, ch.new) for ch in record_a.changes] == [
        ("line 1 unit_price", "119000", "1190"), ("line 1 price_base_quantity", "1", "100"),
    ]  # fmt: skip
    assert previews[b].records[0].outcome == "inserted" and previews[b].translator == "peppol-bis3-invoice@2"
    assert previews[c].records[0].outcome == "protected"
    ordered = order_by_importance(list(previews.values()), lambda p: p.records)
    assert {ordered[0].document.document_id, ordered[1].document.document_id} == {a, c}
    assert len(hub.read(runtime.topics.invoice)) == 2

    # The replay: corrected events tagged with the run id; the sink makes the ERP right, except the approved row.
    run = audit.start(
        "replay", operator="ops-anna", reason="translator v2 fixes price base quantity", selection={}, dry_run=False
    )
    results = [replayer.replay(run, row) for row in chosen.documents]
    assert [r.outcome for r in results] == ["translated", "translated", "translated"]
    replayed = [r for r in hub.read(runtime.topics.invoice) if r.headers.get("hub.replay") == run.encode()]
    assert [r.headers["hub.translator.version"] for r in replayed] == [b"2", b"2", b"2"]
    assert sorted(o for _, o in hub.sink()) == ["inserted", "protected", "updated"]
    replayer.wait(results, 5, lambda done, total: None)
    replayer.record(run, results)
    erp = hub.erp()
    assert erp["F2026-1187"]["lines"][0]["unit_price"] == Decimal("1190")
    assert erp["F2026-1188"]["lines"][0]["price_base_quantity"] == Decimal("2.5")
    assert erp["F2026-1189"]["lines"][0]["unit_price"] == Decimal("119000")  # approved: not overwritten …
    assert "review it before re-approving" in erp["F2026-1189"]["needs_attention"]  # … but flagged
    assert runtime.ledger.state_of(b) != "dead_lettered"
    assert dlq.groups(runtime.state_engine, dlq.DlqFilter(codes=("INVALID_VALUE",)))[0].open_documents == 0

    # Replaying again changes nothing.
    run2 = audit.start("replay", operator="ops-anna", reason="again", selection={}, dry_run=False)
    results2 = [
        replayer.replay(run2, row) for row in plan(runtime.state_engine, Selection(documents=(a, b, c))).documents
    ]
    assert sorted(o for _, o in hub.sink()) == ["conflict_known", "unchanged", "unchanged"]
    replayer.record(run2, results2)
    assert _without_times(hub.erp()) == _without_times(erp)
    # … and the flagged correction of the approved invoice stays an open dead letter until a person acts.
    assert runtime.ledger.state_of(c) == "dead_lettered"
    [approval] = dlq.groups(runtime.state_engine, dlq.DlqFilter(codes=("CHANGED_AFTER_APPROVAL",)))
    assert (approval.documents, approval.open_documents) == (1, 1)

    # The audit names who and why; the trail tells the whole story in order.
    record = audit.run(run)
    assert record is not None and (record.operator, record.reason, record.status) == (
        "ops-anna", "translator v2 fixes price base quantity", "done",
    )  # fmt: skip
    [(row, how)] = find_documents(runtime, "F2026-1187")
    assert row.document_id == a and how in ("business key", "invoice number", "file name")
    steps = [(s.step, s.detail) for s in build_trail(runtime, row)]
    kinds = [k for k, _ in steps]
    assert kinds[:3] == ["received", "archived", "published"]
    assert kinds.index("replay") > kinds.index("sink") and kinds.count("replay") == 2
    assert any(k == "translated" and "@1" in d for k, d in steps) and any(
        k == "translated" and "@2" in d for k, d in steps
    )
    sinks = [d for k, d in steps if k == "sink"]
    assert [s.rsplit(": ", 1)[1] for s in sinks] == ["inserted", "updated", "unchanged"]

    # Redeliver after the ERP "was restored from a backup" that lacks F2026-1187: the recorded events come back.
    with runtime.erp_engine.begin() as conn:
        conn.execute(supplier_invoice.delete().where(supplier_invoice.c.invoice_number == "F2026-1187"))
    events = select_events(runtime, EventSelection(documents=(a,)))
    assert len(events) == 1
    done = list(redeliver_all(Redeliverer(runtime, "rd-1"), events, lambda: None))
    assert [d.outcome for d in done] == ["inserted"]
    assert hub.erp()["F2026-1187"]["lines"][0]["unit_price"] == Decimal("1190")
    assert [d.outcome for d in redeliver_all(Redeliverer(runtime, "rd-2"), events, lambda: None)] == ["unchanged"]


def test_redeliver_reports_events_the_topic_no_longer_has(
    runtime: Runtime, bootstrap_servers: str, unique: str
) -> None:
    hub = Hub(runtime, bootstrap_servers, unique)
    a, _ = hub.take(DEMO, "F2026-1187.xml")
    [event] = runtime.ledger.events_of(a)
    # As after a restart of the bundled broker: the ledger remembers an offset the topic does not have.
    with runtime.state_engine.begin() as conn:
        conn.execute(update(event_table).where(event_table.c.event_id == event["event_id"]).values(offset=999))
    events = select_events(runtime, EventSelection(documents=(a,)))
    assert [d.outcome for d in redeliver_all(Redeliverer(runtime, "rd-x"), events, lambda: None)] == [MISSING]


def _without_times(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: {f: v for f, v in r.items() if f not in ("updated_at",)} for k, r in rows.items()}
