"""The curated records in data/projects/ and the programme scheme in data/vocab/programmes.yaml.

Every record must load into :class:`ProjectRecord`, point at concepts and funders that the
scheme defines and at a source document that exists, and state no fact its source does not:
every number, date, city, country, grant number, acronym, organisation name, e-mail address,
funding line and category of a record has to occur in the text of its source page.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from pathlib import Path

import pytest
import yaml

from kg.model.records import PartialDate, ProgrammeScheme, ProjectRecord

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PROJECTS = DATA / "projects"
SOURCES = DATA / "sources"
SCHEME = DATA / "vocab" / "programmes.yaml"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"

PROJECT_FILES = sorted(p for p in PROJECTS.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def _load_record(path: Path) -> ProjectRecord:
    return ProjectRecord.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _scheme() -> ProgrammeScheme:
    return ProgrammeScheme.model_validate(yaml.safe_load(SCHEME.read_text(encoding="utf-8")))


def _norm(text: str) -> str:
    """Whitespace collapsed, case folded: how record values are compared with page text."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def _source_text(record: ProjectRecord) -> str:
    return (DATA / record.source.path).read_text(encoding="utf-8")


def _texts(value: dict[str, str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value.values())


def _has_number(text: str, n: int) -> bool:
    forms = {str(n)}
    if n >= 1000:
        for sep in (",", ".", " ", "\u00a0", "\u202f"):
            forms.add(f"{n:,}".replace(",", sep))
    return any(re.search(rf"(?<!\d){re.escape(f)}(?!\d)", text) for f in forms)


MONTHS_EN = [calendar.month_name[i] for i in range(1, 13)]
MONTHS_IT = [
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
    "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
]


def _date_forms(d: PartialDate) -> list[str]:
    """The ways a page may write a date: 2019-01-15 ↔ 15/01/2019; 2017-09 ↔ 09/2017, September 2017."""
    y = d.year
    if d.month is None:
        return [str(y)]
    m = d.month
    names = [MONTHS_EN[m - 1], MONTHS_EN[m - 1][:3], MONTHS_IT[m - 1]]
    if d.day is None:
        forms = [f"{m:02d}/{y}", f"{m}/{y}", f"{y}-{m:02d}", f"{m:02d}.{y}"]
        forms += [f"{name} {y}" for name in names] + [f"{name}, {y}" for name in names]
        return forms
    day = d.day
    forms = [
        f"{day:02d}/{m:02d}/{y}", f"{day}/{m}/{y}", f"{y}-{m:02d}-{day:02d}",
        f"{day:02d}.{m:02d}.{y}", f"{day:02d}-{m:02d}-{y}",
    ]
    for name in names:
        forms += [f"{name} {day}, {y}", f"{name}. {day}, {y}", f"{day} {name} {y}", f"{day:02d} {name} {y}"]
    return forms


def _has_date(text: str, d: PartialDate) -> bool:
    folded = _norm(text)
    for form in _date_forms(d):
        # Not inside a longer date: 01/2019 is not stated by 15/01/2019, nor 2017-09 by 2017-09-15.
        if re.search(rf"(?<![\w/.-]){re.escape(form.casefold())}(?!\d|[/.-]\d)", folded):
            return True
    return False


def _numbers(record: ProjectRecord) -> list[tuple[str, int]]:
    """Every number the record states, with where it is."""
    out: list[tuple[str, int]] = []
    for i, a in enumerate(record.activities):
        for name in ("quantity", "order"):
            value = getattr(a, name)
            if value is not None:
                out.append((f"activities[{i}].{name}", value))
        if a.duration:
            out += [(f"activities[{i}].duration", int(n)) for n in re.findall(r"\d+", a.duration)]
    for i, r in enumerate(record.expected_results):
        for name in ("quantity", "min", "max"):
            value = getattr(r, name)
            if value is not None:
                out.append((f"expected_results[{i}].{name}", value))
    for name in ("partner_count", "country_count"):
        value = getattr(record, name)
        if value is not None:
            out.append((name, value))
    return out


# --------------------------------------------------------------------------- loading
def test_there_are_records() -> None:
    assert PROJECT_FILES, f"no curated records in {PROJECTS}"


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.stem)
def test_record_loads(path: Path) -> None:
    record = _load_record(path)
    assert record.id == path.stem, "a record's file is named after its id"


def test_record_ids_are_unique() -> None:
    ids = [_load_record(p).id for p in PROJECT_FILES]
    assert len(ids) == len(set(ids))


def test_programme_scheme_loads() -> None:
    scheme = _scheme()
    assert scheme.concepts and scheme.funders


def test_scheme_hierarchy_has_no_cycles() -> None:
    broader = {c.id: c.broader for c in _scheme().concepts}
    for start in broader:
        seen, node = set(), start
        while node is not None:
            assert node not in seen, f"cycle through {start}"
            seen.add(node)
            node = broader[node]


def test_funder_ids_are_unique() -> None:
    scheme = _scheme()
    ids = {f.id for f in scheme.funders}
    assert len(ids) == len(scheme.funders), "duplicate funder ids"


