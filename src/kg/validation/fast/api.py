"""Entry points: :func:`validate_fast` and :class:`FastValidator` (compile once, validate often)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg.store.oxigraph import OxigraphStore
from kg.validation.fast.compile import Plan, compile_plan
from kg.validation.fast.engine import (
    data_counter,
    default_workers,
    run_plan,
    subclass_map,
)
from kg.validation.fast.report import FastReport, build_report
from kg.validation.fast.terms import to_ox

__all__ = ["FastValidator", "load_store", "validate_fast"]


def load_store(data) -> tuple[ox.Store, bool, str | None]:
    """(store, union default graph?, on-disk path) for whatever ``data`` is:

    * a ``pyoxigraph.Store`` or :class:`kg.store.OxigraphStore` (validated as the union of its graphs);
    * the directory of an on-disk Oxigraph store (opened read-only);
    * an ``rdflib.Graph``, or an iterable of pyoxigraph quads / triples (loaded into a store in memory,
      all in its default graph).
    """

    if isinstance(data, OxigraphStore):
        return data.native, True, str(data.path) if data.path else None
    if isinstance(data, ox.Store):
        return data, True, None
    if isinstance(data, (str, Path)):
        return ox.Store.read_only(str(data)), True, str(data)
    store = ox.Store()
    if isinstance(data, rdflib.Graph):  # term by term: blank nodes keep their names in the report
        store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for s, p, o in data)
        return store, False, None
    default = ox.DefaultGraph()
    store.extend(
        ox.Quad(q.subject, q.predicate, q.object, default) for q in data  # quads or triples alike
    )
    return store, False, None


def _big(store: ox.Store, path: str | None) -> bool:
    """More than ~500k quads. On disk, judged by the files' size: ``len()`` of a RocksDB store counts
    every quad (seconds at tens of millions)."""
    if path is not None:
        size = sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file())
        return size > 150 * 2**20
    return len(store) > 500_000


class FastValidator:
    """Shapes compiled against a store (the plan depends on the data's rdfs:subClassOf and on a few
    counts on the data). The plan is kept between calls and reused when the data gives the same
    answers to everything the compilation asked of it (the subclass statements, each count query):
    compiling is a function of the shapes and those answers only."""

    def __init__(self, shapes: rdflib.Graph):
        self.shapes = shapes
        self.plan: Plan | None = None
        self.timings: dict[str, float] = {}
        self._cached: tuple | None = None  # (len(shapes), subclass key, [(count query, answer)], plan)

    def _compile(self, store: ox.Store, union: bool) -> Plan:
        subclasses = subclass_map(store, union)
        count = data_counter(store, union)
        cached = self._cached
        if (cached is not None and cached[0] == len(self.shapes) and cached[1] == subclasses.key
                and all(count(q) == n for q, n in cached[2])):
            return cached[3]
        asked: list[tuple[str, int]] = []

        def recording(q: str) -> int:
            n = count(q)
            asked.append((q, n))
            return n

        plan = compile_plan(self.shapes, subclasses, count=recording)
        self._cached = (len(self.shapes), subclasses.key, asked, plan)
        return plan

    def validate(
        self,
        data,
        *,
        locate: Callable[[str], str | None] | None = None,
        workers: int | None = 1,
        union: bool | None = None,
        item_timings: list | None = None,
    ) -> FastReport:
        t0 = time.perf_counter()
        store, default_union, path = load_store(data)
        union = default_union if union is None else union
        t1 = time.perf_counter()
        self.plan = self._compile(store, union)
        t2 = time.perf_counter()
        if workers is None:  # processes pay off on big graphs only
            workers = default_workers() if _big(store, path) else 1
        raw = run_plan(self.plan, store, union=union, store_path=path, workers=workers, timings=item_timings)
        t3 = time.perf_counter()
        report = build_report(self.plan, raw, self.shapes, locate=locate)
        t4 = time.perf_counter()
        self.timings = {"load": t1 - t0, "compile": t2 - t1, "run": t3 - t2, "report": t4 - t3}
        return report


def validate_fast(
    data,
    shapes: rdflib.Graph,
    *,
    locate: Callable[[str], str | None] | None = None,
    workers: int | None = 1,
    union: bool | None = None,
) -> FastReport:
    """Validate ``data`` (see :func:`load_store`) against ``shapes`` with the compiled-SPARQL engine."""
    return FastValidator(shapes).validate(data, locate=locate, workers=workers, union=union)

