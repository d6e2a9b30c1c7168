"""xlsx reading: kg's reader (python-calamine) against the openpyxl read-only reader it replaced (issue 14).

    python bench/xlsx_read_bench.py [FILE.xlsx ...] [--repeat 3]

Default files: the real CORDIS Horizon Europe link tables in ../shared/data/cordis-horizon-europe/*.xlsx
(15k–38k rows each). Per file, in one run and interleaved: the best of ``--repeat`` wall times of
reading every row as kg's ``Row`` values through ``TableFile.rows()`` (calamine) and through the former
openpyxl path (``load_workbook(read_only=True, data_only=True)`` + the same ``cell_text``), and a check
that both give the same rows (sheet row number, values, extra cells) — the script fails if not.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl

from kg.imports.tables import TableFile, cell_text

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = sorted((ROOT.parent / "shared" / "data" / "cordis-horizon-europe").glob("*.xlsx"))


def openpyxl_rows(path: Path) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    """The reader of tables.py before issue 14, verbatim in what it yields."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb["DATA"] if "DATA" in wb.sheetnames else wb.worksheets[0]
        header: list[str] | None = None
        for number, cells in enumerate(ws.iter_rows(values_only=True), 1):
            texts = [cell_text(v) for v in cells]
            while texts and texts[-1] == "":
                texts.pop()
            if header is None:
                if texts:
                    header = [h.strip() for h in texts]
                continue
            if not texts:
                continue
            values = {h: texts[i] if i < len(texts) else "" for i, h in enumerate(header)}
            yield number, values, texts[len(header):]
    finally:
        wb.close()


def kg_rows(path: Path) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    for r in TableFile(path).rows():
        yield r.number, r.values, r.extra


def timed(fn, path: Path) -> tuple[float, list]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    rows = list(fn(path))
    return time.perf_counter() - t0, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    files = args.files or DEFAULT
    print("| file | MB | rows | openpyxl s | calamine (kg) s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    tot_o = tot_c = 0.0
    ok = True
    for f in files:
        best_o = best_c = float("inf")
        rows_o: list = []
        rows_c: list = []
        for i in range(args.repeat):
            order = [("o", openpyxl_rows), ("c", kg_rows)]
            if i % 2:
                order.reverse()
            for tag, fn in order:
                t, rows = timed(fn, f)
                if tag == "o":
                    best_o, rows_o = min(best_o, t), rows
                else:
                    best_c, rows_c = min(best_c, t), rows
        if rows_o != rows_c:
            ok = False
            print(f"MISMATCH in {f}", file=sys.stderr)
        tot_o += best_o
        tot_c += best_c
        mb = f.stat().st_size / 1e6
        print(f"| {f.name} | {mb:.1f} | {len(rows_c):,} | {best_o:.2f} | {best_c:.2f} | {best_o / best_c:.1f}× |")
    print(f"| **total** | | | {tot_o:.2f} | {tot_c:.2f} | {tot_o / tot_c:.1f}× |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
