"""The command line: exit codes, --json shapes, and that it is a thin layer over the core."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tipnet.cli import app

runner = CliRunner()
GOOD = "record_id,case_id,sex,age\n1,A,F,17\n2,A,M,40\n"
BAD = "record_id,case_id,sex,age\n1,A,F,17\n2,,M,400\n"  # no case id: cannot be counted


def test_validate_exit_codes(tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    assert runner.invoke(app, ["validate", str(good), "--country", "PER"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(bad), "--country", "PER", "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert (
        doc["rows_invalid"] == 1 and doc["problems"][0]["row"] == 3 and doc["problems"][0]["value"] == "400"
    )


def test_import_json_reports_the_accounting(tmp_path, monkeypatch):
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["import", str(bad), "--country", "per", "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {k: doc[k] for k in ("rows_total", "rows_accepted", "rows_quarantined")} == {
        "rows_total": 2,
        "rows_accepted": 1,
        "rows_quarantined": 1,
    }
    assert doc["submission_id"] == 1 and doc["quarantine_path"].endswith(".quarantine.csv")
    again = json.loads(
        runner.invoke(app, ["import", str(bad), "--country", "PER", "--db", url, "--json"]).stdout
    )
    assert again["duplicate_of"] == 1 and again["rows_accepted"] == 0
    listed = json.loads(runner.invoke(app, ["submissions", "--db", url, "--json"]).stdout)
    assert [s["id"] for s in listed] == [1]


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIPNET_DB", f"sqlite:///{tmp_path / 'env.db'}")
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert runner.invoke(app, ["import", str(good), "--country", "PER", "--json"]).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_export_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    runner.invoke(app, ["import", str(good), "--country", "PER", "--db", url])
    out = tmp_path / "out.csv"
    assert runner.invoke(app, ["export", str(out), "--db", url]).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines[1].startswith("1,A,PER,")
    htcds = tmp_path / "out.htcds.csv"
    assert runner.invoke(app, ["export", str(htcds), "--format", "htcds", "--db", url]).exit_code == 0
    assert "prs_Gender" in htcds.read_text(encoding="utf-8").splitlines()[0]
    again = runner.invoke(
        app, ["import", str(out), "--country", "PER", "--db", f"sqlite:///{tmp_path / 'y.db'}", "--json"]
    )
    assert json.loads(again.stdout)["rows_accepted"] == 2


def test_standard_schema_and_dictionary(tmp_path):
    result = runner.invoke(app, ["standard", "schema", "table"])
    schema = json.loads(result.stdout)
    assert schema["primaryKey"] == ["record_id"] and len(schema["fields"]) > 40
    md = runner.invoke(app, ["standard", "dictionary", "--lang", "pt"]).stdout
    assert "| `sex` | Sexo |" in md and "| `female` | Feminino |" in md


def test_map_is_drawn_in_the_chosen_language(tmp_path, monkeypatch):
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["import", str(_write(tmp_path)), "--country", "PER", "--db", url]).exit_code == 0
    out = tmp_path / "borders.svg"
    result = runner.invoke(app, ["map", "--kind", "borders", "--out", str(out), "--lang", "pt", "--db", url])
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    assert "<!-- Vítimas que atravessam fronteiras terrestres -->" in svg and "Victims crossing" not in svg
    refused = runner.invoke(app, ["map", "--kind", "borders", "--out", str(out), "--lang", "de", "--db", url])
    assert refused.exit_code == 2 and "unknown language" in refused.output


def _write(tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path
