"""Avro serialization of canonical records.

Two wire formats:

* **Confluent Schema Registry** (``HUB_SCHEMA_REGISTRY_URL`` set): magic byte 0, 4-byte schema id,
  Avro binary; subjects follow the TopicNameStrategy (``<topic>-value``).
* **Avro single-object encoding** (no registry): ``C3 01``, the 8-byte CRC-64-AVRO fingerprint of
  the writer schema (little-endian), Avro binary. Any consumer holding our ``schemas/`` files can
  identify the writer schema without a registry.

Decoding always resolves the writer schema against the newest reader schema of the same name,
so consumers read records written by older producers (backward compatibility).

Prices (the bulk path, a million per large list) take a specialised codec instead of fastavro when it
implements the newest ``price`` schema (:mod:`hub.kafka.price_codec`): :meth:`AvroSerde.price_encoder`
writes them and :meth:`AvroSerde.decode` reads single-object payloads of that schema — same bytes, same
values, several times faster. Everything else, and prices under a registry, takes the generic path.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable
from datetime import date
from typing import Any

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from hub.canonical.pricelist import Price
from hub.canonical.schemas import SchemaStore, SchemaVersion
from hub.errors import UndecodableRecordError
from hub.kafka import price_codec

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"


class AvroSerde:
    def __init__(self, store: SchemaStore, registry_url: str | None = None) -> None:
        self.store = store
        self._registry = SchemaRegistryClient.new_client({"url": registry_url}) if registry_url else None
        self._ids: dict[tuple[str, str], int] = {}
        self._by_id: dict[int, Any] = {}
        self._price = _fast_price_schema(store)  # the newest price schema, when the fast codec implements it
        self._price_decoder = price_codec.PriceDecoder()

    def encode(self, topic: str, record_type: str, data: dict[str, Any]) -> bytes:
        schema = self.store.for_record(record_type)
        buffer = io.BytesIO()
        buffer.write(self._header(topic, schema))
        fastavro.schemaless_writer(buffer, schema.parsed, data)
        return buffer.getvalue()

    def price_encoder(
        self, topic: str, version_id: str, wholesaler_id: str, scope: str, valid_from: date
    ) -> Callable[[Price], bytes]:
        """The payload writer for the prices of one price-list version (which stamps its four fields on each):
        the fast codec with the single-object header, or — under a registry, or for a price schema the codec
        does not implement — the generic :meth:`encode` of the ``price_avro`` dict."""
        if self._registry is None and self._price is not None:
            header = SINGLE_OBJECT_MAGIC + self._price.fingerprint
            return price_codec.PriceEncoder(version_id, wholesaler_id, scope, valid_from, header=header).encode
        from hub.pipeline.pricelists import price_avro  # the pipeline imports this module: import when needed

        def encode(price: Price) -> bytes:
            return self.encode(topic, Price.TYPE, price_avro(price, version_id, wholesaler_id, scope, valid_from))

        return encode

    def decode(self, payload: bytes) -> tuple[SchemaVersion, dict[str, Any]]:
        """Return the reader schema used and the record as a dict."""
        if self._price is not None and payload[2:10] == price_codec.FINGERPRINT and payload[:2] == SINGLE_OBJECT_MAGIC:
            return self._price, self._decode_price(payload)
        if payload[:2] == SINGLE_OBJECT_MAGIC and len(payload) >= 10:
            writer = self.store.by_fingerprint(payload[2:10])
            if writer is None:
                msg = f"unknown writer schema fingerprint {payload[2:10].hex()}"
                raise UndecodableRecordError(msg)
            latest = self.store.latest(writer.name)
            if latest is writer:  # same version: no schema resolution needed (much faster on the bulk path)
                return self._read(payload[10:], writer.parsed, None, latest)
            return self._read(payload[10:], writer.parsed, latest.parsed, latest)
        if payload[:1] == CONFLUENT_MAGIC and len(payload) >= 5 and self._registry is not None:
            (schema_id,) = struct.unpack(">I", payload[1:5])
            writer_parsed, name = self._writer_by_id(schema_id)
            latest = self.store.latest(name)
            return self._read(payload[5:], writer_parsed, latest.parsed, latest)
        msg = "not an Avro record this hub can read (no single-object or registry header)"
        raise UndecodableRecordError(msg)

    def _decode_price(self, payload: bytes) -> dict[str, Any]:
        try:
            return self._price_decoder.decode(payload, 10)
        except UndecodableRecordError as exc:
            assert self._price is not None
            raise UndecodableRecordError(f"corrupt Avro body for {self._price.label}: {exc}") from None

    def _header(self, topic: str, schema: SchemaVersion) -> bytes:
        if self._registry is None:
            return SINGLE_OBJECT_MAGIC + schema.fingerprint
        key = (f"{topic}-value", schema.label)
        if key not in self._ids:
            self._ids[key] = self._registry.register_schema(key[0], Schema(json.dumps(schema.definition), "AVRO"))
        return CONFLUENT_MAGIC + struct.pack(">I", self._ids[key])

    def _writer_by_id(self, schema_id: int) -> tuple[Any, str]:
        if schema_id not in self._by_id:
            assert self._registry is not None
            schema_str = self._registry.get_schema(schema_id).schema_str
            if schema_str is None:
                raise UndecodableRecordError(f"schema id {schema_id} has no definition in the registry")
            definition = json.loads(schema_str)
            name = _dir_name(definition, self.store)
            self._by_id[schema_id] = (fastavro.parse_schema(definition), name)
        return self._by_id[schema_id]  # type: ignore[no-any-return]

    @staticmethod
    def _read(body: bytes, writer: Any, reader: Any, version: SchemaVersion) -> tuple[SchemaVersion, dict[str, Any]]:
        try:
            record = fastavro.schemaless_reader(io.BytesIO(body), writer, reader)
        except Exception as exc:  # fastavro raises many types for corrupt input
            raise UndecodableRecordError(f"corrupt Avro body for {version.label}: {exc}") from None
        return version, record  # type: ignore[return-value]


def _fast_price_schema(store: SchemaStore) -> SchemaVersion | None:
    chain = store.versions.get("price")
    return chain[-1] if chain and price_codec.supports(chain[-1]) else None


def _dir_name(definition: dict[str, Any], store: SchemaStore) -> str:
    full = f"{definition.get('namespace', '')}.{definition['name']}".strip(".")
    for name, chain in store.versions.items():
        latest = chain[-1].definition
        if f"{latest.get('namespace', '')}.{latest['name']}".strip(".") == full:
            return name
    msg = f"registry schema {full} matches no local schema"
    raise UndecodableRecordError(msg)
