"""The hot read paths answered from a release's read model (``kg-read.sqlite``,
:mod:`kg.readmodel`) instead of SPARQL: project and organisation listings with combined filters,
facet counts and full-text search, the statistics, countries and SDGs, and typeahead.

Answers have the shapes of :mod:`kg.read.projects`, :mod:`kg.read.organisations`,
:mod:`kg.read.statistics`, :mod:`kg.read.places` and :mod:`kg.read.sdgs` (the web layer picks
this module when the served release has a read model); every function takes the read model and
a ``timeout`` and raises :class:`kg.readmodel.Deadline` past it.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from kg.read import common
from kg.read.refs import sdg_sort_key
from kg.readmodel import ReadModel
from kg.settings import Settings

__all__ = [
    "FACETS",
    "fts_query",
    "get_sdg",
    "list_countries",
    "list_organisations",
    "list_projects",
    "list_sdgs",
    "partners",
    "search",
    "statistics",
]

FACETS = ("country", "sdg", "programme", "year", "organisationType", "role")
PROJECT_SORTS = ("relevance", "title", "-title", "start", "-start", "end", "-end", "acronym", "-acronym")
_TOKEN = re.compile(r"\w+", re.UNICODE)


# --------------------------------------------------------------------------- small helpers


def _in(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def labels(con: sqlite3.Connection, uris: Iterable[str], lang: str) -> dict[str, str]:
    """Display labels as :func:`kg.read.common.labels` picks them: language, then predicate, then value."""
    wanted = sorted({u for u in uris if u})
    best: dict[str, tuple[int, int, str]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        for uri, tag, rank, value in con.execute(f"SELECT uri, lang, rank, value FROM label WHERE uri IN ({_in(chunk)})", chunk):
            key = (common.lang_rank(tag, lang), rank, value)
            if uri not in best or key < best[uri]:
                best[uri] = key
    return {u: k[2] for u, k in best.items()}


def _pick(values: Iterable[tuple[str, str]], lang: str) -> str | None:
    best = min(((common.lang_rank(tag, lang), value) for tag, value in values), default=None)
    return best[1] if best else None


def fts_query(text: str) -> str | None:
    """Words of ``text`` as an FTS5 query: every word, as a prefix (``"migra"*``), all required."""
    words = _TOKEN.findall(text or "")[:10]
    return " AND ".join(f'"{w}"*' for w in words) or None


_PRECISION = {common.XSD_NS + "date": "day", common.XSD_NS + "dateTime": "day", common.XSD_NS + "gYearMonth": "month", common.XSD_NS + "gYear": "year"}


def _date(prefix: str, value: str | None, datatype: str | None) -> dict[str, Any]:
    if value is None or datatype is None:
        return {}
    return {f"{prefix}Date": value, f"{prefix}Precision": _PRECISION.get(datatype), f"{prefix}Datatype": datatype}


# --------------------------------------------------------------------------- resolving filters


def _programmes(con: sqlite3.Connection, text: str) -> list[str]:
    text = " ".join(str(text).split())
    if not text:
        raise common.InvalidParameter("programme", "empty")
    if common.is_iri_text(text):
        if con.execute("SELECT 1 FROM scheme WHERE uri = ?", (text,)).fetchone():
            return [text]
        raise common.InvalidParameter("programme", f"<{text}> is not a funding programme, action or call of the graph")
    folded = text.casefold()
    found = {
        u
        for (u,) in con.execute(
            """SELECT s.uri FROM scheme s WHERE s.uri LIKE ? ESCAPE '\\' OR lower(s.notation) = ?
  OR EXISTS (SELECT 1 FROM label l WHERE l.uri = s.uri AND l.rank <= 1 AND lower(l.value) = ?)
  OR EXISTS (SELECT 1 FROM alt_label a WHERE a.uri = s.uri AND lower(a.value) = ?)""",
            ("%/programme/" + text.replace("%", "\\%").replace("_", "\\_"), folded, folded, folded),
        )
    }
    if not found:
        raise common.InvalidParameter("programme", f"no funding programme, action or call is called {text!r}")
    return sorted(found)


def _organisations(con: sqlite3.Connection, text: str) -> list[int]:
    text = " ".join(str(text).split())
    if not text:
        raise common.InvalidParameter("organisation", "empty")
    if common.is_iri_text(text):
        row = con.execute("SELECT oid FROM organisation WHERE uri = ?", (text,)).fetchone()
        if row:
            return [row[0]]
        raise common.InvalidParameter("organisation", f"<{text}> is not an organisation of the graph")
    folded = text.casefold()
    found = [
        oid
        for (oid,) in con.execute(
            """SELECT o.oid FROM organisation o WHERE lower(o.key) = ? OR lower(o.short_name) = ? OR lower(o.legal_name) = ?
  OR EXISTS (SELECT 1 FROM label l WHERE l.uri = o.uri AND l.rank <= 1 AND lower(l.value) = ?)""",
            (folded, folded, folded, folded),
        )
    ]
    if not found:
        raise common.InvalidParameter("organisation", f"no organisation is called {text!r}")
    return found


def _filters(
    con: sqlite3.Connection,
    *,
    country: str | None,
    sdg: str | int | None,
    programme: str | None,
    organisation: str | None,
    year_from: int | None,
    year_to: int | None,
    q: str | None,
    organisation_type: str | None,
    role: str | None,
    settings: Settings | None,
) -> dict[str, tuple[str, list[Any]]]:
    """Each filter given as (SQL condition on ``p.pid``, its parameters), by facet name."""
    out: dict[str, tuple[str, list[Any]]] = {}
    if country not in (None, ""):
        uri = common.resolve_country(str(country), settings=settings)
        out["country"] = ("p.pid IN (SELECT pid FROM project_place WHERE country = ?)", [uri])
    if sdg not in (None, ""):
        uri = common.resolve_sdg(sdg, settings=settings)
        if re.fullmatch(r"\d+", uri.removeprefix(common.SDG_NS)):
            out["sdg"] = ("p.pid IN (SELECT pid FROM project_sdg WHERE suggested = 0 AND goal = ?)", [uri])
        else:
            out["sdg"] = ("p.pid IN (SELECT pid FROM project_sdg WHERE suggested = 0 AND sdg = ?)", [uri])
    if programme not in (None, ""):
        concepts = _programmes(con, str(programme))
        out["programme"] = (f"p.pid IN (SELECT pid FROM project_scheme WHERE concept IN ({_in(concepts)}))", list(concepts))
    if organisation not in (None, ""):
        oids = _organisations(con, str(organisation))
        out["organisation"] = (f"p.pid IN (SELECT pid FROM project_org WHERE oid IN ({_in(oids)}))", list(oids))
    if organisation_type not in (None, ""):
        out["organisationType"] = (
            "p.pid IN (SELECT po.pid FROM project_org po JOIN organisation o ON o.oid = po.oid WHERE o.organisation_type = ?)",
            [organisation_type],
        )
    if role not in (None, ""):
        out["role"] = ("p.pid IN (SELECT pid FROM project_org WHERE role = ?)", [role])
    if year_from is not None or year_to is not None:
        if year_from is not None and year_to is not None and year_from > year_to:
            raise common.InvalidParameter("year_from", f"year_from ({year_from}) is after year_to ({year_to})")
        tests, params = ["p.start_year IS NOT NULL"], []
        if year_to is not None:
            tests.append("p.start_year <= ?")
            params.append(int(year_to))
        if year_from is not None:
            tests.append("COALESCE(p.end_year, p.start_year) >= ?")
            params.append(int(year_from))
        out["year"] = (" AND ".join(tests), params)
    if q is not None and q.strip():
        match = fts_query(q)
        if match is None:
            raise common.InvalidParameter("q", "no words to search for")
        out["q"] = ("p.pid IN (SELECT rowid FROM project_fts WHERE project_fts MATCH ?)", [match])
    return out


_ORDER = {
    "title": "p.title_key ASC, p.uri",
    "-title": "p.title_key DESC, p.uri",
    "start": "COALESCE(p.start_date, '~') ASC, p.title_key, p.uri",
    "-start": "COALESCE(p.start_date, '') DESC, p.title_key, p.uri",
    "end": "COALESCE(p.end_date, '~') ASC, p.title_key, p.uri",
    "-end": "COALESCE(p.end_date, '') DESC, p.title_key, p.uri",
    "acronym": "COALESCE(lower(p.acronym), '~') ASC, p.title_key, p.uri",
    "-acronym": "COALESCE(lower(p.acronym), '') DESC, p.title_key, p.uri",
}


# --------------------------------------------------------------------------- projects


def list_projects(
    model: ReadModel,
    *,
    timeout: float,
    country: str | None = None,
    sdg: str | int | None = None,
    programme: str | None = None,
    organisation: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    q: str | None = None,
    organisation_type: str | None = None,
    role: str | None = None,
    sort: str | None = None,
    limit: int = 20,
    offset: int = 0,
    lang: str = "en",
    facets: bool = False,
    settings: Settings | None = None,
) -> tuple[list[dict[str, Any]], int, dict[str, list[dict[str, Any]]] | None]:
    """(one page of projects, how many match, facet counts or None): the filters of
    :func:`kg.read.projects.list_projects` (``q`` is a full-text search: every word, as a prefix,
    diacritics folded) plus ``organisation_type`` and ``role``; ``sort="relevance"`` (the default
    with ``q``) ranks by BM25 and adds a highlighted ``snippet`` to each item."""
    if limit < 0:
        raise common.InvalidParameter("limit", "must be >= 0")
    if offset < 0:
        raise common.InvalidParameter("offset", "must be >= 0")
    sort = sort or ("relevance" if q and q.strip() else "title")
    if sort not in PROJECT_SORTS:
        raise common.InvalidParameter("sort", f"{sort!r} is not one of {', '.join(PROJECT_SORTS)}")
    with model.read(timeout) as con:
        conds = _filters(
            con, country=country, sdg=sdg, programme=programme, organisation=organisation, year_from=year_from,
            year_to=year_to, q=q, organisation_type=organisation_type, role=role, settings=settings,
        )
        where = " AND ".join(c for c, _ in conds.values()) or "1"
        params = [x for _, ps in conds.values() for x in ps]
        total = con.execute(f"SELECT COUNT(*) FROM project p WHERE {where}", params).fetchone()[0]
        snippets: dict[int, str] = {}
        if sort == "relevance" and "q" in conds:
            others = " AND ".join(c for k, (c, _) in conds.items() if k != "q") or "1"
            other_params = [x for k, (_, ps) in conds.items() if k != "q" for x in ps]
            rows = con.execute(
                f"""SELECT p.pid, snippet(project_fts, -1, '<mark>', '</mark>', '…', 12) FROM project_fts f
  JOIN project p ON p.pid = f.rowid WHERE project_fts MATCH ? AND {others}
  ORDER BY bm25(project_fts, 10.0, 8.0, 2.0, 1.0, 1.0), p.title_key, p.uri LIMIT ? OFFSET ?""",
                [conds["q"][1][0], *other_params, limit, offset],
            ).fetchall()
            pids = [r[0] for r in rows]
            snippets = {r[0]: r[1] for r in rows}
        else:
            order = _ORDER.get(sort, _ORDER["title"])
            pids = [r[0] for r in con.execute(f"SELECT p.pid FROM project p WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset])]
            if "q" in conds and pids:
                snippets = {
                    r[0]: r[1]
                    for r in con.execute(
                        "SELECT rowid, snippet(project_fts, -1, '<mark>', '</mark>', '…', 12) FROM project_fts "
                        f"WHERE project_fts MATCH ? AND rowid IN ({_in(pids)})",
                        [conds["q"][1][0], *pids],
                    )
                }
        items = summaries(con, pids, lang)
        for item, pid in zip(items, pids, strict=True):
            if pid in snippets:
                item["snippet"] = snippets[pid]
        counted = facet_counts(con, conds, lang) if facets else None
    return items, total, counted


def summaries(con: sqlite3.Connection, pids: Sequence[int], lang: str) -> list[dict[str, Any]]:
    """Project summaries (the shape of :func:`kg.read.projects.project_summaries`), in order;
    suggested SDGs, when the release has them, as ``suggestedSdgs`` (never in ``sdgs``)."""
    if not pids:
        return []
    marks = _in(pids)
    rows = {r[0]: r for r in con.execute(f"SELECT * FROM project WHERE pid IN ({marks})", list(pids))}
    texts: dict[int, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for pid, field, tag, value in con.execute(
        f"SELECT pid, field, lang, value FROM project_text WHERE pid IN ({marks}) AND field IN ('title', 'fullName')", list(pids)
    ):
        texts[pid][field].append((tag, value))
    countries: dict[int, list[str]] = defaultdict(list)
    for pid, c in con.execute(f"SELECT pid, country FROM project_country WHERE pid IN ({marks})", list(pids)):
        countries[pid].append(c)
    sdgs: dict[int, list[tuple[str, int, float | None]]] = defaultdict(list)
    for pid, s, suggested, score in con.execute(f"SELECT pid, sdg, suggested, score FROM project_sdg WHERE pid IN ({marks})", list(pids)):
        sdgs[pid].append((s, suggested, score))
    linked = {r[11] for r in rows.values() if r[11]} | {c for cs in countries.values() for c in cs} | {s for ss in sdgs.values() for s, _, _ in ss}
    names = labels(con, linked, lang)
    all_countries = sorted({c for cs in countries.values() for c in cs})
    iso3 = dict(con.execute(f"SELECT uri, iso3 FROM country WHERE uri IN ({_in(all_countries)})", all_countries).fetchall()) if all_countries else {}
    items = []
    for pid in pids:
        r = rows[pid]
        _pid, uri, key, acronym, status, sd, sdt, _sy, ed, edt, _ey, programme, _tk = r
        item: dict[str, Any] = {"@id": uri, "@type": "Project", "key": key if key is not None else common.fallback_label(uri)}
        if acronym is not None:
            item["acronym"] = acronym
        t = texts[pid]
        item["title"] = _pick(t.get("title", []), lang) or item.get("acronym") or item["key"]
        item["label"] = item["title"]
        if t.get("fullName"):
            item["fullName"] = _pick(t["fullName"], lang)
        item.update(_date("start", sd, sdt))
        item.update(_date("end", ed, edt))
        if status is not None:
            item["status"] = status
        if programme:
            item["programme"] = common.ref(programme, names, "FundingScheme")
        item["countries"] = sorted((common.ref(c, names, "Country", iso3=iso3.get(c)) for c in countries.get(pid, [])), key=lambda c: c["label"])
        stated, suggested = [], []
        for s, is_suggested, score in sdgs.get(pid, []):
            code = s.removeprefix(common.SDG_NS)
            ref = common.ref(s, names, "SdgTarget" if "." in code else "SdgGoal", code=code)
            if is_suggested:
                ref["score"] = score
                suggested.append(ref)
            else:
                stated.append(ref)
        item["sdgs"] = sorted(stated, key=lambda s: sdg_sort_key(s["code"]))
        if suggested:
            item["suggestedSdgs"] = sorted(suggested, key=lambda s: sdg_sort_key(s["code"]))
        items.append(item)
    return items


def facet_counts(con: sqlite3.Connection, conds: dict[str, tuple[str, list[Any]]], lang: str, top: int = 30) -> dict[str, list[dict[str, Any]]]:
    """For each facet, the values with the number of projects under the other filters (a facet's own
    filter is left out, so its other values stay reachable), most first."""

    def under(name: str) -> tuple[str, list[Any]]:
        others = [(c, ps) for k, (c, ps) in conds.items() if k != name]
        return " AND ".join(c for c, _ in others) or "1", [x for _, ps in others for x in ps]

    out: dict[str, list[dict[str, Any]]] = {}
    unfiltered = not [k for k in conds]
    where, params = under("country")
    if unfiltered or list(conds) == ["country"]:
        rows = con.execute("SELECT uri, project_count FROM country ORDER BY project_count DESC, uri LIMIT ?", (top,)).fetchall()
    else:
        rows = con.execute(
            f"SELECT pp.country, COUNT(*) AS n FROM project_place pp JOIN project p ON p.pid = pp.pid WHERE {where} GROUP BY pp.country ORDER BY n DESC, pp.country LIMIT ?",
            [*params, top],
        ).fetchall()
    codes = dict(con.execute(f"SELECT uri, iso3 FROM country WHERE uri IN ({_in([r[0] for r in rows])})", [r[0] for r in rows]).fetchall()) if rows else {}
    names = labels(con, [r[0] for r in rows], lang)
    out["country"] = [common.ref(u, names, "Country", iso3=codes.get(u), value=codes.get(u) or u) | {"count": n} for u, n in rows]

    where, params = under("sdg")
    if unfiltered or list(conds) == ["sdg"]:
        rows = con.execute("SELECT uri, project_count FROM sdg WHERE is_goal = 1 AND project_count > 0 ORDER BY project_count DESC, uri").fetchall()
    else:
        rows = con.execute(
            "SELECT s.goal, COUNT(DISTINCT s.pid) AS n FROM project_sdg s JOIN project p ON p.pid = s.pid "
            f"WHERE s.suggested = 0 AND {where} GROUP BY s.goal ORDER BY n DESC, s.goal",
            params,
        ).fetchall()
    names = labels(con, [r[0] for r in rows], lang)
    out["sdg"] = [common.ref(u, names, "SdgGoal", code=u.removeprefix(common.SDG_NS), value=u.removeprefix(common.SDG_NS)) | {"count": n} for u, n in rows]

    where, params = under("programme")
    if unfiltered or list(conds) == ["programme"]:
        rows = con.execute("SELECT uri, total_project_count FROM scheme WHERE total_project_count > 0 ORDER BY total_project_count DESC, uri LIMIT ?", (top,)).fetchall()
    else:
        rows = con.execute(
            f"SELECT s.concept, COUNT(*) AS n FROM project_scheme s JOIN project p ON p.pid = s.pid WHERE {where} GROUP BY s.concept ORDER BY n DESC, s.concept LIMIT ?",
            [*params, top],
        ).fetchall()
    levels = dict(con.execute(f"SELECT uri, level FROM scheme WHERE uri IN ({_in([r[0] for r in rows])})", [r[0] for r in rows]).fetchall()) if rows else {}
    names = labels(con, [r[0] for r in rows], lang)
    out["programme"] = [
        common.ref(u, names, "FundingScheme", schemeLevel=levels.get(u), value=common.fallback_label(u)) | {"count": n} for u, n in rows
    ]

    where, params = under("year")
    if unfiltered or list(conds) == ["year"]:
        rows = con.execute("SELECT year, project_count FROM start_year ORDER BY year").fetchall()
    else:
        rows = con.execute(
            f"SELECT p.start_year, COUNT(*) FROM project p WHERE p.start_year IS NOT NULL AND {where} GROUP BY p.start_year ORDER BY p.start_year",
            params,
        ).fetchall()
    out["year"] = [{"value": y, "label": str(y), "count": n} for y, n in rows]

    for name, column in (("organisationType", "o.organisation_type"), ("role", "po.role")):
        where, params = under(name)
        rows = con.execute(
            f"""SELECT {column} AS v, COUNT(DISTINCT po.pid) AS n FROM project_org po JOIN organisation o ON o.oid = po.oid
  JOIN project p ON p.pid = po.pid WHERE v IS NOT NULL AND v != '' AND {where} GROUP BY v ORDER BY n DESC, v LIMIT ?""",
            [*params, top],
        ).fetchall()
        out[name] = [{"value": v, "label": v, "count": n} for v, n in rows]
    return out


# --------------------------------------------------------------------------- organisations


def list_organisations(
    model: ReadModel,
    *,
    timeout: float,
    q: str | None = None,
    country: str | None = None,
    funder: bool | None = None,
    limit: int = 20,
    offset: int = 0,
    lang: str = "en",
    settings: Settings | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The organisations of :func:`kg.read.organisations.list_organisations`, sorted by name."""
    if limit < 0:
        raise common.InvalidParameter("limit", "must be >= 0")
    if offset < 0:
        raise common.InvalidParameter("offset", "must be >= 0")
    conds, params = [], []
    if funder is True:
        conds.append("o.is_funder = 1")
    elif funder is False:
        conds.append("o.is_funder = 0")
    if country not in (None, ""):
        conds.append("o.oid IN (SELECT oid FROM organisation_place WHERE country = ?)")
        params.append(common.resolve_country(str(country), settings=settings))
    with model.read(timeout) as con:
        if q and q.strip():
            match = fts_query(q)
            if match is None:
                raise common.InvalidParameter("q", "no words to search for")
            conds.append("o.uri IN (SELECT s.uri FROM suggest_fts f JOIN suggest s ON s.sid = f.rowid WHERE suggest_fts MATCH ? AND s.kind = 'organisation')")
            params.append(match)
        where = " AND ".join(conds) or "1"
        total = con.execute(f"SELECT COUNT(*) FROM organisation o WHERE {where}", params).fetchone()[0]
        rows = con.execute(
            f"SELECT uri, key, short_name, organisation_type, country, is_funder, project_count FROM organisation o WHERE {where} "
            "ORDER BY name_key, uri LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        names = labels(con, [r[0] for r in rows] + [r[4] for r in rows if r[4]], lang)
        cs = sorted({r[4] for r in rows if r[4]})
        codes = {u: (a, b) for u, a, b in con.execute(f"SELECT uri, iso2, iso3 FROM country WHERE uri IN ({_in(cs)})", cs)} if cs else {}
        missing = [c for c in cs if c not in codes]
        items = []
        for uri, key, short, otype, c, is_funder, n in rows:
            ref = common.ref(uri, names, "Funder" if is_funder else "Organisation")
            if key is not None:
                ref["key"] = key
            if short is not None:
                ref["shortName"] = short
            if otype is not None:
                ref["organisationType"] = otype
            if c:
                iso2, iso3 = codes.get(c, (None, None)) if c not in missing else (None, None)
                ref["country"] = common.ref(c, names, "Country", iso2=iso2, iso3=iso3)
            ref["projectCount"] = n
            items.append(ref)
    return items, total


# --------------------------------------------------------------------------- countries, SDGs, statistics


def list_countries(model: ReadModel, lang: str = "en", *, timeout: float) -> list[dict[str, Any]]:
    """Countries with projects, most first (the shape of :func:`kg.read.places.list_countries`)."""
    with model.read(timeout) as con:
        return _countries(con, lang)


def _countries(con: sqlite3.Connection, lang: str) -> list[dict[str, Any]]:
    rows = con.execute("SELECT uri, iso2, iso3, project_count FROM country").fetchall()
    names = labels(con, [r[0] for r in rows], lang)
    refs = [
        common.ref(u, names, "Country", iso2=iso2, iso3=iso3 or common.fallback_label(u)) | {"projectCount": n}
        for u, iso2, iso3, n in rows
    ]
    return sorted(refs, key=lambda r: (-r["projectCount"], r["label"]))


def list_sdgs(model: ReadModel, lang: str = "en", *, used_only: bool = False, timeout: float) -> list[dict[str, Any]]:
    """The goals with counts and linked targets (the shape of :func:`kg.read.sdgs.list_sdgs`);
    ``suggestedCount``: projects suggested (not stated) for it, when suggestions exist."""
    with model.read(timeout) as con:
        return _sdgs(con, lang, used_only)


def _short(con: sqlite3.Connection, uris: Sequence[str], lang: str) -> dict[str, str]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for uri, tag, value in con.execute(f"SELECT uri, lang, value FROM alt_label WHERE uri IN ({_in(uris)})", list(uris)):
        found[uri].append((tag, value))
    return {u: v for u, vs in found.items() if (v := _pick(vs, lang))}


def _sdgs(con: sqlite3.Connection, lang: str, used_only: bool) -> list[dict[str, Any]]:
    goals = con.execute("SELECT uri, code, project_count, suggested_count FROM sdg WHERE is_goal = 1").fetchall()
    if used_only:
        goals = [g for g in goals if g[2]]
    targets = con.execute(
        "SELECT s.uri, s.code, s.goal, s.project_count FROM sdg s WHERE s.is_goal = 0 AND EXISTS (SELECT 1 FROM project_sdg ps WHERE ps.sdg = s.uri AND ps.suggested = 0)"
    ).fetchall()
    names = labels(con, [g[0] for g in goals] + [t[0] for t in targets], lang)
    short = _short(con, [g[0] for g in goals], lang) if goals else {}
    linked: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t, code, goal, n in targets:
        linked[goal].append(common.ref(t, names, "SdgTarget", code=code, projectCount=n))
    refs = []
    for u, code, n, suggested in goals:
        ref = common.ref(u, names, "SdgGoal", code=code, shortLabel=short.get(u), goal=None, goalCode=code)
        ref["projectCount"] = n
        if suggested:
            ref["suggestedCount"] = suggested
        ref["linkedTargets"] = sorted(linked.get(u, []), key=lambda t: sdg_sort_key(t["code"]))
        refs.append(ref)
    return sorted(refs, key=lambda r: sdg_sort_key(r["code"]))


def get_sdg(model: ReadModel, code: str, lang: str = "en", *, timeout: float, settings: Settings | None = None) -> dict[str, Any]:
    """A goal (with all its targets) or a target (with its goal) and the projects stating it: the
    shape of :func:`kg.read.sdgs.get_sdg`."""
    try:
        uri = common.resolve_sdg(code, settings=settings)
    except common.InvalidParameter:
        raise common.NotFound("SDG", str(code)) from None
    with model.read(timeout) as con:
        row = con.execute("SELECT uri, code, goal, is_goal, project_count FROM sdg WHERE uri = ?", (uri,)).fetchone()
        if row is None:
            raise common.NotFound("SDG", str(code))
        _u, sdg_code, goal, is_goal, _n = row
        targets = con.execute("SELECT uri, code, project_count FROM sdg WHERE goal = ? AND is_goal = 0", (uri,)).fetchall() if is_goal else []
        related = [uri, *(t[0] for t in targets), *([goal] if goal else [])]
        names = labels(con, related, lang)
        short = _short(con, [u for u in related if u], lang)
        doc = common.ref(
            uri, names, "SdgGoal" if is_goal else "SdgTarget", code=sdg_code, shortLabel=short.get(uri), goal=goal,
            goalCode=goal.removeprefix(common.SDG_NS) if goal else sdg_code,
        )
        doc["labels"] = {tag: value for tag, value in con.execute("SELECT lang, value FROM label WHERE uri = ? AND rank = 1 AND lang != ''", (uri,))}
        if is_goal:
            doc["targets"] = sorted(
                (common.ref(t, names, "SdgTarget", code=c, projectCount=n) for t, c, n in targets), key=lambda t: sdg_sort_key(t["code"])
            )
        elif goal:
            doc["goalRef"] = common.ref(goal, names, "SdgGoal", code=goal.removeprefix(common.SDG_NS), shortLabel=short.get(goal), goalCode=goal.removeprefix(common.SDG_NS))
    items, total, _ = list_projects(model, timeout=timeout, sdg=uri, sort="start", limit=10_000, lang=lang, settings=settings)
    doc["projects"] = items
    doc["projectCount"] = total
    return doc


def partners(model: ReadModel, organisation: str, lang: str = "en", *, limit: int = 40, timeout: float) -> dict[str, Any]:
    """One organisation's co-partnership network: the organisations it shares projects with (most
    shared first, at most ``limit``), each with the number of projects in common, and the links
    among those partners (projects in common), for a picture."""
    with model.read(timeout) as con:
        oids = _organisations(con, organisation)
        oid = oids[0]
        rows = con.execute(
            """SELECT b.oid, COUNT(DISTINCT a.pid) AS n FROM project_org a JOIN project_org b ON b.pid = a.pid AND b.oid != a.oid
  WHERE a.oid = ? GROUP BY b.oid ORDER BY n DESC, b.oid LIMIT ?""",
            (oid, limit),
        ).fetchall()
        chosen = [oid, *(r[0] for r in rows)]
        uris = dict(con.execute(f"SELECT oid, uri FROM organisation WHERE oid IN ({_in(chosen)})", chosen).fetchall())
        names = labels(con, uris.values(), lang)
        others = [r[0] for r in rows]
        links = (
            con.execute(
                f"""SELECT a.oid, b.oid, COUNT(DISTINCT a.pid) FROM project_org a JOIN project_org b ON b.pid = a.pid AND b.oid > a.oid
  WHERE a.oid IN ({_in(others)}) AND b.oid IN ({_in(others)}) GROUP BY a.oid, b.oid""",
                [*others, *others],
            ).fetchall()
            if others
            else []
        )
    node = {o: common.ref(uris[o], names, "Organisation") for o in chosen}
    return {
        "organisation": node[oid],
        "partners": [node[o] | {"projects": n} for o, n in rows],
        "links": [{"source": uris[a], "target": uris[b], "projects": n} for a, b, n in links],
    }


def statistics(model: ReadModel, lang: str = "en", *, timeout: float) -> dict[str, Any]:
    """The shape of :func:`kg.read.statistics.statistics`, from the read model's precomputed counts."""
    with model.read(timeout) as con:
        totals = dict(con.execute("SELECT name, value FROM total").fetchall())
        roots = con.execute(
            "SELECT uri, level, notation, total_project_count FROM scheme s WHERE broader IS NULL OR broader NOT IN (SELECT uri FROM scheme)"
        ).fetchall()
        names = labels(con, [r[0] for r in roots], lang)
        by_programme = [
            common.ref(u, names, "FundingScheme", key=common.fallback_label(u), notation=notation, schemeLevel=level) | {"projectCount": n}
            for u, level, notation, n in roots
        ]
        by_programme.sort(key=lambda n: (-n["projectCount"], n["label"]))
        by_sdg = [
            {k: g[k] for k in ("@id", "@type", "label", "code", "shortLabel") if k in g} | {"projectCount": g["projectCount"]}
            for g in _sdgs(con, lang, True)
        ]
        return {
            "totals": totals,
            "byProgramme": by_programme,
            "byCountry": _countries(con, lang),
            "bySdg": by_sdg,
            "byStartYear": [{"year": y, "projectCount": n} for y, n in con.execute("SELECT year, project_count FROM start_year ORDER BY year")],
        }


# --------------------------------------------------------------------------- typeahead


def search(model: ReadModel, q: str, *, limit: int = 10, kinds: Sequence[str] | None = None, lang: str = "en", timeout: float) -> list[dict[str, Any]]:
    """Typeahead suggestions across projects, organisations, programmes, countries and places:
    every word as a prefix, ranked by BM25 then by how many projects the entry has, with the
    matched label highlighted (``highlight``)."""
    match = fts_query(q)
    if match is None:
        return []
    kinds = [k for k in (kinds or ()) if k]
    with model.read(timeout) as con:
        kind_sql = f"AND s.kind IN ({_in(kinds)})" if kinds else ""
        rows = con.execute(
            f"""SELECT s.kind, s.uri, s.label, s.weight, highlight(suggest_fts, 0, '<mark>', '</mark>') FROM suggest_fts f
  JOIN suggest s ON s.sid = f.rowid WHERE suggest_fts MATCH ? {kind_sql}
  ORDER BY bm25(suggest_fts, 10.0, 1.0) - min(s.weight, 1000) / 1000.0, s.label LIMIT ?""",
            [match, *kinds, limit],
        ).fetchall()
    return [{"@id": uri, "@type": kind, "label": label, "highlight": hl, "projectCount": weight} for kind, uri, label, weight, hl in rows]
