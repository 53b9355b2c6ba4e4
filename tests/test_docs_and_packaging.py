"""The README's commands run as written, and the package imports without its optional extras."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tipnet.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_the_two_make_commands():
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_readme_validate_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    line = next(ln for ln in README.splitlines() if ln.startswith(".venv/bin/tipnet validate"))
    args = shlex.split(line)[1:]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0  # the fixture's bad cells are kept raw with warnings, as the README's example shows
    assert '"rows_invalid": 0' in result.stdout and '"values_kept": 2' in result.stdout


def test_readme_mapping_snippet_is_a_valid_profile(tmp_path):
    from tipnet.ingest.profiles import load_profile

    snippet = re.search(r"```yaml\n(.*?)```", README, re.S)
    assert snippet is not None
    path = tmp_path / "mine.yaml"
    path.write_text(snippet.group(1), encoding="utf-8")
    profile = load_profile(str(path))
    assert profile is not None and profile.name == "policia-nacional-per"
    assert profile.value_map("sex") == {"f": "female", "m": "male"}


def test_core_import_needs_no_extras():
    code = (
        "import sys, tipnet, tipnet.cli, tipnet.web.app, tipnet.ingest.pipeline\n"
        "bad = [m for m in ('psycopg', 'adbc_driver_postgresql', 'playwright', 'frictionless') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_readme_mse_example_runs(monkeypatch):
    from conftest import SHARED

    if not (SHARED / "data" / "mse" / "NewOrl.csv").exists():
        import pytest

        pytest.skip("shared MSE data not present")
    monkeypatch.chdir(ROOT)
    line = next(ln for ln in README.splitlines() if ln.startswith(".venv/bin/tipnet mse"))
    args = shlex.split(line.split("#")[0])[1:]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert round(doc["total"]) == 1184  # Chan, Silverman & Vincent (2021): New Orleans, D:E model
