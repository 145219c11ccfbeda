"""The IMAP poller of one mailbox: mail from wholesalers becomes intake documents; then it is flagged and moved.

Per poll, for every mail in the mailbox's folder (oldest UID first):

* too large (``max_message_bytes``, from the server's RFC822.SIZE, before the body is fetched) → refused;
* sender unknown (see :mod:`hub.connectors.email.routing`) → **left where it is, unflagged**, with one
  ``email.unknown_sender`` warning per mail and process;
* otherwise its documents (:mod:`hub.connectors.email.documents`) go to the intake one by one; only
  after every ``take`` returned (broker acked) is the mail flagged ``\\Seen`` + ``$HubTaken`` and moved to
  ``processed_folder`` (publish, then acknowledge). A resent mail (same Message-ID) yields duplicates.
* refused (IntakeError: ZIP limits, no document, too large) → the whole mail is kept as evidence in the
  hub archive (its exact bytes), flagged ``\\Flagged`` + ``$HubRefused``, a note saying why is appended
  beside it, and both go to ``error_folder``.
* a transient failure (broker, archive, IMAP) leaves the mail untouched; the poll stops and
  :func:`hub.connectors.base.run_poller` backs off.
"""

from __future__ import annotations

import imaplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import structlog
from imap_tools import BaseMailBox, ImapToolsError, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxLoginError

from hub.connectors.email.config import Mailbox
from hub.connectors.email.documents import Document, plan_documents
from hub.connectors.email.message import ParsedMail, parse_mail
from hub.connectors.email.routing import Route, Router, SenderIndex, Unrouted
from hub.errors import ConfigError, DocumentTooLargeError, ImapUnavailableError, IntakeError
from hub.intake.service import Delivery, IntakeResult, IntakeService
from hub.partners import Partners

log = structlog.get_logger(__name__)
TAKEN, REFUSED = "$HubTaken", "$HubRefused"


class RawMail(MailMessage):
    """imap-tools' message that also keeps the exact bytes the server sent."""

    def __init__(self, fetch_data: list[Any]) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


def mailbox_pollers(partners: Partners, intake: IntakeService, *, max_document_bytes: int) -> list[MailboxPoller]:
    """One poller per ``mailboxes`` entry of the partners file (ConfigError on a bad reference)."""
    ids = [mailbox.id for mailbox in partners.data.mailboxes]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"mailboxes: ids must be unique (they are part of transport ids): {', '.join(ids)}")
    index = SenderIndex(partners)
    return [
        MailboxPoller(mailbox, partners, intake, max_document_bytes=max_document_bytes, index=index)
        for mailbox in partners.data.mailboxes
    ]


