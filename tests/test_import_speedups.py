"""The import pipeline's fast paths give the same results as the plain ones, and the union of two imports
states at most one English preferred label per programme-scheme concept (a concept known only by its
code in one import is ``"CODE"@zxx`` there, its title ``@en`` in the other)."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.imports.artefacts import Artefact, read_manifest
from kg.imports.context import ImportFailed
from kg.imports.erasmus import _first, _Layout
from kg.imports.pipeline import run_import
from kg.imports.tables import CellError, Row, TableFile, check_text, check_values
from kg.mapping import LineSink, QuadSink, _quoted
from kg.settings import Settings
from kg.store import releases
from test_import_helpers import BASE, HEAD, ID, fresh_var, read_csv, select, write_official_csv

SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"


# --------------------------------------------------------------------------- the prefLabel fix
def test_code_only_concept_is_zxx_and_the_union_has_one_english_label(seed_build: Path, tmp_path: Path) -> None:
    var = fresh_var(seed_build, tmp_path)
    # 1: the project table alone: topics and most legal-basis parts are known by their code only
    run_import(Settings(var_dir=var), "cordis", [HEAD / "project_df_100.csv"], name="codes")
    # 2: with the topics and legalBasis tables, which give their titles
    run_import(
        Settings(var_dir=var),
        "cordis",
        [HEAD / "project_df_100.csv", HEAD / "topics_df_100.csv", HEAD / "legalBasis_df_100.csv"],
        name="titles",
    )
    rows = select(
        var,
        f"""SELECT ?c ?l (LANG(?l) AS ?lang) ?g WHERE {{ GRAPH ?g {{ ?c skos:prefLabel ?l ; skos:inScheme <{ID}scheme/programmes> }}
            FILTER(STRSTARTS(STR(?g), "{BASE}graph/import/cordis/")) }}""",
    )
    assert rows
    # the union of the graphs: distinct labels per concept and language
    english = Counter(c for c, _ in {(r["c"], r["l"]) for r in rows if r["lang"] == "en"})
    assert max(english.values()) == 1, [c for c, n in english.items() if n > 1][:5]
    per_lang = Counter((c, lang) for c, _, lang in {(r["c"], r["l"], r["lang"]) for r in rows})
    assert max(per_lang.values()) == 1
    codes = [r for r in rows if r["lang"] == "zxx"]
    assert codes, "the first import has concepts known only by their code"
    # a concept stated by its code in the first import has its title, in English, in the second
    titled = {r["c"]: r["l"] for r in rows if r["lang"] == "en" and r["g"].endswith("/titles")}
    both = [r for r in codes if r["c"] in titled]
    assert both
    for r in both:
        assert titled[r["c"]] != r["l"]
    notation = select(var, f"SELECT ?n WHERE {{ <{both[0]['c']}> skos:notation ?n }}")
    assert {n["n"] for n in notation} == {both[0]["l"]}


def test_a_later_code_only_import_takes_the_known_title(seed_build: Path, tmp_path: Path) -> None:
    var = fresh_var(seed_build, tmp_path)
    run_import(
        Settings(var_dir=var),
        "cordis",
        [HEAD / "project_df_100.csv", HEAD / "topics_df_100.csv", HEAD / "legalBasis_df_100.csv"],
        name="titles",
    )
    run_import(Settings(var_dir=var), "cordis", [HEAD / "project_df_100.csv"], name="codes")
    rows = select(
        var,
        f"""SELECT ?c ?l (LANG(?l) AS ?lang) ?g WHERE {{ GRAPH ?g {{ ?c skos:prefLabel ?l ; skos:inScheme <{ID}scheme/programmes> }}
            FILTER(STRSTARTS(STR(?g), "{BASE}graph/import/cordis/")) }}""",
    )
    titled = {r["c"]: r["l"] for r in rows if r["lang"] == "en" and r["g"].endswith("/titles")}
    later: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        if r["g"].endswith("/codes"):
            later.setdefault(r["c"], set()).add((r["l"], r["lang"]))
    shared = [c for c in later if c in titled]
    assert shared
    # a concept the first import gave a title to has that title (and only it) in the second
    for c in shared:
        assert later[c] == {(titled[c], "en")}


# --------------------------------------------------------------------------- N-Quads text = Quads
def test_line_sink_writes_what_the_quad_serialiser_writes() -> None:
    nasty = "".join(chr(i) for i in range(0x80)) + "é\u2028\U0001f600 \"quoted\" back\\slash\nline\r\ttab"
    for value in ["", "plain", "a \"b\" c", "x\ny", "tab\there", nasty, "\x7f", "\x08\x0c"]:
        assert _quoted(value) == str(ox.Literal(value))
    g = "https://example.org/graph"
    sinks = [QuadSink(g), LineSink(g)]
    for o in sinks:
        o.typed("https://example.org/s", "https://example.org/C", "https://example.org/D")
        o.uri("https://example.org/s", "https://example.org/p", "https://example.org/o")
        o.plain("https://example.org/s", "https://example.org/p", "")
        o.string("https://example.org/s", "https://example.org/p", nasty)
        o.lang("https://example.org/s", "https://example.org/p", "Titre", "FR-be")
        o.text("https://example.org/s", "https://example.org/p", {"en": "a", "zxx": "KA1"})
        o.integer("https://example.org/s", "https://example.org/p", 42)
        o.boolean("https://example.org/s", "https://example.org/p", False)
        o.typed_literal("https://example.org/s", "https://example.org/p", "1.50", "decimal")
        o.add("https://example.org/s", "https://example.org/p", ox.Literal("x", language="it"))
    quads, lines = sinks[0].result(), sinks[1].result()
    assert "".join(lines).encode("utf-8") == ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


def test_line_sink_refuses_what_a_quad_refuses() -> None:
    with pytest.raises(ValueError):
        LineSink("https://example.org/g").uri("https://example.org/s", "https://example.org/p", "not an iri")
    with pytest.raises(ValueError):
        LineSink("https://example.org/g").lang("https://example.org/s", "https://example.org/p", "x", "not a tag")


# --------------------------------------------------------------------------- the artefact writer / loader
def test_artefact_loads_in_chunks_while_writing(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "store"))
    writer = Artefact(tmp_path / "a.nq.gz", store, chunk_bytes=1000)
    expected = []
    for i in range(500):
        line = f"<https://example.org/s{i}> <https://example.org/p> \"{i}\" <https://example.org/g> .\n"
        expected.append(line)
        writer.write([line])
    writer.close()
    assert writer.quads == 500
    assert len(store) == 500
    with gzip.open(tmp_path / "a.nq.gz", "rb") as f:
        assert f.read().decode() == "".join(expected)
    import hashlib

    assert writer.sha256 == hashlib.sha256((tmp_path / "a.nq.gz").read_bytes()).hexdigest()


def test_artefact_loader_error_reaches_the_writer(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "store"))
    writer = Artefact(tmp_path / "a.nq.gz", store, chunk_bytes=10)
    with pytest.raises(SyntaxError):
        for _ in range(200):
            writer.write(["this is not n-quads\n"])
        writer.close()
    writer.abort()  # harmless after a failure


def test_failed_import_leaves_no_build_and_the_store_unchanged(seed_build: Path, tmp_path: Path) -> None:
    var = fresh_var(seed_build, tmp_path)
    before = releases.current(var)
    builds = set(releases.builds(var))
    header, rows = read_csv(HEAD / "project_df_100.csv")
    broken = list(rows[3])
    broken[header.index("id")] = "not-a-number"
    bad = write_official_csv(tmp_path / "project.csv", header, rows[:3] + [broken])
    with pytest.raises(ImportFailed):
        run_import(Settings(var_dir=var), "cordis", [bad], name="strict", strict=True)
    assert releases.current(var) == before
    assert set(releases.builds(var)) == builds
    assert not list((var / "imports" / ".work").glob("*"))
    assert read_manifest(before)["imports"] == []


def _quads(var: Path) -> set[str]:
    store = ox.Store.read_only(str(releases.current(var)))
    try:
        return {str(q) for q in store}
    finally:
        del store


def _two_imports(var: Path, tmp_path: Path, n: int) -> tuple[Path, Path, Path]:
    """Two CORDIS imports into ``var``, "first" (projects 0..n-1) and "second" (n..2n-1), sharing the
    organisation table; returns (first's project table, second's, the organisation table)."""
    header, rows = read_csv(HEAD / "project_df_100.csv")
    oheader, orows = read_csv(HEAD / "organization_df_100.csv")
    orgs = write_official_csv(tmp_path / "organization.csv", oheader, orows)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_official_csv(tmp_path / "a" / "project.csv", header, rows[:n])
    second = write_official_csv(tmp_path / "b" / "project.csv", header, rows[n : 2 * n])
    run_import(Settings(var_dir=var), "cordis", [first, orgs], name="first")
    run_import(Settings(var_dir=var), "cordis", [second, orgs], name="second")
    return first, second, orgs


@pytest.mark.parametrize("ratio", [0.0, 1e12], ids=["rebuild", "checkpoint"])
def test_reimport_by_rebuild_or_by_checkpoint_gives_the_same_store(
    seed_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ratio: float
) -> None:
    """Re-importing drops the old graph either by building the store afresh (curated graphs copied,
    the other imports loaded from their artefacts) or from a checkpoint with remove_graph: same store."""
    import shutil

    import kg.imports.pipeline

    base = fresh_var(seed_build, tmp_path / "base")
    first, _, orgs = _two_imports(base, tmp_path, 40)
    expected = _quads(base)

    var = tmp_path / "var"
    shutil.copytree(base, var, symlinks=True)
    monkeypatch.setattr(kg.imports.pipeline, "REBUILD_RATIO", ratio)
    removed: list[str] = []
    real_remove = ox.Store.remove_graph

    def spy(self, graph):  # type: ignore[no-untyped-def]
        removed.append(graph.value)
        return real_remove(self, graph)

    monkeypatch.setattr(ox.Store, "remove_graph", spy, raising=False)
    result = run_import(Settings(var_dir=var), "cordis", [first, orgs], name="first")
    assert result.projects == 40
    assert _quads(var) == expected
    graph = f"{BASE}graph/import/cordis/first"
    # the checkpoint drops the import's graph and whichever of its inferred graphs it has (linking
    # decisions, SDG suggestions); a fresh rebuild drops nothing
    inferred = {graph.replace("/graph/import/", f"/graph/inferred/{kind}/") for kind in ("organisation-matches", "sdg-suggestions")}
    if ratio == 0.0:
        assert removed == []
    else:
        assert removed[0] == graph and set(removed[1:]) <= inferred
    assert [e["name"] for e in read_manifest(releases.current(var))["imports"]] == ["first", "second"]


def test_rebuild_refuses_an_altered_artefact_of_another_import(seed_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.imports.pipeline

    var = fresh_var(seed_build, tmp_path)
    first, _, orgs = _two_imports(var, tmp_path, 10)
    before = releases.current(var)
    entry = next(e for e in read_manifest(before)["imports"] if e["name"] == "second")
    artefact = var / entry["artefact"]
    artefact.write_bytes(artefact.read_bytes() + b"\n")
    monkeypatch.setattr(kg.imports.pipeline, "REBUILD_RATIO", 0.0)
    with pytest.raises(ImportFailed, match="missing or altered"):
        run_import(Settings(var_dir=var), "cordis", [first, orgs], name="first")
    assert releases.current(var) == before


# --------------------------------------------------------------------------- row-level fast paths
def test_check_values_raises_as_check_text_would() -> None:
    ok = {"a": "plain", "b": "", "c": "Ελληνικά"}
    check_values(ok)
    for values in (
        {"a": "fine", "b": "bad \ufffd here", "c": "Ã© too"},
        {"a": "fine", "b": "Ã© first", "c": "bad \ufffd"},
        {"a": "x\u00c3", "b": "\u00a9 split across cells is no mojibake"},
    ):
        expected = None
        for column, value in values.items():
            try:
                check_text(column, value)
            except CellError as exc:
                expected = (exc.column, exc.reason)
                break
        got = None
        try:
            check_values(values)
        except CellError as exc:
            got = (exc.column, exc.reason)
        assert got == expected


def test_erasmus_layout_picks_as_first_does() -> None:
    header = ["Project Identifier", "Coordinator's name", "Coordinating organisation name", "Coordinator's country"]
    for n in range(1, 5):
        header += [f"Partner {n} name", f"Partner {n} organisation type", f"Partner {n} country"]
    layout = _Layout(header)
    values = dict.fromkeys(header, "")
    values.update({"Coordinator's name": " Coord ", "Partner 3 country": "BE", "Partner 1 name": " P1 "})
    row = Row(2, values)
    picks = {f: pick(values) for f, pick in layout.coordinator.items()}
    assert picks["name"] == _first(row, "Coordinating organisation name", "Coordinator's name", "Coordinator name")
    assert picks["region"] == ("Coordinator's region", "")
    assert [s["name"].present for s in layout.partner_slots(values)] == [["Partner 1 name"], ["Partner 3 name"]]
    assert layout.partner_slots(dict.fromkeys(header, "")) == []


def test_csv_rows_with_bad_bytes_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a;b;c\r\n1;caf\xe9;3\r\n4;5\r\n6;7;8;9\r\n")
    rows = list(TableFile(path).rows())
    assert rows[0].bad_encoding and rows[0].bad_encoding[0].startswith("b:")
    assert rows[0].values["b"] == "caf\ufffd"
    assert rows[1].values == {"a": "4", "b": "5", "c": ""} and rows[1].missing == 1
    assert rows[2].extra == ["9"] and rows[2].shifted
