"""Publishing a release from a real `kg build`: dumps re-read by independent parsers (rapper,
rdflib), the DCAT-AP 3.0.1 catalogue against the official shapes, VoID counts against the
store, reproducibility across independent builds, and personal data kept out."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from kg.release.build import build
from kg.release.canonical import canonical_quads, sort_quads
from kg.release.dcat import validate_catalog
from kg.release.dumps import personal_contacts
from kg.release.publish import PersonalDataError, Release, publish_release, read_release
from kg.settings import Settings
from kg.store import OxigraphStore

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
RDF = rdflib.Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
BASE_URL = "http://127.0.0.1:8000"


# --------------------------------------------------------------------------- fixtures


def _publish(var: Path, out: Path, **kwargs: object) -> Release:
    settings = Settings(var_dir=var)
    with OxigraphStore(settings.store_path, read_only=True) as store:
        return publish_release(settings, store=store, out_dir=out, base_url=BASE_URL, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def release(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Release:
    return _publish(seed_build, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def store_quads(seed_build: Path) -> list[ox.Quad]:
    with OxigraphStore(Settings(var_dir=seed_build).store_path, read_only=True) as store:
        return list(store.native.quads_for_pattern(None, None, None, None))


@pytest.fixture(scope="session")
def rapper() -> str:
    path = shutil.which("rapper")
    if path is None:
        pytest.fail("rapper (Debian package raptor2-utils) is not installed: run `make system-deps`")
    return path


def rapper_count(rapper: str, path: Path, syntax: str) -> int:
    proc = subprocess.run([rapper, "-c", "-i", syntax, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"rapper -i {syntax} {path.name} failed:\n{proc.stderr}"
    match = re.search(r"Parsing returned (\d+) (?:triples|statements)", proc.stderr)
    assert match, proc.stderr
    return int(match.group(1))


def distinct_triples(quads: list[ox.Quad]) -> set[tuple[str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in quads}


# --------------------------------------------------------------------------- dumps


@pytest.mark.parametrize(
    ("name", "syntax", "what"),
    [
        ("euprojects.nq.gz", "nquads", "quads"),
        ("euprojects.nt.gz", "ntriples", "triples"),
        ("euprojects.ttl", "turtle", "triples"),
    ],
)
def test_rapper_reads_what_the_store_holds(
    rapper: str, release: Release, store_quads: list[ox.Quad], tmp_path: Path, name: str, syntax: str, what: str
) -> None:
    assert release.out_dir is not None
    path = release.out_dir / name
    if name.endswith(".gz"):
        plain = tmp_path / name.removesuffix(".gz")
        plain.write_bytes(gzip.decompress(path.read_bytes()))
        path = plain
    expected = len(store_quads) if what == "quads" else len(distinct_triples(store_quads))
    assert rapper_count(rapper, path, syntax) == expected


def test_the_store_counts_agree_with_the_release(release: Release, store_quads: list[ox.Quad]) -> None:
    assert release.quads == len(store_quads)
    assert release.triples == len(distinct_triples(store_quads))


def test_jsonld_keeps_every_named_graph(release: Release, store_quads: list[ox.Quad]) -> None:
    assert release.out_dir is not None
    ds = rdflib.Dataset()
    ds.parse(release.out_dir / "euprojects.jsonld", format="json-ld")
    per_graph: dict[str, int] = defaultdict(int)
    for _s, _p, _o, g in ds.quads((None, None, None, None)):
        per_graph[str(g)] += 1
    expected: dict[str, int] = defaultdict(int)
    for q in store_quads:
        expected[q.graph_name.value] += 1
    assert dict(per_graph) == dict(expected)


def test_dumps_are_sorted_and_gzipped_without_name_or_time(release: Release) -> None:
    assert release.out_dir is not None
    for name in ("euprojects.nt.gz", "euprojects.nq.gz"):
        raw = (release.out_dir / name).read_bytes()
        assert raw[:3] == b"\x1f\x8b\x08" and raw[3] == 0, "gzip flags: no file name, no comment"
        assert raw[4:8] == b"\0\0\0\0", "gzip mtime 0"
        lines = gzip.decompress(raw).splitlines()
        assert lines == sorted(lines) and len(lines) == len(set(lines))


def test_no_personal_contact_detail_is_published(release: Release) -> None:
    assert release.out_dir is not None
    personal = personal_contacts(Settings())
    assert personal["email"], "the seed records have a personal contact; this test needs one"
    for name in ("euprojects.nq.gz", "euprojects.nt.gz"):
        text = gzip.decompress((release.out_dir / name).read_bytes()).decode("utf-8").lower()
        for email in personal["email"]:
            assert email not in text
    assert release.personal_data is False


def test_a_store_built_with_personal_data_is_refused_unless_allowed(tmp_path: Path) -> None:
    var = tmp_path / "var"
    build(Settings(var_dir=var, include_personal_data=True))  # what `kg build --include-personal-data` does
    with pytest.raises(PersonalDataError, match="include-personal-data"):
        _publish(var, tmp_path / "refused")
    assert not (tmp_path / "refused" / "release.json").exists()
    allowed = _publish(var, tmp_path / "allowed", include_personal_data=True)
    assert allowed.personal_data is True
    assert allowed.out_dir is not None
    text = gzip.decompress((allowed.out_dir / "euprojects.nq.gz").read_bytes()).decode("utf-8").lower()
    assert any(email in text for email in personal_contacts(Settings())["email"])


# --------------------------------------------------------------------------- reproducibility


def test_independent_builds_publish_byte_identical_files(
    release: Release, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A second `kg build` parses the vocabularies again (fresh blank-node ids); its release
    must be the same bytes, file by file."""
    var = tmp_path_factory.mktemp("var-again")
    build(Settings(var_dir=var))
    again = _publish(var, tmp_path_factory.mktemp("dist-again"))
    assert again.out_dir is not None and release.out_dir is not None
    first = {f.name: f.sha256 for f in release.files}
    second = {f.name: f.sha256 for f in again.files}
    assert first == second
    for name, digest in first.items():
        assert hashlib.sha256((again.out_dir / name).read_bytes()).hexdigest() == digest, name


