"""Synthetic programme database: N projects shaped like the seed graph, as N-Quads.

    python bench/gen_projects.py --projects 100000 --seed 42 --out /tmp/projects-100k.nq

Writes what ``kg.release.build.check()`` validates: the ontology, the programme scheme and the typing /
scheme-membership extract of the UN SDG KOS and the EU country table (each in its named graph, taken
from the real seed release), then one named graph per project source document
(``{base}graph/source/{stem}``) holding the project, its source document, grant and amount,
participations, the organisations and cities it introduces, activities, target groups, expected
results and outputs, as ``kg.mapping`` writes them (docs/model.md).

Distributions (fixed by ``--seed``): titles in English, 40 % also in Italian; dates of mixed
precision (xsd:date / xsd:gYearMonth / xsd:gYear); 1–5 countries; 0–3 SDG goals or targets;
1–6 participations over a pool of organisations shared between projects; a third of the projects
with activities, a quarter with expected results / outputs / target groups; keys are Erasmus+,
CORDIS or EACEA grant numbers, or a record id when there is no grant. Some projects name no SDG or
no country (the shapes' warnings).

A fraction ``--defect-rate`` of the projects (default 0.2 %) carries one deliberate violation
(bad or impossible dates, end before start across precisions, unknown country, SDG 18, missing
title, missing provenance, malformed grant number, duplicate title language, lower-case currency,
negative amount, participation without role, range minimum above maximum, quantity and range,
participation pointing at the wrong project, bad activity URI). ``--defects-out`` writes the list
(project URI, kind) as JSON lines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

BASE = "https://w3id.org/euprojects/"
KG = "https://w3id.org/euprojects/def#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SDG = "http://metadata.un.org/sdg/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"

DEFECTS = (
    "impossible-date",  # 2019-02-30 as xsd:date
    "bad-month",  # 2019-13 as xsd:gYearMonth
    "end-before-start",  # 2020-05 (gYearMonth) .. 2020-04-30 (date): mixed precision
    "end-before-start-year",  # 2021 (gYear) .. 2020-12 (gYearMonth)
    "unknown-country",
    "sdg-18",
    "missing-title",
    "missing-provenance",
    "malformed-grant-number",
    "duplicate-title-language",
    "currency-lower-case",
    "negative-amount",
    "participation-without-role",
    "range-min-above-max",
    "quantity-and-range",
    "participation-wrong-project",
    "activity-uri-zero",
)

GRANT_DEFECTS = {"malformed-grant-number", "currency-lower-case", "negative-amount"}

EU_COUNTRIES = (
    "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK "
    "SVN ESP SWE ISL LIE NOR MKD SRB TUR ALB BIH MNE UKR MDA GBR CHE"
).split()
ALPHA2 = dict(
    AUT="AT", BEL="BE", BGR="BG", HRV="HR", CYP="CY", CZE="CZ", DNK="DK", EST="EE", FIN="FI", FRA="FR",
    DEU="DE", GRC="EL", HUN="HU", IRL="IE", ITA="IT", LVA="LV", LTU="LT", LUX="LU", MLT="MT", NLD="NL",
    POL="PL", PRT="PT", ROU="RO", SVK="SK", SVN="SI", ESP="ES", SWE="SE", ISL="IS", LIE="LI", NOR="NO",
    MKD="MK", SRB="RS", TUR="TR", ALB="AL", BIH="BA", MNE="ME", UKR="UA", MDA="MD", GBR="UK", CHE="CH",
)

WORDS_EN = (
    "inclusion migrants cities learning network skills training youth adults digital green social "
    "innovation citizens democracy culture heritage integration refugees employment education "
    "community participation entrepreneurship literacy mobility teachers schools women health "
    "sustainable rural urban resilience dialogue tolerance rights media energy climate"
).split()
WORDS_IT = (
    "inclusione migranti città apprendimento rete competenze formazione giovani adulti digitale verde "
    "sociale innovazione cittadini democrazia cultura patrimonio integrazione rifugiati lavoro "
    "istruzione comunità partecipazione imprenditorialità mobilità insegnanti scuole donne salute"
).split()
CITY_STEMS = ("Porto", "Monte", "Villa", "Castel", "Santa", "Neu", "Alt", "Grand", "Nova", "Bella", "Rocca", "Lago")
ORG_TYPES = ("NGO", "public body", "university", "school", "SME", "research centre", "foundation", "city council")
STATUS = ("closed", "ongoing")
ACTIVITY_KINDS = ("training", "study visit", "needs assessment", "co-design", "round table", "conference", "workshop")
LEVELS = ("local", "national", "European")
OUTPUT_KINDS = ("toolkit", "report", "guide", "curriculum", "platform", "manifesto")
UNITS = ("participants", "stakeholders", "cities", "trainers", "events")
KA_CODES = ("KA201", "KA202", "KA204", "KA205", "KA229", "KA220", "KA347")
ROLES = ("RoleCoordinator", "RolePartner", "RoleAssociatedPartner", "RoleParticipant", "RoleThirdParty")


def esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


class Writer:
    """N-Quads lines into a buffered text file; counts them."""

    def __init__(self, out):
        self.out = out
        self.n = 0
        self.buf: list[str] = []
        self.g = ""

    def graph(self, g: str) -> None:
        self.g = f"<{g}>"

    def _emit(self, s: str, p: str, o: str) -> None:
        self.buf.append(f"<{s}> <{p}> {o} {self.g} .\n")
        if len(self.buf) >= 20000:
            self.flush()

    def uri(self, s: str, p: str, o: str) -> None:
        self._emit(s, p, f"<{o}>")

    def typed(self, s: str, *classes: str) -> None:
        for c in classes:
            self._emit(s, RDF_TYPE, f"<{c}>")

    def text(self, s: str, p: str, value: str, lang: str) -> None:
        self._emit(s, p, f'"{esc(value)}"@{lang}')

    def string(self, s: str, p: str, value: str) -> None:
        self._emit(s, p, f'"{esc(value)}"')

    def lit(self, s: str, p: str, value: str, datatype: str) -> None:
        self._emit(s, p, f'"{esc(value)}"^^<{XSD}{datatype}>')

    def flush(self) -> None:
        self.n += len(self.buf)
        self.out.write("".join(self.buf))
        self.buf.clear()


def release_context():
    """The seed release's non-project graphs (as check() validates them) and the pools they give."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from kg.release.build import assemble
    from kg.settings import Settings
    from kg.validation.inputs import vocabulary_extract

    assembled = assemble(Settings())
    graphs = {}
    for g, quads in assembled.graphs.items():
        if g in assembled.vocab_graphs:
            graphs[g] = vocabulary_extract(quads)
        elif g.startswith(BASE + "graph/source/"):
            continue  # the seed projects themselves are not copied
        else:
            graphs[g] = quads
    programmes = sorted(
        {q.subject.value for q in graphs[BASE + "graph/vocab/programmes"]
         if q.predicate.value == RDF_TYPE and q.object.value == "http://www.w3.org/2004/02/skos/core#Concept"}
    )
    funders = sorted(
        {q.subject.value for q in graphs[BASE + "graph/vocab/programmes"]
         if q.predicate.value == RDF_TYPE and q.object.value == KG + "Funder"}
    )
    sdg_quads = graphs[BASE + "graph/vocab/un-sdg"]
    goals = sorted({q.subject.value for q in sdg_quads if q.object.value.endswith("ontology#Goal")})
    targets = sorted({q.subject.value for q in sdg_quads if q.object.value.endswith("ontology#Target")})
    in_table = {
        q.subject.value for q in graphs[BASE + "graph/vocab/eu-country"]
        if q.predicate.value.endswith("core#inScheme") and q.object.value == COUNTRY[:-1]
    }
    countries = [c for c in EU_COUNTRIES if COUNTRY + c in in_table]
    return graphs, programmes, funders, goals, targets, countries


