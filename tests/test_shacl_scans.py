"""Plan shapes that depend on the data (kg.validation.fast.compile): checks split off a shared path scan to start
from a small class's instances (ClassScan), sh:equals as MINUS, sh:uniqueLang only on nodes with
several values, value checks without type guards. Each must report exactly what pySHACL (the
reference) reports, on small crafted graphs where several shapes share a property."""

from __future__ import annotations

import logging

import pytest
import rdflib

from kg.validation.fast import FastValidator
from kg.validation.fast.compile import ClassScan, PathScan
from kg.validation.fast.report import report_keys
from kg.validation.reference import validate

logging.getLogger("rdflib").setLevel(logging.CRITICAL)

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""

# Three classes share ex:id and rdfs:label: every class checks the datatype, the rare class ex:Org
# also a pattern and a language tag (its checks are split off), the common classes a pattern of their own.
SHAPES = PREFIXES + """
ex:OrgShape a sh:NodeShape ; sh:targetClass ex:Org ;
    sh:property [ sh:path ex:id ; sh:datatype xsd:string ; sh:pattern "^[a-z0-9-]+$" ; sh:minLength 3 ] ;
    sh:property [ sh:path rdfs:label ; sh:datatype rdf:langString ; sh:uniqueLang true ] .
ex:ProjectShape a sh:NodeShape ; sh:targetClass ex:Project ;
    sh:property [ sh:path ex:id ; sh:datatype xsd:string ; sh:pattern "^[A-Za-z0-9._-]+$" ] ;
    sh:property [ sh:path rdfs:label ; sh:or ( [ sh:datatype rdf:langString ] [ sh:datatype xsd:string ] ) ;
                  sh:uniqueLang true ] ;
    sh:property [ sh:path ex:hasPart ; sh:equals ex:partOfInverse ] .
ex:DocShape a sh:NodeShape ; sh:targetClass ex:Doc ;
    sh:property [ sh:path ex:id ; sh:datatype xsd:string ; sh:pattern "^[A-Za-z0-9._-]+$" ; sh:severity sh:Warning ] ;
    sh:property [ sh:path rdfs:label ; sh:datatype xsd:string ; sh:maxLength 12 ] .
ex:SubOrg rdfs:subClassOf ex:Org .
"""


def _data(projects: int = 40) -> str:
    lines = [PREFIXES, "ex:SubOrg rdfs:subClassOf ex:Org ."]
    for i in range(projects):
        ident = f"P-{i}" if i % 7 else f"P {i}"  # some break the project pattern
        lines.append(f'ex:p{i} a ex:Project ; ex:id "{ident}" ; rdfs:label "Project {i}"@en, "Projekt {i}"@de .')
        lines.append(f'ex:d{i} a ex:Doc ; ex:id "D.{i}" ; rdfs:label "doc {i}" .')
        lines.append(f"ex:p{i} ex:hasPart ex:d{i} . ex:p{i} ex:partOfInverse ex:d{i} .")
    lines.append('ex:p3 rdfs:label "Second title"@en .')  # uniqueLang broken on a project
    lines.append('ex:p4 ex:id 17 .')  # wrong datatype, on a project
    lines.append("ex:p5 ex:hasPart ex:d9 .")  # sh:equals broken both ways
    lines.append("ex:p6 ex:partOfInverse ex:d1 .")
    lines.append('ex:d2 rdfs:label "a label far too long" .')
    lines.append('ex:d3 ex:id _:b1 .')  # a blank node fails datatype and pattern
    # organisations: few, with their own pattern and language rules
    lines.append('ex:o1 a ex:Org ; ex:id "acme-1" ; rdfs:label "ACME"@en .')
    lines.append('ex:o2 a ex:Org ; ex:id "ACME_2" ; rdfs:label "ACME" .')  # pattern, language fail
    lines.append('ex:o3 a ex:SubOrg ; ex:id "x" ; rdfs:label "X"@en, "Y"@en .')  # minLength, uniqueLang fail
    lines.append('ex:o4 a ex:Org, ex:Project ; ex:id "Both_4" ; rdfs:label "B"@en .')  # two classes
    lines.append("ex:o5 a ex:Org ; ex:id <http://example.org/iri-id> .")  # IRI: datatype fails, pattern on STR
    lines.append('ex:o6 a ex:Org ; ex:id _:b2 ; rdfs:label "z" .')  # blank id; label not langString
    return "\n".join(lines)


def _keys(report) -> set:
    return set(report_keys(report.graph, blank_ids=False))


def _run(data_ttl: str, shapes_ttl: str):
    data = rdflib.Graph().parse(data=data_ttl, format="turtle")
    shapes = rdflib.Graph().parse(data=shapes_ttl, format="turtle")
    validator = FastValidator(shapes)
    fast = validator.validate(data)
    ref = validate(data, shapes)
    return validator, fast, ref


def test_split_scans_report_what_pyshacl_reports():
    validator, fast, ref = _run(_data(), SHAPES)
    plan = validator.plan
    split = [it for it in plan.items if isinstance(it, ClassScan)]
    # the organisation pattern/length on ex:id and the language tag on rdfs:label start from ex:Org
    assert {it.path for it in split} == {"<http://example.org/id>", "<http://www.w3.org/2000/01/rdf-schema#label>"}
    for it in split:
        assert "http://example.org/Org" in it.pattern and "http://example.org/SubOrg" in it.pattern
    scans = {it.path: it for it in plan.items if isinstance(it, PathScan)}
    assert len(scans["<http://example.org/id>"].conds) == 2  # the datatype (all classes), the common pattern
    assert _keys(fast) == _keys(ref)
    assert len(fast.results) == len(ref.results)
    assert not fast.conforms and len(fast.results) > 10


