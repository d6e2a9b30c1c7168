"""Named SPARQL queries (``queries/*.rq``) with grlc-style headers and typed parameters.

Header lines start with ``#+`` and hold YAML: ``summary``, ``description``, ``tags`` and
``defaults`` (a list of ``- name: value``). Parameters follow the grlc convention: ``?_name`` is
required, ``?__name`` optional, and a suffix gives the type — ``?_sdg_iri``, ``?_from_integer``,
``?_title_en`` (a literal tagged @en), ``?_day_xsd_date`` — untyped ones are plain literals.
Values are checked against their type and substituted as RDF terms, never as raw text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pyoxigraph import Literal, NamedNode

PARAM_RE = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*)(?:_(iri|integer|decimal|boolean|xsd_date|xsd_gYear|[a-z]{2}))?\b")
XSD = "http://www.w3.org/2001/XMLSchema#"


class QueryParameterError(ValueError):
    """A parameter value is missing or not of its declared type."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # iri, integer, decimal, boolean, date, gYear, literal, or a language tag
    required: bool
    default: str | None = None
    token: str = ""  # the variable as written in the query, e.g. ?_sdg_iri

    def term(self, value: str) -> str:
        """The value as a SPARQL term of this parameter's type."""
        v = value.strip()
        try:
            if self.type == "iri":
                return str(NamedNode(v))
            if self.type == "integer":
                return str(Literal(str(int(v)), datatype=NamedNode(XSD + "integer")))
            if self.type == "decimal":
                float(v)
                return str(Literal(v, datatype=NamedNode(XSD + "decimal")))
            if self.type == "boolean":
                if v.lower() not in {"true", "false"}:
                    raise ValueError("expected true or false")
                return str(Literal(v.lower(), datatype=NamedNode(XSD + "boolean")))
            if self.type in {"date", "gYear"}:
                pattern = r"\d{4}-\d{2}-\d{2}" if self.type == "date" else r"\d{4}"
                if not re.fullmatch(pattern, v):
                    raise ValueError(f"expected an xsd:{self.type}")
                return str(Literal(v, datatype=NamedNode(XSD + self.type)))
            if self.type == "literal":
                return str(Literal(v))
            return str(Literal(v, language=self.type))
        except ValueError as exc:
            raise QueryParameterError(f"parameter {self.name!r}: {value!r} is not a valid {self.type} ({exc})") from None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    text: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def bind(self, values: dict[str, Any] | None = None) -> str:
        """The query with every parameter replaced by its value (or default); optional ones left unbound."""
        values = {k: v for k, v in (values or {}).items() if v is not None and v != ""}
        unknown = set(values) - {p.name for p in self.parameters}
        if unknown:
            raise QueryParameterError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        text = self.text
        for p in self.parameters:
            value = values.get(p.name, p.default)
            if value is None:
                if p.required:
                    raise QueryParameterError(f"parameter {p.name!r} ({p.type}) is required")
                continue
            text = re.sub(re.escape(p.token) + r"\b", _literally(p.term(str(value))), text)
        return text


def _header(text: str) -> dict[str, Any]:
    lines = [line[2:] for line in text.splitlines() if line.startswith("#+")]
    if not lines:
        return {}
    data = yaml.safe_load("\n".join(lines)) or {}
    return data if isinstance(data, dict) else {}


def _defaults(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw or []:
        if isinstance(item, dict):
            out.update({str(k): str(v) for k, v in item.items()})
    return out


def _type(suffix: str | None) -> str:
    if suffix is None:
        return "literal"
    return {"xsd_date": "date", "xsd_gYear": "gYear"}.get(suffix, suffix)


def load_query(path: Path) -> NamedQuery:
    text = Path(path).read_text(encoding="utf-8")
    try:
        header = _header(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: malformed #+ header: {exc}") from None
    defaults = _defaults(header.get("defaults"))
    params: dict[str, Parameter] = {}
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for m in PARAM_RE.finditer(body):
        name = m.group(2)
        if name not in params:
            params[name] = Parameter(
                name=name,
                type=_type(m.group(3)),
                required=m.group(1) == "_" and name not in defaults,
                default=defaults.get(name),
                token=m.group(0),
            )
    return NamedQuery(
        name=Path(path).stem,
        path=Path(path),
        text=text,
        summary=str(header.get("summary", Path(path).stem)),
        description=str(header.get("description", "")),
        tags=tuple(str(t) for t in header.get("tags", []) or []),
        parameters=tuple(params.values()),
    )


def load_queries(directory: Path) -> dict[str, NamedQuery]:
    return {q.name: q for q in (load_query(p) for p in sorted(Path(directory).glob("*.rq")))}


def _literally(replacement: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that inserts ``replacement`` as it is (no group references, no escapes)."""
    return lambda _match: replacement
