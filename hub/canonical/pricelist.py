"""Price lists and discount letters: ``PriceListVersion``, ``Price`` and ``DiscountAgreement``.

A price list is a *version* (DESIGN §9.3): its ``PriceListVersion`` is announced first (``ANNOUNCED``),
then one ``Price`` per article follows, and the version is closed with counts (``COMPLETE``) — a version
becomes current only when complete. The pipeline may instead close it ``REJECTED`` (too many bad lines);
an operator's rollback is itself a ``ROLLED_BACK`` event. Identifiers are country-qualified and units
are UN/ECE Rec 20 codes beside the file's own text (DESIGN §9.5). Money is Decimal, exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

NumberType = Literal["SE_E_NUMBER", "SE_RSK", "NO_EL_NUMBER", "NO_NRF", "FI_SNRO", "DK_VVS", "GTIN", "SUPPLIER"]
PriceType = Literal["GROSS", "NET"]
ArticleStatus = Literal["ACTIVE", "NEW", "CHANGED", "PHASING_OUT", "DISCONTINUED", "PRICE_ON_REQUEST", "UNKNOWN"]
VersionStatus = Literal["ANNOUNCED", "COMPLETE", "REJECTED", "ROLLED_BACK"]
AlternativeKind = Literal["REPLACEMENT", "ALTERNATIVE", "ALTERNATIVE_ID", "PACK"]


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A line of the file that could not be used (kept in the version's line report)."""

    line: int
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class PriceListVersion:
    TYPE: ClassVar[str] = "PriceListVersion"

    version_id: str  # deterministic from the source document (a replay reproduces it)
    wholesaler_id: str  # the delivering wholesaler (partner id); filled by the pipeline
    scope: str  # "central" (all tenants) or a tenant id (forwarded / self-imported)
    status: VersionStatus
    valid_from: date
    source_document_id: str = ""  # filled by the pipeline
    valid_to: date | None = None
    currency: str | None = None
    list_name: str | None = None  # the file's agreement / list id (NELFO AvtaleId, ESAP T0001)
    customer_number: str | None = None  # the buyer's customer number when the list is customer specific
    buyer_id: str | None = None  # buyer org/VAT number in the header (NELFO KjøpersId)
    seller_id: str | None = None  # seller org/VAT number in the header (NELFO SelgersId)
    article_count: int | None = None  # COMPLETE: prices in this version
    failed_lines: int | None = None  # COMPLETE: lines that could not be used
    line_report: tuple[LineProblem, ...] = ()  # the first problems (bounded), with line numbers
    reason: str | None = None  # REJECTED / ROLLED_BACK: why


@dataclass(frozen=True, slots=True)
class Alternative:
    """NELFO VA: a replacement, an alternative article, an alternative id (GTIN) or a pack size."""

    kind: AlternativeKind
    number_type: NumberType | None = None
    article_number: str | None = None
    pack_size: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Price:
    TYPE: ClassVar[str] = "Price"

    version_id: str
    wholesaler_id: str  # filled by the pipeline
    scope: str
    valid_from: date
    article_number: str
    number_type: NumberType
    list_price: Decimal  # as in the file, for price_quantity units
    price_quantity: Decimal  # as in the file (NELFO Mengde, "per 100 st", HMT = 1 × 100 m is unit-based)
    unit_list_price: Decimal  # list_price / price_quantity, per one `unit_code`
    price_type: PriceType  # NET: an agreed net price, never discounted again
    status: ArticleStatus
    line: int  # line number in the file
    gtin: str | None = None
    description: str | None = None
    description_2: str | None = None
    unit: str | None = None  # the file's own unit text ("STYKK", "M", "FP")
    unit_code: str | None = None  # UN/ECE Rec 20 ("EA", "MTR", "HMT", …); None when unknown
    discount_group: str | None = None
    discount_percent: Decimal | None = None  # a discount on the line itself (NELFO pristilbud PL Rabatt)
    raw_status: str | None = None
    brand: str | None = None
    manufacturer_article: str | None = None
    stocked: bool | None = None
    pack_size: Decimal | None = None  # sales pack / minimum order multiple
    price_date: date | None = None
    alternatives: tuple[Alternative, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupDiscount:
    group: str
    discount_percent: Decimal
    discount_percent_2: Decimal | None = None  # a second column (Storel Rabatt 2); combined by the tenant's rule


@dataclass(frozen=True, slots=True)
class NetPrice:
    article_number: str
    net_price: Decimal  # for price_quantity units
    price_quantity: Decimal = Decimal(1)
    unit: str | None = None
    number_type: NumberType = "SUPPLIER"
    description: str | None = None


@dataclass(frozen=True, slots=True)
class DiscountAgreement:
    TYPE: ClassVar[str] = "DiscountAgreement"

    agreement_id: str  # deterministic from the source document
    wholesaler_id: str  # filled by the pipeline
    valid_from: date | None
    tenant_id: str | None = None  # filled by the pipeline (forwarding tenant or the buyer in the header)
    valid_to: date | None = None
    customer_number: str | None = None
    agreement_reference: str | None = None  # the file's agreement id (NELFO AvtaleId)
    buyer_id: str | None = None  # buyer org/VAT number in the header (NELFO KjøpersId)
    seller_id: str | None = None
    currency: str | None = None
    default_discount_percent: Decimal | None = None  # "35 % on the rest" (DESIGN §9.10)
    group_discounts: tuple[GroupDiscount, ...] = ()
    net_prices: tuple[NetPrice, ...] = ()
    source_document_id: str = ""  # filled by the pipeline
