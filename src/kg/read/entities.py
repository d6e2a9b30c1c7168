"""Any resource, whatever its type: whether the graph says anything about it, its types, a generic
view (every property, the resources linking to it, its graphs) and its concise bounded description
as triples (for the linked-data views).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import RDF
from kg.read import common
from kg.store.base import Store

__all__ = ["describe", "entity_exists", "get_entity"]


def entity_exists(store: Store, uri: str) -> bool:
    """Whether the URI is the subject of at least one triple (in any graph)."""
    try:
        return common.ask(store, f"ASK {{ {common.iri(uri)} ?p ?o }}")
    except ValueError:
        return False


def entity_types(store: Store, uri: str) -> list[str]:
    return sorted(r["t"].value for r in common.rows(store, f"SELECT DISTINCT ?t WHERE {{ {common.iri(uri)} a ?t }}"))


def _term_view(term: Any, names: dict[str, str]) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "iri", "value": term.value, "label": names.get(term.value) or common.fallback_label(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value, "label": f"_:{term.value}"}
    out = {"type": "literal", "value": term.value, "label": term.value}
    if term.language:
        out["language"] = term.language
    elif term.datatype.value != common.XSD_NS + "string":
        out["datatype"] = term.datatype.value
    return out


def get_entity(store: Store, uri: str, lang: str = "en", *, incoming_limit: int = 200) -> dict[str, Any]:
    """Any resource: its label, types, every property (labelled with the ontology's labels) and the
    resources that link to it. ``NotFound`` when nothing is said about it."""
    try:
        outgoing = common.rows(store, f"SELECT ?p ?o WHERE {{ {common.iri(uri)} ?p ?o }}")
        incoming = common.rows(store, f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {common.iri(uri)} }} LIMIT {int(incoming_limit)}")
    except ValueError:
        raise common.NotFound("resource", uri) from None
    if not outgoing and not incoming:
        raise common.NotFound("resource", uri)
    refs = {r["p"].value for r in outgoing} | {r["o"].value for r in outgoing if isinstance(r["o"], ox.NamedNode)}
    refs |= {r["s"].value for r in incoming if isinstance(r["s"], ox.NamedNode)} | {r["p"].value for r in incoming}
    names = common.labels(store, refs | {uri}, lang)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for r in outgoing:
        grouped[r["p"].value].append(r["o"])
    properties: list[dict[str, Any]] = []
    for pred in sorted(grouped, key=lambda p: (p != str(RDF.type), names.get(p, common.fallback_label(p)).casefold())):
        values = grouped[pred]
        # many language variants (country and SDG labels): the chosen one first
        values.sort(key=lambda t: (common.lang_rank(t.language or "", lang), t.value) if isinstance(t, ox.Literal) else (-1, t.value))
        properties.append(
            {
                "predicate": pred,
                "label": names.get(pred) or common.fallback_label(pred),
                "values": [_term_view(v, names) for v in values],
            }
        )
    incoming_view = [
        {
            "subject": r["s"].value if isinstance(r["s"], ox.NamedNode) else f"_:{r['s'].value}",
            "subjectLabel": names.get(r["s"].value) or common.fallback_label(r["s"].value),
            "predicate": r["p"].value,
            "label": names.get(r["p"].value) or common.fallback_label(r["p"].value),
        }
        for r in incoming
    ]
    types = [v["value"] for prop in properties if prop["predicate"] == str(RDF.type) for v in prop["values"]]
    return {
        "@id": uri,
        "label": names.get(uri) or common.fallback_label(uri),
        "types": types,
        "typeLabels": [names.get(t) or common.fallback_label(t) for t in types],
        "properties": properties,
        "incoming": incoming_view,
        "graphs": sorted(r["g"].value for r in common.rows(store, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {common.iri(uri)} ?p ?o }} }}")),
    }


_LABELS_SPARQL = " ".join(f"<{p}>" for p in common.LABEL_PREDICATES[:3])


def describe(store: Store, uri: str) -> list[ox.Triple]:
    """A concise bounded description of ``uri``: its triples as subject (all graphs), the triples
    of its owned parts (URIs under ``{uri}/``, one or two links away), and the labels
    (``rdfs:label``, ``skos:prefLabel``, ``dct:title``) of everything those triples link to."""
    u = common.iri(uri)
    prefix = common.lit(uri + "/")
    result = store.query(
        common.PREFIXES
        + f"""CONSTRUCT {{ ?s ?p ?o . ?o ?lp ?l }} WHERE {{
  {{ BIND({u} AS ?s) ?s ?p ?o }}
  UNION
  {{ {u} ?l1 ?s FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix})) ?s ?p ?o }}
  UNION
  {{ {u} ?l1 ?m . ?m ?l2 ?s FILTER(isIRI(?m) && STRSTARTS(STR(?m), {prefix}) && isIRI(?s) && STRSTARTS(STR(?s), {prefix})) ?s ?p ?o }}
  OPTIONAL {{ FILTER(isIRI(?o) && !STRSTARTS(STR(?o), {prefix})) VALUES ?lp {{ {_LABELS_SPARQL} }} ?o ?lp ?l }}
}}"""
    )
    if not isinstance(result, ox.QueryTriples):
        raise TypeError("expected CONSTRUCT results")
    return list(result)
