"""Organisations across sources: one node per organisation, and the evidence behind every merge.

The same university turns up in CORDIS, in Erasmus+ partner lists and in curated records, written
differently each time. :class:`OrganisationRegistry` decides, for every occurrence an import meets,
which organisation node it is, by these rules in order:

1. ``pic`` — the CORDIS ``organisationID`` (the Participant Identification Code): the same PIC is the
   same organisation, whatever the name. Two different PICs are never merged, even with equal names.
2. ``name-country-city`` — the normalised legal name (:func:`name_key`: case, accents, punctuation,
   ``ae``/``ä`` spellings and legal-form suffixes such as S.R.L., GmbH, ETS, e.V., ASBL do not
   count), the country (the EU authority URI, so ``EL`` and ``GR``, ``UK`` and ``GB`` agree) and
   the normalised city must all be equal.
3. Never on the name alone: an equal name and country with a different or unknown city is *not*
   merged; it is recorded as a ``name-country`` candidate for review. An organisation whose country
   is unknown is never merged by name.

Every merge across imports and every name-based merge is recorded as a
:class:`~kg.model.records.OrganisationMatch` (rule, decision, the values compared), which the import writes
into its graph as a ``kg:OrganisationMatch``; ``kg orgs --matches`` lists them.

A merged organisation keeps one value for each single-valued fact (legal name, type, city, address,
…): the first source that states a fact states it; a later source with a different value does not
(the difference is part of the match evidence) — so the union of all graphs never holds two legal
names for one organisation. Display labels follow the same rule; other spellings become
``skos:altLabel``.

The registry is a SQLite file that travels with each store build (``kg-registry.sqlite``): an import
updates a copy inside the new build, so a failed import leaves it as it was. Rows are deleted only
when an import is removed (:meth:`OrganisationRegistry.forget`), and only what no remaining graph
describes: a URI once minted for an organisation that a graph still describes is found again by every
key it was known by. Decisions are reproducible: an import that is run again reaches the same
decisions (entries it made itself in an earlier run count as its own, not as another source's).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.linking.evidence import LINKING_SCHEMES, Decision, Profile, TermFrequencies, block_tokens, compare, scheme_of
from kg.model.records import MatchRule, OrganisationMatch, ProjectRecord
from kg.model.uris import slugify

REVIEWS_FILE = "data/organisation-reviews.yaml"
AMBIGUOUS_BITS = 4.0  # a best pair within this many bits of the second best is ambiguous: candidates, not a link
BLOCK_CAP = 2_000  # a token more known names share than this does not block (it is not distinctive)
CANDIDATES_MAX = 40  # pairs scored per occurrence at most (the ones sharing most blocking tokens)

# Legal forms written after a name (compared after normalisation, where "S.R.L." is "srl").
LEGAL_FORMS = frozenset(
    """
    ab ae ag amke aps as asbl bv bvba cic co coop corp cvba doo ebvba ee eeig ehf ek ets ev ewiv fzco
    gbr gcv ggmbh gie gmbh ik ike inc kf kft kg kgaa ky lda llc llp ltd mbh nv oe og ohg onlus ou oy oyj
    plc pte rf sa sae sag sal sarl sas sasu sc scarl scf scop scrl se sl sll slp snc spa spol sprl srl
    sro sz szrl ug uab vof vzw zrt zs zrt zz ltda limited eurl epe ike kda spzoo sp
    """.split()
)
# Multi-word legal forms, as normalised token sequences.
LEGAL_FORM_PHRASES = (
    ("sp", "z", "o", "o"),
    ("societa", "cooperativa"),
    ("soc", "coop"),
    ("s", "coop"),
    ("public", "limited", "company"),
    ("limited", "company"),
    ("e", "v"),
    ("ev",),
)

_TRAILING_ACRONYM = re.compile(r"^(.*\S)\s*;\s*([A-Z0-9][A-Z0-9&.\-]{0,11})$")


def split_acronym(name: str) -> tuple[str, str | None]:
    """``UNIVERSITAET POTSDAM; UP`` → (``UNIVERSITAET POTSDAM``, ``UP``): some exports append the acronym."""
    m = _TRAILING_ACRONYM.match(name.strip())
    if m:
        return m.group(1).strip(), m.group(2)
    return name.strip(), None


def _fold(text: str) -> str:
    """Lower case, accents off, punctuation to spaces; ``ä``/``ae``, ``ö``/``oe``, ``ü``/``ue`` agree."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = re.sub(r"[\W_]+", " ", bare.casefold()).strip()
    return re.sub(r"(?<=[a-z])([aou])e", r"\1", folded)  # transliterated umlauts: universitaet → universitat


