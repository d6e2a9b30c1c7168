"""The home page's SPARQL editor in headless Chromium: CodeMirror highlighting, completion of prefixes
and ontology terms, the query in the address bar, paged results, downloads, and nothing loaded from
anywhere but this server.

Most tests drive the facade test server (whose ``POST /sparql`` is a stand-in over the seed build);
the downloads are also checked against a real ``kg.web.server`` (the ``server`` fixture of
``tests/web/conftest.py``), whose ``GET /sparql?format=`` the endpoint links point at.
"""

from __future__ import annotations

import glob
import html
import json
import re
import tomllib
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from browsing import Tags, WebDriver, browser  # noqa: F401 - the WebDriver client and its fixture
from conftest_facade import (  # noqa: F401 - fixtures
    BASE,
    ROOT,
    facade_client,
    facade_server,
    facade_store,
)

CM = "document.querySelector('.CodeMirror').CodeMirror"
VENDOR = ROOT / "src/kg/web/site/static/vendor/codemirror"

# 120 entities under the base: more than two pages of 50, in a known order, whatever the store holds
MANY = (
    "SELECT ?n ?thing WHERE { VALUES (?n ?thing) { "
    + " ".join(f"({i} <{BASE}id/project/p{i:03d}>)" for i in range(1, 121))
    + " } } ORDER BY ?n"
)


def open_home(browser: WebDriver, url: str) -> None:
    browser.get(url)
    browser.wait("return document.readyState === 'complete' && !!document.querySelector('.CodeMirror')")


def run_and_wait(browser: WebDriver) -> str:
    browser.click("#run")
    return browser.wait("const s = document.getElementById('sparql-status'); return !/Running/.test(s.textContent) && s.textContent")


def set_query(browser: WebDriver, text: str) -> None:
    browser.js(f"{CM}.setValue(arguments[0])", text)


def type_keys(browser: WebDriver, text: str) -> None:
    """Real key presses, to whatever has the focus (WebDriver actions)."""
    actions = []
    for ch in text:
        actions += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
    browser._cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})
    browser._cmd("DELETE", "/actions")


def cdp(browser: WebDriver, cmd: str, params: dict | None = None):
    """A Chrome DevTools command through chromedriver."""
    return browser._cmd("POST", "/goog/cdp/execute", {"cmd": cmd, "params": params or {}})


def read_blobs_too(browser: WebDriver) -> None:
    """Let the test's own fetch() read blob: URLs (the page's CSP allows connect-src 'self' only;
    the page never fetches them, a click on a download link saves them)."""
    cdp(browser, "Page.enable")
    cdp(browser, "Page.setBypassCSP", {"enabled": True})


def hints(browser: WebDriver) -> list[str]:
    return browser.wait("const h = [...document.querySelectorAll('.CodeMirror-hints li')]; return h.length && h.map(li => li.textContent)")


# --------------------------------------------------------------------------- without a browser


