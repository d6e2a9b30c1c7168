"""Runs a :class:`~kg.validation.fast.compile.Plan` on a pyoxigraph store: each plan item is one query (plus,
for some, a small follow-up query on the few nodes that failed). Items are independent, so they
can run in several processes: forked after the store is loaded (an in-memory store is then shared
copy-on-write) or each opening an on-disk store read-only. Threads would not help: pyoxigraph
holds the GIL while it evaluates a query.

Raw results are plain tuples (picklable): ``(use, focus, value, path, extra)`` with terms encoded
as ``('I', iri)``, ``('B', id)`` or ``('L', lexical, datatype, language)``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import TypeAlias

import pyoxigraph as ox

from kg.validation.fast.compile import (
    AntiJoin,
    ClassScan,
    CountGuard,
    FocusScan,
    FragQuery,
    MissingValues,
    PathScan,
    Plan,
    SparqlQuery,
)
from kg.validation.fast.terms import Unsupported

__all__ = ["ValidationFailure", "data_counter", "run_plan", "encode", "subclass_map"]

CHUNK = 2000  # focus nodes per VALUES block when checking candidates against targets
GUARD_LIMIT = 20000  # beyond this many multi-valued nodes a guarded check runs over all its focus nodes

_Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple  # a term of a query solution
_Raw: TypeAlias = tuple[int, tuple | None, tuple | None, tuple | None, dict[str, tuple | None]]  # a raw result (see above)


class ValidationFailure(Exception):
    """A SPARQL constraint reported ?failure (SHACL: the validation could not be completed)."""


def encode(term) -> tuple | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("I", term.value)
    if isinstance(term, ox.BlankNode):
        return ("B", term.value)
    if isinstance(term, ox.Literal):
        return ("L", term.value, term.datatype.value, term.language)
    raise TypeError(f"unexpected term {term!r}")


def _query(store: ox.Store, text: str, union: bool):
    try:
        return store.query(text, use_default_graph_as_union=union) if union else store.query(text)
    except SyntaxError as exc:  # a compiler bug: show the query
        raise SyntaxError(f"{exc}\nin compiled query:\n{text}") from exc


def _true(term) -> bool:
    return term is not None and term.value == "true"


def _verify(store, union, test: str, candidates: set) -> set:
    """The candidates that are focus nodes of the set whose membership test is ``test``."""
    out: set[_Term] = set()
    named = [c for c in candidates if not isinstance(c, ox.BlankNode)]
    for i in range(0, len(named), CHUNK):
        chunk = " ".join(str(c) for c in named[i:i + CHUNK])
        q = f"SELECT DISTINCT ?this WHERE {{ VALUES ?this {{ {chunk} }} FILTER({test}) }}"
        out.update(r["this"] for r in _query(store, q, union))
    if len(named) < len(candidates):  # blank nodes cannot be named in a query: enumerate them
        q = (f"SELECT DISTINCT ?this WHERE {{ {{ ?this ?_p ?_o }} UNION {{ ?_s ?_p ?this }} "
             f"FILTER(isBlank(?this) && {test}) }}")
        blanks = {r["this"] for r in _query(store, q, union)}
        out.update(c for c in candidates if c in blanks)
    return out


def _flag_rows(item, rows) -> list:
    """Rows with flags ?f<k> -> raw results for the uses behind each true flag."""
    out: list[_Raw] = []
    for r in rows:
        this, value = encode(r["this"]), encode(r["value"])
        for k, flag in enumerate(item.flags):
            if _true(r[f"f{k}"]):
                if isinstance(item, PathScan):
                    i, fs = flag
                    uses = item.uses[i]
                else:
                    fs, uses = flag, item.uses
                for u in uses:
                    if item.use_focus[u] == fs:
                        out.append((u, this, value, None, {}))
    return out


def _run_path_scan(store, union, item: PathScan) -> list:
    if item.distinct:
        bad = [r["value"] for r in _query(store, item.query(), union)]
        if any(isinstance(v, ox.BlankNode) for v in bad):  # cannot be named in VALUES: scan every value
            plain = PathScan(item.path, item.conds, item.uses, False, item.flags, item.tests)
            plain.use_focus = item.use_focus
            return _run_path_scan(store, union, plain)
        rows = []
        for i in range(0, len(bad), CHUNK):
            rows.extend(_query(store, item.pairs_query([str(v) for v in bad[i:i + CHUNK]]), union))
        return _flag_rows(item, rows)
    return _flag_rows(item, _query(store, item.query(), union))


def _run_anti_join(store, union, item: AntiJoin) -> list:
    return _flag_rows(item, _query(store, item.query(), union))


def _run_focus_scan(store, union, item: FocusScan) -> list:
    out: list[_Raw] = []
    n = len(item.conds)
    for r in _query(store, item.query(), union):
        this = encode(r["this"])
        for i in range(n):
            if not _true(r[f"c{i}"]):
                for u in item.uses[i]:
                    out.append((u, this, None, None, {}))  # value filled in from the Use
    return out


def _run_class_scan(store, union, item: ClassScan) -> list:
    out: list[_Raw] = []
    n = len(item.conds)
    for r in _query(store, item.query(), union):
        this, value = encode(r["this"]), encode(r["value"])
        for i in range(n):
            if not _true(r[f"c{i}"]):
                out.extend((u, this, value, None, {}) for u in item.uses[i])
    return out


def _by_focus_set(store, union, uses: list[int], candidates: set, tests: dict, use_focus: dict) -> dict:
    """use -> the candidates that are focus nodes of the use's focus set."""
    confirmed: dict[str, set] = {}
    out = {}
    for u in uses:
        key = use_focus[u]
        if key not in confirmed:
            confirmed[key] = _verify(store, union, tests[key], candidates) if candidates else set()
        out[u] = confirmed[key]
    return out


