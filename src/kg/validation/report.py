"""The validation report: one shape for every validator (pySHACL, the fast engine).

:class:`Report` holds :class:`ValidationResult` rows (focus node, path, value, message, severity, shape,
and the input file the focus came from) and the report graph, as text or Turtle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import rdflib

from kg.model.namespaces import PREFIXES


@dataclass(frozen=True)
class ValidationResult:
    focus: str
    path: str | None
    value: str | None
    message: str
    severity: str  # "Violation", "Warning", "Info"
    shape: str | None
    where: str | None = None  # the input file the focus node comes from, when known

    def __str__(self) -> str:
        parts = [self.where or "-", f"<{self.focus}>", self.path and f"<{self.path}>" or "-", self.message]
        if self.value is not None:
            parts.append(f"(value: {self.value})")
        return f"{self.severity}: " + " ".join(parts)


@dataclass
class Report:
    conforms: bool
    results: list[ValidationResult] = field(default_factory=list)
    graph: rdflib.Graph | None = None  # the SHACL validation report as RDF

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity != "Violation"]

    def text(self) -> str:
        if not self.results:
            return "Conforms: no violations."
        lines = [str(r) for r in sorted(self.results, key=lambda r: (r.severity != "Violation", r.where or "", r.focus))]
        lines.append(f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s).")
        return "\n".join(lines)

    def turtle(self) -> str:
        if self.graph is None:
            return ""
        for prefix, ns in PREFIXES.items():
            self.graph.bind(prefix, str(ns), override=False)
        return self.graph.serialize(format="turtle")
