"""Is this the same organisation? Identifiers first, then a Fellegi–Sunter score over the rest.

A :class:`Profile` is an organisation as compared: its normalised name tokens, country, city,
postcode, website domain, a coarse type, and every identifier a source states. :func:`compare`
decides a pair in this order:

1. **Identifiers.** Schemes that name one legal entity (:data:`LINKING_SCHEMES`: CORDIS PIC,
   Erasmus+ OID, VAT, national registry numbers, ROR, Wikidata) — an equal value links (rule
   ``identifier:<scheme>``); a *different* value in the same scheme forbids a link, whatever the names
   say (outcome ``distinct``, rule ``identifier-conflict``).
2. **Two countries are never merged** (``distinct``, rule ``country-conflict``). A country missing on
   one side is no contradiction.
3. **Fellegi–Sunter.** The match weight is the prior log-odds plus, for each comparison, log2(m/u):
   m the probability of what is seen if the pair is one organisation, u if it is two. The m and u
   values are explicit constants here (:data:`M_U`), set once from the labelled evaluation set
   (docs/entity-resolution.md) — not fitted at run time, so a decision never changes with what else
   was imported. The name comparison is term-frequency adjusted (as splink's TF adjustment): u is the
   chance that a *different* organisation shares the tokens that agree, from how many known names
   contain each token (:class:`TermFrequencies`) and a floor for generic words (:data:`GENERIC`), so
   ``cesie`` agreeing is strong evidence and ``comune di`` is not; distinctive tokens on each side
   that the other lacks are evidence against. Missing values weigh nothing (weight 0).

Outcome: ``linked`` at probability ≥ :data:`LINK_AT`, ``candidate`` (for review) at ≥
:data:`CANDIDATE_AT`, else ``distinct``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rapidfuzz.distance import JaroWinkler

from kg.linking.names import domain as website_domain
from kg.linking.names import fold, normalise, tokens

# Identifier schemes that name one legal entity: equal links, different forbids.
LINKING_SCHEMES = ("pic", "oid", "vat", "registry", "ror", "wikidata")
SCHEME_ALIASES = {"cordis": "pic", "erasmus-oid": "oid", "qid": "wikidata"}

LINK_AT = 0.99
CANDIDATE_AT = 0.5
PRIOR = 0.05  # P(same organisation) for a pair that shares a block (a distinctive name token)

# (m, u) per comparison level; the name's u comes from term frequencies instead (see name_weight)
M_U: dict[str, tuple[float, float]] = {
    "country=": (0.98, 1 / 30),  # ~30 countries in the data
    "city=": (0.70, 0.01),
    "city≠": (0.15, 0.99),  # campuses, districts, a head office elsewhere in the country
    "postcode=": (0.55, 0.0005),
    "postcode≠": (0.35, 0.9995),
    "domain=": (0.85, 0.0002),
    "domain≠": (0.10, 0.9998),
    "type=": (0.75, 0.35),
    "type≠": (0.20, 0.65),
}
NAME_M_EXACT = 0.70  # the normalised names are equal
NAME_M_FUZZY = 0.25  # every token agrees, some only approximately (typos, abbreviations, order)
NAME_M_EXTRA = 0.25  # factor per distinctive token only one side has ("… di Palermo" vs "… Palermo Onlus")
NAME_M_SWAP = 0.01  # factor per distinctive token each side has and the other lacks (Palermo vs Catania)
P_UNSEEN = 1e-4  # chance that another organisation has a token no other known name has
U_NAME_FLOOR = 1e-4  # ... and that another organisation has the same whole name, however rare its tokens
FUZZY_AT = 0.84  # Jaro–Winkler similarity at which two tokens agree approximately

# Words of organisation names so common that agreeing on them says little (floor of their frequency).
# Anything not listed gets its frequency from the known names only.
GENERIC: dict[str, float] = {
    **dict.fromkeys("of de di del della degli des du der la le el il lo and et und e y i in for per pour fur a the da do das dos zu na".split(), 0.3),
    **dict.fromkeys(
        """university universita universitat universidad universite universiteit uniwersytet universitatea univerzita
        college school scuola schule escola escuela ecole istituto institute instituto institut
        comprensivo liceo gymnasium lyceum primary secondary high centre center centro zentrum
        municipality comune municipio gemeinde city town council county region regione provincia
        association associazione asociacion associacao association verein vereniging stowarzyszenie
        foundation fondazione fundacion fundacao stiftung fondation fundacja
        cooperativa cooperative society societa social sociale
        national nazionale nacional european europe europea international internazionale
        research ricerca development sviluppo education educazione training formazione culture cultura
        studies studi studio technical technology technologie tecnica polytechnic politecnico
        public pubblica general generale youth giovani network rete agency agenzia
        ministry ministero office ufficio chamber camera commerce commercio hospital ospedale
        academy accademia akademie group gruppo company services servizi""".split(),
        0.02,
    ),
}

_TYPE_WORDS = (
    ("higher-education", ("higher education", "hes", "university", "tertiary")),
    ("school", ("school", "educational centre", "general education", "vocational")),
    ("research", ("research", "rec")),
    ("public", ("public bod", "pub", "local authority", "public authority", "municipal")),
    ("company", ("private for-profit", "prc", "enterprise", "company", "sme")),
    ("ngo", ("non-governmental", "ngo", "association", "foundation", "non-profit")),
)


def type_class(text: str | None) -> str | None:
    """A coarse class of what a source calls the organisation's type (CORDIS activity types and the
    Erasmus+ platform's organisation types meet here); None when it says too little ("Other")."""
    if not text:
        return None
    t = text.casefold().strip()
    for name, words in _TYPE_WORDS:
        if any(t == w or (len(w) > 3 and w in t) for w in words):
            return name
    return None


