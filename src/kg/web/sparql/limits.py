"""What a SPARQL text may look like before it reaches the engine: its length, how deep it nests
and how many triple patterns it has.

Why: Oxigraph's parser is recursive. A query nesting a few thousand levels deep
(``FILTER(`` + 10 000 × ``(`` + ``1`` + 10 000 × ``)`` + ``)``, and most of the 15 shapes tried —
``{ { … } }``, ``OPTIONAL { OPTIONAL { … } }``, sub-SELECTs, ``FILTER EXISTS { … }``,
``GRAPH ?g { GRAPH ?g { … } }``, ``STR(STR(…))``, ``IF(…, IF(…))``, ``!!!…true``, ``<< << … >> >>``)
overflows the parser's stack: the process dies with SIGSEGV. Others (collections ``( ( … ) )``,
quoted triples) parse in time exponential in their depth (64 levels of collections: 1 s). So the
text is checked here, in microseconds, and refused with a 400 that says which limit it passed
(the workers also run on a large stack, so a text that slips through still cannot kill one).

How: :func:`check` scans the text once with one regular expression that knows SPARQL's strings
(all four quotings), comments, IRIs, quoted-triple brackets and terms, and stops at the first limit
passed. The *depth* at a point is the number of open ``(``, ``{``, ``[`` and ``<<`` plus the length
of a run of prefix operators (``!``, ``^``) there — brackets inside an IRI token count too (a naive
``<`` could be a comparison, so nothing is hidden from the count by what looks like an IRI).
After an IRI that Oxigraph might read as a ``<`` comparison followed by a string or a comment (a
``<…>`` in an expression right after an operand, holding a quote or ``#``: see
:mod:`kg.web.sparql.guard`), the rest of the text is counted raw: strings and comments no longer
hide brackets. The *triple patterns* are counted as the grammar makes them: each object in a group
(``{ … }``) or a blank-node property list (``[ … ]``), so ``?s :p ?a, ?b ; :q ?c`` is three;
``VALUES`` data and expressions are not patterns. Cheap upper bounds skip the scan for the texts
that cannot pass a limit (most real queries: fewer brackets than the depth limit and too short to
hold that many patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Limits", "QueryTooComplex", "check"]


@dataclass(frozen=True)
class Limits:
    max_length: int = 50_000  # characters
    max_depth: int = 32
    max_triple_patterns: int = 1_000


class QueryTooComplex(Exception):
    """The text passes a limit: a 400 with :attr:`message` (which limit, where, and the setting)."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.message = message
        self.limit = limit


_SCAN = re.compile(  # the most frequent tokens first (Python's re tries alternatives in order)
    r"(?P<t>[?$]\w+|_:\w+|[\w\u00C0-\uFFFF:](?:[\w\u00B7:.\-]*[\w\u00B7:\-])?)"
    r"|[ \t\r\n]+"
    r"|(?P<o><<|[({\[])"
    r"|(?P<x>>>|[)}\]])"
    r"|(?P<p>[.;,/|])"
    r"|(?P<c>#[^\r\n]*)"
    r"|(?P<i><[^<>\"{}|^`\\\x00-\x20]*>)"
    r"|(?P<u>[!^][!^ \t\r\n]*)"
    r"|(?P<s>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'(?:[^'\\\r\n]|\\.)*'"
    r'|"(?:[^"\\\r\n]|\\.)*")',
    re.DOTALL,
)
_RAW = re.compile(r"(?P<o><<|[({\[])|(?P<x>>>|[)}\]])|(?P<u>[!^][!^ \t\r\n]*)")
_IRI_BRACKETS = re.compile(r"[(){}\[\]]")
_OPERAND_END = frozenset({"s", "t", "i", "x"})  # kinds after which a '<' may be a comparison
# words that start something other than a triple (a pattern's subject never is one of these)
_KEYWORDS = frozenset(
    "OPTIONAL FILTER BIND MINUS GRAPH SERVICE SILENT UNION VALUES SELECT CONSTRUCT DESCRIBE ASK WHERE "
    "NOT EXISTS AS DISTINCT REDUCED FROM NAMED LIMIT OFFSET ORDER GROUP BY HAVING ASC DESC INSERT DELETE "
    "DATA WITH USING DEFAULT ALL LOAD CLEAR DROP CREATE ADD MOVE COPY TO INTO UNDEF".split()
)
_SKIP_TERMS = frozenset({"FILTER", "BIND", "HAVING", "ORDER", "GROUP", "BY", "ASC", "DESC", "AS", "SELECT", "GRAPH", "SERVICE", "SILENT", "VALUES"})


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _too_deep(text: str, offset: int, limits: Limits) -> QueryTooComplex:
    return QueryTooComplex(
        f"The query nests more than {limits.max_depth} levels deep at {_where(text, offset)} (brackets, braces, "
        f"parentheses, '<<', and runs of '!' or '^' count as levels); this endpoint accepts at most "
        f"{limits.max_depth} (setting max_query_depth, KG_MAX_QUERY_DEPTH). Write it flatter.",
        "depth",
    )