def _join_initials(tokens: list[str]) -> list[str]:
    """``s r l`` → ``srl``, ``e v`` → ``ev``: dotted abbreviations become one token."""
    out: list[str] = []
    run: list[str] = []
    for t in tokens + [""]:
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if t:
            out.append(t)
    return out


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The form names are compared in: folded, initials joined, leading "the" and trailing legal forms off.

    ``Diakonisches Werk … in Württemberg e.V.`` and ``DIAKONISCHES WERK … IN WUERTTEMBERG EV`` agree;
    ``CESIE ETS`` is ``cesie``; a name that is only a legal form keeps it."""
    tokens = _fold(name).split()
    for phrase in LEGAL_FORM_PHRASES:  # before joining initials: "sp z o o", "e v"
        n = len(phrase)
        while len(tokens) > n and tuple(tokens[-n:]) == phrase:
            tokens = tokens[:-n]
    tokens = _join_initials(tokens)
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in LEGAL_FORMS:
        tokens = tokens[:-1]
    return " ".join(tokens)


@functools.lru_cache(maxsize=1 << 14)
def city_key(city: str | None) -> str:
    """A city as compared: folded, postcodes and district numbers off (``Aarhus C`` stays as written)."""
    if not city:
        return ""
    tokens = [t for t in _fold(city).split() if not any(ch.isdigit() for ch in t)]
    return " ".join(tokens)


# --------------------------------------------------------------------------- occurrences
# Facts an organisation has at most one of; a merged organisation keeps the first value stated.
SINGLE_VALUED = (
    "legal_name",
    "short_name",
    "organisation_type",
    "country",
    "city",
    "street",
    "post_code",
    "region",
    "nuts_code",
    "latitude",
    "longitude",
    "sme",
    "pic",
    "vat",
    "website",
)


@dataclass
class Occurrence:
    """An organisation as one row of one source states it."""

    name: str
    country: str | None = None  # EU authority URI
    country_code: str | None = None  # ISO alpha-2 (for readable ids)
    city: str | None = None
    pic: str | None = None
    facts: dict[str, str] = field(default_factory=dict)  # SINGLE_VALUED name → value as text
    location: str | None = None  # file:row
    project_key: str | None = None  # for the id of an organisation that cannot be matched
    identifiers: dict[str, str] = field(default_factory=dict)  # every identifier the source states: scheme → value

    def profile(self) -> Profile:
        return Profile(
            name=self.name,
            country=self.country,
            city=self.city,
            post_code=self.facts.get("post_code"),
            website=self.facts.get("website"),
            type=self.facts.get("organisation_type"),
            identifiers=dict(self.identifiers) | ({"pic": self.pic} if self.pic else {}),
        )


@dataclass
class Resolution:
    """Which organisation an occurrence is, and what its graph may state about it."""

    id: str
    new: bool
    label: str  # the display label to state
    alt_names: list[str]  # other spellings to state as skos:altLabel
    omit: set[str]  # single-valued facts not to state (another source stated a different value)
    matches: list[OrganisationMatch]


def _name_slug(name: str) -> str:
    """A readable slug of a name; names mostly in other scripts (Cyrillic, Greek …) lose their letters
    in ASCII, so they get a short hash of the name to stay apart (``138мо СОУ …`` → ``138-5e0c…``)."""
    slug = slugify(name)
    letters = sum(ch.isalnum() for ch in name)
    kept = sum(ch.isalnum() for ch in slug)
    if kept < letters / 2:
        slug = f"{slug}-{hashlib.sha256(name_key(name).encode('utf-8')).hexdigest()[:8]}".strip("-")
    return slug


def source_of(origin: str) -> str:
    """The source an origin belongs to: ``cordis`` for ``…/graph/import/cordis/<name>``, ``seed`` …"""
    m = re.search(r"/graph/import/([^/]+)/", origin)
    return m.group(1) if m else origin


def _evidence(occ: Occurrence, other: dict[str, str], rule: str) -> str:
    parts = []
    if rule == "pic":
        parts.append(f"organisationID (PIC) {occ.pic} = {other.get('pic', occ.pic)}")
    parts.append(f"name {occ.name!r} ~ {other.get('legal_name') or other.get('label', '')!r} (key {name_key(occ.name)!r})")
    if occ.country or other.get("country"):
        same = "=" if occ.country == other.get("country") else "≠"
        parts.append(f"country {(occ.country or '-').rsplit('/', 1)[-1]} {same} {(other.get('country') or '-').rsplit('/', 1)[-1]}")
    if occ.city or other.get("city"):
        same = "=" if city_key(occ.city) == city_key(other.get("city")) else "≠"
        parts.append(f"city {occ.city or '-'!r} {same} {other.get('city') or '-'!r}")
    return "; ".join(parts)


CACHE_LIMIT = 50_000  # entries per read cache of the registry: memory stays bounded at any import size


class OrganisationRegistry:
    """Organisations (and city names) already known, with every key they are known by (SQLite)."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS org (id TEXT PRIMARY KEY, label TEXT NOT NULL, facts TEXT NOT NULL,
                                    origin TEXT NOT NULL, run TEXT NOT NULL, location TEXT);
    CREATE TABLE IF NOT EXISTS org_key (kind TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL,
                                        origin TEXT NOT NULL, run TEXT NOT NULL,
                                        PRIMARY KEY (kind, key, id));
    CREATE INDEX IF NOT EXISTS org_key_lookup ON org_key (kind, key);
    CREATE TABLE IF NOT EXISTS city (uri TEXT PRIMARY KEY, label TEXT NOT NULL, origin TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS project (key TEXT PRIMARY KEY, source TEXT NOT NULL, origin TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS concept (id TEXT PRIMARY KEY, label TEXT, broader TEXT, origin TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS org_token (token TEXT NOT NULL, id TEXT NOT NULL, origin TEXT NOT NULL, run TEXT NOT NULL,
                                          PRIMARY KEY (token, id));
    CREATE TABLE IF NOT EXISTS token_count (token TEXT PRIMARY KEY, n INTEGER NOT NULL);
    """

    def __init__(self, path: Path | str | None, *, origin: str, run: str):
        """``origin`` names the import (its graph URI); ``run`` this run of it (any unique string)."""
        self.db = sqlite3.connect(str(path) if path else ":memory:", isolation_level=None)
        # the registry an import changes is a work copy, promoted only when the import succeeds: no need
        # for durability while it runs (the rollback journal stays, in memory, for close(commit=False))
        self.db.executescript(
            "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;"
        )
        self.db.executescript(self.SCHEMA)
        self.db.execute("BEGIN")
        self.origin = origin
        self.run = run
        # bounded read caches (write-through: the database always holds every change)
        self._facts_cache: dict[str, dict[str, str]] = {}
        self._key_cache: dict[tuple[str, str], list[list[str]]] = {}  # (kind, key) -> [[id, origin, run]] in rowid order
        self._city_cache: dict[str, str] = {}
        self._ident_count: dict[str, int] = {}
        self._token_cache: dict[str, int] = {}
        self._org_total: int | None = None
        self.tf = TermFrequencies(self._token_count, self._total)
        # a person's decisions (data/organisation-reviews.yaml): (occurrence id, organisation id) → accept | reject
        self.reviews: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ lifecycle
    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def close(self, *, commit: bool = True) -> None:
        try:
            self.db.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self.db.close()

    # ------------------------------------------------------------------ removing an import
    def forget(self, origin: str, described_by: Callable[[str, str], str | None]) -> tuple[dict[str, int], dict[str, int]]:
        """Forget the import ``origin`` (``kg import remove``): what it registered, as if it had never
        been imported — as far as the graphs that stay allow.

        ``described_by(kind, key)`` says which remaining graph describes an entry — ``organisation``
        (org id), ``place`` (city URI), ``concept`` (concept id), ``project`` (project key) — as the
        origin to hand it over to (an import graph, or ``seed`` for the curated data), or None. Entries
        of ``origin`` that no remaining graph describes are deleted: an organisation with every key it
        is known by (whoever registered the key), so no later import is merged into a node that is
        gone, or records a merge with it; a city, a concept, a project key (free again for another
        source). Entries another graph still describes — an organisation a later import merged into, a
        concept or city label it states — are kept, handed over to that graph: a later import must
        reuse them, or the union of graphs would hold two nodes for one organisation (two PICs, two
        labels). The keys ``origin`` registered for organisations that stay follow their organisation's
        origin; its ``ident`` keys (which only its own re-runs look up) go.

        What this cannot undo: facts ``origin`` added to an organisation that stays (a merged
        organisation keeps one value per fact, the first stated), and merges other graphs recorded with
        an organisation that is now forgotten — those graphs are immutable artefacts; re-import them
        to restate them. Returns (forgotten, handed over): counts by kind."""
        forgotten: dict[str, int] = {}
        handed: dict[str, int] = {}

        def settle(kind: str, table: str, column: str) -> list[str]:
            """Delete or hand over the ``origin`` rows of ``table``; the keys deleted."""
            gone = []
            keys = [r[0] for r in self.db.execute(f"SELECT {column} FROM {table} WHERE origin = ? ORDER BY {column}", (origin,))]
            for key in keys:
                heir = described_by(kind, key)
                if heir is None:
                    self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (key,))
                    gone.append(key)
                else:
                    self.db.execute(f"UPDATE {table} SET origin = ? WHERE {column} = ?", (heir, key))
            if gone:
                forgotten[kind] = len(gone)
            if len(keys) > len(gone):
                handed[kind] = len(keys) - len(gone)
            return gone

        gone = settle("organisation", "org", "id")
        # every key a forgotten organisation is known by, in one pass over the keys (no index by id)
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS forgotten_org (id TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM forgotten_org")
        self.db.executemany("INSERT INTO forgotten_org VALUES (?)", ((org_id,) for org_id in gone))
        self.db.execute("DELETE FROM org_key WHERE id IN (SELECT id FROM forgotten_org)")
        self.db.execute(
            "UPDATE token_count SET n = n - (SELECT COUNT(*) FROM org_token t WHERE t.token = token_count.token "
            "AND t.id IN (SELECT id FROM forgotten_org)) WHERE token IN (SELECT token FROM org_token WHERE id IN (SELECT id FROM forgotten_org))"
        )
        self.db.execute("DELETE FROM org_token WHERE id IN (SELECT id FROM forgotten_org)")
        self.db.execute("UPDATE org_token SET origin = (SELECT org.origin FROM org WHERE org.id = org_token.id) WHERE origin = ?", (origin,))
        self.db.execute("DROP TABLE forgotten_org")
        self._token_cache.clear()
        self._org_total = None
        self.db.execute("DELETE FROM org_key WHERE origin = ? AND kind = 'ident'", (origin,))
        self.db.execute(
            "UPDATE org_key SET origin = (SELECT org.origin FROM org WHERE org.id = org_key.id) "
            "WHERE origin = ? AND id IN (SELECT id FROM org)",
            (origin,),
        )
        self.db.execute("DELETE FROM org_key WHERE origin = ?", (origin,))  # keys of no organisation at all
        settle("place", "city", "uri")
        settle("concept", "concept", "id")
        settle("project", "project", "key")
        self._facts_cache.clear()
        self._key_cache.clear()
        self._city_cache.clear()
        return forgotten, handed

    # ------------------------------------------------------------------ seeds
    def register_seed(self, records: Iterable[ProjectRecord], resolve_country: Callable[[str], str | None]) -> None:
        """Curated organisations (data/projects), so imports can merge into them. ``resolve_country``
        turns what a record writes into the EU authority URI (None when it does not resolve)."""
        for record in records:
            for org in record.organisations:
                if self.db.execute("SELECT 1 FROM org WHERE id = ?", (org.id,)).fetchone():
                    continue
                country = resolve_country(org.country) if org.country else None
                facts = {"legal_name": org.name}
                if org.short_name:
                    facts["short_name"] = org.short_name
                if org.organisation_type:
                    facts["organisation_type"] = org.organisation_type
                if country:
                    facts["country"] = country
                if org.city:
                    facts["city"] = org.city
                pic = org.pic
                if pic:
                    facts["pic"] = pic
                if org.website:
                    facts["website"] = org.website
                for scheme, value in org.identifiers.items():
                    if scheme_of(scheme) != "pic":
                        facts[f"id:{scheme_of(scheme)}"] = value
                self._insert_org(org.id, org.name, facts, origin="seed", location=f"data/projects ({record.id})")
                self._keys(org.id, pic, org.name, country, org.city, origin="seed", facts=facts)

    # ------------------------------------------------------------------ projects
    def claim_project(self, key: str, source: str) -> str | None:
        """Register a project key for this source; the origin of a *different* source using it, else None."""
        inserted = self.db.execute(
            "INSERT INTO project (key, source, origin) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING", (key, source, self.origin)
        ).rowcount
        if inserted:
            return None
        row = self.db.execute("SELECT source, origin FROM project WHERE key = ?", (key,)).fetchone()
        return row[1] if row[0] != source else None

    # ------------------------------------------------------------------ cities
    def city_label(self, uri: str, label: str) -> str:
        """The name a city is stated with: the first name registered for its URI."""
        known = self._city_cache.get(uri)
        if known is not None:
            return known
        row = self.db.execute("SELECT label FROM city WHERE uri = ?", (uri,)).fetchone()
        if row is not None:
            known = row[0]
        else:
            self.db.execute("INSERT INTO city (uri, label, origin) VALUES (?, ?, ?)", (uri, label, self.origin))
            known = label
        if len(self._city_cache) >= CACHE_LIMIT:
            self._city_cache.clear()
        self._city_cache[uri] = known
        return known

    # ------------------------------------------------------------------ concepts
    def concept(self, concept_id: str, label: str | None, broader: str | None) -> tuple[str | None, str | None]:
        """The label and broader concept a programme-scheme concept is stated with in every import:
        the first title and the first broader concept registered win (``label`` None: only a code is known)."""
        row = self.db.execute("SELECT label, broader FROM concept WHERE id = ?", (concept_id,)).fetchone()
        if row is None:
            self.db.execute(
                "INSERT INTO concept (id, label, broader, origin) VALUES (?, ?, ?, ?)", (concept_id, label, broader, self.origin)
            )
            return label, broader
        known_label, known_broader = row
        if (known_label is None and label is not None) or (known_broader is None and broader is not None):
            self.db.execute(
                "UPDATE concept SET label = ?, broader = ? WHERE id = ?",
                (known_label or label, known_broader or broader, concept_id),
            )
        return known_label or label, known_broader or broader

    # ------------------------------------------------------------------ organisations
    def _insert_org(self, org_id: str, label: str, facts: dict[str, str], *, origin: str, location: str | None) -> None:
        self.db.execute(
            "INSERT INTO org (id, label, facts, origin, run, location) VALUES (?, ?, ?, ?, ?, ?)",
            (org_id, label, json.dumps(facts, sort_keys=True), origin, self.run, location),
        )
        self._facts_cache.pop(org_id, None)
        if self._org_total is not None:
            self._org_total += 1

    # ------------------------------------------------------------------ term frequencies and blocking
    def _total(self) -> int:
        if self._org_total is None:
            self._org_total = self.db.execute("SELECT COUNT(*) FROM org").fetchone()[0]
        return self._org_total

    def _token_count(self, token: str) -> int:
        n = self._token_cache.get(token)
        if n is None:
            row = self.db.execute("SELECT n FROM token_count WHERE token = ?", (token,)).fetchone()
            n = row[0] if row else 0
            if len(self._token_cache) >= CACHE_LIMIT * 4:
                self._token_cache.clear()
            self._token_cache[token] = n
        return n

    def _register_tokens(self, org_id: str, profile: Profile, origin: str) -> None:
        """The name tokens ``org_id`` is found by in blocking, counted for term frequencies."""
        for token in profile.toks:
            if self.db.execute(
                "INSERT OR IGNORE INTO org_token (token, id, origin, run) VALUES (?, ?, ?, ?)", (token, org_id, origin, self.run)
            ).rowcount:
                self.db.execute("INSERT INTO token_count (token, n) VALUES (?, 1) ON CONFLICT (token) DO UPDATE SET n = n + 1", (token,))
                if token in self._token_cache:
                    self._token_cache[token] += 1
            else:  # this import's earlier run registered it: now this run's
                self.db.execute("UPDATE org_token SET run = ? WHERE token = ? AND id = ? AND origin = ?", (self.run, token, org_id, origin))

    def _block(self, profile: Profile, exclude: set[str]) -> list[str]:
        """Known organisations sharing a distinctive name token (another import's, or this run's)."""
        keys = block_tokens(profile, self.tf, cap=BLOCK_CAP)
        if not keys:  # every token generic: the exact normalised name (registered as a token key)
            keys = ["=" + profile.norm]
        hits: dict[str, int] = {}
        for token in keys:
            for org_id, origin, run in self.db.execute("SELECT id, origin, run FROM org_token WHERE token = ? LIMIT ?", (token, BLOCK_CAP)):
                if org_id in exclude or (origin == self.origin and run != self.run):
                    continue
                hits[org_id] = hits.get(org_id, 0) + 1
        ranked = sorted(hits, key=lambda i: (-hits[i], i))
        return ranked[:CANDIDATES_MAX]

    def _keys(
        self, org_id: str, pic: str | None, name: str, country: str | None, city: str | None, *, origin: str,
        facts: dict[str, str] | None = None, identifiers: dict[str, str] | None = None,
    ) -> None:
        rows = []
        if pic:
            rows.append(("pic", pic))
        profile = Profile(name=name, identifiers=dict(identifiers or {}) | {k[3:]: v for k, v in (facts or {}).items() if k.startswith("id:")})
        for scheme, value in profile.ids.items():
            if scheme != "pic":
                rows.append((f"id:{scheme}", value))
        tokens = Profile(name=name)
        tokens.toks = (*tokens.toks, "=" + tokens.norm)
        self._register_tokens(org_id, tokens, origin)
        if country:
            nk = name_key(name)
            rows.append(("name-country", f"{country}|{nk}"))
            ck = city_key(city)
            if ck:
                rows.append(("name-country-city", f"{country}|{ck}|{nk}"))
        for kind, key in rows:
            entries = self._key_rows(kind, key)
            found = next((e for e in entries if e[0] == org_id), None)
            if found is not None and (found[1] != origin or found[2] == self.run):
                continue  # the statement below would change nothing
            # a key this import registered in an earlier run now belongs to this run
            self.db.execute(
                "INSERT INTO org_key (kind, key, id, origin, run) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, key, id) DO UPDATE SET run = excluded.run WHERE org_key.origin = excluded.origin",
                (kind, key, org_id, origin, self.run),
            )
            if found is None:
                entries.append([org_id, origin, self.run])
            else:
                found[2] = self.run

    def _key_rows(self, kind: str, key: str) -> list[list[str]]:
        """The registry's rows for a key, [id, origin, run] in insertion order (cached, kept up to date by
        :meth:`_keys`, the only writer of ``org_key`` rows other than ``ident`` ones)."""
        entries = self._key_cache.get((kind, key))
        if entries is None:
            if len(self._key_cache) >= CACHE_LIMIT:
                self._key_cache.clear()
            entries = self._key_cache[(kind, key)] = [
                list(r)
                for r in self.db.execute(
                    "SELECT id, origin, run FROM org_key WHERE kind = ? AND key = ? ORDER BY rowid", (kind, key)
                )
            ]
        return entries

    def _lookup(self, kind: str, key: str) -> tuple[list[str], list[str]]:
        """Ids known by this key: (from other imports or this run, from this import's earlier runs)."""
        current: list[str] = []
        own_earlier: list[str] = []
        for org_id, origin, run in self._key_rows(kind, key):
            if origin == self.origin and run != self.run:
                own_earlier.append(org_id)
            elif org_id not in current:
                current.append(org_id)
        return current, [i for i in own_earlier if i not in current]

    def facts(self, org_id: str) -> dict[str, str]:
        cached = self._facts_cache.get(org_id)
        if cached is not None:
            return cached
        row = self.db.execute("SELECT label, facts, origin, run FROM org WHERE id = ?", (org_id,)).fetchone()
        facts = json.loads(row[1]) if row else {}
        if row:
            facts["label"] = row[0]
            facts["_origin"] = row[2]
            facts["_run"] = row[3]
        if len(self._facts_cache) >= CACHE_LIMIT:
            self._facts_cache.clear()
        self._facts_cache[org_id] = facts
        return facts

    def _base_id(self, occ: Occurrence) -> str:
        if occ.pic:
            base = f"pic-{occ.pic}"
        elif occ.country and occ.country_code:
            parts = [occ.country_code.lower(), _name_slug(occ.name)]
            if city_key(occ.city):
                parts.append(slugify(occ.city or ""))
            base = "-".join(parts)
        else:  # no country: never merged, so one organisation per project that names it
            base = f"{slugify(occ.project_key or 'x')}-{_name_slug(occ.name)}"
        if len(base) > 80:
            digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:8]
            base = base[:70].rstrip("-") + "-" + digest
        return base

    def _mint(self, base: str) -> str:
        org_id, n = base, 1
        while self.db.execute("SELECT 1 FROM org WHERE id = ?", (org_id,)).fetchone():
            n += 1
            org_id = f"{base}-{n}"
        return org_id

    def _known_profile(self, org_id: str) -> Profile:
        return Profile.from_facts(self.facts(org_id), org_id)

    def _conflict(self, occ_profile: Profile, org_id: str) -> bool:
        """Does ``org_id`` state an identifier of a scheme ``occ`` states, with another value?"""
        known = self._known_profile(org_id).ids
        return any(known.get(s) not in (None, v) for s, v in occ_profile.ids.items())

    def resolve(self, occ: Occurrence) -> Resolution:
        """Which organisation ``occ`` is, and what to state: identifiers first (an equal one links, a
        different one forbids), then name + country + city, then a review decision, then the
        Fellegi–Sunter score over the blocked candidates (:mod:`kg.linking.evidence`)."""
        matches: list[OrganisationMatch] = []
        chosen: str | None = None
        rule: MatchRule | None = None
        reused_own = False
        decision: Decision | None = None
        profile = occ.profile()

        def pick(ids: list[str]) -> str | None:
            # an occurrence without an identifier may merge into an organisation with one; two
            # different values of one scheme never merge
            for org_id in ids:
                if self._conflict(profile, org_id):
                    continue
                return org_id
            return None

        # (what this import registered in an earlier run is not looked up here: a second run must meet
        # every occurrence as the first did, so it records the same decisions; its ident key below
        # finds the node it minted then)
        if occ.pic:
            current, _own = self._lookup("pic", occ.pic)
            chosen = pick(current)
            if chosen:
                rule = "pic"
        for scheme, value in profile.ids.items():
            if chosen is not None or scheme == "pic" or scheme not in LINKING_SCHEMES and not scheme.startswith("registry:"):
                continue
            current, _own = self._lookup(f"id:{scheme}", value)
            chosen = pick(current)
            if chosen:
                rule = "identifier"
        ck = city_key(occ.city)
        nk = name_key(occ.name)
        if chosen is None and occ.country and ck and nk:
            # (an entry of this import's earlier run is met again by the score or its ident key below,
            # so a second run records the decisions the first did)
            current, _own = self._lookup("name-country-city", f"{occ.country}|{ck}|{nk}")
            chosen = pick(current)
            if chosen:
                rule = "name-country-city"

        ident = None
        base = self._base_id(occ)
        compared: list[tuple[str, Decision]] = []
        if chosen is None:
            # a person's decisions first, then the score
            rejected = {other for (occ_id, other), verdict in self.reviews.items() if occ_id == base and verdict == "reject"}
            accepted = [other for (occ_id, other), verdict in self.reviews.items() if occ_id == base and verdict == "accept"]
            for other in accepted:
                if self.db.execute("SELECT 1 FROM org WHERE id = ?", (other,)).fetchone() and not self._conflict(profile, other):
                    chosen, rule = other, "review"
                    said = [f"{occ.name!r} ~ {self.facts(other).get('label')!r}", f"accepted by review ({REVIEWS_FILE})"]
                    decision = Decision("linked", "review", 1.0, float("inf"), said)
                    break
            if chosen is None:
                for other in sorted(rejected):
                    if self.db.execute("SELECT 1 FROM org WHERE id = ?", (other,)).fetchone():
                        said = [f"{occ.name!r} ~ {self.facts(other).get('label')!r}", f"rejected by review ({REVIEWS_FILE})"]
                        compared.append((other, Decision("distinct", "review", 0.0, float("-inf"), said)))
                for other in self._block(profile, rejected):
                    compared.append((other, compare(profile, self._known_profile(other), self.tf)))
                linked = sorted((c for c in compared if c[1].outcome == "linked" and c[1].rule != "review"), key=lambda c: -c[1].weight)
                if len(linked) > 1 and linked[0][1].weight - linked[1][1].weight < AMBIGUOUS_BITS:
                    # two known organisations fit about as well: a person decides (both candidates)
                    for _other, d in linked:
                        d.outcome = "candidate"
                        d.evidence.append(f"ambiguous: {len(linked)} known organisations score within {AMBIGUOUS_BITS} bits")
                elif linked:
                    chosen, decision = linked[0]
                    rule = "fellegi-sunter"

        if chosen is None:
            # an organisation no identifier or exact rule matches is still the same organisation when
            # the same import is run again: its n-th occurrence of this id base
            self._ident_count[base] = self._ident_count.get(base, 0) + 1
            ident = f"{base}#{self._ident_count[base]}"
            row = self.db.execute(
                "SELECT id FROM org_key WHERE kind = 'ident' AND key = ? AND origin = ?", (ident, self.origin)
            ).fetchone()
            if row is not None:
                chosen, reused_own = row[0], True

        new = chosen is None
        if chosen is None:
            chosen = self._mint(base)
            facts = {k: v for k, v in occ.facts.items() if v}
            self._insert_org(chosen, occ.name, facts, origin=self.origin, location=occ.location)
        if ident is not None:
            self.db.execute(
                "INSERT OR IGNORE INTO org_key (kind, key, id, origin, run) VALUES ('ident', ?, ?, ?, ?)",
                (ident, chosen, self.origin, self.run),
            )
        known = self.facts(chosen)

        if reused_own and known.get("_run") != self.run:
            # the same import run again: its own facts are refreshed, as on its first run
            facts = {k: v for k, v in json.loads(self.db.execute("SELECT facts FROM org WHERE id = ?", (chosen,)).fetchone()[0]).items()}
            facts.update({k: v for k, v in occ.facts.items() if v})
            self.db.execute(
                "UPDATE org SET label = ?, facts = ?, run = ? WHERE id = ?",
                (occ.name, json.dumps(facts, sort_keys=True), self.run, chosen),
            )
            self._facts_cache.pop(chosen, None)
            known = self.facts(chosen)
        self._keys(chosen, occ.pic, occ.name, occ.country, occ.city, origin=self.origin, identifiers=occ.identifiers)

        # what this occurrence may state: facts equal to the known ones, or not stated yet
        omit: set[str] = set()
        differences: list[str] = []
        additions: dict[str, str] = {}
        for name, value in occ.facts.items():
            if not value:
                continue
            have = known.get(name)
            if have is None:
                additions[name] = value
            elif have != value and not (name == "city" and city_key(have) == city_key(value)):
                omit.add(name)
                differences.append(f"{name.replace('_', ' ')} {value!r} not stated (known as {have!r})")
        if additions and not new:
            merged_facts = {k: v for k, v in known.items() if not k.startswith("_") and k != "label"}
            merged_facts.update(additions)
            self.db.execute("UPDATE org SET facts = ? WHERE id = ?", (json.dumps(merged_facts, sort_keys=True), chosen))
            self._facts_cache.pop(chosen, None)

        label = known.get("label") or occ.name
        alt_names = [occ.name] if occ.name != label else []

        # record the decision: every merge by name or score, and merges by identifier across sources
        # (CORDIS and a curated record); an organisation this import registered in an earlier run is
        # met again as on that run: no decision
        if rule is not None:
            cross = source_of(known.get("_origin", "")) != source_of(self.origin)
            if rule not in ("pic", "identifier") or cross:
                if decision is not None:
                    evidence = decision.text()
                else:
                    evidence = _evidence(occ, known, rule)
                    if rule == "identifier":
                        agreed = sorted(s for s, v in profile.ids.items() if self._known_profile(chosen).ids.get(s) == v)
                        evidence = f"identifier {', '.join(f'{s} {profile.ids[s]}' for s in agreed)} agrees; " + evidence
                if differences:
                    evidence += "; " + "; ".join(differences)
                matches.append(
                    OrganisationMatch(
                        organisation=chosen,
                        other=None,
                        rule=rule,
                        merged=True,
                        outcome="linked",
                        score=decision.probability if decision is not None and rule == "fellegi-sunter" else None,
                        evidence=evidence,
                        stated_name=occ.name,
                        location=occ.location,
                    )
                )
        # candidates (for review) and look-alikes kept apart, with their evidence
        if new or rule is None:
            for other, d in compared:
                if other == chosen:
                    continue
                if d.outcome == "candidate" or d.rule == "review" or (d.outcome == "distinct" and _look_alike(d, profile, self._known_profile(other))):
                    matches.append(self._match(occ, chosen, other, d))
            # same name, country and city but another identifier: two legal entities, said so
            if profile.ids and ck:
                current, _own = self._lookup("name-country-city", f"{occ.country}|{ck}|{nk}") if occ.country else ([], [])
                for other in current:
                    if other != chosen and self._conflict(profile, other) and all(c[0] != other for c in compared):
                        matches.append(self._match(occ, chosen, other, compare(profile, self._known_profile(other), self.tf)))
        return Resolution(id=chosen, new=new, label=label, alt_names=alt_names, omit=omit, matches=matches)

    def _match(self, occ: Occurrence, organisation: str, other: str, d: Decision) -> OrganisationMatch:
        rule: MatchRule = d.rule if d.rule in ("identifier-conflict", "country-conflict", "fellegi-sunter", "review") else "fellegi-sunter"  # type: ignore[assignment]
        return OrganisationMatch(
            organisation=organisation,
            other=other,
            rule=rule,
            merged=False,
            outcome="candidate" if d.outcome == "candidate" else "distinct",
            score=d.probability if d.rule == "fellegi-sunter" else None,
            evidence=("candidate for review: " if d.outcome == "candidate" else "not merged: ") + d.text(),
            stated_name=occ.name,
            location=occ.location,
        )


def _look_alike(d: Decision, a: Profile, b: Profile) -> bool:
    """A distinct pair worth recording: the names agree once normalised (an identifier or the
    country tells them apart), or the score came within a factor 10 of a candidate."""
    return a.norm == b.norm or (d.rule == "fellegi-sunter" and d.weight > -4.0)
