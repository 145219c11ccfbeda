"""``hub replay --dry-run``: what today's translators would make of a document, compared with the ERP.

Nothing is published and nothing is written (the audit record of the dry run aside). Invoices are compared
field by field with what the ERP holds for the source document, and the sink's own decision function
predicts what would happen (updated, unchanged, protected because approved, …). Price lists and discount
letters are compared by counts with the catalog versions of the document.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select

from hub.archive import ArchivedObject
from hub.canonical.codec import from_dict, to_avro
from hub.canonical.invoice import SupplierInvoice
from hub.canonical.pricelist import DiscountAgreement, Price, PriceListVersion
from hub.errors import DocumentError, InvalidValueError
from hub.formats.base import FailedRecord, Translator, TranslatorId
from hub.formats.registry import select as select_translator
from hub.formats.sniff import HEAD_SIZE, sniff
from hub.ops.diff import RecordDiff, canonical_invoice_fields, diff_fields, erp_invoice_fields
from hub.ops.erp_reads import (
    agreements_of_document,
    invoice_by_key,
    invoices_of_document,
    price_versions_of_document,
)
from hub.ops.rawdoc import raw_document
from hub.ops.selection import DocumentRow
from hub.pipeline.translate import OutgoingEvent, Translated, bulk_context, translate_document
from hub.runtime import Runtime
from hub.sinks.erp.invoices import Provenance, Stored, content_hash, decide
from hub.sinks.erp.tables import supplier_invoice_conflict

BULK_TYPES = (Price.TYPE, DiscountAgreement.TYPE)


@dataclass(frozen=True, slots=True)
class DocumentPreview:
    document: DocumentRow
    translator: str | None  # name@version that would translate it today
    outcome: str  # translate | dead_letter
    records: list[RecordDiff] = field(default_factory=list)
    error: str | None = None  # why it would be dead-lettered (whole document or some records)


class DryRun:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    def preview(self, row: DocumentRow) -> DocumentPreview:
        raw = raw_document(row.entry)
        translator: Translator | None = None
        try:
            translator = self._translator(raw.partner_id, raw.format_hint, raw.archive_uri)
            if translator.record_type in BULK_TYPES:
                return self._bulk(row, translator)
            result = translate_document(
                raw,
                self._load(raw.archive_uri, raw.sha256),
                partners=self.rt.partners,
                topics=self.rt.topics,
                max_xml_bytes=self.rt.settings.max_xml_bytes,
                validation=self.rt.validation,
            )
        except DocumentError as exc:
            name = exc.translator or (str(translator.id) if translator else None)
            return DocumentPreview(row, name, "dead_letter", error=exc.render())
        return self._compare(row, result)

    def _translator(self, partner_id: str, hint: str | None, uri: str) -> Translator:
        wholesaler = self.rt.partners.wholesaler(partner_id)
        if wholesaler is None:
            raise InvalidValueError(f"wholesaler {partner_id!r} is not in the partners file (any more)")
        with self.rt.archive.open(uri) as handle:
            head = handle.read(HEAD_SIZE)
        return select_translator(sniff(head), format_hint=hint, allowed=wholesaler.formats)

    def _load(self, uri: str, sha256: str) -> bytes:
        data = self.rt.archive.read(uri)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise InvalidValueError(f"archived bytes of {uri} do not match their SHA-256; the archive is damaged")
        return data

    # -- invoices and other single records --------------------------------------------------------------
    def _compare(self, row: DocumentRow, result: Translated) -> DocumentPreview:
        uris = {e.sha256: ArchivedObject(e.sha256, len(e.content)).uri for e in result.embedded}
        records = [self._record(row, ev, result.translator, uris) for ev in result.events]
        problems = [f"{f.reference}: {f.error.render()}" for f in result.failures]
        outcome = "dead_letter" if problems and not records else "translate"
        return DocumentPreview(row, str(result.translator), outcome, records, "; ".join(problems) or None)

    def _record(self, row: DocumentRow, ev: OutgoingEvent, tid: TranslatorId, uris: dict[str, str]) -> RecordDiff:
        if not isinstance(ev.record, SupplierInvoice):
            return RecordDiff(f"{ev.record_type} {ev.subject}", "publish", note="compared only for invoices")
        invoice = self._as_sunk(ev, uris)
        prov = Provenance(ev.tenant_id, row.entry.partner_id, ev.event_id, row.document_id, tid.name, tid.version)
        stored = self._stored(row.document_id, invoice, prov)
        label = f"invoice {invoice.invoice_number}" + (" (credit note)" if invoice.kind == "CREDIT_NOTE" else "")
        if stored is None:
            return RecordDiff(label, "inserted", note=f"not in the ERP yet (payable {invoice.payable_amount})")
        outcome = self._outcome(stored, invoice, prov)
        changes = diff_fields(erp_invoice_fields(stored), canonical_invoice_fields(invoice))
        return RecordDiff(label, outcome, changes, _note(outcome, stored))

    def _as_sunk(self, ev: OutgoingEvent, uris: dict[str, str]) -> SupplierInvoice:
        """The invoice exactly as the sink will see it: archive URIs filled in, through the Avro round trip."""
        record = cast(SupplierInvoice, ev.record)
        if record.attachments and uris:
            attachments = tuple(
                dataclasses.replace(a, archive_uri=uris.get(a.sha256 or "", a.archive_uri)) for a in record.attachments
            )
            record = dataclasses.replace(record, attachments=attachments)
        payload = self.rt.serde.encode(ev.topic, ev.record_type, to_avro(record))
        return from_dict(SupplierInvoice, self.rt.serde.decode(payload)[1])

    def _stored(self, document_id: str, invoice: SupplierInvoice, prov: Provenance) -> dict[str, Any] | None:
        erp = self.rt.erp_engine
        for row in invoices_of_document(erp, document_id):
            if (row["invoice_number"], row["kind"]) == (invoice.invoice_number, invoice.kind):
                return row
        return invoice_by_key(erp, prov.tenant_id, prov.partner_id, invoice.invoice_number, invoice.kind)

    def _outcome(self, row: dict[str, Any], invoice: SupplierInvoice, prov: Provenance) -> str:
        digest = content_hash(invoice)
        stored = Stored(
            row["id"], row["source_document_id"], row["translator_version"], row["content_hash"], row["erp_status"]
        )
        outcome = decide(stored, digest, prov)
        if outcome in ("conflict", "protected") and self._flagged(row["id"], digest):
            return "already_flagged"
        return outcome

    def _flagged(self, invoice_id: int, digest: str) -> bool:
        c = supplier_invoice_conflict.c
        query = select(c.id).where(c.invoice_id == invoice_id, c.content_hash == digest)
        with self.rt.erp_engine.connect() as conn:
            return conn.scalar(query) is not None

    # -- price lists and discount letters ---------------------------------------------------------------
    def _bulk(self, row: DocumentRow, translator: Translator) -> DocumentPreview:
        raw = raw_document(row.entry)
        wholesaler = self.rt.partners.wholesaler(raw.partner_id)
        assert wholesaler is not None  # checked when the translator was selected
        context = bulk_context(raw, wholesaler, self.rt.partners, self.rt.settings.max_xml_bytes)
        with self.rt.archive.open(raw.archive_uri) as stream:
            try:
                counted = list(_count_versions(translator.translate(stream, context)))
            except DocumentError as exc:
                return DocumentPreview(row, str(translator.id), "dead_letter", error=exc.render())
        if translator.record_type == DiscountAgreement.TYPE:
            stored = agreements_of_document(self.rt.erp_engine, row.document_id)
            note = "agreements are stored once per (deterministic) id: a replay does not change a stored one"
            records = [RecordDiff("discount agreement", "unchanged" if stored else "inserted", note=note)]
            return DocumentPreview(row, str(translator.id), "translate", records)
        old = sorted(price_versions_of_document(self.rt.erp_engine, row.document_id), key=lambda v: v["announced_at"])
        records = [self._version_diff(i, new, old) for i, new in enumerate(counted)]
        return DocumentPreview(row, str(translator.id), "translate", records)

    def _version_diff(self, index: int, new: dict[str, Any], old: list[dict[str, Any]]) -> RecordDiff:
        ratio = self.rt.settings.price_list_reject_ratio
        total = new["article_count"] + new["failed_lines"]
        rejected = new["rejected"] or (total > 0 and new["failed_lines"] / total > ratio)
        new = {**new, "status": "REJECTED" if rejected else "COMPLETE"}
        label = f"price list version valid from {new['valid_from']}"
        if index >= len(old):
            return RecordDiff(label, "inserted", note="the catalog has no version of this document yet")
        stored = {k: old[index].get(k) for k in ("article_count", "failed_lines", "status")}
        changes = diff_fields(stored, {k: new[k] for k in stored})
        note = (
            f"catalog version {old[index]['version_id']} is kept as it is: a replay re-publishes the same version id "
            "and the catalog applies a version only once"
        )
        return RecordDiff(label, "unchanged" if not changes else "not_applied", changes, note)


def _count_versions(items: Iterator[object]) -> Iterator[dict[str, Any]]:
    current: dict[str, Any] | None = None
    for item in items:
        if isinstance(item, PriceListVersion) and item.status == "ANNOUNCED":
            current = {"valid_from": item.valid_from.isoformat(), "article_count": 0, "failed_lines": 0}
        elif isinstance(item, PriceListVersion) and current is not None:
            yield current | {"rejected": item.status == "REJECTED"}  # closed REJECTED by the translator
            current = None
        elif isinstance(item, Price) and current is not None:
            current["article_count"] += 1
        elif isinstance(item, FailedRecord) and current is not None:
            current["failed_lines"] += 1


def _note(outcome: str, stored: dict[str, Any]) -> str | None:
    notes = {
        "protected": f"the ERP {stored['erp_status']} it: it will be flagged as needing attention, not overwritten",
        "already_flagged": "this correction was flagged before; nothing new would happen",
        "ignored_older": f"the ERP holds output of a newer translator (version {stored['translator_version']})",
        "conflict": f"the ERP holds this invoice from another document ({stored['source_document_id']})",
        "duplicate": f"the ERP holds the same invoice from another document ({stored['source_document_id']})",
    }
    return notes.get(outcome)
