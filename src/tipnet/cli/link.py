"""`tipnet link`: privacy-preserving linkage. Builds tipnet.link objects and renders them; no logic lives here.

    encode   a country's records -> CLK file (pseudonyms + CLKs + blocking tokens, never names)   [in the country]
    match    two or more CLK files -> cluster ids per pseudonym                                  [at the hub]
    resolve  the hub's answer -> cluster ids per record id, for this country's own records       [in the country]
    dedupe   a country's agency files -> cluster ids per record (Splink, plaintext)              [in the country]
    report   cluster ids -> precision, recall, F1 (--truth); where recall is lost (--encodings); routes and
             networks the links reveal (--records)
    schema   print the default linkage schema (clkhash v3 JSON with tipnet's extensions)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tipnet.cli.common import JsonOption, fail
from tipnet.cli.render import console, emit_json
from tipnet.standard.cells import neutralise, restore

link_app = typer.Typer(help="Privacy-preserving record linkage across agencies and countries.", no_args_is_help=True)


def _read_csv(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols: dict[str, list[str]] = {name: [] for name in reader.fieldnames or []}
        for row in reader:
            for k in cols:
                cols[k].append(row.get(k) or "")
    return cols


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        fields = list(rows[0]) if rows else ["record_id", "cluster_id"]
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fields, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: neutralise(";".join(v) if isinstance(v, list) else v) for k, v in r.items()})
    else:
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:  # written by `_write_rows`: formula guards off
            return [{k: restore(v) for k, v in row.items()} for row in csv.DictReader(fh)]
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _secret(file: Path | None, env: str | None, what: str) -> bytes:
    from tipnet.link.keys import read_secret

    if file is None and env is None:
        raise ValueError(f"give the {what} with a file or an environment variable")
    return read_secret(file, env if file is None else None)


@link_app.command("schema")
def schema_cmd(plain: bool = typer.Option(False, "--plain", help="Without hardening (bit flips).")) -> None:
    """Print tipnet's linkage schema for persons (clkhash v3 JSON with `x-tipnet` extensions)."""
    from tipnet.link.schema import person_schema

    console.print_json(person_schema(hardened=not plain).dumps())


@link_app.command("encode")
def encode_cmd(
    input: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV of the country's records (the "
                                 "standard's columns: record_id, given_names, family_names, birth_date, sex, "
                                 "place_of_birth)."),
    country: str = typer.Option(..., "--country", help="ISO alpha-3 code of the encoding country."),
    output: Path = typer.Option(..., "-o", "--output", help="CLK file: .jsonl or .parquet."),
    secret_file: Path | None = typer.Option(None, "--secret-file", help="Shared linkage secret (national "
                                            "authorities only)."),
    secret_env: str | None = typer.Option(None, "--secret-env", help="Environment variable holding the secret."),
    pseudonym_file: Path | None = typer.Option(None, "--pseudonym-secret-file", help="This country's own "
                                               "secret for record pseudonyms."),
    pseudonym_env: str | None = typer.Option(None, "--pseudonym-secret-env"),
    schema_path: Path | None = typer.Option(None, "--schema", help="Linkage schema JSON (default: tipnet's)."),
    as_json: bool = JsonOption,
) -> None:
    """Encode a country's records into CLKs. Runs in the country; the output holds no name and no key."""
    from tipnet.link.encode import encode_records
    from tipnet.link.keys import PseudonymKey, SecretError
    from tipnet.link.schema import LinkageSchema, person_schema

    try:
        secret = _secret(secret_file, secret_env, "linkage secret")
        pkey = PseudonymKey.from_secret(_secret(pseudonym_file, pseudonym_env, "pseudonym secret"), country)
    except (SecretError, ValueError, OSError) as err:
        fail(str(err), as_json=as_json, code="secret")
    schema = LinkageSchema.read(schema_path) if schema_path else person_schema()
    cols = _read_csv(input)
    if "record_id" not in cols:
        fail(f"{input} has no record_id column", as_json=as_json, code="no-record-id")
    es = encode_records(cols, cols["record_id"], schema, secret, pkey, country)
    es.write(output)
    result = {"output": str(output), "country": es.country, "records": len(es), "bits": es.words * 64,
              "blocking_tokens": int(len(es.block_tok)), "schema": schema.name, "fingerprint": es.fingerprint}
    if as_json:
        emit_json(result)
    else:
        console.print(f"encoded {len(es):,} records of {es.country} -> {output} ({result['bits']}-bit CLKs, "
                      f"schema {schema.name or es.fingerprint})")


