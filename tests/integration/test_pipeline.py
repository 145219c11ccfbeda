"""The translate and sink stages on the real broker and both databases, driven without faust."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from hub.canonical import DeadLetter, SupplierInvoice
from hub.canonical.codec import from_dict
from hub.intake.service import Delivery
from hub.kafka.consumer import ConsumedRecord, read_records
from hub.runtime import Runtime
from hub.sinks.erp.queries import list_invoices
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.integration
DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"


@pytest.fixture
def runtime(runtime_each_erp: Runtime) -> Runtime:
    return runtime_each_erp


def consume(rt: Runtime, topic: str, count: int, group: str) -> list[ConsumedRecord]:
    records = list(read_records(rt.publisher._config["bootstrap.servers"], [topic], group_id=group, max_records=count))
    assert len(records) == count, f"expected {count} record(s) on {topic}, got {len(records)}"
    return records


def take(rt: Runtime, data: bytes, partner: str = "elgrossisten-syd", name: str = "doc.xml") -> str:
    return rt.intake().take(io.BytesIO(data), Delivery(partner, "upload", filename=name)).document_id


def test_invoice_travels_raw_to_erp_with_lineage(runtime: Runtime, unique: str) -> None:
    doc_id = take(runtime, DEMO.read_bytes(), name=DEMO.name)
    [raw] = consume(runtime, runtime.topics.raw, 1, f"r-{unique}")
    assert runtime.translate_stage().process(raw) == "translated"
    [event] = consume(runtime, runtime.topics.invoice, 1, f"i-{unique}")
    assert event.key == b"elgrossisten-syd|F2026-1187"
    assert {
        k: event.headers[k] for k in ("hub.document_id", "hub.tenant", "hub.translator", "hub.translator.version")
    } == {
        "hub.document_id": doc_id.encode(),
        "hub.tenant": b"nordstrom",
        "hub.translator": b"peppol-bis3-invoice",
        "hub.translator.version": b"1",
    }
    assert runtime.sink_stage().process(event) == "inserted"
    assert runtime.sink_stage().process(event) == "unchanged"  # redelivery of the same event
    [row] = list_invoices(runtime.erp_engine, tenant_id="nordstrom", with_lines=True)
    assert (row["invoice_number"], row["payable_amount"], row["line_count"]) == ("F2026-1187", Decimal("2737"), 3)
    assert row["buyer_reference"] == "Projekt 19271 Kalle"
    assert runtime.ledger.state_of(doc_id) == "sunk"
    # replaying the raw record produces the same event id and leaves the ERP unchanged
    assert runtime.translate_stage().process(raw) == "translated"
    events = consume(runtime, runtime.topics.invoice, 2, f"i2-{unique}")
    assert len({e.headers["hub.event_id"] for e in events}) == 1
    assert runtime.sink_stage().process(events[1]) == "unchanged"
    assert len(list_invoices(runtime.erp_engine)) == 1


@pytest.mark.parametrize(
    ("data", "partner", "code", "stage", "message", "location"),
    [
        (b"Hello, this is not an invoice\n", "elgrossisten-syd", "UNKNOWN_FORMAT", "parse", "not a format", None),
        # a half-written file: the first 2 000 bytes of a real invoice
        (DEMO.read_bytes()[:2000], "elgrossisten-syd", "PARSE_ERROR", "parse", "not well-formed", "line 43"),
    ],
)
def test_bad_documents_are_dead_lettered_and_kept(
    runtime: Runtime, unique: str, data: bytes, partner: str, code: str, stage: str, message: str, location: str | None
) -> None:
    doc_id = take(runtime, data, partner, "bad.xml")
    [raw] = consume(runtime, runtime.topics.raw, 1, f"r-{unique}")
    assert runtime.translate_stage().process(raw) == "dead_lettered"
    [dlq] = consume(runtime, runtime.topics.dlq, 1, f"d-{unique}")
    letter = from_dict(DeadLetter, runtime.serde.decode(dlq.value)[1])  # type: ignore[arg-type]
    assert (letter.code, letter.stage, letter.document_id, letter.filename) == (code, stage, doc_id, "bad.xml")
    assert message in letter.message
    assert location is None or (letter.location or "").startswith(location)
    assert letter.original_value == raw.value and dlq.key == raw.key
    assert dlq.headers["hub.error.code"] == code.encode()
    assert runtime.ledger.state_of(doc_id) == "dead_lettered"
    assert runtime.archive.read(runtime.ledger.get(doc_id).archive_uri) == data  # type: ignore[union-attr]
    assert list_invoices(runtime.erp_engine) == []


def test_unknown_buyer_and_foreign_seller_are_dead_lettered(runtime: Runtime, unique: str, corpus: Path) -> None:
    base = (corpus / "peppol-bis-billing3" / "examples__base-example.xml").read_bytes()
    unknown_buyer = base.replace(b"FR23342", b"FR99999")
    take(runtime, unknown_buyer, "peppol-examples", "unknown-buyer.xml")
    take(runtime, base, "elgrossisten-syd", "not-from-elgrossisten.xml")  # seller is a UK company
    raws = consume(runtime, runtime.topics.raw, 2, f"r-{unique}")
    assert [runtime.translate_stage().process(r) for r in raws] == ["dead_lettered", "dead_lettered"]
    letters = [
        from_dict(DeadLetter, runtime.serde.decode(r.value)[1])
        for r in consume(runtime, runtime.topics.dlq, 2, f"d-{unique}")
    ]  # type: ignore[arg-type]
    by_code = {letter.code: letter for letter in letters}
    assert set(by_code) == {"UNKNOWN_BUYER", "PARTNER_MISMATCH"}
    assert "buyer 'Buyer Official Name' matches no tenant" in by_code["UNKNOWN_BUYER"].message
    assert "endpoint id 0002:FR99999" in by_code["UNKNOWN_BUYER"].message
    assert "is not wholesaler 'elgrossisten-syd'" in by_code["PARTNER_MISMATCH"].message


def test_official_example_reaches_its_tenant(runtime: Runtime, unique: str, corpus: Path) -> None:
    take(runtime, (corpus / "peppol-bis-billing3" / "examples__base-example.xml").read_bytes(), "peppol-examples")
    [raw] = consume(runtime, runtime.topics.raw, 1, f"r-{unique}")
    assert runtime.translate_stage().process(raw) == "translated"
    [event] = consume(runtime, runtime.topics.invoice, 1, f"i-{unique}")
    invoice = from_dict(SupplierInvoice, runtime.serde.decode(event.value)[1])  # type: ignore[arg-type]
    assert (invoice.invoice_number, invoice.payable_amount, len(invoice.lines)) == ("Snippet1", Decimal("1656.25"), 2)
    assert runtime.sink_stage().process(event) == "inserted"
    [row] = list_invoices(runtime.erp_engine, tenant_id="example-buyer")
    assert row["payable_amount"] == Decimal("1656.25")
