"""Issue #3 acceptance, end to end: Peppol (validated), Svefaktura and EDIFACT invoices from SFTP and upload,
through the bundled broker and the `hub up` process into PostgreSQL — duplicates never booked twice, a changed
re-send flagged, a rule failure dead-lettered with its rule id, an embedded PDF archived and linked."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.canonical import DeadLetter
from hub.canonical.codec import from_dict
from hub.canonical.schemas import SchemaStore
from hub.kafka.consumer import read_records
from hub.kafka.serde import AvroSerde
from tests.conftest import EXAMPLES
from tests.e2e.hubproc import HubProcess, hub_env
from tests.services.sshd import SftpServer
from tests.support import VALIDATION_ARTEFACTS, sftp_block, wait_for

DEMO = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"
PDF = b"%PDF-1.4\n% grossisthub test attachment\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"

PARTNERS = """\
wholesalers:
  - id: elgrossisten-syd
    name: Elgrossisten Syd AB
    identifiers: {{org_number: "556301-2342", vat_number: SE556301234201}}
{sftp}
  - id: martin-servera
    name: Martin & Servera AB
    identifiers: {{org_number: "5562332451"}}
  - id: eancom-wholesaler
    name: EANCOM sample sender
    identifiers: {{gln: "4012345500004"}}
tenants:
  - id: nordstrom
    name: Elfirma Nordström AB
    identifiers: [{{type: org_number, value: "556604-5679"}}]
  - id: lansstyrelsen
    name: Länsstyrelsen
    identifiers: [{{type: org_number, value: "2021002361"}}]
  - id: eancom-buyer
    name: EANCOM sample buyer
    identifiers: [{{type: gln, value: "5412345000013"}}]
