"""Streaming table readers and cell parsers (kg.imports.tables) on real export files and their quirks."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from kg.imports.erasmus import parse_address
from kg.imports.tables import (
    CellError,
    TableFile,
    check_text,
    open_tables,
    parse_amount,
    parse_bool,
    parse_date,
    parse_url,
    xlsx_header,
)
from test_import_helpers import H2020_REF, HE, HEAD, read_csv, write_data_xlsx, write_official_csv


def test_pandas_csv_is_read_with_comma_and_all_rows():
    t = TableFile(HEAD / "organization_df_100.csv")
    assert t.header[:5] == ["projectID", "projectAcronym", "organisationID", "vatNumber", "name"]
    rows = list(t.rows())
    assert len(rows) == 100 and rows[0].number == 2 and rows[-1].number == 101
    assert rows[0].get("geolocation") == "51.9863279,5.6679366"  # one quoted "lat,lon" field
    assert not any(r.shifted or r.bad_encoding for r in rows)


def test_reference_tables_semicolons_crlf_bom_and_a_bare_line_break():
    sic = TableFile(H2020_REF / "cordisref-sicCode.csv")
    assert sic.header == ["code", "title", "description", "language"]  # the UTF-8 BOM is not part of 'code'
    programmes = TableFile(H2020_REF / "cordisref-H2020programmes.csv")
    rows = list(programmes.rows())
    assert len(rows) == 1223  # as SOURCES.md counts them
    multi = [r for r in rows if r.lines > 1]
    assert len(multi) == 1  # the one quoted field with a bare line break
    after = rows[rows.index(multi[0]) + 1]
    assert after.number == multi[0].number + multi[0].lines  # line numbers stay true after it


def test_official_semicolon_csv_with_multiline_fields(tmp_path: Path):
    header, rows = read_csv(HEAD / "project_df_100.csv")
    i = header.index("objective")
    rows[0][i] = "First line;\nsecond line with a \"quote\"\nthird"
    path = write_official_csv(tmp_path / "project.csv", header, rows)
    t = TableFile(path)
    read = list(t.rows())
    assert len(read) == 100
    assert read[0].get("objective") == 'First line;\nsecond line with a "quote"\nthird'
    assert read[0].lines == 3 and read[1].number == 5
    assert read[1].get("acronym") == rows[1][header.index("acronym")]


def test_xlsx_header_is_read_without_loading_the_shared_strings():
    header, n = xlsx_header(HE / "euroSciVoc.xlsx")
    assert header == ["projectID", "euroSciVocCode", "euroSciVocPath", "euroSciVocTitle"]
    assert n == 38790  # 38,789 rows + the header, as the sheet's dimension states


def test_xlsx_rows_stream_with_sheet_row_numbers(tmp_path: Path):
    header, rows = read_csv(HEAD / "topics_df_100.csv")
    path = write_data_xlsx(tmp_path / "topics.xlsx", header, rows)
    t = TableFile(path)
    assert t.kind == "xlsx" and t.header == ["projectID", "topic", "title"]
    read = list(t.rows())
    assert [r.number for r in read[:2]] == [2, 3]
    assert read[0].values == {"projectID": "101116741", "topic": "ERC-2023-STG", "title": "ERC STARTING GRANTS"}


def test_xlsx_typed_cells_and_offset_grid_keep_sheet_rows_and_values(tmp_path: Path):
    """A sheet that starts at B3, with a blank row and typed (non-text) cells: rows keep their sheet row
    numbers, columns keep their places, numbers/dates/booleans read as the text the export means."""
    import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DATA"
    for col, h in zip("BCDE", ["id", "amount", "start", "flag"], strict=True):
        ws[f"{col}3"] = h
    ws.append([None, 101, 2.5, datetime.date(2020, 1, 2), True])
    ws.append([])
    ws.append([None, 12345678901234, 1499998.0, datetime.datetime(2024, 1, 31, 13, 50, 3), False, "extra"])
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    read = list(TableFile(path).rows())
    assert [r.number for r in read] == [4, 6]
    assert read[0].values == {"": "", "id": "101", "amount": "2.5", "start": "2020-01-02", "flag": "true"}
    assert read[1].values["amount"] == "1499998" and read[1].values["start"] == "2024-01-31 13:50:03"
    assert read[1].values["id"] == "12345678901234" and read[1].extra == ["extra"]


def test_zip_members_are_tables(tmp_path: Path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(HEAD / "topics_df_100.csv", "data/topics.csv")
        z.write(HEAD / "legalBasis_df_100.csv", "data/legalBasis.csv")
        z.writestr("__MACOSX/data/._topics.csv", b"junk")
        z.writestr("data/readme.txt", "")
    tables = list(open_tables([archive]))
    assert [t.name for t in tables] == ["export.zip!data/legalBasis.csv", "export.zip!data/topics.csv"]
    assert not any(t.explicit for t in tables)
    assert len(list(tables[1].rows())) == 100


def test_shifted_rows_and_broken_bytes_are_flagged(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_bytes(
        b"a;b;c\r\n"
        b"1;two;3\r\n"
        b"1;two; and more;3\r\n"
        b"1;caf\xe9;3\r\n"
        b'1;"a "quoted" word";3\r\n'
        b"1;2;3\r\n"
    )
    rows = list(TableFile(path).rows())
    assert [r.number for r in rows] == [2, 3, 4, 5, 6]
    assert not rows[0].shifted
    assert rows[1].shifted and rows[1].extra == ["3"]
    assert rows[2].bad_encoding and rows[2].bad_encoding[0].startswith("b:byte 0xE9 (Windows-1252 'é')")
    assert rows[3].error and rows[3].error_column == "b"  # an unescaped quote inside a quoted field
    assert rows[4].values == {"a": "1", "b": "2", "c": "3"}


def test_value_parsers():
    assert parse_amount("x", "1499998.0") == Decimal("1499998.0")
    assert parse_amount("x", "240000.0 EUR") == Decimal("240000.0")
    assert parse_amount("x", "112527,93") == Decimal("112527.93")
    assert parse_amount("x", "") is None
    for bad in ("75,000", "n/a", "-5"):
        with pytest.raises(CellError):
            parse_amount("x", bad)
    assert str(parse_date("x", "01/05/2006")) == "2006-05-01"
    assert str(parse_date("x", "2024-01-31 13:50:03")) == "2024-01-31"
    with pytest.raises(CellError, match="is not a date"):
        parse_date("startDate", "2019-02-30")
    assert parse_bool("x", "True") is True and parse_bool("x", "No") is False and parse_bool("x", "") is None
    assert parse_url("www.parts.be") == "http://www.parts.be"
    assert parse_url("N/A") is None and parse_url("http://a b.com") is None
    with pytest.raises(CellError, match="broken encoding"):
        check_text("title", "Marie Sk\ufffdodowska")
    with pytest.raises(CellError, match="UTF-8 read as Latin-1"):
        check_text("name", "UniversitÃ© de Lille")


@pytest.mark.parametrize(
    "address, post, city",
    [
        ("Pistoriusstraße 133, 13086, Berlin", "13086", "Berlin"),
        ("Müegyetem rkp 3-9  1111 BUDAPEST", "1111", "BUDAPEST"),
        ("Karl-Liebknechtstr.24, Haus 14/Zimmer 2.13, DE-14476, GOLM", "DE-14476", "GOLM"),
        ("University Campus,   GR-73100 Chania", "GR-73100", "Chania"),
        ("M. Voda , 89  104 40 Athens", "104 40", "Athens"),
        ("94 GOLDSMITH AVENUE, W3 6HW, LONDON", "W3 6HW", "LONDON"),
        ("Vocarska 17\n32000 Vukovar", "32000", "Vukovar"),
        ("N/A, GRONINGEN", None, "GRONINGEN"),
        ("National Sports Campus, Dublin 15, D15 Y52H", "D15 Y52H", None),
        ("Talented Athlete Scholarship Scheme, 3rd Floor, 6 North Street East Northumbria University Newcastle upon Tyne Tyne & Wear NE1 8ST", None, None),
    ],
)
def test_platform_addresses(address: str, post: str | None, city: str | None):
    street, got_post, got_city = parse_address(address)
    assert street and (got_post, got_city) == (post, city)