def test_republishing_leaves_unchanged_files_alone(seed_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    first = _publish(seed_build, out)
    mtimes = {f.name: (out / f.name).stat().st_mtime_ns for f in first.files}
    second = _publish(seed_build, out)
    assert [(f.name, f.sha256) for f in first.files] == [(f.name, f.sha256) for f in second.files]
    assert {f.name: (out / f.name).stat().st_mtime_ns for f in second.files} == mtimes


def test_canonical_labels_do_not_depend_on_the_parse() -> None:
    data = """
    <http://e.org/a> <http://e.org/p> _:x , _:y .
    _:x <http://e.org/q> "same" .
    _:y <http://e.org/q> "same" .
    <http://e.org/b> <http://e.org/list> _:l1 .
    _:l1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "1" ; <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:l2 .
    _:l2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "2" ; <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> <http://www.w3.org/1999/02/22-rdf-syntax-ns#nil> .
    """
    other = data.replace("_:x", "_:m").replace("_:y", "_:n").replace("_:l1", "_:z9").replace("_:l2", "_:k")
    def canonical(text: str) -> list[ox.Quad]:
        parsed = ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)
        return sort_quads(canonical_quads(ox.Quad(t.subject, t.predicate, t.object) for t in parsed))

    one, two = canonical(data), canonical(other)
    assert one == two
    assert len(one) == 9, "two identical blank nodes stay two"


# --------------------------------------------------------------------------- manifest


