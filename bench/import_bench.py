"""Import pipeline benchmark: `kg import cordis|erasmus` at N projects vs a raw `oxigraph load`.

    python bench/import_bench.py --sizes 10000,100000 [--with-1m] [--validate-sizes 10000] [--profile]
    python bench/import_bench.py --sizes 1m --validate-sizes '' --sources cordis     # sizes: 10000, 10k, 1m

Per size and source, in one run:

1. generate the export with ``bench/gen_exports.py`` (same seed; not timed as part of the import);
2. copy a fresh base var dir (``kg build`` of the curated data, made once) and run the whole pipeline
   ``kg import <source> … --var-dir V --name bench`` (parse → map → load → promote) in a child process:
   wall time, projects/s, quads/s, the child's peak RSS (``os.wait4`` rusage);
3. move the artefact the pipeline wrote (``var/imports/<source>/bench/*.nq.gz``) aside, remove that var
   dir, gunzip the artefact to a temp file and load it with the raw
   ``oxigraph load --location EMPTY --file F.nq``: wall time, quads/s, peak RSS (when the disk cannot hold
   the uncompressed file beside the store, it is streamed: ``gzip -dc F.nq.gz | oxigraph load --format nq``,
   noted as ``raw_input``);
4. the ratio pipeline quads/s ÷ raw quads/s (target ≥ 50 %);
5. for the sizes in ``--validate-sizes``: the pipeline again with SHACL validation of the whole new store
   (``kg import``'s default; step 2 runs with ``--no-validate``), with a timeout.

``--profile``: cProfile of the pipeline at the smallest size (top functions by own time and cumulative).
Results go to stdout as a Markdown table and to ``--json``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
KG = VENV / "kg"
OXIGRAPH = VENV / "oxigraph"
PY = VENV / "python"


def run_child(cmd: list[str], timeout: float | None = None, **kw) -> tuple[float, int, int, str]:
    """Run cmd; return (wall seconds, exit code, child's max RSS in MiB, stderr tail)."""
    t0 = time.perf_counter()
    errf = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty child can never block
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, text=True, **kw)
    deadline = None if timeout is None else t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            errf.close()
            return time.perf_counter() - t0, -9, usage.ru_maxrss // 1024, "timeout"
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    errf.seek(0)
    err = errf.read()[-2000:]
    errf.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_maxrss // 1024, err


def count_lines_gunzip(src: Path, dst: Path) -> int:
    n = 0
    with gzip.open(src, "rb") as fin, open(dst, "wb") as fout:
        while True:
            chunk = fin.read(16 << 20)
            if not chunk:
                break
            n += chunk.count(b"\n")
            fout.write(chunk)
    return n


def count_lines_gz(src: Path) -> int:
    n = 0
    with gzip.open(src, "rb") as fin:
        while chunk := fin.read(16 << 20):
            n += chunk.count(b"\n")
    return n


def parse_size(text: str) -> int:
    """``10000``, ``10k``, ``1m``, ``1_000_000``, ``1,000,000``."""
    t = text.strip().lower().replace("_", "").replace(",", "")
    for suffix, factor in (("k", 1_000), ("m", 1_000_000)):
        if t.endswith(suffix):
            return int(float(t[:-1]) * factor)
    return int(t)


def machine() -> dict[str, str]:
    import importlib.metadata as md

    ox_cli = subprocess.run([str(OXIGRAPH), "--version"], capture_output=True, text=True).stdout.strip()
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "mem": mem,
        "python": platform.python_version(),
        "pyoxigraph": md.version("pyoxigraph"),
        "oxigraph_cli": ox_cli,
        "kernel": platform.release(),
    }


def import_cmd(source: str, inputs: Path, var: Path, validate: bool) -> list[str]:
    target = inputs / "cordis" if source == "cordis" else inputs / "erasmus" / "projects.csv"
    cmd = [str(KG), "import", source, str(target), "--var-dir", str(var), "--name", "bench"]
    return cmd + (["--validate"] if validate else ["--no-validate"])  # validation is the default


def bench_one(source: str, n: int, inputs: Path, base_var: Path, work: Path, validate: bool, timeout: float) -> dict:
    var = work / f"var-{source}-{n}{'-v' if validate else ''}"
    shutil.rmtree(var, ignore_errors=True)
    shutil.copytree(base_var, var, symlinks=True)
    wall, rc, rss, err = run_child(import_cmd(source, inputs, var, validate), timeout=timeout)
    res: dict = {"source": source, "projects": n, "validate": validate, "pipeline_s": round(wall, 2), "pipeline_rc": rc, "pipeline_rss_mib": rss}
    if rc != 0:
        res["error"] = err.strip()[-600:]
        shutil.rmtree(var, ignore_errors=True)
        return res
    artefacts = list((var / "imports" / source / "bench").glob("*.nq.gz"))
    assert len(artefacts) == 1, artefacts
    res["artefact_gz_mib"] = round(artefacts[0].stat().st_size / 2**20, 1)
    if not validate:
        # the pipeline's store is not needed any more: free its disk before the raw load (1M projects)
        artefact = work / f"{source}-{n}.nq.gz"
        shutil.move(str(artefacts[0]), artefact)
        shutil.rmtree(var, ignore_errors=True)
        loc = work / f"raw-{source}-{n}"
        shutil.rmtree(loc, ignore_errors=True)
        loc.mkdir()
        nq = work / f"{source}-{n}.nq"
        # the uncompressed N-Quads are ~8x the artefact; with the raw store beside them they may not fit
        need = artefact.stat().st_size * 8 * 2.5
        if shutil.disk_usage(work).free > need:
            quads = count_lines_gunzip(artefact, nq)
            res["nq_mib"] = round(nq.stat().st_size / 2**20, 1)
            rwall, rrc, rrss, rerr = run_child([str(OXIGRAPH), "load", "--location", str(loc), "--file", str(nq)])
            res["raw_input"] = "file"
        else:  # streamed from the artefact through gunzip (a second process: a little CPU on the other core)
            quads = count_lines_gz(artefact)
            gunzip = subprocess.Popen(["gzip", "-dc", str(artefact)], stdout=subprocess.PIPE)
            rwall, rrc, rrss, rerr = run_child(
                [str(OXIGRAPH), "load", "--location", str(loc), "--format", "nq"], stdin=gunzip.stdout
            )
            gunzip.stdout.close()  # type: ignore[union-attr]
            gunzip.wait()
            res["raw_input"] = "stdin (gzip -dc)"
        res["quads"] = quads
        res.update(raw_s=round(rwall, 2), raw_rc=rrc, raw_rss_mib=rrss)
        if rrc != 0:
            res["raw_error"] = rerr[-600:]
        res["projects_per_s"] = round(n / wall)
        res["quads_per_s"] = round(quads / wall)
        res["raw_quads_per_s"] = round(quads / rwall)
        res["ratio"] = round(rwall / wall, 3)  # = pipeline quads/s ÷ raw quads/s
        shutil.rmtree(loc, ignore_errors=True)
        nq.unlink(missing_ok=True)
        artefact.unlink(missing_ok=True)
    shutil.rmtree(var, ignore_errors=True)
    return res


