"""Synthetic CORDIS and Erasmus+ exports at N projects, shaped like the real samples.

    python bench/gen_exports.py --projects 100000 --seed 42 --out /tmp/exports-100k

Writes, under ``--out``:

* ``cordis/project.csv`` and ``cordis/organization.csv`` — the official CORDIS layout: ``;``-separated,
  CRLF, fields quoted where needed (``csv.QUOTE_MINIMAL``), the official columns in the official
  order, multi-line objectives (a third of them hold line breaks, some hold ``"`` and ``;``),
  booleans ``true``/``false``, EU-style country codes (``EL`` Greece, ``UK`` United Kingdom).
* ``erasmus/projects.csv`` — a Project Results Platform export: comma CSV whose header is the real
  column list of the Erasmus+ KA2 row in ``../shared/data/erasmus-plus-results-platform`` (622
  columns, Partner 1..100), one row per project.

Distributions (fixed by ``--seed``) come from the real rows in ``../shared/data``: titles, acronyms,
objectives, legal bases, topics, calls, funding schemes, amounts and durations are drawn from the
Horizon Europe head-100 ``project`` table (with small perturbations and a suffix so every title is
distinct); participants per project follow the head-100 ``organization`` table (1 for ~56 %, up to
10+), roles coordinator / participant / thirdParty / associatedPartner in its proportions;
organisations (name, activity type, city, postcode, NUTS, geolocation, country) come from a pool of
~N/3 organisations derived from the real rows, shared between projects (so the organisation linker
sees both new and known organisations), PIC-identified. Erasmus+ rows are drawn from the 6 real
Erasmus+ rows (KA1 with 0–2 partners, KA2 with 2–9), with countries and organisations from the same
pool. Rows are written as they are generated: memory stays flat whatever N.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from datetime import date, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HEAD = DATA / "cordis-horizon-europe" / "head-100-rows"
ERASMUS = DATA / "erasmus-plus-results-platform"

PROJECT_COLUMNS = (
    "id;acronym;status;title;startDate;endDate;totalCost;ecMaxContribution;legalBasis;topics;ecSignatureDate;"
    "frameworkProgramme;masterCall;subCall;fundingScheme;objective;contentUpdateDate;rcn;grantDoi"
).split(";")
ORG_COLUMNS = (
    "projectID;projectAcronym;organisationID;vatNumber;name;shortName;SME;activityType;street;postCode;city;country;"
    "nutsCode;geolocation;organizationURL;contactForm;contentUpdateDate;rcn;order;role;ecContribution;"
    "netEcContribution;totalCost;endOfParticipation"
).split(";")
ERASMUS_TEMPLATE = "ErasmusPlus_KA2_CooperationForInnovationAndTheExchangeOfGoodPractices_Projects_Overview.json"

# EU-style codes: the samples hold few or no Greek / British rows; these add them in realistic shares
EXTRA_COUNTRIES = {"EL": 4, "UK": 3, "CH": 2, "NO": 1, "IL": 1, "TR": 1}
CITIES = {"EL": ["Athens", "Thessaloniki", "Patras", "Heraklion"], "UK": ["London", "Cambridge", "Edinburgh", "Manchester"],
          "CH": ["Zurich", "Geneva", "Lausanne"], "NO": ["Oslo", "Trondheim"], "IL": ["Haifa", "Tel Aviv"], "TR": ["Ankara", "Istanbul"]}
STATUSES = [("SIGNED", 80), ("CLOSED", 15), ("TERMINATED", 5)]
ROLES = [("participant", 44), ("thirdParty", 14), ("associatedPartner", 3)]
WORDS = ["Integrated", "Sustainable", "Advanced", "Resilient", "Digital", "Green", "Open", "Smart",
         "Collaborative", "Novel", "Inclusive", "Circular", "Adaptive", "Scalable", "Trustworthy"]


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def _money(value: float) -> str:
    """Amounts as the CORDIS CSV writes them: whole euros, or euros and cents with a decimal comma (``500620,95``)."""
    cents = round(value * 100)
    return str(cents // 100) if cents % 100 == 0 else f"{cents // 100},{cents % 100:02d}"


class Samples:
    def __init__(self, rng: random.Random, n_projects: int):
        self.rng = rng
        self.first_id = 0  # CORDIS project ids start at 101000000 + first_id
        self.projects = _read(HEAD / "project_df_100.csv")
        orgs = _read(HEAD / "organization_df_100.csv")
        self.orgs = orgs
        by_project: dict[str, int] = {}
        for o in orgs:
            by_project[o["projectID"]] = by_project.get(o["projectID"], 0) + 1
        self.participant_counts = list(by_project.values())  # the empirical distribution
        countries: dict[str, int] = {}
        for o in orgs:
            if o["country"]:
                countries[o["country"]] = countries.get(o["country"], 0) + 1
        for c, w in EXTRA_COUNTRIES.items():
            countries[c] = countries.get(c, 0) + w
        self.countries = list(countries.items())
        self.by_country: dict[str, list[dict[str, str]]] = {}
        for o in orgs:
            self.by_country.setdefault(o["country"], []).append(o)
        self.pool_size = max(50, n_projects // 3)
        self.erasmus_rows = [
            json.loads(p.read_text(encoding="utf-8")) for p in sorted(ERASMUS.glob("ErasmusPlus_*.json"))
        ]
        self.erasmus_header = list(json.loads((ERASMUS / ERASMUS_TEMPLATE).read_text(encoding="utf-8")))

    def organisation(self, k: int) -> dict[str, str]:
        """Organisation k of the pool: deterministic in k (so reuse across projects is consistent)."""
        r = random.Random(k * 7919 + 17)
        country = _weighted(r, self.countries)
        same = self.by_country.get(country)
        base = same[k % len(same)] if same else self.orgs[k % len(self.orgs)]
        pic = str(880000000 + k * 7 % 119999999)
        name = f"{base['name']} {k}" if k >= len(self.orgs) else base["name"]
        return {
            "organisationID": pic,
            "vatNumber": f"{country}{r.randint(10**8, 10**9 - 1)}" if r.random() < 0.7 else "",
            "name": name,
            "shortName": (base["shortName"] + str(k)) if base["shortName"] else "",
            "SME": "true" if base["activityType"] == "PRC" and r.random() < 0.6 else "false",
            "activityType": base["activityType"],
            "street": base["street"] if country == base["country"] else f"{r.randint(1, 200)} Main Street",
            "postCode": base["postCode"] if country == base["country"] else str(r.randint(10000, 99999)),
            "city": base["city"] if country == base["country"] else CITIES[country][k % len(CITIES[country])],
            "country": country,
            "nutsCode": base["nutsCode"] if country == base["country"] else (country + str(r.randint(1, 9)) if r.random() < 0.8 else ""),
            "geolocation": base["geolocation"] if country == base["country"] else "",
            "organizationURL": base["organizationURL"],
        }


def write_cordis(out: Path, n: int, s: Samples) -> tuple[int, int]:
    rng = s.rng
    out.mkdir(parents=True, exist_ok=True)
    n_orgs = 0
    with open(out / "project.csv", "w", newline="", encoding="utf-8") as pf, open(out / "organization.csv", "w", newline="", encoding="utf-8") as of:
        pw = csv.writer(pf, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        ow = csv.writer(of, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        pw.writerow(PROJECT_COLUMNS)
        ow.writerow(ORG_COLUMNS)
        for i in range(n):
            p = rng.choice(s.projects)
            pid = str(101000000 + s.first_id + i)
            acronym = f"{p['acronym']}{i}"[:20]
            start = date(2021, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
            start = start.replace(day=1)
            months = rng.choice([12, 18, 24, 30, 36, 36, 42, 48, 48, 60])
            end = date(start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1) - timedelta(days=1)
            signature = start - timedelta(days=rng.randrange(20, 200))
            ec = float((p["ecMaxContribution"] or "1000000").replace(",", ".")) * rng.uniform(0.6, 1.4)
            total = ec * (1.0 if rng.random() < 0.6 else rng.uniform(1.0, 1.5))
            objective = p["objective"]
            r = rng.random()
            if r < 0.33:  # multi-line objectives: quoted fields with line breaks
                objective = objective.replace(". ", ".\n", rng.randint(1, 4))
            elif r < 0.38:
                objective = f'The "{acronym}" project; {objective}'
            title = f"{rng.choice(WORDS)} {p['title']} ({i})"
            pw.writerow([
                pid, acronym, _weighted(rng, STATUSES), title, start.isoformat(), end.isoformat(),
                _money(total), _money(ec), p["legalBasis"], p["topics"], signature.isoformat(),
                p["frameworkProgramme"], p["masterCall"], p["subCall"], p["fundingScheme"], objective,
                f"{signature.isoformat()} 14:40:12", str(250000 + i), f"10.3030/{pid}",
            ])
            k = rng.choice(s.participant_counts)
            if k > 1 and rng.random() < 0.3:
                k += rng.randint(0, 8)  # the tail of big consortia
            shares = [rng.random() + (1.0 if j == 0 else 0.0) for j in range(k)]
            norm = sum(shares)
            chosen: set[int] = set()
            for j in range(k):
                org_k = rng.randrange(s.pool_size)
                while org_k in chosen:
                    org_k = rng.randrange(s.pool_size)
                chosen.add(org_k)
                o = s.organisation(org_k)
                role = "coordinator" if j == 0 else _weighted(rng, ROLES)
                contribution = 0.0 if role in ("thirdParty", "associatedPartner") and rng.random() < 0.5 else ec * shares[j] / norm
                ow.writerow([
                    pid, acronym, o["organisationID"], o["vatNumber"], o["name"], o["shortName"], o["SME"],
                    o["activityType"], o["street"], o["postCode"], o["city"], o["country"], o["nutsCode"],
                    o["geolocation"], o["organizationURL"],
                    f"https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/contact-form/project/{o['organisationID']}/{pid}",
                    f"{signature.isoformat()} 14:40:12", str(1900000 + n_orgs), str(j + 1), role,
                    _money(contribution), _money(contribution), _money(contribution * rng.uniform(1.0, 1.3)),
                    "false" if rng.random() < 0.97 else "true",
                ])
                n_orgs += 1
    return n, n_orgs


ORG_TYPES = ["Higher education institution (tertiary level)", "School/Institute/Educational centre – General education (secondary level)",
             "Non-governmental organisation/association/social enterprise", "Research Institute/Centre", "Small and medium sized enterprise",
             "Public body (local)", "Other", "Foundation"]


def write_erasmus(out: Path, n: int, s: Samples) -> tuple[int, int]:
    rng = s.rng
    out.mkdir(parents=True, exist_ok=True)
    header = s.erasmus_header
    grant = next(h for h in header if h.startswith("EU Grant award in euros"))
    n_partners_max = max(int(h.split()[1]) for h in header if h.startswith("Partner ") and h.endswith(" name"))
    partners_total = 0
    with open(out / "projects.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(n):
            base = rng.choice(s.erasmus_rows)
            ka2 = "KA2" in base.get("Project Identifier", "") or rng.random() < 0.35
            year = rng.randint(2014, 2020)
            coord = s.organisation(rng.randrange(s.pool_size))
            k = rng.randint(2, 9) if ka2 else rng.choice([0, 0, 0, 1, 2])
            k = min(k, n_partners_max)
            row = {h: "" for h in header}
            for h in ("Programme", "Key Action", "Action Type", "Topics", "Project Summary", "Project Status",
                      "Is Good Practice", "Is Success Story", "Results Available"):
                row[h] = base.get(h, "")
            ident = f"{year}-{rng.randint(1, 3)}-{coord['country']}01-KA{'2' if ka2 else '1'}{rng.randint(0, 99):02d}-{i:06d}"
            row["Call year"] = str(year)
            row["Project Identifier"] = ident
            row["Project Title"] = f"{rng.choice(WORDS)} {base['Project Title']} {i}"
            if rng.random() < 0.2:
                row["Project Summary"] = row["Project Summary"].replace(". ", ".\n", 2)
            row[grant] = _money(rng.uniform(15_000, 450_000) if ka2 else rng.uniform(3_000, 120_000))
            row["Results Platform Project Card"] = f"https://ec.europa.eu/programmes/erasmus-plus/projects/eplus-project-details/#project/{ident}"
            row["Project Website"] = f"https://project-{i}.example.eu" if rng.random() < 0.3 else ""
            row["Coordinating organisation name"] = coord["name"]
            row["Coordinating organisation type"] = rng.choice(ORG_TYPES)
            row["Coordinator's address"] = f"{coord['street']}, {coord['postCode']}, {coord['city']}".strip(", ")
            row["Coordinator's region"] = coord["city"]
            row["Coordinator's country"] = coord["country"]
            row["Coordinator's website"] = coord["organizationURL"]
            countries = [coord["country"]]
            used = set()
            for j in range(1, k + 1):
                ok = rng.randrange(s.pool_size)
                while ok in used:
                    ok = rng.randrange(s.pool_size)
                used.add(ok)
                o = s.organisation(ok)
                row[f"Partner {j} name"] = o["name"]
                row[f"Partner {j} organisation type"] = rng.choice(ORG_TYPES)
                row[f"Partner {j} address"] = f"{o['street']}, {o['postCode']}, {o['city']}".strip(", ")
                row[f"Partner {j} region"] = o["city"]
                row[f"Partner {j} country"] = o["country"]
                row[f"Partner {j} website"] = o["organizationURL"]
                if o["country"] not in countries:
                    countries.append(o["country"])
            partners_total += k
            row["Participating countries"] = ",".join(countries)
            w.writerow([row[h] for h in header])
    return n, partners_total


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--projects", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--only", choices=["cordis", "erasmus"], help="write only one of the exports")
    ap.add_argument("--first-id", type=int, default=0, help="CORDIS project ids start at 101000000 + this (a second batch beside a first)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rng = random.Random(args.seed)
    s = Samples(rng, args.projects)
    s.first_id = args.first_id
    if args.only in (None, "cordis"):
        p, o = write_cordis(args.out / "cordis", args.projects, s)
        print(f"cordis: {p} projects, {o} participations → {args.out / 'cordis'}")
    if args.only in (None, "erasmus"):
        s.rng = random.Random(args.seed + 1)
        p, o = write_erasmus(args.out / "erasmus", args.projects, s)
        print(f"erasmus: {p} projects, {o} partners → {args.out / 'erasmus' / 'projects.csv'}")
    print(f"{time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