@link_app.command("match")
def match_cmd(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Two or more CLK files."),
    output: Path = typer.Option(..., "-o", "--output", help="Cluster ids per (country, pseudonym): .jsonl/.csv."),
    split_dir: Path | None = typer.Option(None, "--split-dir", help="Also write one file per country holding "
                                          "only that country's rows (what the hub sends back)."),
    threshold: float = typer.Option(0.5, "--threshold", help="Match probability to accept a pair."),
    as_json: bool = JsonOption,
) -> None:
    """Match CLK files at the hub: blocking, Dice, EM-trained scores, one-to-one, clusters across countries."""
    from tipnet.link.clk import read_encoded
    from tipnet.link.match import MatchError, MatchSettings, link_many

    sets = [read_encoded(f) for f in files]
    try:
        clusters = link_many(sets, MatchSettings(threshold=threshold))
    except MatchError as err:
        fail(str(err), as_json=as_json, code="incompatible-encodings")
    _write_rows(output, clusters.rows)
    if split_dir:
        for s in sets:
            _write_rows(split_dir / f"{s.country}{output.suffix}", clusters.for_country(s.country))
    result = {"output": str(output), "clusters": len({r["cluster_id"] for r in clusters.rows}),
              "linked_records": len(clusters.rows),
              "pairs": [{"a": p.a, "b": p.b, "links": len(p)} | p.stats for p in clusters.pairs]}
    if as_json:
        emit_json(result)
    else:
        table = Table("countries", "candidate pairs", "links", "seconds")
        for p in clusters.pairs:
            table.add_row(f"{p.a}-{p.b}", f"{p.stats['candidate_pairs']:,}", f"{len(p):,}",
                          f"{p.stats['seconds_total']:.1f}")
        console.print(table)
        console.print(f"{result['clusters']:,} clusters over {result['linked_records']:,} records -> {output}")


@link_app.command("resolve")
def resolve_cmd(
    matches: Path = typer.Argument(..., exists=True, dir_okay=False, help="The hub's answer (.jsonl or .csv)."),
    input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help="This country's records CSV."),
    country: str = typer.Option(..., "--country"),
    output: Path = typer.Option(..., "-o", "--output", help="record_id, cluster_id, ... (.csv or .jsonl)."),
    pseudonym_file: Path | None = typer.Option(None, "--pseudonym-secret-file"),
    pseudonym_env: str | None = typer.Option(None, "--pseudonym-secret-env"),
    as_json: bool = JsonOption,
) -> None:
    """Map the hub's cluster ids back to this country's record ids (nobody else can)."""
    from tipnet.link.keys import PseudonymKey, SecretError
    from tipnet.link.resolve import resolve

    try:
        pkey = PseudonymKey.from_secret(_secret(pseudonym_file, pseudonym_env, "pseudonym secret"), country)
    except (SecretError, ValueError, OSError) as err:
        fail(str(err), as_json=as_json, code="secret")
    rows = resolve(_read_rows(matches), _read_csv(input)["record_id"], pkey, country)
    _write_rows(output, rows)
    if as_json:
        emit_json({"output": str(output), "country": country.upper(), "resolved": len(rows)})
    else:
        console.print(f"{len(rows):,} records of {country.upper()} linked -> {output}")


