"""The graph's read side: plain dicts and lists about projects, organisations, programmes, SDGs,
countries, cities and any other resource, built with SPARQL over a :class:`kg.store.Store` (no HTTP
here); the web layer (REST API, HTML pages, linked data) and the command line use it.

Every function takes the store first and returns JSON-ready values (str, int, bool, lists, dicts).
Entities are dicts with ``"@id"`` (their URI), ``"@type"`` (a short class name such as
``"Project"``) and a display ``"label"``; keys follow the model's terms (see ``docs/model.md``), so
the web layer can map them to IRIs with one JSON-LD context. Labels come in the requested language
(``lang``), user input is never spliced into SPARQL as raw text, and bad input raises
:class:`kg.read.common.NotFound` or :class:`kg.read.common.InvalidParameter`.

Modules, each importing only those listed before it:

* :mod:`kg.read.common` — what every read needs: the errors, SPARQL helpers, terms as Python
  values, language choice and labels, dates, resolving user input (country, SDG, programme,
  organisation) to URIs, an entity's own properties.
* :mod:`kg.read.refs` — references to linked entities (countries, cities, organisations, SDGs, a
  funding scheme's ``broader`` chain) as the views embed them.
* :mod:`kg.read.projects` — filtered, sorted project lists, project summaries, one project.
* :mod:`kg.read.places` — countries and cities.
* :mod:`kg.read.sdgs` — SDG goals and targets.
* :mod:`kg.read.programmes` — the funding-programme hierarchy and one scheme concept.
* :mod:`kg.read.organisations` — organisations and funders; organisation counts per graph and the
  organisation-linking decisions (``kg orgs``).
* :mod:`kg.read.statistics` — totals and projects by programme, country, SDG and start year.
* :mod:`kg.read.entities` — any resource: existence, types, a generic view, its concise bounded
  description (needs only :mod:`kg.read.common`).

Independent of those: :mod:`kg.read.queries` (the named SPARQL queries of ``queries/*.rq`` with
typed parameters) and :mod:`kg.read.stats` (triples per graph and instances per class of a store).
"""
