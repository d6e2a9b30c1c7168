"""Cardinality constraint components: sh:minCount, sh:maxCount (distinct value nodes per focus node)."""

from __future__ import annotations

from kg.validation.fast.model import FocusCheck, Frag, integer
from kg.validation.fast.terms import SH, Unsupported


def _distinct(vars_: list[str]) -> str:
    pairs = [f"!sameTerm({a}, {b})" for i, a in enumerate(vars_) for b in vars_[i + 1:]]
    return " && ".join(pairs) if pairs else "true"


def at_least(f: str, path: str, n: int, fresh) -> str:
    """A boolean: the focus node has at least n distinct values on the path."""
    if n <= 0:
        return "true"
    if n == 1:
        return f"EXISTS {{ {f} {path} {fresh('y')} }}"
    if n <= 4:
        ys = [fresh("y") for _ in range(n)]
        body = " . ".join(f"{f} {path} {y}" for y in ys)
        return f"EXISTS {{ {body} FILTER({_distinct(ys)}) }}"
    y = fresh("y")
    return (f"EXISTS {{ {{ SELECT {f} (COUNT(DISTINCT {y}) AS {y}n) WHERE {{ {f} {path} {y} }} GROUP BY {f} }} "
            f"FILTER({y}n >= {n}) }}")


def compile_min_count(ctx, shape):
    out = []
    for value in shape.all(SH.minCount):
        n = integer(value, "sh:minCount")
        if not shape.is_property_shape:
            raise Unsupported("sh:minCount on a node shape")
        if n == 0:
            continue
        path = shape.path.sparql

        def cond(f, fresh, path=path, n=n):
            return at_least(f, path, n, fresh)

        def build(f, fresh, top, cond=cond):
            return Frag(f"FILTER(!{cond(f, fresh)})")

        def anti(f, path=path, n=n):
            if n == 1:
                return f"{f} {path} ?_any ."
            return f"{{ SELECT {f} WHERE {{ {f} {path} ?_any }} GROUP BY {f} HAVING (COUNT(DISTINCT ?_any) >= {n}) }}"

        out.append(FocusCheck(SH.MinCountConstraintComponent, build, focus_cond=cond, anti=anti,
                              default_message=f"Less than {n} values on {{this}}->{ctx.qname_path(shape)}"))
    return out


def compile_max_count(ctx, shape):
    out = []
    for value in shape.all(SH.maxCount):
        n = integer(value, "sh:maxCount")
        if not shape.is_property_shape:
            raise Unsupported("sh:maxCount on a node shape")
        path = shape.path.sparql
        nullable = shape.path.nullable

        def cond(f, fresh, path=path, n=n):
            return f"!{at_least(f, path, n + 1, fresh)}"

        def build(f, fresh, top, cond=cond, path=path, n=n, nullable=nullable):
            if top and f.startswith("?") and not nullable:
                y = fresh("y")
                return Frag(f"{{ SELECT {f} WHERE {{ {f} {path} {y} }} GROUP BY {f} HAVING (COUNT(DISTINCT {y}) > {n}) }}")
            return Frag(f"FILTER(!{cond(f, fresh)})")

        def guarded(f, fresh, path=path, n=n):
            ys = [fresh("y") for _ in range(n + 1)]
            body = " . ".join(f"{f} {path} {y}" for y in ys)
            return Frag(f"{body} . FILTER({_distinct(ys)})")

        out.append(FocusCheck(SH.MaxCountConstraintComponent, build, free=not nullable,
                              focus_cond=cond if nullable else None,
                              guard_path=None if nullable or n < 1 else path, guarded=guarded,
                              default_message=f"More than {n} values on {{this}}->{ctx.qname_path(shape)}"))
    return out


COMPILERS = [compile_min_count, compile_max_count]
