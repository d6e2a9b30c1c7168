"""CORDIS exports → project records: the tables, how each is recognised, and how rows become records.

Tables are recognised by their header, never by file name (:func:`detect_table`):

* ``project`` and ``organization`` (Horizon Europe / H2020 layout: ``id;acronym;status;…``,
  ``projectID;projectAcronym;organisationID;…``) and their link tables ``legalBasis``, ``topics``,
  ``euroSciVoc``, ``webLink``, ``deliverables``; ``summaries`` and ``publications`` are recognised
  and left out (their facts have no place in the model yet);
* the legacy (≤2019) one-row-per-project layout (``rcn;id;acronym;…;coordinator;coordinatorCountry;
  participants;participantCountries;subjects``; FP1-era files say ``reference`` for ``id``) and the
  FP4-era layout (``RCN;Project Title;…;Contract Number;…;Coordinator Country;Contractor Country``);
* the H2020 reference tables (topics, programmes, subject index codes), which are vocabularies.

:class:`CordisImport` reads them in dependency order: vocabularies, then projects, then the tables
that hang off projects. Rows of the relational tables are staged in a SQLite file and joined per
project in key order (a merge over sorted cursors), so memory stays flat however big the export;
each project becomes one :class:`~kg.model.records.ProjectRecord` with its participants, legal bases,
topic, EuroSciVoc fields, web links and deliverables, handed to the import pipeline
(:mod:`kg.imports.pipeline`). Rows that cannot be read are rejected with the column and the reason;
legacy rows whose columns were shifted by an unescaped ``;`` or ``"`` in a text field are detected
(field count, and values that do not fit their column) and rejected, never loaded.

Programme hierarchy: framework programme (Horizon Europe, H2020, FP1–FP7) → legal-basis parts
(``HORIZON.2`` → ``HORIZON.2.5`` → …, as sub-programmes) → topic (a call). Concept ids are the
slugged codes (``HORIZON.2.5`` → ``horizon-2-5``, ``ERC-2023-STG`` → ``erc-2023-stg``).
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import ValidationError

from kg.imports.context import ImportContext, Outcome, TableStats
from kg.imports.tables import (
    CellError,
    Row,
    TableFile,
    check_text,
    check_values,
    parse_amount,
    parse_bool,
    parse_date,
    parse_int,
    parse_url,
)
from kg.model.records import (
    Grant,
    Money,
    Organisation,
    Output,
    PartialDate,
    ProjectRecord,
    SchemeConcept,
    Source,
    SubjectConcept,
)
from kg.model.uris import slugify

# --------------------------------------------------------------------------- tables
PROJECT = {"id", "acronym", "title", "startDate", "endDate", "ecMaxContribution", "frameworkProgramme", "objective"}
TABLES: dict[str, set[str]] = {
    "project": PROJECT | {"legalBasis", "topics"},
    "organization": {"projectID", "organisationID", "name", "role", "country"},
    "legalBasis": {"projectID", "legalBasis", "title", "uniqueProgrammePart"},
    "topics": {"projectID", "topic", "title"},
    "euroSciVoc": {"projectID", "euroSciVocCode", "euroSciVocPath", "euroSciVocTitle"},
    "webLink": {"projectID", "physUrl", "type"},
    "deliverables": {"id", "title", "deliverableType", "projectID", "url"},
    "summaries": {"id", "title", "projectID", "attachment"},
    "publications": {"id", "title", "isPublishedAs", "authors", "projectID"},
    "legacy-project": {"rcn", "acronym", "title", "startDate", "endDate", "objective", "coordinator", "coordinatorCountry", "participants", "participantCountries"},
    "fp4-project": {"RCN", "Project Title", "Start Date", "End Date", "Contract Number", "Coordinator Country", "Contractor Country"},
    "h2020-topics": {"title", "topicRcn", "topicCode", "legalBasisRcn", "legalBasisCode"},
    "h2020-programmes": {"rcn", "code", "title", "shortTitle", "language"},
    "subject-codes": {"code", "title", "description", "language"},
}
NOT_IMPORTED = {"summaries": "periodic reporting summaries", "publications": "publications"}
# the order tables are read in: vocabularies, projects, what hangs off projects
ORDER = [
    "h2020-programmes", "h2020-topics", "subject-codes",
    "project", "legacy-project", "fp4-project",
    "organization", "legalBasis", "topics", "euroSciVoc", "webLink", "deliverables",
    "summaries", "publications",
]
LINK_TABLES = ("legalBasis", "topics", "euroSciVoc", "webLink", "deliverables")
PROJECT_TABLES = frozenset({"project", "legacy-project", "fp4-project"})
VOCABULARY_TABLES = frozenset({"h2020-programmes", "h2020-topics", "subject-codes"})


def detect_table(header: list[str]) -> str | None:
    """The CORDIS table a header belongs to, or None. Checked most specific first."""
    cols = set(header)
    if TABLES["legacy-project"] <= cols and ({"id", "reference"} & cols):
        return "legacy-project"
    for name in ORDER:
        if name == "legacy-project":
            continue
        if TABLES[name] <= cols:
            return name
    return None


# --------------------------------------------------------------------------- vocabularies
# The framework programmes (their official names and years); legal-basis codes hang below them.
FRAMEWORKS: dict[str, tuple[str, str]] = {
    "HORIZON": ("horizon-europe-2021-2027", "Horizon Europe (2021–2027)"),
    "H2020": ("h2020-2014-2020", "Horizon 2020 (2014–2020)"),
    "FP7": ("fp7-2007-2013", "Seventh Framework Programme (FP7, 2007–2013)"),
    "FP6": ("fp6-2002-2006", "Sixth Framework Programme (FP6, 2002–2006)"),
    "FP5": ("fp5-1998-2002", "Fifth Framework Programme (FP5, 1998–2002)"),
    "FP4": ("fp4-1994-1998", "Fourth Framework Programme (FP4, 1994–1998)"),
    "FP3": ("fp3-1990-1994", "Third Framework Programme (FP3, 1990–1994)"),
    "FP2": ("fp2-1987-1991", "Second Framework Programme (FP2, 1987–1991)"),
    "FP1": ("fp1-1984-1987", "First Framework Programme (FP1, 1984–1987)"),
}
FRAMEWORK_NAMES = {
    "first framework programme": "FP1", "second framework programme": "FP2", "third framework programme": "FP3",
    "fourth framework programme": "FP4", "fifth framework programme": "FP5", "sixth framework programme": "FP6",
    "seventh framework programme": "FP7", "horizon 2020": "H2020", "horizon europe": "HORIZON",
}
# Horizon Europe's pillars (Regulation (EU) 2021/695, Article 4): their codes have no row of their own
# in the legalBasis table, but their parts (HORIZON.2.5 …) do.
HE_PARTS = {
    "HORIZON.1": "Excellent Science",
    "HORIZON.2": "Global Challenges and European Industrial Competitiveness",
    "HORIZON.3": "Innovative Europe",
    "HORIZON.4": "Widening Participation and Strengthening the European Research Area",
}
# CORDIS organisation activity types
ACTIVITY_TYPES = {
    "HES": "Higher or Secondary Education Establishments",
    "REC": "Research Organisations",
    "PRC": "Private for-profit entities (excluding Higher or Secondary Education Establishments)",
    "PUB": "Public bodies (excluding Research Organisations and Secondary or Higher Education Establishments)",
    "OTH": "Other",
}
ROLES = {
    "coordinator": "coordinator",
    "participant": "participant",
    "partner": "partner",
    "thirdparty": "third-party",
    "associatedpartner": "associated-partner",
    "beneficiary": "participant",
}


def concept_id(code: str, reserved: set[str]) -> str:
    """The concept id of a CORDIS code; prefixed ``cordis-`` if the slug is a curated concept's id."""
    cid = slugify(code)
    return f"cordis-{cid}" if cid in reserved else cid