class MailboxPoller:
    def __init__(
        self,
        mailbox: Mailbox,
        partners: Partners,
        intake: IntakeService,
        *,
        max_document_bytes: int,
        index: SenderIndex | None = None,
    ) -> None:
        _check_references(mailbox, partners)
        self.mailbox, self.intake, self.max_document_bytes = mailbox, intake, max_document_bytes
        self.router = Router(mailbox, index or SenderIndex(partners))
        self.name = f"email:{mailbox.id}"
        self.interval_s = mailbox.poll_interval_seconds
        self._password = _read_password(mailbox)
        self._reported: set[str] = set()  # "<uidvalidity>:<uid>" of mail left for a person (logged once)

    def poll_once(self) -> int:
        try:
            with self._connect() as box:
                self._ensure_folders(box)
                return self._poll(box)
        except MailboxLoginError:
            raise ConfigError(f"{self.name}: login refused for {self.mailbox.username!r}") from None
        except (ImapToolsError, imaplib.IMAP4.error, OSError, EOFError) as exc:
            raise ImapUnavailableError(f"{self.name}: {self.mailbox.host}:{self.mailbox.port}: {exc}") from None

    def _connect(self) -> BaseMailBox:
        mb = self.mailbox
        box: BaseMailBox
        if mb.security == "tls":
            box = MailBox(mb.host, mb.port, timeout=mb.timeout_seconds, ssl_context=ssl.create_default_context())
        elif mb.security == "starttls":
            box = MailBoxStartTls(
                mb.host, mb.port, timeout=mb.timeout_seconds, ssl_context=ssl.create_default_context()
            )
        else:
            box = MailBoxUnencrypted(mb.host, mb.port, timeout=mb.timeout_seconds)
        box.email_message_class = RawMail
        box.login(mb.username, self._password, initial_folder=mb.folder)
        _refresh_capabilities(box)
        return box

    def _ensure_folders(self, box: BaseMailBox) -> None:
        for folder in (self.mailbox.processed_folder, self.mailbox.error_folder):
            if not box.folder.exists(folder):
                box.folder.create(folder)
                log.info("email.folder_created", mailbox=self.mailbox.id, folder=folder)

    def _poll(self, box: BaseMailBox) -> int:
        validity = box.folder.status(self.mailbox.folder, ["UIDVALIDITY"]).get("UIDVALIDITY", 0)
        keys = {uid: f"{validity}:{uid}" for uid in box.uids("ALL")}
        self._reported &= set(keys.values())  # forget mail a person has dealt with
        taken = 0
        for uid in sorted(keys, key=int):
            if keys[uid] not in self._reported:
                taken += self._handle(box, uid, keys[uid])
        return taken

    def _handle(self, box: BaseMailBox, uid: str, key: str) -> int:
        head = _fetch(box, uid, headers_only=True)
        if head is None:
            return 0  # gone meanwhile (moved by a person)
        if head.size_rfc822 > self.mailbox.max_message_bytes:
            too_large = DocumentTooLargeError(
                f"mail is {head.size_rfc822} bytes, over the limit of {self.mailbox.max_message_bytes} (not fetched)"
            )
            self._refuse(box, uid, None, parse_mail(head.raw), too_large)
            return 0
        full = _fetch(box, uid, headers_only=False)
        if full is None:
            return 0
        mail = parse_mail(full.raw)
        route = self.router.route(mail)
        if isinstance(route, Unrouted):
            self._leave(key, uid, mail, route)
            return 0
        return self._take(box, uid, full.raw, mail, route)

    def _take(self, box: BaseMailBox, uid: str, raw: bytes, mail: ParsedMail, route: Route) -> int:
        results: list[IntakeResult] = []
        try:
            documents, ignored = plan_documents(mail, self.mailbox, self.max_document_bytes)
            for document in documents:
                results.append(self._take_one(document, route))
        except IntakeError as exc:
            self._refuse(box, uid, raw, mail, exc, published=len(results))
            return 0
        _store_flags(box, uid, ["\\Seen", TAKEN])
        box.move(uid, self.mailbox.processed_folder)
        for result in results:
            self.intake.acknowledged(result)
        log.info(
            "email.taken",
            mailbox=self.mailbox.id,
            uid=uid,
            message_id=mail.message_id,
            sender=mail.sender,
            wholesaler=route.wholesaler_id,
            tenant=route.tenant_id,
            via=route.via,
            documents=[r.document_id for r in results],
            duplicates=sum(r.duplicate for r in results),
            ignored=ignored,
            moved_to=self.mailbox.processed_folder,
        )
        return len(results)

    def _take_one(self, document: Document, route: Route) -> IntakeResult:
        delivery = Delivery(
            partner_id=route.wholesaler_id,
            channel="email",
            transport_id=document.transport_id,
            filename=document.filename,
            content_type=document.content_type,
            tenant_id=route.tenant_id,
        )
        with document.open() as stream:
            return self.intake.take(stream, delivery)

    def _refuse(
        self, box: BaseMailBox, uid: str, raw: bytes | None, mail: ParsedMail, exc: IntakeError, published: int = 0
    ) -> None:
        evidence = self.intake.archive.put_bytes(raw).uri if raw is not None else None
        _store_flags(box, uid, ["\\Flagged", REFUSED])
        box.append(_note(mail, exc, evidence), self.mailbox.error_folder, flag_set=["\\Flagged", REFUSED])
        box.move(uid, self.mailbox.error_folder)
        log.error(
            "email.refused",
            mailbox=self.mailbox.id,
            uid=uid,
            message_id=mail.message_id,
            sender=mail.sender,
            subject=mail.subject,
            error=exc.render(),
            evidence=evidence,
            published_before_refusal=published,
            moved_to=self.mailbox.error_folder,
        )

    def _leave(self, key: str, uid: str, mail: ParsedMail, route: Unrouted) -> None:
        self._reported.add(key)
        log.warning(
            "email.unknown_sender",
            mailbox=self.mailbox.id,
            uid=uid,
            sender=mail.sender,
            subject=mail.subject,
            message_id=mail.message_id,
            reason=route.reason,
            action=f"left unflagged in {self.mailbox.folder} for a person: add the sender to a wholesaler's "
            "email (or to this mailbox's forwarders) and restart, or move the mail away",
        )