@link_app.command("dedupe")
def dedupe_cmd(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="A country's agency CSV files."),
    output: Path = typer.Option(..., "-o", "--output", help="record_id, cluster_id (.csv or .jsonl)."),
    threshold: float = typer.Option(0.9, "--threshold", help="Match probability to join two records."),
    backend: str = typer.Option("duckdb", "--backend", help="duckdb, or spark (tipnet[spark], Java 17+; local "
                                "mode on all cores)."),
    as_json: bool = JsonOption,
) -> None:
    """Deduplicate a country's records across its agencies with Splink (plaintext, in the country)."""
    from tipnet.link.dedupe import dedupe, spark_session

    if backend not in ("duckdb", "spark"):
        fail("backend must be duckdb or spark", as_json=as_json, code="backend")

    inputs = {}
    for f in files:
        cols = _read_csv(f)
        if "record_id" not in cols:
            fail(f"{f} has no record_id column", as_json=as_json, code="no-record-id")
        inputs[f.name] = (cols, cols["record_id"])
    try:
        spark = spark_session() if backend == "spark" else None
    except RuntimeError as err:
        fail(str(err), as_json=as_json, code="backend")
    run = dedupe(inputs, threshold=threshold, backend="spark" if spark is not None else "duckdb", spark=spark)
    rows = [{"record_id": r, "cluster_id": c} for r, c in sorted(run.clusters.items())]
    _write_rows(output, rows)
    result = {"output": str(output), "records": sum(len(c[1]) for c in inputs.values()),
              "records_in_clusters": len(rows), "clusters": len({r["cluster_id"] for r in rows}),
              "seconds": run.seconds}
    if as_json:
        emit_json(result)
    else:
        console.print(f"{result['records']:,} records, {result['records_in_clusters']:,} in "
                      f"{result['clusters']:,} clusters of duplicates -> {output}")


@link_app.command("report")
def report_cmd(
    predictions: list[Path] = typer.Argument(None, exists=True, dir_okay=False, help="Files with record_id and "
                                             "cluster_id (from dedupe or resolve)."),
    truth: Path | None = typer.Option(None, "--truth", exists=True, dir_okay=False, help="CSV with record_id and "
                                      "person_key (the demo's truth.csv): report precision, recall, F1."),
    records: list[Path] = typer.Option([], "--records", exists=True, dir_okay=False, help="Case records (CSV: "
                                       "record_id, country, role, case_id, citizenship, recruitment_country, "
                                       "transit_countries, exploitation_country, identification_date): report "
                                       "the routes and networks the links reveal. Repeatable."),
    scope: str = typer.Option("all", "--scope", help="all | between (pairs across countries) | within."),
    countries: str | None = typer.Option(None, "--countries", help="Comma-separated countries the truth is "
                                         "restricted to (default: those of the predicted record ids)."),
    min_victims: int = typer.Option(1, "--min-victims", help="Smallest route flow shown (5 for public views)."),
    encodings: list[Path] = typer.Option([], "--encodings", exists=True, dir_okay=False, help="CLK files (with "
                                         "--inputs and --truth): where recall is lost - blocking, classifier, "
                                         "one-to-one - matching them as the hub does. Repeatable."),
    inputs: list[Path] = typer.Option([], "--inputs", exists=True, dir_okay=False, help="The CSV each --encodings "
                                      "file was encoded from, in the same order."),
    threshold: float = typer.Option(0.5, "--threshold", help="With --encodings: the hub's match threshold."),
    as_json: bool = JsonOption,
) -> None:
    """What the links give: precision, recall and F1 against a truth file (--truth), where recall is lost on
    labelled data (--encodings with --inputs and --truth), and/or the cross-border routes of linked victims and
    the networks of linked perpetrators and recruiters (--records)."""
    predictions = predictions or []
    if truth is None and not records:
        fail("give --truth (accuracy) or --records (routes and networks)", as_json=as_json,
             code="nothing-to-report")
    if not predictions and not encodings:
        fail("give files of cluster ids, or --encodings", as_json=as_json, code="nothing-to-report")
    if encodings and truth is None:
        fail("--encodings needs --truth", as_json=as_json, code="nothing-to-report")
    if scope not in ("all", "between", "within"):
        fail("scope must be all, between or within", as_json=as_json, code="scope")
    assign: dict[str, str] = {}
    for p in predictions:
        for r in _read_rows(p):
            assign[str(r["record_id"])] = str(r["cluster_id"])
    result: dict[str, Any] = {}
    if truth is not None and predictions:
        result["accuracy"] = _accuracy(assign, truth, scope, countries)
    if encodings and truth is not None:
        from tipnet.link.diagnose import DiagnoseError

        try:
            result["recall_breakdown"] = _recall_breakdown(encodings, inputs, truth, threshold)
        except DiagnoseError as err:
            fail(str(err), as_json=as_json, code="bad-encodings")
    if records:
        from tipnet.link.results import link_report

        try:
            rows = [_record_row(r, assign, f) for f in records for r in _read_rows(f)]
        except ValueError as err:
            fail(str(err), as_json=as_json, code="bad-record")
        result |= link_report(rows, min_victims=min_victims)
    if as_json:
        emit_json(result["accuracy"] if set(result) == {"accuracy"} else result)
        return
    if "accuracy" in result:
        a = result["accuracy"]
        console.print(f"precision {a['precision']:.4f}  recall {a['recall']:.4f}  F1 {a['f1']:.4f}  "
                      f"({a['true_positives']:,} of {a['true_pairs']:,} true pairs found, "
                      f"{a['false_positives']:,} false)")
    if "recall_breakdown" in result:
        _print_breakdown(result["recall_breakdown"])
    if records:
        _print_links(result)


