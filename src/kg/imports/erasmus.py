"""Erasmus+ Project Results Platform exports → project records, with their programme hierarchy.

The platform exports one row per project (xlsx or CSV) for Erasmus+ and its predecessors and
siblings — Lifelong Learning, Youth in Action, Creative Europe, Culture 2007-2013, Erasmus Mundus,
Sport, cooperation with industrialised countries — with 415–623 columns: the project, its
coordinator, then ``Partner N name / organisation type / address / region / country / website`` for
N = 1..100. Column sets differ by programme and are recognised by header (:func:`detect_table`).

Programme hierarchy, as concepts of the programme scheme:

* Erasmus+: programme (2014–2020 or 2021–2027 by call year) → key action → action type. The key
  action and action type codes come from the project identifier (``2014-1-DE03-KA101-000001`` is
  KA1 / KA101); a concept that data/vocab/programmes.yaml already has (KA2, KA3, KA202 …) is reused
  by code or name, others are new concepts of the import (``erasmus-plus-ka1``, ``erasmus-plus-ka101``).
* Creative Europe: programme → sub-programme → action.
* Older programmes: the ``Programme Funding`` path (``Education and training\\Life long learning
  (2007-2013)\\COMENIUS\\Accompanying measures``) below its first segment, the platform's area;
  curated concepts are reused by name (``Life long learning (2007-2013)`` is ``llp-2007-2013``).

The platform states no language for titles (many are in the applicant's language), so titles are
tagged ``und`` (undetermined); summaries are the platform's English summaries (``en``).
"""

from __future__ import annotations

import itertools
import operator
import re
from typing import ClassVar

from kg.imports.context import ImportContext
from kg.imports.tables import (
    CellError,
    Row,
    TableFile,
    check_values,
    parse_amount,
    parse_bool,
    parse_date,
    parse_int,
    parse_url,
)
from kg.linking.countries import UnknownCountry, normalise
from kg.linking.organisations import split_acronym
from kg.model.records import (
    Grant,
    Money,
    Organisation,
    PartialDate,
    ProjectRecord,
    Role,
    SchemeConcept,
    SchemeLevel,
    Source,
)
from kg.model.uris import slugify

GRANT_PREFIX = "EU Grant award in euros"
KEY_COLUMNS = ("Project Identifier", "Project Number")
MAX_PARTNERS = 1000


def detect_table(header: list[str]) -> str | None:
    cols = set(header)
    if (cols & set(KEY_COLUMNS)) and "Project Title" in cols and "Participating countries" in cols:
        return "projects"
    return None


def _first(row: Row, *columns: str) -> tuple[str, str]:
    """(column, value) of the first of ``columns`` the row has a value for (or the first it has)."""
    present = [c for c in columns if c in row.values]
    for c in present:
        if row.get(c).strip():
            return c, row.get(c).strip()
    return (present[0] if present else columns[0]), ""


class _Pick:
    """:func:`_first` with the columns a header has resolved once (not on every row)."""

    __slots__ = ("present", "fallback")

    def __init__(self, header: set[str], columns: tuple[str, ...]):
        self.present = [c for c in columns if c in header]
        self.fallback = self.present[0] if self.present else columns[0]

    def __call__(self, values: dict[str, str]) -> tuple[str, str]:
        for c in self.present:
            v = values[c].strip()
            if v:
                return c, v
        return self.fallback, ""


ORG_FIELDS = ("name", "type", "address", "region", "country", "website")
COORDINATOR_COLUMNS = {
    "name": ("Coordinating organisation name", "Coordinator's name", "Coordinator name"),
    "type": ("Coordinating organisation type", "Coordinator organisation type", "Coordinator's organisation type"),
    "address": ("Coordinator's address",),
    "region": ("Coordinator's region",),
    "country": ("Coordinator's country",),
    "website": ("Coordinator's website",),
}
PARTNER_SUFFIXES = {
    "name": "name", "type": "organisation type", "address": "address", "region": "region", "country": "country", "website": "website",
}


