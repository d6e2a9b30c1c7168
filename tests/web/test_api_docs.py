"""The API docs at ``/api/docs``: Swagger UI from the copy shipped in the package, no request off the server.

The real server (``python -m kg.web.server``, the ``server`` fixture) serves the page; headless
Chromium renders it and its resource timing entries list every file the page loaded.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from browsing import Tags, WebDriver, browser  # noqa: F401 - fixture
from weblive import Server

from kg.web.site.pages import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
VENDOR = STATIC_DIR / "vendor" / "swagger-ui"
ASSETS = {
    "/static/vendor/swagger-ui/swagger-ui-bundle.js": ("text/javascript", "application/javascript"),
    "/static/vendor/swagger-ui/swagger-ui.css": ("text/css",),
}


@pytest.fixture()
def client(server: Server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def test_docs_page_loads_only_this_servers_files(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "http://" not in html and "https://" not in html  # no CDN, no external favicon
    tags = Tags()
    tags.feed(html)
    loaded = {a.get("src") or a.get("href") for t, a in tags.tags if t in ("script", "link", "img")} - {None}
    assert loaded == {*ASSETS, "/static/favicon.svg"}
    # the one inline script points Swagger UI at this server's schema, and nowhere else
    (inline,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert re.findall(r"""url:\s*'([^']*)'""", inline) == ["/api/openapi.json"]
    assert '"validatorUrl": null' in inline  # no badge asking validator.swagger.io
    # the browser is told so: this origin only, the inline script by its hash
    csp = r.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert f"script-src 'self' 'sha256-{digest}';" in csp
    assert client.get("/api/openapi.json").json()["paths"]["/api/projects"]


def test_vendored_swagger_ui_is_served_with_its_types(client):
    for url, types in ASSETS.items():
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].split(";")[0] in types, (url, r.headers["content-type"])
        assert r.content == (STATIC_DIR / url.removeprefix("/static/")).read_bytes()
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    redirect = client.get("/api/docs/oauth2-redirect")
    assert redirect.status_code == 200 and "swaggerUIRedirectOauth2" in redirect.text
    # FastAPI's CDN page is gone, not moved
    assert client.get("/docs").status_code == 404


def test_vendored_files_ship_in_the_package():
    names = {p.name for p in VENDOR.iterdir()}
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "README.md"} <= names
    assert not [n for n in names if n.endswith(".map")]
    readme = (VENDOR / "README.md").read_text()
    assert "swagger-ui-dist" in readme and "Apache-2.0" in readme and "npm pack" in readme
    # the version the README names is the one bundled
    version = re.search(r"version\s+\*\*(\d+\.\d+\.\d+)\*\*", readme)
    assert version, "the README names no version"
    assert f'PACKAGE_VERSION:"{version[1]}"' in (VENDOR / "swagger-ui-bundle.js").read_text()
    # every file of the site's static/ and templates/ is package data (pyproject's globs)
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["kg"]
    package = ROOT / "src" / "kg"
    shipped = {p for pattern in globs for p in package.glob(pattern) if p.is_file()}
    site = package / "web" / "site"
    wanted = {p for d in ("static", "templates") for p in (site / d).rglob("*") if p.is_file()}
    assert wanted - shipped == set()


def test_docs_render_operations_offline_in_a_browser(browser: WebDriver, server: Server):
    browser.get(server.url + "/api/docs")
    browser.wait("return document.querySelectorAll('.opblock').length > 0", timeout=60)
    paths = browser.js(
        "return [...document.querySelectorAll('.opblock .opblock-summary-path')]"
        ".map(e => e.getAttribute('data-path') || e.textContent.trim())"
    )
    assert "/api/projects" in paths and "/sparql" in paths and "/api/queries/{name}" in paths
    methods = browser.js("return [...document.querySelectorAll('.opblock-summary-method')].map(e => e.textContent.trim())")
    assert {"GET", "POST"} <= set(methods)
    # every file the page loaded came from this server: the bundle, the CSS, the schema
    entries = browser.js("return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).map(e => e.name)")
    origin = urlsplit(server.url)
    for name in entries:
        parts = urlsplit(name)
        assert (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc), f"the docs page loaded {name}"
    loaded = {urlsplit(name).path for name in entries}
    assert {"/api/docs", "/api/openapi.json", *ASSETS} <= loaded
