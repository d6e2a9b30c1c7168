"""SDG suggestions from the Aurora queries (src/kg/linking/sdg_queries.py, sdg_suggestions.py):
every query file of v5.0 compiles; the Scopus operators mean what Scopus documents; kg build's
suggestions live in their own named graph and never as kg:sdg.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.linking.sdg_queries import Matcher, QuerySet, QuerySyntaxError, load_queries, parse_query
from kg.linking.sdg_queries import QueryLine as QL
from kg.linking.sdg_suggestions import SUGGESTIONS_GRAPH, suggest
from kg.model.uris import Minter
from kg.release.build import assemble
from kg.settings import Settings
from kgtesting import ROOT

SHIPPED = ROOT / "data" / "vocab" / "sdg-queries" / "aurora-5.0"
SHARED = ROOT.parent / "shared" / "sdg-queries" / "aurora-5.0"


@pytest.mark.parametrize("directory", [SHIPPED, SHARED], ids=["data/vocab", "../shared"])
def test_every_aurora_query_file_parses(directory: Path) -> None:
    if not directory.exists():
        pytest.skip(f"{directory} is not there")
    qs = load_queries(directory)
    assert qs.version == "5.0" and qs.doi == "10.5281/zenodo.3817445"
    assert len(qs.files) == 17 and {q.goal for q in qs.lines} == {str(n) for n in range(1, 18)}
    assert len(qs.lines) == 378  # every query line of every file
    assert all(q.target_uri == f"http://metadata.un.org/sdg/{q.target}" for q in qs.lines)
    Matcher(qs)  # and compiles


def test_the_shipped_queries_are_the_published_ones_with_their_attribution() -> None:
    for p in sorted(SHARED.glob("*")) if SHARED.exists() else []:
        assert (SHIPPED / p.name).read_bytes() == p.read_bytes(), p.name
    readme = (SHIPPED.parent / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme or "Creative Commons Attribution 4.0" in readme
    assert "10.5281/zenodo.3817445" in readme and (SHIPPED / "LICENSE.md").exists()


def _m(query: str) -> Matcher:
    node = parse_query(query)
    return Matcher(QuerySet("test", "", [QL("1", "1.1", "http://metadata.un.org/sdg/1.1", "1", 1, "TITLE-ABS-KEY", query, node, "test")]))


def _hit(query: str, text: str) -> bool:
    return bool(_m(query).match(text))


@pytest.mark.parametrize(
    ("query", "text", "hit"),
    [
        # W/n: at most n words between, either order
        ('("income*") W/3 ("growth*")', "growth of the household income", True),
        ('("income*") W/3 ("growth*")', "income of the poorest households grows", False),  # 'grows' is not growth*
        ('("income*") W/3 ("growth*")', "incomes rise, and over time the growth", False),  # 5 words between
        ('("income*") W/3 ("growth*")', "incomes rise and see growth", True),  # 3 words between
        ('"heart" W/0 "attack"', "heart attack", True),
        ('"heart" W/0 "attack"', "heart and attack", False),
        # PRE/n: in that order only
        ('"climate" PRE/2 "change"', "climate is changing, climate change", True),
        ('"climate" PRE/2 "change"', "change of the climate", False),
        ('"change" W/2 "climate"', "change of the climate", True),
        # phrases: words in a row, a wildcard on any word, hyphens are word breaks
        ('"growth rate*"', "the growth rates of income", True),
        ('"growth rate*"', "growth in the rates", False),
        ('"non-native"', "non native species", True),
        ('"wom?n"', "women and men", True),
        # AND, OR, AND NOT
        ('("poaching" OR "trafficking") AND ("wildlife")', "illegal trafficking of wildlife", True),
        ('("poaching" OR "trafficking") AND ("wildlife")', "trafficking of persons", False),
        ('("species") AND NOT ("marine" OR "sea")', "endangered species of the forest", True),
        ('("species") AND NOT ("marine" OR "sea")', "endangered marine species", False),
        # nesting: a proximity match is itself an operand of another
        ('( "invas*" ) W/3 ( "alien" ) W/3 ( "species" )', "invasive alien plant species", True),
        ('( "invas*" ) W/3 ( "alien" ) W/3 ( "species" )', "invasive alien plants are a threat to many of the native species", False),
        # precedence: OR binds tighter than W/n, W/n tighter than AND
        ('"a1" OR "b1" W/1 "c1"', "b1 x c1", True),
        ('"a1" AND "b1" W/1 "c1"', "a1 then b1 c1", True),
        ('"a1" AND "b1" W/1 "c1"', "b1 c1 only", False),
        # field wrapper and case/accents
        ('TITLE-ABS-KEY("ÉDUCATION" W/2 "qualité")', "une éducation de qualité", True),
    ],
)
def test_scopus_operators(query: str, text: str, hit: bool) -> None:
    assert _hit(query, text) is hit


def test_a_bad_query_is_refused_with_its_place() -> None:
    with pytest.raises(QuerySyntaxError, match=r"query_SDG99.xml: target 99.1 line 2: '\)' is missing at character"):
        parse_query('("income*" W/3 ("growth*")', "query_SDG99.xml: target 99.1 line 2")
    with pytest.raises(QuerySyntaxError, match="unexpected"):
        parse_query('"a" AND OR "b"')


def test_suggestions_name_goal_target_words_and_query() -> None:
    qs = load_queries(SHIPPED)
    found = suggest(Matcher(qs), ["The project promotes the social inclusion of migrants and fights discrimination in access to housing."])
    by = {s.target: s for s in found}
    assert "10.2" in by and by["10.2"].goal == "10" and "social inclusion" in by["10.2"].matched
    assert all(0 < s.score < 1 for s in found)


def test_build_keeps_suggestions_in_their_own_graph_never_as_stated_sdgs() -> None:
    settings = Settings.from_env()
    on = assemble(settings)
    off = assemble(replace(settings, sdg_suggestions=False))
    graph = Minter(settings.base_uri).graph(SUGGESTIONS_GRAPH)
    assert graph == f"{settings.base_uri}graph/inferred/sdg-suggestions"
    assert on.graphs.get(graph) and graph not in off.graphs
    store = ox.Store()
    store.extend(on.quads())
    kg = "https://w3id.org/euprojects/def#"
    n_stated = lambda st: int(next(iter(st.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?p <{kg}sdg> ?x }} }}")))["n"].value)  # noqa: E731
    store_off = ox.Store()
    store_off.extend(off.quads())
    assert n_stated(store) == n_stated(store_off)  # suggestions add no kg:sdg anywhere
    rows = list(store.query(f"""SELECT ?p ?goal ?target ?score ?q WHERE {{ GRAPH <{graph}> {{
        ?s a <{kg}SdgSuggestion> ; <{kg}suggestionFor> ?p ; <{kg}suggestedGoal> ?goal ; <{kg}suggestedTarget> ?target ;
           <{kg}score> ?score ; <{kg}matchedText> ?m ; <http://www.w3.org/ns/prov#wasDerivedFrom> ?q .
        ?q <{kg}queryText> ?text }} }}"""))
    assert rows
    for r in rows:
        assert r["target"].value.startswith(r["goal"].value + ".")
        assert r["q"].value.startswith(f"{settings.base_uri}id/source/aurora-sdg-queries-5.0-")
    # nothing else in the suggestions graph speaks of kg:sdg
    assert not list(store.quads_for_pattern(None, ox.NamedNode(f"{kg}sdg"), None, ox.NamedNode(graph)))
