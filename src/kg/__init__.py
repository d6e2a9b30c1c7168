"""kg — the linked-data knowledge graph of EU-funded projects.

Stages, one module each: sources (importers) → records → mapping (RDF) → validation (SHACL)
→ store (Oxigraph) → build (atomic release) → faces (cli, web).
"""

__version__ = "0.1.0"