# --------------------------------------------------------------------------- references
@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.stem)
def test_programme_and_funders_exist(path: Path) -> None:
    record = _load_record(path)
    scheme = _scheme()
    concepts = {c.id for c in scheme.concepts}
    funders = {f.id for f in scheme.funders}
    if record.programme is not None:
        assert record.programme in concepts, f"programme {record.programme!r} is not in {SCHEME.name}"
    for funder in record.funders:
        assert funder in funders, f"funder {funder!r} is not in {SCHEME.name}"


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.stem)
def test_source_exists(path: Path) -> None:
    record = _load_record(path)
    assert record.source.path.startswith("sources/")
    assert (DATA / record.source.path).is_file(), f"{record.source.path} does not exist under data/"


def _readme_checksums() -> dict[str, str]:
    text = (SOURCES / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\|\s*`([^`]+\.txt)`\s*\|.*\|\s*`([0-9a-f]{64})`\s*\|\s*$", text, re.M))


def test_every_listed_source_has_one_record() -> None:
    listed = _readme_checksums()
    assert listed, "data/sources/README.md lists no source documents"
    used = [_load_record(p).source.path for p in PROJECT_FILES]
    for name in listed:
        assert used.count(f"sources/{name}") == 1, f"{name} should be the source of exactly one record"


def test_sources_are_unchanged() -> None:
    for name, digest in _readme_checksums().items():
        data = (SOURCES / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{name} differs from its checksum in README.md"


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="shared/seeds is not beside the checkout")
def test_sources_equal_the_seeds() -> None:
    for seed in sorted(SHARED_SEEDS.glob("*.txt")):
        copy = SOURCES / seed.name
        assert copy.is_file(), f"{seed.name} is not copied to data/sources"
        assert copy.read_bytes() == seed.read_bytes(), f"{seed.name} is not a byte-for-byte copy"


# --------------------------------------------------------------------------- no invented facts
@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.stem)
def test_numbers_are_in_the_source(path: Path) -> None:
    record = _load_record(path)
    text = _source_text(record)
    missing = [f"{where}={n}" for where, n in _numbers(record) if not _has_number(text, n)]
    assert not missing, f"numbers not stated by {record.source.path}: {missing}"


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.stem)
def test_dates_are_in_the_source(path: Path) -> None:
    record = _load_record(path)
    text = _source_text(record)
    for name in ("start", "end"):
        d = getattr(record, name)
        if d is not None:
            assert _has_date(text, d), f"{name} {d} is not stated by {record.source.path}"
    if record.grant is not None and record.grant.signature_date is not None:
        assert _has_date(text, record.grant.signature_date)


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.stem)
def test_names_and_codes_are_in_the_source(path: Path) -> None:
    record = _load_record(path)
    text = _norm(_source_text(record))
    stated: list[tuple[str, str]] = []
    if record.acronym:
        stated.append(("acronym", record.acronym))
    if record.grant is not None and record.grant.number:
        stated.append(("grant.number", record.grant.number))
    stated += [(f"cities[{i}].name", c.name) for i, c in enumerate(record.cities)]
    stated += [(f"countries[{i}]", c) for i, c in enumerate(record.countries)]
    stated += [(f"organisations[{i}].name", o.name) for i, o in enumerate(record.organisations)]
    stated += [(f"contacts[{i}].email", c.email) for i, c in enumerate(record.contacts) if c.email]
    stated += [("funding_statement", t) for t in _texts(record.funding_statement)]
    stated += [(f"categories[{i}]", t) for i, c in enumerate(record.categories) for t in _texts(c)]
    if record.source.publisher:
        stated.append(("source.publisher", record.source.publisher))
    if not record.title_is_descriptive:
        stated += [("title", t) for t in _texts(record.title)]
    stated += [("full_name", t) for t in _texts(record.full_name)]
    missing = [f"{where}={value!r}" for where, value in stated if _norm(value) not in text]
    assert not missing, f"not stated by {record.source.path}: {missing}"


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.stem)
def test_sdgs_are_in_the_source(path: Path) -> None:
    record = _load_record(path)
    text = _source_text(record)
    for goal in record.sdgs:
        assert re.search(rf"(?<![\d.]){re.escape(goal)}(?![\d.]\d)", text), f"SDG {goal} is not stated"


# --------------------------------------------------------------------------- the checks themselves
@pytest.mark.parametrize(
    ("value", "text", "found"),
    [
        ("2019-01-15", "15/01/2019- 14/01/2021", True),
        ("2021-01-14", "15/01/2019- 14/01/2021", True),
        ("2020-12", "ECCIPA started on December 2020", True),
        ("2017-09", "09/2017 08/2019", True),
        ("2009-11-01", "Start date: Nov 1, 2009,", True),
        ("2019-01-05", "15/01/2019", False),
        ("2017-08", "09/2017 08/2019", False),
        ("2019", "in 2019", True),
        ("2019-01", "15/01/2019", False),
        ("2017-09", "2017-09-15", False),
        ("2019", "15/01/2019", False),
    ],
)
def test_date_matching(value: str, text: str, found: bool) -> None:
    assert _has_date(text, PartialDate.parse(value)) is found


@pytest.mark.parametrize(
    ("n", "text", "found"),
    [(30, "30 key stakeholders", True), (3, "30 key stakeholders", False), (2000, "Circa 2.000 persone", True),
     (10, "10-20 stakeholders", True), (20, "10-20 stakeholders", True), (0, "2020", False)],
)
def test_number_matching(n: int, text: str, found: bool) -> None:
    assert _has_number(text, n) is found
