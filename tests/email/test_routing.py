"""Reading mail and deciding whose it is: central mailboxes, forwarded mail, documents of a mail."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.connectors.email.config import EmailSenders, Mailbox
from hub.connectors.email.documents import plan_documents
from hub.connectors.email.message import parse_mail, safe_filename
from hub.connectors.email.routing import Route, Router, SenderIndex, Unrouted
from hub.errors import ConfigError, DocumentTooLargeError, NoDocumentError
from hub.partners import Partners, PartnersFile

PARTNERS = Partners(
    PartnersFile.model_validate(
        {
            "wholesalers": [
                {"id": "elg", "name": "Elgrossisten", "email": {"domains": ["elgrossisten.se"]}},
                {"id": "ahl", "name": "Ahlsell", "email": {"addresses": ["prislista@ahlsell.se", "x@elgrossisten.se"]}},
            ],
            "tenants": [{"id": "nordstrom", "name": "Nordström"}],
        }
    )
)


def mailbox(**extra: object) -> Mailbox:
    values: dict[str, object] = {"id": "m", "host": "127.0.0.1", "username": "u", "password_file": Path("/dev/null")}
    return Mailbox.model_validate({**values, **extra})


def mail(sender: str, body: str = "Hej", *, attach: list[tuple[str, bytes]] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "in@hub.test", "Prislista"
    message["Message-ID"] = "<abc.123@mail.example>"
    message.set_content(body)
    for name, data in attach or []:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message


def route(box: Mailbox, message: EmailMessage) -> Route | Unrouted:
    return Router(box, SenderIndex(PARTNERS)).route(parse_mail(message.as_bytes()))


def test_central_mailbox_routes_by_address_then_domain() -> None:
    box = mailbox()
    assert route(box, mail("Elgrossisten <Faktura@Elgrossisten.se>")) == Route(
        "elg", None, "sender faktura@elgrossisten.se"
    )
    assert isinstance(r := route(box, mail("x@elgrossisten.se")), Route) and r.wholesaler_id == "ahl"  # exact wins
    unknown = route(box, mail("someone@example.com"))
    assert isinstance(unknown, Unrouted) and "unknown sender someone@example.com" in unknown.reason
    assert isinstance(route(box, mail("faktura@sub.elgrossisten.se")), Unrouted)  # not a subdomain match


def test_forwarded_mail_takes_the_original_sender_and_the_tenant() -> None:
    box = mailbox(tenant="nordstrom", forwarders=["@nordstrom-el.se"])
    inline = (
        "Se bifogad prislista.\n\n---------- Vidarebefordrat meddelande ---------\n"
        "Från: Ahlsell <prislista@ahlsell.se>\n"
    )
    assert route(box, mail("Kalle <kalle@nordstrom-el.se>", inline)) == Route(
        "ahl", "nordstrom", "forwarded by kalle@nordstrom-el.se, originally from prislista@ahlsell.se"
    )
    attached = mail("kalle@nordstrom-el.se")
    attached.add_attachment(mail("Elgrossisten <priser@elgrossisten.se>"))  # forwarded as attachment
    assert route(box, attached) == Route(
        "elg", "nordstrom", "forwarded by kalle@nordstrom-el.se, originally from priser@elgrossisten.se"
    )
    direct = route(box, mail("prislista@ahlsell.se"))
    assert direct == Route("ahl", "nordstrom", "sender prislista@ahlsell.se")  # the wholesaler wrote directly
    lost = route(box, mail("kalle@nordstrom-el.se", "FYI, see the attachment"))
    assert isinstance(lost, Unrouted) and "original sender (none found) is no configured wholesaler" in lost.reason
    stranger = route(box, mail("eve@example.com", inline))
    assert isinstance(stranger, Unrouted) and "neither a wholesaler nor a forwarder" in stranger.reason


def test_a_mailbox_can_fix_the_wholesaler_of_forwarded_mail() -> None:
    box = mailbox(tenant="nordstrom", forwarders=["kalle@nordstrom-el.se"], wholesaler="elg")
    assert route(box, mail("kalle@nordstrom-el.se")) == Route(
        "elg", "nordstrom", "forwarded by kalle@nordstrom-el.se to a wholesaler's mailbox"
    )


def test_html_only_forward_is_understood() -> None:
    message = EmailMessage()
    message["From"], message["Message-ID"] = "kalle@nordstrom-el.se", "<h@x>"
    message.set_content("<p><b>From:</b> Ahlsell &lt;prislista@ahlsell.se&gt;<br>Sent: ...</p>", subtype="html")
    assert parse_mail(message.as_bytes()).original_senders == ("prislista@ahlsell.se",)


def test_configuration_checks() -> None:
    with pytest.raises(ConfigError, match=r"'x@a\.se' belongs to wholesalers 'a' and 'b'"):
        SenderIndex(
            Partners(
                PartnersFile.model_validate(
                    {
                        "wholesalers": [
                            {"id": "a", "name": "A", "email": {"addresses": ["x@a.se"]}},
                            {"id": "b", "name": "B", "email": {"addresses": ["X@a.se"]}},
                        ]
                    }
                )
            )
        )
    with pytest.raises(ValidationError, match="at least one of addresses or domains"):
        EmailSenders()
    with pytest.raises(ValidationError, match="plain sends the password in clear text"):
        mailbox(host="mail.example.com", security="plain")
    with pytest.raises(ValidationError, match="set tenant as well"):
        mailbox(forwarders=["@x.se"])
    assert mailbox(security="plain").security == "plain"


def test_message_id_file_names_and_missing_headers() -> None:
    parsed = parse_mail(mail("a@b.se", attach=[("../../etc/passwd.csv", b"x")]).as_bytes())
    assert parsed.message_id == "abc.123@mail.example"
    assert [a.filename for a in parsed.attachments] == ["passwd.csv"]
    bare = parse_mail(b"Subject: no ids\r\n\r\nbody")
    assert bare.message_id.startswith("sha256:") and bare.sender == ""
    assert safe_filename("C:\\Users\\x\\.\x07", 3) == "attachment-3"


def test_documents_of_a_mail() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("faktura/F1.xml", b"<Invoice/>")
    message = mail(
        "a@b.se", attach=[("prices.csv", b"a;b\n"), ("logo.png", b"\x89PNG"), ("inv.zip", buffer.getvalue())]
    )
    documents, ignored = plan_documents(parse_mail(message.as_bytes()), mailbox(), 10**6)
    assert [(d.filename, d.transport_id) for d in documents] == [
        ("prices.csv", "email:m/abc.123@mail.example#1/prices.csv"),
        ("F1.xml", "email:m/abc.123@mail.example#3/inv.zip!faktura/F1.xml"),
    ]
    assert ignored == ["logo.png"]
    with documents[1].open() as stream:
        assert stream.read() == b"<Invoice/>"
    with pytest.raises(NoDocumentError, match=r"no attachment of an accepted type .* found: logo.png"):
        plan_documents(parse_mail(mail("a@b.se", attach=[("logo.png", b"x")]).as_bytes()), mailbox(), 10**6)
    with pytest.raises(DocumentTooLargeError, match=r"'prices\.csv' is 4 bytes, over the limit of 3"):
        plan_documents(parse_mail(message.as_bytes()), mailbox(), 3)
