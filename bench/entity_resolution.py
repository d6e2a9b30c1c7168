"""Entity resolution at scale: resolve N new organisation occurrences against K known ones.

    flock /tmp/bench.lock .venv/bin/python bench/entity_resolution.py --known 300000 --new 100000 --seed 15

The known organisations are registered through the real registry (kg-registry.sqlite, as a
curated or earlier import would), then the new occurrences are resolved one by one by
``OrganisationRegistry.resolve`` — identifiers, exact keys, blocking, the Fellegi–Sunter score —
exactly as an import does. Names are generated from the real names in ../shared/data (fixed seed):
each known organisation is a real name with a random distinctive word (so names are as diverse as a
real register), half of the new occurrences are variants of known ones (legal form, case, typo,
missing city), half are new organisations. Prints the time of each phase and the outcome counts.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from kg.linking.evaluation import LEGAL_FORMS, real_names
from kg.linking.organisations import Occurrence, OrganisationRegistry

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9))).capitalize()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--known", type=int, default=30_000)
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--shared", type=Path, default=SHARED)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    names = [p for p in real_names(args.shared) if p.country]
    countries = sorted({p.country for p in names if p.country})
    known: list[Occurrence] = []
    for i in range(args.known):
        base = rng.choice(names)
        country = rng.choice(countries)
        name = f"{base.name} {word(rng)}"
        known.append(Occurrence(name=name, country=country, country_code="XX", city=word(rng), facts={"legal_name": name},
                                location=f"known.csv:{i + 2}", project_key=f"k{i}"))
    new: list[Occurrence] = []
    for i in range(args.new):
        if i % 2 == 0:
            k = rng.choice(known)
            variant = rng.choice(["legal-form", "upper", "typo", "no-city"])
            name = k.name
            city = k.city
            if variant == "legal-form":
                name = f"{name} {rng.choice(LEGAL_FORMS)}"
            elif variant == "upper":
                name = name.upper()
            elif variant == "typo":
                w = name.split()
                w[-1] = w[-1][:2] + w[-1][3] + w[-1][2] + w[-1][4:]
                name = " ".join(w)
            else:
                city = None
            new.append(Occurrence(name=name, country=k.country, country_code="XX", city=city, facts={"legal_name": name},
                                  location=f"new.csv:{i + 2}", project_key=f"n{i}"))
        else:
            base = rng.choice(names)
            name = f"{base.name} {word(rng)}"
            new.append(Occurrence(name=name, country=rng.choice(countries), country_code="XX", city=word(rng),
                                  facts={"legal_name": name}, location=f"new.csv:{i + 2}", project_key=f"n{i}"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kg-registry.sqlite"
        t0 = time.perf_counter()
        reg = OrganisationRegistry(path, origin="https://w3id.org/euprojects/graph/import/bench/known", run="known")
        for occ in known:
            reg.resolve(occ)
        reg.close()
        t1 = time.perf_counter()
        reg = OrganisationRegistry(path, origin="https://w3id.org/euprojects/graph/import/bench/new", run="new")
        outcomes: Counter[str] = Counter()
        for occ in new:
            res = reg.resolve(occ)
            outcomes["new node" if res.new else "linked"] += 1
            for m in res.matches:
                outcomes[f"decision {m.decided}"] += 1
        reg.close()
        t2 = time.perf_counter()
    print(f"registering {args.known:,} known organisations: {t1 - t0:.1f} s")
    print(f"resolving {args.new:,} new occurrences against them: {t2 - t1:.1f} s ({args.new / (t2 - t1):,.0f}/s)")
    print("outcomes:", dict(sorted(outcomes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
