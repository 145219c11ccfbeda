"""Intake on the real broker: publish before acknowledge, dedup by transport id and bytes, tenant scope."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hub.canonical import RawDocument
from hub.canonical.codec import from_dict
from hub.errors import BrokerUnavailableError, UnknownPartnerError
from hub.intake.service import Delivery
from hub.kafka.consumer import read_records
from hub.kafka.embedded import free_port
from hub.kafka.producer import Publisher
from hub.kafka.topics import apply_topics, load_topic_specs
from tests.support import make_runtime, make_settings

pytestmark = pytest.mark.integration
INVOICE = b"<Invoice>pretend</Invoice>"


@pytest.fixture
def runtime(tmp_path: Path, bootstrap_servers: str, unique: str):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, bootstrap_servers=bootstrap_servers, unique=unique)
    rt = make_runtime(settings)
    apply_topics(bootstrap_servers, load_topic_specs(), rt.topics)
    yield rt
    rt.close()


def raw_documents(rt, bootstrap: str, unique: str, expected: int) -> list[RawDocument]:  # type: ignore[no-untyped-def]
    records = read_records(bootstrap, [rt.topics.raw], group_id=f"check-{unique}", idle_s=3, max_records=expected + 1)
    return [from_dict(RawDocument, rt.serde.decode(r.value)[1]) for r in records]


def test_take_archives_publishes_and_records(runtime, bootstrap_servers: str, unique: str) -> None:  # type: ignore[no-untyped-def]
    intake = runtime.intake()
    result = intake.take(io.BytesIO(INVOICE), Delivery("elgrossisten-syd", "sftp", "sftp://x/out/a.xml@1:26", "a.xml"))
    assert not result.duplicate and result.topic == runtime.topics.raw
    assert runtime.archive.read(f"archive://sha256/{result.sha256}") == INVOICE
    assert runtime.ledger.state_of(result.document_id) == "published"
    [raw] = raw_documents(runtime, bootstrap_servers, unique, 1)
    assert (raw.document_id, raw.partner_id, raw.channel, raw.filename) == (
        result.document_id,
        "elgrossisten-syd",
        "sftp",
        "a.xml",
    )
    assert raw.inline_content == INVOICE and raw.size == len(INVOICE)


def test_duplicates_are_acknowledged_but_not_published_again(runtime, bootstrap_servers: str, unique: str) -> None:  # type: ignore[no-untyped-def]
    intake = runtime.intake()
    first = intake.take(io.BytesIO(INVOICE), Delivery("elgrossisten-syd", "sftp", "sftp://x/out/a.xml@1:26", "a.xml"))
    same_transport = intake.take(
        io.BytesIO(b"whatever"), Delivery("elgrossisten-syd", "sftp", "sftp://x/out/a.xml@1:26")
    )
    other_channel = intake.take(io.BytesIO(INVOICE), Delivery("elgrossisten-syd", "upload", filename="copy.xml"))
    assert same_transport.duplicate and other_channel.duplicate
    assert same_transport.document_id == other_channel.document_id == first.document_id
    assert len(raw_documents(runtime, bootstrap_servers, unique, 1)) == 1
    assert runtime.ledger.get(first.document_id).deliveries == 3


def test_two_tenants_forwarding_the_same_file_are_two_documents(runtime, bootstrap_servers: str, unique: str) -> None:  # type: ignore[no-untyped-def]
    intake = runtime.intake()
    a = intake.take(io.BytesIO(INVOICE), Delivery("elgrossisten-syd", "upload", tenant_id="nordstrom"))
    b = intake.take(io.BytesIO(INVOICE), Delivery("elgrossisten-syd", "upload", tenant_id="example-buyer"))
    assert a.document_id != b.document_id and not b.duplicate
    tenants = sorted(r.tenant_id or "" for r in raw_documents(runtime, bootstrap_servers, unique, 2))
    assert tenants == ["example-buyer", "nordstrom"]


def test_unknown_partner_is_refused(runtime) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownPartnerError, match="unknown wholesaler 'nobody' \\(known: elgrossisten-syd, peppol"):
        runtime.intake().take(io.BytesIO(INVOICE), Delivery("nobody", "upload"))


def test_without_broker_ack_nothing_is_acknowledged_and_a_resend_publishes(
    runtime, bootstrap_servers: str, unique: str
) -> None:  # type: ignore[no-untyped-def]
    dead = Publisher(f"127.0.0.1:{free_port()}", delivery_timeout_s=2)  # nobody listens there
    runtime.__dict__["publisher"] = dead
    delivery = Delivery("elgrossisten-syd", "sftp", "sftp://x/out/b.xml@5:26", "b.xml")
    with pytest.raises(BrokerUnavailableError):
        runtime.intake().take(io.BytesIO(INVOICE), delivery)
    [entry] = runtime.ledger.unfinished()
    assert entry.state == "received"  # archived, never acknowledged
    dead.close(timeout_s=0)
    runtime.__dict__.pop("publisher")
    again = runtime.intake().take(io.BytesIO(INVOICE), delivery)  # the partner resends
    assert not again.duplicate and again.document_id == entry.document_id
    assert runtime.ledger.state_of(entry.document_id) == "published"
    assert [r.document_id for r in raw_documents(runtime, bootstrap_servers, unique, 1)] == [entry.document_id]
