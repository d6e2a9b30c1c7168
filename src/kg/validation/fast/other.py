"""Other constraint components: sh:in, sh:hasValue, sh:closed (+ sh:ignoredProperties)."""

from __future__ import annotations

from rdflib import URIRef

from kg.validation.fast.model import FocusCheck, Frag, ValueCheck, read_list, truthy
from kg.validation.fast.terms import SH, Unsupported, sparql_term


def compile_in(ctx, shape):
    out = []
    for lst in shape.all(SH["in"]):
        members = [sparql_term(m) for m in read_list(ctx.g, lst)]
        if not members:
            out.append(ValueCheck(SH.InConstraintComponent, lambda v: "false"))
            continue
        if len(members) <= 16:
            cond = lambda v, members=members: "(" + " || ".join(f"sameTerm({v}, {m})" for m in members) + ")"  # noqa: E731
        else:
            values = " ".join(members)
            def cond(v, values=values):
                x = ctx.fresh("in")
                return f"EXISTS {{ VALUES {x} {{ {values} }} FILTER(sameTerm({v}, {x})) }}"
        out.append(ValueCheck(SH.InConstraintComponent, cond, default_message="Value {value} not in list"))
    return out


def compile_has_value(ctx, shape):
    out = []
    for value in shape.all(SH.hasValue):
        t = sparql_term(value)
        anti = None
        if shape.is_property_shape:
            path = shape.path.sparql
            cond = lambda f, fresh, path=path, t=t: f"EXISTS {{ {f} {path} {t} }}"  # noqa: E731
            anti = lambda f, path=path, t=t: f"{f} {path} {t} ."  # noqa: E731
        else:
            cond = lambda f, fresh, t=t: f"sameTerm({f}, {t})"  # noqa: E731
        out.append(FocusCheck(SH.HasValueConstraintComponent,
                              lambda f, fresh, top, cond=cond: Frag(f"FILTER(!{cond(f, fresh)})"),
                              focus_cond=cond, anti=anti, default_message=f"Node {{this}} does not have value {value}"))
    return out


def compile_closed(ctx, shape):
    if not any(truthy(x) for x in shape.all(SH.closed)):
        return []
    allowed = set()
    for ps in shape.properties:
        p = ctx.g.value(ps, SH.path)
        if isinstance(p, URIRef):
            allowed.add(p)
    for lst in shape.all(SH.ignoredProperties):
        allowed.update(read_list(ctx.g, lst))
    for a in allowed:
        if not isinstance(a, URIRef):
            raise Unsupported("sh:ignoredProperties must list IRIs")
    allowed_text = ", ".join(sparql_term(a) for a in sorted(allowed))

    def build(f, fresh, top):
        p, o = fresh("p"), fresh("o")
        keep = f"FILTER({p} NOT IN ({allowed_text}))" if allowed else ""
        if shape.is_property_shape:
            x = fresh("x")
            return Frag(f"{f} {shape.path.sparql} {x} . {x} {p} {o} . {keep}", value=o, path=p)
        return Frag(f"{f} {p} {o} . {keep}", value=o, path=p)

    return [FocusCheck(SH.ClosedConstraintComponent, build, free=False,
                       default_message="Node {this} is closed. It cannot have value: {value}")]


COMPILERS = [compile_in, compile_has_value, compile_closed]
