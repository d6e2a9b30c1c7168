"""The record model shared by every source: a project and everything stated about it.

Records are typed and validated when loaded (pydantic). Every source module — curated YAML
files, CORDIS and Erasmus+ exports, extracted web pages — produces :class:`ProjectRecord`
objects; the RDF mapping only ever sees records.

Multilingual text (:data:`LangText`) is written either as a plain string, which takes the
record's ``language``, or as a mapping ``{en: "...", it: "..."}``.
Dates keep the precision the source states: ``2019-01-15`` (day), ``2017-09`` (month) or
``2017`` (year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
SLUG_RE = r"^[a-z0-9][a-z0-9-]*$"

Role = Literal["coordinator", "partner", "associated-partner", "participant", "third-party"]
ROLES: tuple[str, ...] = ("coordinator", "partner", "associated-partner", "participant", "third-party")
SUBJECT_SCHEMES: tuple[str, ...] = ("euroscivoc", "cordis-subjects")


# --------------------------------------------------------------------------- dates
@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to day, month or year precision."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Literal["day", "month", "year"]:
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"

    @property
    def xsd_type(self) -> str:
        return {"day": "date", "month": "gYearMonth", "year": "gYear"}[self.precision]

    def lexical(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        import calendar

        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)

    def __str__(self) -> str:
        return self.lexical()

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and 1000 <= value <= 9999:
            return cls(value)
        if not isinstance(value, str):
            raise ValueError(f"expected a date like 2019-01-15, 2017-09 or 2017, got {value!r}")
        text = value.strip()
        m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
        if not m:
            raise ValueError(f"{text!r} is not a date like 2019-01-15, 2017-09 or 2017")
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else None
        day = int(m.group(3)) if m.group(3) else None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"{text!r}: month {month} does not exist")
        if day is not None:
            try:
                date(year, month or 1, day)
            except ValueError as exc:
                raise ValueError(f"{text!r}: {exc}") from None
        return cls(year, month, day)


def _to_partial_date(value: Any) -> PartialDate | None:
    if value is None or value == "":
        return None
    return PartialDate.parse(value)


DateValue = Annotated[PartialDate, BeforeValidator(_to_partial_date)]


# --------------------------------------------------------------------------- text
def _to_lang_text(value: Any) -> dict[str, str] | str:
    # Plain strings are kept as-is here and tagged with the record's language later.
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("text is empty")
        return value.strip()
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for lang, text in value.items():
            if not isinstance(lang, str) or not LANG_RE.match(lang):
                raise ValueError(f"{lang!r} is not a language tag like 'en' or 'it'")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"text for language {lang!r} is empty")
            out[lang] = text.strip()
        if not out:
            raise ValueError("no text given")
        return out
    raise ValueError(f"expected text or a mapping of language to text, got {type(value).__name__}")


LangText = Annotated[dict[str, str] | str, BeforeValidator(_to_lang_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


# --------------------------------------------------------------------------- parts
class Money(_Model):
    value: Decimal = Field(ge=0)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")


class Grant(_Model):
    number: str | None = Field(default=None, description="grant agreement or project number as stated")
    amount: Money | None = None
    signature_date: date | None = Field(default=None, description="the day the grant agreement was signed")


class Place(_Model):
    """A city (or other settlement) where the project works."""

    name: str
    country: str = Field(description="any form that resolves to an EU authority country: IT, ITA, Italy, Italia")
    labels: dict[str, str] = Field(default_factory=dict, description="names in other languages")


PIC_KEYS = ("pic", "cordis")
# every identifier scheme an organisation may state (registry:<cc> besides): the ones that name one legal
# entity link occurrences exactly (kg.linking.evidence.LINKING_SCHEMES); ror and wikidata are links out
IDENTIFIER_SCHEMES: tuple[str, ...] = ("pic", "cordis", "oid", "vat", "ror", "wikidata")  # the identifier keys that name a CORDIS PIC (``cordis`` in older curated records)


class Organisation(_Model):
    id: str = Field(pattern=SLUG_RE, description="stable key; becomes the organisation URI")
    name: str
    short_name: str | None = None
    role: Role | None = None
    country: str | None = None
    city: str | None = None
    organisation_type: str | None = None
    website: str | None = Field(default=None, pattern=r"^https?://")
    identifiers: dict[str, str] = Field(
        default_factory=dict,
        description="scheme → value, every identifier the source states: pic (or cordis): 999999999, oid: E10012345 "
        "(Erasmus+ organisation ID), vat: DE129517720, registry:<cc> (a national registry number, e.g. registry:it), "
        "and links: ror: 03bnmw459, wikidata: Q152171",
    )

    @field_validator("identifiers")
    @classmethod
    def _identifier_schemes(cls, v: dict[str, str]) -> dict[str, str]:
        for scheme, value in v.items():
            if scheme not in IDENTIFIER_SCHEMES and not re.fullmatch(r"registry:[a-z]{2}", scheme):
                raise ValueError(
                    f"{scheme!r} is not an identifier scheme; use one of {', '.join(IDENTIFIER_SCHEMES)} or registry:<country code>"
                )
            if not str(value).strip():
                raise ValueError(f"identifier {scheme!r} is empty")
        return v

    # Optional facts that programme databases state (CORDIS, Erasmus+ Project Results Platform).
    legal_name_stated: bool = Field(
        default=True,
        description="false when `name` is only how this source writes the name (kept as a label), e.g. because the "
        "organisation is already known under another legal name",
    )
    alt_names: list[str] = Field(default_factory=list, description="other ways this source writes the name")
    street: str | None = Field(default=None, description="street address (or the whole address line) as stated")
    post_code: str | None = None
    region: str | None = Field(default=None, description="region as the source names it")
    nuts_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}[A-Z0-9]{0,3}$", description="NUTS code, e.g. NL221")
    latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180)
    sme: bool | None = Field(default=None, description="a small or medium-sized enterprise, as the source states")
    # the organisation's part in this project
    participation_id: str | None = Field(
        default=None, pattern=SLUG_RE, description="key of the participation URI when it is not the organisation id"
    )
    order: int | None = Field(default=None, ge=1, description="its position in the source's list of participants")
    ec_contribution: Money | None = Field(default=None, description="EU contribution to this participant")
    net_ec_contribution: Money | None = None
    total_cost: Money | None = Field(default=None, description="this participant's eligible costs")
    end_of_participation: bool | None = Field(default=None, description="true when its participation ended early")

    @property
    def pic(self) -> str | None:
        """The CORDIS Participant Identification Code, under either key a record may use for it."""
        return next((self.identifiers[k] for k in PIC_KEYS if self.identifiers.get(k)), None)


class Activity(_Model):
    title: LangText | None = None
    description: LangText
    kind: str | None = Field(default=None, description="kind of activity: training, workshop, study visit …")
    order: int | None = Field(default=None, ge=1, description="its number in the page's numbered list")
    quantity: int | None = Field(default=None, ge=0, description="how many (e.g. 5 committees)")
    duration: str | None = Field(default=None, pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$", description="xsd:duration, e.g. P5D or P7M")
    level: str | None = Field(default=None, description="geographic level: local, national, European …")

    @field_validator("duration")
    @classmethod
    def _duration_not_empty(cls, v: str | None) -> str | None:
        if v == "P":
            raise ValueError("'P' is an empty duration; write e.g. P5D (5 days) or P7M (7 months)")
        return v


class TargetGroup(_Model):
    label: LangText
    description: LangText | None = None


class ExpectedResult(_Model):
    """An expected result or indicator: a quantity (or range) of a unit, within a scope."""

    description: LangText
    quantity: int | None = Field(default=None, ge=0)
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    approximate: bool = False
    unit: LangText | None = None
    scope: LangText | None = None

    @model_validator(mode="after")
    def _range(self) -> ExpectedResult:
        if self.quantity is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either quantity or a min/max range, not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"range minimum {self.min} is greater than maximum {self.max}")
        return self


class Output(_Model):
    title: LangText
    kind: str | None = Field(default=None, description="report, toolkit, manual, video, model, agreement …")
    description: LangText | None = None
    number: int | None = Field(
        default=None, ge=1, description="the source's own number for it (CORDIS deliverable n°); keys its URI when given"
    )
    url: str | None = Field(default=None, pattern=r"^https?://", description="where it can be downloaded")


class Contact(_Model):
    """A contact point. ``personal: true`` marks a named person's details (kept out of public data)."""

    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    personal: bool = True


