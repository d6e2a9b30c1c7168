"""What loading N-Quads costs, by strategy: the raw `oxigraph load` CLI vs `Store.bulk_load` in slices.

    python bench/load_strategies.py FILE.nq[.gz] [--strategies cli,fixed32,grow128,shards32,path]

Each strategy loads the same quads into a fresh on-disk store, one after the other; prints wall and
CPU seconds (the CLI's CPU from its rusage as a child). ``fixed32``: 32 MiB calls, as the import
pipeline feeds its loader thread; ``grow128``: calls growing to an eighth of what was loaded, at most
128 MiB; ``shards32``: each 32 MiB slice written to a shard file, then ``bulk_load(path=shard)``
(pyoxigraph's path reader, issue 14); ``path``: one ``bulk_load(path=FILE)`` of the whole file.
Get an artefact with ``kg import … --no-validate`` (``var/imports/<source>/<name>/*.nq.gz``).
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

OXIGRAPH = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "oxigraph"


def slices(path: Path, grow_to: int):  # type: ignore[no-untyped-def]
    size, loaded = 32 << 20, 0
    with open(path, "rb") as f:
        while chunk := f.read(size):
            if not chunk.endswith(b"\n"):
                chunk += f.readline()
            yield chunk
            loaded += len(chunk)
            size = max(size, min(grow_to, loaded // 8))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--strategies", default="cli,fixed32,grow128")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-load-") as tmp:
        nq = args.file
        if nq.suffix == ".gz":
            nq = Path(tmp) / "quads.nq"
            with gzip.open(args.file, "rb") as src, open(nq, "wb") as dst:
                shutil.copyfileobj(src, dst, 16 << 20)
        for strategy in args.strategies.split(","):
            db = Path(tmp) / "store"
            shutil.rmtree(db, ignore_errors=True)
            t0 = time.perf_counter()
            if strategy == "cli":
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run([str(OXIGRAPH), "load", "--location", str(db), "--file", str(nq)], check=True, stderr=subprocess.DEVNULL)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
            elif strategy in ("shards32", "path"):
                before = resource.getrusage(resource.RUSAGE_SELF)
                store = ox.Store(str(db))
                if strategy == "path":
                    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS, lenient=True)
                else:
                    shard = Path(tmp) / "shard.nq"
                    for chunk in slices(nq, 32 << 20):
                        shard.write_bytes(chunk)
                        store.bulk_load(path=str(shard), format=ox.RdfFormat.N_QUADS, lenient=True)
                    shard.unlink()
                store.flush()
                del store
                after = resource.getrusage(resource.RUSAGE_SELF)
            else:
                grow_to = {"fixed32": 32 << 20, "grow128": 128 << 20}[strategy]
                before = resource.getrusage(resource.RUSAGE_SELF)
                store = ox.Store(str(db))
                for chunk in slices(nq, grow_to):
                    store.bulk_load(input=chunk, format=ox.RdfFormat.N_QUADS, lenient=True)
                store.flush()
                del store
                after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            print(f"{strategy}: wall {time.perf_counter() - t0:.1f} s, CPU {cpu:.1f} s", flush=True)


if __name__ == "__main__":
    main()