def profile(source: str, n: int, inputs: Path, base_var: Path, work: Path, top: int = 10) -> str:
    var = work / f"var-prof-{source}"
    shutil.rmtree(var, ignore_errors=True)
    shutil.copytree(base_var, var, symlinks=True)
    out = work / f"prof-{source}-{n}.pstats"
    cmd = [str(PY), "-m", "cProfile", "-o", str(out), str(KG)] + import_cmd(source, inputs, var, False)[1:]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(var, ignore_errors=True)
    buf = io.StringIO()
    st = pstats.Stats(str(out), stream=buf)
    st.strip_dirs().sort_stats("tottime").print_stats(top)
    buf.write("\n--- by cumulative ---\n")
    st.sort_stats("cumulative").print_stats(25)
    return buf.getvalue()


def fmt_table(rows: list[dict]) -> str:
    head = ("| source | projects | quads | pipeline s | projects/s | quads/s | peak RSS MiB | raw load s | raw quads/s | raw RSS MiB | pipeline/raw |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        if r.get("validate"):
            continue
        if r["pipeline_rc"] != 0:
            lines.append(f"| {r['source']} | {r['projects']:,} | – | failed ({r['pipeline_rc']}) | | | {r['pipeline_rss_mib']} | | | | |")
            continue
        lines.append(
            f"| {r['source']} | {r['projects']:,} | {r['quads']:,} | {r['pipeline_s']:.1f} | {r['projects_per_s']:,} | {r['quads_per_s']:,} | "
            f"{r['pipeline_rss_mib']:,} | {r['raw_s']:.1f} | {r['raw_quads_per_s']:,} | {r['raw_rss_mib']:,} | {100 * r['ratio']:.0f} % |"
        )
    v = [r for r in rows if r.get("validate")]
    if v:
        lines.append("")
        lines.append("| source | projects | pipeline with --validate s | peak RSS MiB | result |")
        lines.append("|---|---:|---:|---:|---|")
        for r in v:
            result = "ok" if r["pipeline_rc"] == 0 else ("timeout" if r["pipeline_rc"] == -9 else f"exit {r['pipeline_rc']}: {r.get('error', '')[-200:]!r}")
            lines.append(f"| {r['source']} | {r['projects']:,} | {r['pipeline_s']:.1f} | {r['pipeline_rss_mib']:,} | {result} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--with-1m", action="store_true", help="also 1,000,000 projects")
    ap.add_argument("--sources", default="cordis,erasmus")
    ap.add_argument("--validate-sizes", default="10000", help="sizes to also run with --validate ('' for none)")
    ap.add_argument("--validate-timeout", type=float, default=600.0)
    ap.add_argument("--profile", action="store_true", help="cProfile the pipeline at the smallest size")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=None, help="scratch dir (default: a temp dir, removed)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_1m and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    vsizes = {parse_size(s) for s in args.validate_sizes.split(",") if s.strip()}
    sources = args.sources.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(json.dumps(info), flush=True)

    base_var = work / "basevar"
    shutil.rmtree(base_var, ignore_errors=True)
    subprocess.run([str(KG), "build", "--var-dir", str(base_var)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    results: list[dict] = []
    profiles: dict[str, str] = {}
    for n in sizes:
        inputs = work / f"exports-{n}"
        t0 = time.perf_counter()
        subprocess.run([str(PY), str(ROOT / "bench" / "gen_exports.py"), "--projects", str(n), "--seed", str(args.seed), "--out", str(inputs)],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"# generated {n} projects in {time.perf_counter() - t0:.1f}s", flush=True)
        for source in sources:
            r = bench_one(source, n, inputs, base_var, work, False, None)  # type: ignore[arg-type]
            print(json.dumps(r), flush=True)
            results.append(r)
            if n in vsizes:
                r = bench_one(source, n, inputs, base_var, work, True, args.validate_timeout)
                print(json.dumps(r), flush=True)
                results.append(r)
            if args.profile and n == min(sizes):
                profiles[source] = profile(source, n, inputs, base_var, work)
                print(f"## profile {source} {n}\n{profiles[source]}", flush=True)
        shutil.rmtree(inputs, ignore_errors=True)
    print(fmt_table(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]), "results": results, "profiles": profiles}, indent=2))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
