"""Publish, then acknowledge — proven with the broker stopped; and recovery after the bundled broker restarts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.cli.up import _prepare
from hub.connectors.sftp import SftpPoller
from hub.errors import BrokerUnavailableError
from hub.intake.service import Delivery
from hub.kafka.consumer import read_records
from hub.kafka.embedded import EmbeddedBroker
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.sinks.erp.queries import list_invoices
from tests.conftest import EXAMPLES
from tests.services.sshd import SftpServer
from tests.support import make_runtime, make_settings, sftp_block

pytestmark = pytest.mark.integration
DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log")
    broker.start()
    yield broker
    broker.stop()


def test_remote_file_is_moved_only_after_the_broker_acked(
    tmp_path: Path, sftp_inbox: SftpServer, broker: EmbeddedBroker, unique: str
) -> None:
    block = sftp_block(
        host=sftp_inbox.host, port=sftp_inbox.port, username=sftp_inbox.username, key=sftp_inbox.private_key_file,
        host_key=sftp_inbox.host_key, remote_dir=sftp_inbox.remote_dir,
    )  # fmt: skip
    settings = make_settings(
        tmp_path, bootstrap_servers=broker.bootstrap_servers, unique=unique, sftp=block, kafka_delivery_timeout_s=3
    )
    runtime = make_runtime(settings)
    apply_topics(broker.bootstrap_servers, load_topic_specs(), runtime.topics)
    wholesaler = runtime.partners.wholesaler("elgrossisten-syd")
    assert wholesaler is not None
    poller = SftpPoller(wholesaler, runtime.intake())

    broker.stop()
    sftp_inbox.drop_file("F2026-1187.xml", DEMO.read_bytes())
    assert poller.poll_once() == 0  # first sight: not yet known to be stable
    time.sleep(0.4)
    with pytest.raises(BrokerUnavailableError):
        poller.poll_once()
    assert (sftp_inbox.local_dir / "F2026-1187.xml").exists()
    assert not (sftp_inbox.local_dir / "done").exists()
    [pending] = runtime.ledger.unfinished()
    assert (pending.state, pending.filename) == ("received", "F2026-1187.xml")

    broker.start()  # same port; the bundled broker lost its topics, a real one would have kept them
    apply_topics(broker.bootstrap_servers, load_topic_specs(), runtime.topics)
    assert poller.poll_once() == 1
    assert (sftp_inbox.local_dir / "done" / "F2026-1187.xml").exists()
    assert runtime.ledger.state_of(pending.document_id) == "published"
    assert runtime.ledger.get(pending.document_id).acknowledged_at is not None  # type: ignore[union-attr]
    [raw] = read_records(broker.bootstrap_servers, [runtime.topics.raw], group_id=f"g-{unique}", max_records=1)
    assert raw.headers["hub.document_id"] == pending.document_id.encode()
    runtime.close()


def test_unfinished_documents_are_published_again_after_a_broker_restart(
    tmp_path: Path, broker: EmbeddedBroker, unique: str
) -> None:
    settings = make_settings(tmp_path, bootstrap_servers=broker.bootstrap_servers, unique=unique)
    before = make_runtime(settings)
    apply_topics(broker.bootstrap_servers, load_topic_specs(), before.topics)
    with DEMO.open("rb") as handle:
        taken = before.intake().take(handle, Delivery("elgrossisten-syd", "upload", filename=DEMO.name))
    before.close()
    broker.stop()  # the bundled broker forgets the published RawDocument before anyone translated it

    broker.start()
    after = make_runtime(settings.model_copy(update={"bootstrap_servers": broker.bootstrap_servers}))
    after.bootstrap_servers = broker.bootstrap_servers
    _prepare(after, broker.bootstrap_servers, republish_all=True)
    [raw] = read_records(broker.bootstrap_servers, [after.topics.raw], group_id=f"r-{unique}", max_records=1)
    assert raw.headers["hub.document_id"] == taken.document_id.encode()
    assert after.translate_stage().process(raw) == "translated"
    [event] = read_records(broker.bootstrap_servers, [after.topics.invoice], group_id=f"i-{unique}", max_records=1)
    assert after.sink_stage().process(event) == "inserted"
    assert after.ledger.state_of(taken.document_id) == "sunk"
    assert after.ledger.unfinished() == []  # a second restart publishes nothing
    assert [r["invoice_number"] for r in list_invoices(after.erp_engine)] == ["F2026-1187"]
    after.close()


def test_with_a_durable_broker_only_unacknowledged_documents_are_published_again(
    tmp_path: Path, broker: EmbeddedBroker, unique: str
) -> None:
    settings = make_settings(tmp_path, bootstrap_servers=broker.bootstrap_servers, unique=unique)
    runtime = make_runtime(settings)
    apply_topics(broker.bootstrap_servers, load_topic_specs(), runtime.topics)
    with DEMO.open("rb") as handle:
        runtime.intake().take(handle, Delivery("elgrossisten-syd", "upload", filename=DEMO.name))
    _prepare(runtime, broker.bootstrap_servers, republish_all=False)
    records = list(read_records(broker.bootstrap_servers, [runtime.topics.raw], group_id=f"r-{unique}", idle_s=2))
    assert len(records) == 1  # the published document was not sent a second time
    runtime.close()
