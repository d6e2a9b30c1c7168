"""SDGs: what sources write for a Sustainable Development Goal or target, resolved to the UN KOS URI.

``SdgKos`` reads the UN SDG KOS (``data/vocab/un-sdg/``, Turtle) once. It resolves goal numbers
(``10``, ``"SDG 10"``, ``"Goal 10"``), target codes (``"10.2"``, ``"10.a"``, ``"Target 10.2"``, the
KOS's zero-padded ``"10.02"``), a goal's short name (``"Reduced inequalities"``) and the URI itself
to ``http://metadata.un.org/sdg/10`` or ``.../10.2``. Goals are ``sdgo:Goal``, targets ``sdgo:Target``
(linked by ``sdgo:isTargetOf``); indicators are not linkable (``kg:sdg`` ranges over goals and targets).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from pathlib import Path
from typing import NoReturn, cast

import pyoxigraph as ox

from kg.linking.countries import normalise
from kg.model.namespaces import RDF, SDG, SDGO, SKOS
from kg.settings import Settings

KOS_PATH = Path("vocab/un-sdg/un-sdg-kos-goals-targets-indicators.ttl")  # under Settings.data_dir

_NS = str(SDG)
# "10", "SDG 10", "sdg-10", "Goal 10", "Target 10.2", "10.a", "10.2.1": an optional word, then dotted parts
_CODE = re.compile(
    r"(?:(?:un\s*)?(?:sdgs?|goal|target)\s*[-:#]?\s*)?(?P<code>\d+(?:\s*\.\s*[0-9a-z]+)*)", re.IGNORECASE
)


class UnknownSdg(ValueError):
    """The text names no UN SDG goal or target."""

    def __init__(self, text: object, reason: str) -> None:
        self.text = text
        super().__init__(f"SDG {str(text)!r} is not a UN SDG goal or target ({reason})")


class SdgKos:
    """The UN SDG KOS: goals, targets and their labels, indexed for resolving."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self._triples = triples
        self._goals: set[str] = set()
        self._targets: dict[str, str] = {}  # target -> goal
        self._indicators: dict[str, tuple[str, str]] = {}  # URI or "10.2.1" -> ("10.2.1", "10.2")
        self._labels: dict[str, dict[str, str]] = defaultdict(dict)  # uri -> lang -> prefLabel
        self._names: dict[str, str] = {}  # normalised skos:altLabel ("reduced inequalities") -> goal
        indicator_of: dict[str, str] = {}
        compact: dict[str, str] = {}
        for t in triples:
            assert not isinstance(t.subject, ox.Triple)  # no subject is a triple term (pyoxigraph's stub still allows one)
            # the KOS is Turtle of RDF 1.1: no triple terms
            s, p, o = t.subject.value, t.predicate.value, cast("ox.NamedNode | ox.BlankNode | ox.Literal", t.object)
            if p == str(RDF.type) and o.value == str(SDGO.Goal):
                self._goals.add(s)
            elif p == str(SDGO.isTargetOf):
                self._targets[s] = o.value
            elif p == str(SDGO.isIndicatorOf):
                indicator_of[s] = o.value
            elif p == str(SKOS.notation) and isinstance(o, ox.Literal):
                if o.datatype.value == str(SDGO.SDGCodeCompact):
                    compact[s] = o.value
            elif p == str(SKOS.prefLabel) and isinstance(o, ox.Literal) and o.language:
                # 12.3 has two English prefLabels, one truncated ("By 2030,d"): keep the longest
                if len(o.value) > len(self._labels[s].get(o.language, "")):
                    self._labels[s][o.language] = o.value
            elif p == str(SKOS.altLabel) and isinstance(o, ox.Literal):
                self._names[normalise(o.value)] = s
        for indicator, target in indicator_of.items():
            if indicator in compact:
                entry = (compact[indicator], target.removeprefix(_NS))
                self._indicators[indicator] = self._indicators[compact[indicator]] = entry
        self._goal_numbers = sorted(int(g.removeprefix(_NS)) for g in self._goals)

    @classmethod
    def from_file(cls, path: str | Path) -> SdgKos:
        """The KOS in ``path`` (Turtle), parsed once per file version."""
        resolved = Path(path).resolve()
        return _load_kos(str(resolved), resolved.stat().st_mtime_ns)

    def resolve(self, text: str | int) -> str:
        """The KOS URI of a goal (``10``, ``"SDG 10"``) or target (``"10.2"``, ``"10.a"``), or the URI."""
        if isinstance(text, bool) or not isinstance(text, (str, int)):
            raise UnknownSdg(text, self._expected())
        s = " ".join(str(text).split())
        if s.startswith(_NS):
            if s in self._goals or s in self._targets:
                return s
            if s in self._indicators:
                self._reject_indicator(text, s)
            raise UnknownSdg(text, "no such concept in the UN SDG KOS")
        m = _CODE.fullmatch(s)
        if m is None:
            goal = self._names.get(normalise(s))
            if goal:
                return goal
            raise UnknownSdg(text, self._expected())
        # "10.02" and "10.0a" are the KOS's zero-padded SDGCode forms of 10.2 and 10.a
        pieces = re.split(r"\s*\.\s*", m["code"])
        parts = [str(int(x)) if x.isdigit() else x.lower().lstrip("0") for x in pieces]
        first, last = self._goal_numbers[0], self._goal_numbers[-1]
        if not first <= int(parts[0]) <= last:
            raise UnknownSdg(text, f"goals are {first}–{last}")
        code = ".".join(parts)
        if len(parts) == 1:
            return _NS + code
        if len(parts) == 2 and _NS + code in self._targets:
            return _NS + code
        if len(parts) == 2:
            raise UnknownSdg(text, f"goal {parts[0]} has targets {self._target_range(parts[0])}")
        if code in self._indicators:
            self._reject_indicator(text, code)
        raise UnknownSdg(text, self._expected())

    def _reject_indicator(self, text: object, key: str) -> NoReturn:
        code, target = self._indicators[key]
        raise UnknownSdg(text, f"{code} is an indicator; link its target {target} instead")

    def _expected(self) -> str:
        first, last = self._goal_numbers[0], self._goal_numbers[-1]
        return f"write a goal number {first}–{last}, a target such as '10.2' or '10.a', or the KOS URI"

    def _target_range(self, goal: str) -> str:
        codes = [t.removeprefix(_NS + goal + ".") for t, g in self._targets.items() if g == _NS + goal]
        numbers = sorted(int(c) for c in codes if c.isdigit())
        letters = sorted(c for c in codes if not c.isdigit())
        spans = [f"{goal}.{numbers[0]}–{goal}.{numbers[-1]}"] if numbers else []
        if letters:
            spans.append(f"{goal}.{letters[0]}" + (f"–{goal}.{letters[-1]}" if len(letters) > 1 else ""))
        return " and ".join(spans)

    def is_goal(self, uri: str) -> bool:
        return uri in self._goals

    def is_target(self, uri: str) -> bool:
        return uri in self._targets

    def goal_of(self, uri: str) -> str:
        """The goal a target belongs to (a goal is its own goal)."""
        if uri in self._goals:
            return uri
        if uri in self._targets:
            return self._targets[uri]
        raise UnknownSdg(uri, "no goal or target of the UN SDG KOS has this URI")

    def label(self, uri: str, lang: str = "en") -> str:
        """The concept's ``skos:prefLabel`` in ``lang`` (the KOS has en, es, fr; English otherwise)."""
        if uri not in self._goals and uri not in self._targets:
            raise UnknownSdg(uri, "no goal or target of the UN SDG KOS has this URI")
        labels = self._labels[uri]
        return labels.get(lang) or labels.get("en") or uri.removeprefix(_NS)

    def graph_quads(self, graph_iri: str) -> list[ox.Quad]:
        """The KOS's triples, all in the named graph ``graph_iri``."""
        graph = ox.NamedNode(graph_iri)
        return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in self._triples]


@functools.lru_cache(maxsize=4)
def _load_kos(path: str, mtime_ns: int) -> SdgKos:
    del mtime_ns  # part of the cache key only: an edited file is read again
    return SdgKos([q.triple for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE)])


def default_kos(settings: Settings | None = None) -> SdgKos:
    """The KOS shipped in ``data/vocab/un-sdg/`` of the configured data dir."""
    settings = settings or Settings()
    assert settings.data_dir is not None
    return SdgKos.from_file(settings.data_dir / KOS_PATH)
