"""The AS2 receiver over HTTP on a real runtime: archive first, dedup, limits, publish-then-acknowledge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.kafka.consumer import read_records
from hub.kafka.embedded import EmbeddedBroker
from hub.kafka.topics import apply_topics, load_topic_specs
from tests.as2.conftest import HUB_ID, As2Hub, Pki, make_hub, partner_profile, station
from tests.as2.messages import build, parse_mdn, post

pytestmark = pytest.mark.integration


def raw_count(hub: As2Hub) -> int:
    servers = hub.runtime.publisher._config["bootstrap.servers"]
    return len(list(read_records(servers, [hub.runtime.topics.raw], group_id=f"c-{hub.unique}-{id(hub)}", idle_s=2)))


def test_same_message_id_after_success_gets_the_same_mdn_and_nothing_is_published_again(hub: As2Hub, pki: Pki) -> None:
    built = build(pki.partner, pki.hub)
    first = post(hub.url, built)
    assert parse_mdn(first, built, pki.hub)[:2] == ("processed", None)
    second = post(hub.url, built)
    assert second.status_code == 200 and second.content == first.content  # byte for byte the same MDN
    assert second.headers["message-id"] == first.headers["message-id"]
    rows = hub.store.rows()
    assert [r["state"] for r in rows] == ["processed", "processed"] and rows[0]["document_id"] == rows[1]["document_id"]
    assert rows[1]["reason"] == f"duplicate of {rows[0]['id']}"
    assert raw_count(hub) == 1


def test_raw_message_is_archived_before_any_check(hub: As2Hub, pki: Pki) -> None:
    built = build(pki.wrong, pki.hub)  # fails the signature check
    response = post(hub.url, built)
    assert parse_mdn(response, built, pki.hub)[:2] == ("processed/error", "authentication-failed")
    [row] = hub.store.rows()
    assert row["state"] == "failed" and "verify" in row["reason"]
    archive = hub.runtime.archive
    assert archive.read(row["body_uri"]) == built.body
    assert f"message-id: <{built.message.message_id}>".encode() in archive.read(row["headers_uri"]).lower()


def test_unknown_trading_partner_gets_an_mdn_saying_so(hub: As2Hub, pki: Pki) -> None:
    for as2_from, as2_to in (("stranger", HUB_ID), ("elgrossisten-as2", "somebody-else")):
        built = build(pki.partner, pki.hub, as2_from=as2_from, as2_to=as2_to)
        response = post(hub.url, built)
        assert b"processed/error: unknown-trading-partner" in response.content
    assert [r["state"] for r in hub.store.rows()] == ["failed", "failed"]


def test_size_limit_gives_a_clear_error_mdn(hub_factory: Any, pki: Pki) -> None:
    hub = hub_factory(max_message_bytes=4096)
    built = build(pki.partner, pki.hub, payload=b"<x>" + b"a" * 10_000 + b"</x>")
    response = post(hub.url, built)
    status, detail, _ = parse_mdn(response, built, pki.hub)
    assert (status, detail) == ("processed/error", "unexpected-processing-error")
    assert b"exceeds 4096" in response.content
    [row] = hub.store.rows()
    assert (row["state"], row["body_uri"], row["size"] > 4096) == ("failed", None, True)


def test_async_mdn_is_retried_with_backoff_until_the_partner_takes_it(hub_factory: Any, pki: Pki) -> None:
    hub = hub_factory(profile=partner_profile(pki))
    calls: list[str] = []

    def flaky(url: str, headers: list[tuple[str, str]], body: bytes, timeout: float) -> int:
        calls.append(url)
        return 503 if len(calls) < 3 else 200

    hub.service.sender.post = flaky
    built = build(pki.partner, pki.hub, mdn="ASYNC", mdn_url="http://127.0.0.1:9/mdn")
    response = post(hub.url, built)
    assert response.status_code == 200 and b"MDN follows" in response.content

    def sent() -> bool:
        return hub.store.outbox_rows()[0]["state"] == "sent"

    from tests.support import wait_for

    wait_for(sent, timeout_s=20, what="async MDN delivered")
    [row] = hub.store.outbox_rows()
    assert row["attempts"] == 3 and len(calls) == 3


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log")
    broker.start()
    yield broker
    broker.stop()


def test_no_mdn_until_the_broker_acked_and_the_resend_is_processed(
    tmp_path: Path, own_broker: EmbeddedBroker, unique: str, pki: Pki
) -> None:
    hub = make_hub(
        tmp_path, own_broker.bootstrap_servers, unique, profile=partner_profile(pki), station_cfg=station(pki)
    )
    try:
        own_broker.stop()
        built = build(pki.partner, pki.hub)
        refused = post(hub.url, built)
        assert refused.status_code == 503 and b"BROKER_UNAVAILABLE" in refused.content  # no MDN at all
        [pending] = hub.runtime.ledger.unfinished()
        assert pending.state == "received" and pending.transport_id == built.message.message_id

        own_broker.start()
        apply_topics(own_broker.bootstrap_servers, load_topic_specs(), hub.runtime.topics)
        accepted = post(hub.url, built)  # the partner resends the same message
        assert parse_mdn(accepted, built, pki.hub)[:2] == ("processed", None)
        assert hub.runtime.ledger.state_of(pending.document_id) == "published"
        assert [r["state"] for r in hub.store.rows()] == ["transient", "processed"]
    finally:
        hub.service.stop()
        hub.runtime.close()


def test_get_describes_the_endpoint(hub: As2Hub) -> None:
    assert "POST AS2 messages" in httpx.get(hub.url, timeout=5).text