def check(text: str, limits: Limits, *, update: bool = False) -> None:
    """Raise :class:`QueryTooComplex` when ``text`` is too long, nests too deep or (a query) has too
    many triple patterns; return quickly for ordinary texts."""
    if len(text) > limits.max_length:
        raise QueryTooComplex(
            f"The query is {len(text)} characters long; this endpoint accepts at most {limits.max_length} "
            "(setting max_query_length, KG_MAX_QUERY_LENGTH).",
            "length",
        )
    openers = text.count("(") + text.count("{") + text.count("[") + text.count("<<") + text.count("!") + text.count("^")
    count_patterns = not update and len(text) > 2 * limits.max_triple_patterns
    if openers <= limits.max_depth and not count_patterns:
        return
    _scan(text, limits, count_patterns)


def _scan(text: str, limits: Limits, count_patterns: bool) -> None:
    max_depth = limits.max_depth
    # the open brackets, innermost last: [kind, state]; kind "g" a group, "b" a blank-node property list,
    # "q" a quoted triple, "d" data or an expression; state (g and b): 0 a subject is next, 1 a predicate,
    # 2 an object, 3 after an object; -1 terms that are no pattern's (after FILTER, GRAPH, SELECT...)
    stack: list[list[Any]] = []
    patterns = 0
    previous = ""  # kind of the previous token
    paren_depth = 0
    values_pending = False

    def term(context: list[Any], offset: int) -> None:
        nonlocal patterns
        state = context[1]
        if state == -1:
            return
        context[1] = _NEXT.get(state, 0)
        if state == 2:
            patterns += 1
            if count_patterns and patterns > limits.max_triple_patterns:
                raise QueryTooComplex(
                    f"The query has more than {limits.max_triple_patterns} triple patterns (the one at "
                    f"{_where(text, offset)} is past the limit); this endpoint accepts at most "
                    f"{limits.max_triple_patterns} (setting max_triple_patterns, KG_MAX_TRIPLE_PATTERNS).",
                    "triple patterns",
                )

    for m in _SCAN.finditer(text):
        kind = m.lastgroup
        if kind is None:
            continue  # a lone character (a '<' comparison, an operator)
        if kind == "s" or kind == "c":
            previous = kind
            continue
        top = stack[-1] if stack else None
        patterned = top is not None and top[0] in "gb"
        if kind == "i":
            tok = m.group()
            if paren_depth and previous in _OPERAND_END and ("'" in tok or '"' in tok or "#" in tok):
                _scan_raw(text, m.start(), len(stack), limits)  # ambiguous: count the rest raw
                return
            if "(" in tok or "{" in tok or "[" in tok:
                depth = len(stack)
                for b in _IRI_BRACKETS.finditer(tok):
                    depth += 1 if b.group() in "({[" else -1
                    if depth > max_depth:
                        raise _too_deep(text, m.start() + b.start(), limits)
            if patterned:
                term(top, m.start())  # type: ignore[arg-type]
            previous = kind
            continue
        if kind == "o":
            tok = m.group()
            if tok == "(":
                paren_depth += 1
            if tok == "{":
                if patterned:
                    top[1] = 0  # type: ignore[index]  # after a group, a new triple
                stack.append(["d" if values_pending or (top is not None and top[0] == "d") else "g", 0])
                values_pending = False
            elif patterned and top[1] == -1:  # type: ignore[index]
                top[1] = 0  # type: ignore[index]  # FILTER ( ... ): then a new triple
                stack.append(["d", 0])
            elif patterned:
                term(top, m.start())  # type: ignore[arg-type]  # a collection, blank node or quoted triple as a term
                stack.append(["b", 1] if tok == "[" else ["q" if tok == "<<" else "d", 0])
            else:
                stack.append(["q" if tok == "<<" else "d", 0])
            if len(stack) > max_depth:
                raise _too_deep(text, m.start(), limits)
            previous = kind
            continue
        if kind == "x":
            tok = m.group()
            if tok == ")":
                paren_depth = max(0, paren_depth - 1)
            if stack and (tok != ">>" or stack[-1][0] == "q"):
                stack.pop()
            previous = kind
            continue
        if kind == "u":
            run = m.group().count("!") + m.group().count("^")
            if len(stack) + run > max_depth:
                raise _too_deep(text, m.start(), limits)
            previous = kind
            continue
        if kind == "p":
            if patterned:
                sep = m.group()
                if sep == ".":
                    top[1] = 0  # type: ignore[index]
                elif sep == ";":
                    top[1] = 1  # type: ignore[index]
                elif sep == ",":
                    top[1] = 2  # type: ignore[index]
                elif top[1] == 2:  # type: ignore[index]  # '/' or '|' in a path: the predicate goes on
                    top[1] = 1  # type: ignore[index]
            previous = kind
            continue
        previous = "t"
        upper = m.group().upper()
        if upper in _KEYWORDS:
            if upper == "VALUES":
                values_pending = True
            if patterned:
                top[1] = -1 if upper in _SKIP_TERMS else 0  # type: ignore[index]
            continue
        if patterned:
            term(top, m.start())  # type: ignore[arg-type]


_NEXT = {0: 1, 1: 2, 2: 3}


def _scan_raw(text: str, start: int, depth: int, limits: Limits) -> None:
    """From ``start`` on, every bracket counts (strings and comments included)."""
    for m in _RAW.finditer(text, start):
        kind = m.lastgroup
        if kind == "o":
            depth += 1
            if depth > limits.max_depth:
                raise _too_deep(text, m.start(), limits)
        elif kind == "x":
            depth = max(0, depth - 1)
        elif kind == "u":
            run = m.group().count("!") + m.group().count("^")
            if depth + run > limits.max_depth:
                raise _too_deep(text, m.start(), limits)