def test_home_page_renders_a_linked_query_into_the_textarea(facade_client):
    """``/?query=…`` fills the form on the server: the link works with no script at all."""
    query = 'SELECT ?x WHERE { ?x ?p "<b>&" }'
    r = facade_client.get("/", params={"query": query, "run": "1"}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    textarea = re.search(r'<textarea id="sparql" name="query"[^>]*>(.*?)</textarea>', r.text, re.S)
    assert textarea and html.unescape(textarea.group(1)) == query and "<b>" not in textarea.group(1)
    tags = Tags()
    tags.feed(r.text)
    vocabulary = json.loads(tags.json_blocks["sparql-vocabulary"])
    assert vocabulary["prefixes"]["kg"] == "https://w3id.org/euprojects/def#"
    assert vocabulary["prefixes"]["dct"] == "http://purl.org/dc/terms/"
    terms = {t["name"]: t for t in vocabulary["terms"]}
    assert terms["kg:Project"]["kind"] == "class" and terms["kg:Project"]["label"] == "Project"
    assert terms["kg:startDate"]["kind"] == "property" and terms["kg:startDate"]["definition"]
    scripts = [a["src"] for a in tags.find("script") if a.get("src")]
    assert [s.split("?")[0] for s in scripts] == [
        "/static/vendor/codemirror/codemirror.js",
        "/static/vendor/codemirror/sparql.js",
        "/static/vendor/codemirror/show-hint.js",
        "/static/vendor/codemirror/matchbrackets.js",
        "/static/app.js",
    ]
    default = facade_client.get("/", headers={"Accept": "text/html"}).text
    assert "SELECT ?project ?title ?start ?end WHERE {" in default


def test_vendored_codemirror_is_complete_and_packaged():
    readme = (VENDOR / "README.md").read_text()
    version = re.search(r"\*\*(5\.\d+\.\d+)\*\*", readme)
    assert version, "the README names the vendored version"
    assert f'CodeMirror.version = "{version.group(1)}"' in (VENDOR / "codemirror.js").read_text()
    assert "MIT License" in (VENDOR / "LICENSE").read_text() and "npm pack codemirror@" in readme
    # every file under static/ is package data (pyproject's globs reach every depth used)
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["kg"]
    package = ROOT / "src/kg"
    covered = {p for pattern in patterns for p in glob.glob(pattern, root_dir=package)}
    static = {p.relative_to(package).as_posix() for p in (package / "web/site/static").rglob("*") if p.is_file()}
    assert static - covered == set()


# --------------------------------------------------------------------------- in the browser


def test_editor_highlights_sparql_and_keeps_the_textarea(browser, facade_server):
    open_home(browser, facade_server.url + "/")
    keywords = browser.js("return [...document.querySelectorAll('.CodeMirror .cm-keyword')].map(s => s.textContent)")
    assert {"PREFIX", "SELECT", "WHERE", "OPTIONAL"} <= set(keywords)
    variables = browser.js("return [...document.querySelectorAll('.CodeMirror .cm-variable-2')].map(s => s.textContent)")
    assert "?project" in variables
    atoms = browser.js("return [...document.querySelectorAll('.CodeMirror .cm-atom')].map(s => s.textContent)")
    assert "kg:Project" in atoms and "<https://w3id.org/euprojects/def#>" in atoms
    # the textarea stays the form's field, in step with the editor, out of sight and of the tab order
    set_query(browser, "ASK { ?s ?p ?o }")
    assert browser.js("return document.getElementById('sparql').value") == "ASK { ?s ?p ?o }"
    hidden = browser.js("const t = document.getElementById('sparql'); return [t.tabIndex, t.getAttribute('aria-hidden'), t.getBoundingClientRect().width]")
    assert hidden[:2] == [-1, "true"] and hidden[2] <= 1
    field = browser.js(f"const i = {CM}.getInputField(); return [i.getAttribute('aria-label'), i.getAttribute('aria-describedby')]")
    assert field == ["SPARQL query", "sparql-help"]
    assert "run=1" in browser.js("return document.getElementById('sparql-help').textContent")


def test_completion_offers_prefixes_and_ontology_terms(browser, facade_server):
    open_home(browser, facade_server.url + "/")
    set_query(browser, "SELECT * WHERE {\n  ?p a \n}")
    browser.js(f"{CM}.focus(); {CM}.setCursor({{line: 1, ch: 7}})")
    # typing "kg:" opens the list of the ontology's terms by itself
    type_keys(browser, "kg:")
    offered = hints(browser)
    assert any(h.startswith("kg:Project") for h in offered) and any(h.startswith("kg:startDate") for h in offered)
    assert all(h.startswith("kg:") for h in offered)
    # more letters narrow it; Enter picks, and the query gets the PREFIX line it lacked
    type_keys(browser, "Proj")
    assert browser.wait("const h = [...document.querySelectorAll('.CodeMirror-hints li')].map(li => li.textContent); return h.length === 1 && h")[0].startswith("kg:Project")
    type_keys(browser, "\ue007")
    text = browser.wait(f"const v = {CM}.getValue(); return /kg:Project\\b/.test(v) && v")
    assert text.startswith("PREFIX kg: <https://w3id.org/euprojects/def#>\nSELECT * WHERE {\n  ?p a kg:Project")
    # Ctrl+Space after "PREFIX " offers the server's prefixes as whole declarations
    set_query(browser, "PREFIX sk")
    browser.js(f"{CM}.focus(); {CM}.setCursor({{line: 0, ch: 9}}); {CM}.execCommand('autocomplete')")
    assert hints(browser) == ["skos: <http://www.w3.org/2004/02/skos/core#>"]
    browser.js(f"{CM}.state.completionActive.widget.pick()")
    assert browser.js(f"return {CM}.getValue()") == "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"
    # a bare word: prefixes, then terms by their local name
    set_query(browser, "SELECT * WHERE { ?s dc")
    browser.js(f"{CM}.focus(); {CM}.setCursor({{line: 0, ch: 22}}); {CM}.showHint()")
    assert [h.split(":")[0] for h in hints(browser)[:2]] == ["dcat", "dct"]
    type_keys(browser, "t")
    assert browser.wait("const h = [...document.querySelectorAll('.CodeMirror-hints li')]; return h.length === 1 && h[0].textContent").startswith("dct:")
    browser.js(f"{CM}.state.completionActive.widget.pick()")
    assert browser.js(f"return {CM}.getValue()").startswith("PREFIX dct: <http://purl.org/dc/terms/>\nSELECT * WHERE { ?s dct:")
    browser.js(f"{CM}.closeHint && {CM}.closeHint()")


def test_the_address_bar_keeps_the_query(browser, facade_server):
    open_home(browser, facade_server.url + "/?lang=it")
    query = "PREFIX kg: <https://w3id.org/euprojects/def#>\nSELECT ?p WHERE { ?p a kg:Project } # ünïcode & more\nORDER BY ?p"
    set_query(browser, query)
    # editing alone puts the query in the URL (no run flag); the language stays
    search = browser.wait("return /query=/.test(location.search) && location.search")
    params = parse_qs(search[1:])
    assert params["query"] == [query] and params["lang"] == ["it"] and "run" not in params
    assert run_and_wait(browser).startswith("5 rows")
    href = browser.js("return location.href")
    params = parse_qs(urlsplit(href).query)
    assert params["query"] == [query] and params["run"] == ["1"] and urlsplit(href).fragment == "editor"
    # the link reopens the same query and runs it
    browser.get("about:blank")
    open_home(browser, href)
    assert browser.js(f"return {CM}.getValue()") == query
    assert browser.wait("const s = document.getElementById('sparql-status').textContent; return /row/.test(s) && s").startswith("5 rows")
    assert browser.js("return document.querySelectorAll('#sparql-results tbody tr').length") == 5
    # a named query, once run, is in the URL too, and a link to it selects it in the dropdown
    browser.js("const s = document.getElementById('named-query'); s.value = 'projects-for-sdg'; s.dispatchEvent(new Event('change'));")
    named = browser.js("return document.getElementById('sparql').value")
    assert "Projects serving one SDG" in named and browser.js(f"return {CM}.getValue()") == named
    assert run_and_wait(browser).startswith("1 row")
    href = browser.js("return location.href")
    assert parse_qs(urlsplit(href).query)["query"] == [named]
    open_home(browser, href.replace("run=1", "run=0"))
    assert browser.js(f"return {CM}.getValue()") == named
    assert browser.js("return document.getElementById('named-query').value") == "projects-for-sdg"
    assert browser.js("return document.getElementById('sparql-status').textContent") == ""  # not run


def test_results_come_in_pages_of_fifty(browser, facade_server):
    open_home(browser, facade_server.url + "/")
    set_query(browser, MANY)
    assert run_and_wait(browser).startswith("120 rows")

    def page() -> tuple[str, list[str], list[str], bool, bool]:
        return browser.js(
            "const cells = [...document.querySelectorAll('#sparql-results tbody tr td:first-child > span > span:first-child')].map(s => s.textContent);"
            "const links = [...document.querySelectorAll('#sparql-results tbody a')].map(a => a.getAttribute('href'));"
            "return [document.getElementById('page-info').textContent, cells, links,"
            " document.getElementById('page-prev').disabled, document.getElementById('page-next').disabled]"
        )

    info, cells, links, no_prev, no_next = page()
    assert info.startswith("Rows 1–50 of 120") and cells == [str(i) for i in range(1, 51)]
    assert links[0] == "/doc/project/p001" and len(links) == 50
    assert no_prev and not no_next
    assert browser.js("return document.getElementById('sparql-pager').hidden") is False
    browser.click("#page-next")
    info, cells, links, no_prev, no_next = page()
    assert info.startswith("Rows 51–100 of 120") and cells[0] == "51" and len(cells) == 50 and not no_prev and not no_next
    browser.click("#page-next")
    info, cells, links, no_prev, no_next = page()
    assert info.startswith("Rows 101–120 of 120") and cells == [str(i) for i in range(101, 121)] and no_next
    assert links[-1] == "/doc/project/p120"
    browser.click("#page-prev")
    assert page()[1][0] == "51"
    # a result of one page has no pager
    set_query(browser, "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }")
    assert run_and_wait(browser).startswith("3 rows")
    assert browser.js("return document.getElementById('sparql-pager').hidden") is True


def test_downloads_and_endpoint_links_carry_the_results(browser, facade_server):
    read_blobs_too(browser)
    open_home(browser, facade_server.url + "/")
    set_query(browser, MANY)
    run_and_wait(browser)
    files = browser.js(
        "return Promise.all(['csv', 'tsv', 'json'].map(f => { const a = document.getElementById('download-' + f);"
        " return fetch(a.href).then(r => r.text()).then(t => [a.hidden, a.getAttribute('download'), a.href.slice(0, 5), t]); }))"
    )
    (csv_hidden, csv_name, csv_scheme, csv), (_, tsv_name, _, tsv), (_, json_name, _, body) = files
    assert not csv_hidden and csv_scheme == "blob:" and (csv_name, tsv_name, json_name) == ("results.csv", "results.tsv", "results.json")
    assert csv.startswith(f"n,thing\r\n1,{BASE}id/project/p001\r\n") and csv.count("\r\n") == 121  # the whole result, not a page
    assert tsv.startswith(f"?n\t?thing\n1\t<{BASE}id/project/p001>\n") and tsv.count("\n") == 121
    assert len(json.loads(body)["results"]["bindings"]) == 120
    links = browser.js("return [...document.querySelectorAll('#endpoint-links a')].map(a => [a.textContent, a.getAttribute('href')])")
    assert [label for label, _ in links] == ["CSV", "TSV", "SPARQL JSON"]
    for (_, href), fmt in zip(links, ("csv", "tsv", "json")):
        parts = urlsplit(href)
        assert parts.path == "/sparql" and not parts.netloc
        assert parse_qs(parts.query) == {"query": [MANY], "format": [fmt]}
    assert browser.js("return document.getElementById('download-ttl').hidden") is True
    # a CONSTRUCT offers Turtle, and graph formats from the endpoint
    set_query(browser, f"CONSTRUCT {{ <{BASE}id/project/ic4lop> ?p ?o }} WHERE {{ <{BASE}id/project/ic4lop> ?p ?o }}")
    assert run_and_wait(browser).startswith("Done")
    shown = browser.js("return ['csv', 'tsv', 'json', 'ttl'].map(f => document.getElementById('download-' + f).hidden)")
    assert shown == [True, True, True, False]
    formats = browser.js("return [...document.querySelectorAll('#endpoint-links a')].map(a => new URL(a.href).searchParams.get('format'))")
    assert formats == ["turtle", "ntriples", "jsonld"]


def test_downloads_match_the_real_endpoint(browser, server):
    """Against a real server: the files the page makes equal what ``GET /sparql?format=`` serves."""
    query = (
        'SELECT ?x ?label WHERE { VALUES (?x ?label) { (<http://example.org/a> "plain, with \\"quotes\\"") '
        '(1 "Città"@it) (2.5 "tab\\there") ("2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date> UNDEF) } }'
    )
    read_blobs_too(browser)
    open_home(browser, server.url + "/?query=" + quote(query) + "&run=1")
    assert browser.wait("const s = document.getElementById('sparql-status').textContent; return /row/.test(s) && s").startswith("4 rows")
    pairs = browser.js(
        "return Promise.all(['csv', 'tsv', 'json'].map((f, i) => Promise.all(["
        " fetch(document.getElementById('download-' + f).href).then(r => r.text()),"
        " fetch(document.getElementById('endpoint-' + (i + 1)).href).then(r => r.text())])))"
    )
    (csv_page, csv_server), (tsv_page, tsv_server), (json_page, json_server) = pairs
    assert csv_page == csv_server
    assert tsv_page == tsv_server
    assert json.loads(json_page) == json.loads(json_server)
    direct = httpx.get(server.url + "/sparql", params={"query": query, "format": "csv"})
    assert direct.text == csv_server


def test_everything_comes_from_this_server_and_obeys_the_csp(browser, facade_server):
    cdp(browser, "Page.enable")
    cdp(browser, "Page.setBypassCSP", {"enabled": False})
    script = cdp(browser, "Page.addScriptToEvaluateOnNewDocument", {
        "source": "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    })
    try:
        open_home(browser, facade_server.url + "/?query=" + quote(MANY) + "&run=1")
        browser.wait("return /row/.test(document.getElementById('sparql-status').textContent)")
        browser.js(f"{CM}.focus(); {CM}.setCursor({{line: 0, ch: 0}}); {CM}.replaceSelection('kg:'); {CM}.showHint()")
        hints(browser)
        browser.click("#page-next")
        resources = browser.js("return performance.getEntriesByType('resource').map(e => e.name)")
        origin = facade_server.url
        assert any(r.startswith(origin + "/static/vendor/codemirror/codemirror.js") for r in resources)
        assert any(r.startswith(origin + "/sparql") for r in resources)
        assert [r for r in resources if not (r.startswith(origin + "/") or r.startswith("blob:" + origin + "/"))] == []
        assert browser.js("return window.__csp") == []
    finally:
        cdp(browser, "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def test_the_textarea_works_when_the_editor_script_does_not_load(browser, facade_server):
    cdp(browser, "Network.enable")
    cdp(browser, "Network.setBlockedURLs", {"urls": ["*/static/vendor/codemirror/*"]})
    try:
        browser.get(facade_server.url + "/")
        browser.wait("return document.readyState === 'complete'")
        assert browser.js("return [!!window.CodeMirror, !!document.querySelector('.CodeMirror')]") == [False, False]
        assert browser.js("return document.getElementById('sparql').classList.contains('visually-hidden')") is False
        browser.js("document.getElementById('sparql').value = arguments[0]", MANY)
        browser.type("#sparql", "\ue009\ue007")  # Ctrl+Enter
        assert browser.wait("const s = document.getElementById('sparql-status').textContent; return /row/.test(s) && s").startswith("120 rows")
        assert browser.js("return document.getElementById('page-info').textContent").startswith("Rows 1–50 of 120")
        assert parse_qs(urlsplit(browser.js("return location.href")).query)["query"] == [MANY]
    finally:
        cdp(browser, "Network.setBlockedURLs", {"urls": []})
        cdp(browser, "Network.disable")
