"""Where an import's time and CPU go, phase by phase (issue 4: why the pipeline trails the raw load).

    python bench/import_phases.py cordis EXPORT_DIR --var-dir VAR     # VAR: a `kg build` var dir (copied first)

Runs :func:`kg.imports.pipeline.run_import` (``--no-validate``) on a *copy* of VAR with a progress hook that
prints, at each phase boundary, the wall time, the CPU time of the mapping thread
(``time.thread_time``) and of the whole process (``getrusage``: loader thread, Oxigraph's bulk-loader
threads, gzip and SHA-256 included). Generate inputs with ``bench/gen_exports.py --projects N --seed 42``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from kg.imports.pipeline import run_import
from kg.settings import Settings


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", choices=["cordis", "erasmus"])
    ap.add_argument("export", type=Path)
    ap.add_argument("--var-dir", type=Path, required=True, help="a built var dir; a copy is used")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-phases-") as tmp:
        var = Path(tmp) / "var"
        shutil.copytree(args.var_dir, var, symlinks=True)
        t0 = time.perf_counter()

        def stamp(what: str) -> None:
            ru = resource.getrusage(resource.RUSAGE_SELF)
            print(
                f"{time.perf_counter() - t0:8.1f} s wall  {time.thread_time():7.1f} s mapping-thread CPU  "
                f"{ru.ru_utime + ru.ru_stime:7.1f} s process CPU  {what}",
                flush=True,
            )

        class Progress:
            def task(self, label: str, total: int | None):  # type: ignore[no-untyped-def]
                stamp("start " + label)
                return lambda n: None

            def done(self, label: str) -> None:
                stamp("done " + label)

            def note(self, message: str) -> None:
                stamp(message[:70])

        result = run_import(Settings(var_dir=var), args.source, [args.export], name="bench", strict=False, validate=False, progress=Progress())
        stamp(f"end: {result.projects} projects, {result.graph_triples} triples")


if __name__ == "__main__":
    main()
