"""What a person sees from ``gatehouse serve`` and the README's examples against it: where
it runs, said once, and curl output that ends its lines."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.db.migrations import PROJECT_ROOT
from tests.e2e.conftest import wait_until_up
from tests.integration.test_serving import GATEHOUSE, served


def serving(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``gatehouse serve`` on a free port: its address and the file of its output."""
    env, port = served(tmp_path, DRAIN_SECONDS="0")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [GATEHOUSE, "serve", "--port", str(port), "--config", str(tmp_path / "none.toml")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        yield f"http://127.0.0.1:{port}", log
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_serve_says_once_where_it_runs(tmp_path: Path) -> None:
    for base, log in serving(tmp_path):
        said = [line for line in log.read_text().splitlines() if "Running on" in line]
        assert said == [f"Running on {base}/ (development; Ctrl+C stops it)"]


def readme_api_example() -> str:
    """The shell block of the README's JSON API section."""
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    section = readme.split("## JSON API", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found, "the JSON API section has no sh block"
    return found.group(1)


def test_the_readme_curl_examples_end_each_answer_with_a_newline(tmp_path: Path) -> None:
    """Run twice, as a reader trying it again would: the second registration is a
    problem document, which ends its line too."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    script = readme_api_example()
    assert "http://localhost:8000" in script
    for base, _ in serving(tmp_path):
        runs = [
            subprocess.run(
                ["bash", "-c", script.replace("http://localhost:8000", base)],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            for _ in range(2)
        ]
        for output in runs:
            # every curl that prints says one line: four JSON documents, then the 204
            lines = output.splitlines()
            assert output.endswith("\n")
            assert len(lines) == 5, output
            assert [json.loads(line)["username"] for line in lines[1:3]] == ["ada"] * 2
            assert json.loads(lines[3])["items"][0]["full_name"] == "Ada"
            assert lines[4] == "204"
        assert json.loads(runs[0].splitlines()[0])["username"] == "ada"
        assert json.loads(runs[1].splitlines()[0])["type"] == "/problems/username-taken"
