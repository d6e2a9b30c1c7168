"""The interactive API documentation: Swagger UI at ``/api/docs``, served from this package.

FastAPI's own docs page loads Swagger UI's JavaScript, CSS and favicon from CDNs, so it is a blank
page on a machine without internet. ``install(app, docs_url=...)`` mounts FastAPI's documented
self-hosted variant instead (the app is created with ``docs_url=None``): ``get_swagger_ui_html``
pointed at the copy of the npm package ``swagger-ui-dist`` in ``static/vendor/swagger-ui/`` (see
the ``README.md`` there: version, licence, how to refresh it), the site's own favicon, and no
online validator, so the page makes no request off the server. ``/static`` is mounted by
:func:`kg.web.site.facade.install`; the schema is the app's ``openapi_url``.

Like the site's pages, the answers carry a Content-Security-Policy that says so: scripts, styles,
images, fonts and fetches from this origin only (inline styles allowed), and the one inline script
(Swagger UI's set-up, naming the schema URL) by its SHA-256. The app's
``swagger_ui_oauth2_redirect_url`` gets Swagger UI's OAuth2 helper page, as in FastAPI's pattern
(the API declares no OAuth2 scheme today).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

__all__ = ["SWAGGER_UI_URL", "csp_for", "install"]

SWAGGER_UI_URL = "/static/vendor/swagger-ui"
FAVICON_URL = "/static/favicon.svg"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def csp_for(html: str) -> str:
    """The Content-Security-Policy of a docs page: this origin only, plus its inline scripts by hash.

    Inline styles are allowed (Swagger UI's React components style elements in place); they
    still load nothing from elsewhere, since images and fonts are limited to this origin (and
    ``data:`` / ``blob:``).
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )


def _with_csp(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = csp_for(bytes(response.body).decode("utf-8"))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def install(app: FastAPI, *, docs_url: str) -> None:
    """Mount the Swagger UI page at ``docs_url`` on ``app``, and its OAuth2 redirect page at
    ``app.swagger_ui_oauth2_redirect_url`` (unless that is None).

    The page reads ``app.openapi_url`` (which must be set), ``app.title`` and
    ``app.swagger_ui_parameters``, as FastAPI's own docs page does; URLs are prefixed with the
    request's ``root_path`` (behind a proxy), as there.
    """
    openapi_url = app.openapi_url
    assert openapi_url, "the API docs need the app's openapi_url"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    title = app.title + " - Swagger UI"
    # validatorUrl: no badge asking validator.swagger.io about the schema
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _with_csp(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=title,
                swagger_js_url=f"{root}{SWAGGER_UI_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{SWAGGER_UI_URL}/swagger-ui.css",
                swagger_favicon_url=root + FAVICON_URL,
                oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
                swagger_ui_parameters=parameters,
            )
        )

    if oauth2_redirect_url:

        @app.get(oauth2_redirect_url, include_in_schema=False)
        async def swagger_ui_oauth2_redirect() -> HTMLResponse:
            return _with_csp(get_swagger_ui_oauth2_redirect_html())
