"""The Aurora Universities Network's SDG queries (v5.0, CC BY 4.0), compiled from their Scopus
syntax to a matcher over plain texts.

Syntax read (Scopus advanced search, as the query lines use it): quoted phrases (``"growth rate*"``),
bare words, the wildcards ``*`` (any ending, zero or more characters) and ``?`` (exactly one
character), ``AND``, ``OR``, ``AND NOT``, parentheses, the proximity operators ``W/n`` (both operands
within *n* words of each other, either order) and ``PRE/n`` (the left operand before the right, within
*n* words), and a field wrapper ``TITLE-ABS-KEY( … )`` / ``TITLE( … )`` / ``ABS( … )`` / ``KEY( … )``
(a project's title, summary and objectives are all searched; the field is kept on the query line).
Precedence, highest first, as Scopus documents it: ``OR``, ``W/n``, ``PRE/n``, ``AND``, ``AND NOT``.

Semantics over a text cut into words (lower-cased, accents folded, split at every character that is
not a letter or digit, so ``non-native`` is the two words ``non native``): a phrase matches where its
words stand in a row; ``A W/n B`` matches where a match of A and a match of B have at most *n* words
between them (``W/0``: adjacent); ``A PRE/n B`` the same with A first; the span of a proximity match
is the pair's extent, so proximity operators nest. ``AND`` needs both sides anywhere in the text,
``OR`` either, ``A AND NOT B`` A without B.

Speed: every word pattern of every query is compiled once into an exact-word table and a prefix
table; a text is looked up word by word (each of its distinct words once, with its prefixes), and a
query is evaluated only when at least one of the words it needs occurs (its *trigger* set).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeAlias

AQD = "{http://aurora-network.global/queries/namespace/}"
DC = "{http://dublincore.org/documents/dcmi-namespace/}"
WORD_RE = re.compile(r"[^\W_]+")
FIELDS = ("TITLE-ABS-KEY", "TITLE-ABS", "TITLE", "ABS", "KEY", "AUTHKEY")


class QuerySyntaxError(ValueError):
    """A query line that does not parse; the message names the file, the query and the position."""


def fold_word(word: str) -> str:
    t = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in t if not unicodedata.combining(c))


def words(text: str) -> list[tuple[str, int, int]]:
    """The folded words of ``text`` with their character spans."""
    return [(fold_word(m.group(0)), m.start(), m.end()) for m in WORD_RE.finditer(text)]


# ---------------------------------------------------------------------------- the syntax tree
@dataclass(frozen=True)
class Term:
    """A phrase: one or more word patterns in a row (``("income", False)``: exact; ``True``: prefix)."""

    parts: tuple[tuple[str, str], ...]  # (kind, pattern): kind "exact", "prefix" or "regex"
    source: str


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AndNot:
    left: Node
    right: Node


@dataclass(frozen=True)
class Near:
    left: Node
    right: Node
    n: int
    ordered: bool  # PRE/n


Node: TypeAlias = "Term | Or | And | AndNot | Near"

TOKEN_RE = re.compile(
    r"\s*(?:(?P<phrase>\"[^\"]*\")|(?P<lp>\()|(?P<rp>\))|(?P<near>[WwPp][RrEe]{0,2}/\d+)|(?P<field>(?:TITLE-ABS-KEY|TITLE-ABS|TITLE|ABS|KEY|AUTHKEY)\s*\()"
    r"|(?P<word>[^\s()\"]+))"
)


def _term(text: str, where: str) -> Term:
    parts: list[tuple[str, str]] = []
    for raw in re.split(r"[^\w*?]+", text.strip()):
        if not raw:
            continue
        w = fold_word(raw)
        if "?" in w or "*" in w[:-1]:
            rx = "".join("[^\\W_]" if c == "?" else "[^\\W_]*" if c == "*" else re.escape(c) for c in w)
            parts.append(("regex", rx))
        elif w.endswith("*"):
            if len(w) < 2:
                raise QuerySyntaxError(f"{where}: a wildcard needs at least one letter before it ({text!r})")
            parts.append(("prefix", w[:-1]))
        else:
            parts.append(("exact", w))
    if not parts:
        raise QuerySyntaxError(f"{where}: empty phrase {text!r}")
    return Term(tuple(parts), text)


class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text, self.where = text, where
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = TOKEN_RE.match(text, pos)
            if m is None or m.end() == pos:
                raise QuerySyntaxError(f"{where}: cannot read the query at character {pos}: {text[pos:pos + 30]!r}")
            group = m.lastgroup or ""
            kind = group
            value = m.group(group)
            if kind == "word" and value.upper() in ("AND", "OR", "NOT"):
                kind = value.upper()
            elif kind == "near":
                kind = "PRE" if value.upper().startswith("P") else "W"
            self.tokens.append((kind, value, m.start(group)))
            pos = m.end()
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, str, int] | None:
        return self.tokens[self.i + k] if self.i + k < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        t = self.peek()
        if t is None:
            raise QuerySyntaxError(f"{self.where}: the query ends too early")
        self.i += 1
        return t

    def error(self, what: str) -> QuerySyntaxError:
        t = self.peek()
        at = t[2] if t else len(self.text)
        return QuerySyntaxError(f"{self.where}: {what} at character {at}: {self.text[at:at + 30]!r}")

    def parse(self) -> Node:
        node = self.and_not()
        if self.peek() is not None:
            raise self.error("unexpected text")
        return node

    # AND NOT (lowest) < AND < PRE/n < W/n < OR (highest)
    def and_not(self) -> Node:
        left = self.and_()
        while self.peek() and self.peek()[0] == "AND" and self.peek(1) and self.peek(1)[0] == "NOT":  # type: ignore[index]
            self.take()
            self.take()
            left = AndNot(left, self.and_())
        return left

    def and_(self) -> Node:
        items = [self.pre()]
        while self.peek() and self.peek()[0] == "AND" and not (self.peek(1) and self.peek(1)[0] == "NOT"):  # type: ignore[index]
            self.take()
            items.append(self.pre())
        return items[0] if len(items) == 1 else And(tuple(items))

    def pre(self) -> Node:
        left = self.w()
        while self.peek() and self.peek()[0] == "PRE":  # type: ignore[index]
            n = int(self.take()[1].split("/")[1])
            left = Near(left, self.w(), n, True)
        return left

    def w(self) -> Node:
        left = self.or_()
        while self.peek() and self.peek()[0] == "W":  # type: ignore[index]
            n = int(self.take()[1].split("/")[1])
            left = Near(left, self.or_(), n, False)
        return left

    def or_(self) -> Node:
        items = [self.atom()]
        while self.peek() and self.peek()[0] == "OR":  # type: ignore[index]
            self.take()
            items.append(self.atom())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def atom(self) -> Node:
        t = self.peek()
        if t is None:
            raise self.error("a term or '(' is missing")
        kind, value, _ = t
        if kind in ("lp", "field"):
            self.take()
            node = self.and_not()
            if self.peek() is None or self.peek()[0] != "rp":  # type: ignore[index]
                raise self.error("')' is missing")
            self.take()
            return node
        if kind == "phrase":
            self.take()
            return _term(value[1:-1], self.where)
        if kind == "word":
            self.take()
            return _term(value, self.where)
        raise self.error(f"unexpected {value!r}")


def parse_query(text: str, where: str = "query") -> Node:
    """The syntax tree of one Scopus query line; :class:`QuerySyntaxError` names ``where`` and the position."""
    return _Parser(text, where).parse()


# ---------------------------------------------------------------------------- the queries
@dataclass
class QueryLine:
    goal: str  # "10"
    target: str  # "10.1"
    target_uri: str
    subquery: str
    line: int  # 1-based within its query definition
    field: str
    text: str
    node: Node
    file: str

    @property
    def id(self) -> str:
        return f"{self.target}-{self.line}"


@dataclass
class QuerySet:
    version: str
    doi: str
    lines: list[QueryLine]
    files: list[str] = field(default_factory=list)


def load_queries(directory: Path) -> QuerySet:
    """Every query line of every ``query_SDG*.xml`` in ``directory``, parsed."""
    lines: list[QueryLine] = []
    version, doi = "", ""
    files = sorted(directory.glob("query_SDG*.xml"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    if not files:
        raise FileNotFoundError(f"{directory}: no query_SDG*.xml files")
    for path in files:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise QuerySyntaxError(f"{path.name}: not well-formed XML: {exc}") from None
        goal = next((e.text or "").strip() for e in root.findall(f"{DC}identifier") if e.get("type") == "sdg")
        version = next(((e.text or "").strip() for e in root.findall(f"{DC}identifier") if e.get("type") == "version"), version)
        doi = next(((e.text or "").strip() for e in root.findall(f"{DC}identifier") if e.get("type") == "doi"), doi)
        for qd in root.iter(f"{AQD}query-definition"):
            sub = (qd.findtext(f"{AQD}subquery-identifier") or "").strip()
            uri = next(((e.text or "").strip() for e in qd.findall(f"{DC}identifier") if e.get("type") == "uri"), "")
            target = uri.rsplit("/", 1)[-1] if uri else f"{goal}.{sub}"
            for n, ql in enumerate(qd.iter(f"{AQD}query-line"), start=1):
                text = " ".join((ql.text or "").split())
                where = f"{path.name}: target {target} line {n}"
                lines.append(QueryLine(goal, target, uri, sub, n, ql.get("field") or "TITLE-ABS-KEY", text, parse_query(text, where), path.name))
    return QuerySet(version, doi, lines, [p.name for p in files])


# ---------------------------------------------------------------------------- matching
Span = tuple[int, int]  # word positions [first, last]


@dataclass
class Hit:
    line: QueryLine
    spans: list[tuple[int, int]]  # character spans of the words that matched


class Matcher:
    """All query lines compiled: exact and prefix word tables, phrase patterns, trigger sets."""

    def __init__(self, queries: QuerySet) -> None:
        self.queries = queries
        self.exact: dict[str, set[int]] = {}  # word → ids of word patterns
        self.prefix: dict[str, set[int]] = {}
        self.regex: list[tuple[re.Pattern[str], int]] = []
        self.patterns: dict[tuple[str, str], int] = {}
        self.triggers: list[set[int]] = []  # per query line: the word-pattern ids any match needs one of
        self.max_prefix = 1
        for ql in queries.lines:
            self.triggers.append(self._collect(ql.node))
        self.by_pattern: dict[int, list[int]] = {}
        for i, trig in enumerate(self.triggers):
            for pid in trig:
                self.by_pattern.setdefault(pid, []).append(i)

    def _pid(self, part: tuple[str, str]) -> int:
        if part not in self.patterns:
            pid = self.patterns[part] = len(self.patterns)
            kind, pat = part
            if kind == "exact":
                self.exact.setdefault(pat, set()).add(pid)
            elif kind == "prefix":
                self.prefix.setdefault(pat, set()).add(pid)
                self.max_prefix = max(self.max_prefix, len(pat))
            else:
                self.regex.append((re.compile(pat), pid))
        return self.patterns[part]

    def _collect(self, node: Node) -> set[int]:
        if isinstance(node, Term):
            ids = [self._pid(p) for p in node.parts]
            return {ids[0]}
        if isinstance(node, AndNot):
            self._collect(node.right)
            return self._collect(node.left)
        if isinstance(node, Near):
            right = self._collect(node.right)
            return self._collect(node.left) | right
        out: set[int] = set()
        for item in node.items:
            out |= self._collect(item)
        return out

    def match(self, text: str) -> list[Hit]:
        """The query lines that match ``text``, each with the words that made it match."""
        toks = words(text)
        if not toks:
            return []
        seq = [w for w, _, _ in toks]
        # word pattern id → positions of words it matches
        positions: dict[int, list[int]] = {}
        cache_w: dict[str, set[int]] = {}
        for pos, w in enumerate(seq):
            ids = cache_w.get(w)
            if ids is None:
                ids = set(self.exact.get(w, ()))
                for k in range(1, min(len(w), self.max_prefix) + 1):
                    ids |= self.prefix.get(w[:k], set())
                for rx, pid in self.regex:
                    if rx.fullmatch(w):
                        ids.add(pid)
                cache_w[w] = ids
            for pid in ids:
                positions.setdefault(pid, []).append(pos)
        candidates = sorted({q for pid in positions for q in self.by_pattern.get(pid, ())})
        hits: list[Hit] = []
        memo: dict[Term, list[Span]] = {}
        for qi in candidates:
            ql = self.queries.lines[qi]
            spans = self._eval(ql.node, positions, memo)
            if spans:
                char = sorted({(toks[a][1], toks[b][2]) for a, b in spans})
                hits.append(Hit(ql, char))
        return hits

    def _term_spans(self, term: Term, positions: dict[int, list[int]], memo: dict[Term, list[Span]]) -> list[Span]:
        if term in memo:
            return memo[term]
        ids = [self.patterns[p] for p in term.parts]
        first = positions.get(ids[0], [])
        out: list[Span] = []
        if len(ids) == 1:
            out = [(p, p) for p in first]
        else:
            sets = [set(positions.get(i, ())) for i in ids[1:]]
            for p in first:
                if all(p + k + 1 in s for k, s in enumerate(sets)):
                    out.append((p, p + len(ids) - 1))
        memo[term] = out
        return out

    def _eval(self, node: Node, positions: dict[int, list[int]], memo: dict[Term, list[Span]]) -> list[Span]:
        if isinstance(node, Term):
            return self._term_spans(node, positions, memo)
        if isinstance(node, Or):
            out: list[Span] = []
            for item in node.items:
                out += self._eval(item, positions, memo)
            return out
        if isinstance(node, And):
            parts = []
            for item in node.items:
                spans = self._eval(item, positions, memo)
                if not spans:
                    return []
                parts += spans
            return parts
        if isinstance(node, AndNot):
            left = self._eval(node.left, positions, memo)
            if not left or self._eval(node.right, positions, memo):
                return []
            return left
        left = self._eval(node.left, positions, memo)
        if not left:
            return []
        right = self._eval(node.right, positions, memo)
        out = []
        for a in left:
            for b in right:
                if b[0] > a[1]:
                    gap = b[0] - a[1] - 1
                elif a[0] > b[1]:
                    if node.ordered:
                        continue
                    gap = a[0] - b[1] - 1
                else:
                    continue  # overlapping words are not two terms near each other
                if gap <= node.n:
                    out.append((min(a[0], b[0]), max(a[1], b[1])))
        return out


@cache
def default_matcher(directory: str) -> Matcher:
    return Matcher(load_queries(Path(directory)))
