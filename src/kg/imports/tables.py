"""Streaming readers for tabular exports (CSV, xlsx, zip archives of them) and cell-value parsers.

Programme databases are published as spreadsheets: CORDIS as ``;``-separated CSV with quoted
multi-line fields (or re-saved by pandas with ``,``), or as xlsx with one sheet ``DATA`` and every
cell text; the Erasmus+ Project Results Platform as xlsx or CSV. :func:`open_tables` yields one
:class:`TableFile` per table found in the paths given (a file, a directory, or a zip holding them);
its :meth:`TableFile.rows` streams :class:`Row` objects without ever holding a whole file: the csv
module on a byte stream for CSV, python-calamine for xlsx (a sheet is parsed whole, in Rust, then
turned into rows).

A row keeps where it starts (the CSV line, or the sheet row), the fields beyond the header
(``extra``, a sign of columns shifted by an unescaped delimiter or quote), and the columns whose bytes
were not UTF-8. The parsers (:func:`parse_date`, :func:`parse_amount` …) raise :class:`CellError`,
which the importers turn into ``file:row:column: reason`` reports.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, NoReturn

import python_calamine

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx"}
MAX_RECORD_LINES = 2000  # a quoted field running longer than this swallowed later records

__all__ = [
    "CellError",
    "Row",
    "TableFile",
    "check_text",
    "check_values",
    "find_control",
    "open_tables",
    "parse_amount",
    "parse_bool",
    "parse_date",
    "parse_int",
    "parse_url",
    "strip_control",
]


# --------------------------------------------------------------------------- errors and rows
class CellError(ValueError):
    """A value that cannot be read: ``column`` names the header field, ``reason`` says why."""

    def __init__(self, column: str, reason: str):
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


@dataclass(slots=True)
class Row:
    """One record of a table, its values keyed by header name (missing fields are '')."""

    number: int  # CSV: the line the record starts on (header = line 1); xlsx: the sheet row
    values: dict[str, str]
    extra: list[str] = field(default_factory=list)  # fields beyond the header
    missing: int = 0  # header columns the record has no field for
    bad_encoding: list[str] = field(default_factory=list)  # "column:description" of values whose bytes were not UTF-8
    lines: int = 1  # physical lines the record spans (CSV)
    error: str | None = None  # the CSV parser's own complaint, if any
    error_column: str = "-"  # the column the complaint is about, when it can be told

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    @property
    def shifted(self) -> bool:
        """More or fewer fields than the header: a delimiter or quote inside a value moved the columns."""
        return bool(self.extra) or self.missing > 0


# --------------------------------------------------------------------------- damaged archives
@contextlib.contextmanager
def _readable(name: str) -> Iterator[None]:
    """A damaged archive (a zip, or an xlsx, which is one) as one :class:`CellError` naming the file,
    never a traceback: not a zip at all, truncated, a member whose bytes fail their CRC or inflate."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CellError(name, f"damaged or not a zip archive ({exc or type(exc).__name__})") from None
    except (KeyError, ET.ParseError) as exc:  # an xlsx package without its parts, or with broken XML
        raise CellError(name, f"damaged xlsx workbook ({exc})") from None