def _fetch(box: BaseMailBox, uid: str, *, headers_only: bool) -> RawMail | None:
    for message in box.fetch(uid_list=[uid], mark_seen=False, headers_only=headers_only):
        return message if isinstance(message, RawMail) else None
    return None


def _refresh_capabilities(box: BaseMailBox) -> None:
    """Servers announce more after login (MOVE among them); imaplib keeps the list from before it."""
    status, data = box.client.capability()
    if status == "OK" and data and isinstance(data[-1], bytes):
        box.client.capabilities = tuple(data[-1].decode(errors="replace").upper().split())


def _store_flags(box: BaseMailBox, uid: str, flags: list[str]) -> None:
    """UID STORE +FLAGS without imap-tools' automatic EXPUNGE (which would purge other \\Deleted mail)."""
    status, data = box.client.uid("STORE", uid, "+FLAGS", f"({' '.join(flags)})")
    if status != "OK":
        raise ImapUnavailableError(f"cannot flag mail {uid}: {data!r}")


def _note(mail: ParsedMail, exc: IntakeError, evidence: str | None) -> bytes:
    """A short mail placed beside a refused one, telling a person why."""
    note = EmailMessage()
    note["From"] = "grossisthub <grossisthub@localhost>"
    note["Subject"] = f"[grossisthub] refused: {mail.subject}"[:200]
    note["Date"] = formatdate(localtime=False)
    note["Message-ID"] = make_msgid(domain="grossisthub.invalid")
    if not mail.message_id.startswith("sha256:"):
        note["In-Reply-To"] = note["References"] = f"<{mail.message_id}>"
    note.set_content(
        f"grossisthub refused the mail from {mail.sender or '(no sender)'} (Message-ID {mail.message_id}).\n\n"
        f"Reason: {exc.render()}\n\n"
        f"The mail itself is beside this note; its exact bytes are archived as {evidence or '(not fetched)'}.\n"
        "Nothing was imported from it unless the log says otherwise. Fix the cause and move the mail back to\n"
        "the inbox folder to try again; documents already taken are recognised as duplicates.\n"
    )
    return note.as_bytes()


def _read_password(mailbox: Mailbox) -> str:
    try:
        lines = mailbox.password_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"mailbox {mailbox.id}: cannot read password_file {mailbox.password_file}: {exc}") from None
    if not lines or not lines[0]:
        raise ConfigError(f"mailbox {mailbox.id}: password_file {mailbox.password_file} is empty")
    return lines[0]


def _check_references(mailbox: Mailbox, partners: Partners) -> None:
    if mailbox.tenant and partners.tenant(mailbox.tenant) is None:
        raise ConfigError(f"mailbox {mailbox.id}: tenant {mailbox.tenant!r} is not configured")
    if mailbox.wholesaler and partners.wholesaler(mailbox.wholesaler) is None:
        raise ConfigError(f"mailbox {mailbox.id}: wholesaler {mailbox.wholesaler!r} is not configured")
