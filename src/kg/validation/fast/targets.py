"""Focus nodes: the targets of a shape (sh:targetNode, sh:targetClass and implicit class targets,
sh:targetSubjectsOf, sh:targetObjectsOf), or the value nodes of a parent property shape (a
sh:property of a property shape), as SPARQL: a pattern that enumerates them and a boolean that
tests one node."""

from __future__ import annotations

from collections.abc import Callable

from rdflib.term import Identifier

from kg.validation.fast.terms import RDF, Unsupported, sparql_term

TYPE = f"<{RDF.type}>"


class FocusSet:
    """Focus nodes as SPARQL. ``key`` identifies equal sets (to share batched queries)."""

    key: str

    def pattern(self, var: str, fresh) -> str:  # enumerates (duplicates allowed)
        raise NotImplementedError

    def test(self, var: str, fresh) -> str:  # boolean expression
        raise NotImplementedError

    def classes(self) -> list[str] | None:
        """When the focus nodes are the SHACL instances of some classes (and nothing else): those
        classes, subclasses included, as SPARQL terms; otherwise None."""
        return None


class Targets(FocusSet):
    def __init__(self, targets: list[tuple[str, Identifier]], subclasses: Callable[[Identifier], list[Identifier]]):
        self.parts: list[tuple[str, str | list[str]]] = []
        for kind, term in targets:
            if kind == "class":
                classes = subclasses(term)
                self.parts.append(("class", [sparql_term(c) for c in classes]))
            else:
                self.parts.append((kind, sparql_term(term)))
        self.parts.sort(key=str)
        self.key = "T:" + repr(self.parts)

    def _one(self, kind, t, var: str, fresh) -> str:
        if kind == "node":
            return f"VALUES {var} {{ {t} }}"
        if kind == "class":
            if len(t) == 1:
                return f"{var} {TYPE} {t[0]} ."
            c = fresh("c")
            return f"VALUES {c} {{ {' '.join(t)} }} {var} {TYPE} {c} ."
        if kind == "subjectsOf":
            x = fresh("x")
            return f"{{ SELECT DISTINCT {var} WHERE {{ {var} {t} {x} }} }}"
        if kind == "objectsOf":
            x = fresh("x")
            return f"{{ SELECT DISTINCT {var} WHERE {{ {x} {t} {var} }} }}"
        raise Unsupported(f"target {kind}")

    def pattern(self, var: str, fresh) -> str:
        if len(self.parts) == 1:
            return self._one(*self.parts[0], var, fresh)
        return " UNION ".join("{ " + self._one(k, t, var, fresh) + " }" for k, t in self.parts)

    def classes(self) -> list[str] | None:
        if not self.parts or any(kind != "class" for kind, _ in self.parts):
            return None
        return sorted({c for _, t in self.parts for c in t})

    def test(self, var: str, fresh) -> str:
        tests = []
        for kind, t in self.parts:
            if kind == "node":
                tests.append(f"sameTerm({var}, {t})")
            elif kind == "class":
                if len(t) == 1:
                    tests.append(f"EXISTS {{ {var} {TYPE} {t[0]} }}")
                else:
                    c = fresh("c")
                    tests.append(f"EXISTS {{ VALUES {c} {{ {' '.join(t)} }} {var} {TYPE} {c} }}")
            elif kind == "subjectsOf":
                tests.append(f"EXISTS {{ {var} {t} {fresh('x')} }}")
            elif kind == "objectsOf":
                tests.append(f"EXISTS {{ {fresh('x')} {t} {var} }}")
        return "(" + " || ".join(tests) + ")" if tests else "false"


class ValuesOf(FocusSet):
    """The value nodes, on a path, of the focus nodes of a parent set."""

    def __init__(self, parent: FocusSet, path):
        self.parent = parent
        self.path = path
        self.key = f"V:{parent.key}/{path.sparql}"

    def pattern(self, var: str, fresh) -> str:
        p = fresh("p")
        return f"{{ SELECT DISTINCT {var} WHERE {{ {self.parent.pattern(p, fresh)} {p} {self.path.sparql} {var} . }} }}"

    def test(self, var: str, fresh) -> str:
        p = fresh("p")
        return f"EXISTS {{ {p} {self.path.sparql} {var} . FILTER({self.parent.test(p, fresh)}) }}"
