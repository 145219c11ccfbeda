"""Which tenant a document belongs to, and whether its seller is the partner that delivered it.

Pure. DESIGN §9.2: the document's own seller must match the delivering wholesaler; a forwarded
document's buyer must match the forwarding tenant; a mismatch is a dead letter, never a re-route.
"""

from __future__ import annotations

from hub.canonical.invoice import Party
from hub.errors import PartnerMismatchError, UnknownBuyerError
from hub.partners import BuyerIdentity, Partners, Wholesaler, normalize_identifier


def check_seller(seller: Party, wholesaler: Wholesaler) -> None:
    """Raise if the seller carries identifiers that contradict the delivering wholesaler's."""
    ids = wholesaler.identifiers
    pairs: list[tuple[str, str | None, list[str | None]]] = [
        ("org number", seller.org_number, [ids.org_number]),
        ("VAT number", seller.vat_number, [ids.vat_number]),
        ("GLN", seller.gln, [ids.gln]),
        ("endpoint id", _endpoint(seller), list(ids.endpoint_ids)),
    ]
    comparable = [(label, doc, [c for c in conf if c]) for label, doc, conf in pairs if doc and any(conf)]
    if not comparable:
        return  # nothing to compare (wholesaler configured without identifiers, or document without)
    for _label, doc_value, configured in comparable:
        if any(_same(doc_value, c) for c in configured):
            return
    shown = "; ".join(f"{label} {doc!r} (configured: {', '.join(conf)})" for label, doc, conf in comparable)
    msg = f"seller {seller.name!r} is not wholesaler {wholesaler.id!r}: {shown}"
    raise PartnerMismatchError(msg, location="seller")


def resolve_tenant(buyer: Party, partner_id: str, partners: Partners, forwarded_by: str | None) -> tuple[str, str]:
    """Return ``(tenant_id, how)``; ``how`` names the identifier (or 'forwarded') that decided."""
    identity = BuyerIdentity(
        org_number=buyer.org_number,
        vat_number=buyer.vat_number,
        gln=buyer.gln,
        endpoint_id=buyer.endpoint_id,
        endpoint_scheme=buyer.endpoint_scheme,
        customer_numbers=buyer.party_ids,
    )
    found = partners.resolve_tenant(partner_id, identity)
    if forwarded_by:
        if found and found[0] != forwarded_by:
            msg = f"document forwarded by tenant {forwarded_by!r} but its buyer is tenant {found[0]!r}"
            raise PartnerMismatchError(msg, location="buyer")
        return forwarded_by, found[1] if found else "forwarded"
    if found is None:
        raise UnknownBuyerError(_unknown_buyer_message(buyer, partner_id), location="buyer")
    return found


def _endpoint(party: Party) -> str | None:
    if not party.endpoint_id:
        return None
    return f"{party.endpoint_scheme}:{party.endpoint_id}" if party.endpoint_scheme else party.endpoint_id


def _same(doc_value: str, configured: str) -> bool:
    a, b = normalize_identifier(doc_value), normalize_identifier(configured)
    # An endpoint configured as 'scheme:value' also matches a document value given without scheme.
    if a == b or (":" in b and a == b.split(":", 1)[1]) or (":" in a and a.split(":", 1)[1] == b):
        return True
    # NO910478656MVA and 910478656 are the same registration; compare long digit runs. A Swedish VAT number
    # is SE + the 10-digit organisation number + 01.
    da, db = "".join(c for c in a if c.isdigit()), "".join(c for c in b if c.isdigit())
    swedish = {da, db} == {db, db + "01"} or {da, db} == {da, da + "01"}
    return len(da) >= 9 and (da == db or (len(min(da, db, key=len)) == 10 and swedish))


def _unknown_buyer_message(buyer: Party, partner_id: str) -> str:
    given = {
        "org number": buyer.org_number,
        "VAT number": buyer.vat_number,
        "GLN": buyer.gln,
        "endpoint id": _endpoint(buyer),
        "party ids": ", ".join(buyer.party_ids) or None,
    }
    shown = "; ".join(f"{k} {v}" for k, v in given.items() if v) or "no identifiers at all"
    return (
        f"buyer {buyer.name!r} matches no tenant ({shown}); add one of these identifiers to the tenant in the "
        f"partners file (customer numbers under wholesaler {partner_id!r}), then re-process the document"
    )
