"""E-mail intake against a real dovecot IMAP server (mail delivered over SMTP through dovecot-lda) and the broker."""

from __future__ import annotations

import io
import zipfile

import pytest
import structlog

from hub.errors import BrokerUnavailableError
from hub.kafka.consumer import read_records
from hub.kafka.embedded import free_port
from hub.kafka.producer import Publisher
from hub.sinks.erp.queries import list_invoices
from tests.conftest import EXAMPLES
from tests.email.mailhub import WHOLESALER, MailHub, message

pytestmark = pytest.mark.integration
DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"
PRICE_LIST = "artikelnummer;benämning;enhet;pris\n1812345;Installationskabel EKLK 3G1,5 100m;RLE;1250,00\n"
TAKEN = ("\\Seen", "$HubTaken")


def zipped(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def with_attachment(sender: str, subject: str, name: str, data: bytes, **kwargs: str):  # type: ignore[no-untyped-def]
    mail = message(sender, subject, **kwargs)
    mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return mail


def test_price_list_and_zipped_invoice_become_documents(mailhub: MailHub, unique: str) -> None:
    mailhub.inbox.deliver(
        with_attachment(WHOLESALER, "Prislista 2026", "prislista-2026.csv", PRICE_LIST.encode()), mail_from=WHOLESALER
    )
    invoice_zip = zipped((DEMO.name, DEMO.read_bytes()))
    mailhub.inbox.deliver(
        with_attachment(WHOLESALER, "Faktura F2026-1187", "faktura.zip", invoice_zip), mail_from=WHOLESALER
    )

    assert mailhub.central.poll_once() == 2
    records = mailhub.raw_records(f"r-{unique}", 2)
    docs = {d.filename: d for d in mailhub.raw_documents(f"r2-{unique}", 2)}
    assert set(docs) == {"prislista-2026.csv", DEMO.name}
    csv, invoice = docs["prislista-2026.csv"], docs[DEMO.name]
    assert (csv.partner_id, csv.channel, csv.tenant_id) == ("elgrossisten-syd", "email", None)
    assert csv.transport_id == "email:central/Prislista-2026@mail.test#1/prislista-2026.csv"
    assert invoice.transport_id == f"email:central/Faktura-F2026-1187@mail.test#1/faktura.zip!{DEMO.name}"
    assert mailhub.runtime.archive.read(csv.archive_uri) == PRICE_LIST.encode()
    for doc in (csv, invoice):
        entry = mailhub.runtime.ledger.get(doc.document_id)
        assert entry is not None and entry.state == "published" and entry.acknowledged_at is not None

    assert mailhub.inbox.folder("INBOX") == []
    processed = mailhub.inbox.folder("grossisthub-processed")
    assert sorted(subject for subject, _ in processed) == ["Faktura F2026-1187", "Prislista 2026"]
    assert all(set(TAKEN) <= set(flags) for _, flags in processed)

    [raw_invoice] = [r for r in records if r.headers["hub.document_id"] == invoice.document_id.encode()]
    rt = mailhub.runtime
    assert rt.translate_stage().process(raw_invoice) == "translated"
    bootstrap = rt.publisher._config["bootstrap.servers"]
    [event] = read_records(bootstrap, [rt.topics.invoice], group_id=f"i-{unique}", max_records=1)
    assert rt.sink_stage().process(event) == "inserted"
    [row] = list_invoices(rt.erp_engine, tenant_id="nordstrom")
    assert (row["invoice_number"], str(row["payable_amount"])) == ("F2026-1187", "2737")


def test_a_resent_mail_is_a_duplicate(mailhub: MailHub, unique: str) -> None:
    mail = with_attachment(WHOLESALER, "Prislista", "prislista.csv", PRICE_LIST.encode())
    mailhub.inbox.deliver(mail, mail_from=WHOLESALER)
    assert mailhub.central.poll_once() == 1
    mailhub.inbox.deliver(mail, mail_from=WHOLESALER)  # same Message-ID, same bytes
    with structlog.testing.capture_logs() as logs:
        assert mailhub.central.poll_once() == 1
    [taken] = [e for e in logs if e["event"] == "email.taken"]
    assert taken["duplicates"] == 1
    [doc] = mailhub.raw_documents(f"r-{unique}", 1)  # published once
    entry = mailhub.runtime.ledger.get(doc.document_id)
    assert entry is not None and entry.deliveries == 2
    assert [s for s, _ in mailhub.inbox.folder("grossisthub-processed")] == ["Prislista", "Prislista"]


def test_zip_bomb_and_path_traversal_are_refused(mailhub: MailHub, unique: str) -> None:
    bomb = zipped(("prislista.csv", b"0" * (30 * 1024 * 1024)))
    traversal = zipped(("../../evil.xml", DEMO.read_bytes()))
    mailhub.inbox.deliver(with_attachment(WHOLESALER, "Bomb", "prislista.zip", bomb), mail_from=WHOLESALER)
    mailhub.inbox.deliver(with_attachment(WHOLESALER, "Traversal", "faktura.zip", traversal), mail_from=WHOLESALER)
    with structlog.testing.capture_logs() as logs:
        assert mailhub.central.poll_once() == 0
    refused = {e["subject"]: e for e in logs if e["event"] == "email.refused"}
    assert refused["Bomb"]["log_level"] == "error"
    assert refused["Bomb"]["error"].startswith("error[UNSAFE_ARCHIVE]: prislista.zip: entry 'prislista.csv' expands")
    assert "a ZIP bomb?" in refused["Bomb"]["error"]
    assert refused["Traversal"]["error"] == (
        "error[UNSAFE_ARCHIVE]: faktura.zip: entry '../../evil.xml' names a path outside the archive (path traversal)"
    )
    for event in refused.values():  # the whole mail is archived as evidence
        assert mailhub.runtime.archive.exists(event["evidence"])

    assert mailhub.inbox.folder("INBOX") == []
    errors = dict(mailhub.inbox.folder("grossisthub-error"))
    assert set(errors) == {"Bomb", "Traversal", "[grossisthub] refused: Bomb", "[grossisthub] refused: Traversal"}
    assert {"\\Flagged", "$HubRefused"} <= set(errors["Bomb"]) and "\\Seen" not in errors["Bomb"]
    with mailhub.inbox.imap() as box:
        box.folder.set("grossisthub-error")
        [note] = [m for m in box.fetch(mark_seen=False) if m.subject == "[grossisthub] refused: Traversal"]
        assert "path traversal" in note.text and "archive://sha256/" in note.text
    assert mailhub.raw_records(f"r-{unique}", 0) == []
    assert mailhub.runtime.ledger.unfinished() == []


def test_mail_from_an_unknown_sender_stays_in_the_inbox_unflagged(mailhub: MailHub) -> None:
    stranger = "offers@cheap-cables.example"
    mailhub.inbox.deliver(with_attachment(stranger, "Bästa priserna", "priser.csv", b"a;b\n"), mail_from=stranger)
    with structlog.testing.capture_logs() as logs:
        assert mailhub.central.poll_once() == 0
        assert mailhub.central.poll_once() == 0
    [warning] = [e for e in logs if e["event"] == "email.unknown_sender"]  # once, not every poll
    assert warning["sender"] == stranger and "left unflagged in INBOX for a person" in warning["action"]
    [(subject, flags)] = mailhub.inbox.folder("INBOX")
    assert subject == "Bästa priserna"
    assert not {"\\Seen", "\\Flagged", "$HubTaken", "$HubRefused"} & set(flags)
    assert mailhub.runtime.ledger.unfinished() == []


def test_forwarded_mail_is_imported_for_the_tenant(mailhub: MailHub, unique: str) -> None:
    body = (
        "Hej, här är Elgrossistens nya prislista till oss.\n\n"
        "---------- Vidarebefordrat meddelande ---------\n"
        f"Från: Elgrossisten Syd <{WHOLESALER}>\nDatum: 1 december 2026\nÄmne: Prislista\n"
    )
    forwarder = "kalle@nordstrom-el.se"
    mail = with_attachment(forwarder, "Fwd: Prislista", "prislista.csv", PRICE_LIST.encode(), body=body)
    mailhub.tenant_inbox.deliver(mail, mail_from=forwarder)
    mailhub.inbox.deliver(mail, mail_from=forwarder)  # the same forward to the central mailbox: not ours
    assert mailhub.forwarded.poll_once() == 1
    assert mailhub.central.poll_once() == 0
    [doc] = mailhub.raw_documents(f"r-{unique}", 1)
    assert (doc.partner_id, doc.tenant_id, doc.filename) == ("elgrossisten-syd", "nordstrom", "prislista.csv")
    assert doc.transport_id.startswith("email:nordstrom-forwarded/")
    assert [s for s, _ in mailhub.tenant_inbox.folder("grossisthub-processed")] == ["Fwd: Prislista"]
    assert [s for s, _ in mailhub.inbox.folder("INBOX")] == ["Fwd: Prislista"]


def test_without_a_broker_ack_the_mail_is_not_touched(mailhub: MailHub, unique: str) -> None:
    mailhub.inbox.deliver(with_attachment(WHOLESALER, "Prislista", "p.csv", PRICE_LIST.encode()), mail_from=WHOLESALER)
    dead = Publisher(f"127.0.0.1:{free_port()}", delivery_timeout_s=2)  # nobody listens there
    live, mailhub.intake.publisher = mailhub.intake.publisher, dead
    try:
        with pytest.raises(BrokerUnavailableError):
            mailhub.central.poll_once()
        [(_, flags)] = mailhub.inbox.folder("INBOX")
        assert not {"\\Seen", "$HubTaken"} & set(flags)
        assert mailhub.inbox.folder("grossisthub-processed") == []
        [pending] = mailhub.runtime.ledger.unfinished()
        assert pending.state == "received"
    finally:
        mailhub.intake.publisher = live
        dead.close(timeout_s=0)
    assert mailhub.central.poll_once() == 1  # the broker is back: the next poll takes it
    [doc] = mailhub.raw_documents(f"r-{unique}", 1)
    assert doc.document_id == pending.document_id
    assert [s for s, _ in mailhub.inbox.folder("grossisthub-processed")] == ["Prislista"]


def test_mail_without_documents_or_too_large_is_refused(mailhub: MailHub) -> None:
    mailhub.inbox.deliver(with_attachment(WHOLESALER, "Broschyr", "broschyr.pdf", b"%PDF-1.4"), mail_from=WHOLESALER)
    with structlog.testing.capture_logs() as logs:
        assert mailhub.central.poll_once() == 0
    [refused] = [e for e in logs if e["event"] == "email.refused"]
    assert refused["error"] == (
        "error[NO_DOCUMENT]: no attachment of an accepted type (csv, edi, xlsx, xml, zip) in the mail; "
        "found: broschyr.pdf"
    )
    mailhub.central.mailbox = mailhub.central.mailbox.model_copy(update={"max_message_bytes": 2000})
    big = with_attachment(WHOLESALER, "Stor prislista", "p.csv", PRICE_LIST.encode() * 40)
    mailhub.inbox.deliver(big, mail_from=WHOLESALER)
    with structlog.testing.capture_logs() as logs:
        assert mailhub.central.poll_once() == 0
    [refused] = [e for e in logs if e["event"] == "email.refused"]
    assert refused["error"].startswith("error[DOCUMENT_TOO_LARGE]: mail is ") and refused["evidence"] is None
    subjects = sorted(s for s, _ in mailhub.inbox.folder("grossisthub-error"))
    assert subjects == [
        "Broschyr", "Stor prislista", "[grossisthub] refused: Broschyr", "[grossisthub] refused: Stor prislista",
    ]  # fmt: skip
    assert mailhub.runtime.ledger.unfinished() == []
