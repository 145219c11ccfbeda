from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import fastavro.schema
import pytest

from hub.canonical import InvoiceLine, Party, RawDocument, SupplierInvoice
from hub.canonical.codec import from_dict, to_avro
from hub.canonical.schemas import SchemaStore
from hub.errors import UndecodableRecordError
from hub.kafka.serde import AvroSerde

INVOICE = SupplierInvoice(
    invoice_number="F1",
    kind="CREDIT_NOTE",
    type_code="381",
    issue_date=date(2026, 11, 30),
    currency="SEK",
    seller=Party(name="Elgrossisten Syd AB"),
    buyer=Party(name="Elfirma Nordström AB", party_ids=("10042",)),
    payable_amount=Decimal("1656.25"),
    lines=(
        InvoiceLine(line_id="1", quantity=Decimal("-3"), line_amount=Decimal("-1500"), unit_price=Decimal("12.735")),
    ),
)


def test_single_object_encoding_has_magic_and_fingerprint() -> None:
    store = SchemaStore()
    payload = AvroSerde(store).encode("hub.invoice.v1", "SupplierInvoice", to_avro(INVOICE))
    schema = store.for_record("SupplierInvoice")
    expected = bytes.fromhex(fastavro.schema.fingerprint(schema.canonical_form, "CRC-64-AVRO"))
    assert payload[:2] == b"\xc3\x01"
    assert payload[2:10] == expected


def test_round_trip_keeps_decimals_dates_and_national_characters() -> None:
    serde = AvroSerde(SchemaStore())
    schema, data = serde.decode(serde.encode("t", "SupplierInvoice", to_avro(INVOICE)))
    assert schema.name == "supplier_invoice"
    assert from_dict(SupplierInvoice, data) == INVOICE


def test_raw_document_round_trip_with_inline_bytes() -> None:
    raw = RawDocument(
        document_id="01a24000-0000-7000-8000-000000000000",
        partner_id="p",
        channel="sftp",
        transport_id="t",
        sha256="ab" * 32,
        size=3,
        archive_uri="archive://sha256/" + "ab" * 32,
        received_at=datetime(2026, 12, 4, 7, 12, 30, 123000, tzinfo=UTC),
        inline_content=b"abc",
    )
    serde = AvroSerde(SchemaStore())
    assert from_dict(RawDocument, serde.decode(serde.encode("t", "RawDocument", to_avro(raw)))[1]) == raw


def test_confluent_wire_format_with_registry() -> None:
    serde = AvroSerde(SchemaStore(), registry_url="mock://grossisthub-test")
    payload = serde.encode("hub.invoice.v1", "SupplierInvoice", to_avro(INVOICE))
    assert payload[0:1] == b"\x00"
    schema_id = int.from_bytes(payload[1:5], "big")
    assert schema_id >= 1
    assert from_dict(SupplierInvoice, serde.decode(payload)[1]) == INVOICE


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{json: true}", "not an Avro record"),
        (b"\xc3\x01" + b"\x00" * 8 + b"abc", "unknown writer schema fingerprint"),
    ],
)
def test_garbage_is_a_clear_error(payload: bytes, message: str) -> None:
    with pytest.raises(UndecodableRecordError, match=message):
        AvroSerde(SchemaStore()).decode(payload)


def test_corrupt_body_is_a_clear_error() -> None:
    serde = AvroSerde(SchemaStore())
    payload = serde.encode("t", "SupplierInvoice", to_avro(INVOICE))
    with pytest.raises(UndecodableRecordError, match=r"corrupt Avro body for supplier_invoice/1\.1\.0"):
        serde.decode(payload[:20])


def test_records_written_with_an_older_schema_are_read_with_the_newest() -> None:
    store = SchemaStore()
    [old, *_] = store.versions["supplier_invoice"]
    assert old.version == (1, 0, 0)
    legacy = {k: v for k, v in to_avro(INVOICE).items() if k in {f["name"] for f in old.definition["fields"]}}
    legacy["lines"] = [{k: v for k, v in line.items() if k != "object_id"} for line in legacy["lines"]]
    buffer = io.BytesIO()
    buffer.write(b"\xc3\x01" + old.fingerprint)
    fastavro.schemaless_writer(buffer, old.parsed, legacy)
    schema, data = AvroSerde(store).decode(buffer.getvalue())
    assert schema.version > old.version
    assert from_dict(SupplierInvoice, data) == INVOICE  # new fields take their defaults