class _Layout:
    """Where a table's organisation columns are, worked out once per header: the coordinator's, and the
    ``Partner N …`` slots (N = 1, 2 … while ``Partner N name`` is a column). A row's partner slots whose
    cells are all empty are skipped with one C-level pass (:func:`itertools.compress`) over those cells."""

    def __init__(self, header: list[str]):
        cols = set(header)
        self.coordinator = {f: _Pick(cols, c) for f, c in COORDINATOR_COLUMNS.items()}
        self.slots: list[dict[str, _Pick]] = []
        flat: list[str] = []
        slot_of: list[int] = []
        for n in range(1, MAX_PARTNERS + 1):
            prefix = f"Partner {n} "
            if prefix + "name" not in cols:
                break
            picks = {f: _Pick(cols, (prefix + suffix,)) for f, suffix in PARTNER_SUFFIXES.items()}
            for p in picks.values():
                flat.extend(p.present)
                slot_of.extend([n - 1] * len(p.present))
            self.slots.append(picks)
        self._slot_of = slot_of
        self._cells = operator.itemgetter(*flat) if flat else None
        self._single = len(flat) == 1
        self.grant_column = next((c for c in header if c.startswith(GRANT_PREFIX)), None)

    def partner_slots(self, values: dict[str, str]) -> list[dict[str, _Pick]]:
        """The slots with at least one non-empty cell, in order."""
        if self._cells is None:
            return []
        cells = self._cells(values)
        if self._single:
            cells = (cells,)
        used = dict.fromkeys(itertools.compress(self._slot_of, cells))
        return [self.slots[i] for i in used]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _cap(cid: str) -> str:
    if len(cid) <= 80:
        return cid
    import hashlib

    return cid[:70].rstrip("-") + "-" + hashlib.sha256(cid.encode("utf-8")).hexdigest()[:8]


# --------------------------------------------------------------------------- addresses
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}-)?(?=[A-Z0-9 -]*\d)[A-Z0-9]{1,8}(?:[ -][A-Z0-9]{1,4})?$", re.IGNORECASE)
_POSTCODE_CITY = re.compile(r"^((?:[A-Z]{1,2}-)?\d[\dA-Z]*(?:[ -]\d[\dA-Z]*)?)\s+(\D.*)$")
_CITY = re.compile(r"^[^\W\d_][^\d]{1,39}$")


def _is_city(text: str) -> bool:
    return bool(_CITY.match(text)) and text.upper() not in {"N/A", "NA"} and sum(ch.isalpha() for ch in text) >= 2


def parse_address(text: str) -> tuple[str | None, str | None, str | None]:
    """(street address, post code, city) from an address line as the platform writes it:
    ``Pistoriusstraße 133, 13086, Berlin``, ``Müegyetem rkp 3-9  1111 BUDAPEST``,
    ``University Campus,   GR-73100 Chania``. The city is left out when it cannot be told apart."""
    line = _clean(text.replace("\n", ", "))
    if not line:
        return None, None, None
    parts = [p.strip() for p in re.split(r",|\s{2,}|\n", text) if p.strip() and p.strip().upper() not in {"N/A", "NA"}]
    city = post = None
    if parts:
        last = parts[-1]
        m = _POSTCODE_CITY.match(last)
        if _is_city(last):
            city = last
            if len(parts) > 1 and _POSTCODE.match(parts[-2]):
                post = parts[-2]
        elif m and _is_city(m.group(2).strip()):
            post, city = m.group(1), m.group(2).strip()
        elif _POSTCODE.match(last):
            post = last
    return line, post, city


