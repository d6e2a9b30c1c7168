"""What the page tests share: ``Tags`` (the start tags of an HTML page) and a headless Chromium.

``browser`` is a fixture: it starts chromedriver on a free loopback port (chromium and chromedriver
are Debian packages: ``make system-deps`` installs them) and opens one session per test module,
driven by :class:`WebDriver` (just enough of the W3C WebDriver protocol). Import it into a test
module with ``from browsing import browser``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

__all__ = ["Tags", "WebDriver", "browser"]


class Tags(HTMLParser):
    """Every start tag with its attributes, plus the text of <script type=application/json> blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.json_blocks: dict[str, str] = {}
        self._json_id: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script" and a.get("type") == "application/json":
            self._json_id = a.get("id") or ""
            self.json_blocks[self._json_id] = ""

    def handle_data(self, data):
        if self._json_id is not None:
            self.json_blocks[self._json_id] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._json_id = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


class WebDriver:
    """Just enough of the W3C WebDriver protocol, spoken to chromedriver with httpx."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        caps = {"browserName": "chrome", "goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}}
        r = self.http.post("/session", json={"capabilities": {"alwaysMatch": caps}})
        assert r.status_code == 200, r.text
        self.session = r.json()["value"]["sessionId"]

    def _cmd(self, method: str, path: str, body: dict | None = None):
        r = self.http.request(method, f"/session/{self.session}{path}", json=body)
        assert r.status_code == 200, r.text
        return r.json()["value"]

    def get(self, url: str) -> None:
        self._cmd("POST", "/url", {"url": url})

    def js(self, script: str, *args):
        return self._cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def element(self, css: str) -> str:
        return next(iter(self._cmd("POST", "/element", {"using": "css selector", "value": css}).values()))

    def type(self, css: str, text: str) -> None:
        self._cmd("POST", f"/element/{self.element(css)}/value", {"text": text})

    def click(self, css: str) -> None:
        self._cmd("POST", f"/element/{self.element(css)}/click", {})

    def wait(self, script: str, timeout: float = 15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for: {script}")

    def quit(self) -> None:
        try:
            self.http.delete(f"/session/{self.session}")
        finally:
            self.http.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver_bin = shutil.which("chromedriver")
    if driver_bin is None or not (shutil.which("chromium") or shutil.which("google-chrome")):
        pytest.fail("chromium and chromedriver are needed: run `make system-deps` (make test does)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([driver_bin, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/status", timeout=1).json()["value"]["ready"]:
                    break
            except (httpx.TransportError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("chromedriver did not start")
            time.sleep(0.1)
        driver = WebDriver(f"http://127.0.0.1:{port}")
        try:
            yield driver
        finally:
            driver.quit()
    finally:
        proc.terminate()
        proc.wait(10)