def _run_frag(store, union, item: FragQuery, tests: dict, use_focus: dict) -> list:
    rows = []
    for r in _query(store, item.text, union):
        rows.append((r["this"], {role: r[var] for role, var in item.columns.items()}))
    if item.free:
        ok = _by_focus_set(store, union, item.uses, {t for t, _ in rows}, tests, use_focus)
    out = []
    for this, cols in rows:
        extra = {k: encode(v) for k, v in cols.items() if k not in ("value", "path") and v is not None}
        for u in item.uses:
            if item.free and this not in ok[u]:
                continue
            out.append((u, encode(this), encode(cols.get("value")), encode(cols.get("path")), extra))
    return out


def _sparql_rows(store, union, text: str):
    solutions = _query(store, text, union)
    names = [v.value for v in solutions.variables]
    for r in solutions:
        yield {n: r[n] for n in names if r[n] is not None}


def _run_sparql(store, union, item: SparqlQuery, tests: dict, use_focus: dict) -> list:
    sc = item.constraint
    found = []  # (use, this, bindings)
    if sc.free:
        rows = list(_sparql_rows(store, union, sc.query))
        _failure(rows)
        ok = _by_focus_set(store, union, item.uses, {r["this"] for r in rows if "this" in r}, tests, use_focus)
        found = [(u, r["this"], r) for r in rows for u in item.uses if r.get("this") in ok[u]]
    else:
        focus = [r["this"] for r in _query(store, f"SELECT DISTINCT ?this WHERE {{ {item.focus_pattern} }}", union)]
        for f in focus:
            if isinstance(f, ox.BlankNode):
                raise Unsupported("a SPARQL constraint that needs $this pre-bound to a blank node")
            rows = list(_sparql_rows(store, union, sc.for_focus(str(f))))
            _failure(rows)
            found.extend((u, f, r) for r in rows for u in item.uses)
    out = []
    for u, this, r in found:
        path = r.get("path")
        path = path if isinstance(path, ox.NamedNode) else None
        extra = {k: encode(v) for k, v in r.items() if k not in ("this", "value", "path")}
        out.append((u, encode(this), encode(r.get("value")), encode(path), extra))
    return out


def _failure(rows) -> None:
    for r in rows:
        if _true(r.get("failure")):
            raise ValidationFailure("a SPARQL constraint reported ?failure")


def _counts_equal(store, union, text: str) -> bool:
    r = next(iter(_query(store, text, union)))
    return r["n"].value == r["d"].value


def run_item(store, union: bool, item, tests: dict, use_focus: dict) -> list:
    if isinstance(item, MissingValues):
        out: list[_Raw] = []
        for r in _query(store, item.query(), union):
            this = encode(r["this"])
            for k, fs in enumerate(item.flags):
                if _true(r[f"f{k}"]):
                    out.extend((u, this, None, None, {}) for u in item.uses if use_focus[u] == fs)
        return out
    if isinstance(item, (PathScan, AntiJoin)):
        item.use_focus = use_focus
        return _run_path_scan(store, union, item) if isinstance(item, PathScan) else _run_anti_join(store, union, item)
    if isinstance(item, FocusScan):
        return _run_focus_scan(store, union, item)
    if isinstance(item, ClassScan):
        return _run_class_scan(store, union, item)
    if isinstance(item, FragQuery):
        return _run_frag(store, union, item, tests, use_focus)
    if isinstance(item, CountGuard):
        if _counts_equal(store, union, item.precheck()):
            return []
        if item.by_lang is not None and all(set(q.uses) <= set(item.by_lang.uses) for q in item.queries):
            return _run_frag(store, union, item.by_lang, tests, use_focus)  # only sh:uniqueLang here
        multi = [r["this"] for r in _query(store, item.multi_valued(), union)]
        if not multi:
            return []
        out = []
        named = [str(t) for t in multi if not isinstance(t, ox.BlankNode)]
        whole = len(multi) > GUARD_LIMIT or len(named) < len(multi)  # many (or blank) nodes
        done = set()
        if whole and item.by_lang is not None:
            out.extend(_run_frag(store, union, item.by_lang, tests, use_focus))
            done = set(item.by_lang.uses)
        for q in item.queries:
            if done.issuperset(q.uses):
                continue
            if whole:
                out.extend(_run_frag(store, union, q, tests, use_focus))
                continue
            for i in range(0, len(named), CHUNK):
                part = FragQuery(q.uses, item.restricted(q.text, named[i:i + CHUNK]), False, q.columns)
                out.extend(_run_frag(store, union, part, tests, use_focus))
        return out
    if isinstance(item, SparqlQuery):
        return _run_sparql(store, union, item, tests, use_focus)
    raise TypeError(item)


