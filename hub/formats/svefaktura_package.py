"""The Svefaktura 1.0 document package: the ``Invoice`` and the ``ObjectEnvelope`` documents that carry its attachments.

Owns how a Svefaktura arrives and how its attachments are found. SFTI keeps attachments out of the invoice:
an ``ObjectEnvelope`` (``urn:sfti:documents:ObjectEnvelope:1:0``; ``DocumentReference``, ``CreationDateTime``,
one or more ``EncodedObject`` with ``ObjectID`` and base64 ``EncodedData@format/mimeCode/filename``) travels
beside the ``Invoice`` in the same SBDH, and the invoice points at each object with an
``AdditionalDocumentReference/cac:ID@identificationSchemeID="ATS"`` of ``urn:sfti:documents:object:<ObjectID>``.
A bare ``Invoice`` (no SBDH) has no envelopes. Pure: bytes in, elements and decoded objects out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from hub.canonical.invoice import Attachment
from hub.errors import InvalidValueError, MissingFieldError, UnknownFormatError
from hub.formats.base import EmbeddedContent, TranslationContext
from hub.formats.svefaktura_parts import (
    BASIC_INVOICE_NS,
    ENVELOPE_NS,
    INVOICE_NS,
    OBJECT_ENVELOPE_NS,
    SfNode,
    typed_references,
)
from hub.formats.xmlsafe import SBDH_HEADER, SBDH_ROOT, parse_xml, prefixed

INVOICE_ROOT = f"{{{BASIC_INVOICE_NS}}}Invoice"
ENVELOPE_ROOT = f"{{{OBJECT_ENVELOPE_NS}}}ObjectEnvelope"
OBJECT_URN = "urn:sfti:documents:object:"  # prefix of an ATS reference to an ObjectEnvelope's EncodedObject


@dataclass(frozen=True, slots=True)
class EncodedObject:
    """One decoded ``EncodedObject`` of an ObjectEnvelope."""

    object_id: str
    content: bytes
    sha256: str
    filename: str | None = None
    mime_type: str | None = None

    def embedded(self) -> EmbeddedContent:
        return EmbeddedContent(self.object_id, self.sha256, self.content, self.filename, self.mime_type)

    def attachment(self) -> Attachment:
        return Attachment(
            document_id=self.object_id,
            filename=self.filename,
            mime_type=self.mime_type,
            sha256=self.sha256,
            size=len(self.content),
        )


@dataclass(frozen=True, slots=True)
class Package:
    """The invoice and the ObjectEnvelopes that travel with it."""

    invoice: SfNode
    envelopes: tuple[SfNode, ...] = ()


def read_package(data: bytes, context: TranslationContext) -> Package:
    """Safely parse the bytes and find the one Svefaktura Invoice and its ObjectEnvelopes."""
    business = parse_xml(data, max_bytes=context.max_xml_bytes)
    members = _members(business)
    invoices = [el for el in members if el.tag == INVOICE_ROOT]
    if not invoices:
        raise _no_invoice(business)
    if len(invoices) > 1:
        raise InvalidValueError(
            f"the SBDH carries {len(invoices)} Svefaktura invoices; send one invoice per document",
            location="/sh:StandardBusinessDocument/Invoice[2]",
        )
    envelopes = [el for el in members if el.tag == ENVELOPE_ROOT]
    return Package(
        invoice=SfNode.root(invoices[0], INVOICE_NS),
        envelopes=tuple(SfNode.root(el, ENVELOPE_NS, f"/ObjectEnvelope[{i}]") for i, el in enumerate(envelopes, 1)),
    )


def _members(business: etree._Element) -> list[etree._Element]:
    """The business documents of the package: every SBDH payload, or the bare document itself."""
    parent = business.getparent()
    if parent is None or parent.tag != SBDH_ROOT:
        return [business]
    return [el for el in parent.iterchildren(tag=etree.Element) if el.tag != SBDH_HEADER]


def _no_invoice(business: etree._Element) -> MissingFieldError | UnknownFormatError:
    location = "/" + prefixed(business.tag)
    if business.tag == ENVELOPE_ROOT:
        return MissingFieldError(
            "an ObjectEnvelope only carries attachments; its Svefaktura Invoice must travel beside it in the SBDH",
            location=location,
        )
    return UnknownFormatError(f"root element {business.tag} is not a Svefaktura 1.0 Invoice", location=location)


def encoded_objects(envelopes: Sequence[SfNode]) -> list[EncodedObject]:
    """The decoded attachments of every ObjectEnvelope, in document order."""
    return [_encoded_object(obj) for envelope in envelopes for obj in envelope.children("EncodedObject")]


def _encoded_object(node: SfNode) -> EncodedObject:
    data = node.child("EncodedData")
    if data is None:
        raise MissingFieldError("attached object has no EncodedData", location=node.at("EncodedData"))
    encoding = data.attr(None, "format")
    if encoding is not None and encoding.upper() != "BASE64":
        raise InvalidValueError(f"attached object is in format {encoding!r}; only BASE64 is known", location=data.path)
    content = _decode_base64(data)
    return EncodedObject(
        object_id=node.require_text("ObjectID", "attached object identifier"),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=data.attr(None, "filename"),
        mime_type=data.attr(None, "mimeCode"),
    )


def _decode_base64(data: SfNode) -> bytes:
    try:
        return base64.b64decode("".join((data.el.text or "").split()).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidValueError("attached object is not valid base64", location=data.path) from None


def attachments(root: SfNode, objects: Sequence[EncodedObject]) -> tuple[Attachment, ...]:
    """BG-24: every ATS reference (matched to its envelope object by id), then any unreferenced object."""
    unused = {obj.object_id: obj for obj in objects}
    referenced = [_referenced(value, unused) for value in typed_references(root, "ATS")]
    return (*referenced, *(obj.attachment() for obj in unused.values()))


def _referenced(value: str, unused: dict[str, EncodedObject]) -> Attachment:
    if value.lower().startswith(("http://", "https://")):
        return Attachment(document_id=value, external_uri=value)
    object_id = value.removeprefix(OBJECT_URN)
    obj = unused.pop(object_id, None) or unused.pop(value, None)
    return obj.attachment() if obj is not None else Attachment(document_id=object_id)
