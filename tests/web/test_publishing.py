"""The publishing routes on a live uvicorn server (a real socket, a real HTTP client): the
negotiated catalogue and VoID, range requests on the dumps, the ontology and the shapes."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import uvicorn
from fastapi import FastAPI

from kg.settings import Settings
from kg.store import OxigraphStore, releases
from kg.web.site.publishing import install

OWL_ONTOLOGY = "<http://www.w3.org/2002/07/owl#Ontology>"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, app: FastAPI) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def _app(var: Path, dist: Path) -> FastAPI:
    settings = Settings(var_dir=var)
    app = FastAPI()

    def build_id() -> str | None:
        current = releases.current(var)
        return current.name if current else None

    opened: dict[Path, OxigraphStore] = {}

    def get_store() -> OxigraphStore:  # one read-only store per build, kept open (as the app does)
        current = releases.current(var)
        if current is None:
            raise FileNotFoundError(f"no store at {settings.store_path}: run `kg build` first")
        if current not in opened:
            opened[current] = OxigraphStore(current, read_only=True)
        return opened[current]

    install(app, settings=settings, get_store=get_store, build_id=build_id, dist_dir=dist)
    return app


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dist")


@pytest.fixture(scope="module")
def pub_server(seed_build: Path, dist: Path) -> Iterator[LiveServer]:
    with LiveServer(_app(seed_build, dist)) as live:
        yield live


@pytest.fixture(scope="module")
def pub_client(pub_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pub_server.url, timeout=120) as c:
        yield c


def _triples(body: bytes, fmt: ox.RdfFormat) -> list[ox.Triple]:
    return [q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(body, format=fmt)]


# --------------------------------------------------------------------------- catalogue and VoID


def test_catalog_is_published_on_first_request_and_negotiated(pub_client: httpx.Client) -> None:
    turtle = pub_client.get("/catalog")  # no Accept: Turtle; the first request publishes the release
    assert turtle.status_code == 200, turtle.text
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert turtle.headers["vary"] == "Accept" and turtle.headers["etag"]
    triples = _triples(turtle.content, ox.RdfFormat.TURTLE)
    assert any(t.object == ox.NamedNode("http://www.w3.org/ns/dcat#Catalog") for t in triples)
    download = next(t.object.value for t in triples if t.predicate.value.endswith("#downloadURL"))
    assert download.startswith(f"{pub_client.base_url}".rstrip("/") + "/dumps/")

    for accept, fmt in [
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("text/html;q=0.5, application/rdf+xml;q=0.4, text/turtle;q=0.9", ox.RdfFormat.TURTLE),
    ]:
        r = pub_client.get("/catalog", headers={"Accept": accept})
        assert r.status_code == 200, (accept, r.text)
        assert r.headers["content-type"].split(";")[0] == fmt.media_type
        assert len(_triples(r.content, fmt)) == len(triples), accept

    assert pub_client.get("/catalog", params={"format": "jsonld"}).headers["content-type"].startswith("application/ld+json")
    refused = pub_client.get("/catalog", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "text/turtle" in refused.text
    etag = turtle.headers["etag"]
    assert pub_client.get("/catalog", headers={"If-None-Match": etag}).status_code == 304
    head = pub_client.head("/catalog")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(turtle.content)) and not head.content


def test_catalog_turtle_is_the_release_file(pub_client: httpx.Client) -> None:
    catalog = pub_client.get("/catalog").content
    manifest = json.loads(pub_client.get("/dumps/release.json").content)
    entry = next(f for f in manifest["files"] if f["name"] == "catalog.ttl")
    assert hashlib.sha256(catalog).hexdigest() == entry["sha256"]


def test_void_is_negotiated(pub_client: httpx.Client) -> None:
    r = pub_client.get("/.well-known/void")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    triples = _triples(r.content, ox.RdfFormat.TURTLE)
    assert any(t.predicate.value == "http://rdfs.org/ns/void#triples" for t in triples)
    j = pub_client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert j.status_code == 200 and len(_triples(j.content, ox.RdfFormat.JSON_LD)) == len(triples)


# --------------------------------------------------------------------------- dumps


@pytest.fixture(scope="module")
def nt_gz(pub_client: httpx.Client) -> bytes:
    r = pub_client.get("/dumps/euprojects.nt.gz")
    assert r.status_code == 200
    return r.content


def test_dump_download_has_length_etag_and_dates(pub_client: httpx.Client, nt_gz: bytes) -> None:
    r = pub_client.get("/dumps/euprojects.nt.gz")
    assert r.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in r.headers
    assert r.headers["content-length"] == str(len(nt_gz))
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"] == f'"{hashlib.sha256(nt_gz).hexdigest()}"'
    assert r.headers["last-modified"].endswith("GMT")
    assert gzip.decompress(nt_gz).startswith(b"<")
    assert pub_client.get("/dumps/euprojects.nt.gz", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    since = pub_client.get("/dumps/euprojects.nt.gz", headers={"If-Modified-Since": r.headers["last-modified"]})
    assert since.status_code == 304
    head = pub_client.head("/dumps/euprojects.nt.gz")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(nt_gz)) and not head.content


def test_single_range(pub_client: httpx.Client, nt_gz: bytes) -> None:
    size = len(nt_gz)
    r = pub_client.get("/dumps/euprojects.nt.gz", headers={"Range": "bytes=0-99"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 0-99/{size}"
    assert r.headers["content-length"] == "100" and r.content == nt_gz[:100]
    tail = pub_client.get("/dumps/euprojects.nt.gz", headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == nt_gz[-50:]
    assert tail.headers["content-range"] == f"bytes {size - 50}-{size - 1}/{size}"
    rest = pub_client.get("/dumps/euprojects.nt.gz", headers={"Range": f"bytes={size - 10}-"})
    assert rest.status_code == 206 and rest.content == nt_gz[-10:]


def test_multiple_ranges(pub_client: httpx.Client, nt_gz: bytes) -> None:
    r = pub_client.get("/dumps/euprojects.nt.gz", headers={"Range": "bytes=0-9,100-119"})
    assert r.status_code == 206
    ctype = r.headers["content-type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=", 1)[1].encode()
    parts = [p for p in r.content.split(b"--" + boundary) if p.strip(b"\r\n-")]
    bodies = [p.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n") for p in parts]
    assert bodies == [nt_gz[0:10], nt_gz[100:120]]
    assert b"Content-Range: bytes 100-119/" in parts[1]


def test_unsatisfiable_range_is_416(pub_client: httpx.Client, nt_gz: bytes) -> None:
    r = pub_client.get("/dumps/euprojects.nt.gz", headers={"Range": f"bytes={len(nt_gz) + 10}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(nt_gz)}"


def test_if_range_with_an_old_etag_sends_the_whole_file(pub_client: httpx.Client, nt_gz: bytes) -> None:
    r = pub_client.get("/dumps/euprojects.nt.gz", headers={"Range": "bytes=0-9", "If-Range": '"not-the-etag"'})
    assert r.status_code == 200 and r.content == nt_gz


def test_every_release_file_is_served_and_unknown_names_are_404(pub_client: httpx.Client) -> None:
    sums = pub_client.get("/dumps/SHA256SUMS")
    assert sums.status_code == 200
    for line in sums.text.splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(pub_client.get(f"/dumps/{name}").content).hexdigest() == digest, name
    missing = pub_client.get("/dumps/secret.txt")
    assert missing.status_code == 404 and "euprojects.nt.gz" in missing.text
    assert pub_client.get("/dumps/..%2Fpyproject.toml").status_code == 404


# --------------------------------------------------------------------------- ontology and shapes


def test_ontology_html_and_turtle(pub_client: httpx.Client) -> None:
    html = pub_client.get("/ontology", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "EU projects knowledge graph ontology" in html.text
    assert pub_client.get("/ontology").headers["content-type"].startswith("text/html")
    ttl = pub_client.get("/ontology", headers={"Accept": "text/turtle"})
    assert ttl.status_code == 200 and ttl.headers["content-type"].startswith("text/turtle")
    triples = _triples(ttl.content, ox.RdfFormat.TURTLE)
    assert any(str(t.object) == OWL_ONTOLOGY for t in triples)
    for accept, fmt in [
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ]:
        r = pub_client.get("/ontology", headers={"Accept": accept})
        assert r.status_code == 200 and len(_triples(r.content, fmt)) == len(triples), accept


def test_shapes(pub_client: httpx.Client) -> None:
    r = pub_client.get("/shapes")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    triples = _triples(r.content, ox.RdfFormat.TURTLE)
    assert any(str(t.object) == "<http://www.w3.org/ns/shacl#NodeShape>" for t in triples)
    again = pub_client.get("/shapes")
    assert again.content == r.content and again.headers["etag"] == r.headers["etag"]
    nt = pub_client.get("/shapes", headers={"Accept": "application/n-triples"})
    assert len(_triples(nt.content, ox.RdfFormat.N_TRIPLES)) == len(triples)


# --------------------------------------------------------------------------- staleness, nothing to serve


def test_a_release_from_another_build_is_published_again(
    pub_client: httpx.Client, dist: Path, seed_build: Path
) -> None:
    assert pub_client.get("/catalog").status_code == 200
    current = releases.current(seed_build)
    assert current is not None
    assert (dist / ".published-from").read_text().strip() == current.name
    (dist / ".published-from").write_text("20000101T000000.000000Z-000000\n")
    assert pub_client.get("/.well-known/void").status_code == 200
    assert (dist / ".published-from").read_text().strip() == current.name


def test_without_store_or_release_the_answer_says_what_to_run(tmp_path: Path) -> None:
    with LiveServer(_app(tmp_path / "var", tmp_path / "dist")) as live:
        r = httpx.get(f"{live.url}/catalog", timeout=60)
    assert r.status_code == 404
    assert "kg publish" in r.text and "kg build" in r.text