# --------------------------------------------------------------------------- the import
class ErasmusImport:
    """Reads Project Results Platform exports into records (see the module docstring)."""

    source: ClassVar[str] = "erasmus"
    summary: ClassVar[str] = "Erasmus+ Project Results Platform exports (xlsx or CSV, Partner 1..N columns), Erasmus+ and predecessor programmes."
    project_tables: ClassVar[frozenset[str]] = frozenset({"projects"})  # one row per project, the only kind
    vocabulary_tables: ClassVar[frozenset[str]] = frozenset()

    @staticmethod
    def detect_table(header: list[str]) -> str | None:  # the module's detect_table (mypy sees no staticmethod(...) as one)
        return detect_table(header)

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.scheme = ctx.scheme
        self.seen: dict[str, str] = {}  # project key → file:row
        self._layouts: dict[tuple[str, ...], _Layout] = {}
        # the programme scheme does not change during an import: its answers are remembered
        self._curated: dict[tuple[str, str | None, str | None], str | None] = {}
        self._defined: dict[tuple, str] = {}

    def layout(self, table: TableFile) -> _Layout:
        key = tuple(table.header)
        found = self._layouts.get(key)
        if found is None:
            found = self._layouts[key] = _Layout(table.header)
        return found

    def run(self, tables: list[tuple[TableFile, str]]) -> None:
        for table, _kind in tables:
            width = len(table.header)
            with self.ctx.reading(table, "projects") as stats:

                def read(row: Row, table: TableFile = table, width: int = width) -> ProjectRecord:
                    if row.error:
                        raise CellError(row.error_column, row.error + "; row rejected")
                    if row.shifted:
                        fields = width + len(row.extra) - row.missing
                        raise CellError(
                            table.header[-1],
                            f"columns shifted: the row has {fields} fields, the header {width} "
                            "(an unescaped delimiter or quote inside a text field); row rejected",
                        )
                    if row.bad_encoding:
                        column, _, what = row.bad_encoding[0].partition(":")
                        raise CellError(column, f"broken encoding: {what}")
                    return self.record(table, row)

                for row, record in self.ctx.read_rows(table, stats, read):
                    stats.count(self.ctx.add_record(record, table.name, row.number))

    # ------------------------------------------------------------------ one row
    def record(self, table: TableFile, row: Row) -> ProjectRecord:
        check_values(row.values)
        layout = self.layout(table)
        key_column, key = _first(row, *KEY_COLUMNS)
        if not key:
            raise CellError(key_column, "is empty: a project needs its identifier")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*(?: [A-Za-z0-9._/-]+)*", key):
            raise CellError(key_column, f"{key!r} is not a project identifier")
        if key in self.seen:
            raise CellError(key_column, f"project {key} is already given at {self.seen[key]}")
        title = _clean(row.get("Project Title"))
        if not title:
            raise CellError("Project Title", "is empty")
        grant_column = layout.grant_column
        amount = parse_amount("EU Grant award in euros", row.get(grant_column)) if grant_column else None
        start = parse_date("Start date", row.get("Start date"))
        end = parse_date("End date", row.get("End date"))
        if start and end and end < start:
            raise CellError("End date", f"end date {end} is before start date {start}")
        call_year = parse_int("Call year", row.get("Call year"))
        if call_year is not None and not 1950 <= call_year <= 2100:
            raise CellError("Call year", f"{call_year} is not a call year")

        countries = []
        for code in re.split(r"[,;]", row.get("Participating countries")):
            code = code.strip()
            if code:
                self.ctx.resolve_country("Participating countries", code)
                countries.append(code.upper())

        organisations = self.organisations(row, layout)
        programme = self.programme(row, key, call_year)
        summary = row.get("Project Summary").strip()
        categories = [_clean(t) for t in re.split(r";", row.get("Topics")) if t.strip()]
        categories += [_clean(t) for t in row.get("Activity type").split(",") if t.strip()]
        card = row.get("Results Platform Project Card").strip()
        web_links = [link for link in [parse_url(card.replace(" ", "%20"))] if link]
        record = ProjectRecord(
            id=slugify(key),
            language="en",
            source=Source(path=table.name),
            title={"und": title},
            summary=summary or None,
            start=PartialDate(start.year, start.month, start.day) if start else None,
            end=PartialDate(end.year, end.month, end.day) if end else None,
            status=row.get("Project Status").strip() or None,
            programme=programme,
            grant=Grant(number=key, amount=Money(value=amount) if amount is not None else None),
            countries=list(dict.fromkeys(countries)),
            organisations=organisations,
            categories=list(dict.fromkeys(categories)),
            call_year=call_year,
            homepage=parse_url(row.get("Project Website")),
            web_links=web_links,
            external_reference=_clean(row.get("External Reference")) or None,
            good_practice=parse_bool("Is Good Practice", row.get("Is Good Practice")),
            success_story=parse_bool("Is Success Story", row.get("Is Success Story")),
        )
        self.seen[key] = f"{table.name}:{row.number}"  # only once the model has accepted the row
        return record

    def organisations(self, row: Row, layout: _Layout | None = None) -> list[Organisation]:
        if layout is None:
            layout = _Layout(list(row.values))
        values = row.values
        out = []
        org = self.organisation({f: pick(values) for f, pick in layout.coordinator.items()}, "coordinator")
        if org:
            out.append(org)
        # slots whose cells are all empty state no partner (organisation() would return None for them)
        for slot in layout.partner_slots(values):
            org = self.organisation({f: pick(values) for f, pick in slot.items()}, "partner")
            if org:
                out.append(org)
        return out

    def organisation(self, cols: dict[str, tuple[str, str]], role: Role) -> Organisation | None:
        name_column, raw_name = cols["name"]
        if not raw_name:
            if any(v for _, v in cols.values()):
                raise CellError(name_column, "is empty, but the organisation's other columns are not")
            return None
        name, short = split_acronym(_clean(raw_name))
        country_column, country = cols["country"]
        if country:
            self.ctx.resolve_country(country_column, country)
        else:
            # "Kunstencentrum Vooruit, Belgium": older exports put the country after the name
            head, sep, tail = name.rpartition(",")
            if sep and head.strip():
                try:
                    self.ctx.countries.resolve(tail.strip())
                except UnknownCountry:
                    pass
                else:
                    name, country = head.strip(), tail.strip()
        street, post, city = parse_address(cols["address"][1])
        return Organisation(
            id="x",
            name=name,
            short_name=short,
            role=role,
            country=country or None,
            city=city if country else None,
            organisation_type=_clean(cols["type"][1]) or None,
            website=parse_url(cols["website"][1]),
            street=street,
            post_code=post,
            region=_clean(cols["region"][1]) or None,
        )

    # ------------------------------------------------------------------ programme hierarchy
    def programme(self, row: Row, key: str, call_year: int | None) -> str | None:
        path = row.get("Programme Funding").strip()
        if path:
            segments = [_clean(s) for s in re.split(r"\\+", path) if s.strip()]
            return self._path(segments[1:] if len(segments) > 1 else segments)
        programme = _clean(row.get("Programme"))
        if not programme:
            return None
        year = call_year
        m = re.match(r"(\d{4})-\d-", key)
        if year is None and m:
            year = int(m.group(1))
        if normalise(programme) in {"erasmus", "erasmus plus"}:
            return self._erasmus_plus(row, key, year)
        # Creative Europe and the like: programme → sub-programme → action
        period = "2014-2020" if year and 2014 <= year <= 2020 else ("2021-2027" if year and year >= 2021 else None)
        # a row of a known period is a programme of that period: not a curated concept named like the
        # programme's family across periods (data/vocab/programmes.yaml's "creative-europe")
        top = self._concept(programme, None, "programme", new_id=slugify(f"{programme} {period}" if period else programme), by_name=period is None)
        current = top
        sub = _clean(row.get("Sub-programme"))
        if sub:
            current = self._concept(sub, current, "programme")
        action = _clean(row.get("Action")) or _clean(row.get("Action Type"))
        if action:
            current = self._concept(action, current, "action-type")
        return current

    def _erasmus_plus(self, row: Row, key: str, year: int | None) -> str:
        if year is not None and year >= 2021:
            top = self._concept("Erasmus+ (2021–2027)", None, "programme", new_id="erasmus-plus-2021-2027", notation=None)
            prefix = "erasmus-plus-2021-2027"
        else:
            top = self._curated_by_name("Erasmus+", None) or "erasmus-plus-2014-2020"
            prefix = "erasmus-plus"
        m = re.search(r"-KA(\d)(\d{2})(?:-|$)", key)
        ka_text = _clean(row.get("Key Action"))
        at_text = _clean(row.get("Action Type"))
        current = top
        if m:
            ka_code, at_code = f"KA{m.group(1)}", f"KA{m.group(1)}{m.group(2)}"
            current = self._concept(ka_text or ka_code, top, "key-action", new_id=f"{prefix}-{ka_code.lower()}", notation=ka_code)
            current = self._concept(at_text or at_code, current, "action-type", new_id=f"{prefix}-{at_code.lower()}", notation=at_code)
            return current
        if ka_text:
            current = self._concept(ka_text, current, "key-action")
        if at_text:
            current = self._concept(at_text, current, "action-type")
        return current

    def _path(self, segments: list[str]) -> str | None:
        current: str | None = None
        for i, segment in enumerate(segments):
            last = i == len(segments) - 1 and i > 0
            current = self._concept(segment, current, "action-type" if last else "programme")
        return current

    # ------------------------------------------------------------------ concepts
    def _curated_by_name(self, text: str, broader: str | None, notation: str | None = None) -> str | None:
        """A concept of data/vocab/programmes.yaml under ``broader`` with this notation or name."""
        args = (text, broader, notation)
        if args in self._curated:
            return self._curated[args]
        found = self._curated[args] = self._find_curated(text, broader, notation)
        return found

    def _find_curated(self, text: str, broader: str | None, notation: str | None) -> str | None:
        key = normalise(text)
        for c in self.scheme.concepts:
            if c.broader != broader:
                continue
            if notation and c.notation == notation:
                return c.id
            names = [self.scheme.text(c.label).get("en", "")] + [
                next(iter(self.scheme.text(a).values()), "") for a in c.alt_labels
            ]
            for name in names:
                if key and (normalise(name) == key or normalise(name.split(":", 1)[-1]) == key):
                    return c.id
        return None

    def _concept(
        self,
        label: str,
        broader: str | None,
        level: SchemeLevel,
        *,
        new_id: str | None = None,
        notation: str | None = None,
        by_name: bool = True,
    ) -> str:
        args = (label, broader, level, new_id, notation)
        known = self._defined.get(args)
        if known is not None:
            return known  # defining the same concept again with the same values changes nothing
        curated = self._curated_by_name(label, broader, notation) if by_name else None
        if curated:
            self._defined[args] = curated
            return curated
        cid = _cap(new_id or (f"{broader}-{slugify(label)}" if broader else slugify(label)))
        if cid in self.ctx.curated_concept_ids:
            cid = _cap(f"{cid}-{slugify(label)}")
        self.ctx.concepts.define(
            SchemeConcept(id=cid, level=level, label=label, notation=notation, broader=broader)
        )
        if len(self._defined) < 100_000:
            self._defined[args] = cid
        return cid