def test_manifest_and_checksums_list_every_file(release: Release) -> None:
    assert release.out_dir is not None
    again = read_release(release.out_dir)
    assert again is not None
    assert {f.name for f in again.files} == {f.name for f in release.files}
    names = {f.name for f in release.files}
    assert {
        "euprojects.nt.gz", "euprojects.nq.gz", "euprojects.ttl", "euprojects.jsonld",
        "catalog.ttl", "catalog.jsonld", "catalog.rdf", "void.ttl", "ontology.html",
        "release.json", "SHA256SUMS",
    } <= names
    sums = (release.out_dir / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(names) - 1
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((release.out_dir / name).read_bytes()).hexdigest() == digest
    for f in release.files:
        body = (release.out_dir / f.name).read_bytes()
        assert (f.size, f.sha256) == (len(body), hashlib.sha256(body).hexdigest()), f.name
        assert f.media_type


# --------------------------------------------------------------------------- DCAT-AP


def test_catalog_has_no_dcat_ap_301_violation(release: Release, shared: Path) -> None:
    assert release.out_dir is not None
    report = validate_catalog(
        release.out_dir / "catalog.ttl", [shared / "dcat-ap/3.0.1/dcat-ap-SHACL.ttl"], settings=Settings()
    )
    assert not report.violations, "DCAT-AP 3.0.1 violations:\n" + report.text()


def test_catalog_formats_say_the_same(release: Release) -> None:
    assert release.out_dir is not None
    graphs = [
        rdflib.Graph().parse(release.out_dir / name, format=fmt)
        for name, fmt in (("catalog.ttl", "turtle"), ("catalog.jsonld", "json-ld"), ("catalog.rdf", "xml"))
    ]
    assert graphs[0].isomorphic(graphs[1]) and graphs[0].isomorphic(graphs[2])


def test_catalog_describes_every_dump_as_published(release: Release) -> None:
    assert release.out_dir is not None
    g = rdflib.Graph().parse(release.out_dir / "catalog.ttl", format="turtle")
    dataset = next(g.subjects(RDF.type, DCAT.Dataset))
    dists = set(g.objects(dataset, DCAT.distribution))
    dumps = release.by_role("dump")
    assert len(dists) == len(dumps) == 4
    by_url = {str(g.value(d, DCAT.downloadURL)): d for d in dists}
    for f in dumps:
        d = by_url[f"{BASE_URL}/dumps/{f.name}"]
        size = g.value(d, DCAT.byteSize)
        assert size.datatype == XSD.nonNegativeInteger and int(size) == f.size
        checksum = g.value(d, SPDX.checksum)
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(g.value(checksum, SPDX.checksumValue)) == f.sha256
        assert str(g.value(d, DCAT.mediaType)) == f"http://www.iana.org/assignments/media-types/{f.media_type}"
        assert str(g.value(d, rdflib.URIRef("http://purl.org/dc/terms/format"))).startswith(
            "http://publications.europa.eu/resource/authority/file-type/"
        )
    service = next(g.subjects(RDF.type, DCAT.DataService))
    assert str(g.value(service, DCAT.endpointURL)) == f"{BASE_URL}/sparql"
    assert g.value(service, DCAT.servesDataset) == dataset


# --------------------------------------------------------------------------- VoID


def test_void_counts_equal_the_store(release: Release, store_quads: list[ox.Quad]) -> None:
    assert release.out_dir is not None
    g = rdflib.Graph().parse(release.out_dir / "void.ttl", format="turtle")
    ds = next(s for s in g.subjects(RDF.type, VOID.Dataset) if (s, VOID.triples, None) in g and str(s).endswith("/dataset"))

    def n(s: rdflib.term.Node, p: rdflib.URIRef) -> int:
        return int(g.value(s, p))

    triples = {(q.subject, q.predicate, q.object) for q in store_quads}
    rdf_type = ox.NamedNode(str(RDF.type))
    instances: dict[str, set[object]] = defaultdict(set)
    per_property: dict[str, int] = defaultdict(int)
    for s, p, o in triples:
        per_property[p.value] += 1
        if p == rdf_type and isinstance(o, ox.NamedNode):
            instances[o.value].add(s)
    space = str(g.value(ds, VOID.uriSpace))
    assert n(ds, VOID.triples) == len(triples)
    assert n(ds, VOID.distinctSubjects) == len({s for s, _, _ in triples})
    assert n(ds, VOID.distinctObjects) == len({o for _, _, o in triples})
    assert n(ds, VOID.properties) == len(per_property)
    assert n(ds, VOID.classes) == len({o for _, p, o in triples if p == rdf_type})
    assert n(ds, VOID.entities) == len(
        {s for s, _, _ in triples if isinstance(s, ox.NamedNode) and s.value.startswith(space)}
    )
    classes = {str(g.value(part, VOID["class"])): n(part, VOID.entities) for part in g.objects(ds, VOID.classPartition)}
    assert classes == {c: len(members) for c, members in instances.items()}
    props = {str(g.value(part, VOID.property)): n(part, VOID.triples) for part in g.objects(ds, VOID.propertyPartition)}
    assert props == dict(per_property)
    links = {str(g.value(ls, VOID.linkPredicate)): n(ls, VOID.triples) for ls in g.objects(ds, VOID.subset)}
    kg = "https://w3id.org/euprojects/def#"
    assert links == {k: per_property[k] for k in (kg + "sdg", kg + "country")}
    assert links[kg + "country"] > 0 and links[kg + "sdg"] > 0
    dumps = {str(o) for o in g.objects(ds, VOID.dataDump)}
    assert dumps == {f"{BASE_URL}/dumps/{f.name}" for f in release.by_role("dump")}
    assert str(g.value(ds, VOID.sparqlEndpoint)) == f"{BASE_URL}/sparql"


# --------------------------------------------------------------------------- ontology


def test_ontology_documentation_is_written(release: Release) -> None:
    assert release.out_dir is not None
    html = (release.out_dir / "ontology.html").read_text(encoding="utf-8")
    assert "<title>EU projects knowledge graph ontology</title>" in html
    assert 'id="Project"' in html or "#Project" in html


def test_release_date_comes_from_source_date_epoch_or_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from kg.release.manifest import issued_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert issued_date(None, ["2020-05-01", "2026-11-22", "2019"]) == "2026-11-22"
    assert issued_date(date(2027, 1, 2), ["2026-11-22"]) == "2027-01-02"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert issued_date(None, ["2026-11-22"]) == "2023-11-14"


def test_sdg_suggestions_are_published_in_their_own_graph_never_as_stated(release: Release) -> None:
    """Issue 16: the N-Quads dump keeps the Aurora suggestions in graph/inferred/sdg-suggestions, as
    kg:SdgSuggestion nodes; no quad of that graph is a kg:sdg, and no kg:sdg elsewhere comes from it."""
    assert release.out_dir is not None
    quads = list(ox.parse(gzip.decompress((release.out_dir / "euprojects.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS))
    graph = "https://w3id.org/euprojects/graph/inferred/sdg-suggestions"
    kg_ = "https://w3id.org/euprojects/def#"
    inferred = [q for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == graph]
    suggestions = {q.subject for q in inferred if q.predicate.value == RDF_TYPE and q.object == ox.NamedNode(kg_ + "SdgSuggestion")}
    assert suggestions, "the seed projects' texts match some Aurora queries"
    assert not [q for q in inferred if q.predicate.value == kg_ + "sdg"]
    suggested = {(q.subject, q.object) for q in inferred if q.predicate.value == kg_ + "suggestedGoal"}
    assert len(suggested) == len(suggestions)
    stated_in = {q.graph_name for q in quads if q.predicate.value == kg_ + "sdg"}
    assert stated_in and ox.NamedNode(graph) not in stated_in
