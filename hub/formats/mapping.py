"""Column mappings: how to read a price list or discount letter the hub has no translator for.

A mapping is configuration (the partners file, top-level ``mappings``), owned by a wholesaler or a tenant,
and names which column holds what. Columns are given as a 1-based index, an Excel letter (``C``) or a
header text; the translator resolves them against the file. Pure data: no I/O here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.canonical.pricelist import NumberType

ColumnRef = int | str  # 1-based index, Excel letter or header text


class MappedColumns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    article_number: ColumnRef = Field(description="The article number column (required).")
    description: ColumnRef | None = None
    unit: ColumnRef | None = None
    price: ColumnRef | None = Field(None, description="List price (price lists) or net price (net-price files).")
    price_quantity: ColumnRef | None = Field(None, description="How many units the price is for (default 1).")
    discount_group: ColumnRef | None = None
    gtin: ColumnRef | None = None
    status: ColumnRef | None = None
    discount_percent: ColumnRef | None = Field(None, description="Discount letters: discount per group.")
    discount_percent_2: ColumnRef | None = Field(None, description="Discount letters: a second discount column.")


class ColumnMapping(BaseModel):
    """One named mapping, e.g. ``byggvaruhuset-xlsx`` for a web-shop XLSX export."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    owner: str = Field(description="The wholesaler or tenant id that may use this mapping.")
    kind: Literal["price_list", "discount_letter", "net_prices"] = "price_list"
    file_type: Literal["csv", "xlsx"] = "csv"
    encoding: str = Field("utf-8", description="CSV text encoding, e.g. utf-8, cp1252, iso-8859-1.")
    delimiter: str = Field(";", min_length=1, max_length=1)
    decimal_separator: Literal[",", "."] = ","
    thousands_separator: Literal["", " ", ".", ","] = ""
    header_rows: int = Field(1, ge=0, description="Rows before the data (a header row is used to resolve names).")
    sheet: str | int | None = Field(None, description="XLSX sheet name or 1-based index; default the first.")
    number_type: NumberType = "SUPPLIER"
    currency: str = "SEK"
    price_type: Literal["GROSS", "NET"] = "GROSS"
    max_xlsx_bytes: int = Field(50 * 1024 * 1024, description="XLSX is read whole: larger files are refused.")
    columns: MappedColumns
