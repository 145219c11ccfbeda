"""Which documents one mail carries: accepted attachments, and the entries of ZIP attachments.

Everything is checked before anything is taken (size, ZIP limits), so a mail is either refused whole
or all its documents go to the intake. Transport ids: ``email:<mailbox>/<Message-ID>#<n>/<file>``, and
for a ZIP entry ``…#<n>/<file.zip>!<entry path>`` — the same mail delivered again is a duplicate.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from hub.connectors.email.config import Mailbox
from hub.connectors.email.message import Attachment, ParsedMail, safe_filename
from hub.connectors.email.zipsafe import ZipEntry, ZipPlan, check_zip, extension
from hub.errors import DocumentTooLargeError, NoDocumentError

MAX_TRANSPORT_ID = 900


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    transport_id: str
    content_type: str | None
    open: Callable[[], BinaryIO]


def plan_documents(mail: ParsedMail, mailbox: Mailbox, max_document_bytes: int) -> tuple[list[Document], list[str]]:
    """``(documents, ignored attachment names)``; IntakeError subclasses when the mail must be refused."""
    accepted = frozenset(mailbox.extensions)
    documents: list[Document] = []
    ignored: list[str] = []
    for attachment in mail.attachments:
        if extension(attachment.filename) not in accepted:
            ignored.append(attachment.filename)
            continue
        if len(attachment.payload) > max_document_bytes:
            raise DocumentTooLargeError(
                f"attachment {attachment.filename!r} is {len(attachment.payload)} bytes, "
                f"over the limit of {max_document_bytes}"
            )
        tid = f"email:{mailbox.id}/{mail.message_id}#{attachment.index}/{attachment.filename}"
        if extension(attachment.filename) != "zip":
            documents.append(Document(attachment.filename, _bounded(tid), attachment.content_type, _opener(attachment)))
            continue
        plan = check_zip(
            attachment.payload, attachment.filename, mailbox.zip, accepted=accepted - {"zip"},
            max_entry_bytes=max_document_bytes,
        )  # fmt: skip
        documents += [_zip_document(plan, entry, tid) for entry in plan.entries]
        ignored += [f"{attachment.filename}!{path}" for path in plan.skipped]
    if not documents:
        found = ", ".join(ignored) or "no attachments"
        kinds = ", ".join(sorted(accepted))
        raise NoDocumentError(f"no attachment of an accepted type ({kinds}) in the mail; found: {found}")
    return documents, ignored


def _zip_document(plan: ZipPlan, entry: ZipEntry, tid: str) -> Document:
    name = safe_filename(entry.name, 0)
    content_type = mimetypes.guess_type(name)[0]
    return Document(name, _bounded(f"{tid}!{entry.path}"), content_type, lambda: plan.open(entry))


def _opener(attachment: Attachment) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(attachment.payload)


def _bounded(transport_id: str) -> str:
    if len(transport_id) <= MAX_TRANSPORT_ID:
        return transport_id
    digest = hashlib.sha256(transport_id.encode()).hexdigest()[:16]
    return f"{transport_id[: MAX_TRANSPORT_ID - 20]}~{digest}"