def test_without_statistics_the_same_results():
    """compile_plan without counts (no split) and with them report the same."""
    from kg.validation.fast.api import load_store
    from kg.validation.fast.compile import compile_plan
    from kg.validation.fast.engine import run_plan, subclass_map
    from kg.validation.fast.report import build_report

    data = rdflib.Graph().parse(data=_data(), format="turtle")
    shapes = rdflib.Graph().parse(data=SHAPES, format="turtle")
    store, union, _ = load_store(data)
    plan = compile_plan(shapes, subclass_map(store, union))
    assert not any(isinstance(it, ClassScan) for it in plan.items)
    report = build_report(plan, run_plan(plan, store, union=union), shapes)
    validator, fast, _ = _run(_data(), SHAPES)
    assert _keys(report) == _keys(fast)


def test_no_split_when_the_class_is_not_small():
    """Half the ex:id values are organisations': the check stays in the shared scan."""
    lines = [PREFIXES]
    for i in range(10):
        lines.append(f'ex:o{i} a ex:Org ; ex:id "org-{i}" .')
        lines.append(f'ex:p{i} a ex:Project ; ex:id "P_{i}" .')
    lines.append('ex:o1 ex:id "Bad Org" .')
    validator, fast, ref = _run("\n".join(lines), SHAPES)
    assert not any(isinstance(it, ClassScan) for it in validator.plan.items)
    assert _keys(fast) == _keys(ref) and len(fast.results) == len(ref.results) == 1


@pytest.mark.parametrize("value, conforms", [
    ('"abc"', True), ('"abc"@en', False), ("<http://example.org/x>", False), ("_:b", False), ("42", False),
    ('"a b"', False), ('"ab"', False), ('"abcdefghijkl"', False),
])
def test_unguarded_value_checks(value, conforms):
    """Datatype, pattern and length checks without isLiteral / isBlank guards: an IRI, a blank node, a
    number or a tagged string each fail exactly as pySHACL says (also under sh:not, where an error
    must not turn into conformance)."""
    shapes = PREFIXES + """
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
        sh:property [ sh:path ex:v ; sh:datatype xsd:string ; sh:pattern "^[a-z]+$" ; sh:minLength 3 ; sh:maxLength 10 ] ;
        sh:property [ sh:path ex:v ; sh:not [ sh:datatype rdf:langString ] ] ;
        sh:property [ sh:path ex:v ; sh:not [ sh:pattern "^[0-9]+$" ] ] .
    """
    data = PREFIXES + f"ex:n a ex:T ; ex:v {value} ."
    _, fast, ref = _run(data, shapes)
    assert _keys(fast) == _keys(ref)
    assert fast.conforms == ref.conforms == conforms


def test_plan_reused_only_while_the_data_answers_the_same():
    """FastValidator keeps its plan between calls: reused when the data has the same subclass
    statements and count answers, recompiled when not; every call reports what pySHACL reports."""
    shapes = rdflib.Graph().parse(data=SHAPES, format="turtle")
    validator = FastValidator(shapes)

    def check(data_ttl: str):
        data = rdflib.Graph().parse(data=data_ttl, format="turtle")
        fast = validator.validate(data)
        ref = validate(data, rdflib.Graph().parse(data=SHAPES, format="turtle"))  # pySHACL adds to its shapes graph
        assert _keys(fast) == _keys(ref) and len(fast.results) == len(ref.results)
        return validator.plan

    first = check(_data())
    assert check(_data()) is first  # same data: same plan
    # without the subclass statement ex:o3 (an ex:SubOrg) is no organisation any more
    no_sub = _data().replace("ex:SubOrg rdfs:subClassOf ex:Org .", "")
    second = check(no_sub)
    assert second is not first
    assert all("http://example.org/SubOrg" not in it.pattern for it in second.items if isinstance(it, ClassScan))
    # as many organisations as projects: the counts differ, ex:id is not split off any more
    lines = [PREFIXES, "ex:SubOrg rdfs:subClassOf ex:Org ."]
    for i in range(10):
        lines.append(f'ex:o{i} a ex:Org ; ex:id "org-{i}" ; rdfs:label "O{i}"@en .')
        lines.append(f'ex:p{i} a ex:Project ; ex:id "P_{i}" ; rdfs:label "P{i}"@en .')
    lines.append('ex:o1 ex:id "Bad Org" .')
    third = check("\n".join(lines))
    split = {it.path for it in third.items if isinstance(it, ClassScan)}
    assert third is not second and "<http://example.org/id>" not in split
    assert check(_data()) is not third  # back to the first data: compiled again, same results


def test_validate_store_keeps_the_validator_while_shapes_are_unchanged(tmp_path):
    from kg.validation.run import _validator

    (tmp_path / "a.ttl").write_text(SHAPES)
    v1 = _validator(tmp_path)
    assert _validator(tmp_path) is v1
    (tmp_path / "b.ttl").write_text(PREFIXES + "ex:X a sh:NodeShape ; sh:targetClass ex:Y ; sh:nodeKind sh:IRI .")
    v2 = _validator(tmp_path)
    assert v2 is not v1 and len(v2.shapes) > len(v1.shapes)
