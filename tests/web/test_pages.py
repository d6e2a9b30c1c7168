"""HTML pages: home (search, counts, SPARQL editor), entity pages, languages, no external requests."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest
from browsing import Tags, browser  # noqa: F401 - fixture
from conftest_facade import (  # noqa: F401 - fixtures
    ROOT,
    facade_client,
    facade_server,
    facade_store,
)

from kg.read.queries import load_queries


def page(client, url: str, **headers: str) -> tuple[str, Tags]:
    r = client.get(url, headers={"Accept": "text/html", **headers})
    assert r.status_code == 200, (url, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    tags = Tags()
    tags.feed(r.text)
    return r.text, tags


def test_home_page_has_search_counts_links_and_editor(facade_client):
    html, tags = page(facade_client, "/")
    search = tags.find("form", role="search")[0]
    assert search["action"] == "/projects" and search["data-api"] == "/api/projects"
    assert tags.find("input", name="q")
    assert "<strong>5</strong> projects" in html
    hrefs = {a.get("href") for a in tags.find("a")}
    assert {"/programmes", "/sdgs", "/countries", "/projects"} <= hrefs
    assert "/sdgs/10" in hrefs and "/countries/ITA" in hrefs and "/doc/programme/erasmus-plus-2014-2020" in hrefs
    # the SPARQL editor: a textarea, the named queries in a dropdown, preloaded texts
    editor = tags.find("form", id="sparql-form")[0]
    assert editor["data-endpoint"] == "/sparql"
    assert tags.find("textarea", id="sparql")
    options = [o["value"] for o in tags.find("option") if o.get("value")]
    names = set(load_queries(ROOT / "queries"))
    assert names <= set(options)
    preloaded = {q["name"]: q["sparql"] for q in json.loads(tags.json_blocks["named-queries"])}
    assert set(preloaded) == names
    assert "<http://metadata.un.org/sdg/10>" in preloaded["projects-for-sdg"]  # defaults bound
    assert tags.find("a", id="download-csv") and "Ctrl" in html
    assert tags.find("script", src=tags.find("script")[-1]["src"])[0]["src"].startswith("/static/app.js")


def test_home_page_makes_no_requests_to_other_hosts(facade_client, facade_server):
    r = facade_client.get("/")
    tags = Tags()
    tags.feed(r.text)
    for tag, attrs in tags.tags:
        if tag not in ("script", "link", "img", "iframe", "source", "video", "audio"):
            continue
        for attr in ("src", "href", "srcset"):
            value = attrs.get(attr)
            if value:
                parts = urlsplit(value)
                assert not parts.scheme and not parts.netloc, f"<{tag} {attr}={value!r}> leaves this server"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    # and the static files themselves reach nothing outside
    for name in ("app.js", "style.css"):
        asset = facade_client.get(f"/static/{name}")
        assert asset.status_code == 200
        assert "http://" not in asset.text.replace("http://www.w3.org/2001/XMLSchema#", "") and "https://" not in asset.text


def test_static_editor_script_posts_to_sparql(facade_client):
    js = facade_client.get("/static/app.js")
    assert js.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    text = js.text
    assert "application/sparql-results+json" in text and "/sparql" in text
    assert "ctrlKey" in text and "Enter" in text and "text/csv" in text
    assert "/api/projects" not in text or "data-api" in text  # the search endpoint comes from the page
    assert facade_client.get("/static/style.css").headers["content-type"].startswith("text/css")


def test_project_page_shows_its_facts(facade_client):
    html, tags = page(facade_client, "/doc/project/2020-1-DE02-KA202-007701")
    assert "<h1>ECCIPA</h1>" in html
    assert "December 2020" in html and "May 2023" in html and "to the month" in html
    assert "2020-1-DE02-KA202-007701" in html and "Grant number" in html
    assert "Strategic Partnerships for vocational education and training" in html and "KA202" in html
    assert "Needs Review" in html and "ECCIPA Manifesto" in html and "Local Strategies" in html
    hrefs = {a.get("href") for a in tags.find("a")}
    assert {"/countries/ITA", "/countries/DEU", "/countries/ESP"} <= hrefs
    assert "/doc/project/2020-1-DE02-KA202-007701.ttl" in hrefs and "/api/projects/2020-1-DE02-KA202-007701" in hrefs
    assert tags.find("link", rel="alternate", type="text/turtle")
    assert "SHA-256" in html and "graph/source/003_b6e3edf6708f26aa" in html


def test_labels_follow_the_requested_language(facade_client):
    html, _ = page(facade_client, "/doc/project/2020-1-DE02-KA202-007701?lang=it")
    assert ">Italia <" in html and ">Germania <" in html and "dicembre 2020" in html
    assert 'href="/countries/ITA?lang=it"' in html  # the language follows the links
    english, _ = page(facade_client, "/doc/project/2020-1-DE02-KA202-007701")
    assert ">Italy <" in english and ">Italia <" not in english
    by_header, _ = page(facade_client, "/doc/project/ic4lop", **{"Accept-Language": "it;q=1, en;q=0.5"})
    assert ">Italia <" in by_header
    liaison, _ = page(facade_client, "/doc/project/liaison?lang=it")
    assert "partecipante" in liaison and "3 febbraio 2020" in liaison
    country, _ = page(facade_client, "/countries/IT?lang=it")
    assert "<h1>Italia</h1>" in country
    network, _ = page(facade_client, "/doc/project/cosmopolitan-towns-network?lang=it")
    assert ">Albania <" in network and "SDG 10" in network and "settembre 2017" in network


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/doc/organisation/cesie", ["CESIE ETS", "/doc/project/liaison", "participant"]),
        ("/doc/funder/eacea", ["European Education and Culture Executive Agency", "EACEA", "/doc/programme/erasmus-plus-ka3-social-inclusion"]),
        ("/doc/programme/erasmus-plus-2014-2020", ["Erasmus+ (2014–2020)", "Key Action 2", "/doc/project/ic4lop", "Regulation (EU) No 1288/2013"]),
        ("/doc/programme/llp-ka4-multilateral-projects", ["Multilateral projects (Key Activity 4)", "Lifelong Learning Programme", "Learning Cities for Migrants Inclusion"]),
        ("/doc/place/ita/bologna", ["Bologna", "/countries/ITA", "Learning Cities for Migrants Inclusion"]),
        ("/doc/place/fra/dunkerque", ["Dunkerque", "Dunkirk"]),
        ("/doc/source/000_7a480ec8357f5d78", ["40c3882f16e1fee3e0bd31ae6fa3f2ba8003f378f965a92b25c10ef0ba7e1432", "kg:sha256", "/doc/project/ic4lop"]),
        ("/doc/project/ic4lop/activity/2", ["P5D", "training of trainers", "/doc/project/ic4lop"]),
        ("/programmes", ["Erasmus+ (2014–2020)", "Transversal programme", "REC-RACI"]),
        ("/sdgs", ["Reduced inequalities", "Sustainable cities and communities", "/sdgs/17"]),
        ("/sdgs/10", ["Reduce inequality within and among countries", "Network of medium-sized cosmopolitan towns", "10.2"]),
        ("/sdgs/10.2", ["By 2030, empower and promote", "/sdgs/10"]),
        ("/countries", ["Italy", "<code>IT</code>", "<meter"]),
        ("/countries/DE", ["Germany", "ECCIPA", "Berlin"]),
        ("/organisations", ["CESIE ETS", "Directorate-General for Justice and Consumers"]),
        ("/queries", ["Projects serving one SDG", "/api/queries/projects-for-sdg?format=csv"]),
        ("/resource?uri=http%3A%2F%2Fpublications.europa.eu%2Fresource%2Fauthority%2Fcountry%2FITA", ["Italy", "skos:prefLabel", "Linked from"]),
        ("/resource?uri=https%3A%2F%2Fw3id.org%2Feuprojects%2Fdef%23Project", ["Project", "rdf:type", "Class", "skos:definition"]),
    ],
)
def test_entity_and_browse_pages(facade_client, url, expected):
    html, _ = page(facade_client, url)
    for text in expected:
        assert text in html, (url, text)


def test_project_search_page(facade_client):
    html, tags = page(facade_client, "/projects?country=IT&sort=-start")
    assert "4 projects" in html
    titles = [a["href"] for a in tags.find("a") if (a.get("href") or "").startswith("/doc/project/")]
    assert titles[0] == "/doc/project/2020-1-DE02-KA202-007701"
    html, _ = page(facade_client, "/projects?programme=erasmus-plus-2014-2020")
    assert "2 projects" in html and "IC4LOP" in html and "ECCIPA" in html
    bad = facade_client.get("/projects?country=Atlantis", headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "Invalid <strong>country</strong>" in bad.text


def test_pages_escape_user_input(facade_client):
    r = facade_client.get("/projects", params={"q": '<script>alert("x")</script>'}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert '<script>alert("x")</script>' not in r.text and "&lt;script&gt;" in r.text


def test_unknown_pages_are_404_html(facade_client):
    for url in ("/sdgs/99", "/countries/Atlantis", "/doc/nothing/here", "/resource?uri=http%3A%2F%2Fexample.org%2Fnone"):
        r = facade_client.get(url, headers={"Accept": "text/html"})
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), url


# --------------------------------------------------------------------------- the editor in a real browser


def test_query_editor_runs_named_queries_in_a_browser(browser, facade_server):
    facade_server.sparql_requests.clear()
    browser.get(facade_server.url + "/")
    browser.wait("return document.readyState === 'complete'")
    # choosing a named query preloads its text, defaults bound
    browser.js("const s = document.getElementById('named-query'); s.value = 'projects-for-sdg'; s.dispatchEvent(new Event('change'));")
    text = browser.js("return document.getElementById('sparql').value")
    assert "Projects serving one SDG" in text and "<http://metadata.un.org/sdg/10>" in text
    # Ctrl+Enter in the textarea runs it against /sparql and renders a table
    browser.type("#sparql", "\ue009\ue007")
    status = browser.wait("const s = document.getElementById('sparql-status').textContent; return /row/.test(s) && s")
    assert status.startswith("1 row")
    request = facade_server.sparql_requests[-1]
    assert request["accept"] == "application/sparql-results+json"
    assert request["content-type"].startswith("application/x-www-form-urlencoded") and "sdg/10" in request["query"]
    headers = browser.js("return [...document.querySelectorAll('#sparql-results thead th')].map(th => th.textContent)")
    assert headers == ["project", "title", "start", "end"]
    link = browser.js("return document.querySelector('#sparql-results tbody a').getAttribute('href')")
    assert link == "/doc/project/cosmopolitan-towns-network"
    assert browser.js("return document.getElementById('download-csv').hidden") is False
    assert browser.js("return document.getElementById('download-csv').getAttribute('href')").startswith("blob:")
    # the Run button, an error from the endpoint
    browser.js("document.getElementById('sparql').value = 'SELECT nonsense';")
    browser.click("#run")
    error = browser.wait("const s = document.getElementById('sparql-status'); return s.classList.contains('failed') && s.textContent")
    assert error.startswith("Error 400")
    assert browser.js("return document.getElementById('download-csv').hidden") is True


def test_live_search_uses_the_api_in_a_browser(browser, facade_server):
    browser.get(facade_server.url + "/")
    browser.wait("return document.readyState === 'complete'")
    browser.type("#q", "migrants")
    # ranked full text (titles first; IC4LOP matches in its objectives)
    found = browser.wait("const r = document.getElementById('search-results'); return r.querySelectorAll('li').length === 3 && r.innerText")
    assert found.index("Learning Cities for Migrants Inclusion") < found.index("IC4LOP") and "3 projects match" in found
    hrefs = browser.js("return [...document.querySelectorAll('#search-results a')].map(a => a.getAttribute('href'))")
    assert "/doc/project/learning-cities-migrants-inclusion" in hrefs
    browser.type("#q", " ")  # typeahead: the programmes, organisations and places too
    browser.js("document.getElementById('q').value = 'erasmus'; document.getElementById('q').dispatchEvent(new Event('input'))")
    more = browser.wait("const r = document.getElementById('search-suggestions'); return r.querySelectorAll('li').length > 0 && r.innerText")
    assert "Erasmus+" in more


def test_search_snippets_highlight_and_escape(facade_server):
    html = httpx.get(facade_server.url + "/projects", params={"q": "migrants"}).text
    assert '<p class="snippet">' in html and "<mark>" in html.split('<p class="snippet">', 1)[1].split("</p>", 1)[0]
    assert "&lt;mark&gt;" not in html


def test_the_projects_per_year_chart_draws_offline_with_its_csv(browser, facade_server):
    """/explore: a Chart.js bar chart (vendored, no CDN) of projects per start year, its data as CSV."""
    browser.get(facade_server.url + "/explore")
    browser.wait("return document.readyState === 'complete'")
    bars = browser.wait("return window.yearChart && window.yearChart.data.datasets[0].data")
    csv_text = httpx.get(facade_server.url + "/explore/projects-per-year.csv").text
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    assert rows[0] == ["year", "projects"] and [int(n) for _, n in rows[1:]] == bars and sum(bars) >= 4
    # something was drawn: the canvas has coloured pixels
    coloured = browser.js(
        "const c = document.getElementById('year-chart'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 2] > d[i]) n++; return n"
    )
    assert coloured > 100
    scripts = browser.js("return [...document.scripts].map(s => s.src).filter(Boolean)")
    assert scripts and all(s.startswith(facade_server.url) for s in scripts)  # nothing from elsewhere
    countries = httpx.get(facade_server.url + "/explore/projects-per-country.csv").text.splitlines()
    assert countries[0] == "country,iso2,iso3,label,projects" and len(countries) > 2


def test_the_co_partnership_network_draws_offline_with_its_csv(browser, facade_server):
    browser.get(facade_server.url + "/explore/network?organisation=cesie")
    browser.wait("return document.readyState === 'complete'")
    nodes = browser.wait("return window.networkChart && window.networkChart.nodes().length")
    partners = browser.js("return document.querySelectorAll('#partner-list li').length")
    assert partners >= 1 and nodes == partners + 1
    drawn = browser.js(
        "const b = document.getElementById('network'); const cs = [...b.querySelectorAll('canvas')];"
        "return [b.getBoundingClientRect().height, cs.length]"
    )
    assert drawn[0] > 200 and drawn[1] >= 1  # a visible box (CSS from style.css: no inline styles under the CSP)
    rows = httpx.get(facade_server.url + "/explore/network", params={"organisation": "cesie", "format": "csv"}).text.strip().splitlines()
    assert rows[0] == "source,target,projects" and len(rows) - 1 >= partners
    assert httpx.get(facade_server.url + "/explore/network", params={"organisation": "no such org"}).status_code == 404
