"""URI minting: the one place where entity and graph URIs are made from real keys.

Layout (see docs/model.md): ``{base}id/<kind>/<key>`` for entities, ``{base}graph/<name>`` for named
graphs. A published URI never changes: change this module only by adding new kinds.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from kg.model.records import ProjectRecord

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def slugify(text: str) -> str:
    """A readable ASCII slug: ``Dunkerque`` → ``dunkerque``, ``Saint-Étienne`` → ``saint-etienne``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "x"


def key_segment(key: str) -> str:
    """A key as one path segment: kept as-is when already URI-safe, else percent-encoded."""
    key = key.strip()
    return key if _SAFE_KEY.match(key) else quote(key, safe="")


class Minter:
    """Mints every URI of the graph under one base URI."""

    def __init__(self, base_uri: str):
        self.base = base_uri if base_uri.endswith(("/", "#")) else base_uri + "/"

    # entities ---------------------------------------------------------------
    def project_key(self, record: ProjectRecord) -> str:
        """The pinned ``uri_key``, else the grant/project number the source states, else the record id."""
        if record.uri_key:
            return record.uri_key
        if record.grant and record.grant.number:
            return key_segment(record.grant.number)
        return record.id

    def project(self, record: ProjectRecord) -> str:
        return self.project_of_key(self.project_key(record))

    def project_of_key(self, key: str) -> str:
        """A project's URI from its key (:meth:`project_key`)."""
        return f"{self.base}id/project/{key}"

    def project_part(self, project_uri: str, kind: str, n: int | str | None = None) -> str:
        return f"{project_uri}/{kind}" if n is None else f"{project_uri}/{kind}/{n}"

    def organisation(self, org_id: str) -> str:
        return f"{self.base}id/organisation/{key_segment(org_id)}"

    def place(self, country_alpha3: str, name: str) -> str:
        return f"{self.base}id/place/{country_alpha3.lower()}/{slugify(name)}"

    def programme(self, concept_id: str) -> str:
        return f"{self.base}id/programme/{key_segment(concept_id)}"

    def programme_scheme(self) -> str:
        return f"{self.base}id/scheme/programmes"

    def funder(self, funder_id: str) -> str:
        return f"{self.base}id/funder/{key_segment(funder_id)}"

    def source(self, stem: str) -> str:
        return f"{self.base}id/source/{key_segment(stem)}"

    # named graphs -----------------------------------------------------------
    def source_graph(self, stem: str) -> str:
        return f"{self.base}graph/source/{key_segment(stem)}"

    def graph(self, name: str) -> str:
        """``ontology``, ``vocab/programmes``, ``vocab/un-sdg``, ``vocab/eu-country`` …"""
        return f"{self.base}graph/{name}"

    def organisation_matches_graph(self, source: str, name: str) -> str:
        """The inferred graph of an import's organisation-linking decisions, apart from its source facts:
        ``graph/inferred/organisation-matches/<source>/<name>``."""
        return self.graph(f"inferred/organisation-matches/{source}/{name}")

    @property
    def ontology_graph(self) -> str:
        return self.graph("ontology")

    @property
    def programmes_graph(self) -> str:
        return self.graph("vocab/programmes")

    @property
    def sdg_graph(self) -> str:
        return self.graph("vocab/un-sdg")

    @property
    def country_graph(self) -> str:
        return self.graph("vocab/eu-country")


def matches_graph_of(import_graph: str) -> str:
    """``…/graph/import/cordis/he`` → ``…/graph/inferred/organisation-matches/cordis/he`` (its decisions)."""
    return import_graph.replace("/graph/import/", "/graph/inferred/organisation-matches/", 1)
