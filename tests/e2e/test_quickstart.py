"""The README's quick start, as a new user runs it: `hub up` on embedded defaults, a file in the drop folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, PROJECT_ROOT
from tests.e2e.hubproc import HubProcess, hub_env
from tests.support import wait_for

pytestmark = pytest.mark.integration
DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    # Embedded defaults: no bootstrap servers (bundled broker), SQLite, local archive under the data dir.
    env = hub_env(tmp_path / "var", PROJECT_ROOT / "config" / "partners.yaml")
    process = HubProcess(env, tmp_path)
    yield process
    if process.alive():
        process.stop()


def test_drop_folder_to_erp_restart_and_duplicate(hub: HubProcess, tmp_path: Path) -> None:
    hub.start()
    inbox = tmp_path / "var" / "inbox" / "elgrossisten-syd"
    assert inbox.is_dir()  # hub up creates a drop folder per configured wholesaler
    shutil.copy(DEMO, inbox / DEMO.name)
    [invoice] = wait_for(hub.invoices, timeout_s=90, what="the dropped invoice in the ERP")
    assert (invoice["tenant_id"], invoice["supplier_id"], invoice["invoice_number"]) == (
        "nordstrom",
        "elgrossisten-syd",
        "F2026-1187",
    )
    assert (invoice["payable_amount"], invoice["currency"], len(invoice["lines"])) == ("2737", "SEK", 3)
    assert [line["line_amount"] for line in invoice["lines"]] == ["1190", "362.5", "636.75"]
    assert (inbox / "done" / DEMO.name).exists() and not (inbox / DEMO.name).exists()

    code, seconds = hub.stop()
    assert code == 0
    assert seconds < 15

    # Restart: the bundled broker forgot everything; the ledger knows the document already reached the ERP.
    hub.start()
    shutil.copy(DEMO, inbox / "copy-of-the-same-invoice.xml")
    wait_for(lambda: (inbox / "done" / "copy-of-the-same-invoice.xml").exists(), what="duplicate moved to done/")
    assert len(hub.invoices()) == 1
    duplicates = [e for e in hub.log_lines() if e.get("event") == "intake.duplicate"]
    assert len(duplicates) == 1 and duplicates[0]["filename"] == "copy-of-the-same-invoice.xml"
    assert hub.cli("erp", "invoices").stdout.count("F2026-1187") == 1
