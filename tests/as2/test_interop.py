"""Acceptance: django-pyas2 (a separate AS2 implementation, own virtualenv) sends to the hub's AS2 receiver.

Each time django-pyas2 must record the MDN as processed with a verified signature, and the invoice
must reach the ERP tables.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.as2.conftest import INVOICE, As2Hub, Peer, Pki, partner_profile
from tests.as2.conftest import PARTNER_ID as PARTNER
from tests.support import wait_for

pytestmark = pytest.mark.integration


def assert_processed(outcome: dict[str, Any]) -> None:
    assert outcome["status"] == "S", outcome
    assert outcome["mdn"] is not None and outcome["mdn"]["signed"] is True, outcome


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        ({"encryption": "aes_256_cbc", "signature": "sha256"}, "signed,encrypted"),
        ({"encryption": "aes_128_cbc", "signature": "sha384", "compress": True}, "signed,encrypted,compressed"),
    ],
)
def test_signed_encrypted_messages_reach_the_erp(
    hub: As2Hub, peer: Peer, pki: Pki, security: dict[str, Any], expected: str
) -> None:
    peer.configure(pki, hub.url, **security)
    outcome = peer.send(INVOICE)
    assert_processed(outcome)
    [row] = hub.store.rows()
    assert (row["state"], row["security"], row["message_id"]) == ("processed", expected, outcome["message_id"])
    [invoice] = hub.to_erp(1)
    assert (invoice["invoice_number"], invoice["tenant_id"], invoice["supplier_id"]) == (
        "F2026-1187", "nordstrom", "elgrossisten-syd",
    )  # fmt: skip


@pytest.mark.parametrize("compress", [False, True])
def test_django_pyas2_messages_through_the_streamed_large_message_path(
    hub_factory: Any, peer: Peer, pki: Pki, compress: bool
) -> None:
    """stream_above_bytes 0: every message takes the on-disk path that large messages take."""
    hub = hub_factory(stream_above_bytes=0)
    peer.configure(pki, hub.url, encryption="aes_256_cbc", signature="sha256", compress=compress)
    outcome = peer.send(INVOICE)
    assert_processed(outcome)
    [row] = hub.store.rows()
    security = "signed,encrypted,compressed" if compress else "signed,encrypted"
    assert (row["state"], row["security"]) == ("processed", security)
    assert [i["invoice_number"] for i in hub.to_erp(1)] == ["F2026-1187"]


def test_unsigned_message_where_the_partner_allows_it(hub_factory: Any, peer: Peer, pki: Pki) -> None:
    hub = hub_factory(profile=partner_profile(pki, require_signed=False, require_encrypted=False))
    peer.configure(pki, hub.url, encryption=None, signature=None)
    assert_processed(peer.send(INVOICE))
    [row] = hub.store.rows()
    assert (row["state"], row["security"]) == ("processed", "")
    assert [i["invoice_number"] for i in hub.to_erp(1)] == ["F2026-1187"]


def test_unsigned_message_is_refused_when_signing_is_required(hub: As2Hub, peer: Peer, pki: Pki) -> None:
    peer.configure(pki, hub.url, encryption="aes_256_cbc", signature=None)
    outcome = peer.send(INVOICE)
    assert outcome["status"] == "E" and "insufficient-message-security" in outcome["detailed_status"]
    [row] = hub.store.rows()
    assert (row["state"], row["disposition"]) == ("failed", "processed/error: insufficient-message-security")


def test_async_mdn_is_delivered_to_django_pyas2(hub_factory: Any, peer: Peer, pki: Pki) -> None:
    hub = hub_factory(profile=partner_profile(pki, mdn_mode="async", async_mdn_url_prefixes=[peer.receive_url]))
    peer.configure(pki, hub.url, encryption="aes_256_cbc", signature="sha256", mdn_mode="ASYNC")
    sent = peer.send(INVOICE)
    assert sent["status"] == "P"  # waiting for the asynchronous MDN
    outcome = wait_for(
        lambda: (s := peer.tool("status", sent["message_id"]))["status"] == "S" and s, timeout_s=30, what="async MDN"
    )
    assert_processed(outcome)
    [row] = hub.store.rows()
    assert (row["state"], row["mdn_mode"]) == ("processed", "async")
    [queued] = hub.store.outbox_rows()
    assert (queued["state"], queued["url"]) == ("sent", peer.receive_url)
    entry = hub.runtime.ledger.get(row["document_id"])
    assert entry is not None and entry.acknowledged_at is not None  # acknowledged once the MDN was taken
    assert [i["invoice_number"] for i in hub.to_erp(1)] == ["F2026-1187"]


def test_wrong_signing_key_gets_an_error_mdn_and_resends_give_one_invoice(hub: As2Hub, peer: Peer, pki: Pki) -> None:
    peer.configure(pki, hub.url, sign=pki.wrong, encryption="aes_256_cbc", signature="sha256")
    failed = peer.send(INVOICE)
    assert failed["status"] == "E" and "authentication-failed" in failed["detailed_status"], failed
    assert failed["mdn"]["signed"] is True
    [row] = hub.store.rows()
    assert (row["state"], row["disposition"]) == ("failed", "processed/error: authentication-failed")
    assert row["document_id"] is None and row["body_uri"]  # nothing published, the raw message kept
    assert hub.runtime.archive.exists(row["body_uri"]) and hub.runtime.archive.exists(row["headers_uri"])

    peer.configure(pki, hub.url, encryption="aes_256_cbc", signature="sha256")  # the partner fixed its key
    again = peer.tool("resend", failed["message_id"])  # same Message-ID after a failure: processed again
    assert_processed(again)
    first_mdn = hub.store.processed_before(PARTNER, failed["message_id"])
    assert first_mdn is not None

    duplicate = peer.tool("resend", failed["message_id"])  # same Message-ID after success: same MDN again
    assert_processed(duplicate)
    rows = hub.store.rows()
    assert [r["state"] for r in rows] == ["failed", "processed", "processed"]
    assert rows[1]["mdn_uri"] == rows[2]["mdn_uri"] and rows[1]["document_id"] == rows[2]["document_id"]
    retried = peer.tool("resend", failed["message_id"], "new")  # django-pyas2's retry: new Message-ID, same bytes
    assert_processed(retried)
    assert len(hub.to_erp(1)) == 1  # one RawDocument published, one invoice
    entry = hub.runtime.ledger.get(rows[1]["document_id"])
    assert entry is not None and entry.deliveries == 3