def scheme_of(key: str) -> str:
    """``cordis`` → ``pic``; ``registry:it`` stays itself (national registries name their country)."""
    return SCHEME_ALIASES.get(key, key)


def identifier_value(scheme: str, value: str) -> str:
    """An identifier as compared: upper case, separators off (``IT 01234567890`` → ``IT01234567890``);
    a Wikidata QID or ROR id from its URI."""
    v = value.strip()
    if scheme == "wikidata":
        v = v.rsplit("/", 1)[-1]
    elif scheme == "ror":
        v = v.rsplit("/", 1)[-1].lower()
        return v
    return re.sub(r"[\s.\-/]", "", v).upper()


def post_code_key(text: str | None) -> str | None:
    return re.sub(r"[\s\-]", "", text).upper() if text and text.strip() else None


@dataclass
class Profile:
    """An organisation as compared."""

    name: str
    country: str | None = None
    city: str | None = None
    post_code: str | None = None
    website: str | None = None
    type: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)  # scheme → value as stated
    id: str | None = None
    # derived (see __post_init__)
    norm: str = ""
    toks: tuple[str, ...] = ()
    city_key: str = ""
    post: str | None = None
    domain: str | None = None
    type_class: str | None = None
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.norm = normalise(self.name)
        self.toks = tuple(tokens(self.name))
        self.city_key = " ".join(t for t in fold(self.city).split() if not any(c.isdigit() for c in t)) if self.city else ""
        self.post = post_code_key(self.post_code)
        self.domain = website_domain(self.website)
        self.type_class = type_class(self.type)
        ids = {}
        for key, value in self.identifiers.items():
            scheme = scheme_of(key)
            if value and (scheme in LINKING_SCHEMES or scheme.startswith("registry:")):
                ids[scheme] = identifier_value(scheme, value)
        self.ids = ids

    def as_facts(self) -> dict[str, str]:
        facts = {"name": self.name}
        for k in ("country", "city", "post_code", "website", "type"):
            v = getattr(self, k)
            if v:
                facts[k] = v
        for k, v in self.identifiers.items():
            facts[f"id:{k}"] = v
        return facts

    @classmethod
    def from_facts(cls, facts: Mapping[str, str], org_id: str | None = None) -> Profile:
        return cls(
            name=facts.get("name") or facts.get("legal_name") or facts.get("label") or "",
            country=facts.get("country"),
            city=facts.get("city"),
            post_code=facts.get("post_code"),
            website=facts.get("website"),
            type=facts.get("type") or facts.get("organisation_type"),
            identifiers={k[3:]: v for k, v in facts.items() if k.startswith("id:")} | ({"pic": facts["pic"]} if facts.get("pic") else {})
            | ({"vat": facts["vat"]} if facts.get("vat") else {}),
            id=org_id,
        )