# ---------------------------------------------------------------------- worker processes
_WORKER: dict = {}
_FORKED_STORE: list = []  # the in-memory store a forked worker inherits


def _init_worker(path: str | None, union: bool, tests: dict, use_focus: dict) -> None:
    _WORKER["store"] = ox.Store.read_only(path) if path is not None else _FORKED_STORE[0]
    _WORKER["union"] = union
    _WORKER["tests"] = tests
    _WORKER["use_focus"] = use_focus


def _work(args):
    index, item = args
    t = time.perf_counter()
    out = run_item(_WORKER["store"], _WORKER["union"], item, _WORKER["tests"], _WORKER["use_focus"])
    return index, out, time.perf_counter() - t


_ORDER = {"PathScan": 0, "ClassScan": 1, "AntiJoin": 1, "SparqlQuery": 2, "MissingValues": 3, "CountGuard": 4, "FragQuery": 5,
          "FocusScan": 6}


def run_plan(
    plan: Plan,
    store: ox.Store,
    *,
    union: bool = False,
    store_path: str | None = None,
    workers: int = 1,
    timings: list | None = None,
) -> list:
    """All raw results of the plan. With ``workers`` > 1 the items run in that many processes: each
    opens an on-disk store read-only (``store_path``), or inherits an in-memory store by fork."""
    use_focus = {i: u.focus_set for i, u in enumerate(plan.uses)}
    items = sorted(enumerate(plan.items), key=lambda x: _ORDER.get(type(x[1]).__name__, 9))
    out: list = []
    fork = "fork" in multiprocessing.get_all_start_methods()
    if workers > 1 and len(items) > 1 and (fork or store_path is not None):
        # fork: workers share the in-memory store copy-on-write (disk stores: each opens its own handle)
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        _FORKED_STORE[:] = [store] if store_path is None else []
        try:
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=ctx, initializer=_init_worker,
                initargs=(store_path, union, plan.focus_tests, use_focus),
            ) as pool:
                results = {}
                for index, res, seconds in pool.map(_work, items, chunksize=1):
                    results[index] = res
                    if timings is not None:
                        timings.append((index, seconds))
        finally:
            _FORKED_STORE.clear()
        for index in sorted(results):
            out.extend(results[index])
        return out
    for index, item in items:
        t = time.perf_counter()
        out.extend(run_item(store, union, item, plan.focus_tests, use_focus))
        if timings is not None:
            timings.append((index, time.perf_counter() - t))
    return out


def subclass_map(store: ox.Store, union: bool = False):
    """A function class -> the class and all its subclasses (rdfs:subClassOf* in the data)."""
    children: dict[str, set[str]] = {}
    q = "SELECT ?sub ?sup WHERE { ?sub <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?sup }"
    for r in _query(store, q, union):
        if isinstance(r["sub"], ox.NamedNode) and isinstance(r["sup"], ox.NamedNode):
            children.setdefault(r["sup"].value, set()).add(r["sub"].value)
    key = frozenset((sup, sub) for sup, subs in children.items() for sub in subs)

    from rdflib import URIRef

    def subclasses(cls) -> list:
        seen = {str(cls)}
        todo = [str(cls)]
        while todo:
            c = todo.pop()
            for s in children.get(c, ()):
                if s not in seen:
                    seen.add(s)
                    todo.append(s)
        return [URIRef(s) for s in sorted(seen)]

    subclasses.key = key  # type: ignore[attr-defined]  # the rdfs:subClassOf statements the function answers from (a plan cache key)
    return subclasses


def data_counter(store: ox.Store, union: bool = False):
    """A function running a ``SELECT (COUNT(*) AS ?n)`` query on the store: statistics for the plan."""
    def count(text: str) -> int:
        return int(next(iter(_query(store, text, union)))["n"].value)

    return count


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))

