"""Whose mail is this? Sender address → wholesaler, and the forwarded-mail rule for tenant mailboxes.

*Central mailbox* (no ``tenant``): the From address decides — an exact address in some wholesaler's
``email.addresses`` first, else its domain in ``email.domains``. Anything else is an unknown sender.

*Forwarded mailbox* (``tenant`` set; DESIGN "forwarded mode"), in this order:

1. From is a wholesaler's address → that wholesaler (it wrote to the tenant directly);
2. From is one of the mailbox's ``forwarders`` (the tenant's own people) →
   a. the mailbox's fixed ``wholesaler`` if configured, else
   b. the *original sender*: From of a forwarded-as-attachment message (message/rfc822), else the
      first ``From:``/``Från:``/``Fra:``/``Lähettäjä:`` line of an inline forward — looked up as in 1;
3. otherwise unknown: the mail is left for a person.

Every document of a forwarded mailbox is tenant-scoped (``Delivery.tenant_id``), whichever step matched.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.connectors.email.config import Mailbox
from hub.connectors.email.message import ParsedMail
from hub.errors import ConfigError
from hub.partners import Partners


@dataclass(frozen=True, slots=True)
class Route:
    wholesaler_id: str
    tenant_id: str | None
    via: str  # how it was decided, for the log


@dataclass(frozen=True, slots=True)
class Unrouted:
    reason: str


class SenderIndex:
    """Address and domain lookups over every wholesaler's ``email`` senders; ambiguity is a ConfigError."""

    def __init__(self, partners: Partners) -> None:
        self.addresses: dict[str, str] = {}
        self.domains: dict[str, str] = {}
        for wholesaler in partners.wholesalers:
            if wholesaler.email is None:
                continue
            for address in wholesaler.email.addresses:
                _claim(self.addresses, address, wholesaler.id, "address")
            for domain in wholesaler.email.domains:
                _claim(self.domains, domain, wholesaler.id, "domain")

    def lookup(self, address: str) -> str | None:
        address = address.lower()
        if address in self.addresses:
            return self.addresses[address]
        return self.domains.get(address.rpartition("@")[2]) if "@" in address else None


class Router:
    def __init__(self, mailbox: Mailbox, index: SenderIndex) -> None:
        self.mailbox, self.index = mailbox, index

    def route(self, mail: ParsedMail) -> Route | Unrouted:
        tenant = self.mailbox.tenant
        direct = self.index.lookup(mail.sender) if mail.sender else None
        if direct:
            return Route(direct, tenant, f"sender {mail.sender}")
        if tenant is None:
            return Unrouted(f"unknown sender {mail.sender or '(no From)'}: no wholesaler has this address or domain")
        if not self._is_forwarder(mail.sender):
            return Unrouted(
                f"unknown sender {mail.sender or '(no From)'}: neither a wholesaler nor a forwarder of this mailbox"
            )
        return self._forwarded(mail, tenant)

    def _forwarded(self, mail: ParsedMail, tenant: str) -> Route | Unrouted:
        if self.mailbox.wholesaler:
            return Route(self.mailbox.wholesaler, tenant, f"forwarded by {mail.sender} to a wholesaler's mailbox")
        for original in mail.original_senders:
            wholesaler = self.index.lookup(original)
            if wholesaler:
                return Route(wholesaler, tenant, f"forwarded by {mail.sender}, originally from {original}")
        found = ", ".join(mail.original_senders) or "none found"
        return Unrouted(f"forwarded by {mail.sender}, but its original sender ({found}) is no configured wholesaler")

    def _is_forwarder(self, sender: str) -> bool:
        domain = "@" + sender.rpartition("@")[2]
        return any(f in (sender, domain, domain[1:]) for f in self.mailbox.forwarders)


def _claim(table: dict[str, str], key: str, owner: str, kind: str) -> None:
    other = table.setdefault(key, owner)
    if other != owner:
        raise ConfigError(f"e-mail {kind} {key!r} belongs to wholesalers {other!r} and {owner!r}: ambiguous")
