"""Value type constraint components: sh:class, sh:datatype, sh:nodeKind."""

from __future__ import annotations

from rdflib import URIRef

from kg.validation.fast.model import ValueCheck
from kg.validation.fast.terms import RDF, RDFS, SH, XSD, Unsupported, sparql_term

# Datatypes whose lexical forms Oxigraph parses: a literal of one of these is well-formed when the
# SPARQL cast to the datatype succeeds (an ill-formed literal, e.g. "2019-02-30"^^xsd:date, fails
# sh:datatype). Other datatypes are taken as well-formed, as pySHACL does.
CASTABLE = {
    XSD[n] for n in (
        "integer decimal float double boolean dateTime date time duration dayTimeDuration "
        "yearMonthDuration gYear gYearMonth gMonthDay gMonth gDay"
    ).split()
}
# xsd:integer subtypes: well-formed when the lexical form is an integer within the bounds.
INTEGER_RANGES = {
    XSD.nonNegativeInteger: (0, None), XSD.positiveInteger: (1, None), XSD.nonPositiveInteger: (None, 0),
    XSD.negativeInteger: (None, -1), XSD.long: (-(2**63), 2**63 - 1), XSD.int: (-(2**31), 2**31 - 1),
    XSD.short: (-(2**15), 2**15 - 1), XSD.byte: (-128, 127), XSD.unsignedLong: (0, 2**64 - 1),
    XSD.unsignedInt: (0, 2**32 - 1), XSD.unsignedShort: (0, 2**16 - 1), XSD.unsignedByte: (0, 255),
}
_TRIM = '"^[ \\\\t\\\\n\\\\r]+|[ \\\\t\\\\n\\\\r]+$"'


def datatype_cond(dt: URIRef):
    """The check as a SPARQL expression. Like every value check it is evaluated as
    ``COALESCE(check, false)`` (:func:`kg.validation.fast.model.wrap`), so an error means "does not conform":
    ``DATATYPE`` and ``LANG`` of an IRI or blank node raise one, and need no ``isLiteral`` guard in
    front. Oxigraph decodes the value again for each reference to it in an expression (≈ 1–2 µs a
    reference on disk), so the checks refer to it as few times as they can."""
    if dt == RDF.langString:
        return lambda v: f'(LANG({v}) != "")'
    if dt == XSD.string:
        return lambda v: f"sameTerm(DATATYPE({v}), <{XSD.string}>)"
    if dt == RDFS.Literal:
        return lambda v: f"isLiteral({v})"
    t = sparql_term(dt)
    if dt in CASTABLE:
        # the cast of a valid literal succeeds; an XSD lexical form may have surrounding whitespace
        return lambda v: (
            f"(sameTerm(DATATYPE({v}), {t}) && "
            f"(isLiteral({t}({v})) || isLiteral({t}(REPLACE(STR({v}), {_TRIM}, \"\")))))"
        )
    if dt in INTEGER_RANGES or dt == XSD.dateTimeStamp:
        # Oxigraph stores "3"^^xsd:byte as "3"^^xsd:integer (and xsd:dateTimeStamp as xsd:dateTime):
        # the datatype a value was written with is gone, so sh:datatype cannot be checked faithfully.
        raise Unsupported(f"sh:datatype {dt} (Oxigraph keeps such values as xsd:integer / xsd:dateTime)")
    if dt in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[dt]
        bounds = "".join(
            [f" && ?_i >= {lo}" if lo is not None else "", f" && ?_i <= {hi}" if hi is not None else ""]
        )

        def cond(v: str) -> str:
            i = f"<{XSD.integer}>(REPLACE(STR({v}), {_TRIM}, \"\"))"
            b = bounds.replace("?_i", i)
            return f"(isLiteral({v}) && DATATYPE({v}) = {t} && REGEX(STR({v}), \"^\\\\s*[+-]?[0-9]+\\\\s*$\"){b})"

        return cond
    return lambda v: f"sameTerm(DATATYPE({v}), {t})"


def compile_datatype(ctx, shape):
    out = []
    for dt in shape.all(SH.datatype):
        if not isinstance(dt, URIRef):
            raise Unsupported("sh:datatype must be an IRI")
        out.append(ValueCheck(SH.DatatypeConstraintComponent, datatype_cond(dt),
                              default_message=f"Value is not Literal with datatype {ctx.qname(dt)}"))
    return out


NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}


def compile_node_kind(ctx, shape):
    out = []
    for kind in shape.all(SH.nodeKind):
        if kind not in NODE_KINDS:
            raise Unsupported(f"unknown sh:nodeKind {kind!r}")
        tmpl = NODE_KINDS[kind]
        out.append(ValueCheck(SH.NodeKindConstraintComponent, lambda v, tmpl=tmpl: tmpl.format(v=v),
                              default_message=f"Value is not of Node Kind {ctx.qname(kind)}"))
    return out


def compile_class(ctx, shape):
    out = []
    for cls in shape.all(SH["class"]):
        if not isinstance(cls, URIRef):
            raise Unsupported("sh:class must be an IRI")
        out.append(ValueCheck(SH.ClassConstraintComponent, lambda v, cls=cls: ctx.instance_of(v, cls), expensive=True,
                              default_message=f"Value does not have class {ctx.qname(cls)}",
                              anti=lambda v, cls=cls: ctx.instance_pattern(v, cls)))
    return out


COMPILERS = [compile_class, compile_datatype, compile_node_kind]
