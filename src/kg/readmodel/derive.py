"""Derive ``kg-read.sqlite`` from a store: a few whole-store SPARQL SELECTs, streamed into SQLite in
bulk (no per-entity query), so the time grows with the store, not with round trips.

The file is written aside (``kg-read.sqlite.tmp``) with the journal off, then renamed into the
release directory; it is never written again (readers open it ``mode=ro&immutable=1``).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import DCT, FOAF, KG, RDFS, SCHEMA, SDG, SKOS, VCARD, XSD, sparql_prefixes
from kg.readmodel.schema import DDL, VERSION
from kg.store.base import Store
from kg.store.oxigraph import OxigraphStore

__all__ = ["FILE", "DeriveResult", "derive", "derive_release"]

FILE = "kg-read.sqlite"
PREFIXES = sparql_prefixes()
SDG_NS = str(SDG)
XSD_NS = str(XSD)
SUGGESTIONS_GRAPH_TAIL = "graph/inferred/sdg-suggestions"  # the curated projects' graph and, below it, each import's (…/<source>/<name>)
# the label predicates in the order the read side prefers them (kg.read.common.LABEL_PREDICATES)
LABEL_PREDICATES = [str(RDFS.label), str(SKOS.prefLabel), str(DCT.title), str(FOAF.name), str(SCHEMA.name), str(VCARD.fn)]
SCHEME_LEVELS = {
    str(KG.FundingProgramme): "programme",
    str(KG.KeyAction): "key-action",
    str(KG.ActionType): "action-type",
    str(KG.Call): "call",
}
_EUVOC = "http://publications.europa.eu/ontology/euvoc#"
_PROJECT_FIELDS = {
    str(DCT.identifier): "key",
    str(KG.acronym): "acronym",
    str(DCT.title): "title",
    str(KG.fullName): "fullName",
    str(DCT.description): "description",
    str(KG.objective): "objective",
    str(KG.startDate): "start",
    str(KG.endDate): "end",
    str(KG.fundedUnder): "programme",
    str(KG.country): "country",
    str(KG.sdg): "sdg",
    str(KG.status): "status",
}
_TEXT_FIELDS = ("title", "fullName", "description", "objective")


@dataclass(frozen=True)
class DeriveResult:
    path: Path
    projects: int
    organisations: int
    seconds: float


def _select(store: Store, sparql: str) -> Iterator[tuple[Any, ...]]:
    """Rows of a SELECT as tuples of terms (None when unbound), streamed."""
    result = store.query(PREFIXES + sparql)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("expected SELECT results")
    names = [v.value for v in result.variables]
    for row in result:
        yield tuple(row[n] for n in names)


def _year(value: str) -> int | None:
    head = value.lstrip("-")[:4]
    return int(head) if len(head) == 4 and head.isdigit() else None


def _rank(tag: str) -> int:
    """The order the read side picks literals in when no language is asked: English, none, any."""
    return 0 if tag.split("-")[0].lower() == "en" else (1 if not tag else 2)


def derive(store: Store, path: str | Path, *, build_id: str = "") -> DeriveResult:
    """Write the read model of ``store`` to ``path`` (replaced atomically)."""
    started = time.perf_counter()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA page_size = 8192")
        db.execute("BEGIN")
        for statement in _statements(DDL):
            db.execute(statement)
        projects, orgs = _fill(store, db)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("version", str(VERSION)), ("build", build_id), ("derived_at", datetime.now(UTC).isoformat(timespec="seconds"))],
        )
        db.execute("COMMIT")
        db.execute("INSERT INTO project_fts(project_fts) VALUES ('optimize')")
        db.execute("INSERT INTO suggest_fts(suggest_fts) VALUES ('optimize')")
        db.execute("ANALYZE")
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(tmp, path)
    return DeriveResult(path=path, projects=projects, organisations=orgs, seconds=time.perf_counter() - started)


def _statements(ddl: str) -> list[str]:
    out, current = [], []
    for line in ddl.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        current.append(line)
        if sqlite3.complete_statement("\n".join(current)):
            out.append("\n".join(current))
            current = []
    return out


def derive_release(build_dir: str | Path) -> DeriveResult:
    """Derive the read model of the release in ``build_dir`` (its store closed) into
    ``build_dir/kg-read.sqlite``: call it just before :func:`kg.store.releases.promote`."""
    build = Path(build_dir)
    with OxigraphStore(build, read_only=True) as store:
        return derive(store, build / FILE, build_id=build.name)


# --------------------------------------------------------------------------- filling the tables


def _fill(store: Store, db: sqlite3.Connection) -> tuple[int, int]:
    # ---- projects: every summary field, one streamed query
    # one scan per predicate (Oxigraph answers a constant predicate from its POS index; a predicate
    # filter over ?s ?p ?o would read every triple), shared by projects, organisations and places
    scans = _Scans(store)
    pids: dict[str, int] = {}
    for (p,) in _select(store, "SELECT DISTINCT ?p WHERE { ?p a kg:Project }"):
        pids[p.value] = len(pids) + 1
    fields: dict[int, dict[str, list[Any]]] = {pid: defaultdict(list) for pid in pids.values()}
    for pred, name in _PROJECT_FIELDS.items():
        for subject, values in scans.get(pred).items():
            pid = pids.get(subject)
            if pid is not None:
                fields[pid][name] = values

    goal_of: dict[str, str] = {t.value: g.value for t, g in _select(store, "SELECT ?t ?g WHERE { ?t sdgo:isTargetOf ?g }")}

    project_rows: list[tuple[Any, ...]] = []
    text_rows: list[tuple[int, str, str, str]] = []
    country_rows: list[tuple[int, str]] = []
    sdg_rows: list[tuple[int, str, str, int, float | None]] = []
    for uri, pid in pids.items():
        f = fields[pid]
        start = _first_literal(f.get("start"))
        end = _first_literal(f.get("end"))
        titles = [t for t in f.get("title", []) if isinstance(t, ox.Literal)]
        default_title = min(((_rank(t.language or ""), t.value) for t in titles), default=(9, ""))[1]
        key = _py(f["key"][0]) if f.get("key") else None
        acronym = _py(f["acronym"][0]) if f.get("acronym") else None
        title_key = (default_title or acronym or key or _tail(uri)).lower()
        project_rows.append(
            (
                pid, uri, key, acronym,
                _py(f["status"][0]) if f.get("status") else None,
                start.value if start else None, start.datatype.value if start else None, _year(start.value) if start else None,
                end.value if end else None, end.datatype.value if end else None, _year(end.value) if end else None,
                f["programme"][0].value if f.get("programme") else None,
                title_key,
            )
        )
        for field in _TEXT_FIELDS:
            for t in f.get(field, []):
                if isinstance(t, ox.Literal):
                    text_rows.append((pid, field, t.language or "", t.value))
        for c in f.get("country", []):
            country_rows.append((pid, c.value))
        for s in f.get("sdg", []):
            sdg_rows.append((pid, s.value, goal_of.get(s.value, s.value), 0, None))
    db.executemany("INSERT INTO project VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", project_rows)
    db.executemany("INSERT INTO project_text VALUES (?,?,?,?)", text_rows)
    db.executemany("INSERT OR IGNORE INTO project_country VALUES (?,?)", country_rows)

    # suggested SDGs (issue 16), marked apart; the best score per (project, goal or target)
    best: dict[tuple[int, str], float] = {}
    for proj, goal, target, score in _select(
        store,
        f"""SELECT ?proj ?goal ?target ?score WHERE {{ GRAPH ?g {{
  ?s a kg:SdgSuggestion ; kg:suggestionFor ?proj ; kg:suggestedGoal ?goal .
  OPTIONAL {{ ?s kg:suggestedTarget ?target }} OPTIONAL {{ ?s kg:score ?score }} }}
  FILTER(CONTAINS(STR(?g), "{SUGGESTIONS_GRAPH_TAIL}")) }}""",
    ):
        pid = pids.get(proj.value)
        if pid is None:
            continue
        value = float(score.value) if score is not None else 0.0
        for s in (goal.value, target.value if target is not None else None):
            if s and value >= best.get((pid, s), -1.0):
                best[(pid, s)] = value
    sdg_rows += [(pid, s, goal_of.get(s, s), 1, v) for (pid, s), v in best.items()]
    db.executemany("INSERT OR IGNORE INTO project_sdg VALUES (?,?,?,?,?)", sdg_rows)

    # ---- funding schemes: levels, broader, notation, funders; the closure of every project's path
    schemes: dict[str, dict[str, Any]] = {}
    funders_of: set[tuple[str, str]] = set()
    for c, level, b, n, f in _select(
        store,
        """SELECT ?c ?level ?b ?n ?f WHERE { VALUES ?level { kg:FundingProgramme kg:KeyAction kg:ActionType kg:Call } ?c a ?level .
  OPTIONAL { ?c skos:broader ?b } OPTIONAL { ?c skos:notation ?n } OPTIONAL { ?c kg:managedBy ?f } }""",
    ):
        info = schemes.setdefault(c.value, {"level": SCHEME_LEVELS[level.value], "broader": None, "notation": None})
        if b is not None:
            info["broader"] = b.value
        if n is not None:
            info["notation"] = n.value
        if f is not None:
            funders_of.add((c.value, f.value))
    broader: dict[str, set[str]] = defaultdict(set)
    for c, b in _select(store, "SELECT DISTINCT ?c ?b WHERE { ?x kg:fundedUnder ?c . ?c skos:broader+ ?b }"):
        broader[c.value].add(b.value)
    scheme_rows: set[tuple[int, str, int]] = set()
    for pid in pids.values():
        for o in fields[pid].get("programme", []):
            scheme_rows.add((pid, o.value, 1))
    for pid, c, _d in list(scheme_rows):
        for b in broader.get(c, ()):
            scheme_rows.add((pid, b, 0))
    ordered = sorted(scheme_rows, key=lambda r: r[2])  # a direct link wins over the same concept as a broader one
    db.executemany("INSERT OR REPLACE INTO project_scheme VALUES (?,?,?)", ordered)

    # ---- organisations
    oids: dict[str, int] = {}
    for (o,) in _select(store, "SELECT DISTINCT ?o WHERE { ?o a kg:Organisation }"):
        oids[o.value] = len(oids) + 1
    funders = {f.value for (f,) in _select(store, "SELECT DISTINCT ?o WHERE { ?o a kg:Funder }")}
    ofields: dict[int, dict[str, list[Any]]] = {oid: defaultdict(list) for oid in oids.values()}
    for pred, name in (
        (str(DCT.identifier), "key"), (str(KG.shortName), "shortName"), (str(KG.legalName), "legalName"),
        (str(KG.country), "country"), (str(KG.organisationType), "organisationType"), (str(RDFS.label), "label"),
    ):
        for subject, values in scans.get(pred).items():
            oid = oids.get(subject)
            if oid is not None:
                ofields[oid][name] = values
    org_rows = set()
    part_org = {x: v[0].value for x, v in scans.get(str(KG.organisation)).items()}
    part_role = {x: v[0].value for x, v in scans.get(str(KG.role)).items()}
    for subject, parts in scans.get(str(KG.hasParticipation)).items():
        pid = pids.get(subject)
        if pid is None:
            continue
        for x in parts:
            org = part_org.get(x.value)
            if org is not None and org in oids:
                org_rows.add((pid, oids[org], part_role.get(x.value, "")))
    for subject, funded_by in scans.get(str(KG.fundedBy)).items():
        pid = pids.get(subject)
        if pid is not None:
            for f in funded_by:
                if f.value in oids:
                    org_rows.add((pid, oids[f.value], "funder"))
    db.executemany("INSERT INTO project_org VALUES (?,?,?)", org_rows)
    project_counts: dict[int, set[int]] = defaultdict(set)
    for pid, oid, _role in org_rows:
        project_counts[oid].add(pid)
    orows = []
    for uri, oid in oids.items():
        f = ofields[oid]
        labels = [x for x in f.get("label", []) if isinstance(x, ox.Literal)]
        name_key = (labels[0].value if labels else uri).lower()
        if labels:  # the SPARQL sort takes MIN over the labels when no language matches
            name_key = min(x.value.lower() for x in labels)
        orows.append(
            (
                oid, uri,
                _first_value(f.get("key")), _first_value(f.get("shortName")), _first_value(f.get("legalName")),
                _first_value(f.get("organisationType")),
                f["country"][0].value if f.get("country") else None,
                int(uri in funders),
                name_key,
                len(project_counts.get(oid, ())),
            )
        )
    db.executemany("INSERT INTO organisation VALUES (?,?,?,?,?,?,?,?,?,?)", orows)
    country_of = {x: [c.value for c in v] for x, v in scans.get(str(KG.country)).items()}
    city_of = {x: [c.value for c in v] for x, v in scans.get(str(KG.city)).items()}
    db.executemany(
        "INSERT OR IGNORE INTO organisation_place VALUES (?,?)",
        (
            (oid, c)
            for uri, oid in oids.items()
            for c in [*country_of.get(uri, []), *(k for city in city_of.get(uri, []) for k in country_of.get(city, []))]
        ),
    )
    # the country filter of projects: the project's own, its cities' and its participants' countries
    org_uri = {oid: uri for uri, oid in oids.items()}
    places: set[tuple[int, str]] = set()
    for uri, pid in pids.items():
        for c in country_of.get(uri, []):
            places.add((pid, c))
        for city in city_of.get(uri, []):
            for c in country_of.get(city, []):
                places.add((pid, c))
    for pid, oid, role in org_rows:
        if role != "funder":
            for c in country_of.get(org_uri[oid], []):
                places.add((pid, c))
    db.executemany("INSERT INTO project_place VALUES (?,?)", places)

    # ---- labels of everything but projects (countries, SDGs, schemes, organisations, cities, funders)
    for rank, pred in enumerate(LABEL_PREDICATES):
        db.executemany(
            "INSERT INTO label VALUES (?,?,?,?)",
            (
                (subject, lit.language or "", rank, lit.value)
                for subject, values in scans.get(pred).items()
                if subject not in pids
                for lit in values
                if isinstance(lit, ox.Literal)
            ),
        )
    db.executemany(
        "INSERT INTO alt_label VALUES (?,?,?)",
        (
            (s.value, lit.language or "", lit.value)
            for s, lit in _select(store, "SELECT DISTINCT ?s ?l WHERE { ?s skos:altLabel ?l FILTER(isIRI(?s) && isLiteral(?l)) }")
        ),
    )

    # ---- countries (those with projects), SDGs, schemes, years: counts as the statistics give them
    codes: dict[str, dict[str, str]] = defaultdict(dict)
    for c, n in _select(store, "SELECT DISTINCT ?c ?n WHERE { ?c skos:notation ?n FILTER(STRSTARTS(STR(?c), \"http://publications.europa.eu/resource/authority/country/\")) }"):
        dt = n.datatype.value if isinstance(n, ox.Literal) else ""
        if dt == _EUVOC + "ISO_3166_1_ALPHA_2":
            codes[c.value]["iso2"] = n.value
        elif dt == _EUVOC + "ISO_3166_1_ALPHA_3":
            codes[c.value]["iso3"] = n.value
    for c, code in _select(
        store,
        "SELECT DISTINCT ?c ?code WHERE { ?c <http://publications.europa.eu/ontology/authority/authority-code> ?code "
        "FILTER(STRSTARTS(STR(?c), \"http://publications.europa.eu/resource/authority/country/\")) }",
    ):
        codes[c.value].setdefault("iso3", code.value)
    db.execute(
        "CREATE TEMP TABLE country_codes (uri TEXT PRIMARY KEY, iso2 TEXT, iso3 TEXT)",
    )
    db.executemany("INSERT INTO country_codes VALUES (?,?,?)", ((u, v.get("iso2"), v.get("iso3")) for u, v in codes.items()))
    db.execute(
        "INSERT INTO country SELECT pp.country, cc.iso2, cc.iso3, COUNT(DISTINCT pp.pid) FROM project_place pp "
        "LEFT JOIN country_codes cc ON cc.uri = pp.country GROUP BY pp.country"
    )
    goals = {g.value for (g,) in _select(store, "SELECT DISTINCT ?g WHERE { ?g a sdgo:Goal }")}
    sdg_uris = goals | set(goal_of)
    db.execute("CREATE TEMP TABLE sdg_all (uri TEXT PRIMARY KEY, goal TEXT, is_goal INTEGER)")
    db.executemany("INSERT INTO sdg_all VALUES (?,?,?)", ((u, goal_of.get(u), int(u in goals)) for u in sdg_uris))
    db.execute(
        """INSERT INTO sdg SELECT a.uri, substr(a.uri, ?), a.goal, a.is_goal,
  (SELECT COUNT(DISTINCT s.pid) FROM project_sdg s WHERE s.suggested = 0 AND (s.sdg = a.uri OR (a.is_goal AND s.goal = a.uri))),
  (SELECT COUNT(DISTINCT s.pid) FROM project_sdg s WHERE s.suggested = 1 AND (s.sdg = a.uri OR (a.is_goal AND s.goal = a.uri)))
