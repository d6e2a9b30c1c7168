"""SDG suggestions: the Aurora queries (:mod:`kg.linking.sdg_queries`) run over a project's title,
full name, summary and objectives, written as statements in their own named graph
``{base}graph/inferred/sdg-suggestions`` (never as ``kg:sdg``, so no query for stated SDGs sees them)::

    <project/sdg-suggestion/10.2> a kg:SdgSuggestion ;
        kg:suggestionFor <project> ;
        kg:suggestedGoal sdg:10 ; kg:suggestedTarget sdg:10.2 ;
        kg:score 0.75 ;                       # 1 − 0.5^k, k = query lines of the target that matched
        kg:matchedText "social inclusion" ;   # the words that matched, one literal per distinct text
        prov:wasDerivedFrom <id/source/aurora-sdg-queries-5.0-10.2-1> .

Each query line used is described once in the same graph as the source document it is (a
``kg:SourceDocument`` and ``kg:SdgQuery``: its text, target, version, DOI, licence and checksum).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from kg.linking.sdg_queries import Matcher, QueryLine, words
from kg.model.namespaces import KG, PROV, RDF, RDFS, SDG
from kg.model.records import ProjectRecord

SUGGESTIONS_GRAPH = "inferred/sdg-suggestions"
XSD_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
DCT = "http://purl.org/dc/terms/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
FIELD_GAP = 1000  # word positions between two texts of a project: no proximity match spans two fields


@dataclass
class Suggestion:
    target: str  # "10.2"
    goal: str  # "10"
    score: Decimal
    matched: list[str]  # distinct matched words, in page order
    lines: list[QueryLine]


def record_texts(record: ProjectRecord) -> list[str]:
    """The texts a suggestion reads: title, full name, summary and objectives, every language."""
    out: list[str] = []
    for value in [record.title, record.full_name, record.summary, *record.objectives]:
        if value is None:
            continue
        if isinstance(value, str):
            out.append(value)
        else:
            out.extend(str(v) for v in dict(value).values())
    return out


def suggest(matcher: Matcher, texts: Iterable[str]) -> list[Suggestion]:
    """Suggestions for one project's texts, best first."""
    by_target: dict[str, tuple[list[QueryLine], list[str]]] = {}
    for text in texts:
        if not text:
            continue
        for hit in matcher.match(text):
            lines, matched = by_target.setdefault(hit.line.target, ([], []))
            if hit.line not in lines:
                lines.append(hit.line)
            for a, b in hit.spans:
                phrase = " ".join(w for w, _, _ in words(text[a:b]))
                if phrase not in matched:
                    matched.append(phrase)
    out = []
    for target, (lines, matched) in by_target.items():
        score = (Decimal(1) - Decimal("0.5") ** len(lines)).quantize(Decimal("0.001"))
        out.append(Suggestion(target, lines[0].goal, score, matched, lines))
    out.sort(key=lambda s: (-s.score, [int(x) if x.isdigit() else 0 for x in s.target.split(".")]))
    return out


def query_key(version: str, line: QueryLine) -> str:
    return f"aurora-sdg-queries-{version}-{line.id}"


def query_iri(base_uri: str, version: str, line: QueryLine) -> str:
    """A query line is the source document its suggestions derive from: ``{base}id/source/aurora-sdg-queries-5.0-10.2-1``."""
    return f"{base_uri}id/source/{query_key(version, line)}"


def suggestion_quads(
    projects: Iterable[tuple[str, list[str]]],
    matcher: Matcher,
    *,
    base_uri: str,
    graph: str,
    stated: dict[str, set[str]] | None = None,
    described: set[str] | None = None,
) -> tuple[list[ox.Quad], dict[str, Any]]:
    """The suggestion graph for ``(project URI, texts)`` pairs, and a summary (projects with
    suggestions, suggestions, agreement with stated goals where ``stated`` gives them).
    ``described``: IRIs of query lines already described in ``graph`` (an import calls this project
    by project); they are not described again, and the ones described now are added to it."""
    g = ox.NamedNode(graph)
    quads: list[ox.Quad] = []
    used: dict[str, QueryLine] = {}
    n_projects = n_sugg = 0
    agree_projects = stating = 0
    version = matcher.queries.version
    for project, texts in projects:
        found = suggest(matcher, texts)
        if stated is not None and stated.get(project):
            stating += 1
            if any(s.goal in stated[project] for s in found):
                agree_projects += 1
        if not found:
            continue
        n_projects += 1
        p = ox.NamedNode(project)
        for s in found:
            n_sugg += 1
            node = ox.NamedNode(f"{project}/sdg-suggestion/{s.target}")
            quads += [
                ox.Quad(node, RDF_TYPE, KG_SUGGESTION, g),
                ox.Quad(node, ox.NamedNode(KG.suggestionFor), p, g),
                ox.Quad(node, ox.NamedNode(KG.suggestedGoal), ox.NamedNode(SDG[s.goal]), g),
                ox.Quad(node, ox.NamedNode(KG.suggestedTarget), ox.NamedNode(SDG[s.target]), g),
                ox.Quad(node, ox.NamedNode(KG.score), ox.Literal(str(s.score), datatype=XSD_DECIMAL), g),
            ]
            quads += [ox.Quad(node, ox.NamedNode(KG.matchedText), ox.Literal(m), g) for m in s.matched]
            for line in s.lines:
                iri = query_iri(base_uri, version, line)
                used[iri] = line
                quads.append(ox.Quad(node, ox.NamedNode(PROV.wasDerivedFrom), ox.NamedNode(iri), g))
    for iri, line in sorted(used.items()):
        if described is not None:
            if iri in described:
                continue
            described.add(iri)
        q = ox.NamedNode(iri)
        quads += [
            ox.Quad(q, RDF_TYPE, ox.NamedNode(KG.SourceDocument), g),
            ox.Quad(q, RDF_TYPE, ox.NamedNode(KG.SdgQuery), g),
            ox.Quad(q, ox.NamedNode(f"{DCT}identifier"), ox.Literal(query_key(version, line)), g),
            ox.Quad(q, ox.NamedNode(f"{DCT}title"), ox.Literal(f"Aurora SDG query {line.target} line {line.line} (v{version})", language="en"), g),
            ox.Quad(q, ox.NamedNode(RDFS.label), ox.Literal(f"Aurora SDG query {line.target} line {line.line} (v{version})", language="en"), g),
            ox.Quad(q, ox.NamedNode(KG.sha256), ox.Literal(hashlib.sha256(line.text.encode("utf-8")).hexdigest()), g),
            ox.Quad(q, ox.NamedNode(KG.queryText), ox.Literal(line.text), g),
            ox.Quad(q, ox.NamedNode(KG.suggestedTarget), ox.NamedNode(SDG[line.target]), g),
            ox.Quad(q, ox.NamedNode(f"{DCT}source"), ox.NamedNode(f"https://doi.org/{matcher.queries.doi}"), g),
            ox.Quad(q, ox.NamedNode(f"{DCT}license"), ox.NamedNode(CC_BY), g),
            ox.Quad(q, ox.NamedNode("http://www.w3.org/2002/07/owl#versionInfo"), ox.Literal(version), g),
        ]
    summary = {
        "projects_with_suggestions": n_projects,
        "suggestions": n_sugg,
        "projects_stating_sdgs": stating,
        "stating_projects_with_a_suggestion_in_a_stated_goal": agree_projects,
    }
    return quads, summary


RDF_TYPE = ox.NamedNode(RDF.type)
KG_SUGGESTION = ox.NamedNode(KG.SdgSuggestion)
