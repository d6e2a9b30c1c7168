"""Settings: base URI, project root, data dir, store location, privacy switch.

Values come from keyword arguments, then environment variables (``KG_*``), then defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_BASE_URI = "https://w3id.org/euprojects/"

# The inputs under the data directory, named once: the build, the importers and the publisher read these.
COUNTRY_TABLE = Path("vocab/eu-authority/eu-op-country-skos-20221214-0.rdf")
SDG_KOS = Path("vocab/un-sdg/un-sdg-kos-goals-targets-indicators.ttl")
PROGRAMMES = Path("vocab/programmes.yaml")
PROJECTS = Path("projects")


def _find_root() -> Path:
    """The project checkout: the nearest parent holding ``ontology/`` and ``data/``."""
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *here.parents]:
        if (parent / "ontology").is_dir() and (parent / "data").is_dir() and (parent / "shapes").is_dir():
            return parent
    return Path.cwd()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything a stage needs to know about where things are and how URIs look."""

    base_uri: str = DEFAULT_BASE_URI
    root: Path = field(default_factory=_find_root)
    data_dir: Path | None = None  # the input data (records, sources, vocab); default root/data
    var_dir: Path | None = None  # where built stores live; default root/var
    include_personal_data: bool = False  # named persons' e-mails etc. stay out unless True

    def __post_init__(self) -> None:
        if not self.base_uri.endswith(("/", "#")):
            object.__setattr__(self, "base_uri", self.base_uri + "/")
        object.__setattr__(self, "root", Path(self.root).resolve())
        if self.data_dir is None:
            object.__setattr__(self, "data_dir", self.root / "data")
        else:
            object.__setattr__(self, "data_dir", Path(self.data_dir).resolve())
        if self.var_dir is None:
            object.__setattr__(self, "var_dir", self.root / "var")
        else:
            object.__setattr__(self, "var_dir", Path(self.var_dir).resolve())

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def country_table(self) -> Path:
        """The EU authority table of countries (SKOS, RDF/XML)."""
        assert self.data_dir is not None
        return self.data_dir / COUNTRY_TABLE

    @property
    def sdg_kos(self) -> Path:
        """The UN SDG KOS (goals, targets, indicators)."""
        assert self.data_dir is not None
        return self.data_dir / SDG_KOS

    @property
    def programmes_file(self) -> Path:
        """The curated programme scheme (YAML)."""
        assert self.data_dir is not None
        return self.data_dir / PROGRAMMES

    @property
    def projects_dir(self) -> Path:
        """The curated records, one YAML file per project."""
        assert self.data_dir is not None
        return self.data_dir / PROJECTS

    @property
    def store_path(self) -> Path:
        """The served store: a symlink under var/ that points at the current build."""
        assert self.var_dir is not None
        return self.var_dir / "store"

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        values: dict[str, object] = {}
        if "KG_BASE_URI" in os.environ:
            values["base_uri"] = os.environ["KG_BASE_URI"]
        if "KG_ROOT" in os.environ:
            values["root"] = Path(os.environ["KG_ROOT"])
        if "KG_DATA_DIR" in os.environ:
            values["data_dir"] = Path(os.environ["KG_DATA_DIR"])
        if "KG_VAR_DIR" in os.environ:
            values["var_dir"] = Path(os.environ["KG_VAR_DIR"])
        values["include_personal_data"] = _env_bool("KG_INCLUDE_PERSONAL_DATA")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
