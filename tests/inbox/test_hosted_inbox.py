"""The hosted SFTP inbox with real clients (OpenSSH ``sftp`` in batch mode and paramiko) on the real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

from hub.canonical import RawDocument
from hub.canonical.codec import from_dict
from hub.connectors.inbox.files import MAX_OPEN_UPLOADS
from hub.kafka.consumer import ConsumedRecord, read_records
from hub.kafka.embedded import free_port
from hub.kafka.producer import Publisher
from hub.runtime import Runtime
from hub.sinks.erp.queries import list_invoices
from tests.conftest import EXAMPLES
from tests.inbox.hosted import Hosted, start_hosted
from tests.support import wait_for

pytestmark = pytest.mark.integration
DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"


def raw_records(rt: Runtime, group: str, expected: int) -> list[ConsumedRecord]:
    bootstrap = rt.publisher._config["bootstrap.servers"]
    return list(read_records(bootstrap, [rt.topics.raw], group_id=group, idle_s=3, max_records=expected + 1))


def raw_documents(rt: Runtime, group: str, expected: int) -> list[RawDocument]:
    return [from_dict(RawDocument, rt.serde.decode(r.value)[1]) for r in raw_records(rt, group, expected)]


def test_openssh_upload_goes_to_done_and_reaches_the_erp(hosted: Hosted, unique: str) -> None:
    (hosted.workdir / DEMO.name).write_bytes(DEMO.read_bytes())
    code, out = hosted.sftp_batch(f"put {DEMO.name}\nls done\nls\n")
    assert code == 0, out
    assert (hosted.partner_root / "done" / DEMO.name).read_bytes() == DEMO.read_bytes()
    assert f"done/{DEMO.name}" in out  # the partner sees it moved
    assert not list(hosted.staging.iterdir())

    [record] = raw_records(hosted.runtime, f"r-{unique}", 1)
    raw = from_dict(RawDocument, hosted.runtime.serde.decode(record.value)[1])
    assert (raw.partner_id, raw.channel, raw.filename) == ("elgrossisten-syd", "sftp", DEMO.name)
    assert raw.transport_id.startswith(f"sftp-inbox://elgrossisten@127.0.0.1:{hosted.port}/{DEMO.name}@")
    entry = hosted.runtime.ledger.get(raw.document_id)
    assert entry is not None and entry.acknowledged_at is not None

    assert hosted.runtime.translate_stage().process(record) == "translated"
    [event] = read_records(
        hosted.runtime.publisher._config["bootstrap.servers"], [hosted.runtime.topics.invoice],
        group_id=f"i-{unique}", max_records=1,
    )  # fmt: skip
    assert hosted.runtime.sink_stage().process(event) == "inserted"
    [row] = list_invoices(hosted.runtime.erp_engine, tenant_id="nordstrom")
    assert row["invoice_number"] == "F2026-1187"


def test_paramiko_put_and_a_resend_is_a_duplicate(hosted: Hosted, unique: str) -> None:
    client = hosted.paramiko_client()
    try:
        sftp = client.open_sftp()
        attrs = sftp.put(str(DEMO), "F2026-1187.xml")  # confirm=True: stats the upload after the close
        assert attrs.st_size == DEMO.stat().st_size
        sftp.put(str(DEMO), "F2026-1187.xml")  # the same file again, same name
        assert sorted(sftp.listdir("/done")) == sorted(os.listdir(hosted.partner_root / "done"))
        assert sftp.listdir("/") == ["done", "error"]
        with sftp.open("/done/F2026-1187.xml") as done:
            assert done.read() == DEMO.read_bytes()
    finally:
        client.close()
    done = sorted(os.listdir(hosted.partner_root / "done"))
    assert len(done) == 2 and "F2026-1187.xml" in done  # the second one got a suffix, nothing overwritten
    [doc] = raw_documents(hosted.runtime, f"r-{unique}", 1)
    entry = hosted.runtime.ledger.get(doc.document_id)
    assert entry is not None and entry.deliveries == 2


def test_an_upload_cut_off_midway_never_enters_the_intake(hosted: Hosted) -> None:
    big = hosted.workdir / "big.csv"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    # -l: bandwidth limit in Kbit/s, so the transfer is still running when we kill the client
    proc = subprocess.Popen(
        [*hosted.sftp_args(), "-l", "2000", "-b", "-", "elgrossisten@127.0.0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=hosted.workdir,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(b"put big.csv\n")
    proc.stdin.close()
    wait_for(lambda: any(p.stat().st_size > 0 for p in hosted.staging.iterdir()), timeout_s=20, what="upload")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_for(lambda: not list(hosted.staging.iterdir()), timeout_s=20, what="temp file discarded")

    client = hosted.paramiko_client()  # and a paramiko client whose connection drops before the close
    handle = client.open_sftp().open("half.xml", "wb")
    handle.write(DEMO.read_bytes()[:3000])
    handle.flush()
    client.get_transport().close()  # type: ignore[union-attr]
    wait_for(lambda: not list(hosted.staging.iterdir()), timeout_s=20, what="temp file discarded")

    time.sleep(0.5)
    assert hosted.runtime.ledger.unfinished() == []
    assert os.listdir(hosted.partner_root / "done") == [] and os.listdir(hosted.partner_root / "error") == []


def test_a_wrong_key_or_a_password_is_refused(hosted: Hosted) -> None:
    code, out = hosted.sftp_batch("ls\n", key=hosted.wrong_key)
    assert code != 0 and "Permission denied (publickey)" in out
    with pytest.raises(paramiko.AuthenticationException):
        hosted.paramiko_client(key=hosted.wrong_key)
    transport = paramiko.Transport(("127.0.0.1", hosted.port))
    try:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            transport.auth_password("elgrossisten", "guess")
        assert refused.value.allowed_types == ["publickey"]
    finally:
        transport.close()


def test_paths_are_confined_to_the_partners_own_directory(hosted: Hosted, tmp_path: Path) -> None:
    (hosted.workdir / "a.xml").write_text("<a/>")
    outside = hosted.server.root / "escape.xml"
    code, out = hosted.sftp_batch(
        "-cd ..\n-put a.xml ../escape.xml\n-put a.xml ../../escape.xml\n-get ../../etc/passwd stolen\n"
        "-put a.xml /done/planted.xml\n-mkdir sub\n-symlink /etc/passwd link\n-rename done x\npwd\n"
    )
    assert code == 0, out
    assert "realpath /..: Failure" in out or "Failure" in out
    assert 'dest open "/../escape.xml": Permission denied' in out
    assert 'remote mkdir "/sub": Permission denied' in out
    assert "Remote working directory: /" in out
    assert not outside.exists() and not (hosted.workdir / "stolen").exists()
    assert not (hosted.partner_root / "done" / "planted.xml").exists()
    # a symlink someone placed in done/ is neither listed nor followed
    (hosted.partner_root / "done" / "passwd").symlink_to("/etc/passwd")
    client = hosted.paramiko_client()
    try:
        sftp = client.open_sftp()
        assert sftp.listdir("/done") == []
        with pytest.raises(OSError):
            sftp.open("/done/passwd").read()
        with pytest.raises(PermissionError):
            sftp.listdir("/..")
    finally:
        client.close()
    assert hosted.runtime.ledger.unfinished() == []


def test_a_refused_file_goes_to_error_with_the_reason(tmp_path: Path, bootstrap_servers: str, unique: str) -> None:
    # The intake refuses documents over 1000 bytes; the inbox itself lets the upload finish.
    inbox = start_hosted(tmp_path, bootstrap_servers, unique, inbox_max_bytes=10**6, max_document_bytes=1000)
    try:
        (inbox.workdir / DEMO.name).write_bytes(DEMO.read_bytes())
        code, out = inbox.sftp_batch(f"put {DEMO.name}\nget error/{DEMO.name}.error.txt reason.txt\n")
        assert code == 0, out
        assert (inbox.partner_root / "error" / DEMO.name).read_bytes() == DEMO.read_bytes()
        reason = (inbox.workdir / "reason.txt").read_text()
        assert reason.startswith("error[DOCUMENT_TOO_LARGE]: document exceeds the size limit of 1000 bytes")
    finally:
        inbox.server.close()
        inbox.runtime.close()


def test_an_upload_over_the_limit_is_stopped_while_it_is_written(
    tmp_path: Path, bootstrap_servers: str, unique: str
) -> None:
    inbox = start_hosted(tmp_path, bootstrap_servers, unique, max_document_bytes=1000)
    try:
        (inbox.workdir / DEMO.name).write_bytes(DEMO.read_bytes())
        code, out = inbox.sftp_batch(f"put {DEMO.name}\n")
        assert code != 0, out
        note = inbox.partner_root / "error" / f"{DEMO.name}.error.txt"
        assert "DOCUMENT_TOO_LARGE" in note.read_text()
        assert not (inbox.partner_root / "error" / DEMO.name).exists()
        assert not list(inbox.staging.iterdir()) and inbox.runtime.ledger.unfinished() == []
    finally:
        inbox.server.close()
        inbox.runtime.close()


def test_without_a_broker_ack_the_close_fails_and_a_resend_is_taken(hosted: Hosted, unique: str) -> None:
    dead = Publisher(f"127.0.0.1:{free_port()}", delivery_timeout_s=2)  # nobody listens there
    live, hosted.intake.publisher = hosted.intake.publisher, dead
    (hosted.workdir / DEMO.name).write_bytes(DEMO.read_bytes())
    code, out = hosted.sftp_batch(f"put {DEMO.name}\n")
    assert code != 0 and "close remote" in out, out  # OpenSSH reports the failed close
    client = hosted.paramiko_client()
    try:
        sftp = client.open_sftp()
        # paramiko ignores a failed close, but its put() confirms the upload with a stat, which fails
        with pytest.raises(FileNotFoundError):
            sftp.put(str(DEMO), DEMO.name)
        assert os.listdir(hosted.partner_root / "done") == [] and not list(hosted.staging.iterdir())
        [pending] = hosted.runtime.ledger.unfinished()
        assert pending.state == "received"  # archived, never acknowledged
        hosted.intake.publisher = live  # the broker is back; the partner sends again
        sftp.put(str(DEMO), DEMO.name)
    finally:
        client.close()
        dead.close(timeout_s=0)
    assert os.listdir(hosted.partner_root / "done") == [DEMO.name]
    [doc] = raw_documents(hosted.runtime, f"r-{unique}", 1)
    assert doc.document_id == pending.document_id


def test_a_session_cannot_hold_more_than_a_few_uploads_open(hosted: Hosted) -> None:
    client = hosted.paramiko_client()
    try:
        sftp = client.open_sftp()
        handles = [sftp.open(f"part-{i}.csv", "wb") for i in range(MAX_OPEN_UPLOADS)]
        with pytest.raises(OSError):
            sftp.open("one-too-many.csv", "wb")
        handles[0].write(b"a;b\n")
        handles[0].close()  # taken; that frees a place
        sftp.open("next.csv", "wb").close()
    finally:
        client.close()
    wait_for(lambda: not list(hosted.staging.iterdir()), timeout_s=20, what="open uploads discarded")
    assert sorted(os.listdir(hosted.partner_root / "done")) == ["next.csv", "part-0.csv"]