class SdgSuggestion(_Model):
    """An SDG target *suggested* by a text-similarity method for a record that states none: not a fact
    of the source, never ``sdgs`` / ``kg:sdg`` (see src/kg/extract/sdg_suggest.py)."""

    target: str = Field(pattern=r"^\d{1,2}\.[0-9a-z]{1,2}$", description="UN SDG target code, e.g. 10.7")
    confidence: float = Field(ge=0, le=1, description="the method's score (the Aurora queries: 1 − 0.5^k for k matching query lines)")
    method: str


class Source(_Model):
    path: str = Field(description="the source document, relative to the data directory (and inside it)")
    title: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    language: list[str] = Field(default_factory=list)
    publisher: str | None = None

    @field_validator("path")
    @classmethod
    def _inside_data(cls, v: str) -> str:
        """A path that stays inside the data directory as written: relative, no ``..`` step (the
        build reads the file to publish its checksum; a symlink out is refused there too)."""
        if not v.strip():
            raise ValueError("is empty")
        if v.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", v):
            raise ValueError(f"{v!r} is not relative to the data directory (a source document lies inside data/)")
        if ".." in re.split(r"[/\\]", v):
            raise ValueError(f"{v!r} leaves the data directory ('..'); a source document lies inside data/")
        if "\x00" in v:
            raise ValueError("holds a NUL character")
        return v


