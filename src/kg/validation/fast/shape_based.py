"""Shape-based constraint components: sh:node, sh:property (expanded by the compiler: the property
shape's own results are reported), sh:qualifiedValueShape with sh:qualifiedMinCount /
sh:qualifiedMaxCount / sh:qualifiedValueShapesDisjoint."""

from __future__ import annotations

from kg.validation.fast.model import FocusCheck, Frag, ValueCheck, integer, truthy
from kg.validation.fast.terms import SH, Unsupported


def compile_node(ctx, shape):
    return [
        ValueCheck(SH.NodeConstraintComponent, lambda v, s=s: ctx.conforms(s, v), expensive=True,
                   default_message=f"Value does not conform to Shape {ctx.shape_label(s)}")
        for s in shape.all(SH.node)
    ]


def _distinct(vs):
    pairs = [f"!sameTerm({a}, {b})" for i, a in enumerate(vs) for b in vs[i + 1:]]
    return pairs


def at_least_conforming(f: str, path: str, n: int, cond, fresh) -> str:
    """A boolean: at least n distinct value nodes on the path satisfy cond."""
    if n <= 0:
        return "true"
    if n <= 6:
        ys = [fresh("q") for _ in range(n)]
        body = " . ".join(f"{f} {path} {y}" for y in ys)
        tests = _distinct(ys) + [cond(y) for y in ys]
        return f"EXISTS {{ {body} FILTER({' && '.join(tests)}) }}"
    y = fresh("q")
    return (f"EXISTS {{ {{ SELECT {f} (COUNT(DISTINCT {y}) AS {y}n) WHERE {{ {f} {path} {y} FILTER({cond(y)}) }} "
            f"GROUP BY {f} }} FILTER({y}n >= {n}) }}")


def compile_qualified(ctx, shape):
    qvs = shape.all(SH.qualifiedValueShape)
    mins = shape.all(SH.qualifiedMinCount)
    maxs = shape.all(SH.qualifiedMaxCount)
    if not qvs or not (mins or maxs):
        return []
    if len(qvs) > 1:
        raise Unsupported("several sh:qualifiedValueShape on one shape")
    if not shape.is_property_shape:
        raise Unsupported("sh:qualifiedValueShape on a node shape")
    qs = qvs[0]
    disjoint = any(truthy(x) for x in shape.all(SH.qualifiedValueShapesDisjoint))
    siblings = ctx.qualified_siblings(shape) if disjoint else []
    path = shape.path.sparql

    def cond(v):
        parts = [ctx.conforms(qs, v)] + [f"!{ctx.conforms(s, v)}" for s in siblings]
        return "(" + " && ".join(parts) + ")"

    out = []
    for m in mins:
        n = integer(m, "sh:qualifiedMinCount")

        def fcond(f, fresh, n=n):
            return at_least_conforming(f, path, n, cond, fresh)

        out.append(FocusCheck(SH.QualifiedMinCountConstraintComponent,
                              lambda f, fresh, top, fcond=fcond: Frag(f"FILTER(!{fcond(f, fresh)})"),
                              focus_cond=fcond,
                              default_message=f"Focus node has fewer than {n} values conforming to the qualified shape"))
    for m in maxs:
        n = integer(m, "sh:qualifiedMaxCount")

        def fcond(f, fresh, n=n):
            return f"!{at_least_conforming(f, path, n + 1, cond, fresh)}"

        out.append(FocusCheck(SH.QualifiedMaxCountConstraintComponent,
                              lambda f, fresh, top, fcond=fcond: Frag(f"FILTER(!{fcond(f, fresh)})"),
                              focus_cond=fcond,
                              default_message=f"Focus node has more than {n} values conforming to the qualified shape"))
    return out


COMPILERS = [compile_node, compile_qualified]
