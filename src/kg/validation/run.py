"""Validation entry points: the engines by name (``fast``, ``pyshacl``) and the whole on-disk store.

:func:`validate_store` validates a built store in place with the fast engine (:mod:`kg.validation.fast`);
:func:`validate_with` picks the engine for an rdflib graph.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph
import rdflib

from kg.validation.fast import FastValidator
from kg.validation.fast import validate_fast as fast_validate
from kg.validation.inputs import load_shapes
from kg.validation.report import Report

ENGINES = ("fast", "pyshacl")


def validate_fast(
    data,
    shapes: rdflib.Graph,
    *,
    locate: Callable[[str], str | None] | None = None,
    workers: int | None = 1,
) -> Report:
    """Validate with the fast engine (:mod:`kg.validation.fast`: the shapes compiled to SPARQL and run inside
    Oxigraph over the whole graph). ``data``: pyoxigraph quads or triples, an rdflib graph, a
    pyoxigraph / :class:`kg.store.OxigraphStore` store, or the directory of an on-disk store (then
    ``workers`` > 1 runs the queries in that many processes). Same :class:`Report` as :func:`validate`."""
    return fast_validate(data, shapes, locate=locate, workers=workers)


# Named graphs of a store that hold vocabularies (kg.release.build.Assembled.vocab_graphs: Minter.sdg_graph and
# Minter.country_graph, ``{base}graph/vocab/un-sdg`` and ``{base}graph/vocab/eu-country``), recognised
# by the end of their name whatever the base URI. ``vocab/programmes`` is data (the programme scheme).
VOCAB_GRAPH_SUFFIXES = ("/graph/vocab/un-sdg", "/graph/vocab/eu-country")


def vocab_graphs(store) -> set[str]:
    """The names of the vocabulary graphs of an Oxigraph store (see :data:`VOCAB_GRAPH_SUFFIXES`)."""
    return {g.value for g in store.named_graphs() if isinstance(g, pyoxigraph.NamedNode)
            and g.value.endswith(VOCAB_GRAPH_SUFFIXES)}


def validate_store(
    path: Path | str,
    shapes_dir: Path,
    *,
    locate: Callable[[str], str | None] | None = None,
    workers: int | None = None,
) -> Report:
    """Validate an on-disk Oxigraph store (``kg build`` output: curated graphs, ontology, vocabularies,
    import graphs) against the shapes in ``shapes_dir`` with the fast engine, without loading it:
    the store is opened read-only (by every worker process when ``workers`` > 1; ``None``: one per
    core on big stores) and the compiled queries run over the union of its named graphs.

    The build (:func:`kg.release.build.validation_quads`) validates every graph but the vocabularies plus the
    vocabularies' rdf:type / skos:inScheme / rdfs:subClassOf statements (:func:`vocabulary_extract`);
    that extract exists to keep pySHACL's input small, not to hide anything. Here the vocabulary
    graphs are part of the union as they are; the results are the same because a vocabulary node
    only enters validation as the value of a link (kg:country, kg:sdg, sh:class checks), where the
    shapes read only its rdf:type and skos:inScheme (kgsh:Country → kgsh:EUAuthorityCountry, the
    sh:class of kgsh:Project-sdg), and no shape targets the vocabularies' classes or predicates
    (checked by tests/test_validate_store.py on the seed store and a broken copy of it). Import
    graphs are validated together with everything else (``kg import`` validated each against the
    curated release only). The union repeats a statement held by several graphs; the engine's
    queries count distinct values, so repeats do not change results.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no Oxigraph store at {path}")
    return _validator(Path(shapes_dir)).validate(path.resolve(), locate=locate, workers=workers, union=True)


_VALIDATORS: dict = {}  # shapes directory -> (state of its *.ttl files, FastValidator)


def _validator(shapes_dir: Path):
    """The fast validator of a shapes directory, kept while its ``*.ttl`` files are unchanged (by
    name, size and modification time): shapes parsed once, plan compiled once per state of the data's
    subclasses and counts (:class:`kg.validation.fast.FastValidator` checks those itself)."""
    key = shapes_dir.resolve()
    state = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(key.glob("*.ttl")))
    hit = _VALIDATORS.get(key)
    if hit is not None and hit[0] == state:
        return hit[1]
    validator = FastValidator(load_shapes(key))
    _VALIDATORS[key] = (state, validator)
    return validator