"""


@pytest.fixture
def hub(
    tmp_path: Path, sftp_inbox: SftpServer, bootstrap_servers: str, postgres_url: str, unique: str
) -> Iterator[HubProcess]:
    if not VALIDATION_ARTEFACTS.is_dir():
        pytest.skip(f"official validation artefacts not found at {VALIDATION_ARTEFACTS}")
    sftp = sftp_block(
        host=sftp_inbox.host,
        port=sftp_inbox.port,
        username=sftp_inbox.username,
        key=sftp_inbox.private_key_file,
        host_key=sftp_inbox.host_key,
        remote_dir=sftp_inbox.remote_dir,
    )
    partners = tmp_path / "partners.yaml"
    partners.write_text(PARTNERS.format(sftp=sftp), encoding="utf-8")
    env = hub_env(
        tmp_path / "var",
        partners,
        HUB_BOOTSTRAP_SERVERS=bootstrap_servers,
        HUB_ERP_DATABASE_URL=postgres_url,
        HUB_TOPIC_PREFIX=f"t{unique}.",
        HUB_APP_ID=f"e2e-{unique}",
    )
    process = HubProcess(env, tmp_path)
    process.start()
    yield process
    process.stop()


def by_number(hub: HubProcess) -> dict[str, dict[str, Any]]:
    return {row["invoice_number"]: row for row in hub.invoices()}


def upload(hub: HubProcess, path: Path, partner: str) -> str:
    return hub.cli("import", str(path), "--partner", partner).stdout


def dead_letters(bootstrap: str, unique: str, count: int) -> list[DeadLetter]:
    serde = AvroSerde(SchemaStore())
    records = read_records(bootstrap, [f"t{unique}.hub.dlq.v1"], group_id=f"dlq-{unique}", max_records=count, idle_s=5)
    return [from_dict(DeadLetter, serde.decode(r.value)[1]) for r in records if r.value]


def with_pdf(xml: bytes) -> bytes:
    reference = (
        b"<cac:AdditionalDocumentReference><cbc:ID>FS-884120.pdf</cbc:ID>"
        b"<cbc:DocumentDescription>Fakturakopia</cbc:DocumentDescription><cac:Attachment>"
        b'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="F2026-1187.pdf">'
        + base64.b64encode(PDF)
        + b"</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>"
    )
    anchor = b"</cac:DespatchDocumentReference>"
    return xml.replace(anchor, anchor + reference, 1)


def test_invoices_in_three_formats_reach_postgres_once(
    hub: HubProcess, sftp_inbox: SftpServer, tmp_path: Path, corpus: Path, bootstrap_servers: str, unique: str
) -> None:
    demo = DEMO.read_bytes()
    sftp_inbox.drop_file("F2026-1187.xml", with_pdf(demo))
    wait_for(lambda: "F2026-1187" in by_number(hub), timeout_s=90, what="the Peppol invoice from SFTP")

    # The same invoice again through another channel: identical bytes, then re-serialised bytes.
    same = tmp_path / "again.xml"
    same.write_bytes(with_pdf(demo))
    assert upload(hub, same, "elgrossisten-syd").startswith("duplicate: again.xml was already taken")
    reformatted = tmp_path / "reformatted.xml"
    reformatted.write_bytes(with_pdf(demo).replace(b"\n  ", b"\n    "))
    assert upload(hub, reformatted, "elgrossisten-syd").startswith("accepted: ")
    wait_for(lambda: by_number(hub)["F2026-1187"]["duplicate_deliveries"] == 1, what="the sink to count the duplicate")

    # A changed re-send under the same number is flagged; the booked content stays.
    changed = tmp_path / "changed.xml"
    changed.write_bytes(
        demo.replace(b"<cbc:DueDate>2026-12-30</cbc:DueDate>", b"<cbc:DueDate>2027-01-30</cbc:DueDate>")
    )
    upload(hub, changed, "elgrossisten-syd")
    wait_for(lambda: by_number(hub)["F2026-1187"]["open_conflicts"] == 1, what="the conflict flag")

    # A Peppol invoice that breaks a rule: no buyer reference and no order reference.
    broken = tmp_path / "no-references.xml"
    broken.write_bytes(
        demo.replace(b"F2026-1187", b"F2026-1188")
        .replace(b"<cbc:BuyerReference>Projekt 19271 Kalle</cbc:BuyerReference>", b"")
        .replace(b"<cac:OrderReference>\n    <cbc:ID>19271</cbc:ID>\n  </cac:OrderReference>", b"")
    )
    upload(hub, broken, "elgrossisten-syd")

    # Svefaktura (ISO-8859-1) and EDIFACT from their wholesalers.
    upload(hub, corpus / "svefaktura1" / "SFTI_svefaktura_BasicInvoice-1.0_Invoice.xml", "martin-servera")
    upload(hub, corpus / "edifact" / "edifabric_eancom" / "EANCOM_Invoice.edi", "eancom-wholesaler")
    rows = wait_for(lambda: r if len(r := by_number(hub)) >= 3 else None, timeout_s=60, what="three invoices")

    assert set(rows) == {"F2026-1187", "61016660", "IN432097"}
    peppol = rows["F2026-1187"]
    assert (peppol["tenant_id"], peppol["payable_amount"], peppol["due_date"]) == ("nordstrom", "2737", "2026-12-30")
    [attachment] = peppol["attachments"]
    assert (attachment["filename"], attachment["size"]) == ("F2026-1187.pdf", len(PDF))
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    digest = attachment["archive_uri"].removeprefix("archive://sha256/")
    archived = hub.cwd / "var" / "archive" / "objects" / digest[:2] / digest[2:4] / digest
    assert archived.read_bytes() == PDF
    sve, edi = rows["61016660"], rows["IN432097"]
    assert (sve["tenant_id"], sve["buyer_name"], sve["seller_name"]) == (
        "lansstyrelsen",
        "LÄNSSTYRELSEN",
        "Martin & Servera AB",
    )
    assert (edi["tenant_id"], edi["payable_amount"], len(edi["lines"])) == ("eancom-buyer", "5767.1", 2)

    letters = {(d.code, d.filename): d for d in dead_letters(bootstrap_servers, unique, 2)}
    rule = letters[("RULE_FAILED", "no-references.xml")]
    assert "[PEPPOL-EN16931-R003]" in rule.message
    conflict = letters[("CONFLICTING_DUPLICATE", None)]
    assert "invoice F2026-1187 received again" in conflict.message and conflict.stage == "sink"
    assert "F2026-1188" not in rows
