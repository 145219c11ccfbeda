"""Catalog tables (part of the ERP reference schema; see docs/erp-schema.md)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, MetaData, String, Table, Text

from hub.db.types import ExactDecimal, UtcDateTime

metadata = MetaData()

price_list_version = Table(
    "catalog_price_list_version",
    metadata,
    Column("version_id", String(36), primary_key=True),
    Column("wholesaler_id", String(64), nullable=False),
    Column("scope", String(64), nullable=False, doc="'central' or a tenant id"),
    Column("status", String(20), nullable=False, doc="ANNOUNCED | COMPLETE | REJECTED | ROLLED_BACK"),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("currency", String(3)),
    Column("list_name", String(100)),
    Column("customer_number", String(100)),
    Column("source_document_id", String(36), nullable=False),
    Column("article_count", BigInteger),
    Column("failed_lines", BigInteger),
    Column("removed_count", BigInteger, doc="articles of the previous version that are not in this one"),
    Column("line_report", Text, doc="JSON list of the first problems: line, field, message"),
    Column("reason", Text),
    Column("announced_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("merged_at", UtcDateTime, doc="every price stored: the version is visible from now on"),
    Column("rolled_back_at", UtcDateTime),
    Index("ix_catalog_version_lookup", "wholesaler_id", "scope", "valid_from"),
)

price = Table(
    "catalog_price",
    metadata,
    Column("version_id", String(36), primary_key=True),
    Column("line", BigInteger, primary_key=True, autoincrement=False, doc="line in the file: unique per version"),
    Column("number_type", String(20), nullable=False),
    Column("article_number", String(100), nullable=False),
    Column("wholesaler_id", String(64), nullable=False),
    Column("gtin", String(20)),
    Column("description", String(500)),
    Column("unit", String(50)),
    Column("unit_code", String(10)),
    Column("list_price", ExactDecimal, nullable=False),
    Column("price_quantity", ExactDecimal, nullable=False),
    Column("unit_list_price", ExactDecimal, nullable=False),
    Column("discount_group", String(50)),
    Column("price_type", String(5), nullable=False),
    Column("status", String(20), nullable=False),
    Column("raw_status", String(20)),
    Index("ix_catalog_price_article", "article_number"),
    Index("ix_catalog_price_gtin", "gtin"),
)

discount_agreement = Table(
    "catalog_discount_agreement",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("wholesaler_id", String(64), nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("customer_number", String(100)),
    Column("agreement_reference", String(100)),
    Column("currency", String(3)),
    Column("default_discount_percent", ExactDecimal),
    Column("source_document_id", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_catalog_agreement_lookup", "tenant_id", "wholesaler_id"),
)

group_discount = Table(
    "catalog_group_discount",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("discount_group", String(50), primary_key=True),
    Column("discount_percent", ExactDecimal, nullable=False),
    Column("discount_percent_2", ExactDecimal),
)

net_price = Table(
    "catalog_net_price",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("number_type", String(20), primary_key=True),
    Column("article_number", String(100), primary_key=True),
    Column("net_price", ExactDecimal, nullable=False),
    Column("price_quantity", ExactDecimal, nullable=False),
    Column("unit", String(50)),
    Column("description", String(500)),
)

ALL = (price_list_version, price, discount_agreement, group_discount, net_price)
