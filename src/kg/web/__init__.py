"""The web face of the graph: ``kg serve``'s SPARQL 1.1 endpoint (FastAPI on uvicorn).

``create_app`` (:mod:`kg.web.app`) builds the app, ``serve`` (:mod:`kg.web.server`) runs it.
Queries run in worker processes under a time limit (:mod:`kg.store.pool`); results stream.
Both names are imported lazily, so a query worker importing :mod:`kg.store.pool` does not
load FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.web.app import create_app
    from kg.web.server import serve

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from kg.web.app import create_app

        return create_app
    if name == "serve":
        from kg.web.server import serve

        return serve
    raise AttributeError(f"module 'kg.web' has no attribute {name!r}")
