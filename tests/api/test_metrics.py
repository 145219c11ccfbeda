"""/metrics on the real broker and PostgreSQL: every counter moves by exactly the number of documents sent,
and the consumer lag (computed from the ledger, not from the broker's watermarks) follows the pipeline."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hub.api import create_app
from hub.intake.service import Delivery
from hub.kafka.consumer import read_records
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.runtime import Runtime
from tests.api.conftest import build_runtime
from tests.api.seed import DEMO, PARTNER

Sample = tuple[str, tuple[tuple[str, str], ...]]


@pytest.fixture
def pipeline(tmp_path: Path, unique: str, postgres_url: str, bootstrap_servers: str) -> Iterator[Runtime]:
    rt = build_runtime(tmp_path, unique, postgres_url, bootstrap_servers)
    apply_topics(bootstrap_servers, load_topic_specs(), rt.topics)
    yield rt
    rt.close()


def scrape(client: TestClient) -> dict[Sample, float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def delta(before: dict[Sample, float], after: dict[Sample, float], name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def send(rt: Runtime, data: bytes, name: str) -> None:
    intake = rt.intake()
    result = intake.take(io.BytesIO(data), Delivery(PARTNER, "upload", filename=name))
    intake.acknowledged(result)  # what a connector does after the broker ack


def test_counters_move_by_exactly_the_documents_sent(pipeline: Runtime, unique: str) -> None:
    rt = pipeline
    client = TestClient(create_app(rt))
    before = scrape(client)
    invoices = [DEMO.read_bytes().replace(b"F2026-1187", f"M{unique}-{i}".encode()) for i in range(3)]
    for i, data in enumerate(invoices):
        send(rt, data, f"invoice-{i}.xml")
    send(rt, b"this is not an invoice\n", "junk.txt")
    send(rt, invoices[0], "invoice-0-again.xml")  # a duplicate delivery: acknowledged, nothing published

    queued = scrape(client)
    received = {"partner": PARTNER, "channel": "upload"}
    assert delta(before, queued, "hub_documents_received_total", **received) == 5
    assert delta(before, queued, "hub_duplicate_deliveries_total", **received) == 1
    assert delta(before, queued, "hub_documents_acknowledged_total", **received) == 5
    assert lag(queued, "translate", rt.topics.raw) == 4
    assert queued[("hub_consumer_lag_oldest_seconds", (("stage", "translate"), ("topic", rt.topics.raw)))] >= 0

    raws = list(read_records(rt.bootstrap_servers or "", [rt.topics.raw], group_id=f"m-{unique}", max_records=4))
    assert sorted(rt.translate_stage().process(r) for r in raws) == ["dead_lettered", *["translated"] * 3]
    translated = scrape(client)
    assert delta(before, translated, "hub_documents_translated_total", partner=PARTNER,
                 translator="peppol-bis3-invoice@1") == 3  # fmt: skip
    assert delta(before, translated, "hub_dead_letters_total", code="UNKNOWN_FORMAT", stage="parse") == 1
    assert delta(before, translated, "hub_processing_seconds_count", stage="translate") == 4
    assert lag(translated, "translate", rt.topics.raw) == 0
    assert lag(translated, "sink", rt.topics.invoice) == 3

    events = list(read_records(rt.bootstrap_servers or "", [rt.topics.invoice], group_id=f"i-{unique}", max_records=3))
    assert [rt.sink_stage().process(e) for e in events] == ["inserted"] * 3
    sunk = scrape(client)
    assert delta(before, sunk, "hub_sink_rows_written_total", sink="erp_invoice", outcome="inserted") == 3
    assert delta(before, sunk, "hub_processing_seconds_count", stage="sink-erp") == 3
    assert lag(sunk, "sink", rt.topics.invoice) == 0
    assert sunk[("hub_ledger_scrape_ok", ())] == 1


def lag(samples: dict[Sample, float], stage: str, topic: str) -> float:
    return samples.get(("hub_consumer_lag_records", (("stage", stage), ("topic", topic))), 0.0)
