"""Logical constraint components: sh:not, sh:and, sh:or, sh:xone. Each value node is checked for
conformance to the member shapes (compiled recursively to SPARQL boolean expressions)."""

from __future__ import annotations

from kg.validation.fast.model import ValueCheck, read_list
from kg.validation.fast.terms import SH


def compile_not(ctx, shape):
    return [
        ValueCheck(SH.NotConstraintComponent, lambda v, s=s: f"!{ctx.conforms(s, v)}", expensive=True,
                   default_message=f"Value {{value}} conforms to shape {ctx.shape_label(s)}")
        for s in shape.all(SH["not"])
    ]


def compile_and(ctx, shape):
    out = []
    for lst in shape.all(SH["and"]):
        members = read_list(ctx.g, lst)
        out.append(ValueCheck(
            SH.AndConstraintComponent,
            lambda v, members=members: "(" + " && ".join(ctx.conforms(m, v) for m in members) + ")" if members else "true",
            expensive=True, default_message="Node {value} does not conform to all shapes in sh:and"))
    return out


def compile_or(ctx, shape):
    out = []
    for lst in shape.all(SH["or"]):
        members = read_list(ctx.g, lst)
        out.append(ValueCheck(
            SH.OrConstraintComponent,
            lambda v, members=members: "(" + " || ".join(ctx.conforms(m, v) for m in members) + ")" if members else "false",
            expensive=True, default_message="Node {value} does not conform to one or more shapes in sh:or"))
    return out


def compile_xone(ctx, shape):
    out = []
    for lst in shape.all(SH.xone):
        members = read_list(ctx.g, lst)
        out.append(ValueCheck(
            SH.XoneConstraintComponent,
            lambda v, members=members: "((" + " + ".join(f"IF({ctx.conforms(m, v)}, 1, 0)" for m in members) + ") = 1)"
            if members else "false",
            expensive=True, default_message="Node {value} does not conform to exactly one shape in sh:xone"))
    return out


COMPILERS = [compile_not, compile_and, compile_or, compile_xone]