# --------------------------------------------------------------------------- the record
class ProjectRecord(_Model):
    id: str = Field(pattern=SLUG_RE, description="stable key for projects without a grant number")
    uri_key: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="pins the published URI key (…/id/project/<uri_key>) so it never changes, e.g. when a grant number is found later",
    )
    language: str = Field(default="en", description="language of plain-string text in this record")
    source: Source

    title: LangText
    title_is_descriptive: bool = Field(
        default=False, description="true when the page gives no title and the curator wrote a descriptive one"
    )
    acronym: str | None = None
    full_name: LangText | None = None
    summary: LangText | None = None

    start: DateValue | None = None
    end: DateValue | None = None
    status: str | None = None

    programme: str | None = Field(default=None, description="id of the most specific concept in the programme scheme")
    funding_statement: LangText | None = Field(default=None, description="the page's funding line, verbatim")
    funders: list[str] = Field(default_factory=list, description="funder ids stated by the page")
    grant: Grant | None = None

    countries: list[str] = Field(default_factory=list)
    cities: list[Place] = Field(default_factory=list)
    sdgs: list[str] = Field(default_factory=list, description="goal numbers (10) or target codes (10.2)")

    organisations: list[Organisation] = Field(default_factory=list)
    partner_count: int | None = Field(default=None, ge=0)
    country_count: int | None = Field(default=None, ge=0)

    objectives: list[LangText] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)
    target_groups: list[TargetGroup] = Field(default_factory=list)
    expected_results: list[ExpectedResult] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)
    categories: list[LangText] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)

    # Optional facts that programme databases state (CORDIS, Erasmus+ Project Results Platform).
    total_cost: Money | None = Field(default=None, description="the project's total (eligible) cost")
    legal_basis: list[str] = Field(default_factory=list, description="ids of programme-scheme concepts: its legal bases")
    subjects: list[str] = Field(
        default_factory=list, description="subject concepts as scheme:code, e.g. euroscivoc:543, cordis-subjects:ENV"
    )
    homepage: str | None = Field(default=None, pattern=r"^https?://", description="the project's own website")
    web_links: list[str] = Field(default_factory=list, description="other pages about the project (http(s) URLs)")
    call_year: int | None = Field(default=None, ge=1950, le=2100)
    call: str | None = Field(default=None, description="identifier of the call for proposals, e.g. H2020-SFS-2017-2")
    funding_scheme_code: str | None = Field(default=None, description="type of action as coded, e.g. HORIZON-CSA, RIA")
    doi: str | None = Field(default=None, pattern=r"^10\.\S+/\S+$", description="the project's DOI, e.g. 10.3030/101116741")
    external_reference: str | None = Field(default=None, description="another reference number the source gives")
    good_practice: bool | None = None
    success_story: bool | None = None
    # Machine suggestions (kg extract --suggest-sdgs), kept apart from the facts the source states.
    sdg_suggestions: list[SdgSuggestion] = Field(
        default_factory=list, description="suggested SDG targets with confidence and method; never mapped to kg:sdg"
    )

    @field_validator("web_links")
    @classmethod
    def _links(cls, v: list[str]) -> list[str]:
        for link in v:
            if not re.match(r"^https?://\S+$", link):
                raise ValueError(f"{link!r} is not an http(s) URL")
        return v

    @field_validator("subjects")
    @classmethod
    def _subjects(cls, v: list[str]) -> list[str]:
        for s in v:
            scheme, _, code = s.partition(":")
            if scheme not in SUBJECT_SCHEMES or not code:
                raise ValueError(f"{s!r} is not scheme:code with scheme one of {', '.join(SUBJECT_SCHEMES)}")
        return v

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str) -> str:
        if not LANG_RE.match(v):
            raise ValueError(f"{v!r} is not a language tag like 'en' or 'it'")
        return v

    @field_validator("sdgs", mode="before")
    @classmethod
    def _sdgs(cls, v: Any) -> list[str]:
        if v is None:
            return []
        if not isinstance(v, list):
            raise ValueError("expected a list of SDG goal numbers or target codes")
        return [str(x).strip() for x in v]

    @field_validator("countries", mode="before")
    @classmethod
    def _countries(cls, v: Any) -> list[str]:
        if v is None:
            return []
        if not isinstance(v, list):
            raise ValueError("expected a list of countries")
        return [str(x).strip() for x in v]

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, v: PartialDate | None, info: ValidationInfo) -> PartialDate | None:
        start = info.data.get("start")
        if v is not None and start is not None and v.latest() < start.earliest():
            raise ValueError(f"end date {v} is before start date {start}")
        return v

    def text(self, value: dict[str, str] | str | None) -> dict[str, str]:
        """A LangText value as ``{lang: text}``, plain strings in the record's language."""
        if value is None:
            return {}
        if isinstance(value, str):
            return {self.language: value}
        return dict(value)


