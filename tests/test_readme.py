"""Every shell example of the README runs: the ``kg`` commands on a real store built from ``data/``,
the ``curl`` examples against a live ``kg serve`` of it, in the order the README gives them.

Examples that name files on the reader's machine (``~/Downloads/…``) are marked in :data:`OUTSIDE`
and run on the real samples in ``../shared/data`` instead. The two set-up commands (``make serve``,
``make test``) are what CI itself runs; they are not run again here.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from kgtesting import ROOT
from test_import_helpers import ERASMUS, HEAD, erasmus_rows, write_erasmus_csv

README = ROOT / "README.md"
BIN = Path(sys.executable).parent
README_SERVER = "http://127.0.0.1:8000"


def cordis_zip(tmp: Path) -> Path:
    """A CORDIS download as the portal gives it: a zip of the ';' CSV project and organization tables."""
    path = tmp / "cordis-HORIZONprojects-csv.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.write(HEAD / "project_df_100.csv", "project.csv")
        z.write(HEAD / "organization_df_100.csv", "organization.csv")
    return path


def erasmus_export(tmp: Path) -> Path:
    """A Project Results Platform export of the KA2 programme (CSV; the README's example is its xlsx twin)."""
    stems = [p.stem for p in sorted(ERASMUS.glob("ErasmusPlus_KA2_*.json"))]
    return write_erasmus_csv(tmp / "ErasmusPlus_KA2_Projects.csv", [row for _, row in erasmus_rows(*stems)])


# README paths on the reader's machine → the real sample that stands in for them
OUTSIDE: dict[str, Callable[[Path], Path]] = {
    "~/Downloads/cordis-HORIZONprojects-csv.zip": cordis_zip,
    "~/Downloads/ErasmusPlus_KA2_Projects.xlsx": erasmus_export,
}


def shell_examples(text: str) -> list[str]:
    """The commands of the README's ```sh blocks, a command per item (quoted newlines kept, comments dropped)."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        pending = ""
        for line in block.splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending = f"{pending}\n{line}" if pending else line
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the command goes on on the next line
                continue
            if words:
                commands.append(pending)
            pending = ""
        assert not pending, f"unterminated command in README: {pending!r}"
    return commands


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def readme_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], str, Path]]:
    """A store built by ``kg build`` from data/ in a private var dir, served by ``kg serve`` on a free port."""
    tmp = tmp_path_factory.mktemp("readme")
    env = dict(os.environ, KG_VAR_DIR=str(tmp / "var"), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(["kg", "build"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    port = free_port()
    server = subprocess.Popen(
        ["kg", "serve", "--port", str(port), "--query-workers", "1"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "kg serve did not answer"
            time.sleep(0.3)
        yield env, url, tmp
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_has_examples_to_run() -> None:
    commands = shell_examples(README.read_text(encoding="utf-8"))
    assert sum(c.startswith("kg ") for c in commands) >= 5
    assert sum(c.startswith("curl ") for c in commands) >= 5
    assert {"make serve", "make test"} <= {c.split("#")[0].strip() for c in commands}
    assert all(path in README.read_text(encoding="utf-8") for path in OUTSIDE), "an OUTSIDE entry the README no longer names"


def test_every_readme_example_runs(readme_env: tuple[dict[str, str], str, Path]) -> None:
    env, url, tmp = readme_env
    ran = 0
    for command in shell_examples(README.read_text(encoding="utf-8")):
        words = shlex.split(command, comments=True)
        if words[0] == "make":
            assert words[1:] in (["serve"], ["test"]), command
            continue
        assert words[0] in ("kg", "curl"), f"a README example that this test does not know how to run: {command}"
        for path, make in OUTSIDE.items():
            if path in command:
                command = command.replace(path, shlex.quote(str(make(tmp))))
        if words[0] == "curl":
            command = command.replace(README_SERVER, url)
            # every answer is checked: the status and headers go to stdout with the body (-i where the README
            # shows it, else added), and curl's own failures (connection refused…) end the test
            if "-O" in words or "-o" in words:  # the body goes to a file: the headers to stdout
                command = command.replace("curl ", "curl -sS -D - ", 1)
            elif " -i " not in f" {command} ":
                command = command.replace("curl ", "curl -sS -i ", 1)
            else:
                command = command.replace("curl ", "curl -sS ", 1)
        proc = subprocess.run(["bash", "-c", command], cwd=tmp if words[0] == "curl" else ROOT, env=env,
                              capture_output=True, timeout=600)
        assert proc.returncode == 0, f"{command}\n{proc.stderr.decode(errors='replace')}"
        if words[0] == "curl":
            statuses = [int(m) for m in re.findall(rb"^HTTP/[\d.]+ (\d{3})", proc.stdout, re.M)]
            assert statuses, f"{command}: no HTTP answer"
            final = statuses[-1]
            if " -i " in f" {' '.join(words)} ":  # the README shows these for their error answers
                assert 400 <= final < 500, f"{command}: {final}"
            else:
                assert 200 <= final < 300, f"{command}: {final}\n{proc.stdout[:500]!r}"
            if "-O" in words or "-o" in words:
                saved = words[words.index("-o") + 1] if "-o" in words else words[-1].rsplit("/", 1)[-1]
                assert (tmp / saved).stat().st_size > 0, command
        ran += 1
    assert ran >= 10