FROM sdg_all a""",
        (len(SDG_NS) + 1,),
    )
    db.executemany(
        """INSERT INTO scheme VALUES (?,?,?,?,
  (SELECT COUNT(DISTINCT pid) FROM project_scheme WHERE concept = ? AND direct = 1),
  (SELECT COUNT(DISTINCT pid) FROM project_scheme WHERE concept = ?))""",
        ((u, i["level"], i["broader"], i["notation"], u, u) for u, i in schemes.items()),
    )
    db.executemany("INSERT INTO scheme_funder VALUES (?,?)", sorted(funders_of))
    db.execute(
        "INSERT INTO start_year SELECT start_year, COUNT(*) FROM project WHERE start_year IS NOT NULL GROUP BY start_year"
    )

    # ---- totals (the statistics' numbers)
    totals: dict[str, int] = {"projects": len(pids)}
    for name, pattern in (
        ("organisations", "?x a kg:Organisation FILTER NOT EXISTS { ?x a kg:Funder }"),
        ("funders", "?x a kg:Funder"),
        ("fundingSchemes", "VALUES ?level { kg:FundingProgramme kg:KeyAction kg:ActionType kg:Call } ?x a ?level ."),
        ("cities", "?x a kg:City"),
        ("sourceDocuments", "?x a kg:SourceDocument"),
        ("activities", "?x a kg:Activity"),
        ("expectedResults", "?x a kg:ExpectedResult"),
        ("outputs", "?x a kg:Output"),
    ):
        totals[name] = next((int(n.value) for (n,) in _select(store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}")), 0)
    totals["countries"] = db.execute("SELECT COUNT(*) FROM country").fetchone()[0]
    totals["sdgs"] = db.execute("SELECT COUNT(DISTINCT sdg) FROM project_sdg WHERE suggested = 0").fetchone()[0]
    for n, g in _select(store, "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?g) WHERE { GRAPH ?g { ?s ?p ?o } }"):
        totals["triples"], totals["graphs"] = int(n.value), int(g.value)
    db.executemany("INSERT INTO total VALUES (?,?)", totals.items())

    # ---- full text: titles, acronyms, summaries, objectives and organisation names, every language
    org_names: dict[int, list[str]] = defaultdict(list)
    oname = {oid: " ".join(str(x.value) for k in ("label", "shortName", "legalName") for x in ofields[oid].get(k, [])) for oid in ofields}
    for pid, oid, _role in org_rows:
        if oname.get(oid):
            org_names[pid].append(oname[oid])
    fts_rows = []
    for pid in pids.values():
        f = fields[pid]
        fts_rows.append(
            (
                pid,
                _texts(f, "title") + " " + _texts(f, "fullName"),
                _texts(f, "acronym") + " " + _texts(f, "key"),
                _texts(f, "description"),
                _texts(f, "objective"),
                " ".join(dict.fromkeys(org_names.get(pid, []))),
            )
        )
    db.executemany("INSERT INTO project_fts(rowid, title, acronym, summary, objectives, organisations) VALUES (?,?,?,?,?,?)", fts_rows)

    # typeahead: projects (title, acronym), organisations, programmes, countries, cities
    sug: list[tuple[str, str, str, str, int]] = []
    for uri, pid in pids.items():
        f = fields[pid]
        titles = [t for t in f.get("title", []) if isinstance(t, ox.Literal)]
        label = min(((_rank(t.language or ""), t.value) for t in titles), default=(9, ""))[1]
        label = label or (_py(f["acronym"][0]) if f.get("acronym") else None) or (_py(f["key"][0]) if f.get("key") else None) or _tail(uri)
        other = " ".join(str(t.value) for k in ("acronym", "key", "title") for t in f.get(k, []) if isinstance(t, ox.Literal))
        sug.append(("project", uri, str(label), other, 1))
    for uri, oid in oids.items():
        f = ofields[oid]
        labels = [x for x in f.get("label", []) if isinstance(x, ox.Literal)]
        label = min(((_rank(x.language or ""), x.value) for x in labels), default=(9, ""))[1] or _first_value(f.get("shortName")) or _tail(uri)
        sug.append(("organisation", uri, str(label), oname.get(oid, ""), len(project_counts.get(oid, ()))))
    place_labels = _best_labels(db, "SELECT uri FROM country")
    for uri, n in db.execute("SELECT uri, project_count FROM country").fetchall():
        sug.append(("country", uri, place_labels.get(uri) or _tail(uri), _all_labels(db, uri) + " " + " ".join(filter(None, codes.get(uri, {}).values())), n))
    scheme_labels = _best_labels(db, "SELECT uri FROM scheme")
    for uri, n, notation in db.execute("SELECT uri, total_project_count, notation FROM scheme").fetchall():
        sug.append(("programme", uri, scheme_labels.get(uri) or _tail(uri), _all_labels(db, uri) + " " + (notation or ""), n))
    cities = [c.value for (c,) in _select(store, "SELECT DISTINCT ?c WHERE { ?c a kg:City }")]
    city_count: dict[str, int] = defaultdict(int)
    for uri in pids:
        for c in city_of.get(uri, []):
            city_count[c] += 1
    db.execute("CREATE TEMP TABLE city_uris (uri TEXT PRIMARY KEY)")
    db.executemany("INSERT OR IGNORE INTO city_uris VALUES (?)", ((c,) for c in cities))
    city_labels = _best_labels(db, "SELECT uri FROM city_uris")
    for uri in cities:
        sug.append(("place", uri, city_labels.get(uri) or _tail(uri), "", city_count.get(uri, 0)))
    db.executemany("INSERT INTO suggest(sid, kind, uri, label, weight) VALUES (?,?,?,?,?)", ((i + 1, k, u, lab, w) for i, (k, u, lab, _o, w) in enumerate(sug)))
    db.executemany("INSERT INTO suggest_fts(rowid, label, other) VALUES (?,?,?)", ((i + 1, lab, o) for i, (_k, _u, lab, o, _w) in enumerate(sug)))
    return len(pids), len(oids)


class _Scans:
    """``?s <pred> ?o`` for one predicate at a time, as subject → its distinct objects (kept for the
    predicates several tables need)."""

    KEEP = {str(DCT.identifier), str(KG.country), str(KG.city), str(RDFS.label)}

    def __init__(self, store: Store) -> None:
        self.store = store
        self.kept: dict[str, dict[str, list[Any]]] = {}

    def get(self, pred: str) -> dict[str, list[Any]]:
        if pred in self.kept:
            return self.kept[pred]
        out: dict[str, list[Any]] = {}
        result = self.store.query(f"SELECT ?s ?o WHERE {{ ?s <{pred}> ?o }}")
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            s, o = row[0], row[1]
            if isinstance(s, ox.BlankNode):
                continue
            values = out.get(s.value)
            if values is None:
                out[s.value] = [o]
            elif o not in values:
                values.append(o)
        if pred in self.KEEP:
            self.kept[pred] = out
        return out


def _best_labels(db: sqlite3.Connection, uris_sql: str) -> dict[str, str]:
    best: dict[str, tuple[int, int, str]] = {}
    for uri, lang, rank, value in db.execute(f"SELECT l.uri, l.lang, l.rank, l.value FROM label l WHERE l.uri IN ({uris_sql})"):
        key = (_rank(lang), rank, value)
        if uri not in best or key < best[uri]:
            best[uri] = key
    return {u: k[2] for u, k in best.items()}


def _all_labels(db: sqlite3.Connection, uri: str) -> str:
    return " ".join(sorted({v for (v,) in db.execute("SELECT value FROM label WHERE uri = ?", (uri,))}))


def _texts(f: dict[str, list[Any]], key: str) -> str:
    return " ".join(str(t.value) for t in f.get(key, []) if isinstance(t, ox.Literal))


def _first_literal(values: list[Any] | None) -> ox.Literal | None:
    for v in values or []:
        if isinstance(v, ox.Literal):
            return v
    return None


def _first_value(values: list[Any] | None) -> str | None:
    return str(values[0].value) if values else None


def _py(term: Any) -> Any:
    return term.value if term is not None else None


def _tail(uri: str) -> str:
    return re.split(r"[/#]", uri.rstrip("/#"))[-1] or uri
