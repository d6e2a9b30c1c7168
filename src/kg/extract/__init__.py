"""Project web pages → curated-record YAML with per-fact provenance (``kg extract``).

- :mod:`kg.extract.pages` — the extractor (``extract_page``, ``extract_text``, :class:`Extraction`)
  and what ``kg extract`` does (``run_extract``);
- :mod:`kg.extract.compare` — field-by-field comparison of an extracted and a curated record
  (``kg extract --diff``);
- :mod:`kg.extract.evaluate` — scores over the seed pages, written into docs/extraction.md
  (``kg extract --evaluate``);
- rules: :mod:`~kg.extract.text` (facts, ambiguities, language, text helpers),
  :mod:`~kg.extract.sections` (page layout), :mod:`~kg.extract.dates`, :mod:`~kg.extract.numbers`,
  :mod:`~kg.extract.lists` (what a list is), :mod:`~kg.extract.places` (countries, cities),
  :mod:`~kg.extract.programmes` (programmes, funders), :mod:`~kg.extract.sdg_suggest` (SDG
  target suggestions).

Layering: the rules import only :mod:`kg.extract.text` among these; ``pages`` imports the rules
and ``compare``; ``evaluate`` imports ``pages`` and ``compare``; nothing here imports ``evaluate``.
"""