def legal_basis_parent(code: str) -> str | None:
    """``HORIZON.2.5.1`` → ``HORIZON.2.5``; ``H2020-EU.3.2.1.`` → ``H2020-EU.3.2.``; the top part → None."""
    if code.startswith("H2020-EU."):
        body = code[len("H2020-EU.") :].rstrip(".")
        parts = body.split(".")
        return f"H2020-EU.{'.'.join(parts[:-1])}." if len(parts) > 1 else None
    m = re.fullmatch(r"(HORIZON|EURATOM)\.(\d+(?:\.\d+)*)", code)
    if m:
        parts = m.group(2).split(".")
        if len(parts) > 1:
            return f"{m.group(1)}.{'.'.join(parts[:-1])}"
        return "EURATOM2027" if m.group(1) == "EURATOM" else None
    return None


_parent_code = functools.lru_cache(maxsize=65536)(legal_basis_parent)


def framework_of(code: str) -> str | None:
    """The framework programme a legal-basis or programme code belongs to (HORIZON, H2020, FP4 …)."""
    if code.startswith(("HORIZON", "EURATOM.")) or code == "EURATOM2027":
        return "HORIZON"
    if code.startswith("H2020"):
        return "H2020"
    m = re.match(r"(FP[1-7])\b", code)
    return m.group(1) if m else None


