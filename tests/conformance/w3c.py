"""The W3C SHACL test suite (../shared/conformance/w3c-shacl): manifests, test cases, expected reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")


@dataclass
class W3CTest:
    name: str  # e.g. core/property/minCount-001
    file: Path
    data: rdflib.Graph
    shapes: rdflib.Graph
    manifest: rdflib.Graph
    result: object  # the expected sh:ValidationReport node in ``manifest``, or SHT.Failure
    label: str

    @property
    def expects_failure(self) -> bool:
        return self.result == SHT.Failure

    def expected_conforms(self) -> bool:
        return str(self.manifest.value(self.result, SH.conforms)).lower() == "true"


def _parse(path: Path, cache: dict) -> rdflib.Graph:
    if path not in cache:
        g = rdflib.Graph()
        g.parse(path, format="turtle", publicID=path.as_uri())
        cache[path] = g
    return cache[path]


def load_tests(root: Path, manifest: str = "manifest.ttl") -> list[W3CTest]:
    cache: dict = {}
    out: list[W3CTest] = []

    def walk(path: Path) -> None:
        g = _parse(path, cache)
        me = URIRef(path.as_uri())
        for inc in g.objects(me, MF.include):
            walk(Path(str(inc).removeprefix("file://")))
        for entries in g.objects(me, MF.entries):
            for entry in Collection(g, entries):
                if (entry, RDF.type, SHT.Validate) not in g:
                    continue
                action = g.value(entry, MF.action)
                data_file = Path(str(g.value(action, SHT.dataGraph)).removeprefix("file://"))
                shapes_file = Path(str(g.value(action, SHT.shapesGraph)).removeprefix("file://"))
                name = str(path.parent.relative_to(root) / str(entry).rsplit("/", 1)[-1])
                out.append(W3CTest(
                    name=name, file=path, data=_parse(data_file, cache), shapes=_parse(shapes_file, cache),
                    manifest=g, result=g.value(entry, MF.result), label=str(g.value(entry, rdflib.RDFS.label)),
                ))

    walk(root / manifest)
    return out


def components_used(shapes: rdflib.Graph) -> set[str]:
    """Local names of the SHACL constraint parameters a shapes graph uses (class, minCount, sparql …)."""
    from kg.validation.fast.model import CORE_PARAMETERS

    return {str(p).rsplit("#", 1)[-1] for p in set(shapes.predicates()) if p in CORE_PARAMETERS}


def expected_keys(t: W3CTest) -> Counter:
    from kg.validation.fast.report import report_keys

    return report_keys(t.manifest, t.result, blank_ids=False)


def oxigraph_data(t: W3CTest):
    """The test's data graph parsed by Oxigraph itself (rdflib would rewrite some ill-typed literals)."""
    import pyoxigraph as ox

    action = t.manifest.value(next(t.manifest.subjects(MF.result, t.result)), MF.action)
    path = Path(str(t.manifest.value(action, SHT.dataGraph)).removeprefix("file://"))
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri()))


__all__ = ["W3CTest", "components_used", "expected_keys", "load_tests", "oxigraph_data"]
_ = Counter
