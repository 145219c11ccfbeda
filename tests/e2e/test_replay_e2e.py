"""Issue #7 acceptance: a format fix, end to end through SFTP, the bundled broker and the real `hub up` into PostgreSQL.

Translator version 1 of ``peppol-bis3-invoice`` (a plugin, tests/ops/translators.py) folds the price base
quantity into the unit price the wrong way round and dead-letters a fractional base quantity. `hub up` is
restarted with version 2 — and, as the bundled broker keeps nothing across restarts, every old event is gone.
`hub replay --dry-run` shows the diff from what the ERP holds, `hub replay` makes the ERP right, a second run
changes nothing, the approved invoice is flagged (not overwritten), the audit names who and why, and
`hub trail` tells the story of the SFTP document from intake to replay in order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from hub.intake.tables import audit_run
from tests.conftest import PROJECT_ROOT
from tests.e2e.hubproc import HubProcess, hub_env
from tests.ops.translators import BUGGY, DEMO, FIXED, variant
from tests.services.sshd import SftpServer
from tests.support import sftp_block, wait_for, write_partners

pytestmark = pytest.mark.integration
REASON = "translator v2 fixes the price base quantity"


class Story:
    """`hub up` on the bundled broker with PostgreSQL, restartable with another translator version."""

    def __init__(self, tmp_path: Path, sftp: SftpServer, postgres_url: str) -> None:
        block = sftp_block(
            host=sftp.host, port=sftp.port, username=sftp.username, key=sftp.private_key_file,
            host_key=sftp.host_key, remote_dir=sftp.remote_dir,
        )  # fmt: skip
        self.tmp_path, self.postgres_url = tmp_path, postgres_url
        self.partners = write_partners(tmp_path, block)
        self.hub: HubProcess | None = None

    def start(self, translators: str) -> HubProcess:
        if self.hub is not None and self.hub.alive():
            code, _ = self.hub.stop()
            assert code == 0
        path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
        env = hub_env(
            self.tmp_path / "var", self.partners, HUB_ERP_DATABASE_URL=self.postgres_url,
            HUB_EXTRA_TRANSLATORS=translators, PYTHONPATH=path,
        )  # fmt: skip
        self.hub = HubProcess(env, self.tmp_path)
        self.hub.start(timeout_s=60)
        return self.hub

    def sql(self, query: str, **params: Any) -> list[dict[str, Any]]:
        engine = create_engine(self.postgres_url)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(query), params)
                return [dict(r._mapping) for r in result] if result.returns_rows else []
        finally:
            engine.dispose()


@pytest.fixture
def story(tmp_path: Path, sftp_inbox: SftpServer, postgres_url: str) -> Iterator[Story]:
    s = Story(tmp_path, sftp_inbox, postgres_url)
    yield s
    if s.hub is not None and s.hub.alive():
        s.hub.stop()


def by_number(hub: HubProcess) -> dict[str, dict[str, Any]]:
    return {row["invoice_number"]: row for row in hub.invoices()}


def as_json(hub: HubProcess, *args: str) -> Any:
    return json.loads(hub.cli(*args, "--json").stdout)


def test_format_fix_replayed_through_sftp_bundled_broker_and_postgres(story: Story, sftp_inbox: SftpServer) -> None:
    hub = story.start(BUGGY)
    sftp_inbox.drop_file("F2026-1187.xml", DEMO)
    sftp_inbox.drop_file("F2026-1188.xml", variant("F2026-1188", price=b"29.75", base=b"2.5"))
    sftp_inbox.drop_file("F2026-1189.xml", variant("F2026-1189"))
    wait_for(lambda: len(hub.invoices()) == 2, timeout_s=120, what="two invoices from translator v1")
    groups = wait_for(lambda: as_json(hub, "dlq", "list"), what="the dead letter of F2026-1188")
    assert [(g["code"], g["translator"], g["open_documents"]) for g in groups] == [
        ("INVALID_VALUE", "peppol-bis3-invoice@1", 1)
    ]
    assert by_number(hub)["F2026-1187"]["lines"][0]["unit_price"] == "119000"  # the bug
    story.sql("UPDATE erp_supplier_invoice SET erp_status = 'approved' WHERE invoice_number = 'F2026-1189'")

    # Ops look at the dead letter: the error, the document, and the bytes around the XPath.
    [entry] = as_json(hub, "dlq", "list", "--entries", "--code", "INVALID_VALUE")
    shown = hub.cli("dlq", "show", str(entry["id"])).stdout
    assert "INVALID_VALUE" in shown and "F2026-1188.xml" in shown and "via sftp" in shown
    assert any(ln.startswith(">") and '<cbc:BaseQuantity unitCode="MTR">2.5<' in ln for ln in shown.splitlines())

    # Version 2 is deployed; the bundled broker forgets every event on the restart.
    hub = story.start(FIXED)
    refused = hub.cli("replay", "--format", "peppol-bis3-invoice", "--dry-run", check=False)
    assert refused.returncode == 2 and refused.stderr.startswith("error[REASON_REQUIRED]")
    preview = as_json(hub, "replay", "--format", "peppol-bis3-invoice", "--dry-run", "--reason", REASON)
    docs = {d["filename"]: d for d in preview["documents"]}
    assert next(d["filename"] for d in preview["documents"]) in ("F2026-1187.xml", "F2026-1189.xml")  # amounts first
    [fixed] = docs["F2026-1187.xml"]["records"]
    assert fixed["outcome"] == "updated" and fixed["changes"][0] == {
        "field": "line 1 unit_price", "old": "119000", "new": "1190", "amount": True,
    }  # fmt: skip
    assert docs["F2026-1188.xml"]["records"][0]["outcome"] == "inserted"
    assert docs["F2026-1189.xml"]["records"][0]["outcome"] == "protected"
    table = hub.cli("replay", "--format", "peppol-bis3-invoice", "--dry-run", "--reason", REASON).stdout
    assert "would be UPDATED" in table and "line 1 unit_price" in table and "nothing was published" in table
    assert len(hub.invoices()) == 2

    # The replay makes the ERP right; the approved invoice is flagged, not overwritten.
    result = as_json(hub, "replay", "--format", "peppol-bis3-invoice", "--reason", REASON, "--operator", "ops-anna")
    assert [d["outcome"] for d in result["documents"]] == ["translated"] * 3
    after = wait_for(lambda: rows if len(rows := by_number(hub)) == 3 else None, what="the replayed invoices")
    assert after["F2026-1187"]["lines"][0]["unit_price"] == "1190"
    assert after["F2026-1188"]["lines"][0]["price_base_quantity"] == "2.5"
    assert after["F2026-1189"]["lines"][0]["unit_price"] == "119000"
    assert "review it before re-approving" in after["F2026-1189"]["needs_attention"]
    sinks = {d["filename"]: set(d["sink"].values()) for d in result["documents"]}
    assert sinks["F2026-1187.xml"] <= {"updated", "pending"} and sinks["F2026-1189.xml"] <= {"protected", "pending"}

    # Running it again changes nothing.
    again = as_json(hub, "replay", "--format", "peppol-bis3-invoice", "--reason", "check idempotence")
    assert [d["outcome"] for d in again["documents"]] == ["translated"] * 3
    assert by_number(hub) == after

    # The audit record names who and why.
    engine = create_engine(story.postgres_url)
    with engine.connect() as conn:
        runs = [dict(r._mapping) for r in conn.execute(select(audit_run).order_by(audit_run.c.started_at))]
    engine.dispose()
    assert [(r["action"], r["dry_run"], r["status"]) for r in runs] == [
        ("replay", True, "done"), ("replay", True, "done"), ("replay", False, "done"), ("replay", False, "done"),
    ]  # fmt: skip
    assert (runs[2]["operator"], runs[2]["reason"]) == ("ops-anna", REASON)
    listed = as_json(hub, "audit", "list")  # what an operator reads: the same runs, newest first
    assert [(r["run_id"], r["operator"], r["reason"]) for r in listed] == [
        (r["run_id"], r["operator"], r["reason"]) for r in reversed(runs)
    ]
    shown = as_json(hub, "audit", "show", runs[2]["run_id"])
    assert sorted(i["outcome"] for i in shown["items"]) == ["translated"] * 3

    # The trail of the SFTP document shows every step in order of time.
    trail = as_json(hub, "trail", "F2026-1187")
    steps = [(s["step"], s["detail"]) for s in trail["steps"]]
    expected = ["received", "archived", "published", "acknowledged", "translated", "event", "replay", "translated"]
    assert _subsequence([k for k, _ in steps], expected), steps
    assert "sftp delivery from elgrossisten-syd" in steps[0][1]
    assert any(k == "translated" and "@1" in d for k, d in steps) and any(
        k == "translated" and "@2" in d for k, d in steps
    )
    assert any(k == "replay" and "ops-anna" in d and REASON in d for k, d in steps)
    assert any(k == "erp" and "F2026-1187" in d for k, d in steps)
    times = [s["at"] for s in trail["steps"] if s["at"]]
    assert times == sorted(times)

    # Redeliver reads the recorded offsets back; after another restart they are gone, and it says so.
    document_id = trail["document_id"]
    redelivered = as_json(hub, "redeliver", "--document", document_id, "--reason", "ERP restored from backup")
    assert [e["outcome"] for e in redelivered["events"]] == ["unchanged"]
    hub = story.start(FIXED)
    gone = hub.cli("redeliver", "--document", document_id, "--reason", "ERP restored", check=False)
    assert gone.returncode == 1 and "error[EVENTS_GONE]" in gone.stderr
    assert f"hub replay --document {document_id}" in gone.stderr


def _subsequence(items: list[str], wanted: list[str]) -> bool:
    it = iter(items)
    return all(any(item == w for item in it) for w in wanted)
