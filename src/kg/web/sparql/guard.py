"""What a SPARQL text asks for before it runs: its query form, and the hosts its ``SERVICE``
and ``LOAD`` would reach (refused unless allowlisted).

Why this matters: pyoxigraph 0.5's embedded store *does* make HTTP requests for
``SERVICE <http://...>`` in a query and ``LOAD <http://...>`` in an update (checked: a local
HTTP server receives them), and it has no option to switch that off or to plug in a handler.
So the text is checked before it reaches the store, failing closed.

How: not with rdflib's SPARQL parser — it is slow (pyparsing, in the event loop), does not
accept everything Oxigraph accepts (RDF-star, some extensions), and parses differently where
it matters. Oxigraph's parser is a PEG that matches keywords without word boundaries and
backtracks, so it finds a SERVICE in ``SERVICE<http://x/>{}``, ``?o 1SERVICE <x> {}``,
``?o trueSERVICE <x> {}``, ``service:x {}`` (``SERVICE`` + ``:x``), ``SERVICESILENT<x>{}``,
and behind a ``<`` comparison that a naive lexer takes for an IRI
(``FILTER(?a<?b)SERVICE#>`` newline ``<x> {}``). All of these are covered by the rule:

1. Find every occurrence of the letters ``service`` (and ``load`` in updates), in any case,
   anywhere in the raw text.
2. Lex the text (strings, comments, IRIs, variables, names, numbers — SPARQL's terminals).
   An occurrence is harmless only inside a string, comment or IRI token, or in the local part
   of a prefixed name (``kg:loadFactor``), and only when no *ambiguous* ``<`` precedes it:
   a ``<...>`` inside parentheses right after an operand whose content holds ``'`` or ``#``
   (there Oxigraph may read a less-than and a string or comment, and the lexers part ways).
3. Any other occurrence is taken as the keyword. What follows it (after an optional
   ``SILENT``, glued or not) is its target: a variable → refused; an IRI or prefixed name
   (expanded with *every* ``PREFIX`` / ``BASE`` declaration of that name found in the raw
   text; none → refused) → its host must be allowlisted; anything else cannot be a target,
   so Oxigraph would not see a SERVICE/LOAD there either. A ``SERVICE`` target must be
   followed by ``{`` (else it is not a service pattern: ``?service <p> ?o`` passes).
4. Targets must be absolute ``http``/``https`` IRIs in plain ASCII with a host in the
   allowlist (``host``, ``host:port`` or ``*.domain``).

Legitimate queries are refused only in contrived cases (an ambiguous ``<`` followed by a
string holding "service"); the message then says why.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

__all__ = ["Refused", "check_remote_access", "host_allowed", "query_form"]


class Refused(Exception):
    """A SERVICE / LOAD target outside the allowlist (or one that cannot be checked)."""

    def __init__(self, message: str, host: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.host = host


_NAME_CHAR = r"\w\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"\\[_~.\-!$&'()*+,;=/?#@%]|%[0-9A-Fa-f]{2}"
_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'(?:[^'\\\r\n]|\\.)*'"
    r'|"(?:[^"\\\r\n]|\\.)*")'
    r"|(?P<iri><(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)"
    rf"|(?P<var>[?$][{_NAME_CHAR}]+)"
    r"|(?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
    rf"|(?P<name>(?:[{_NAME_CHAR}:]|{_PLX})(?:[{_NAME_CHAR}:.\-]|{_PLX})*(?<!\.))"
    r"|(?P<punct>.)",
    re.DOTALL,
)
_SKIPPABLE = re.compile(r"(?:[ \t\r\n]+|#[^\r\n]*)*")
_OPERAND_END = {"var", "string", "number", "iri", "name", "langtag"}
_SAFE_KINDS = {"string", "comment", "iri"}
_WS_OR_COMMENT = r"(?:[ \t\r\n]|#[^\r\n]*[\r\n])*"
_PREFIX_DECL = re.compile(
    rf"prefix{_WS_OR_COMMENT}([^\s:#<>]*):{_WS_OR_COMMENT}<([^<>]*)>", re.IGNORECASE
)
_BASE_DECL = re.compile(rf"base{_WS_OR_COMMENT}<([^<>]*)>", re.IGNORECASE)
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PLAIN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


@dataclass(frozen=True)
class Token:
    kind: str
    start: int
    end: int
    text: str


def tokens(text: str) -> list[Token]:
    """SPARQL's terminals, whitespace included (the lexer never fails: unknown → punct)."""
    return [Token(m.lastgroup or "punct", m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def query_form(text: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK — the first keyword after the prologue; None if unclear."""
    skip = 0
    for m in _TOKEN.finditer(text):  # lazily: the form is near the start, the text may be long
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        if skip:
            skip -= 1
            continue
        word = m.group().upper() if kind == "name" else ""
        if word == "BASE":
            skip = 1
        elif word == "PREFIX":
            skip = 2
        elif word in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
            return word
        else:
            return None
    return None


# --------------------------------------------------------------------------- allowlist


def host_allowed(host: str, port: int | None, allowlist: Iterable[str]) -> bool:
    """Whether ``host`` (lower case) and ``port`` match an allowlist entry."""
    for entry in allowlist:
        entry = entry.strip().lower()
        if "://" in entry:
            parts = urlsplit(entry)
            entry = parts.netloc.rsplit("@", 1)[-1]
        want_port: int | None = None
        if entry.count(":") == 1:
            entry, _, p = entry.partition(":")
            want_port = int(p) if p.isdigit() else -1
        if want_port is not None and want_port != port:
            continue
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False


def _check_iri(iri: str, bases: Sequence[str | None], word: str, allowlist: Sequence[str]) -> None:
    iri = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iri)
    for base in bases:
        full = urljoin(base, iri) if base else iri
        if not _PLAIN_IRI.fullmatch(full):
            raise Refused(f"{word} <{iri}> is not allowed: only absolute http(s) IRIs in plain ASCII are accepted")
        parts = urlsplit(full)
        if parts.scheme.lower() not in ("http", "https"):
            raise Refused(f"{word} <{full}> is not allowed: only http(s) endpoints can be allowlisted")
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            raise Refused(f"{word} <{full}> is not allowed: its host cannot be read") from None
        if not host:
            raise Refused(f"{word} <{full}> is not allowed: it names no host")
        effective_port = port if port is not None else (443 if parts.scheme.lower() == "https" else 80)
        if not host_allowed(host, effective_port, allowlist):
            shown = host if port is None else f"{host}:{port}"
            raise Refused(
                f"{word} to host {shown} is not allowed: it is not in this server's SERVICE allowlist "
                f"({', '.join(allowlist) if allowlist else 'empty'}; set KG_SERVICE_ALLOWLIST)",
                host=host,
            )


# --------------------------------------------------------------------------- SERVICE / LOAD


class _Checker:
    def __init__(self, text: str, allowlist: Sequence[str]) -> None:
        self.text = text
        self.allowlist = list(allowlist)
        self.prefixes: dict[str, list[str]] = {}
        for m in _PREFIX_DECL.finditer(text):
            self.prefixes.setdefault(m.group(1), []).append(m.group(2))
        declared_bases = [m.group(1) for m in _BASE_DECL.finditer(text)]
        self.bases: list[str | None] = list(declared_bases) or [None]

    def skip(self, pos: int) -> int:
        m = _SKIPPABLE.match(self.text, pos)
        return m.end() if m else pos

    def targets(self, pos: int) -> list[Token]:
        """What could follow a keyword ending at ``pos``: with and without a SILENT."""
        starts = {self.skip(pos)}
        for start in list(starts):
            if self.text[start : start + 6].lower() == "silent":
                starts.add(self.skip(start + 6))
        out = []
        for start in starts:
            m = _TOKEN.match(self.text, start)
            if m:
                out.append(Token(m.lastgroup or "punct", m.start(), m.end(), m.group()))
        return out

    def expand(self, pname: str, word: str) -> list[str]:
        prefix, _, local = pname.partition(":")
        declared = self.prefixes.get(prefix)
        if not declared:
            raise Refused(f"{word} {pname} is not allowed: its prefix {prefix}: is not declared")
        local = re.sub(r"\\(.)", r"\1", local)
        return [ns + local for ns in declared]

    def check(self, word: str, end: int) -> None:
        for target in self.targets(end):
            if word == "SERVICE":
                after = self.skip(target.end)
                if not self.text.startswith("{", after):
                    continue  # not a service pattern
                if target.kind == "var":
                    raise Refused(
                        f"SERVICE {target.text} is not allowed: a variable endpoint cannot be checked "
                        "against the allowlist; name the endpoint IRI"
                    )
            if target.kind == "iri":
                _check_iri(target.text[1:-1], self.bases, word, self.allowlist)
            elif target.kind == "name" and ":" in target.text and not target.text.startswith("_:"):
                for iri in self.expand(target.text, word):
                    _check_iri(iri, self.bases, word, self.allowlist)


def check_remote_access(text: str, allowlist: Sequence[str], *, update: bool = False) -> None:
    """Raise :class:`Refused` when ``text`` could make Oxigraph reach a host outside ``allowlist``
    (``SERVICE`` in queries and updates, ``LOAD`` in updates)."""
    pattern = r"service|load" if update else r"service"
    hits = list(re.finditer(pattern, text, re.IGNORECASE))
    if not hits:
        return
    toks = tokens(text)
    starts = [t.start for t in toks]
    ambiguous_from = _first_ambiguous_iri(toks)
    checker = _Checker(text, allowlist)
    for hit in hits:
        pos = hit.start()
        tok = toks[bisect_right(starts, pos) - 1]
        if tok.kind in _SAFE_KINDS and pos < ambiguous_from:
            continue
        if tok.kind == "name" and pos < ambiguous_from and _in_simple_local_part(tok, pos, hit.end()):
            continue
        if ambiguous_from <= pos and tok.kind in _SAFE_KINDS:
            raise Refused(
                f"cannot verify that this text makes no {hit.group().upper()} call: a '<' at offset "
                f"{ambiguous_from} may be a comparison or an IRI; write comparisons with spaces (?a < ?b)"
            )
        checker.check(hit.group().upper(), hit.end())


def _in_simple_local_part(tok: Token, start: int, end: int) -> bool:
    colon = tok.text.find(":")
    if colon < 0 or tok.start + colon >= start:
        return False
    return re.fullmatch(r"[\w\-]*", tok.text[colon + 1 : end - tok.start]) is not None


def _first_ambiguous_iri(toks: list[Token]) -> int:
    """Offset of the first ``<...>`` that Oxigraph might read as ``<`` + more, else infinity."""
    depth = 0
    previous: Token | None = None
    for tok in toks:
        if tok.kind in ("ws", "comment"):
            continue
        if tok.kind == "punct":
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth = max(0, depth - 1)
        elif (
            tok.kind == "iri"
            and depth > 0
            and previous is not None
            and (previous.kind in _OPERAND_END or previous.text == ")")
            and ("'" in tok.text or "#" in tok.text)
        ):
            return tok.start
        previous = tok
    return 1 << 62
