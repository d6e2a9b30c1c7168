"""The labelled evaluation set of organisation linking, built from the real names in ../shared/data.

Every real organisation name (CORDIS organisation rows, Erasmus+ platform coordinators and partners,
with country and city) is the "known" side. For each, one pair is generated with known truth, the kind
chosen in turn (fixed seed), at the rates of :data:`KINDS`: variants of the same organisation (legal
form added or changed, a typo, an abbreviation, upper case, Greek transliteration, word order,
city missing) and different organisations (the same name in another country, the same name with a
conflicting PIC, another real name of the same country sharing a word). Real cross-source pairs (the
same normalised name and country in CORDIS and the platform) are added as matches.
:func:`evaluate` scores every pair with :func:`kg.linking.evidence.compare`; a candidate counts as
not linked (it waits for a person).
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from kg.linking.evidence import Profile, TermFrequencies, compare
from kg.linking.names import normalise

COUNTRY = "http://publications.europa.eu/resource/authority/country/"
ALPHA2 = {"EL": "GRC", "GR": "GRC", "UK": "GBR", "GB": "GBR"}

# kind → (truth, weight): how often each kind is generated
KINDS: dict[str, tuple[bool, int]] = {
    "legal-form": (True, 3),
    "typo": (True, 2),
    "abbreviation": (True, 1),
    "upper-case": (True, 1),
    "transliteration": (True, 1),
    "word-order": (True, 1),
    "missing-city-and-identifier": (True, 2),
    "same-name-other-country": (False, 2),
    "identifier-conflict": (False, 1),
    "other-name-same-country": (False, 3),
}
LEGAL_FORMS = ["S.r.l.", "ETS", "APS", "Onlus", "e.V.", "gGmbH", "S.L.", "Ltd", "AISBL", "ΑΜΚΕ", "GmbH", "SA", "asbl", "vzw"]
_TRAILING_FORM = re.compile(r"(?i)[ ,]+(s\.?r\.?l\.?|gmbh|ltd|e\.?v\.?|s\.?a\.?|aisbl|asbl)$")
GREEK = dict(zip("abgdezhiklmnxoprstyfo", "αβγδεζηικλμνξοπρστυφω", strict=True))


def _country(code: str) -> str | None:
    code = code.strip().upper()
    if not code:
        return None


    alpha3 = ALPHA2.get(code)
    if alpha3 is None:
        c = pycountry.countries.get(alpha_2=code)
        alpha3 = c.alpha_3 if c else None
    return COUNTRY + alpha3 if alpha3 else None


def real_names(shared: Path) -> list[Profile]:
    """Every organisation the real samples name, once per (name, country)."""
    seen: set[tuple[str, str | None]] = set()
    out: list[Profile] = []

    def add(name: str, country: str | None, city: str | None, source: str, pic: str | None = None) -> None:
        name = re.sub(r"\s+", " ", name).strip()
        if not name or (name, country) in seen:
            return
        seen.add((name, country))
        p = Profile(name=name, country=country, city=city or None, identifiers={"pic": pic} if pic else {})
        p.id = f"{source}:{len(out)}"
        out.append(p)

    for path in sorted((shared / "cordis-horizon-europe" / "head-100-rows").glob("organization*.csv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                add(row.get("name", ""), _country(row.get("country", "")), row.get("city"), "cordis", row.get("organisationID"))
    for path in sorted((shared / "erasmus-plus-results-platform").glob("*.json")):
        row = json.loads(path.read_text(encoding="utf-8"))
        prefixes = [("Coordinating organisation name", "Coordinator's country", "Coordinator's address")]
        prefixes += [(f"Partner {n} name", f"Partner {n} country", f"Partner {n} address") for n in range(1, 101)]
        for name_col, country_col, address_col in prefixes:
            name = row.get(name_col) or ""
            address = row.get(address_col) or ""
            city = address.rsplit(",", 1)[-1].strip() if "," in address else None
            add(name.split(";")[0], _country(row.get(country_col) or ""), city, "erasmus")
    return out


def _typo(name: str, rng: random.Random) -> str:
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[longest]
    if len(w) >= 5:
        i = rng.randrange(1, len(w) - 2)
        w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]  # two letters swapped
    words[longest] = w
    return " ".join(words)


def _abbreviate(name: str) -> str:
    out = re.sub(r"(?i)\buniversit\w*", "Univ.", name, count=1)
    if out == name:
        out = re.sub(r"(?i)\b(institut\w*|association|associazione|foundation|fondazione)\b", lambda m: m.group(0)[:4] + ".", name, count=1)
    return out


def _greek(name: str) -> str:
    return "".join(GREEK.get(ch, ch) for ch in name.lower())


def _word_order(name: str) -> str:
    m = re.match(r"(?i)^(university|universita|universidad|universite|universitat)\s+(of|degli studi di|de|di)\s+(.+)$", name)
    if m:
        return f"{m.group(3)} {m.group(1)}"
    words = name.split()
    return " ".join(words[1:] + words[:1]) if len(words) > 1 else name


@dataclass
class Pair:
    kind: str
    truth: bool
    a: Profile
    b: Profile


@dataclass
class Result:
    names: int
    pairs: int
    precision: float
    recall: float
    candidates: int
    by_kind: dict[str, dict[str, str | int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def labelled_pairs(known: list[Profile], *, size: int, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    kinds = [k for k, (_, w) in KINDS.items() for _ in range(w)]
    by_country: dict[str | None, list[Profile]] = {}
    for p in known:
        by_country.setdefault(p.country, []).append(p)
    countries = sorted(c for c in by_country if c)
    pairs: list[Pair] = []
    for i in range(size):
        base = known[i % len(known)]
        kind = kinds[i % len(kinds)]
        truth = KINDS[kind][0]
        name, country, city, ids = base.name, base.country, base.city, dict(base.identifiers)
        if kind == "legal-form":
            name = f"{_TRAILING_FORM.sub('', name)} {rng.choice(LEGAL_FORMS)}"
            ids = {}
        elif kind == "typo":
            name, ids = _typo(name, rng), {}
        elif kind == "abbreviation":
            name, ids = _abbreviate(name), {}
        elif kind == "upper-case":
            name, ids = name.upper(), {}
        elif kind == "transliteration":
            name, ids = _greek(name), {}
        elif kind == "word-order":
            name, ids = _word_order(name), {}
        elif kind == "missing-city-and-identifier":
            city, ids = None, {}
        elif kind == "same-name-other-country":
            if base.country is None:
                continue  # a name without a country cannot be said to be in another one
            others = [c for c in countries if c != base.country]
            country, ids = rng.choice(others), {}
        elif kind == "identifier-conflict":
            ids = {"pic": str(rng.randrange(900000000, 999999999))}
            if not base.identifiers:
                base = Profile(name=base.name, country=base.country, city=base.city, identifiers={"pic": "888888888"})
        elif kind == "other-name-same-country":
            pool = [p for p in by_country.get(base.country, []) if p is not base and normalise(p.name) != normalise(base.name)]
            sharing = [p for p in pool if set(p.toks) & set(base.toks)]
            other = rng.choice(sharing or pool) if (sharing or pool) else None
            if other is None:
                continue
            pairs.append(Pair(kind, False, Profile(name=other.name, country=other.country, city=other.city), base))
            continue
        pairs.append(Pair(kind, truth, Profile(name=name, country=country, city=city, identifiers=ids), base))
    # real cross-source pairs: one normalised name and country in CORDIS and on the platform
    by_key: dict[tuple[str, str | None], list[Profile]] = {}
    for p in known:
        by_key.setdefault((p.norm, p.country), []).append(p)
    for group in by_key.values():
        sources = {str(p.id).split(":")[0] for p in group}
        if len(sources) > 1:
            pairs.append(Pair("real-cross-source", True, group[1], group[0]))
    return pairs


def evaluate(shared: Path, *, size: int = 400, seed: int = 15) -> Result:
    known = real_names(shared)
    counts: Counter[str] = Counter(t for p in known for t in set(p.toks))
    tf = TermFrequencies(lambda t: counts.get(t, 0) + 1, lambda: len(known) + 1)
    pairs = labelled_pairs(known, size=size, seed=seed)
    tp = fp = fn = cand = 0
    by_kind: dict[str, dict[str, str | int]] = {}
    errors: list[str] = []
    for pair in pairs:
        d = compare(pair.a, pair.b, tf)
        row = by_kind.setdefault(pair.kind, {"pairs": 0, "truth": "same" if pair.truth else "different", "linked": 0, "candidate": 0, "distinct": 0})
        row["pairs"] = int(row["pairs"]) + 1
        row[d.outcome] = int(row[d.outcome]) + 1
        linked = d.outcome == "linked"
        cand += d.outcome == "candidate"
        if linked and pair.truth:
            tp += 1
        elif linked:
            fp += 1
            errors.append(f"false link ({pair.kind}): {d.text()}")
        elif pair.truth:
            fn += 1
            errors.append(f"missed ({pair.kind}, {d.outcome}): {d.text()}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Result(len(known), len(pairs), precision, recall, cand, by_kind, errors)


def write_report(path: Path, result: Result, *, size: int, seed: int) -> None:
    lines = [
        f"<!-- written by `kg orgs evaluate --size {size} --seed {seed} --report {path.name}`; do not edit -->",
        f"Labelled pairs: {result.pairs} ({result.names} real names from ../shared/data, seed {seed}).",
        "",
        f"**Precision {result.precision:.4f}, recall {result.recall:.4f}** (a candidate counts as not linked; {result.candidates} candidates for review).",
        "",
        "| variant | truth | pairs | linked | candidate | distinct |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for kind, row in sorted(result.by_kind.items()):
        lines.append(f"| {kind} | {row['truth']} | {row['pairs']} | {row['linked']} | {row['candidate']} | {row['distinct']} |")
    lines += ["", "Errors (first 20):", ""]
    lines += [f"- {e}" for e in result.errors[:20]] or ["- none"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
