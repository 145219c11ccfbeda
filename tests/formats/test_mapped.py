"""Mapped CSV and XLSX: files read through a ColumnMapping, and mappings that do not fit the file.

The XLSX workbooks are written here with the standard library (python-calamine only reads): a minimal
package with inline-string and numeric cells, which is what Excel and LibreOffice read too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import pytest

from hub.canonical.pricelist import DiscountAgreement, GroupDiscount, NetPrice, Price, PriceListVersion
from hub.errors import HostileInputError, InvalidValueError, MissingFieldError, ParseError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext
from hub.formats.mapped import MappedCsvTranslator, MappedXlsxTranslator
from hub.formats.mapped_xlsx import column_letter, letter_index
from hub.formats.mapping import ColumnMapping, MappedColumns

CSV = MappedCsvTranslator()
XLSX = MappedXlsxTranslator()
SheetRows = Sequence[tuple[int, Sequence[object]]]  # (Excel row number, cells from column A; None = no cell)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def _cell(ref: str, value: object) -> str:
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _sheet_xml(rows: SheetRows) -> str:
    body = "".join(
        f'<row r="{n}">'
        + "".join(_cell(f"{column_letter(i)}{n}", v) for i, v in enumerate(cells) if v is not None)
        + "</row>"
        for n, cells in rows
    )
    return f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>{body}</sheetData></worksheet>'


def make_xlsx(sheets: Sequence[tuple[str, SheetRows]]) -> bytes:
    """A minimal XLSX workbook: one worksheet part per (name, rows)."""
    numbers = range(1, len(sheets) + 1)
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>' for i in numbers
    )
    workbook_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    parts = {
        "[Content_Types].xml": f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{workbook_type}"/>{overrides}</Types>',
        "_rels/.rels": f'{_XML}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
        + "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in zip(numbers, sheets, strict=True)
        )
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'{_XML}<Relationships xmlns="{_RELS}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in numbers
        )
        + "</Relationships>",
    }
    parts |= {f"xl/worksheets/sheet{i}.xml": _sheet_xml(rows) for i, (_, rows) in zip(numbers, sheets, strict=True)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _mapping(**fields: Any) -> ColumnMapping:
    columns = fields.pop("columns", {"article_number": "Artnr", "price": "Pris"})
    return ColumnMapping(
        name=fields.pop("name", "byggvaruhuset"), owner="nordstrom", columns=MappedColumns(**columns), **fields
    )


def _run(translator: Any, data: bytes, mapping: ColumnMapping | None, **options: str) -> list[object]:
    options = {"valid_from": "2025-03-01", **options}
    context = TranslationContext(partner_id="byggvaruhuset", tenant_id="nordstrom", options=options, mapping=mapping)
    return list(translator.translate(io.BytesIO(data), context))


def _prices(records: list[object]) -> list[Price]:
    return [r for r in records if isinstance(r, Price)]


def _failed(records: list[object]) -> list[FailedRecord]:
    return [r for r in records if isinstance(r, FailedRecord)]


# --- CSV --------------------------------------------------------------------------------------------

PRICE_CSV = (
    "Artnr;Benämning;Enhet;Pris;Per;EAN\r\n"
    "B-100;Gipsskiva 13 mm;ST;1 234,50;1;7350000000011\r\n"
    "B-200;Reglar 45×95;M;12 345 678,00;100;\r\n"
    "B-300;Skruv;FP;\u00a012,5;;\r\n"
).encode()


def test_mapped_csv_with_header_and_thousands_separators() -> None:
    columns = {
        "article_number": "artnr",
        "price": " PRIS ",
        "description": 2,
        "unit": "C",
        "price_quantity": "Per",
        "gtin": "EAN",
    }
    mapping = _mapping(thousands_separator=" ", currency="NOK", number_type="GTIN", price_type="NET", columns=columns)
    records = _run(CSV, PRICE_CSV, mapping, version_id="v-7")
    first, last = records[0], records[-1]
    assert isinstance(first, PriceListVersion) and isinstance(last, PriceListVersion)
    assert (first.status, first.valid_from, first.currency, first.scope, first.version_id) == (
        "ANNOUNCED",
        date(2025, 3, 1),
        "NOK",
        "nordstrom",
        "v-7",
    )
    assert (last.status, last.article_count, last.failed_lines) == ("COMPLETE", 3, 0)
    skiva, regel, skruv = _prices(records)
    assert (skiva.article_number, skiva.description, skiva.list_price, skiva.gtin) == (
        "B-100",
        "Gipsskiva 13 mm",
        Decimal("1234.50"),
        "7350000000011",
    )
    assert (skiva.unit, skiva.unit_code, skiva.number_type, skiva.price_type, skiva.line) == (
        "ST",
        "EA",
        "GTIN",
        "NET",
        2,
    )
    assert (regel.list_price, regel.price_quantity, regel.unit_list_price) == (
        Decimal("12345678.00"),
        Decimal(100),
        Decimal("123456.78"),
    )
    assert (skruv.list_price, skruv.price_quantity, skruv.gtin, skruv.status) == (
        Decimal("12.5"),
        Decimal(1),
        None,
        "ACTIVE",
    )


def test_mapped_csv_encodings() -> None:
    data = "Artnr;Pris\nÅ-1;1,00\n".encode("cp1252")
    (price,) = _prices(_run(CSV, data, _mapping(encoding="cp1252")))
    assert price.article_number == "Å-1"
    (auto,) = _prices(_run(CSV, data, _mapping(encoding="auto")))
    assert auto.article_number == "Å-1"
    (bad,) = _failed(_run(CSV, data, _mapping()))  # the default utf-8 does not fit
    assert bad.reference == "line 2" and "not valid utf-8" in bad.error.message
    with pytest.raises(InvalidValueError, match="encoding 'klingon'"):
        _run(CSV, data, _mapping(encoding="klingon"))
    with pytest.raises(InvalidValueError, match="not read line by line"):
        _run(CSV, data, _mapping(encoding="utf-16"))


def test_columns_by_index_and_letter_without_header() -> None:
    mapping = _mapping(
        header_rows=0,
        delimiter=",",
        decimal_separator=".",
        thousands_separator=",",
        columns={"article_number": 1, "price": "C"},
    )
    (price,) = _prices(_run(CSV, b'A-1,ignored,"1,234.5"\n', mapping))
    assert (price.article_number, price.list_price, price.line) == ("A-1", Decimal("1234.5"), 1)


def test_mapping_that_does_not_fit_names_the_headers() -> None:
    mapping = _mapping(columns={"article_number": "Artikelnummer", "price": "Pris"})
    with pytest.raises(MissingFieldError) as caught:
        _run(CSV, PRICE_CSV, mapping)
    message = caught.value.message
    assert "column 'Artikelnummer' (article_number) is not in the file" in message
    assert "'Artnr', 'Benämning', 'Enhet', 'Pris', 'Per', 'EAN'" in message
    assert caught.value.location == "line 1"
    with pytest.raises(MissingFieldError, match="header_rows: 0"):
        _run(CSV, PRICE_CSV, _mapping(header_rows=0))
    with pytest.raises(MissingFieldError, match="'Z'"):
        _run(CSV, PRICE_CSV, _mapping(columns={"article_number": "Z", "price": "Pris"}))


def test_no_mapping_and_wrong_mapping() -> None:
    with pytest.raises(MissingFieldError, match=r"no column mapping given; import with --mapping NAME"):
        _run(CSV, PRICE_CSV, None)
    with pytest.raises(InvalidValueError, match="is for xlsx files"):
        _run(CSV, PRICE_CSV, _mapping(file_type="xlsx"))
    with pytest.raises(MissingFieldError, match=r"names no price column"):
        _run(CSV, PRICE_CSV, _mapping(columns={"article_number": "Artnr"}))
    with pytest.raises(InvalidValueError, match="both separators"):
        _run(CSV, PRICE_CSV, _mapping(thousands_separator=","))


def test_missing_valid_from() -> None:
    context = TranslationContext(mapping=_mapping())
    with pytest.raises(MissingFieldError, match=r"give the import a valid-from date \(hub import --valid-from\)"):
        list(CSV.translate(io.BytesIO(PRICE_CSV), context))


def test_bad_line_names_line_and_column() -> None:
    data = b"Artnr;Pris;Per\nA-1;12,50;1\nA-2;12.50;1\n;1,00;1\nA-4;1,00;0\nA-5;-3,00;1\n"
    records = _run(CSV, data, _mapping(columns={"article_number": "Artnr", "price": "Pris", "price_quantity": "Per"}))
    failed = _failed(records)
    assert [f.reference for f in failed] == ["line 3", "line 4", "line 5", "line 6"]
    assert failed[0].error.location == "line 3, column 2 (Pris)"
    assert "'12.50' is not a number (decimal ',')" in failed[0].error.message
    assert failed[1].error.location == "line 4, column 1 (Artnr)"
    assert failed[2].error.location == "line 5, column 3 (Per)"
    last = records[-1]
    assert isinstance(last, PriceListVersion) and (last.article_count, last.failed_lines) == (1, 4)
    assert [p.field for p in last.line_report] == ["Pris", "Artnr", "Per", "Pris"]


def test_empty_price_list_is_refused() -> None:
    with pytest.raises(MissingFieldError, match="no data rows"):
        _run(CSV, b"Artnr;Pris\r\n", _mapping())


def test_header_rows_count_physical_lines() -> None:
    data = b"Prislista mars 2025\n\nArtnr;Pris\nA-1;1,00\n"
    (price,) = _prices(_run(CSV, data, _mapping(header_rows=3)))
    assert (price.article_number, price.line) == ("A-1", 4)


def test_discount_letter_kind() -> None:
    data = b"Grupp;Rabatt;Rabatt 2\n14AA;42;5\n00AB;10,5;\n*;35\n"
    columns = {"article_number": "Grupp", "discount_percent": "Rabatt", "discount_percent_2": "Rabatt 2"}
    (agreement,) = _run(CSV, data, _mapping(kind="discount_letter", columns=columns), agreement_id="a-9")
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.group_discounts == (
        GroupDiscount("14AA", Decimal(42), Decimal(5)),
        GroupDiscount("00AB", Decimal("10.5")),
    )
    assert (agreement.default_discount_percent, agreement.valid_from, agreement.agreement_id) == (
        Decimal(35),
        date(2025, 3, 1),
        "a-9",
    )
    assert (agreement.wholesaler_id, agreement.tenant_id) == ("byggvaruhuset", "nordstrom")
    records = _run(CSV, b"Grupp;Rabatt;Rabatt 2\n14AA;142\n00AB;1\n", _mapping(kind="discount_letter", columns=columns))
    (bad,) = _failed(records)
    assert bad.error.location == "line 2, column 2 (Rabatt)"
    with pytest.raises(MissingFieldError, match="discount_percent"):
        _run(CSV, data, _mapping(kind="discount_letter", columns={"article_number": "Grupp"}))


def test_net_prices_kind() -> None:
    data = b"Art;Netto;Per\nA-1;3,65;\nA-2;100,00;100\n"
    columns = {"article_number": "Art", "price": "Netto", "price_quantity": "Per"}
    (agreement,) = _run(CSV, data, _mapping(kind="net_prices", columns=columns, number_type="SE_E_NUMBER"))
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.net_prices == (
        NetPrice("A-1", Decimal("3.65"), number_type="SE_E_NUMBER"),
        NetPrice("A-2", Decimal("100.00"), Decimal(100), number_type="SE_E_NUMBER"),
    )
    assert agreement.currency == "SEK" and agreement.group_discounts == ()


def test_mapped_translators_are_chosen_by_name_only() -> None:
    for sniffed in (Sniffed("csv", head=PRICE_CSV), Sniffed("unknown", head=make_xlsx([("S", [])])), Sniffed("csv")):
        assert CSV.accepts(sniffed) == XLSX.accepts(sniffed) == 0


# --- XLSX -------------------------------------------------------------------------------------------

PRICE_SHEET: SheetRows = [
    (1, ["Byggvaruhuset AB prislista"]),
    (3, [None, "Artnr", "Benämning", "Pris", "Enhet"]),
    (4, [None, "B-100", "Gipsskiva", 12.35, "ST"]),
    (6, [None, 1416002, "Regel", 0.1 + 0.2, "M"]),
    (7, [None, "B-300", "Skruv", "12,50", "FP"]),
    (8, [None, "B-400", "Spik", "tolv", "FP"]),
    (9, [None, "B-500", "Lim", 7, None]),
]


def _xlsx_mapping(**fields: Any) -> ColumnMapping:
    base: dict[str, Any] = {"file_type": "xlsx", "header_rows": 3, "sheet": "Prislista"}
    base["columns"] = {"article_number": "Artnr", "price": "Pris", "description": "C", "unit": 5}
    return _mapping(**(base | fields))


def test_xlsx_price_list() -> None:
    data = make_xlsx([("Info", [(1, ["x"])]), ("Prislista", PRICE_SHEET)])
    records = _run(XLSX, data, _xlsx_mapping())
    skiva, regel, skruv, lim = _prices(records)
    assert (skiva.article_number, skiva.list_price, skiva.description, skiva.unit_code, skiva.line) == (
        "B-100",
        Decimal("12.35"),
        "Gipsskiva",
        "EA",
        4,
    )
    assert (regel.article_number, regel.list_price, regel.line) == ("1416002", Decimal("0.3"), 6)
    assert (skruv.list_price, lim.list_price, lim.unit) == (Decimal("12.50"), Decimal(7), None)
    (bad,) = _failed(records)
    assert bad.reference == "line 8"
    assert bad.error.location == "sheet Prislista, row 8, column D (Pris)"
    last = records[-1]
    assert isinstance(last, PriceListVersion) and (last.article_count, last.failed_lines) == (4, 1)


def test_xlsx_sheet_by_index_and_default() -> None:
    data = make_xlsx([("Prislista", PRICE_SHEET), ("Annat", [(1, ["y"])])])
    assert len(_prices(_run(XLSX, data, _xlsx_mapping(sheet=1)))) == 4
    assert len(_prices(_run(XLSX, data, _xlsx_mapping(sheet=None)))) == 4
    assert len(_prices(_run(XLSX, data, _xlsx_mapping(sheet="prislista")))) == 4
    with pytest.raises(InvalidValueError, match=r"no sheet 'Priser'; its sheets are: 'Prislista', 'Annat'"):
        _run(XLSX, data, _xlsx_mapping(sheet="Priser"))
    with pytest.raises(InvalidValueError, match="no sheet 3"):
        _run(XLSX, data, _xlsx_mapping(sheet=3))


def test_xlsx_mapping_that_does_not_fit() -> None:
    data = make_xlsx([("Prislista", PRICE_SHEET)])
    mapping = _xlsx_mapping(columns={"article_number": "Artikelnummer", "price": "Pris"})
    with pytest.raises(MissingFieldError) as caught:
        _run(XLSX, data, mapping)
    assert caught.value.location == "sheet Prislista, row 3"
    assert "the file's headers are: 'Artnr', 'Benämning', 'Pris', 'Enhet'" in caught.value.message
    with pytest.raises(MissingFieldError, match="'G'"):
        _run(XLSX, data, _xlsx_mapping(columns={"article_number": "B", "price": "G"}))


def test_xlsx_larger_than_the_cap() -> None:
    data = make_xlsx([("Prislista", PRICE_SHEET)])
    with pytest.raises(HostileInputError, match=f"XLSX larger than {len(data) - 1} bytes"):
        _run(XLSX, data, _xlsx_mapping(max_xlsx_bytes=len(data) - 1))


def test_xlsx_that_would_inflate_too_far() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 5_000_000)
    with pytest.raises(HostileInputError, match="inflate"):
        _run(XLSX, buffer.getvalue(), _xlsx_mapping(max_xlsx_bytes=100_000))


@pytest.mark.parametrize("cut", [0, 10, 200, -30])
def test_corrupt_or_truncated_xlsx(cut: int) -> None:
    data = make_xlsx([("Prislista", PRICE_SHEET)])
    with pytest.raises(ParseError):
        _run(XLSX, data[:cut], _xlsx_mapping())


def test_xlsx_zip_without_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ParseError, match="cannot be read"):
        _run(XLSX, buffer.getvalue(), _xlsx_mapping())


def test_xlsx_discount_letter() -> None:
    rows: SheetRows = [(1, ["Materialgrupp", "Rabatt"]), (2, ["14AA", 42]), (3, ["REST", 35.5]), (4, ["00AB", "12,5"])]
    mapping = _mapping(
        file_type="xlsx", kind="discount_letter", columns={"article_number": "A", "discount_percent": "B"}
    )
    (agreement,) = _run(XLSX, make_xlsx([("Rabatter", rows)]), mapping)
    assert isinstance(agreement, DiscountAgreement)
    assert agreement.group_discounts == (GroupDiscount("14AA", Decimal(42)), GroupDiscount("00AB", Decimal("12.5")))
    assert agreement.default_discount_percent == Decimal("35.5")


def test_xlsx_empty_sheet_is_no_price_list() -> None:
    with pytest.raises(MissingFieldError, match="no header row in its first 3 rows"):
        _run(XLSX, make_xlsx([("Prislista", [])]), _xlsx_mapping())
    with pytest.raises(MissingFieldError, match="no data rows"):
        _run(XLSX, make_xlsx([("Prislista", PRICE_SHEET[:2])]), _xlsx_mapping())


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    assert [letter_index(s) for s in ("A", "Z", "AA", "ZZ", "AAA", "XFD")] == [0, 25, 26, 701, 702, 16383]
