"""Issue #2 acceptance: a wholesaler's SFTP server → bundled broker → faust agents → PostgreSQL.

Real parts only: OpenSSH sshd (chrooted, pinned host key), the Tansu broker, PostgreSQL, and the
`hub up` process itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from hub.canonical import DeadLetter
from hub.canonical.codec import from_dict
from hub.canonical.schemas import SchemaStore
from hub.intake.tables import intake
from hub.kafka.consumer import read_records
from hub.kafka.serde import AvroSerde
from tests.conftest import EXAMPLES
from tests.e2e.hubproc import HubProcess, hub_env
from tests.services.sshd import SftpServer
from tests.support import sftp_block, wait_for, write_partners

pytestmark = pytest.mark.integration
DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"


@pytest.fixture
def hub(
    tmp_path: Path, sftp_inbox: SftpServer, bootstrap_servers: str, postgres_url: str, unique: str
) -> Iterator[HubProcess]:
    sftp = sftp_block(
        host=sftp_inbox.host, port=sftp_inbox.port, username=sftp_inbox.username, key=sftp_inbox.private_key_file,
        host_key=sftp_inbox.host_key, remote_dir=sftp_inbox.remote_dir,
    )  # fmt: skip
    env = hub_env(
        tmp_path / "var",
        write_partners(tmp_path, sftp),
        HUB_BOOTSTRAP_SERVERS=bootstrap_servers,
        HUB_ERP_DATABASE_URL=postgres_url,
        HUB_TOPIC_PREFIX=f"t{unique}.",
        HUB_APP_ID=f"e2e-{unique}",
    )
    process = HubProcess(env, tmp_path)
    process.start()
    yield process
    process.stop()


def dead_letters(bootstrap: str, topic: str, count: int, group: str) -> list[DeadLetter]:
    serde = AvroSerde(SchemaStore())
    records = read_records(bootstrap, [topic], group_id=group, max_records=count, idle_s=5)
    return [from_dict(DeadLetter, serde.decode(r.value)[1]) for r in records if r.value]


def ledger_rows(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(intake).order_by(intake.c.received_at))]
    finally:
        engine.dispose()


def test_sftp_invoice_reaches_postgres_once_and_bad_files_are_dead_lettered(
    hub: HubProcess, sftp_inbox: SftpServer, bootstrap_servers: str, postgres_url: str, unique: str
) -> None:
    done = sftp_inbox.local_dir / "done"
    sftp_inbox.drop_file("F2026-1187.xml", DEMO.read_bytes())
    [invoice] = wait_for(hub.invoices, timeout_s=90, what="the SFTP invoice in PostgreSQL")
    assert (invoice["invoice_number"], invoice["payable_amount"], invoice["tenant_id"]) == (
        "F2026-1187",
        "2737",
        "nordstrom",
    )
    assert [(ln["line_id"], ln["quantity"], ln["unit_code"]) for ln in invoice["lines"]] == [
        ("1", "100", "MTR"), ("2", "25", "EA"), ("3", "50", "MTR"),
    ]  # fmt: skip
    assert (done / "F2026-1187.xml").exists() and not (sftp_inbox.local_dir / "F2026-1187.xml").exists()

    # The wholesaler delivers the same file twice (a new upload under the same name, then under another name).
    sftp_inbox.drop_file("F2026-1187.xml", DEMO.read_bytes())
    sftp_inbox.drop_file("resend-F2026-1187.xml", DEMO.read_bytes())
    wait_for(lambda: (done / "resend-F2026-1187.xml").exists(), what="the resend moved to done/")
    wait_for(lambda: not (sftp_inbox.local_dir / "F2026-1187.xml").exists(), what="the second upload moved")
    assert len(list(done.iterdir())) == 3
    assert len(hub.invoices()) == 1

    # A half-written XML file and something that is no invoice at all.
    truncated, text = DEMO.read_bytes()[:2000], b"Hej! Bifogar prislistan i morgon. /Elgrossisten\n"
    sftp_inbox.drop_file("broken.xml", truncated)
    sftp_inbox.drop_file("note.txt", text)
    letters = dead_letters(bootstrap_servers, f"t{unique}.hub.dlq.v1", 2, f"dlq-{unique}")
    by_file = {letter.filename: letter for letter in letters}
    assert by_file["broken.xml"].code == "PARSE_ERROR"
    assert by_file["broken.xml"].message.startswith("XML is not well-formed")
    assert by_file["broken.xml"].location == "line 43, column 48"
    assert by_file["note.txt"].code == "UNKNOWN_FORMAT"
    assert "known formats: peppol-bis3-invoice" in by_file["note.txt"].message

    rows = {r["filename"]: r for r in ledger_rows(postgres_url)}
    assert rows["F2026-1187.xml"]["state"] == "sunk" and rows["F2026-1187.xml"]["deliveries"] == 3
    for name, data in (("broken.xml", truncated), ("note.txt", text)):
        assert rows[name]["state"] == "dead_lettered"
        archived = hub.cwd / "var" / "archive" / "objects" / rows[name]["sha256"][:2] / rows[name]["sha256"][2:4]
        assert (archived / rows[name]["sha256"]).read_bytes() == data
    assert len(hub.invoices()) == 1 and hub.alive()
