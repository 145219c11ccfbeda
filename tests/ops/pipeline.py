"""The pipeline driven one record at a time on the real broker (what ``hub up`` runs, without its threads)."""

from __future__ import annotations

import io
from typing import Any

from hub.intake.service import Delivery
from hub.kafka.consumer import ConsumedRecord, read_records
from hub.runtime import Runtime
from hub.sinks.erp.queries import list_invoices


class Hub:
    """Intake, translate and ERP sink as ``hub up`` wires them, one record at a time."""

    def __init__(self, rt: Runtime, bootstrap: str, unique: str) -> None:
        self.rt, self.bootstrap, self.unique = rt, bootstrap, unique
        self.reads = 0
        self.sunk: set[tuple[int, int]] = set()

    def read(self, topic: str) -> list[ConsumedRecord]:
        self.reads += 1
        return list(read_records(self.bootstrap, [topic], group_id=f"g{self.reads}-{self.unique}", idle_s=2))

    def take(self, data: bytes, name: str) -> tuple[str, str]:
        document_id = self.rt.intake().take(io.BytesIO(data), Delivery("elgrossisten-syd", "upload", filename=name))
        raw = self.read(self.rt.topics.raw)[-1]
        return document_id.document_id, self.rt.translate_stage().process(raw)

    def sink(self) -> list[tuple[str, str]]:
        """Apply every invoice event not applied yet; returns (invoice key, outcome)."""
        done = []
        for record in self.read(self.rt.topics.invoice):
            if (record.partition, record.offset) not in self.sunk:
                self.sunk.add((record.partition, record.offset))
                done.append(((record.key or b"").decode(), self.rt.sink_stage().process(record)))
        return done

    def erp(self) -> dict[str, dict[str, Any]]:
        return {r["invoice_number"]: r for r in list_invoices(self.rt.erp_engine, with_lines=True)}
