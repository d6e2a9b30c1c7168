"""Value range constraint components: sh:minExclusive, sh:minInclusive, sh:maxExclusive, sh:maxInclusive.

SHACL compares with SPARQL's operators; a value that cannot be compared (an error) does not conform.
"""

from __future__ import annotations

from rdflib import Literal

from kg.validation.fast.model import ValueCheck
from kg.validation.fast.terms import SH, Unsupported, sparql_term

RANGES = (
    (SH.minExclusive, SH.MinExclusiveConstraintComponent, ">", "Value is not >"),
    (SH.minInclusive, SH.MinInclusiveConstraintComponent, ">=", "Value is not >="),
    (SH.maxExclusive, SH.MaxExclusiveConstraintComponent, "<", "Value is not <"),
    (SH.maxInclusive, SH.MaxInclusiveConstraintComponent, "<=", "Value is not <="),
)


def compile_ranges(ctx, shape):
    out = []
    for param, component, op, text in RANGES:
        for bound in shape.all(param):
            if not isinstance(bound, Literal):
                raise Unsupported(f"{param} must be a literal")
            b = sparql_term(bound)
            out.append(ValueCheck(component, lambda v, op=op, b=b: f"({v} {op} {b})",
                                  default_message=f"{text} {bound}"))
    return out


COMPILERS = [compile_ranges]
