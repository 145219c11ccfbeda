"""Migrations of the ERP reference schema. Frozen: never import today's tables here."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hub.db.migrate import Migration
from hub.db.types import ExactDecimal, UtcDateTime


def _provenance_v1() -> list[Column[object]]:
    return [
        Column("source_document_id", String(36), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("translator", String(100), nullable=False),
        Column("translator_version", Integer, nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ]


def _v1(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "erp_supplier_invoice",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("tenant_id", String(64), nullable=False),
        Column("supplier_id", String(64), nullable=False),
        Column("invoice_number", String(100), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("type_code", String(10), nullable=False),
        Column("issue_date", Date, nullable=False),
        Column("due_date", Date),
        Column("delivery_date", Date),
        Column("currency", String(3), nullable=False),
        Column("seller_name", String(300)),
        Column("seller_org_number", String(100)),
        Column("seller_vat_number", String(100)),
        Column("buyer_name", String(300)),
        Column("buyer_org_number", String(100)),
        Column("buyer_vat_number", String(100)),
        Column("buyer_reference", String(300)),
        Column("order_reference", String(300)),
        Column("sales_order_reference", String(300)),
        Column("project_reference", String(300)),
        Column("contract_reference", String(300)),
        Column("despatch_reference", String(300)),
        Column("accounting_cost", String(300)),
        Column("payment_terms", Text),
        Column("payment_id", String(100)),
        Column("payee_account", String(100)),
        Column("corrects_invoice", String(300)),
        Column("line_total", ExactDecimal),
        Column("allowance_total", ExactDecimal),
        Column("charge_total", ExactDecimal),
        Column("tax_exclusive_total", ExactDecimal),
        Column("tax_total", ExactDecimal),
        Column("tax_inclusive_total", ExactDecimal),
        Column("prepaid_total", ExactDecimal),
        Column("rounding_amount", ExactDecimal),
        Column("payable_amount", ExactDecimal, nullable=False),
        Column("erp_status", String(20), nullable=False, doc="new | approved | booked — set by the ERP"),
        Column("needs_attention", Text, doc="why a person must look (e.g. a correction after approval)"),
        Column("duplicate_deliveries", Integer, nullable=False),
        *_provenance_v1(),
        UniqueConstraint("tenant_id", "supplier_id", "invoice_number", "kind", name="uq_erp_supplier_invoice"),
    )

    Table(
        "erp_supplier_invoice_line",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("invoice_id", Integer, ForeignKey("erp_supplier_invoice.id", ondelete="CASCADE"), nullable=False),
        Column("position", Integer, nullable=False),
        Column("line_id", String(100), nullable=False),
        Column("article_number", String(100)),
        Column("gtin", String(20)),
        Column("description", String(500)),
        Column("quantity", ExactDecimal, nullable=False),
        Column("unit_code", String(10)),
        Column("unit_price", ExactDecimal),
        Column("price_base_quantity", ExactDecimal),
        Column("gross_price", ExactDecimal),
        Column("line_amount", ExactDecimal, nullable=False),
        Column("vat_category", String(5)),
        Column("vat_rate", ExactDecimal),
        Column("order_line_reference", String(100)),
        Column("accounting_cost", String(300)),
        UniqueConstraint("invoice_id", "position", name="uq_erp_supplier_invoice_line"),
    )

    Table(
        "erp_supplier_invoice_vat",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("invoice_id", Integer, ForeignKey("erp_supplier_invoice.id", ondelete="CASCADE"), nullable=False),
        Column("category", String(5), nullable=False),
        Column("rate", ExactDecimal),
        Column("taxable_amount", ExactDecimal, nullable=False),
        Column("tax_amount", ExactDecimal, nullable=False),
    )

    Table(
        "erp_supplier_invoice_conflict",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("invoice_id", Integer, ForeignKey("erp_supplier_invoice.id", ondelete="CASCADE"), nullable=False),
        Column("source_document_id", String(36), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("reason", Text, nullable=False),
        Column("resolved", Boolean, nullable=False),
        Column("detected_at", UtcDateTime, nullable=False),
    )
    meta.create_all(conn)


def _v2(conn: Connection) -> None:
    meta = MetaData()
    Table("erp_supplier_invoice", meta, Column("id", Integer, primary_key=True))
    Table(
        "erp_supplier_invoice_attachment",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("invoice_id", Integer, ForeignKey("erp_supplier_invoice.id", ondelete="CASCADE"), nullable=False),
        Column("document_id", String(200), nullable=False),
        Column("description", String(500)),
        Column("filename", String(500)),
        Column("mime_type", String(100)),
        Column("sha256", String(64)),
        Column("size", Integer),
        Column("archive_uri", String(200)),
        Column("external_uri", String(1000)),
    ).create(conn)


def _v3(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "catalog_price_list_version",
        meta,
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

    Table(
        "catalog_price",
        meta,
        Column("version_id", String(36), primary_key=True),
        Column("line", BigInteger, primary_key=True, autoincrement=False),
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

    Table(
        "catalog_discount_agreement",
        meta,
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

    Table(
        "catalog_group_discount",
        meta,
        Column("agreement_id", String(36), primary_key=True),
        Column("discount_group", String(50), primary_key=True),
        Column("discount_percent", ExactDecimal, nullable=False),
        Column("discount_percent_2", ExactDecimal),
    )

    Table(
        "catalog_net_price",
        meta,
        Column("agreement_id", String(36), primary_key=True),
        Column("number_type", String(20), primary_key=True),
        Column("article_number", String(100), primary_key=True),
        Column("net_price", ExactDecimal, nullable=False),
        Column("price_quantity", ExactDecimal, nullable=False),
        Column("unit", String(50)),
        Column("description", String(500)),
    )
    meta.create_all(conn)


def _v4(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "erp_work_order",
        meta,
        Column("tenant_id", String(64), primary_key=True),
        Column("number", String(50), primary_key=True),
        Column("status", String(10), nullable=False, doc="open | closed — only open work orders receive rows"),
        Column("customer_name", String(300)),
        Column("description", Text),
        Column("created_at", UtcDateTime, nullable=False),
        Column("closed_at", UtcDateTime),
    )

    Table(
        "erp_order_row",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("tenant_id", String(64), nullable=False),
        Column("work_order", String(50), nullable=False),
        Column("wholesaler_id", String(64), nullable=False),
        Column("document_number", String(100), nullable=False),
        Column("document_kind", String(20), nullable=False),
        Column("line_id", String(50), nullable=False),
        Column("seq", Integer, nullable=False, doc="1 = first row of the line; later = corrections (delta rows)"),
        Column("article_number", String(100)),
        Column("gtin", String(20)),
        Column("description", String(500)),
        Column("quantity", ExactDecimal, nullable=False, doc="delivered quantity (a negative correction credits)"),
        Column("unit_code", String(10)),
        Column("unit", String(50)),
        Column("purchase_unit_price", ExactDecimal),
        Column("purchase_amount", ExactDecimal),
        Column("markup_percent", ExactDecimal),
        Column("sales_unit_price", ExactDecimal),
        Column("sales_amount", ExactDecimal),
        Column("price_source", String(10), nullable=False, doc="document | catalog | none"),
        Column("price_rule", String(30)),
        Column("price_flag", Text, doc="why the price is missing or doubtful; null = priced"),
        Column("discount_group", String(50)),
        Column("catalog_version_id", String(36)),
        Column("agreement_id", String(80)),
        Column("match_rule", String(100), nullable=False),
        Column("match_field", String(30), nullable=False),
        Column("match_text", String(500)),
        Column("delivery_date", Date),
        Column("erp_status", String(20), nullable=False, doc="new | exported | invoiced — set by the ERP"),
        *_provenance_v1(),
        UniqueConstraint("tenant_id", "wholesaler_id", "document_number", "line_id", "seq", name="uq_erp_order_row"),
    )

    Table(
        "erp_unmatched",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("tenant_id", String(64), nullable=False),
        Column("wholesaler_id", String(64), nullable=False),
        Column("document_number", String(100), nullable=False),
        Column("line_id", String(50), nullable=False, doc="'' = the whole document"),
        Column("reason", Text, nullable=False),
        Column("references", Text, doc="the references that were searched, for the person resolving it"),
        Column("payload", LargeBinary, nullable=False, doc="the OrderConfirmation event (Avro), to process it again"),
        Column("source_document_id", String(36), nullable=False),
        Column("status", String(10), nullable=False, doc="open | resolved"),
        Column("resolved_work_order", String(50)),
        Column("resolved_by", String(100)),
        Column("created_at", UtcDateTime, nullable=False),
        Column("resolved_at", UtcDateTime),
        UniqueConstraint("tenant_id", "wholesaler_id", "document_number", "line_id", name="uq_erp_unmatched"),
    )
    meta.create_all(conn)


def _v5(conn: Connection) -> None:
    meta = MetaData()
    Table("erp_supplier_invoice", meta, Column("id", Integer, primary_key=True))
    Table(
        "erp_invoice_check",
        meta,
        Column("invoice_id", Integer, ForeignKey("erp_supplier_invoice.id", ondelete="CASCADE"), primary_key=True),
        Column("price_checked", Boolean, nullable=False, doc="every line compared, or marked why it could not be"),
        Column("lines", Integer, nullable=False),
        Column("deviations", Integer, nullable=False),
        Column("overcharge_total", ExactDecimal, nullable=False, doc="sum of the deviations' overcharges"),
        Column("not_in_catalog", Integer, nullable=False),
        Column("cannot_compare", Integer, nullable=False),
        Column("agreement_expired", Integer, nullable=False),
        Column("matched_lines", Integer, nullable=False, doc="lines linked to a delivery row"),
        Column("not_delivered_lines", Integer, nullable=False, doc="lines billing nothing that was delivered"),
        Column("checked_at", UtcDateTime, nullable=False),
    )

    Table(
        "erp_invoice_line_check",
        meta,
        Column("invoice_id", Integer, ForeignKey("erp_supplier_invoice.id", ondelete="CASCADE"), primary_key=True),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("line_id", String(100), nullable=False),
        Column(
            "status",
            String(20),
            nullable=False,
            doc="OK | DEVIATION | NOT_IN_CATALOG | CANNOT_COMPARE | AGREEMENT_EXPIRED",
        ),
        Column("note", Text),
        Column("base_unit", String(10)),
        Column("quantity", ExactDecimal, doc="invoiced quantity in base units"),
        Column("invoiced_unit_price", ExactDecimal, doc="per base unit"),
        Column("expected_unit_price", ExactDecimal, doc="per base unit, from catalog and agreement"),
        Column("difference_percent", ExactDecimal),
        Column("overcharge", ExactDecimal),
        Column("rule", String(30)),
        Column("version_id", String(36)),
        Column("agreement_id", String(80)),
        Column("order_row_id", Integer, doc="the delivery row this line bills (erp_order_row.id)"),
        Column("link_method", String(30), nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["erp_invoice_check"], meta.tables["erp_invoice_line_check"]])


ERP_MIGRATIONS = [
    Migration(1, "supplier invoices with lines, VAT breakdown, conflicts", _v1),
    Migration(2, "supplier invoice attachments (archived embedded documents)", _v2),
    Migration(3, "price catalog: price-list versions, prices, discount agreements", _v3),
    Migration(4, "work orders, order rows from pick-ups, unmatched deliveries", _v4),
    Migration(5, "invoice price control and reconciliation results", _v5),
]
