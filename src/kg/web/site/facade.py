"""The REST facade, named queries, linked data and HTML pages of ``kg serve``, installed on an app.

``install(app, settings=..., get_store=..., build_id=...)`` mounts:

* :mod:`kg.web.site.api` — ``/api/projects``, ``/api/organisations``, ``/api/programmes``, ``/api/sdgs``,
  ``/api/countries``, ``/api/stats`` (JSON that is also JSON-LD);
* :mod:`kg.web.site.named_queries` — ``/api/queries`` and ``/api/queries/{name}``;
* :mod:`kg.web.site.linked_data` — ``/id/{path}`` (303) and ``/doc/{path}`` (content negotiation);
* :mod:`kg.web.site.pages` — HTML for people (``/``, ``/projects``, ``/programmes``, ``/sdgs``, ...);
* ``/static`` — the pages' CSS and JavaScript (no CDN, no external requests).

``get_store()`` is called once per request and must be cheap: it returns the store to read
(typically a shared read-only :class:`kg.store.OxigraphStore` of the current build, re-opened by
the caller when the build changes). The facade never closes it. ``build_id()`` names the build
being served (the target name of ``var/store``, see :func:`build_id_from_var`); it feeds ETags
and ``Last-Modified``.

What the routers share lives below them: the :class:`kg.web.context.AppContext` (store, build,
ETags, URIs as paths) and :mod:`kg.web.http` (problems, 304s, ``Accept``, ``Accept-Language``).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from kg.settings import Settings
from kg.store.base import Store
from kg.web.context import AppContext
from kg.web.site import api, linked_data, named_queries, pages

__all__ = ["ROUTERS", "install"]

# The site's routers, in mounting order: a new group of endpoints is a module with a
# ``make_router(context) -> APIRouter`` and one line here.
ROUTERS: tuple[Callable[[AppContext], APIRouter], ...] = (
    api.make_router,
    named_queries.make_router,
    linked_data.make_router,
    pages.make_router,
)


def install(
    app: FastAPI,
    *,
    context: AppContext | None = None,
    settings: Settings | None = None,
    get_store: Callable[[], Store] | None = None,
    build_id: Callable[[], str] | None = None,
) -> AppContext:
    """Mount the REST API, named queries, linked data, HTML pages and ``/static`` on ``app``.

    The routes read ``context`` (the app's own, from :func:`kg.web.app.create_app`); without one, a
    context is made from ``settings`` reading the store ``get_store()`` gives (``build_id()`` naming
    it), as a site-only app does. Route order matters only against the app's own routes: call this
    after the SPARQL routers so ``/sparql`` etc. keep their handlers. Returns the context.
    """
    if context is None:
        assert settings is not None, "install() needs a context or settings"
        context = AppContext(settings, get_store=get_store, build_id=build_id)
    for make_router in ROUTERS:
        app.include_router(make_router(context))
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.state.kg_facade = context
    return context