def _clean(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> str:
    """Spaces collapsed within lines, line breaks kept (at most one empty line in a row)."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------- row readers
def _text(row: Row, column: str, *, required: bool = False) -> str:
    value = row.get(column).strip()
    check_text(column, value)
    if required and not value:
        raise CellError(column, "is empty")
    return value


def _date(row: Row, column: str) -> PartialDate | None:
    d = parse_date(column, row.get(column))
    return PartialDate(d.year, d.month, d.day) if d else None


def _money(row: Row, column: str) -> Money | None:
    a = parse_amount(column, row.get(column))
    return Money(value=a) if a is not None else None


def _check_encoding(row: Row) -> None:
    if row.error:
        raise CellError(row.error_column, row.error + "; row rejected")
    if row.bad_encoding:
        column, _, what = row.bad_encoding[0].partition(":")
        raise CellError(column, f"broken encoding: {what}")
    check_values(row.values)


def _shift_message(row: Row, width: int) -> str:
    fields = width + len(row.extra) - row.missing
    return (
        f"columns shifted: the row has {fields} fields, the header {width} "
        "(an unescaped ';' or '\"' inside a text field such as objective); row rejected"
    )


_PROJECT_ID = re.compile(r"^\d{1,12}$")
_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9./-]{2,30}$")
_PIC = re.compile(r"^\d{9}$")
_NUTS = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")


# --------------------------------------------------------------------------- the import
class CordisImport:
    """Reads the tables of one CORDIS export into records (see the module docstring)."""

    source: ClassVar[str] = "cordis"
    summary: ClassVar[str] = (
        "CORDIS exports: project + organization tables (CSV ; or , / xlsx / zip), their link tables"
        " (legalBasis, topics, euroSciVoc, webLink, deliverables), legacy one-row-per-project files, H2020 reference tables."
    )

    project_tables: ClassVar[frozenset[str]] = PROJECT_TABLES
    vocabulary_tables: ClassVar[frozenset[str]] = VOCABULARY_TABLES

    @staticmethod
    def detect_table(header: list[str]) -> str | None:  # the module's detect_table (mypy sees no staticmethod(...) as one)
        return detect_table(header)

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.stats: dict[str, TableStats] = {}  # table name → its stats (staged rows are counted when assembled)
        self.reserved = set(ctx.curated_concept_ids)
        self.db = sqlite3.connect(str(ctx.work_dir / "cordis-staging.sqlite"), isolation_level=None)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE project (key TEXT PRIMARY KEY, file TEXT, row INTEGER, data TEXT);
            CREATE TABLE org (project TEXT, seq INTEGER, file TEXT, row INTEGER, data TEXT);
            CREATE TABLE link (project TEXT, kind TEXT, seq INTEGER, file TEXT, row INTEGER, data TEXT);
            PRAGMA cache_size = -16384;
            """
        )
        # scratch: one transaction for the whole import (no commit per row), never committed
        self.db.execute("BEGIN")
        self.seq = 0
        self.titles: dict[str, str] = {}  # legal-basis / topic code → title
        self.topic_parent: dict[str, str] = {}  # topic code → legal-basis code
        self.code_framework: dict[str, str] = {}  # programme code → framework (FP1 …)
        self.subject_concepts: dict[str, SubjectConcept] = {}
        self._concept_memo: dict[tuple, str] = {}  # see _chain

    # ------------------------------------------------------------------ driver
    def run(self, tables: list[tuple[TableFile, str]]) -> None:
        ordered = sorted(tables, key=lambda t: ORDER.index(t[1]))
        for table, kind in ordered:
            if kind in NOT_IMPORTED:
                self.ctx.note(f"{table.name}: {kind} table ({NOT_IMPORTED[kind]}) recognised; not imported")
                continue
            reader = getattr(self, "_read_" + kind.replace("-", "_"))
            width = len(table.header)
            with self.ctx.reading(table, kind) as stats:
                self.stats[table.name] = stats
                batch: list[tuple] = []

                def read(row: Row, kind: str = kind, reader=reader, width: int = width, table: TableFile = table):
                    if kind not in ("legacy-project", "fp4-project"):
                        if row.shifted:  # the extra (or missing) fields sit past the last column
                            raise CellError(table.header[-1], _shift_message(row, width))
                        _check_encoding(row)
                    return reader(table, row)

                for _row, out in self.ctx.read_rows(table, stats, read):
                    if isinstance(out, Outcome):  # counted at once: a vocabulary row, a one-row-per-project record, a row skipped
                        stats.count(out)
                        continue
                    # staged (an organisation or link row; None: a project row, staged by its reader):
                    # counted by assemble, once its project is loaded or not
                    if out is not None:
                        batch.append(out)
                        if len(batch) >= 5000:
                            self._flush(batch)
                self._flush(batch)
        self.assemble()
        self.ctx.add_subject_concepts(self.subject_concepts.values())

    def _flush(self, batch: list[tuple]) -> None:
        if not batch:
            return
        # consecutive rows of one table in one executemany (rows keep their order: seq and rowid)
        i, n = 0, len(batch)
        while i < n:
            table_name = batch[i][0]
            j = i
            while j < n and batch[j][0] == table_name:
                j += 1
            placeholders = ",".join("?" * len(batch[i][1]))
            self.db.executemany(f"INSERT INTO {table_name} VALUES ({placeholders})", [values for _, values in batch[i:j]])
            i = j
        batch.clear()

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    # ------------------------------------------------------------------ vocabularies
    def _read_h2020_programmes(self, table: TableFile, row: Row) -> Outcome:
        code = _text(row, "code", required=True)
        title = _clean(_text(row, "title")) or _clean(_text(row, "shortTitle"))
        language = (_text(row, "language") or "en").lower()
        if language != "en":
            self.ctx.skip("h2020-programmes", 1, "a title in another language than English (concepts take the English title)")
            return Outcome.SKIPPED
        if not title:
            self.ctx.skip("h2020-programmes", 1, "no title or short title")
            return Outcome.SKIPPED
        if code.startswith("H2020-EU."):
            self.titles[code] = _h2020_title(title, _text(row, "shortTitle"))
            self._legal_basis_concept(code)
        else:
            self.titles.setdefault(code, title)
        return Outcome.LOADED

    def _read_h2020_topics(self, table: TableFile, row: Row) -> Outcome:
        code = _text(row, "topicCode", required=True)
        title = _clean(_text(row, "title"))
        parent = _text(row, "legalBasisCode")
        if title:
            self.titles.setdefault(code, title)
        if parent:
            self.topic_parent.setdefault(code, parent)
        self._topic_concept(code, parent or None, "H2020")
        return Outcome.LOADED

    def _read_subject_codes(self, table: TableFile, row: Row) -> Outcome:
        code = _text(row, "code", required=True)
        if not re.fullmatch(r"[A-Z0-9]{2,6}", code):
            raise CellError("code", f"{code!r} is not a subject code such as ENV")
        language = _text(row, "language", required=True).lower()
        title = _clean(_text(row, "title"))
        description = _clean(_text(row, "description"))
        concept = self.subject_concepts.get(code)
        if concept is None:
            concept = self.subject_concepts[code] = SubjectConcept(
                scheme="cordis-subjects", code=code, label={language: title or code}, notation=code
            )
        else:
            labels = dict(concept.label) if isinstance(concept.label, dict) else {"en": concept.label}
            if title and language not in labels:
                labels[language] = title
                concept.label = labels
        if description:
            defs = dict(concept.definition) if isinstance(concept.definition, dict) else {}
            defs.setdefault(language, description)
            concept.definition = defs
        return Outcome.LOADED

    def _chain(self, code: str | None) -> tuple:
        """What the definitions of a legal-basis concept and its ancestors depend on (the memo key)."""
        parts = []
        while code is not None:
            parts.append((code, self.code_framework.get(code), self.titles.get(code)))
            code = _parent_code(code)
        return tuple(parts)

    def _legal_basis_concept(self, code: str) -> str:
        """The id of a legal-basis concept, with its ancestors up to the framework programme (defined
        once per state of what they depend on: a project names the same few codes again and again)."""
        key = self._chain(code)
        cid = self._concept_memo.get(key)
        if cid is None:
            cid = self._concept_memo[key] = self._define_legal_basis(code)
        return cid

    def _define_legal_basis(self, code: str) -> str:
        cid = concept_id(code, self.reserved)
        parent = legal_basis_parent(code)
        framework = framework_of(code) or self.code_framework.get(code)
        if parent is not None:
            broader = self._legal_basis_concept(parent)
        elif framework in FRAMEWORKS and code not in FRAMEWORKS:
            broader = self._framework_concept(framework)
        else:
            broader = None
        title = self.titles.get(code) or HE_PARTS.get(code) or code
        self.ctx.concepts.define(
            SchemeConcept(id=cid, level="programme", label=title, notation=code, broader=broader),
            label_is_code=title == code,
        )
        return cid

    def _framework_concept(self, framework: str) -> str:
        cid, label = FRAMEWORKS[framework]
        self.ctx.concepts.define(SchemeConcept(id=cid, level="programme", label=label, notation=framework))
        return cid

    def _topic_concept(self, code: str, parent: str | None, framework: str | None) -> str:
        key = ("topic", code, self.titles.get(code), framework, self._chain(parent))
        cid = self._concept_memo.get(key)
        if cid is None:
            cid = self._concept_memo[key] = self._define_topic(code, parent, framework)
        return cid

    def _define_topic(self, code: str, parent: str | None, framework: str | None) -> str:
        cid = concept_id(code, self.reserved)
        if parent:
            broader = self._legal_basis_concept(parent)
        elif framework in FRAMEWORKS:
            broader = self._framework_concept(framework)
        else:
            broader = None
        title = self.titles.get(code) or code
        self.ctx.concepts.define(
            SchemeConcept(id=cid, level="call", label=title, notation=code, broader=broader),
            label_is_code=title == code,
        )
        return cid

    # ------------------------------------------------------------------ projects (Horizon Europe / H2020 layout)
    def _read_project(self, table: TableFile, row: Row) -> None:
        key = _text(row, "id", required=True)
        if not _PROJECT_ID.match(key):
            raise CellError("id", f"{key!r} is not a CORDIS project id (digits)")
        data = {
            "acronym": _text(row, "acronym"),
            "status": _text(row, "status"),
            "title": _clean(_text(row, "title", required=True)),
            "start": _iso(_date(row, "startDate")),
            "end": _iso(_date(row, "endDate")),
            "totalCost": _amount_text(row, "totalCost"),
            "ecMaxContribution": _amount_text(row, "ecMaxContribution"),
            "legalBasis": _text(row, "legalBasis"),
            "topics": _text(row, "topics"),
            "ecSignatureDate": _iso(_date(row, "ecSignatureDate")) if "ecSignatureDate" in row.values else None,
            "frameworkProgramme": _text(row, "frameworkProgramme"),
            "masterCall": _text(row, "masterCall"),
            "subCall": _text(row, "subCall"),
            "fundingScheme": _text(row, "fundingScheme"),
            "objective": _text(row, "objective"),
            "grantDoi": _text(row, "grantDoi"),
        }
        if data["start"] and data["end"] and data["end"] < data["start"]:
            raise CellError("endDate", f"end date {data['end']} is before start date {data['start']}")
        doi = data["grantDoi"]
        if doi and not re.match(r"^10\.\S+/\S+$", doi):
            raise CellError("grantDoi", f"{doi!r} is not a DOI")
        inserted = self.db.execute(
            "INSERT INTO project VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING", (key, table.name, row.number, json.dumps(data))
        ).rowcount
        if not inserted:
            existing = self.db.execute("SELECT file, row FROM project WHERE key = ?", (key,)).fetchone()
            raise CellError("id", f"project {key} is already given at {existing[0]}:{existing[1]}")
        return None

    def _read_organization(self, table: TableFile, row: Row) -> tuple:
        project = _text(row, "projectID", required=True)
        if not _PROJECT_ID.match(project):
            raise CellError("projectID", f"{project!r} is not a CORDIS project id (digits)")
        pic = _text(row, "organisationID")
        if pic and not _PIC.match(pic):
            raise CellError("organisationID", f"{pic!r} is not a PIC (nine digits)")
        name = _clean(_text(row, "name", required=True))
        country_text = _text(row, "country")
        country = self.ctx.resolve_country("country", country_text) if country_text else None
        role_text = _text(row, "role")
        role = ROLES.get(role_text.replace("_", "").replace("-", "").lower()) if role_text else "participant"
        if role is None:
            raise CellError("role", f"{role_text!r} is not a CORDIS role (coordinator, participant, thirdParty, associatedPartner, partner)")
        nuts = _text(row, "nutsCode")
        if nuts and not _NUTS.match(nuts):
            raise CellError("nutsCode", f"{nuts!r} is not a NUTS code")
        lat = lon = None
        geo = _text(row, "geolocation")
        if geo:
            m = re.fullmatch(r"\(?\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)?", geo)
            if not m or not (-90 <= float(m.group(1)) <= 90 and -180 <= float(m.group(2)) <= 180):
                raise CellError("geolocation", f"{geo!r} is not latitude,longitude")
            lat, lon = m.group(1), m.group(2)
        activity = _text(row, "activityType")
        data = {
            "pic": pic or None,
            "vat": _text(row, "vatNumber") or None,
            "name": name,
            "shortName": _clean(_text(row, "shortName")) or None,
            "sme": parse_bool("SME", row.get("SME")),
            "type": ACTIVITY_TYPES.get(activity, activity) or None,
            "street": _clean(_text(row, "street")) or None,
            "postCode": _text(row, "postCode") or None,
            "city": _clean(_text(row, "city")) or None,
            "country": country_text.upper() if country else None,
            "nuts": nuts or None,
            "lat": lat,
            "lon": lon,
            "url": parse_url(row.get("organizationURL")),
            "order": parse_int("order", row.get("order"), minimum=1),
            "role": role,
            "ecContribution": _amount_text(row, "ecContribution"),
            "netEcContribution": _amount_text(row, "netEcContribution"),
            "totalCost": _amount_text(row, "totalCost"),
            "end": parse_bool("endOfParticipation", row.get("endOfParticipation")),
        }
        if data["city"] and not country:
            data["city"] = None  # a city is identified within its country
        return ("org", (project, self._next(), table.name, row.number, json.dumps(data)))

    def _link(self, kind: str, table: TableFile, row: Row, data: dict[str, Any]) -> tuple:
        project = _text(row, "projectID", required=True)
        if not _PROJECT_ID.match(project):
            raise CellError("projectID", f"{project!r} is not a CORDIS project id (digits)")
        return ("link", (project, kind, self._next(), table.name, row.number, json.dumps(data)))

    def _read_legalBasis(self, table: TableFile, row: Row) -> tuple:
        code = _text(row, "legalBasis", required=True)
        title = _clean(_text(row, "title"))
        if title:
            self.titles.setdefault(code, title)
        unique = parse_bool("uniqueProgrammePart", row.get("uniqueProgrammePart"))
        return self._link("legalBasis", table, row, {"code": code, "main": bool(unique)})

    def _read_topics(self, table: TableFile, row: Row) -> tuple:
        code = _text(row, "topic", required=True)
        title = _clean(_text(row, "title"))
        if title:
            self.titles.setdefault(code, title)
        return self._link("topics", table, row, {"code": code})

    def _read_euroSciVoc(self, table: TableFile, row: Row) -> tuple:
        code = _text(row, "euroSciVocCode", required=True)
        codes = [c for c in code.split("/") if c]
        if not codes or not all(c.isdigit() for c in codes):
            raise CellError("euroSciVocCode", f"{code!r} is not a EuroSciVoc code path such as /29/97/543")
        title = _clean(_text(row, "euroSciVocTitle", required=True))
        path = _text(row, "euroSciVocPath")
        names = [p for p in path.split("/") if p] if path else []
        if len(names) != len(codes):  # a title holding '/': only the leaf is certain
            names = [""] * (len(codes) - 1) + [title]
        for i, c in enumerate(codes):
            if c in self.subject_concepts or not names[i]:
                continue
            self.subject_concepts[c] = SubjectConcept(
                scheme="euroscivoc",
                code=c,
                label=names[i],
                notation="/" + "/".join(codes[: i + 1]),
                broader=codes[i - 1] if i and names[i - 1] else None,
            )
        return self._link("euroSciVoc", table, row, {"code": codes[-1]})

    def _read_webLink(self, table: TableFile, row: Row) -> tuple | Outcome:
        url = _text(row, "physUrl")
        parsed = parse_url(url.replace(" ", "%20")) if url else None
        if url and parsed is None:
            raise CellError("physUrl", f"{url!r} is not a web address")
        if parsed is None:
            self.ctx.skip("webLink", 1, "no web address (physUrl is empty)")
            return Outcome.SKIPPED
        return self._link("webLink", table, row, {"url": parsed, "type": _text(row, "type")})

    def _read_deliverables(self, table: TableFile, row: Row) -> tuple:
        did = _text(row, "id", required=True)
        m = re.fullmatch(r"\d+_(\d+)_[A-Z]+", did)
        url = _text(row, "url")
        parsed = parse_url(url.replace(" ", "%20")) if url else None
        data = {
            "number": int(m.group(1)) if m and int(m.group(1)) > 0 else None,
            "title": _clean(_text(row, "title", required=True)),
            "kind": _text(row, "deliverableType") or None,
            "description": _clean(_text(row, "description")) or None,
            "url": parsed,
        }
        return self._link("deliverables", table, row, data)

    # ------------------------------------------------------------------ legacy layouts (one row per project)
    def _read_legacy_project(self, table: TableFile, row: Row) -> Outcome:
        width = len(table.header)
        try:
            if row.error:
                raise CellError(row.error_column, row.error + "; row rejected")
            record, countries = self._legacy_record(table, row)
        except CellError as exc:
            if row.shifted:
                raise CellError(exc.column, f"{exc.reason}; {_shift_message(row, width)}") from None
            raise
        if row.shifted:  # every value fitted its column, yet the field count is wrong
            raise CellError("objective" if "objective" in row.values else table.header[-1], _shift_message(row, width))
        _check_encoding(row)
        return self.ctx.add_record(record, table.name, row.number)

    def _legacy_record(self, table: TableFile, row: Row) -> tuple[ProjectRecord, list[str]]:
        id_column = "id" if "id" in row.values else "reference"
        key = _text(row, id_column, required=True)
        if not (_PROJECT_ID.match(key) or _REFERENCE.match(key)):
            raise CellError(id_column, f"{key!r} is not a CORDIS project id or reference")
        rcn = _text(row, "rcn")
        if rcn and not rcn.isdigit():
            raise CellError("rcn", f"{rcn!r} is not a record number (digits)")
        framework = _text(row, "frameworkProgramme")
        if framework and framework not in FRAMEWORKS:
            raise CellError("frameworkProgramme", f"{framework!r} is not a framework programme (FP1…FP7, H2020)")
        start, end = _date(row, "startDate"), _date(row, "endDate")
        total, ec = _money(row, "totalCost"), _money(row, "ecMaxContribution")
        coordinator_country = _text(row, "coordinatorCountry")
        coord_uri = self.ctx.resolve_country("coordinatorCountry", coordinator_country) if coordinator_country else None
        participant_countries = [c.strip() for c in _text(row, "participantCountries").split(";") if c.strip()]
        for c in participant_countries:
            self.ctx.resolve_country("participantCountries", c)
        status = _text(row, "status")
        if status and not re.fullmatch(r"[A-Z][A-Za-z _-]{1,30}", status):
            raise CellError("status", f"{status!r} is not a project status")
        funding_scheme = _text(row, "fundingScheme").strip("/") or None
        if funding_scheme and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._/-]{0,40}", funding_scheme):
            raise CellError("fundingScheme", f"{funding_scheme!r} is not a funding scheme code")
        programme_code = _text(row, "programme")
        topic = _text(row, "topics")
        subjects = [s.strip() for s in _text(row, "subjects").split(";") if s.strip()]
        for s in subjects:
            if not re.fullmatch(r"[A-Z0-9]{2,6}", s):
                raise CellError("subjects", f"{s!r} is not a subject code such as ENV")
        title = _clean(_text(row, "title", required=True))
        if end and start and end.earliest() < start.earliest():
            raise CellError("endDate", f"end date {end} is before start date {start}")

        # programme: framework → programme code (legal basis) → topic
        programme = None
        if programme_code:
            first = programme_code.split(";")[0].strip()
            if framework:
                self.code_framework.setdefault(first, framework)
            programme = self._legal_basis_concept(first)
        if topic:
            first_topic = topic.split(";")[0].strip()
            parent = programme_code.split(";")[0].strip() if programme_code else None
            programme = self._topic_concept(first_topic, parent, framework or None)
        if programme is None and framework:
            programme = self._framework_concept(framework)

        organisations = []
        coordinator = _clean(_text(row, "coordinator"))
        if coordinator:
            organisations.append(
                Organisation(id="x", name=coordinator, role="coordinator", country=coordinator_country.upper() if coord_uri else None, order=1)
            )
        # participantCountries lists each country once: a participant's country is known only when there is one
        distinct = list(dict.fromkeys(c.upper() for c in participant_countries))
        single = distinct[0] if len(distinct) == 1 else None
        for n, name in enumerate((p for p in _text(row, "participants").split(";") if p.strip()), 2):
            organisations.append(Organisation(id="x", name=_clean(name), role="participant", country=single, order=n))
        countries = list(dict.fromkeys(([coordinator_country.upper()] if coord_uri else []) + distinct))
        record = ProjectRecord(
            id=slugify(key),
            source=Source(path=table.name),
            title=title,
            acronym=_text(row, "acronym") or None,
            summary=_clean(_text(row, "objective")) or None,
            start=start,
            end=end,
            status=status or None,
            programme=programme,
            grant=Grant(number=key, amount=ec),
            total_cost=total,
            countries=countries,
            organisations=organisations,
            call=_text(row, "call") or None,
            funding_scheme_code=funding_scheme,
            homepage=parse_url(_text(row, "projectUrl")),
            subjects=[f"cordis-subjects:{s}" for s in subjects],
        )
        return record, countries

    def _read_fp4_project(self, table: TableFile, row: Row) -> Outcome:
        width = len(table.header)
        if row.shifted:
            raise CellError("General Information", _shift_message(row, width))
        if row.error:
            raise CellError(row.error_column, row.error + "; row rejected")
        _check_encoding(row)
        key = _text(row, "Contract Number", required=True)
        if not _REFERENCE.match(key):
            raise CellError("Contract Number", f"{key!r} is not a contract number")
        rcn = _text(row, "RCN")
        if rcn and not rcn.isdigit():
            raise CellError("RCN", f"{rcn!r} is not a record number (digits)")
        start, end = _date(row, "Start Date"), _date(row, "End Date")
        framework = FRAMEWORK_NAMES.get(_text(row, "Framework Programme").lower())
        programme = None
        pga = _text(row, "PGA")
        if pga:
            code = pga.split(";")[0].strip()
            if framework:
                self.code_framework.setdefault(code, framework)
            programme = self._legal_basis_concept(code)
        elif framework:
            programme = self._framework_concept(framework)
        countries: list[str] = []
        coordinator_country = _text(row, "Coordinator Country")
        for column, text in [("Coordinator Country", coordinator_country)] + [
            ("Contractor Country", c) for c in _text(row, "Contractor Country").split(";")
        ]:
            text = text.strip()
            if text:
                self.ctx.resolve_country(column, text)
                countries.append(text.upper())
        contract_type = _text(row, "Contract Type")
        categories = [_clean(s) for s in _text(row, "Subject").split(";") if s.strip()]
        area = _clean(_text(row, "Activity Area"))
        if area:
            categories.insert(0, area)
        record = ProjectRecord(
            id=slugify(key),
            source=Source(path=table.name),
            title=_clean(_text(row, "Project Title", required=True)),
            acronym=_text(row, "Project Acronym") or None,
            summary=_legacy_text(_text(row, "General Information")) or None,
            objectives=[t for t in [_legacy_text(_text(row, "Objectives"))] if t],
            start=start,
            end=end,
            status=_text(row, "Status") or None,
            programme=programme,
            grant=Grant(
                number=key,
                amount=_money(row, "Total Funding"),
                signature_date=parse_date("Date of Signature", row.get("Date of Signature")),
            ),
            total_cost=_money(row, "Total Cost"),
            countries=list(dict.fromkeys(countries)),
            categories=list(dict.fromkeys(categories)),
            call=_text(row, "Project Call") or None,
            funding_scheme_code=contract_type.split(" - ")[0].strip() or None,
            homepage=parse_url(_text(row, "Project Website")),
        )
        return self.ctx.add_record(record, table.name, row.number)

    # ------------------------------------------------------------------ assembling staged projects
    def assemble(self) -> None:
        """Join the staged tables per project (merge over cursors sorted by project key), and count every
        staged row in its table's stats: a project row by what became of its project; an organisation or
        link row as loaded with its project, else skipped with the reason (its project is not in the
        import, was not loaded, or the row repeats one already read for the project)."""
        loaded: Counter[str] = Counter()  # table name → rows loaded
        skipped: Counter[tuple[str, str, str]] = Counter()  # (table name, kind, reason) → rows skipped
        for file, kind, n in self.db.execute(
            "SELECT file, 'organization', COUNT(*) FROM org WHERE project NOT IN (SELECT key FROM project) GROUP BY file "
            "UNION ALL SELECT file, kind, COUNT(*) FROM link WHERE project NOT IN (SELECT key FROM project) GROUP BY file, kind"
        ):
            skipped[(file, kind, "project not in this import's project table")] += n
        orgs = _Cursor(self.db.execute("SELECT project, file, row, data FROM org ORDER BY project, seq"))
        links = _Cursor(self.db.execute("SELECT project, file, row, kind, data FROM link ORDER BY project, kind, seq"))
        projects = self.db.execute("SELECT key, file, row, data FROM project ORDER BY key")
        for key, file, row, data in projects:
            project_orgs = orgs.take(key)
            project_links = links.take(key)
            # the same link row given twice (a table passed as CSV and as xlsx) counts once
            seen: set[tuple[str, str]] = set()
            unique: list[tuple] = []
            repeated: list[tuple] = []
            for x in project_links:
                (repeated if (x[3], x[4]) in seen else unique).append(x)
                seen.add((x[3], x[4]))
            try:
                record = self._record(key, file, json.loads(data), project_orgs, unique)
            except CellError as exc:
                self.ctx.reject(file, row, exc.column, exc.reason)
                outcome = Outcome.REJECTED
            except ValidationError as exc:
                self.ctx.reject_invalid(file, row, exc)
                outcome = Outcome.REJECTED
            else:
                outcome = self.ctx.add_record(record, file, row, parts=[(f, r) for _, f, r, *_ in project_orgs])
            self.stats[file].count(outcome)
            if outcome is Outcome.LOADED:
                for x in project_orgs:
                    loaded[x[1]] += 1
                for x in unique:
                    loaded[x[1]] += 1
                for x in repeated:
                    skipped[(x[1], x[3], "repeats a row already read for its project (the same table given twice?)")] += 1
                continue
            reason = "its project was rejected (see the rejects)" if outcome is Outcome.REJECTED else "its project is not loaded: a curated record takes precedence"
            for x in project_orgs:
                skipped[(x[1], "organization", reason)] += 1
            for x in project_links:
                skipped[(x[1], x[3], reason)] += 1
        for file, n in loaded.items():
            self.stats[file].loaded += n
        for (file, kind, reason), n in skipped.items():
            self.stats[file].skipped += n
            self.ctx.skip(kind, n, reason)

    def _record(self, key: str, file: str, d: dict[str, Any], orgs: list[tuple], links: list[tuple]) -> ProjectRecord:
        framework = d.get("frameworkProgramme") or None
        legal: list[tuple[str, bool]] = [(json.loads(x[4])["code"], json.loads(x[4])["main"]) for x in links if x[3] == "legalBasis"]
        main = next((code for code, is_main in legal if is_main), None) or d.get("legalBasis") or None
        legal_codes = list(dict.fromkeys([c for c, _ in legal] + ([main] if main else [])))
        for code in legal_codes:
            if framework and framework in FRAMEWORKS:
                self.code_framework.setdefault(code, framework)
        legal_ids = [self._legal_basis_concept(c) for c in legal_codes]
        topics = [json.loads(x[4])["code"] for x in links if x[3] == "topics"]
        topic = topics[0] if topics else (d.get("topics") or "").split(";")[0].strip() or None
        programme = None
        if topic:
            parent = self.topic_parent.setdefault(topic, main) if main else self.topic_parent.get(topic)
            programme = self._topic_concept(topic, parent, framework)
        elif main:
            programme = self._legal_basis_concept(main)
        elif framework in FRAMEWORKS:
            programme = self._framework_concept(framework)

        organisations = []
        for _, _ofile, _orow, odata in orgs:
            o = json.loads(odata)
            identifiers = {k: v for k, v in (("pic", o["pic"]), ("vat", o["vat"])) if v}
            organisations.append(
                Organisation(
                    id="x",
                    name=o["name"],
                    short_name=o["shortName"],
                    role=o["role"],
                    country=o["country"],
                    city=o["city"],
                    organisation_type=o["type"],
                    website=o["url"],
                    identifiers=identifiers,
                    street=o["street"],
                    post_code=o["postCode"],
                    nuts_code=o["nuts"],
                    latitude=Decimal(o["lat"]) if o["lat"] else None,
                    longitude=Decimal(o["lon"]) if o["lon"] else None,
                    sme=o["sme"],
                    order=o["order"],
                    ec_contribution=Money(value=Decimal(o["ecContribution"])) if o["ecContribution"] else None,
                    net_ec_contribution=Money(value=Decimal(o["netEcContribution"])) if o["netEcContribution"] else None,
                    total_cost=Money(value=Decimal(o["totalCost"])) if o["totalCost"] else None,
                    end_of_participation=o["end"],
                )
            )
        organisations.sort(key=lambda o: (o.order is None, o.order or 0))
        subjects = list(dict.fromkeys(f"euroscivoc:{json.loads(x[4])['code']}" for x in links if x[3] == "euroSciVoc"))
        subjects = [s for s in subjects if s.split(":", 1)[1] in self.subject_concepts]
        web_links = list(dict.fromkeys(json.loads(x[4])["url"] for x in links if x[3] == "webLink"))
        outputs = [
            Output(
                title=o["title"], kind=o["kind"], description=o["description"], number=o["number"], url=o["url"]
            )
            for o in (json.loads(x[4]) for x in links if x[3] == "deliverables")
        ]
        numbers = [o.number for o in outputs]
        if None in numbers or len(set(numbers)) != len(numbers):
            for o in outputs:
                o.number = None
        total = Decimal(d["totalCost"]) if d.get("totalCost") else None
        ec = Decimal(d["ecMaxContribution"]) if d.get("ecMaxContribution") else None
        return ProjectRecord(
            id=key,
            source=Source(path=file),
            title=d["title"],
            acronym=d.get("acronym") or None,
            summary=_paragraphs(d.get("objective") or "") or None,
            start=d.get("start"),
            end=d.get("end"),
            status=d.get("status") or None,
            programme=programme,
            grant=Grant(
                number=key,
                amount=Money(value=ec) if ec is not None else None,
                signature_date=d.get("ecSignatureDate"),
            ),
            total_cost=Money(value=total) if total is not None else None,
            legal_basis=legal_ids,
            organisations=organisations,
            subjects=subjects,
            web_links=web_links,
            outputs=outputs,
            call=d.get("masterCall") or d.get("subCall") or None,
            funding_scheme_code=d.get("fundingScheme") or None,
            doi=d.get("grantDoi") or None,
        )


class _Cursor:
    """Rows of a cursor sorted by project key, taken project by project."""

    def __init__(self, cursor: sqlite3.Cursor):
        self.it: Iterator[tuple] = iter(cursor)
        self.head: tuple | None = next(self.it, None)

    def take(self, key: str) -> list[tuple]:
        out = []
        while self.head is not None and self.head[0] < key:
            self.head = next(self.it, None)  # a project not in the project table (counted by assemble)
        while self.head is not None and self.head[0] == key:
            out.append(self.head)
            self.head = next(self.it, None)
        return out


def _iso(d: PartialDate | None) -> str | None:
    return d.lexical() if d else None


def _amount_text(row: Row, column: str) -> str | None:
    if column not in row.values:
        return None
    a = parse_amount(column, row.get(column))
    return str(a) if a is not None else None


def _h2020_title(title: str, short: str) -> str:
    """``PRIORITY 'Societal challenges`` (a quote lost at source) → the short title ``Societal Challenges``."""
    if title.upper().startswith("PRIORITY '") and short:
        return short
    if title.isupper() and short:
        return short
    return title


def _legacy_text(text: str) -> str:
    """FP4-era texts mark line breaks with ``%L``."""
    return _clean(text.replace("%L", " "))
