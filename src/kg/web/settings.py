"""The web server's own settings: store location, update token, query timeout, SERVICE allowlist.

Values come from keyword arguments, then environment variables, then defaults:

=====================  ==========================  ===================================================
setting                environment variable        default
=====================  ==========================  ===================================================
``store_path``         (``KG_VAR_DIR``/store)       ``settings.store_path`` (the ``var/store`` symlink)
``token``              ``KG_TOKEN``                None: read-only, every write answers 403
``query_timeout``      ``KG_QUERY_TIMEOUT``        30 seconds
``service_allowlist``  ``KG_SERVICE_ALLOWLIST``    empty: no SERVICE / LOAD may reach any host
``pool_size``          ``KG_QUERY_WORKERS``        the CPU count (forced to 1 when a token is set)
=====================  ==========================  ===================================================

``KG_SERVICE_ALLOWLIST`` is a comma- or space-separated list of host names (``query.wikidata.org``),
``host:port`` pairs or ``*.example.org`` wildcards.

With a token the server accepts SPARQL Update and Graph Store writes, and the store is then
opened read-write by a single worker process (a RocksDB directory takes one writer and no
concurrent readers from other processes), so ``pool_size`` is 1 and ``kg serve`` runs one
uvicorn worker. Read-only serving (no token) opens the store read-only in every worker.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.settings import Settings

DEFAULT_QUERY_TIMEOUT = 30.0
MAX_QUERY_BYTES = 1 << 20  # 1 MiB of SPARQL text
MAX_UPLOAD_BYTES = 256 << 20  # Graph Store PUT/POST bodies

__all__ = ["DEFAULT_QUERY_TIMEOUT", "WebSettings"]


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(item for item in re.split(r"[\s,]+", value.strip()) if item)


@dataclass(frozen=True)
class WebSettings:
    """Everything ``kg serve`` needs beyond :class:`kg.settings.Settings`."""

    store_path: Path
    base_uri: str
    token: str | None = None
    query_timeout: float = DEFAULT_QUERY_TIMEOUT
    service_allowlist: tuple[str, ...] = ()
    pool_size: int = 1
    max_query_bytes: int = MAX_QUERY_BYTES
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    @property
    def writable(self) -> bool:
        """Updates and Graph Store writes are possible (a token is configured)."""
        return self.token is not None

    @classmethod
    def resolve(
        cls,
        settings: Settings,
        *,
        store_path: Path | str | None = None,
        token: str | None = None,
        query_timeout: float | None = None,
        service_allowlist: Sequence[str] | None = None,
        pool_size: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> "WebSettings":
        """Arguments first, then ``KG_TOKEN`` / ``KG_QUERY_TIMEOUT`` / ``KG_SERVICE_ALLOWLIST`` /
        ``KG_QUERY_WORKERS``, then defaults."""
        env = os.environ if env is None else env
        if token is None:
            token = env.get("KG_TOKEN") or None
        if token is not None and not token.strip():
            token = None
        if query_timeout is None:
            raw = env.get("KG_QUERY_TIMEOUT")
            try:
                query_timeout = float(raw) if raw else DEFAULT_QUERY_TIMEOUT
            except ValueError as exc:
                raise ValueError(f"KG_QUERY_TIMEOUT must be a number of seconds, not {raw!r}") from exc
        if query_timeout <= 0:
            raise ValueError("the query timeout must be positive")
        if service_allowlist is None:
            service_allowlist = _split_list(env.get("KG_SERVICE_ALLOWLIST", ""))
        if pool_size is None:
            raw = env.get("KG_QUERY_WORKERS")
            pool_size = int(raw) if raw else (os.cpu_count() or 1)
        if token is not None:
            pool_size = 1  # one read-write process owns the RocksDB directory
        pool_size = max(1, pool_size)
        return cls(
            store_path=Path(store_path) if store_path is not None else settings.store_path,
            base_uri=settings.base_uri,
            token=token,
            query_timeout=float(query_timeout),
            service_allowlist=tuple(s.strip().lower() for s in service_allowlist if s.strip()),
            pool_size=pool_size,
        )

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