# --------------------------------------------------------------------------- table files
@dataclass
class TableFile:
    """One table: a CSV or xlsx file, possibly inside a zip archive."""

    path: Path  # the file on disk (the archive for zip members)
    member: str | None = None  # the member's name inside the archive
    explicit: bool = True  # named by the user (not found inside a directory or an archive)
    _header: list[str] | None = None
    _delimiter: str | None = None
    _rows_stated: int | None = None

    @property
    def name(self) -> str:
        """How reports name it: ``organization.csv`` or ``export.zip!organization.csv``."""
        return f"{self.path.name}!{self.member}" if self.member else self.path.name

    @property
    def stem(self) -> str:
        return Path(self.member).stem if self.member else self.path.stem

    @property
    def kind(self) -> str:
        suffix = Path(self.member or self.path.name).suffix.lower()
        return "xlsx" if suffix == ".xlsx" else "csv"

    # ------------------------------------------------------------------ bytes
    def open_bytes(self) -> IO[bytes]:
        if self.member is None:
            return open(self.path, "rb")
        archive = zipfile.ZipFile(self.path)
        stream = archive.open(self.member)
        stream._kg_archive = archive  # type: ignore[attr-defined]  # closed with the stream's owner
        return stream

    def size(self) -> int:
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as archive:
            return archive.getinfo(self.member).file_size

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with _readable(self.name), self.open_bytes() as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    # ------------------------------------------------------------------ header and rows
    @property
    def header(self) -> list[str]:
        if self._header is None:
            if self.kind == "xlsx":
                with _readable(self.name), self._xlsx_path() as path:
                    self._header, self._rows_stated = xlsx_header(path)
            else:
                for _ in self._iter(header_only=True):
                    pass
        assert self._header is not None
        return self._header

    def rows(self, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
        """Every record after the header. ``progress`` is called with units done (bytes for CSV, rows for xlsx)."""
        yield from self._iter(progress=progress)

    def total_units(self) -> int | None:
        """What ``progress`` counts up to: the byte size (CSV) or the sheet's row count (xlsx, when stated)."""
        if self.kind == "csv":
            return self.size()
        if self._header is None:
            self.header  # noqa: B018 - reads the sheet's stated dimension too
        return self._rows_stated

    def _iter(self, *, header_only: bool = False, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
        with _readable(self.name):
            if self.kind == "xlsx":
                yield from self._xlsx_rows(header_only=header_only, progress=progress)
            else:
                yield from self._csv_rows(header_only=header_only, progress=progress)

    # ------------------------------------------------------------------ CSV
    def _csv_rows(self, *, header_only: bool, progress: Callable[[int], None] | None) -> Iterator[Row]:
        raw = self.open_bytes()
        counted = _CountingReader(raw, progress)
        try:
            buffered = io.BufferedReader(counted, 1 << 16)
            text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="surrogateescape", newline="")
            first = text.readline()
            delimiter = self._delimiter or sniff_delimiter(first)
            self._delimiter = delimiter
            header = next(csv.reader([first], delimiter=delimiter), [])
            self._header = [h.strip().lstrip("\ufeff") for h in header]
            if header_only:
                return
            recorder = _LineRecorder(text)
            # strict: a quote inside a quoted field that is not doubled is an error, not silently dropped
            reader = csv.reader(recorder, delimiter=delimiter, strict=True)
            header = self._header
            width = len(header)
            line = 1  # lines consumed so far (the header)
            while True:
                start = line + 1
                recorder.lines = []
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    line = 1 + reader.line_num
                    index = _bad_quote_field("".join(recorder.lines), delimiter)
                    column = self._header[index] if index is not None and index < width else "-"
                    yield Row(
                        start,
                        {},
                        error=f"unescaped '\"' inside a quoted field ({exc})",
                        error_column=column,
                        lines=line - start + 1,
                    )
                    continue
                line = 1 + reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # blank line
                n = len(fields)
                if _SURROGATE.search("\x00".join(fields)) is None:
                    # the common case: every byte was UTF-8 (one search over the whole record)
                    bad: list[str] = []
                    values = dict(zip(header, fields))
                    extra = fields[width:] if n > width else []
                else:
                    bad = [
                        f"{header[i] if i < width else f'field {i + 1}'}:{_bad_bytes(v)}"
                        for i, v in enumerate(fields)
                        if _has_surrogate(v)
                    ]
                    values = dict(zip(header, map(_decode_lossy, fields)))
                    extra = [_decode_lossy(v) for v in fields[width:]]
                if n < width:
                    for h in header[n:]:
                        values[h] = ""
                yield Row(start, values, extra, width - n if n < width else 0, bad, line - start + 1)
        finally:
            raw.close()
            archive = getattr(raw, "_kg_archive", None)
            if archive is not None:
                archive.close()

    # ------------------------------------------------------------------ xlsx
    def _xlsx_path(self) -> _MaterialisedMember:
        return _MaterialisedMember(self)

    def _xlsx_rows(self, *, header_only: bool, progress: Callable[[int], None] | None) -> Iterator[Row]:
        # python-calamine (Rust) parses the sheet ~10x faster than openpyxl's read-only mode
        # (docs/benchmarks.md). ``skip_empty_area=False`` gives the grid from A1, so a row's index is
        # its sheet row (calamine's own ``iter_rows`` drops leading empty columns).
        with self._xlsx_path() as path:
            try:
                wb = python_calamine.CalamineWorkbook.from_path(str(path))
            except python_calamine.CalamineError as exc:
                raise CellError(self.name, f"damaged or not a zip archive ({exc})") from None
            try:
                name = "DATA" if "DATA" in wb.sheet_names else wb.sheet_names[0]
                try:
                    grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                except python_calamine.CalamineError as exc:
                    raise CellError(self.name, f"damaged xlsx workbook ({exc})") from None
            finally:
                wb.close()
        header: list[str] | None = None
        for number, cells in enumerate(grid, 1):
            if progress:
                progress(1)
            texts = [cell_text(v) for v in cells]
            while texts and texts[-1] == "":
                texts.pop()
            if header is None:
                if not texts:
                    continue
                header = [h.strip() for h in texts]
                self._header = header
                if header_only:
                    return
                continue
            if not texts:
                continue
            width = len(header)
            values = {h: texts[i] if i < len(texts) else "" for i, h in enumerate(header)}
            yield Row(number=number, values=values, extra=texts[width:])
        if header is None:
            self._header = []


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def xlsx_header(path: Path) -> tuple[list[str], int | None]:
    """The header row of the data sheet and the row count its dimension states, read straight from
    the package: the first row of the sheet XML and only as much of the shared-string table as the
    header needs (a full reader would parse the whole table, i.e. every cell of an all-text export)."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        sheets = [(el.get("name"), el.get(_NS_REL + "id")) for el in wb.iter(_NS_MAIN + "sheet")]
        chosen = next((rid for name, rid in sheets if name == "DATA"), sheets[0][1] if sheets else None)
        target = None
        if "xl/_rels/workbook.xml.rels" in names:
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            for rel in rels:
                if rel.get("Id") == chosen:
                    target = rel.get("Target", "")
        if not target:
            raise CellError(str(path), "no worksheet found")
        target = target.lstrip("/")
        sheet_path = target if target.startswith("xl/") else "xl/" + target
        cells: list[tuple[int, str, str]] = []  # (column index, type, raw value)
        rows_stated = None
        with z.open(sheet_path) as f:
            for event, el in ET.iterparse(f, events=("start", "end")):
                if event == "start" and el.tag == _NS_MAIN + "dimension":
                    m = re.search(r"(\d+)$", el.get("ref", ""))
                    rows_stated = int(m.group(1)) if m else None
                if event == "end" and el.tag == _NS_MAIN + "c":
                    ref = el.get("r", "")
                    col = _column_index(re.sub(r"\d", "", ref)) if ref else len(cells)
                    kind = el.get("t", "n")
                    if kind == "inlineStr":
                        value = "".join(t.text or "" for t in el.iter(_NS_MAIN + "t"))
                    else:
                        v = el.find(_NS_MAIN + "v")
                        value = v.text or "" if v is not None else ""
                    cells.append((col, kind, value))
                if event == "end" and el.tag == _NS_MAIN + "row":
                    if any(v for _, _, v in cells):
                        break
                    cells = []
        needed = {int(v) for _, kind, v in cells if kind == "s" and v.isdigit()}
        shared: dict[int, str] = {}
        if needed and "xl/sharedStrings.xml" in names:
            top = max(needed)
            with z.open("xl/sharedStrings.xml") as f:
                index = 0
                for _event, el in ET.iterparse(f, events=("end",)):
                    if el.tag == _NS_MAIN + "si":
                        if index in needed:
                            shared[index] = "".join(t.text or "" for t in el.iter(_NS_MAIN + "t"))
                        index += 1
                        el.clear()
                        if index > top:
                            break
    width = max((c for c, _, _ in cells), default=-1) + 1
    header = [""] * width
    for col, kind, value in cells:
        header[col] = shared.get(int(value), "") if kind == "s" and value.isdigit() else value
    while header and not header[-1].strip():
        header.pop()
    return [h.strip() for h in header], rows_stated


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


class _MaterialisedMember:
    """A path to an xlsx: the file itself, or a zip member copied to a temporary file (the reader seeks)."""

    def __init__(self, table: TableFile):
        self.table = table
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        if self.table.member is None:
            return self.table.path
        fd, name = tempfile.mkstemp(suffix=".xlsx", prefix="kg-import-")
        self.tmp = Path(name)
        with os.fdopen(fd, "wb") as out, self.table.open_bytes() as src:
            shutil.copyfileobj(src, out, 1 << 20)
        return self.tmp

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


class _CountingReader(io.RawIOBase):
    """A byte stream that reports how many bytes were read (for progress bars)."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None] | None):
        self.raw = raw
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if self.progress and n:
            self.progress(n)
        return n


class _LineRecorder:
    """Feeds the csv module line by line and keeps the lines of the record being read."""

    def __init__(self, text: IO[str]):
        self.text = text
        self.lines: list[str] = []

    def __iter__(self) -> _LineRecorder:
        return self

    def __next__(self) -> str:
        line = self.text.readline()
        if not line:
            raise StopIteration
        if len(self.lines) < MAX_RECORD_LINES:
            self.lines.append(line)
        return line


def _bad_quote_field(raw: str, delimiter: str) -> int | None:
    """The index of the field holding the first quote that breaks CSV quoting, or None."""
    index, i, n = 0, 0, len(raw)
    at_start, quoted = True, False
    while i < n:
        ch = raw[i]
        if quoted:
            if ch == '"':
                nxt = raw[i + 1] if i + 1 < n else ""
                if nxt == '"':
                    i += 2
                    continue
                if nxt in (delimiter, "\r", "\n", ""):
                    quoted = False
                else:
                    return index
            i += 1
            continue
        if ch == delimiter:
            index += 1
            at_start = True
        elif ch == '"':
            if not at_start:
                return index
            quoted = True
            at_start = False
        else:
            at_start = False
        i += 1
    return None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: the most frequent of ``;``, ``,``, tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


_SURROGATE = re.compile("[\udc80-\udcff]")


def _has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _bad_bytes(text: str) -> str:
    """Where a value's bytes are not UTF-8: ``byte 0x96 (Windows-1252 '–') in 'Technology ?demonstrator'``."""
    at = next(i for i, ch in enumerate(text) if "\udc80" <= ch <= "\udcff")
    byte = ord(text[at]) - 0xDC00
    try:
        guess = f" (Windows-1252 {bytes([byte]).decode('cp1252')!r})"
    except UnicodeDecodeError:
        guess = ""
    shown = _decode_lossy(text[max(0, at - 15) : at + 15]).replace("\ufffd", "?")
    return f"byte 0x{byte:02X}{guess} is not UTF-8, in {shown!r}"


def _decode_lossy(text: str) -> str:
    if not _has_surrogate(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def cell_text(value: object) -> str:
    """An xlsx cell as the text an export means: numbers without a spurious ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- finding tables
def open_tables(paths: list[Path], *, explicit: bool = True) -> Iterator[TableFile]:
    """Every table in ``paths``: CSV/xlsx files, the tables of zip archives, the files of directories
    (tables found inside archives and directories are marked ``explicit=False``)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            inside = sorted(
                p for p in path.iterdir()
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in TABLE_SUFFIXES | {".zip"}
            )
            yield from open_tables(inside, explicit=False)
        elif path.suffix.lower() == ".zip":
            with _readable(str(path)), zipfile.ZipFile(path) as archive:
                members = sorted(
                    info.filename
                    for info in archive.infolist()
                    if not info.is_dir()
                    and not info.filename.startswith("__MACOSX/")
                    and not Path(info.filename).name.startswith(".")
                    and Path(info.filename).suffix.lower() in TABLE_SUFFIXES
                )
            for member in members:
                yield TableFile(path, member, explicit=False)
        elif path.suffix.lower() in TABLE_SUFFIXES:
            yield TableFile(path, explicit=explicit)
        else:
            raise CellError(str(path), "not a CSV, xlsx or zip file")


# --------------------------------------------------------------------------- value parsers
_MOJIBAKE = re.compile(r"[ÃÂ][\u0080-\u00bf]|â€[\u0080-\u00bf\u2018-\u203a]")


def check_text(column: str, value: str) -> str:
    """The value, or :class:`CellError` when its encoding is broken (replacement characters, or
    UTF-8 read as Latin-1 such as ``Ã©``) or it holds a control character other than tab and line
    breaks (NUL, ESC …: :func:`find_control`)."""
    if "\ufffd" in value:
        at = value.index(chr(0xFFFD))
        return _raise(column, f"broken encoding: replacement character U+FFFD (a character lost at source) in {_excerpt(value, at)}")
    m = _MOJIBAKE.search(value)
    if m:
        return _raise(column, f"broken encoding: {m.group(0)!r} in {_excerpt(value, m.start())} is UTF-8 read as Latin-1")
    control = find_control(value)
    if control is not None:
        return _raise(
            column,
            f"control character {_describe_control(value[control])} at character {control + 1} in {_excerpt(value, control)} "
            "(text may hold tab and line breaks only; kg import --strip-control removes them)",
        )
    return value


def check_values(values: dict[str, str]) -> None:
    """:func:`check_text` on every value of a row, in column order (the first broken one raises); one
    search over the whole row when nothing is wrong (the separator, a line feed, cannot be part of a
    match)."""
    joined = "\n".join(values.values())
    if "\ufffd" not in joined and _MOJIBAKE.search(joined) is None and _CONTROL.search(joined) is None:
        return
    for column, value in values.items():
        check_text(column, value)


# Control characters (Unicode Cc) other than tab, line feed and carriage return (a line end, CRLF
# in exports), and the two code points XML 1.0 forbids outright (U+FFFE, U+FFFF): NUL and its kin
# pass SHACL but make RDF/XML and SPARQL XML results not well-formed, and are never meant in text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")

_CONTROL_NAMES = {
    0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x1A: "SUB", 0x1B: "ESC", 0x7F: "DEL",
}


def _describe_control(ch: str) -> str:
    name = _CONTROL_NAMES.get(ord(ch))
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def find_control(value: str) -> int | None:
    """The index of the first control character in ``value`` that text may not hold, or None."""
    m = _CONTROL.search(value)
    return m.start() if m else None


def strip_control(value: str) -> tuple[str, list[str]]:
    """``value`` without its control characters, and the ones removed (as ``U+0000 (NUL)`` …)."""
    found = [_describe_control(ch) for ch in dict.fromkeys(_CONTROL.findall(value))]
    return (_CONTROL.sub("", value), found) if found else (value, [])


def _excerpt(value: str, at: int) -> str:
    return repr(value[max(0, at - 15) : at + 15])


def _raise(column: str, reason: str) -> NoReturn:
    raise CellError(column, reason)


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(column: str, value: str) -> date | None:
    """``2024-02-01``, ``2024-02-01 13:50:03`` or ``01/02/2024`` (day/month/year); '' is None."""
    text = value.strip()
    if not text:
        return None
    m = _ISO_DATE.fullmatch(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DMY_DATE.fullmatch(text)
        if not m:
            raise CellError(column, f"{text!r} is not a date (expected 2024-02-01 or 01/02/2024)")
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(y, mo, d)
    except ValueError as exc:
        raise CellError(column, f"{text!r} is not a date ({exc})") from None


_AMOUNT = re.compile(r"(?:EUR|€)?\s*(-?\d+)(?:([.,])(\d+))?\s*(?:EUR|€)?", re.IGNORECASE)


def parse_amount(column: str, value: str) -> Decimal | None:
    """An amount in euro: ``1499998``, ``1499998.0``, ``112527.93``, ``240000.0 EUR``, ``1234,5``; '' is None.

    A comma is taken as the decimal mark only with one or two digits after it (``75,000`` is refused:
    it could be seventy-five thousand)."""
    text = value.strip().replace("\u00a0", " ")
    if not text:
        return None
    m = _AMOUNT.fullmatch(text)
    if not m:
        raise CellError(column, f"{text!r} is not an amount")
    whole, mark, frac = m.group(1), m.group(2), m.group(3)
    if mark == "," and len(frac) > 2:
        raise CellError(column, f"{text!r} is ambiguous: is ',' a decimal mark or a thousands separator?")
    try:
        amount = Decimal(f"{whole}.{frac}" if frac is not None else whole)
    except InvalidOperation:
        raise CellError(column, f"{text!r} is not an amount") from None
    if amount < 0:
        raise CellError(column, f"{text!r} is negative")
    return amount


def parse_int(column: str, value: str, *, minimum: int | None = None) -> int | None:
    text = value.strip()
    if not text:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    if not re.fullmatch(r"-?\d+", text):
        raise CellError(column, f"{text!r} is not a whole number")
    n = int(text)
    if minimum is not None and n < minimum:
        raise CellError(column, f"{n} is less than {minimum}")
    return n


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def parse_bool(column: str, value: str) -> bool | None:
    """``true``/``True``/``Yes``/``1`` and their opposites; '' is None."""
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(column, f"{value.strip()!r} is not true/false")


_URL_CHARS = re.compile(r"^[^\s<>\"{}|\\^`]+$")


def parse_url(value: str) -> str | None:
    """A web address as an http(s) URL: ``www.parts.be`` → ``http://www.parts.be``; None when it is
    not one (``N/A``, text). Spaces inside are taken as not-a-URL, never guessed around."""
    text = value.strip()
    if not text:
        return None
    if not re.match(r"^https?://", text, re.IGNORECASE):
        if not re.match(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/.*)?$", text):
            return None
        text = "http://" + text
    else:
        text = re.sub(r"^https?", lambda m: m.group(0).lower(), text, flags=re.IGNORECASE)
    if not _URL_CHARS.match(text):
        return None
    if not re.match(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/|$|\?|#)", text):
        return None
    return text