def write_static(w: Writer, graphs) -> None:
    """The release's own graphs, blank nodes renamed in order of appearance (byte-identical output)."""
    import pyoxigraph

    names: dict[str, pyoxigraph.BlankNode] = {}

    def stable(t):
        if isinstance(t, pyoxigraph.BlankNode):
            return names.setdefault(t.value, pyoxigraph.BlankNode(f"b{len(names)}"))
        return t

    for _g, quads in graphs.items():
        quads = [pyoxigraph.Quad(stable(q.subject), q.predicate, stable(q.object), q.graph_name) for q in quads]
        data = pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_QUADS) or b""
        w.flush()
        w.out.write(data.decode("utf-8"))
        w.n += len(quads)


def words(rng: random.Random, pool, k: int) -> str:
    return " ".join(rng.choice(pool) for _ in range(k))


def date_literal(rng: random.Random, year: int, month: int, day: int) -> tuple[str, str]:
    r = rng.random()
    if r < 0.5:
        return f"{year:04d}-{month:02d}-{day:02d}", "date"
    if r < 0.8:
        return f"{year:04d}-{month:02d}", "gYearMonth"
    return f"{year:04d}", "gYear"


def generate(n_projects: int, seed: int, out_path: Path, defect_rate: float, defects_out: Path | None) -> dict:
    rng = random.Random(seed)
    graphs, programmes, funders, goals, targets, countries = release_context()
    sdgs = goals + targets
    n_orgs = max(20, n_projects // 3)
    n_cities = max(10, min(5000, n_projects // 20))
    cities = []
    for i in range(n_cities):
        c = rng.choice(countries)
        name = f"{rng.choice(CITY_STEMS)}{rng.choice(('ano', 'ello', 'burg', 'ville', 'ia', 'stad'))} {i}"
        cities.append((f"{BASE}id/place/{c.lower()}/{name.lower().replace(' ', '-')}", name, c))
    city_done = bytearray(n_cities)
    org_done = bytearray(n_orgs)
    defects: list[tuple[str, str]] = []
    t0 = time.time()
    with open(out_path, "w", encoding="utf-8", buffering=1 << 22) as out:
        w = Writer(out)
        write_static(w, graphs)
        for i in range(n_projects):
            defect = rng.choice(DEFECTS) if rng.random() < defect_rate else None
            project(w, rng, i, defect, programmes, funders, sdgs, countries, cities, city_done, org_done, n_orgs, defects)
        w.flush()
    if defects_out:
        with open(defects_out, "w") as f:
            for uri, kind in defects:
                f.write(json.dumps({"project": uri, "defect": kind}) + "\n")
    return {"projects": n_projects, "quads": w.n, "defects": len(defects), "seconds": round(time.time() - t0, 1)}


def project(w, rng, i, defect, programmes, funders, sdgs, countries, cities, city_done, org_done, n_orgs, defects):
    stem = f"{i:07d}_{hashlib.blake2b(str(i).encode(), digest_size=8).hexdigest()}"
    graph = f"{BASE}graph/source/{stem}"
    src = f"{BASE}id/source/{stem}"
    w.graph(graph)
    # -- key: Erasmus+ / CORDIS / EACEA grant number, or a record id
    r = rng.random()
    year = rng.randint(2007, 2023)
    if r < 0.55:
        cc = rng.choice(countries)
        number = f"{year}-1-{ALPHA2[cc]}{rng.randint(1, 3):02d}-{rng.choice(KA_CODES)}-{i:06d}"
    elif r < 0.75:
        number = str(100000000 + i)
    elif r < 0.85:
        number = f"{500000 + i % 500000:06d}-{rng.choice(('CITIZ', 'LLP', 'EPP'))}-1-{year}-{i}-{ALPHA2[rng.choice(countries)]}-NT"
    else:
        number = None
    # a grant defect needs a grant: give the project a CORDIS number, drawing its details from a
    # separate generator so that the rest of the data stays as it is for the same seed
    forced = number is None and defect in GRANT_DEFECTS
    if forced:
        number = str(100000000 + i)
    key = number if number else f"project-{i}"
    p = f"{BASE}id/project/{key}"
    if defect:
        defects.append((p, defect))
    # -- source document
    w.typed(src, KG + "SourceDocument", PROV + "Entity", FOAF + "Document")
    w.string(src, DCT + "identifier", stem)
    lang = "it" if rng.random() < 0.3 else "en"
    doc_title = words(rng, WORDS_IT if lang == "it" else WORDS_EN, 4).capitalize()
    w.text(src, DCT + "title", doc_title, lang)
    w.text(src, RDFS_LABEL, doc_title, lang)
    w.string(src, DCT + "language", lang)
    w.string(src, KG + "sha256", hashlib.sha256(stem.encode()).hexdigest())
    if rng.random() < 0.5:
        w.uri(src, SCHEMA + "url", f"https://example.org/projects/{stem}.html")
    w.typed(graph, PROV + "Entity")
    w.uri(graph, PROV + "wasDerivedFrom", src)
    # -- project
    w.typed(p, KG + "Project")
    w.string(p, DCT + "identifier", key)
    title_en = words(rng, WORDS_EN, rng.randint(3, 7)).capitalize()
    if defect != "missing-title":
        w.text(p, DCT + "title", title_en, "en")
        if rng.random() < 0.4:
            w.text(p, DCT + "title", words(rng, WORDS_IT, rng.randint(3, 7)).capitalize(), "it")
        if defect == "duplicate-title-language":
            w.text(p, DCT + "title", title_en + " (bis)", "en")
    w.text(p, RDFS_LABEL, title_en, "en")
    if rng.random() < 0.8:
        w.string(p, KG + "acronym", "".join(x[0] for x in title_en.split()).upper() + str(i % 100))
    if rng.random() < 0.5:
        w.text(p, DCT + "description", words(rng, WORDS_EN, 25).capitalize() + ".", "en")
    # dates
    sm, sd = rng.randint(1, 12), rng.randint(1, 28)
    months = rng.randint(12, 48)
    em = (sm - 1 + months) % 12 + 1
    ey = year + (sm - 1 + months) // 12
    if defect == "end-before-start":
        w.lit(p, KG + "startDate", f"{year}-05", "gYearMonth")
        w.lit(p, KG + "endDate", f"{year}-04-30", "date")
    elif defect == "end-before-start-year":
        w.lit(p, KG + "startDate", f"{year + 1}", "gYear")
        w.lit(p, KG + "endDate", f"{year}-12", "gYearMonth")
    else:
        s_lex, s_dt = date_literal(rng, year, sm, sd)
        if defect == "impossible-date":
            s_lex, s_dt = f"{year}-02-30", "date"
        elif defect == "bad-month":
            s_lex, s_dt = f"{year}-13", "gYearMonth"
        w.lit(p, KG + "startDate", s_lex, s_dt)
        if rng.random() < 0.9:
            e_lex, e_dt = date_literal(rng, ey, em, 28)
            w.lit(p, KG + "endDate", e_lex, e_dt)
    if rng.random() < 0.5:
        w.string(p, KG + "status", rng.choice(STATUS))
    if defect != "missing-provenance":
        w.uri(p, PROV + "wasDerivedFrom", src)
    if rng.random() < 0.92:
        w.uri(p, KG + "fundedUnder", rng.choice(programmes))
    if rng.random() < 0.4:
        w.text(p, KG + "fundingStatement", "The project has received funding from the European Union.", "en")
    if rng.random() < 0.1:
        w.uri(p, KG + "fundedBy", rng.choice(funders))
    # grant
    if number:
        grng = random.Random(i) if forced else rng
        g = f"{p}/grant"
        w.uri(p, KG + "hasGrant", g)
        w.typed(g, KG + "Grant")
        w.string(g, KG + "grantNumber", f"n° {number}" if defect == "malformed-grant-number" else number)
        if grng.random() < 0.3:
            w.lit(g, KG + "signatureDate", f"{year}-{sm:02d}-{sd:02d}", "date")
        if grng.random() < 0.6 or defect in ("currency-lower-case", "negative-amount"):
            a = f"{g}/amount"
            w.uri(g, KG + "amount", a)
            w.typed(a, KG + "MonetaryAmount")
            value = f"{grng.randint(10000, 2000000)}.00"
            w.lit(a, SCHEMA + "value", "-" + value if defect == "negative-amount" else value, "decimal")
            w.string(a, SCHEMA + "currency", "eur" if defect == "currency-lower-case" else "EUR")
    # countries, cities, SDGs
    if rng.random() < 0.93 or defect == "unknown-country":
        for c in rng.sample(countries, rng.randint(1, 5)):
            w.uri(p, KG + "country", COUNTRY + c)
        if defect == "unknown-country":
            w.uri(p, KG + "country", COUNTRY + "XXA")
    if rng.random() < 0.2:
        ci = rng.randrange(len(cities))
        city(w, ci, cities, city_done)
        w.uri(p, KG + "city", cities[ci][0])
    if rng.random() < 0.8 or defect == "sdg-18":
        for s in rng.sample(sdgs, rng.randint(1, 3)):
            w.uri(p, KG + "sdg", s)
        if defect == "sdg-18":
            w.uri(p, KG + "sdg", SDG + "18")
    # participations
    n_part = rng.randint(1, 6)
    if rng.random() < 0.5:
        w.lit(p, KG + "partnerCount", str(n_part), "integer")
        w.lit(p, KG + "countryCount", str(rng.randint(1, n_part)), "integer")
    for k, oi in enumerate(sorted(set(rng.randrange(n_orgs) for _ in range(n_part)))):
        ou = organisation(w, rng, oi, org_done, countries, cities, city_done)
        pu = f"{p}/participation/org-{oi}"
        w.uri(p, KG + "hasParticipation", pu)
        w.typed(pu, KG + "Participation")
        if defect == "participation-wrong-project" and k == 0:
            w.uri(pu, KG + "inProject", f"{BASE}id/project/project-{i}-other")
        else:
            w.uri(pu, KG + "inProject", p)
        w.uri(pu, KG + "organisation", ou)
        if not (defect == "participation-without-role" and k == 0):
            w.uri(pu, KG + "role", KG + (ROLES[0] if k == 0 else rng.choice(ROLES[1:])))
    # activities, target groups, expected results, outputs
    if rng.random() < 0.33 or defect == "activity-uri-zero":
        for n in range(1, rng.randint(1, 4) + 1):
            au = f"{p}/activity/{0 if (defect == 'activity-uri-zero' and n == 1) else n}"
            w.uri(p, KG + "hasActivity", au)
            w.typed(au, KG + "Activity")
            t = words(rng, WORDS_EN, 3).capitalize()
            w.text(au, DCT + "title", t, "en")
            w.text(au, DCT + "description", words(rng, WORDS_EN, 15).capitalize() + ".", "en")
            w.text(au, RDFS_LABEL, t, "en")
            w.string(au, KG + "activityKind", rng.choice(ACTIVITY_KINDS))
            w.lit(au, KG + "order", str(n), "integer")
            if rng.random() < 0.4:
                w.lit(au, KG + "quantity", str(rng.randint(1, 20)), "integer")
            if rng.random() < 0.3:
                w.lit(au, KG + "duration", rng.choice(("P5D", "P14D", "P6M", "P1Y6M", "P7M")), "duration")
            if rng.random() < 0.3:
                w.string(au, KG + "level", rng.choice(LEVELS))
    if rng.random() < 0.25:
        for n in range(1, rng.randint(1, 3) + 1):
            tu = f"{p}/target-group/{n}"
            w.uri(p, KG + "hasTargetGroup", tu)
            w.typed(tu, KG + "TargetGroup")
            w.text(tu, RDFS_LABEL, words(rng, WORDS_EN, 4).capitalize(), "en")
            w.text(tu, DCT + "description", words(rng, WORDS_EN, 10).capitalize() + ".", "en")
    if rng.random() < 0.25 or defect in ("range-min-above-max", "quantity-and-range"):
        for n in range(1, rng.randint(1, 3) + 1):
            eu = f"{p}/result/{n}"
            w.uri(p, KG + "hasExpectedResult", eu)
            w.typed(eu, KG + "ExpectedResult")
            d = words(rng, WORDS_EN, 8).capitalize()
            w.text(eu, DCT + "description", d, "en")
            w.text(eu, RDFS_LABEL, d, "en")
            if n == 1 and defect == "range-min-above-max":
                w.lit(eu, KG + "minQuantity", "20", "integer")
                w.lit(eu, KG + "maxQuantity", "10", "integer")
            elif n == 1 and defect == "quantity-and-range":
                w.lit(eu, KG + "quantity", "15", "integer")
                w.lit(eu, KG + "minQuantity", "10", "integer")
                w.lit(eu, KG + "maxQuantity", "20", "integer")
            elif rng.random() < 0.7:
                w.lit(eu, KG + "quantity", str(rng.randint(1, 500)), "integer")
                if rng.random() < 0.3:
                    w.lit(eu, KG + "isApproximate", "true", "boolean")
            else:
                lo = rng.randint(1, 50)
                w.lit(eu, KG + "minQuantity", str(lo), "integer")
                w.lit(eu, KG + "maxQuantity", str(lo + rng.randint(0, 50)), "integer")
            w.text(eu, KG + "unit", rng.choice(UNITS), "en")
    if rng.random() < 0.25:
        for n in range(1, rng.randint(1, 3) + 1):
            ou = f"{p}/output/{n}"
            w.uri(p, KG + "hasOutput", ou)
            w.typed(ou, KG + "Output")
            t = words(rng, WORDS_EN, 3).capitalize()
            w.text(ou, DCT + "title", t, "en")
            w.text(ou, RDFS_LABEL, t, "en")
            w.string(ou, KG + "outputKind", rng.choice(OUTPUT_KINDS))
    if rng.random() < 0.05:
        cu = f"{p}/contact/1"
        w.uri(p, KG + "contactPoint", cu)
        w.typed(cu, KG + "ContactPoint")
        w.uri(cu, VCARD + "hasURL", f"https://example.org/contact/{i}")


def city(w, ci, cities, city_done) -> None:
    if city_done[ci]:
        return
    city_done[ci] = 1
    uri, name, c = cities[ci]
    w.typed(uri, KG + "City")
    w.text(uri, RDFS_LABEL, name, "it")
    w.uri(uri, KG + "country", COUNTRY + c)


def organisation(w, rng, oi, org_done, countries, cities, city_done) -> str:
    ou = f"{BASE}id/organisation/org-{oi}"
    if org_done[oi]:
        return ou
    org_done[oi] = 1
    name = f"{words(rng, WORDS_EN, 2).title()} {rng.choice(ORG_TYPES).title()} {oi}"
    w.typed(ou, KG + "Organisation")
    w.string(ou, DCT + "identifier", f"org-{oi}")
    w.string(ou, RDFS_LABEL, name)
    w.string(ou, KG + "legalName", name)
    if rng.random() < 0.5:
        w.string(ou, KG + "shortName", "".join(x[0] for x in name.split()[:3]).upper())
    w.string(ou, KG + "organisationType", rng.choice(ORG_TYPES))
    if rng.random() < 0.6:
        w.uri(ou, FOAF + "homepage", f"https://org{oi}.example.eu/")
    w.uri(ou, KG + "country", COUNTRY + rng.choice(countries))
    if rng.random() < 0.4:
        ci = rng.randrange(len(cities))
        city(w, ci, cities, city_done)
        w.uri(ou, KG + "city", cities[ci][0])
    return ou


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--projects", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--defect-rate", type=float, default=0.002)
    ap.add_argument("--defects-out", type=Path, default=None)
    args = ap.parse_args(argv)
    info = generate(args.projects, args.seed, args.out, args.defect_rate, args.defects_out)
    print(json.dumps(info), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
