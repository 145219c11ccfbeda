"""The e-mail intake wired to a real dovecot (two mailboxes: central and a tenant's forwarded one) and the broker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from hub.canonical import RawDocument
from hub.canonical.codec import from_dict
from hub.connectors.email.poller import MailboxPoller, mailbox_pollers
from hub.intake.service import IntakeService
from hub.kafka.consumer import ConsumedRecord, read_records
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.runtime import Runtime
from tests.services.dovecot import MailAccount, MailServer
from tests.support import PARTNERS, make_runtime, make_settings

WHOLESALER = "faktura@elgrossisten-syd.se"
SENDERS = "    email: {addresses: [faktura@elgrossisten-syd.se], domains: [prislistor.elgrossisten-syd.se]}"


def mailbox_yaml(mailbox_id: str, account: MailAccount, extra: str = "") -> str:
    return (
        f"  - {{id: {mailbox_id}, host: 127.0.0.1, port: {account.server.imap_port}, security: plain,\n"
        f"     username: {account.username}, password_file: '{account.password_file}',\n"
        f"     poll_interval_seconds: 0.5, timeout_seconds: 10{extra}}}\n"
    )


@dataclass
class MailHub:
    runtime: Runtime
    intake: IntakeService
    central: MailboxPoller
    forwarded: MailboxPoller
    inbox: MailAccount  # the central mailbox
    tenant_inbox: MailAccount  # nordstrom's forwarded-mail mailbox

    def raw_records(self, group: str, expected: int) -> list[ConsumedRecord]:
        bootstrap = self.runtime.publisher._config["bootstrap.servers"]
        topics = [self.runtime.topics.raw]
        return list(read_records(bootstrap, topics, group_id=group, idle_s=3, max_records=expected + 1))

    def raw_documents(self, group: str, expected: int) -> list[RawDocument]:
        return [
            from_dict(RawDocument, self.runtime.serde.decode(r.value)[1]) for r in self.raw_records(group, expected)
        ]


def message(sender: str, subject: str, *, body: str = "Hej!", message_id: str | None = None) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "inkop@hub.test", subject
    mail["Message-ID"] = message_id or f"<{re.sub(r'[^A-Za-z0-9]+', '-', subject)}@mail.test>"
    mail.set_content(body)
    return mail


def build_mailhub(tmp_path: Path, bootstrap_servers: str, unique: str, server: MailServer) -> MailHub:
    inbox, tenant_inbox = server.add_account(), server.add_account()
    forwarded = ", tenant: nordstrom, forwarders: ['@nordstrom-el.se']"
    text = PARTNERS.format(sftp=SENDERS) + "mailboxes:\n"
    text += mailbox_yaml("central", inbox) + mailbox_yaml("nordstrom-forwarded", tenant_inbox, forwarded)
    partners = tmp_path / "partners-email.yaml"
    partners.write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path, bootstrap_servers=bootstrap_servers, unique=unique, partners_file=partners)
    runtime = make_runtime(settings)
    apply_topics(bootstrap_servers, load_topic_specs(), runtime.topics)
    intake = runtime.intake()
    central, fwd = mailbox_pollers(runtime.partners, intake, max_document_bytes=settings.max_document_bytes)
    return MailHub(runtime, intake, central, fwd, inbox, tenant_inbox)


@pytest.fixture
def mailhub(tmp_path: Path, bootstrap_servers: str, unique: str, mail_server: MailServer) -> Iterator[MailHub]:
    hub = build_mailhub(tmp_path, bootstrap_servers, unique, mail_server)
    yield hub
    hub.runtime.close()
