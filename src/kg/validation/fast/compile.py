"""Shapes graph → plan: a list of SPARQL queries that together find every validation result.

Every constraint component compiles to SPARQL (see the family modules and :mod:`kg.validation.fast.model`);
the plan then groups the compiled constraints so that the data is scanned as few times as possible,
in the forms Oxigraph evaluates fastest (measured: a scan with a FILTER costs ~1 µs a row, a hash
anti-join (MINUS) ~2 µs, but FILTER [NOT] EXISTS ~5–10 µs a row, so EXISTS is kept off hot paths):

* :class:`PathScan` — one query per property path: all value checks (sh:datatype, sh:pattern,
  sh:nodeKind, sh:or …) of every property shape on that path, whatever its targets, are evaluated in
  one pass over the path's triples in the whole graph (checks that look things up once per distinct
  value); a row is kept only when a check fails *and* its subject is a focus node of a shape with
  that check (the focus test runs only for failing rows).
* :class:`AntiJoin` — sh:class on a path: the values that are not instances, by MINUS.
* :class:`CountGuard` — sh:maxCount and sh:uniqueLang on a path: only a node with two or more values
  there can fail; those nodes are found first (a count, then a GROUP BY) and only they are checked.
* :class:`MissingValues` — sh:minCount / sh:hasValue: the focus nodes without a value, by MINUS,
  one query per path for every set of focus nodes.
* :class:`FragQuery` — one query per remaining constraint: sh:equals, sh:disjoint, sh:lessThan …
  over the whole graph, their focus nodes then checked against the targets. Shapes asking the very
  same query share it.
* :class:`FocusScan` — one query per set of focus nodes for the checks on the focus node itself
  (node shapes: sh:nodeKind, sh:pattern on the IRI, sh:xone …).
* :class:`SparqlQuery` — a SPARQL-based constraint (see :mod:`kg.validation.fast.sparql`).

Nested shapes (sh:node, sh:not, sh:and, sh:or, sh:xone, qualified value shapes) compile to SPARQL
boolean expressions (:meth:`Compiler.conforms`), evaluated inside those queries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import rdflib
from rdflib import BNode, URIRef
from rdflib.term import Identifier

from kg.validation.fast import (
    cardinality,
    logical,
    other,
    property_pair,
    shape_based,
    sparql,
    string,
    value_range,
    value_type,
)
from kg.validation.fast.model import (
    CORE_PARAMETERS,
    NON_VALIDATING,
    FocusCheck,
    Fresh,
    Shape,
    ValueCheck,
    wrap,
)
from kg.validation.fast.paths import Path
from kg.validation.fast.targets import TYPE, FocusSet, Targets, ValuesOf
from kg.validation.fast.terms import RDF, RDFS, SH, Unsupported, sparql_term

__all__ = [
    "AntiJoin", "ClassScan", "Compiler", "CountGuard", "FocusScan", "FragQuery", "MissingValues", "PathScan", "Plan",
    "SparqlQuery", "Use",
    "compile_plan", "shapes_with_targets",
]

FAMILIES = (value_type, cardinality, value_range, string, property_pair, logical, shape_based, other, sparql)
COMPILERS = [c for family in FAMILIES for c in family.COMPILERS]


@dataclass
class Use:
    """Where a compiled constraint is used: which shape, which focus nodes; what a result looks like."""

    shape: object  # the shape node (sh:sourceShape)
    component: URIRef
    severity: URIRef
    messages: list  # sh:message of the shape (+ of the SPARQL constraint)
    default_message: str
    path: Path | None  # sh:resultPath (None: node shape, or given per result)
    source_constraint: object | None = None
    focus_set: str | None = None  # FocusSet key
    value_is_focus: bool = False  # node shape value checks: sh:value is the focus node
    no_value: bool = False  # the component reports no sh:value
    substitute: bool = False  # messages are SPARQL-constraint messages ({$this}, {?value} …)


@dataclass
class PathScan:
    """All value checks on one path, for every shape and set of focus nodes, in one scan of the
    path over the whole graph. A row is kept only when a check fails and the subject is a focus node
    of a shape with that check (the focus test runs only for failing rows)."""

    path: str
    conds: list[str] = field(default_factory=list)  # boolean expressions over ?value
    uses: list[list[int]] = field(default_factory=list)  # per cond: indexes into Plan.uses
    distinct: bool = False  # evaluate the conditions once per distinct value
    flags: list[tuple[int, str]] = field(default_factory=list)  # (cond index, focus set key) per flag ?f<k>
    tests: dict[str, str] = field(default_factory=dict)  # focus set key -> boolean over ?this
    # use -> focus set key, set by the engine (run_item) before it runs the scan
    use_focus: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    def finish(self, use_focus: dict[int, str], tests: dict[str, str]) -> None:
        self.flags = sorted({(i, use_focus[u]) for i, us in enumerate(self.uses) for u in us})
        self.tests = {fs: tests[fs] for _, fs in self.flags}

    def _conds(self) -> tuple[str, str]:
        binds = " ".join(f"BIND({wrap(c)} AS ?c{i})" for i, c in enumerate(self.conds))
        fail = " || ".join(f"!?c{i}" for i in range(len(self.conds)))
        return binds, fail

    def _flags(self) -> tuple[str, str, str]:
        binds = " ".join(
            f"BIND(IF(?c{i}, false, {wrap(self.tests[fs])}) AS ?f{k})" for k, (i, fs) in enumerate(self.flags)
        )
        any_ = " || ".join(f"?f{k}" for k in range(len(self.flags)))
        cols = " ".join(f"?f{k}" for k in range(len(self.flags)))
        return binds, any_, cols

    def query(self) -> str:
        binds, fail = self._conds()
        if self.distinct:  # step 1: the failing values
            return (f"SELECT ?value WHERE {{ {{ SELECT DISTINCT ?value WHERE {{ ?_s {self.path} ?value }} }} "
                    f"{binds} FILTER({fail}) }}")
        fbinds, any_, cols = self._flags()
        return (f"SELECT DISTINCT ?this ?value {cols} WHERE {{ {{ SELECT ?this ?value {' '.join(f'?c{i}' for i in range(len(self.conds)))} "
                f"WHERE {{ ?this {self.path} ?value . {binds} FILTER({fail}) }} }} {fbinds} FILTER({any_}) }}")

    def pairs_query(self, values: list[str]) -> str:
        """Distinct mode, step 2: the focus nodes with one of the failing values."""
        binds, fail = self._conds()
        fbinds, any_, cols = self._flags()
        return (f"SELECT DISTINCT ?this ?value {cols} WHERE {{ VALUES ?value {{ {' '.join(values)} }} "
                f"?this {self.path} ?value . {binds} {fbinds} FILTER({any_}) }}")


@dataclass
class ClassScan:
    """Value checks of one path for one set of focus nodes that are the instances of a few classes,
    started from those instances instead of from every value of the path. Split off a
    :class:`PathScan` when the classes have far fewer instances than the path has values (e.g. an
    identifier pattern for organisations, on a property every project has too): the scan no longer
    decodes every value for that check, nor looks up the class of each value that fails it."""

    path: str
    focus_set: str
    pattern: str  # enumerates ?this (the instances of the classes)
    conds: list[str] = field(default_factory=list)  # boolean expressions over ?value
    uses: list[list[int]] = field(default_factory=list)  # per cond: indexes into Plan.uses (of this focus set)

    def query(self) -> str:
        binds = " ".join(f"BIND({wrap(c)} AS ?c{i})" for i, c in enumerate(self.conds))
        fail = " || ".join(f"!?c{i}" for i in range(len(self.conds)))
        cols = " ".join(f"?c{i}" for i in range(len(self.conds)))
        # the join in a sub-query: else Oxigraph evaluates the checks on every value of the path before joining
        return (f"SELECT DISTINCT ?this ?value {cols} WHERE {{ {{ SELECT ?this ?value WHERE {{ {self.pattern} "
                f"?this {self.path} ?value . }} }} {binds} FILTER({fail}) }}")


@dataclass
class AntiJoin:
    """sh:class on one path, for every shape and focus set: the values that are not instances, by
    anti-join (MINUS) over the whole graph, kept when the subject is a focus node of the shape."""

    path: str
    instances: str  # pattern over ?value matching the instances of the class
    uses: list[int] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # focus set key per flag ?f<k>
    tests: dict[str, str] = field(default_factory=dict)
    # use -> focus set key, set by the engine (run_item) before it runs the join
    use_focus: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    def finish(self, use_focus: dict[int, str], tests: dict[str, str]) -> None:
        self.flags = sorted({use_focus[u] for u in self.uses})
        self.tests = {fs: tests[fs] for fs in self.flags}

    def query(self) -> str:
        binds = " ".join(f"BIND({wrap(self.tests[fs])} AS ?f{k})" for k, fs in enumerate(self.flags))
        any_ = " || ".join(f"?f{k}" for k in range(len(self.flags)))
        cols = " ".join(f"?f{k}" for k in range(len(self.flags)))
        return (f"SELECT DISTINCT ?this ?value {cols} WHERE {{ {{ {{ ?this {self.path} ?value }} "
                f"MINUS {{ {self.instances} }} }} {binds} FILTER({any_}) }}")


@dataclass
class MissingValues:
    """sh:minCount (and sh:hasValue) with one pattern: the focus nodes of every shape asking it that
    have no match, in one anti-join (MINUS); which shape's focus nodes they are is tested only for
    those."""

    anti: str  # a pattern over ?this that conforming focus nodes match
    patterns: dict[str, str] = field(default_factory=dict)  # focus set key -> pattern enumerating ?this
    uses: list[int] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    tests: dict[str, str] = field(default_factory=dict)

    def finish(self, use_focus: dict[int, str], tests: dict[str, str]) -> None:
        self.flags = sorted(self.patterns)
        self.tests = {fs: tests[fs] for fs in self.flags}

    def query(self) -> str:
        left = " UNION ".join(f"{{ {self.patterns[fs]} }}" for fs in self.flags)
        if len(self.flags) == 1:
            return f"SELECT DISTINCT ?this (true AS ?f0) WHERE {{ {{ {left} }} MINUS {{ {self.anti} }} }}"
        binds = " ".join(f"BIND({wrap(self.tests[fs])} AS ?f{k})" for k, fs in enumerate(self.flags))
        cols = " ".join(f"?f{k}" for k in range(len(self.flags)))
        return f"SELECT DISTINCT ?this {cols} WHERE {{ {{ {left} }} MINUS {{ {self.anti} }} {binds} }}"


@dataclass
class CountGuard:
    """sh:maxCount / sh:uniqueLang on one path: only a node with two or more values there can fail.
    First those nodes are found over the whole graph (one GROUP BY); each check then runs as a join
    over its focus nodes among them (or over all its focus nodes, when there are many)."""

    path: str
    queries: list[FragQuery] = field(default_factory=list)  # per focus set, joined
    by_lang: FragQuery | None = None  # sh:uniqueLang for every use, over the whole graph

    def precheck(self) -> str:
        """As many triples as subjects: no node has two values (cheaper than the GROUP BY)."""
        return f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?this) AS ?d) WHERE {{ ?this {self.path} ?_v }}"

    def multi_valued(self) -> str:
        return f"SELECT ?this WHERE {{ ?this {self.path} ?_v }} GROUP BY ?this HAVING (COUNT(*) > 1)"

    @staticmethod
    def restricted(query: str, values: list[str]) -> str:
        head, sep, body = query.partition("WHERE {")
        return f"{head}{sep} VALUES ?this {{ {' '.join(values)} }} {body}"


@dataclass
class FocusScan:
    focus_set: str
    pattern: str  # enumerates ?this
    conds: list[str] = field(default_factory=list)  # boolean expressions over ?this
    uses: list[list[int]] = field(default_factory=list)

    def query(self) -> str:
        binds = " ".join(f"BIND({wrap(c)} AS ?c{i})" for i, c in enumerate(self.conds))
        fail = " || ".join(f"!?c{i}" for i in range(len(self.conds)))
        cols = " ".join(f"?c{i}" for i in range(len(self.conds)))
        return f"SELECT DISTINCT ?this {cols} WHERE {{ {self.pattern} {binds} FILTER({fail}) }}"


@dataclass
class FragQuery:
    uses: list[int]  # one constraint, reached from one or more focus sets (free queries are shared)
    text: str  # SELECT query
    free: bool  # focus nodes still to be checked against each use's focus set
    columns: dict[str, str]  # role (value, path, lang, other) -> variable name (without ?)


@dataclass
class SparqlQuery:
    uses: list[int]
    constraint: sparql.SparqlConstraint
    focus_pattern: str | None  # enumerates ?this (per-focus mode; then one use)


@dataclass
class Plan:
    uses: list[Use] = field(default_factory=list)
    items: list = field(default_factory=list)  # PathScan | FocusScan | FragQuery | SparqlQuery
    focus_tests: dict[str, str] = field(default_factory=dict)  # FocusSet key -> boolean over ?this


class Compiler:
    def __init__(self, shapes: rdflib.Graph, subclasses: Callable[[Identifier], list[URIRef]] | None = None,
                 count: Callable[[str], int] | None = None):
        self.g = shapes
        self._subclasses = subclasses
        self._count = count  # SELECT (COUNT(*) AS ?n) query text -> n, on the data (None: no statistics)
        self._shapes: dict[object, Shape] = {}
        self._checks: dict[object, list] = {}
        self._stack: list[object] = []
        self.fresh = Fresh("_")
        self._parents: dict[object, list] | None = None

    # ------------------------------------------------------------------ helpers for the families
    def shape(self, node) -> Shape:
        s = self._shapes.get(node)
        if s is None:
            s = self._shapes[node] = Shape(self.g, node)
        return s

    def qname(self, term) -> str:
        if isinstance(term, URIRef):
            try:
                return self.g.namespace_manager.normalizeUri(term)
            except Exception:
                return f"<{term}>"
        return str(term)

    def qname_path(self, shape: Shape) -> str:
        if shape.path is not None and shape.path.predicate is not None:
            return self.qname(shape.path.predicate)
        return shape.path.sparql if shape.path is not None else ""

    def shape_label(self, node) -> str:
        return self.qname(node) if isinstance(node, URIRef) else "[blank node shape]"

    def subclasses(self, cls: Identifier) -> list[Identifier]:
        if self._subclasses is None:
            return [cls]
        return sorted(set(self._subclasses(cls)) | {cls})

    def instance_pattern(self, var: str, cls: URIRef) -> str:
        """A pattern matching the SHACL instances of cls (for MINUS)."""
        classes = self.subclasses(cls)
        if len(classes) == 1:
            return f"{var} <{RDF.type}> {sparql_term(classes[0])} ."
        c = self.fresh("c")
        return f"VALUES {c} {{ {' '.join(sparql_term(x) for x in classes)} }} {var} <{RDF.type}> {c} ."

    def instance_of(self, var: str, cls: URIRef) -> str:
        classes = self.subclasses(cls)
        if len(classes) == 1:
            return f"EXISTS {{ {var} <{RDF.type}> {sparql_term(classes[0])} }}"
        c = self.fresh("c")
        return f"EXISTS {{ VALUES {c} {{ {' '.join(sparql_term(x) for x in classes)} }} {var} <{RDF.type}> {c} }}"

    def qualified_siblings(self, shape: Shape) -> list:
        if self._parents is None:
            self._parents = {}
            for parent, child in self.g.subject_objects(SH.property):
                self._parents.setdefault(child, []).append(parent)
        own = set(shape.all(SH.qualifiedValueShape))
        out = []
        for parent in self._parents.get(shape.node, []):
            for sibling in self.g.objects(parent, SH.property):
                for qs in self.g.objects(sibling, SH.qualifiedValueShape):
                    if qs not in own and qs not in out:
                        out.append(qs)
        return out

    def checks(self, shape: Shape) -> list:
        found = self._checks.get(shape.node)
        if found is None:
            for p in shape.params:
                if str(p).startswith(str(SH)) and p not in CORE_PARAMETERS and p not in NON_VALIDATING:
                    if p not in (SH.name, SH.description):
                        raise Unsupported(f"shape parameter {self.qname(p)}")
            for p in custom_parameters(self.g):
                if p in shape.params:
                    raise Unsupported(f"custom constraint component parameter {self.qname(p)}")
            found = []
            for compiler in COMPILERS:
                found.extend(compiler(self, shape))
            self._checks[shape.node] = found
        return found

    def conforms(self, node, var: str) -> str:
        """A SPARQL boolean expression: the node bound to ``var`` conforms to the shape ``node``."""
        if node in self._stack:
            raise Unsupported("recursive shapes")
        shape = self.shape(node)
        if shape.deactivated:
            return "true"
        self._stack.append(node)
        try:
            parts: list[str] = []
            checks = self.checks(shape)
            vconds = [c.cond for c in checks if isinstance(c, ValueCheck)]
            if vconds:
                if shape.path is not None:  # a property shape
                    y = self.fresh("y")
                    ok = " && ".join(wrap(c(y)) for c in vconds)
                    parts.append(f"NOT EXISTS {{ {var} {shape.path.sparql} {y} . FILTER(!({ok})) }}")
                else:
                    parts.extend(wrap(c(var)) for c in vconds)
            for c in checks:
                if isinstance(c, FocusCheck):
                    if c.sparql is not None:
                        raise Unsupported("sh:sparql in a shape used by sh:node / sh:not / sh:and / sh:or / sh:xone")
                    if c.focus_cond is not None:
                        parts.append(wrap(c.focus_cond(var, self.fresh)))
                    else:
                        parts.append(f"NOT EXISTS {{ {c.build(var, self.fresh, False).text} }}")
            for ps in shape.properties:
                parts.append(self.conforms(ps, var))
            return "(" + " && ".join(parts) + ")" if parts else "true"
        finally:
            self._stack.pop()

    # ------------------------------------------------------------------ the plan
    def plan(self) -> Plan:
        plan = Plan()
        self._plan = plan
        self._path_scans: dict = {}
        self._focus_scans: dict[str, FocusScan] = {}
        self._cond_cache: dict[tuple, str] = {}
        self._shared: dict[str, FragQuery | SparqlQuery] = {}  # query text -> the FragQuery / SparqlQuery run over the whole graph
        self._class_sets: dict[str, FocusSet] = {}  # focus sets that are the instances of classes
        roots = shapes_with_targets(self.g)
        for node in roots:
            shape = self.shape(node)
            targets = shape.targets()
            if not targets:
                continue
            self._emit(shape, Targets(targets, self.subclasses), depth=0)
        if self._count is not None:
            self._split_small_classes(plan)
        plan.items = list(self._path_scans.values()) + list(self._focus_scans.values()) + plan.items
        # (every use is made by _emit, with the key of its focus set)
        use_focus = {i: cast(str, u.focus_set) for i, u in enumerate(plan.uses)}
        for item in plan.items:
            if isinstance(item, (PathScan, AntiJoin, MissingValues)):
                item.finish(use_focus, plan.focus_tests)
        return plan

    # a check moves to a ClassScan when its classes have at most 1/SPLIT_RATIO as many instances as the path has values
    SPLIT_RATIO = 4

    def _split_small_classes(self, plan: Plan) -> None:
        """Checks of a path scan asked only for focus sets of classes that are few compared to the
        path's values are checked from those classes' instances (:class:`ClassScan`); the path scan
        keeps the rest (and disappears when nothing is left). A check asked for every focus set of the
        scan stays: its values are decoded once for all of them. Needs two counts on the data per
        candidate (the classes' instances; the path's values, up to SPLIT_RATIO times that)."""
        class_counts: dict[str, int] = {}
        count = self._count
        assert count is not None  # plan() splits only with a counter

        def instances(fs: str) -> int:
            if fs not in class_counts:
                classes = self._class_sets[fs].classes()
                assert classes is not None  # _class_sets holds the focus sets that are classes' instances
                class_counts[fs] = count(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?_c {{ {' '.join(classes)} }} ?_s {TYPE} ?_c }}")
            return class_counts[fs]

        for key, scan in list(self._path_scans.items()):
            if not isinstance(scan, PathScan) or scan.distinct:
                continue
            focus = [{cast(str, plan.uses[u].focus_set) for u in us} for us in scan.uses]  # (as in plan())
            every = set().union(*focus) if focus else set()
            value_counts: dict[int, int] = {}  # LIMIT -> the path's values counted up to it
            moved: dict[str, list[int]] = {}  # focus set -> cond indexes
            for i, sets in enumerate(focus):
                if sets == every or not all(fs in self._class_sets for fs in sets):
                    continue
                total = sum(instances(fs) for fs in sets)
                limit = self.SPLIT_RATIO * total + 1
                if value_counts.get(limit) is None:  # checks of one scan often share their focus sets
                    value_counts[limit] = count(
                        f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?_s WHERE {{ ?_s {scan.path} ?_o }} LIMIT {limit} }} }}")
                if value_counts[limit] >= limit:
                    for fs in sets:
                        moved.setdefault(fs, []).append(i)
            if not moved:
                continue
            for fs, conds in moved.items():
                split = ClassScan(scan.path, fs, self._class_sets[fs].pattern("?this", Fresh("_k")))
                for i in conds:
                    split.conds.append(scan.conds[i])
                    split.uses.append([u for u in scan.uses[i] if plan.uses[u].focus_set == fs])
                self._path_scans[("class", scan.path, fs)] = split
            keep = [i for i in range(len(scan.conds)) if i not in {j for js in moved.values() for j in js}]
            if not keep:
                del self._path_scans[key]
                continue
            scan.conds = [scan.conds[i] for i in keep]
            scan.uses = [scan.uses[i] for i in keep]

    @staticmethod
    def _last_fresh(text: str) -> str:
        found = re.findall(r"\?_c\d+", text)
        return found[0] if found else "\x00"

    def _frag_query(self, text: str, base: dict, columns: dict) -> None:
        """A query with its focus nodes in it; shapes asking the very same share it."""
        shared = self._shared.get(text)
        use = self._use(**base)
        if shared is None:
            shared = self._shared[text] = FragQuery([], text, False, columns)
            self._plan.items.append(shared)
        shared.uses.append(use)

    def _use(self, **kw) -> int:
        self._plan.uses.append(Use(**kw))
        return len(self._plan.uses) - 1

    def _register_focus_set(self, fs: FocusSet) -> None:
        if fs.key not in self._plan.focus_tests:
            self._plan.focus_tests[fs.key] = fs.test("?this", self.fresh)
            if fs.classes() is not None:
                self._class_sets[fs.key] = fs

    def _focus_scan(self, fs: FocusSet) -> FocusScan:
        scan = self._focus_scans.get(fs.key)
        if scan is None:
            scan = self._focus_scans[fs.key] = FocusScan(fs.key, fs.pattern("?this", self.fresh))
        return scan

    @staticmethod
    def _add_cond(scan, cond: str, use: int) -> None:
        try:
            i = scan.conds.index(cond)
        except ValueError:
            scan.conds.append(cond)
            scan.uses.append([])
            i = len(scan.conds) - 1
        scan.uses[i].append(use)

    def _emit(self, shape: Shape, fs: FocusSet, depth: int) -> None:
        if depth > 20:
            raise Unsupported("sh:property nested too deeply (recursive shapes?)")
        if shape.deactivated:
            return
        checks = self.checks(shape)
        for k, c in enumerate(checks):
            base = dict(shape=shape.node, component=c.component, severity=shape.severity,
                        messages=list(shape.messages), default_message=c.default_message,
                        path=shape.path, focus_set=fs.key)
            if isinstance(c, ValueCheck):
                if shape.path is not None and not shape.path.nullable:  # a property shape
                    self._register_focus_set(fs)
                    if c.anti is not None:  # sh:class: an anti-join, far cheaper in Oxigraph than EXISTS per value
                        instances = c.anti("?value")
                        key: tuple[object, ...] = ("anti", shape.path.sparql, instances.replace(self._last_fresh(instances), "?_c"))
                        join = self._path_scans.get(key)
                        if join is None:
                            join = self._path_scans[key] = AntiJoin(shape.path.sparql, instances)
                        join.uses.append(self._use(**base))
                        continue
                    key = (shape.node, k, "value")
                    cond = self._cond_cache.get(key)
                    if cond is None:
                        cond = self._cond_cache[key] = c.cond("?value")
                    scan = self._path_scans.get(shape.path.sparql)
                    if scan is None:
                        scan = self._path_scans[shape.path.sparql] = PathScan(shape.path.sparql)
                    scan.distinct = scan.distinct or (c.expensive and "EXISTS" in cond)
                    self._add_cond(scan, cond, self._use(**base))
                elif shape.path is not None:  # a path that may be of length zero: enumerate focus nodes
                    v = "?value"
                    text = (f"SELECT DISTINCT ?this ?value WHERE {{ {fs.pattern('?this', self.fresh)} "
                            f"?this {shape.path.sparql} {v} . FILTER(!{wrap(c.cond(v))}) }}")
                    self._plan.items.append(FragQuery([self._use(**base)], text, False, {"value": "value"}))
                elif c.anti is not None:
                    fresh = Fresh("_f")
                    text = (f"SELECT DISTINCT ?this WHERE {{ {{ {fs.pattern('?this', fresh)} }} "
                            f"MINUS {{ {c.anti('?this')} }} }}")
                    self._frag_query(text, {**base, "value_is_focus": True}, {})
                else:
                    key = (shape.node, k, "this")
                    cond = self._cond_cache.get(key)
                    if cond is None:
                        cond = self._cond_cache[key] = c.cond("?this")
                    self._add_cond(self._focus_scan(fs), cond, self._use(**base, value_is_focus=True))
            elif c.anti is not None and (shape.path is None or not shape.path.nullable):  # a node shape, or a path never of length zero
                # sh:minCount, sh:hasValue: the focus nodes without a matching value, by anti-join;
                # one per pattern, for every focus set (the right side's hash table is built once)
                anti = c.anti("?this")
                group = self._path_scans.get(("minus", anti))
                if group is None:
                    group = self._path_scans[("minus", anti)] = MissingValues(anti)
                if fs.key not in group.patterns:
                    group.patterns[fs.key] = fs.pattern("?this", Fresh(f"_m{len(group.patterns)}"))
                self._register_focus_set(fs)
                group.uses.append(self._use(**base, no_value=True))
            elif c.sparql is not None:
                sc = c.sparql
                use = self._use(**{**base, "messages": list(shape.messages) + list(sc.messages)},
                                source_constraint=c.source_constraint, substitute=True,
                                value_is_focus=not shape.is_property_shape)
                self._register_focus_set(fs)
                if sc.free:
                    shared = self._shared.get(sc.query)
                    if shared is None:
                        shared = self._shared[sc.query] = SparqlQuery([], sc, None)
                        self._plan.items.append(shared)
                    shared.uses.append(use)
                else:
                    self._plan.items.append(SparqlQuery([use], sc, fs.pattern("?this", self.fresh)))
            elif c.focus_cond is not None:
                cond = c.focus_cond("?this", self.fresh)
                self._add_cond(self._focus_scan(fs), cond, self._use(**base, no_value=True))
            elif c.guard_path is not None:
                guard = self._path_scans.get(("guard", c.guard_path))
                if guard is None:
                    guard = self._path_scans[("guard", c.guard_path)] = CountGuard(c.guard_path)
                fresh = Fresh("_f")
                frag = c.guarded("?this", fresh)
                columns = {"value": frag.value[1:]} if frag.value else {}
                columns.update({k2: var[1:] for k2, var in frag.extra.items()})
                cols = " ".join("?" + v for v in columns.values())
                focus = fs.pattern("?this", fresh)
                text = f"SELECT DISTINCT ?this {cols} WHERE {{ {focus} {frag.text} }}"
                use = self._use(**base, no_value=frag.value is None)
                if c.component == SH.UniqueLangConstraintComponent:
                    # when many nodes have several values, one GROUP BY over the whole graph beats a join per focus set
                    self._register_focus_set(fs)
                    if guard.by_lang is None:
                        # only the values of nodes with several (a GROUP BY of encoded terms, cheap) are
                        # decoded for their language tag (LANG of a non-literal: an error, filtered out)
                        multi = f"SELECT ?this WHERE {{ ?this {c.guard_path} ?_w }} GROUP BY ?this HAVING (COUNT(*) > 1)"
                        guard.by_lang = FragQuery([], (
                            f"SELECT ?this ?lang WHERE {{ {{ SELECT ?this ?_v WHERE {{ {{ {multi} }} ?this {c.guard_path} ?_v }} }} "
                            f"BIND(LANG(?_v) AS ?lang) FILTER(?lang != \"\") }} GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?_v) > 1)"
                        ), True, {"lang": "lang"})
                    guard.by_lang.uses.append(use)
                for q in guard.queries:
                    if q.text == text:
                        q.uses.append(use)
                        break
                else:
                    guard.queries.append(FragQuery([use], text, False, columns))
            else:
                frag = c.build("?this", Fresh("_"), True)
                if c.free:  # the same query for every shape and focus set that uses this constraint
                    shared = self._shared.get(frag.text)
                    if shared is not None:
                        assert isinstance(shared, FragQuery)  # a fragment's text is never a whole SPARQL constraint query
                        self._register_focus_set(fs)
                        shared.uses.append(self._use(**base, no_value="value" not in shared.columns))
                        continue
                columns = {}
                if frag.value:
                    columns["value"] = frag.value[1:]
                if frag.path:
                    columns["path"] = frag.path[1:]
                for k2, var in frag.extra.items():
                    columns[k2] = var[1:]
                cols = " ".join("?" + v for v in columns.values())
                use = self._use(**base, no_value=frag.value is None)
                if c.free:
                    self._register_focus_set(fs)
                    text = f"SELECT DISTINCT ?this {cols} WHERE {{ {frag.text} }}"
                    item = self._shared[frag.text] = FragQuery([use], text, True, columns)
                else:
                    fresh = Fresh("_f")
                    text = f"SELECT DISTINCT ?this {cols} WHERE {{ {fs.pattern('?this', fresh)} {frag.text} }}"
                    item = FragQuery([use], text, False, columns)
                self._plan.items.append(item)
        for ps in shape.properties:
            child = self.shape(ps)
            if shape.is_property_shape:
                self._emit(child, ValuesOf(fs, shape.path), depth + 1)
            else:
                self._emit(child, fs, depth + 1)


def custom_parameters(g: rdflib.Graph) -> set:
    """Parameters of custom constraint components declared in the shapes graph (not supported)."""
    out = set()
    for comp in set(g.subjects(SH.parameter, None)):
        for param in g.objects(comp, SH.parameter):
            p = g.value(param, SH.path)
            if p is not None:
                out.add(p)
    return out


def shapes_with_targets(g: rdflib.Graph) -> list:
    nodes: set[rdflib.term.Node] = set()
    for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        nodes.update(g.subjects(p, None))
    for t in (SH.NodeShape, SH.PropertyShape):
        for s in g.subjects(RDF.type, t):
            # implicit class targets as pySHACL (the reference) finds them: typed rdfs:Class, or a type
            # one rdfs:subClassOf step below it (the spec's SHACL instance would follow any depth)
            if isinstance(s, URIRef) and (s, RDF.type, RDFS.Class) in g:
                nodes.add(s)
            elif isinstance(s, URIRef):
                for c in g.objects(s, RDF.type):
                    if (c, RDFS.subClassOf, RDFS.Class) in g:
                        nodes.add(s)
    if any(True for _ in g.subjects(SH.target, None)):
        raise Unsupported("sh:target (SPARQL-based targets, SHACL-AF)")
    return sorted(nodes, key=lambda n: (isinstance(n, BNode), str(n)))


def compile_plan(shapes: rdflib.Graph, subclasses: Callable[[Identifier], list[URIRef]] | None = None,
                 count: Callable[[str], int] | None = None) -> Plan:
    """``subclasses``: the data's rdfs:subClassOf closure; ``count``: runs a COUNT query on the data
    (statistics for choosing how to scan; without it the plan does not depend on data sizes)."""
    return Compiler(shapes, subclasses, count).plan()
