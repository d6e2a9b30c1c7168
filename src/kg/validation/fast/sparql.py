"""SPARQL-based constraints (sh:sparql with sh:select).

The query runs as given, once over the whole graph, when it binds ``$this`` itself (``$this``
occurs in a triple pattern of the top-level group, outside OPTIONAL / MINUS / sub-queries /
aggregation): its solutions are then exactly the union, over all nodes, of the solutions with
``$this`` pre-bound, and the ones whose ``$this`` is a focus node of the shape are kept. Any other
query is run once per focus node with ``$this`` substituted (SHACL's pre-binding), which is
correct and slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import OWL

from kg.validation.fast.model import FocusCheck, Frag, truthy
from kg.validation.fast.terms import SH, IllFormedShapes, Unsupported

_THIS = re.compile(r"[?$]this\b")
_PATH = re.compile(r"\$PATH\b")
_CURRENT = re.compile(r"[?$]currentShape\b")
_SHAPES_GRAPH = re.compile(r"[?$]shapesGraph\b")


@dataclass
class SparqlConstraint:
    node: object
    query: str  # full text: PREFIX lines + select, $PATH substituted
    free: bool  # run once over the whole graph
    messages: list

    def for_focus(self, term_text: str) -> str:
        """The query with $this pre-bound to a focus node (SPARQL text): every occurrence in the
        WHERE clause is replaced by the node (bound($this) by true), and VALUES at the start of the
        WHERE clause binds ?this for the projection."""
        head, sep, body = self.query.partition("{")
        body = _BOUND_THIS.sub("(true)", body)
        body = _SUB_SELECT.sub(lambda m: _project_without_this(m), body)
        return f"{head}{sep} VALUES ?this {{ {term_text} }} " + _THIS.sub(term_text, body)


_BOUND_THIS = re.compile(r"\bbound\s*\(\s*[?$]this\s*\)", re.IGNORECASE)
_SUB_SELECT = re.compile(r"\bSELECT\b(?P<proj>[^{]*?)\bWHERE\b", re.IGNORECASE)


def _project_without_this(m: re.Match) -> str:
    proj = _THIS.sub("", m.group("proj"))
    if not re.search(r"[?$]\w|\*", proj):
        proj = proj.replace("DISTINCT", "").replace("distinct", "") + " * "
    return f"SELECT {proj} WHERE"


_STRINGS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*')


def check_pre_binding(query: str) -> None:
    """SHACL's restrictions on SPARQL queries with pre-bound variables (SHACL §5.2.1): no MINUS,
    SERVICE or VALUES, no sub-query that does not return $this, no AS $this."""
    text = _STRINGS.sub(" ", query)
    for word in ("MINUS", "SERVICE", "VALUES"):
        if re.search(rf"\b{word}\b", text, re.IGNORECASE):
            raise IllFormedShapes(f"{word} in a SPARQL-based constraint (SHACL §5.2.1)")
    if re.search(r"\bAS\s+[?$]this\b", text, re.IGNORECASE):
        raise IllFormedShapes("AS $this in a SPARQL-based constraint (SHACL §5.2.1)")
    selects = list(re.finditer(r"\bSELECT\b(?P<proj>[^{]*?)\bWHERE\b|\bSELECT\b(?P<proj2>[^{]*?)\{", text, re.IGNORECASE))
    for m in selects[1:]:
        proj = m.group("proj") if m.group("proj") is not None else m.group("proj2")
        if not _THIS.search(proj):
            raise IllFormedShapes("a sub-query that does not return $this (SHACL §5.2.1)")


def _prefixes(g, nodes) -> str:
    decls: dict[str, str] = {}
    seen = set()
    todo = list(nodes)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for d in g.objects(n, SH.declare):
            prefix, ns = g.value(d, SH.prefix), g.value(d, SH.namespace)
            if prefix is None or ns is None:
                raise Unsupported("sh:declare without sh:prefix / sh:namespace")
            decls[str(prefix)] = str(ns)
        todo.extend(g.objects(n, OWL.imports))
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(decls.items()))


def binds_this(query: str) -> bool:
    """True when evaluating the query with $this free gives, for each node, exactly the solutions of
    the query with $this pre-bound to it: $this is bound by a triple pattern of the top-level group
    (not only under OPTIONAL, MINUS, UNION branches, sub-queries or aggregation), and every FILTER /
    BIND that mentions $this sits above such a triple pattern."""
    try:
        from rdflib.plugins.sparql import prepareQuery
        from rdflib.term import Variable

        q = prepareQuery(query)
    except Exception:  # rdflib cannot parse it: take the always-correct path
        return False
    this = Variable("this")
    algebra = q.algebra
    if algebra.name != "SelectQuery" or getattr(algebra.p, "name", None) != "Project":
        return False

    def mentions(node) -> bool:
        if node == this:
            return True
        if isinstance(node, dict):  # rdflib CompValue (expressions, patterns)
            return any(mentions(v) for v in node.values())
        if isinstance(node, (list, tuple, set)):
            return any(mentions(v) for v in node)
        return False

    class NotFree(Exception):
        pass

    def walk(node) -> bool:
        """Whether the subtree binds ?this; raises NotFree when it uses ?this unsafely."""
        name = getattr(node, "name", None)
        if name == "BGP":
            return any(this in t for t in node.triples)
        if name in ("Filter", "Extend"):
            below = walk(node.p)
            expr = node.expr
            if mentions(expr) and not below:
                raise NotFree()
            return below
        if name in ("Distinct", "Reduced", "OrderBy", "ToMultiSet"):
            return walk(node.p)
        if name == "Join":
            a, b = walk(node.p1), walk(node.p2)
            return a or b
        if name == "LeftJoin":
            a = walk(node.p1)
            walk(node.p2)
            if mentions(node.get("expr")) and not a:
                raise NotFree()
            return a
        if name == "Union":
            a, b = walk(node.p1), walk(node.p2)
            return a and b
        if mentions(node):
            raise NotFree()
        return False

    try:
        return walk(algebra.p.p)
    except NotFree:
        return False


def compile_sparql(ctx, shape):
    out = []
    for c in shape.all(SH.sparql):
        if any(truthy(d) for d in ctx.g.objects(c, SH.deactivated)):
            continue
        selects = list(ctx.g.objects(c, SH.select))
        if len(selects) != 1:
            raise Unsupported("sh:sparql needs exactly one sh:select (ASK validators are not supported)")
        text = str(selects[0])
        if _SHAPES_GRAPH.search(text):
            raise Unsupported("$shapesGraph in a SPARQL constraint")
        if shape.is_property_shape:
            text = _PATH.sub(lambda m: shape.path.sparql, text)
        elif _PATH.search(text):
            raise Unsupported("$PATH in a SPARQL constraint of a node shape")
        if _CURRENT.search(text):
            if not isinstance(shape.node, URIRef):
                raise Unsupported("$currentShape of a blank-node shape")
            text = _CURRENT.sub(lambda m: f"<{shape.node}>", text)
        query = _prefixes(ctx.g, list(ctx.g.objects(c, SH.prefixes))) + text
        check_pre_binding(text)
        messages = [m for m in ctx.g.objects(c, SH.message) if isinstance(m, Literal)]
        sc = SparqlConstraint(c, query, binds_this(query), messages)

        def build(f, fresh, top, sc=sc):
            if not top:
                raise Unsupported("sh:sparql in a shape used by sh:node / sh:not / sh:and / sh:or / sh:xone")
            return Frag("")

        out.append(FocusCheck(SH.SPARQLConstraintComponent, build, free=sc.free, source_constraint=c,
                              messages=messages, sparql=sc, default_message=""))
    return out


COMPILERS = [compile_sparql]
