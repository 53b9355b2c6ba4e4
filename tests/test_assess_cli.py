"""`tipnet assess framework|import|score|report` end to end on a SQLite store with the PER fixture microdata."""

from __future__ import annotations

import json
from pathlib import Path

from test_assess_web import pdf_text
from typer.testing import CliRunner

from tipnet.cli import app
from tipnet.ingest.pipeline import ImportOptions, import_file

runner = CliRunner()
FIX = Path(__file__).parent / "fixtures"


def _json(result) -> object:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_framework_import_score_report(tmp_path, sqlite_db, settings):
    import_file(FIX / "stats_small.csv", sqlite_db, ImportOptions(country="PER"), settings)
    url = sqlite_db.url
    doc = _json(runner.invoke(app, ["assess", "framework", "--json", "--lang", "pt"]))
    assert doc["id"] == "oas-2009" and doc["domains"][0]["label"] == "Marco jurídico"
    assert runner.invoke(app, ["assess", "framework", str(FIX / "assess" / "tip_tiers.yaml")]).exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\n", encoding="utf-8")
    bad = runner.invoke(app, ["assess", "framework", str(broken)])
    assert bad.exit_code == 1 and "broken.yaml" in bad.output
    q = tmp_path / "per-2020.csv"
    q.write_text("indicator,value,evidence,country,year\nlegal.palermo,yes,https://example.org/a,PER,2020\n"
                 "legal.all_forms,yes,,PER,2020\nprotection.referral,partial,,PER,2020\n", encoding="utf-8")
    got = _json(runner.invoke(app, ["assess", "import", str(q), "--submit", "--db", url, "--json"]))
    assert got["status"] == "submitted" and got["answers"] == 3
    rows = _json(runner.invoke(app, ["assess", "score", "--year", "2020", "--country", "PER", "--country", "COL",
                                     "--db", url, "--json"]))
    per = next(r for r in rows if r["country"] == "PER")
    # legal: instruments (1 + 1) / 2 = 1; victims 0 -> (1 + 0) / 2 = 0.5 (all forms criminalised: no cap)
    assert per["scorecard"]["domains"]["legal"] == [0.5, 0.5]
    assert per["scorecard"]["figures"]["victims"]["value"] == 3  # the operator sees the exact count
    col = next(r for r in rows if r["country"] == "COL")
    assert col["status"] is None and col["scorecard"]["total"] == [0.0, 0.0]
    bad_q = tmp_path / "bad.csv"
    bad_q.write_text("indicator,value\nlegal.palermo,sometimes\n", encoding="utf-8")
    failed = runner.invoke(app, ["assess", "import", str(bad_q), "--country", "PER", "--year", "2020", "--db", url])
    assert failed.exit_code == 1 and "row 2" in failed.output
    assert runner.invoke(app, ["assess", "report", "--country", "PER", "--db", url]).exit_code == 1  # unpublished
    out = _json(runner.invoke(app, ["assess", "report", "--country", "PER", "--year", "2020", "--draft", "--lang",
                                    "es", "--out", str(tmp_path / "out"), "--db", url, "--json"]))
    assert out["published"] is False
    text = pdf_text(Path(out["pdf"]).read_bytes())
    assert "Diagnóstico nacional: Perú, 2020" in text and "Vista previa" in text
    assert "Víctimas identificadas: 3" in text  # a preview for the country: exact figures
    assert Path(out["html"]).read_text(encoding="utf-8").count("data:image/png;base64,") == 2