# --------------------------------------------------------------------------- programme scheme
SchemeLevel = Literal["programme", "key-action", "action-type", "call"]


class FunderRecord(_Model):
    """A funding body (a Directorate-General, an executive or national agency)."""

    id: str = Field(pattern=SLUG_RE)
    name: LangText
    short_name: str | None = None
    country: str | None = None
    website: str | None = Field(default=None, pattern=r"^https?://")


class SchemeConcept(_Model):
    """One level of the funding-programme hierarchy: programme → key action → action type → call."""

    id: str = Field(pattern=SLUG_RE)
    level: SchemeLevel
    label: LangText
    notation: str | None = None
    definition: LangText | None = None
    broader: str | None = Field(default=None, description="id of the parent concept")
    managed_by: list[str] = Field(default_factory=list, description="funder ids")
    alt_labels: list[LangText] = Field(default_factory=list)


class ProgrammeScheme(_Model):
    """The curated programme vocabulary (data/vocab/programmes.yaml)."""

    language: str = "en"
    funders: list[FunderRecord] = Field(default_factory=list)
    concepts: list[SchemeConcept] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> ProgrammeScheme:
        ids = [c.id for c in self.concepts]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate concept ids: {', '.join(sorted(dupes))}")
        fids = [f.id for f in self.funders]
        dupes = {i for i in fids if fids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate funder ids: {', '.join(sorted(dupes))}")
        funder_ids = set(fids)
        known = set(ids)
        for c in self.concepts:
            if c.broader is not None and c.broader not in known:
                raise ValueError(f"concept {c.id!r}: broader {c.broader!r} is not a concept of the scheme")
            for f in c.managed_by:
                if f not in funder_ids:
                    raise ValueError(f"concept {c.id!r}: managed_by {f!r} is not a funder of the scheme")
        return self

    def text(self, value: dict[str, str] | str | None) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(value, str):
            return {self.language: value}
        return dict(value)


# --------------------------------------------------------------------------- imported vocabularies
class SubjectConcept(_Model):
    """A concept of a subject vocabulary an import brings: EuroSciVoc fields of science (CORDIS
    ``euroSciVoc`` table) or CORDIS subject index codes (``sicCode``)."""

    scheme: Literal["euroscivoc", "cordis-subjects"]
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="the source's code; keys the URI")
    label: LangText
    notation: str | None = None
    definition: LangText | None = None
    broader: str | None = Field(default=None, description="code of the broader concept of the same scheme")
    language: str = "en"

    def text(self, value: dict[str, str] | str | None) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(value, str):
            return {self.language: value}
        return dict(value)


MatchRule = Literal[
    "pic", "name-country-city", "name-country", "identifier", "identifier-conflict", "country-conflict", "fellegi-sunter", "review"
]
MatchOutcome = Literal["linked", "candidate", "distinct"]
MATCH_OUTCOMES: tuple[str, ...] = ("linked", "candidate", "distinct")


class OrganisationMatch(_Model):
    """A decision of organisation linking (:mod:`kg.linking.organisations`): an organisation as one
    source states it was merged into an organisation already known (``merged``), or was kept apart
    from a look-alike (not merged), with the rule applied and the values compared."""

    organisation: str = Field(pattern=SLUG_RE, description="id of the organisation the occurrence is attached to")
    other: str | None = Field(default=None, pattern=SLUG_RE, description="id of the look-alike it was not merged with")
    rule: MatchRule
    merged: bool
    evidence: str
    stated_name: str
    location: str | None = Field(default=None, description="file:row of the occurrence")
    outcome: MatchOutcome | None = Field(
        default=None, description="linked (merged), candidate (listed for review, not merged) or distinct; None: from `merged`"
    )
    score: float | None = Field(default=None, ge=0, le=1, description="the Fellegi–Sunter match probability, when one was computed")

    @property
    def decided(self) -> str:
        """The outcome: linked, candidate or distinct."""
        return self.outcome or ("linked" if self.merged else "distinct")