class TermFrequencies:
    """How common a name token is among the known organisations: ``count(token)`` names contain it,
    of ``total`` names. ``count`` is any callable (a dict's get, a registry look-up)."""

    def __init__(self, count: Callable[[str], int], total: Callable[[], int]):
        self.count = count
        self.total = total

    def p(self, token: str, *, own: int = 1) -> float:
        """The chance that a random *other* organisation's name has ``token`` (``own``: the names of
        the pair itself counted in ``count``)."""
        n = max(self.total(), 1)
        others = max(self.count(token) - own, 0)
        return max(others / n, GENERIC.get(token, 0.0), P_UNSEEN)


@dataclass
class Decision:
    """The outcome for one pair, with the rule, the score and every piece of evidence."""

    outcome: str  # linked | candidate | distinct
    rule: str  # identifier:<scheme> | identifier-conflict | country-conflict | fellegi-sunter | review
    probability: float
    weight: float
    evidence: list[str]

    def text(self) -> str:
        return "; ".join(self.evidence)


def _token_agreement(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[list[str], list[str], list[str], bool]:
    """(tokens of ``a`` that agree with ``b``, ``a``'s tokens without a partner, ``b``'s, any only approximate)."""
    rest = list(b)
    shared: list[str] = []
    only_a: list[str] = []
    approx = False
    for t in a:
        if t in rest:
            rest.remove(t)
            shared.append(t)
            continue
        best, best_sim = None, 0.0
        for u in rest:
            if len(t) >= 3 and len(u) >= 3 and (u.startswith(t) or t.startswith(u)):
                sim = 0.95  # an abbreviation: "univ" / "university"
            elif abs(len(t) - len(u)) > 3 or min(len(t), len(u)) < 4:
                continue
            else:
                sim = JaroWinkler.similarity(t, u)
            if sim > best_sim:
                best, best_sim = u, sim
        if best is not None and best_sim >= FUZZY_AT:
            rest.remove(best)
            shared.append(t)
            approx = True
        else:
            only_a.append(t)
    return shared, only_a, rest, approx


def name_weight(a: Profile, b: Profile, tf: TermFrequencies) -> tuple[float, str]:
    """log2(m/u) of the name comparison, TF-adjusted, and its evidence line."""
    if a.norm == b.norm:
        u = math.prod(tf.p(t, own=2) for t in a.toks) if a.toks else 1.0
        m = NAME_M_EXACT
        how = "names equal once normalised"
    else:
        shared, only_a, only_b, approx = _token_agreement(a.toks, b.toks)
        if not shared:
            return math.log2(0.02 / 0.98), f"names share no token ({a.norm!r} / {b.norm!r})"
        u = math.prod(tf.p(t, own=2) for t in shared)
        m = NAME_M_FUZZY if (approx or only_a or only_b or a.toks != b.toks) else NAME_M_EXACT
        distinct_a = [t for t in only_a if GENERIC.get(t, 0) < 0.3]
        distinct_b = [t for t in only_b if GENERIC.get(t, 0) < 0.3]
        swaps = min(len(distinct_a), len(distinct_b))
        extras = max(len(distinct_a), len(distinct_b)) - swaps
        m *= NAME_M_EXTRA**extras
        if swaps:  # a distinctive word each side has and the other lacks (Complutense / Autónoma): two organisations
            m, u = NAME_M_SWAP**swaps, 0.99
        bits = [f"agree on {' '.join(shared)!r}{' (some approximately)' if approx else ''}"]
        if only_a or only_b:
            bits.append(f"unmatched {' '.join(only_a) or '-'!r} / {' '.join(only_b) or '-'!r}")
        how = "names " + ", ".join(bits)
    u = min(max(u, U_NAME_FLOOR if a.norm == b.norm else U_NAME_FLOOR / 10), 0.99)
    w = math.log2(m / u)
    return w, f"{how}: name weight {w:+.1f} (u={u:.2g}, term-frequency adjusted)"


def _level(label: str) -> float:
    m, u = M_U[label]
    return math.log2(m / u)


def compare(a: Profile, b: Profile, tf: TermFrequencies) -> Decision:
    """The decision for the pair (see the module docstring)."""
    evidence = [f"{a.name!r} ~ {b.name!r}"]
    conflicts = [s for s in a.ids.keys() & b.ids.keys() if a.ids[s] != b.ids[s]]
    agreements = sorted(s for s in a.ids.keys() & b.ids.keys() if a.ids[s] == b.ids[s])
    if conflicts:
        s = sorted(conflicts)[0]
        evidence.append(f"{s} {a.ids[s]} ≠ {b.ids[s]}: different identifiers forbid a link")
        return Decision("distinct", "identifier-conflict", 0.0, -math.inf, evidence)
    if a.country and b.country and a.country != b.country:
        evidence.append(f"country {a.country.rsplit('/', 1)[-1]} ≠ {b.country.rsplit('/', 1)[-1]}: two countries are never merged")
        return Decision("distinct", "country-conflict", 0.0, -math.inf, evidence)
    if agreements:
        s = agreements[0]
        evidence.append(f"{s} {a.ids[s]} = {b.ids[s]}")
        return Decision("linked", f"identifier:{s}", 1.0, math.inf, evidence)

    weight = math.log2(PRIOR / (1 - PRIOR))
    evidence.append(f"prior {weight:+.1f}")
    w, line = name_weight(a, b, tf)
    weight += w
    evidence.append(line)

    def level(label: str, shown: str) -> None:
        nonlocal weight
        lw = _level(label)
        weight += lw
        evidence.append(f"{shown} {lw:+.1f}")

    if a.country and b.country:
        level("country=", f"country {a.country.rsplit('/', 1)[-1]} =")
    else:
        evidence.append("country missing on one side +0.0")
    if a.city_key and b.city_key:
        same = a.city_key == b.city_key or JaroWinkler.similarity(a.city_key, b.city_key) >= 0.93
        level("city=" if same else "city≠", f"city {a.city!r} {'=' if same else '≠'} {b.city!r}")
    if a.post and b.post:
        level("postcode=" if a.post == b.post else "postcode≠", f"postcode {a.post} {'=' if a.post == b.post else '≠'} {b.post}")
    if a.domain and b.domain:
        level("domain=" if a.domain == b.domain else "domain≠", f"domain {a.domain} {'=' if a.domain == b.domain else '≠'} {b.domain}")
    if a.type_class and b.type_class:
        same = a.type_class == b.type_class
        level("type=" if same else "type≠", f"type {a.type_class} {'=' if same else '≠'} {b.type_class}")
    probability = 1 / (1 + 2 ** (-weight))
    outcome = "linked" if probability >= LINK_AT else "candidate" if probability >= CANDIDATE_AT else "distinct"
    evidence.append(f"match weight {weight:+.1f}, probability {probability:.3f} → {outcome}")
    return Decision(outcome, "fellegi-sunter", probability, weight, evidence)


def block_tokens(profile: Profile, tf: TermFrequencies, *, cap: int, n: int = 2) -> list[str]:
    """The blocking keys of a profile: its ``n`` rarest tokens that fewer than ``cap`` known names
    share (generic words never block), or its whole normalised name when every token is generic."""
    usable = [t for t in profile.toks if GENERIC.get(t, 0) < 0.02 and len(t) > 1]
    ranked = sorted(usable, key=lambda t: (tf.count(t), t))
    keys = [t for t in ranked if tf.count(t) < cap][:n]
    return keys
