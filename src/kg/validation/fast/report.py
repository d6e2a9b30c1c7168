"""Raw results → :class:`kg.validation.report.Report` (the same shape pySHACL's results take), with the
SHACL validation report graph built on first use; and comparison keys for two reports."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import rdflib
from rdflib import BNode, Literal, URIRef

from kg.validation.fast.compile import Plan, Use
from kg.validation.fast.paths import path_sparql
from kg.validation.fast.terms import RDF, SH, XSD
from kg.validation.report import Report, ValidationResult

__all__ = ["FastReport", "build_report", "report_keys", "result_key"]


def decode(t: tuple | None):
    if t is None:
        return None
    if t[0] == "I":
        return URIRef(t[1])
    if t[0] == "B":
        return BNode(t[1])
    _, value, datatype, lang = t
    if lang:
        return Literal(value, lang=lang)
    if datatype == str(XSD.string):
        return Literal(value)
    return Literal(value, datatype=URIRef(datatype), normalize=False)  # keep the lexical form


def _text(t: tuple | None) -> str | None:
    if t is None:
        return None
    return t[1]


class FastReport(Report):
    """A :class:`Report` whose RDF report graph is made when first asked for."""

    def __init__(self, conforms, results, make_graph: Callable[[], rdflib.Graph]):
        self._make_graph = make_graph
        self._graph = None
        super().__init__(conforms=conforms, results=results)

    @property
    def graph(self):
        if self._graph is None and self._make_graph is not None:
            self._graph = self._make_graph()
        return self._graph

    @graph.setter
    def graph(self, value):
        self._graph = value


_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def _message(use: Use, focus, value, path_text, extra) -> list[str]:
    if use.messages:
        binds = {"this": focus, "value": value, "path": path_text, **extra}

        def bound(mm: re.Match[str]) -> str:
            return str(binds.get(mm.group(1)) or mm.group(0))

        return [_VAR.sub(bound, str(m)) if use.substitute else str(m) for m in use.messages]
    text = use.default_message.replace("{this}", str(focus)).replace("{value}", str(value))
    return [text or "constraint violated"]


def _severity(node) -> str:
    return str(node).rsplit("#", 1)[-1]


def build_report(
    plan: Plan,
    raw: list,
    shapes: rdflib.Graph,
    *,
    locate: Callable[[str], str | None] | None = None,
) -> FastReport:
    rows = []  # (use, focus, value, path node, messages)
    results = []
    seen = set()
    for u, focus_t, value_t, path_t, extra_t in raw:
        use = plan.uses[u]
        focus = decode(focus_t)
        if use.no_value:
            value = None
        elif value_t is not None:
            value = decode(value_t)
        else:
            value = focus if use.value_is_focus else None
        if path_t is not None:
            path_node = decode(path_t)
            path_str = str(path_node)
        elif use.path is not None:
            path_node = use.path.node
            path_str = str(use.path.predicate) if use.path.predicate is not None else use.path.sparql
        else:
            path_node, path_str = None, None
        extra = {k: decode(v) for k, v in extra_t.items()}
        key = (u, focus, value, path_node, tuple(sorted((k, str(v)) for k, v in extra.items())))
        if key in seen:  # the same result found twice (e.g. sh:lessThan against two values)
            continue
        seen.add(key)
        messages = _message(use, focus, value, path_str, extra)
        rows.append((use, focus, value, path_node, messages))
        focus_s = str(focus)
        results.append(ValidationResult(
            focus=focus_s,
            path=path_str,
            value=str(value) if value is not None else None,
            message="; ".join(messages),
            severity=_severity(use.severity),
            shape=str(use.shape) if isinstance(use.shape, URIRef) else None,
            where=locate(focus_s) if locate else None,
        ))
    order = sorted(range(len(results)), key=lambda i: (results[i].severity != "Violation", results[i].focus,
                                                       results[i].path or "", results[i].value or "",
                                                       results[i].shape or ""))
    results = [results[i] for i in order]
    rows = [rows[i] for i in order]
    conforms = not any(r.severity == "Violation" for r in results)

    def make_graph() -> rdflib.Graph:
        g = rdflib.Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(conforms)))
        for use, focus, value, path_node, messages in rows:
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.focusNode, focus))
            g.add((r, SH.resultSeverity, use.severity))
            g.add((r, SH.sourceConstraintComponent, use.component))
            g.add((r, SH.sourceShape, use.shape))
            if isinstance(use.shape, BNode):
                _copy(shapes, use.shape, g, shallow=True)
            if value is not None:
                g.add((r, SH.value, value))
            if path_node is not None:
                g.add((r, SH.resultPath, path_node))
                if isinstance(path_node, BNode):
                    _copy(shapes, path_node, g)
            if use.source_constraint is not None:
                g.add((r, SH.sourceConstraint, use.source_constraint))
            for m in messages:
                g.add((r, SH.resultMessage, Literal(m)))
        return g

    return FastReport(conforms, results, make_graph)


def _copy(src: rdflib.Graph, node, dst: rdflib.Graph, shallow: bool = False) -> None:
    """Copy the blank-node structure below ``node`` (a path, or with ``shallow`` a shape's own triples)."""
    todo = [node]
    seen = set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in src.predicate_objects(n):
            dst.add((n, p, o))
            if isinstance(o, BNode) and not shallow:
                todo.append(o)


# ---------------------------------------------------------------------- comparing reports
_INTEGERS = {
    str(XSD[n]) for n in (
        "integer long int short byte nonNegativeInteger positiveInteger nonPositiveInteger negativeInteger "
        "unsignedLong unsignedInt unsignedShort unsignedByte"
    ).split()
}


def _term_key(t, blank_ids: bool = True):
    """A comparison key for a term. Literals compare by value where a store may rewrite the lexical
    form (Oxigraph keeps "4.0"^^xsd:decimal as "4", and xsd:int etc. as xsd:integer; rdflib maps an
    ill-typed xsd:boolean to "false"): numbers by value, ill-typed literals as one marker."""
    if t is None:
        return None
    if isinstance(t, Literal):
        dt = str(t.datatype) if t.datatype else None
        lang = t.language.lower() if t.language else None
        if getattr(t, "ill_typed", False):
            return ("L", "<ill-typed>", dt, lang)
        try:
            if dt in _INTEGERS:
                return ("L", str(int(str(t).strip())), str(XSD.integer), None)
            if dt == str(XSD.decimal):
                from decimal import Decimal

                return ("L", format(Decimal(str(t).strip()).normalize(), "f"), dt, None)
            if dt in (str(XSD.double), str(XSD.float)):
                return ("L", repr(float(str(t).strip())), dt, None)
            if dt == str(XSD.boolean):
                return ("L", "true" if str(t).strip() in ("true", "1") else "false", dt, None)
            if dt in (str(XSD.dateTime), str(XSD.time), str(XSD.dateTimeStamp)):
                value = Literal(str(t), datatype=t.datatype).value  # "…T00:00:00Z" vs "…+00:00"
                if value is not None:
                    return ("L", value.isoformat(), str(XSD.dateTime) if dt != str(XSD.time) else dt, None)
        except (ValueError, ArithmeticError):
            pass
        return ("L", str(t), dt, lang)
    if isinstance(t, BNode):
        return ("B", str(t)) if blank_ids else ("B",)
    return ("I", str(t))


def result_key(g: rdflib.Graph, r, blank_ids: bool = True) -> tuple:
    """(focusNode, resultPath as SPARQL, value, sourceConstraintComponent, severity) of one result;
    with ``blank_ids`` False, blank nodes compare equal to each other (reports of different parses)."""
    path = g.value(r, SH.resultPath)
    if path is None:
        p = None
    elif isinstance(path, URIRef):
        p = f"<{path}>"
    else:
        try:
            p = path_sparql(g, path)
        except Exception:
            p = "?"
    return (
        _term_key(g.value(r, SH.focusNode), blank_ids),
        p,
        _term_key(g.value(r, SH.value), blank_ids),
        str(g.value(r, SH.sourceConstraintComponent)),
        str(g.value(r, SH.resultSeverity)),
    )


def report_keys(g: rdflib.Graph, report=None, *, blank_ids: bool = True) -> Counter:
    """The results (sh:result of the report; not pySHACL's nested sh:detail ones) of a report graph
    as a multiset of :func:`result_key`."""
    if report is None:
        report = next(iter(g.subjects(RDF.type, SH.ValidationReport)), None)
    nodes = list(g.objects(report, SH.result)) if report is not None else []
    return Counter(result_key(g, r, blank_ids) for r in nodes)