def _accuracy(assign: dict[str, str], truth: Path, scope: str, countries: str | None) -> dict[str, Any]:
    from tipnet.link.evaluate import country_of, pairs_from_assignment, prf

    keep = ({c.strip().upper() for c in countries.split(",")} if countries
            else {country_of(r) for r in assign})
    person = {str(r["record_id"]): str(r["person_key"]) for r in _read_rows(truth)
              if country_of(str(r["record_id"])) in keep}
    return prf(pairs_from_assignment(assign, scope), pairs_from_assignment(person, scope))  # type: ignore[arg-type]


def _recall_breakdown(encodings: list[Path], inputs: list[Path], truth: Path,
                      threshold: float) -> list[dict[str, Any]]:
    from tipnet.link.clk import read_encoded
    from tipnet.link.diagnose import recall_report
    from tipnet.link.match import MatchSettings

    person = {str(r["record_id"]): str(r["person_key"]) for r in _read_rows(truth)}
    sets = [read_encoded(f) for f in encodings]
    ids = [_read_csv(f).get("record_id", []) for f in inputs]
    return recall_report(sets, ids, person, MatchSettings(threshold=threshold))


def _print_breakdown(rows: list[dict[str, Any]]) -> None:
    table = Table("countries", "true pairs", "blocking recall", "classifier recall", "one-to-one recall",
                  "precision", "recall", "F1", "blocks skipped")
    for r in rows:
        table.add_row(f"{r['a']}-{r['b']}", f"{r['true_pairs']:,}", f"{r['blocking_recall']:.4f}",
                      f"{r['classifier_recall']:.4f}", f"{r['one_to_one_recall']:.4f}", f"{r['precision']:.4f}",
                      f"{r['recall']:.4f}", f"{r['f1']:.4f}", f"{r['blocks_skipped']:,}")
    console.print(table)


def _record_row(row: dict[str, Any], assign: dict[str, str], path: Path) -> dict[str, Any]:
    from tipnet.link.evaluate import country_of

    rid = str(row.get("record_id") or "")
    if not rid:
        raise ValueError(f"{path}: a row has no record_id")
    country = str(row.get("country") or country_of(rid)).upper()
    return dict(row) | {"record_id": rid, "country": country, "cluster_id": assign.get(rid)}


def _print_links(result: dict[str, Any]) -> None:
    console.print(f"{result['linked_victims_across_borders']:,} victims linked across borders: routes")
    table = Table("origin", "destination", "victims", "via transit")
    for f in result["flows"]:
        table.add_row(f["origin"], f["destination"], f"{f['victims']:,}", f"{f['via_transit']:,}")
    console.print(table)
    nets = result["networks"]
    console.print(f"{len(nets):,} networks with perpetrators, {result['networks_across_borders']:,} across borders")
    table = Table("persons", "perpetrators", "victims", "countries", "central actors (betweenness)")
    for n in nets[:20]:
        table.add_row(str(n["persons"]), str(n["perpetrators"]), str(n["victims"]), ", ".join(n["countries"]),
                      "; ".join(f"{c['person']} ({c['betweenness']:.2f})" for c in n["central_actors"][:3]))
    console.print(table)
