"""String-based constraint components: sh:minLength, sh:maxLength, sh:pattern (+ sh:flags),
sh:languageIn, sh:uniqueLang."""

from __future__ import annotations

from kg.validation.fast.model import (
    FocusCheck,
    Frag,
    ValueCheck,
    integer,
    read_list,
    truthy,
)
from kg.validation.fast.terms import SH, Unsupported, sparql_string

# Value checks are evaluated as COALESCE(check, false) (kg.validation.fast.model.wrap): STR() of a blank node
# raises an error, which fails the check as SHACL wants, so no isBlank() guard is needed (each
# reference to the value costs Oxigraph a decoding of it).


def compile_lengths(ctx, shape):
    out = []
    for param, component, op, text in (
        (SH.minLength, SH.MinLengthConstraintComponent, ">=", "String length not >="),
        (SH.maxLength, SH.MaxLengthConstraintComponent, "<=", "String length not <="),
    ):
        for n in shape.all(param):
            k = integer(n, str(param))
            out.append(ValueCheck(component, lambda v, op=op, k=k: f"(STRLEN(STR({v})) {op} {k})",
                                  default_message=f"{text} {k}"))
    return out


def compile_pattern(ctx, shape):
    out = []
    flags = shape.all(SH.flags)
    if len(flags) > 1:
        raise Unsupported("several sh:flags")
    f = sparql_string(str(flags[0])) if flags else None
    for pattern in shape.all(SH.pattern):
        p = sparql_string(str(pattern))
        args = f"{p}, {f}" if f else p
        out.append(ValueCheck(SH.PatternConstraintComponent,
                              lambda v, args=args: f"REGEX(STR({v}), {args})",
                              default_message=f"Value does not match pattern {str(pattern)!r}"))
    return out


def compile_language_in(ctx, shape):
    out = []
    for lst in shape.all(SH.languageIn):
        tags = [str(t) for t in read_list(ctx.g, lst)]
        if not tags:
            out.append(ValueCheck(SH.LanguageInConstraintComponent, lambda v: "false"))
            continue
        alts = " || ".join(f"langMatches(LANG({{v}}), {sparql_string(t)})" for t in tags)
        out.append(ValueCheck(
            SH.LanguageInConstraintComponent,
            lambda v, alts=alts: f"(isLiteral({v}) && ({alts.replace('{v}', v)}))",
            default_message=f"Language does not match any of {tags}",
        ))
    return out


def compile_unique_lang(ctx, shape):
    values = shape.all(SH.uniqueLang)
    if not values or not any(truthy(x) for x in values):
        return []
    if not shape.is_property_shape:
        raise Unsupported("sh:uniqueLang on a node shape")
    path = shape.path.sparql

    def build(f, fresh, top):
        a, b, lang = fresh("a"), fresh("b"), fresh("lang")
        return Frag(
            f"{f} {path} {a} . {f} {path} {b} . FILTER(!sameTerm({a}, {b}) && isLiteral({a}) && LANG({a}) != \"\" "
            f"&& LANG({a}) = LANG({b})) BIND(LANG({a}) AS {lang})",
            extra={"lang": lang},
        )

    return [FocusCheck(SH.UniqueLangConstraintComponent, build, free=not shape.path.nullable,
                       guard_path=None if shape.path.nullable else path,
                       guarded=lambda f, fresh: build(f, fresh, False),
                       default_message="More than one String shares the same Language")]


COMPILERS = [compile_lengths, compile_pattern, compile_language_in, compile_unique_lang]
