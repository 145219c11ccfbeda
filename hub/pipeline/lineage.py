"""Lineage headers of canonical events → the provenance sinks store and fence on."""

from __future__ import annotations

from hub.errors import InvalidValueError, MissingFieldError
from hub.sinks.erp.invoices import Provenance

REQUIRED_HEADERS = (
    "hub.tenant",
    "hub.partner",
    "hub.event_id",
    "hub.document_id",
    "hub.translator",
    "hub.translator.version",
)


def provenance_of(headers: dict[str, str]) -> Provenance:
    missing = [h for h in REQUIRED_HEADERS if not headers.get(h)]
    if missing:
        msg = f"event lacks lineage headers {', '.join(missing)}; it was not produced by the hub's translate stage"
        raise MissingFieldError(msg, location="headers")
    try:
        version = int(headers["hub.translator.version"])
    except ValueError:
        msg = f"hub.translator.version is not an integer: {headers['hub.translator.version']!r}"
        raise InvalidValueError(msg, location="headers") from None
    return Provenance(
        tenant_id=headers["hub.tenant"],
        partner_id=headers["hub.partner"],
        event_id=headers["hub.event_id"],
        source_document_id=headers["hub.document_id"],
        translator=headers["hub.translator"],
        translator_version=version,
    )
