"""Trading partners (wholesalers) and tenants (contractor companies) from the partners YAML file.

The file is validated as a whole; every problem is reported with file, line and key path so that
``hub config check`` can list them all at once. :class:`Partners` answers the questions the
pipeline asks: who is this wholesaler, and which tenant is the buyer of this document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.connectors.as2.config import As2Partner, As2Station
from hub.connectors.email.config import EmailSenders, Mailbox
from hub.connectors.inbox.config import InboxAccount, InboxServer
from hub.errors import ConfigError
from hub.formats.mapping import ColumnMapping

PARTNER_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
IdentifierType = Literal["org_number", "vat_number", "gln", "endpoint_id", "customer_number"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WholesalerIdentifiers(_Strict):
    org_number: str | None = Field(None, description="Company registration number (BT-30).")
    vat_number: str | None = Field(None, description="VAT number (BT-31), e.g. SE556000000101.")
    gln: str | None = Field(None, description="GS1 Global Location Number.")
    endpoint_ids: list[str] = Field(default_factory=list, description="Peppol endpoints, 'scheme:value'.")


class SftpEndpoint(_Strict):
    """A wholesaler's SFTP server that the hub polls."""

    host: str
    port: int = Field(22, ge=1, le=65535)
    username: str
    private_key_file: Path = Field(description="Our private key for this server (OpenSSH format).")
    host_key: str = Field(description="The server's public host key, 'ssh-ed25519 AAAA…'; pinned.")
    remote_dir: str = Field("/", description="Directory to take files from.")
    done_dir: str = Field("done", description="Where taken files are moved (relative to remote_dir).")
    error_dir: str = Field("error", description="Where refused files are moved (relative to remote_dir).")
    min_age_seconds: float = Field(10.0, ge=0, description="Size and mtime must be stable this long.")
    poll_interval_seconds: float = Field(30.0, gt=0)
    timeout_seconds: float = Field(30.0, gt=0)

    @field_validator("host_key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        parts = value.split()
        if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
            msg = "expected '<key-type> <base64>' as printed by ssh-keyscan (without the host name)"
            raise ValueError(msg)
        return value


class Wholesaler(_Strict):
    id: str = Field(pattern=PARTNER_ID)
    name: str = Field(min_length=1)
    country: Literal["SE", "NO", "FI", "DK"] = "SE"
    identifiers: WholesalerIdentifiers = Field(default_factory=WholesalerIdentifiers)
    formats: list[str] = Field(default_factory=list, description="Translators this partner uses; [] = sniff.")
    validate_documents: bool = Field(
        True, description="Apply the official EN 16931 / Peppol rules to this wholesaler's UBL invoices."
    )
    sftp: SftpEndpoint | None = None
    as2: As2Partner | None = Field(None, description="AS2 profile: ids, certificates, MDN mode.")
    inbox: InboxAccount | None = Field(None, description="Login to the hub's hosted SFTP inbox.")
    email: EmailSenders | None = Field(None, description="Sender addresses whose mail is this wholesaler's.")


class TenantIdentifier(_Strict):
    type: IdentifierType
    value: str = Field(min_length=1)
    scheme: str | None = Field(None, description="Peppol EAS / ICD scheme, e.g. 0007 (SE org no).")
    wholesaler: str | None = Field(None, description="Whose customer number this is (customer_number).")


ALL_REFERENCE_FIELDS = [
    "CUSTOMER_ORDER", "PROJECT", "MARKING", "BUYER_REFERENCE", "ORDER", "EXTERNAL", "FREE_TEXT",
]  # fmt: skip


class WorkOrderPattern(_Strict):
    """One way a work-order number is found: where to look, and a regex whose group 1 (or ``number``) is it."""

    name: str = Field(min_length=1, description="Recorded on every row it matched.")
    fields: list[str] = Field(default_factory=lambda: list(ALL_REFERENCE_FIELDS), description="Reference types.")
    regex: str = Field(r"(?<!\d)(\d{3,10})(?!\d)", description="Group 1 (or 'number') is the work-order number.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            msg = f"not a valid regular expression: {exc}"
            raise ValueError(msg) from None
        if compiled.groups < 1:
            msg = "the regex needs a group that captures the number, e.g. (\\d+)"
            raise ValueError(msg)
        return value


class Markup(_Strict):
    """Sales price = purchase net price × (1 + markup %); the most specific override wins."""

    default_percent: Decimal = Field(Decimal(15), ge=0)
    by_wholesaler: dict[str, Decimal] = Field(default_factory=dict)
    by_discount_group: dict[str, Decimal] = Field(default_factory=dict, description="e.g. small parts: 25")
    by_article: dict[str, Decimal] = Field(default_factory=dict)


class PriceTolerance(_Strict):
    """An invoiced net price within either tolerance of the agreed one is a match (per base unit)."""

    absolute: Decimal = Field(Decimal("0.01"), ge=0, description="Currency units per base unit.")
    percent: Decimal = Field(Decimal("0.5"), ge=0, description="Percent of the agreed price.")


class Tenant(_Strict):
    id: str = Field(pattern=PARTNER_ID)
    name: str = Field(min_length=1)
    timezone: str = "Europe/Stockholm"
    discount_combination: Literal["cascade", "add"] = Field(
        "cascade", description="How two discount columns combine: cascade (1-d1)(1-d2) or add (d1+d2)."
    )
    work_order_patterns: list[WorkOrderPattern] = Field(
        default_factory=lambda: [WorkOrderPattern(name="number-in-references")],
        description="Ordered: the first pattern whose candidate is an open work order wins.",
    )
    markup: Markup = Field(default_factory=Markup)
    price_tolerance: PriceTolerance = Field(default_factory=PriceTolerance)
    identifiers: list[TenantIdentifier] = Field(default_factory=list)


class PartnersFile(_Strict):
    wholesalers: list[Wholesaler] = Field(default_factory=list)
    tenants: list[Tenant] = Field(default_factory=list)
    as2_station: As2Station | None = Field(None, description="The hub's own AS2 identity and keys.")
    sftp_inbox: InboxServer | None = Field(None, description="The hub's hosted SFTP server.")
    mailboxes: list[Mailbox] = Field(default_factory=list, description="IMAP mailboxes to poll.")
    mappings: list[ColumnMapping] = Field(
        default_factory=list, description="Column mappings for self-imported CSV/XLSX price lists."
    )


@dataclass(frozen=True, slots=True)
class BuyerIdentity:
    """The buyer identifiers a document carries; any of them may be missing."""

    org_number: str | None = None
    vat_number: str | None = None
    gln: str | None = None
    endpoint_id: str | None = None
    endpoint_scheme: str | None = None
    customer_numbers: tuple[str, ...] = ()  # candidates: the wholesaler's customer number for the buyer


def normalize_identifier(value: str) -> str:
    """Compare identifiers without spaces, dashes, dots or case: '556123-4567' == '5561234567'."""
    return re.sub(r"[\s\-.]", "", value).upper()


class Partners:
    """The validated partners file with the lookups the pipeline needs."""

    def __init__(self, data: PartnersFile, source: Path | None = None) -> None:
        self.data = data
        self.source = source
        self._wholesalers = {w.id: w for w in data.wholesalers}
        self._tenants = {t.id: t for t in data.tenants}
        self._index = _build_tenant_index(data.tenants)

    @property
    def wholesalers(self) -> Sequence[Wholesaler]:
        return self.data.wholesalers

    @property
    def tenants(self) -> Sequence[Tenant]:
        return self.data.tenants

    def wholesaler(self, partner_id: str) -> Wholesaler | None:
        return self._wholesalers.get(partner_id)

    def tenant(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def mapping(self, name: str, *, owners: tuple[str | None, ...]) -> ColumnMapping | None:
        """The column mapping ``name`` if one of ``owners`` (the wholesaler, the tenant) owns it."""
        for mapping in self.data.mappings:
            if mapping.name == name and mapping.owner in owners:
                return mapping
        return None

    def resolve_tenant(self, partner_id: str, buyer: BuyerIdentity) -> tuple[str, str] | None:
        """Return ``(tenant_id, which identifier matched)`` for a document's buyer, or None."""
        for kind, key in _buyer_keys(partner_id, buyer):
            tenant_id = self._index.get(key)
            if tenant_id:
                return tenant_id, kind
        return None


def _tenant_keys(ident: TenantIdentifier) -> Iterable[str]:
    value = normalize_identifier(ident.value)
    if ident.type == "customer_number":
        yield f"customer_number:{ident.wholesaler}:{value}"
    elif ident.type == "endpoint_id":
        yield f"endpoint_id:{(ident.scheme or '*')}:{value}"
    else:
        yield f"{ident.type}:{value}"
        if ident.type == "org_number" and len(value) == 10 and value.isdigit():
            # A Swedish VAT number is SE + the 10-digit org number + 01; documents often carry only it.
            yield f"vat_number:SE{value}01"


def _buyer_keys(partner_id: str, buyer: BuyerIdentity) -> Iterable[tuple[str, str]]:
    # Most specific first: an endpoint or the wholesaler's own customer number pins one tenant.
    if buyer.endpoint_id:
        value = normalize_identifier(buyer.endpoint_id)
        yield "endpoint_id", f"endpoint_id:{buyer.endpoint_scheme or '*'}:{value}"
        yield "endpoint_id", f"endpoint_id:*:{value}"
    for number in buyer.customer_numbers:
        yield "customer_number", f"customer_number:{partner_id}:{normalize_identifier(number)}"
    for kind in ("org_number", "vat_number", "gln"):
        raw = getattr(buyer, kind)
        if raw:
            yield kind, f"{kind}:{normalize_identifier(raw)}"


def _build_tenant_index(tenants: Sequence[Tenant]) -> dict[str, str]:
    return {key: t.id for t in tenants for ident in t.identifiers for key in _tenant_keys(ident)}


def load_partners(path: Path) -> Partners:
    """Read and validate the partners file; raise :class:`ConfigError` listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read partners file {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text) or {}
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML", [f"{path}: {exc}"]) from None
    try:
        data = PartnersFile.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(path, root, e["loc"], e["msg"]) for e in exc.errors()]
        raise ConfigError(f"{path}: {len(problems)} problem(s)", problems) from None
    problems = [_describe(path, root, loc, msg) for loc, msg in _cross_check(data)]
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problem(s)", problems)
    return Partners(data, path)


def _cross_check(data: PartnersFile) -> Iterable[tuple[tuple[str | int, ...], str]]:
    seen: dict[str, tuple[str | int, ...]] = {}
    id_lists = (("wholesalers", [w.id for w in data.wholesalers]), ("tenants", [t.id for t in data.tenants]))
    for kind, ids in id_lists:
        for i, item_id in enumerate(ids):
            if item_id in seen:
                yield (kind, i, "id"), f"duplicate id {item_id!r} (also at {_dotted(seen[item_id])})"
            seen[item_id] = (kind, i, "id")
    wholesaler_ids = {w.id for w in data.wholesalers}
    owners: dict[str, str] = {}
    for ti, tenant in enumerate(data.tenants):
        for ii, ident in enumerate(tenant.identifiers):
            loc: tuple[str | int, ...] = ("tenants", ti, "identifiers", ii)
            if ident.type == "customer_number" and ident.wholesaler not in wholesaler_ids:
                yield (*loc, "wholesaler"), "customer_number needs 'wholesaler' naming a configured wholesaler"
            for key in _tenant_keys(ident):
                other = owners.setdefault(key, tenant.id)
                if other != tenant.id:
                    yield (*loc, "value"), f"identifier also belongs to tenant {other!r}: routing would be ambiguous"


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(path: Path, root: yaml.Node | None, loc: Sequence[str | int], msg: str) -> str:
    line = _line_of(root, loc)
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {_dotted(loc) or '(top)'}: {msg}"


def _line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1 if node else None
    for part in loc:
        child: Any = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
