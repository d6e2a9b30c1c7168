"""Settings: the one frozen object every stage and face reads.

Values come from keyword arguments, then environment variables, then defaults:

=========================  ============================  ================================================
setting                    environment variable          default
=========================  ============================  ================================================
``base_uri``               ``KG_BASE_URI``               ``https://w3id.org/euprojects/``
``root``                   ``KG_ROOT``                   the checkout holding ``ontology/``, ``data/``
``data_dir``               ``KG_DATA_DIR``               ``root/data``
``var_dir``                ``KG_VAR_DIR``                ``root/var`` (builds, imports, the store link)
``include_personal_data``  ``KG_INCLUDE_PERSONAL_DATA``  off: named persons' contacts stay out
``sdg_suggestions``        ``KG_SDG_SUGGESTIONS``        on: ``kg build`` writes Aurora-query SDG suggestions
``serve_store``            (``kg serve --store``)        ``var_dir/store``, the served-store symlink
``token``                  ``KG_TOKEN``                  None: read-only, every write answers 403
``query_timeout``          ``KG_QUERY_TIMEOUT``          30 seconds
``service_allowlist``      ``KG_SERVICE_ALLOWLIST``      empty: no SERVICE / LOAD may reach any host
``query_workers``          ``KG_QUERY_WORKERS``          the CPU count (forced to 1 when a token is set)
``store_url``              ``KG_STORE``                  None: the embedded store only (``var/store``)
``store_user``             ``KG_STORE_USER``             None (or the ``user:password@`` of ``KG_STORE``)
``store_password``         ``KG_STORE_PASSWORD``         None
``strip_control``          ``KG_STRIP_CONTROL``          off: a control character rejects its import row
``read_connections``       ``KG_READ_CONNECTIONS``       4: read-model reads at once per server process
``max_query_length``       ``KG_MAX_QUERY_LENGTH``       50 000 characters of SPARQL text
``max_query_depth``        ``KG_MAX_QUERY_DEPTH``        32 levels of brackets / braces / ``<<`` / ``!``
``max_triple_patterns``    ``KG_MAX_TRIPLE_PATTERNS``    1 000 triple patterns in a query
``worker_wait``            ``KG_WORKER_WAIT``            5 s a query may wait for a free worker (then 503)
``long_query_after``       ``KG_LONG_QUERY_AFTER``       0.5 s: a query running longer is a *long* one
``max_long_queries``       ``KG_MAX_LONG_QUERIES``       workers − 1 long queries at once (at least 1)
``max_long_per_client``    ``KG_MAX_LONG_PER_CLIENT``    1 long query at once per client address
``stream_buffer_bytes``    ``KG_STREAM_BUFFER_BYTES``    1 MiB: a result this small is answered whole
``cache_bytes``            ``KG_CACHE_BYTES``            64 MiB of cached query results (0: no cache)
=========================  ============================  ================================================

A *long* query (one still running after ``long_query_after``) past ``max_long_per_client`` for its
client address, or past ``max_long_queries`` in total, is stopped with 503 and ``Retry-After``; and
a client with a long query running may not take the last free worker, so short queries of other
clients always find one (see :mod:`kg.store.pool`).

``KG_STORE`` names a SPARQL endpoint (e.g. a Virtuoso server's ``http://host:8890/sparql``) that
holds the graph besides ``var/``: ``kg build`` and ``kg import`` copy each release they promote into
it, ``kg query``, ``kg stats`` and ``kg publish`` read from it (docs/scaling.md).

``KG_SERVICE_ALLOWLIST`` is a comma- or space-separated list of host names (``query.wikidata.org``),
``host:port`` pairs or ``*.example.org`` wildcards.

``strip_control`` (``kg import --strip-control``): an imported value holding a control character
other than tab and line breaks (NUL, ESC …) rejects its row by default; with it on, the characters
are removed and each value so changed is reported (``file:row:column``) in the import's report.

With a token the server accepts SPARQL Update and Graph Store writes, and the store is then
opened read-write by a single worker process (a RocksDB directory takes one writer and no
concurrent readers from other processes), so :attr:`Settings.pool_size` is 1 and ``kg serve`` runs
one uvicorn worker. Read-only serving (no token) opens the store read-only in every worker.
Several uvicorn workers get the same object through :meth:`Settings.to_json` / :meth:`Settings.from_json`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_BASE_URI = "https://w3id.org/euprojects/"

# The inputs under the data directory, named once: the build, the importers and the publisher read these.
COUNTRY_TABLE = Path("vocab/eu-authority/eu-op-country-skos-20221214-0.rdf")
SDG_KOS = Path("vocab/un-sdg/un-sdg-kos-goals-targets-indicators.ttl")
SDG_QUERIES = Path("vocab/sdg-queries/aurora-5.0")
PROGRAMMES = Path("vocab/programmes.yaml")
PROJECTS = Path("projects")


def _find_root() -> Path:
    """The project checkout: the nearest parent holding ``ontology/`` and ``data/``."""
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *here.parents]:
        if (parent / "ontology").is_dir() and (parent / "data").is_dir() and (parent / "shapes").is_dir():
            return parent
    return Path.cwd()


DEFAULT_QUERY_TIMEOUT = 30.0
MAX_QUERY_BYTES = 1 << 20  # 1 MiB of SPARQL text
MAX_UPLOAD_BYTES = 256 << 20  # Graph Store PUT/POST bodies


_NUMBERS: tuple[tuple[str, str, type[int] | type[float]], ...] = (
    ("max_query_length", "KG_MAX_QUERY_LENGTH", int),
    ("max_query_depth", "KG_MAX_QUERY_DEPTH", int),
    ("max_triple_patterns", "KG_MAX_TRIPLE_PATTERNS", int),
    ("worker_wait", "KG_WORKER_WAIT", float),
    ("long_query_after", "KG_LONG_QUERY_AFTER", float),
    ("max_long_queries", "KG_MAX_LONG_QUERIES", int),
    ("max_long_per_client", "KG_MAX_LONG_PER_CLIENT", int),
    ("stream_buffer_bytes", "KG_STREAM_BUFFER_BYTES", int),
    ("cache_bytes", "KG_CACHE_BYTES", int),
)


def _env_bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(item for item in re.split(r"[\s,]+", value.strip()) if item)


@dataclass(frozen=True)
class Settings:
    """Everything a stage needs to know about where things are and how URIs look."""

    base_uri: str = DEFAULT_BASE_URI
    root: Path = field(default_factory=_find_root)
    data_dir: Path | None = None  # the input data (records, sources, vocab); default root/data
    var_dir: Path | None = None  # where built stores live; default root/var
    include_personal_data: bool = False  # named persons' e-mails etc. stay out unless True
    sdg_suggestions: bool = True  # kg build: SDG suggestions from the Aurora queries, in their own named graph
    # serving (kg serve)
    serve_store: Path | None = None  # the store to serve; default var_dir/store
    token: str | None = None  # enables SPARQL Update and Graph Store writes
    query_timeout: float = DEFAULT_QUERY_TIMEOUT
    service_allowlist: tuple[str, ...] = ()
    query_workers: int | None = None  # query worker processes; None: the CPU count
    # a remote SPARQL store (KG_STORE) that mirrors each release, and its credentials (HTTP digest)
    store_url: str | None = None
    store_user: str | None = None
    store_password: str | None = field(default=None, repr=False)
    max_query_bytes: int = MAX_QUERY_BYTES
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    # importing (kg import)
    strip_control: bool = False  # remove control characters from imported values (reported) instead of rejecting the row
    read_connections: int = 4  # read-model (kg-read.sqlite) reads at once; more wait, under the query timeout
    # what a query may look like before it reaches the engine (kg.web.sparql.limits)
    max_query_length: int = 50_000
    max_query_depth: int = 32
    max_triple_patterns: int = 1_000
    # sharing the workers (kg.store.pool)
    worker_wait: float = 5.0
    long_query_after: float = 0.5
    max_long_queries: int | None = None  # None: pool_size - 1 (at least 1)
    max_long_per_client: int = 1
    stream_buffer_bytes: int = 1 << 20
    cache_bytes: int = 64 << 20

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
        if self.serve_store is not None:
            object.__setattr__(self, "serve_store", Path(self.serve_store))
        if self.token is not None and not self.token.strip():
            object.__setattr__(self, "token", None)
        for name in ("store_url", "store_user", "store_password"):
            if getattr(self, name) is not None and not str(getattr(self, name)).strip():
                object.__setattr__(self, name, None)
        if self.store_url is not None and not self.store_url.startswith(("http://", "https://")):
            raise ValueError(f"KG_STORE must be an http(s):// SPARQL endpoint URL, not {self.store_url!r}")
        object.__setattr__(self, "query_timeout", float(self.query_timeout))
        if self.query_timeout <= 0:
            raise ValueError("the query timeout must be positive")
        if self.read_connections < 1:
            raise ValueError("read_connections must be at least 1")
        allow = (self.service_allowlist,) if isinstance(self.service_allowlist, str) else self.service_allowlist
        object.__setattr__(self, "service_allowlist", tuple(h.strip().lower() for h in allow if h.strip()))

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
    def sdg_queries_dir(self) -> Path:
        """The Aurora SDG queries (v5.0, CC BY 4.0) that SDG suggestions are computed with."""
        assert self.data_dir is not None
        return self.data_dir / SDG_QUERIES

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
        """The served store: a symlink under var/ that points at the current build (or ``serve_store``)."""
        if self.serve_store is not None:
            return self.serve_store
        assert self.var_dir is not None
        return self.var_dir / "store"

    @property
    def writes_dir(self) -> Path:
        """Where the writes journal lives (:mod:`kg.store.writes`): ``writes/`` beside the served-store
        symlink, i.e. ``var_dir/writes`` — what ``kg build`` replays."""
        return self.store_path.parent / "writes"

    @property
    def long_query_limit(self) -> int:
        """How many long queries may run at once: ``max_long_queries``, else one worker fewer than
        the pool (at least 1)."""
        if self.max_long_queries is not None:
            return max(0, self.max_long_queries)
        return max(1, self.pool_size - 1)

    @property
    def writable(self) -> bool:
        """Updates and Graph Store writes are possible (a token is configured)."""
        return self.token is not None

    @property
    def pool_size(self) -> int:
        """Query worker processes: 1 with a token (one read-write process owns the RocksDB
        directory), else ``query_workers`` or the CPU count."""
        if self.token is not None:
            return 1
        return max(1, self.query_workers or (os.cpu_count() or 1))

    def current_store(self) -> Path | None:
        """The store directory being served now (symlinks resolved), or None when there is none.

        Resolved on every request, so a build promoted by ``kg build`` (an atomic swap of the
        ``var/store`` symlink) is used by the next request without a restart.
        """
        try:  # one readlink instead of Path.resolve's walk of every component
            target = os.readlink(self.store_path)
        except OSError:
            target = None
        if target is not None and not os.path.isabs(target) and "/" in target and ".." not in target:
            path = self.store_path.parent / target
            return path if os.path.isdir(path) else None
        try:
            path = self.store_path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return path if path.is_dir() else None

    def serving(
        self,
        *,
        store: Path | str | None = None,
        token: str | None = None,
        query_timeout: float | None = None,
        service_allowlist: Sequence[str] | None = None,
        query_workers: int | None = None,
    ) -> Settings:
        """These settings with what ``kg serve`` was given (None: keep the current value)."""
        given = {
            "serve_store": Path(store) if store is not None else None,
            "token": token,
            "query_timeout": query_timeout,
            "service_allowlist": tuple(service_allowlist) if service_allowlist is not None else None,
            "query_workers": query_workers,
        }
        return self.with_(**{key: value for key, value in given.items() if value is not None})

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]  # field name -> value, checked by replace() and __post_init__

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``env`` (default ``os.environ``), keyword ``overrides`` winning (None: not given)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for key, name, kind in (
            ("base_uri", "KG_BASE_URI", str),
            ("root", "KG_ROOT", Path),
            ("data_dir", "KG_DATA_DIR", Path),
            ("var_dir", "KG_VAR_DIR", Path),
            ("store_url", "KG_STORE", str),
            ("store_user", "KG_STORE_USER", str),
            ("store_password", "KG_STORE_PASSWORD", str),
        ):
            if name in env:
                values[key] = kind(env[name])
        values["include_personal_data"] = _env_bool(env, "KG_INCLUDE_PERSONAL_DATA")
        values["strip_control"] = _env_bool(env, "KG_STRIP_CONTROL")
        values["sdg_suggestions"] = _env_bool(env, "KG_SDG_SUGGESTIONS", True)
        if env.get("KG_TOKEN"):
            values["token"] = env["KG_TOKEN"]
        raw = env.get("KG_QUERY_TIMEOUT")
        if raw:
            try:
                values["query_timeout"] = float(raw)
            except ValueError as exc:
                raise ValueError(f"KG_QUERY_TIMEOUT must be a number of seconds, not {raw!r}") from exc
        values["service_allowlist"] = _split_list(env.get("KG_SERVICE_ALLOWLIST", ""))
        raw = env.get("KG_QUERY_WORKERS")
        if raw:
            try:
                values["query_workers"] = int(raw)
            except ValueError as exc:
                raise ValueError(f"KG_QUERY_WORKERS must be a whole number, not {raw!r}") from exc
        raw = env.get("KG_READ_CONNECTIONS")
        if raw:
            try:
                values["read_connections"] = int(raw)
            except ValueError as exc:
                raise ValueError(f"KG_READ_CONNECTIONS must be a whole number, not {raw!r}") from exc
        for key, name, number in _NUMBERS:
            raw = env.get(name)
            if raw:
                try:
                    values[key] = number(raw)
                except ValueError as exc:
                    raise ValueError(f"{name} must be a {'whole ' if number is int else ''}number, not {raw!r}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "service_allowlist" in overrides and overrides["service_allowlist"] is not None:
            values["service_allowlist"] = tuple(overrides["service_allowlist"])  # type: ignore[arg-type]  # the caller's sequence of hosts
        return cls(**values)  # type: ignore[arg-type]  # field name -> value, each converted above

    def to_json(self) -> str:
        """The whole object as JSON, for processes that must rebuild it (uvicorn workers)."""
        return json.dumps({f.name: (str(v) if isinstance(v, Path) else v) for f in fields(self) for v in [getattr(self, f.name)]})

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values = json.loads(text)
        for key in ("root", "data_dir", "var_dir", "serve_store"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        values["service_allowlist"] = tuple(values.get("service_allowlist") or ())
        return cls(**values)
