"""Web load benchmark: the dashboard's JSON endpoints under 50 concurrent clients, on a store of 1,000,000+ cases.

Store (built once under benchmarks/out/web-load/, reused while its marker matches): the demo (`tipnet.demo`: 35 OAS
member states, GLOTIP workbook, demo accounts) plus 1,000,000 generated Peruvian case rows from the ingest
benchmark's generator (`benchmarks/ingest.py`), imported with `tipnet.ingest` and shared with the hub.

Server: `tipnet serve --workers N` (uvicorn worker processes, as in server mode) on loopback. Load: `wrk` (Debian's
package: `apt-get install -y wrk`) with 50 connections on 2 threads for a fixed time per endpoint, each request
carrying the session cookie of a signed-in account (the Lua script `web_load.lua` sets it and prints wrk's
latency percentiles as JSON). Before each measured run a short unmeasured warm-up lets every worker load its
statistics source. Writes the "Web load" section of BENCHMARKS.md.

    python benchmarks/web_load.py                      # 1,000,000 rows, 30 s per endpoint, 50 clients
    python benchmarks/web_load.py --seconds 5 --rows 200000 --no-write   # a quick check
    python benchmarks/web_load.py --imports-every 5   # while 10,000-row imports commit every 5 s (on a copy)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "web-load"
LUA = Path(__file__).resolve().parent / "web_load.lua"
GLOTIP = ROOT.parent / "shared" / "data" / "glotip" / "data_glotip_2023-05-30.xlsx"
TARGET_P95_MS = 100.0
TARGET_FRESH_S = 1.0
SEED = 20240601
STORE_VERSION = 1

# (label, account e-mail, path): the dashboard's JSON twins and the statistics API
ENDPOINTS = [
    ("overview", "analyst.per@demo.tipnet", "/stats.json"),
    ("country profile", "analyst.per@demo.tipnet", "/countries/PER.json"),
    ("routes", "analyst.per@demo.tipnet", "/routes.json"),
    ("statistics API", "analyst.per@demo.tipnet", "/api/stats?by=country,year,sex,age_group"),
    ("overview (hub)", "hub.analyst@demo.tipnet", "/stats.json"),
]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "TIPNET_HOME": str(home), "TIPNET_LOG_LEVEL": "WARNING"}


# ---------------------------------------------------------------- the store


def prepare_store(rows: int) -> tuple[str, dict[str, Any]]:
    """The store for `rows` generated cases (built once, then reused)."""
    db_path, marker, home = OUT / f"tipnet-{rows}.db", OUT / f"tipnet-{rows}.json", OUT / "home"
    want = {"rows": rows, "seed": SEED, "store_version": STORE_VERSION}
    url = f"sqlite:///{db_path}"
    if marker.is_file() and db_path.is_file():
        meta = json.loads(marker.read_text())
        if {k: meta.get(k) for k in want} == want:
            print(f"reusing the store {db_path}")
            return url, meta
    for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        p.unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["TIPNET_HOME"] = str(home)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import ingest  # the ingest benchmark's generator

    from tipnet.auth import records, users
    from tipnet.auth.principal import Principal, Via
    from tipnet.demo.load import load_demo
    from tipnet.demo.users import create_demo_users
    from tipnet.ingest.pipeline import ImportOptions, import_file
    from tipnet.settings import Settings
    from tipnet.store import Database

    t0 = time.perf_counter()
    settings = Settings.from_env(home=home)
    db = Database(url)
    db.upgrade()
    demo = load_demo(db, settings, glotip=GLOTIP if GLOTIP.is_file() else None)
    create_demo_users(db)
    ds = ingest.ensure_dataset(ROOT / "benchmarks" / "out", rows, SEED, 0.01)
    report = import_file(ds.csv, db, ImportOptions(country="PER"), settings)
    assert report.submission_id is not None, report.file_error
    focal = users.by_email(db, "focal.per@demo.tipnet")
    assert focal is not None
    focal_point = Principal(via=Via.SESSION, user_id=focal.id, email=focal.email, role=focal.role,
                            country=focal.country)
    records.set_shared(db, focal_point, report.submission_id, True)
    from sqlalchemy import func, select

    from tipnet.store.tables import persons

    with db.engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(persons)).scalar_one())
        per = int(conn.execute(select(func.count()).select_from(persons)
                               .where(persons.c.reporting_country == "PER")).scalar_one())
    db.dispose()
    meta = {**want, "persons": total, "persons_per": per, "demo_rows": demo["rows_accepted"],
            "glotip_rows": demo["glotip_rows"], "generated_accepted": report.rows_accepted,
            "build_seconds": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(meta))
    print(f"built the store {db_path}: {total:,} persons ({per:,} PER) in {meta['build_seconds']} s")
    return url, meta


# ---------------------------------------------------------------- server and sign-in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    log = (OUT / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "tipnet.cli", "serve", "--db", url, "--port", str(port),
                             "--workers", str(workers)], env=_env(OUT / "home"), stdout=log, stderr=log,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited; see {OUT / 'server.log'}")
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit("the server did not answer within 300 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def session_cookie(base: str, email: str) -> str:
    """Sign in through the JSON twin of the log-in form (password + one-time code) as a demo account."""
    import httpx

    from tipnet.auth import totp
    from tipnet.demo.users import DEMO_USERS, _demo_secret
    from tipnet.web.security import SESSION_COOKIE

    password = next(p for e, _, _, p in DEMO_USERS if e == email)
    with httpx.Client(base_url=base, timeout=60) as c:
        csrf = c.get("/login.json").json()["csrf_token"]
        r = c.post("/login.json", data={"email": email, "password": password,
                                        "code": totp.current_code(_demo_secret(email))},
                   headers={"x-csrf-token": csrf})
        if r.status_code != 200 or r.json().get("stage") != "full":
            raise SystemExit(f"sign-in as {email} failed: {r.status_code} {r.text[:300]}")
        return str(c.cookies[SESSION_COOKIE])


# ---------------------------------------------------------------- load


def wrk(base: str, path: str, cookie: str, seconds: int, clients: int, threads: int) -> dict[str, Any]:
    from tipnet.web.security import SESSION_COOKIE

    env = {**os.environ, "TIPNET_COOKIE": f"{SESSION_COOKIE}={cookie}"}
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "30s", "-s", str(LUA),
           f"{base}{path}"]
    load_before = os.getloadavg()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{out}")
    res: dict[str, Any] = json.loads(line[len("WRKJSON "):])
    res["load_before"], res["load_after"] = load_before, os.getloadavg()
    res["seconds"] = res["duration_us"] / 1e6
    res["rps"] = res["requests"] / res["seconds"] if res["seconds"] else 0.0
    res["error_total"] = sum(res["errors"].values())
    return res


def check_response(base: str, path: str, cookie: str) -> int:
    """Bytes of one answer, which must be a 200 with a JSON body."""
    import httpx

    from tipnet.web.security import SESSION_COOKIE

    r = httpx.get(f"{base}{path}", cookies={SESSION_COOKIE: cookie}, timeout=300)
    if r.status_code != 200:
        raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
    r.json()
    return len(r.content)


# ---------------------------------------------------------------- report


def machine() -> dict[str, str]:
    cpu, ram = "unknown", "unknown"
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), cpu)
        mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        ram = f"{int(mem.group(1)) / 1024**2:.1f} GiB" if mem else ram
    except OSError:
        pass
    git = ["git", "-C", str(ROOT)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                               check=True).stdout.strip()
        commit += " (with uncommitted changes under src/)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    return {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram, "python": platform.python_version(),
            "os": platform.platform(), "wrk": wrk_version or "wrk"}


def _load(t: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in t)


def markdown(results: list[dict[str, Any]], meta: dict[str, Any], info: dict[str, str], args: argparse.Namespace,
             command: str) -> str:
    worst = max(r["p95"] for r in results) / 1000
    met = all(r["p95"] / 1000 < TARGET_P95_MS and r["error_total"] == 0 for r in results)
    out = [
        "## Web load",
        "",
        f"Measured {info['date']} at commit {info['commit']} on {info['nproc']} cores ({info['cpu']}), "
        f"{info['ram']} RAM, shared with other people's work; Python {info['python']}; {info['os']}; load tool: "
        f"{info['wrk']} (Debian's package). Server: `tipnet serve --workers {args.workers}` on loopback (SQLite "
        f"store); wrk ran on the same 2 cores, {args.threads} threads, {args.clients} connections, "
        f"{args.rounds} rounds over the endpoints, {args.seconds} s per endpoint and round, after unmeasured warm-up "
        f"runs ({args.warmup} s each, as many connections as measured, repeated until one had no error and p99 under "
        "1 s). Each row is an endpoint's median round (by p95); the last columns give every round's p95 and "
        "requests/s, since this machine's speed varies from minute to minute.",
        "",
        f"Store: {meta['persons']:,} person records ({meta['persons_per']:,} of Peru: {meta['generated_accepted']:,} "
        f"generated by the ingest benchmark's generator and imported through `tipnet.ingest`, plus the demo's "
        f"{meta['demo_rows']:,} records of the 35 OAS member states), and the GLOTIP workbook "
        f"({meta['glotip_rows']} aggregate rows). Every request carries the session cookie of a signed-in demo "
        "account (Peru's analyst, or the hub's analyst, who sees what countries shared).",
        "",
        "| endpoint | account | requests | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors | "
        "response | p95 of each round (ms) | requests/s of each round |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        out.append(
            f"| `GET {r['path']}` | {r['email'].split('@')[0]} | {r['requests']:,} | {r['rps']:,.0f} | "
            f"{r['p50'] / 1000:.1f} | {r['p95'] / 1000:.1f} | {r['p99'] / 1000:.1f} | {r['max'] / 1000:.1f} | "
            f"{r['error_total']} | {r['bytes_one'] / 1024:,.0f} KiB | "
            f"{' / '.join(f'{x / 1000:.0f}' for x in r['p95_rounds'])} | "
            f"{' / '.join(f'{x:,.0f}' for x in r['rps_rounds'])} |")
    out += [
        "",
        "| target | wanted | measured | met |",
        "|---|---|---|---|",
        f"| p95 latency, every endpoint, {args.clients} clients | < {TARGET_P95_MS:.0f} ms | worst {worst:.1f} ms, "
        f"{sum(r['error_total'] for r in results)} errors | {'yes' if met else '**no**'} |",
        "",
        "- Latencies are wrk's, per request, from sending to the last byte of the answer (wrk keeps 50 connections "
        "busy: a closed loop, so when the server slows down the offered load drops with it). Errors are wrk's "
        "connect/read/write/timeout errors plus answers with a status of 400 or more; every run also checked one "
        "answer for a 200 with a JSON body.",
        "- Statistics are computed once per scope (country, hub) and store version and kept in each worker, "
        "with their JSON body (`tipnet.stats.source.StatsSource.memo`); an import or a change of sharing makes the "
        "next request recompute. The first request after a change pays the full computation (loading the scope's "
        "records into DuckDB and the cube queries); the warm-up covers it here.",
        "- What a request costs when nothing changed: a resolved session and a checked store version are trusted "
        "for one second (`tipnet.auth.sessions.CACHE_SECONDS`, `tipnet.stats.source.VERSION_TTL_SECONDS`; any "
        "commit made by the same process ends that trust at once, one made by another worker is seen within the "
        "second), so a kept answer is sent from the event loop without a store query or a thread hop; uvicorn "
        "runs on uvloop with httptools.",
        f"- Load average (1 / 5 / 15 min) is the machine's, which other people's work shared: before the first "
        f"run {_load(results[0]['load_before'])}, after the last {_load(results[-1]['load_after'])}.",
        "",
        "Reproduce (the store is built once under `benchmarks/out/web-load/`, git-ignored, and reused):",
        "",
        "```",
        command,
        "```",
        "",
    ]
    return "\n".join(out)


def copy_store(url: str) -> str:
    """A fresh copy of the store (SQLite's backup API), for a run whose imports change it."""
    import sqlite3

    src_path = Path(url.removeprefix("sqlite:///"))
    dest = src_path.with_name(src_path.stem + "-imports.db")
    for p in (dest, Path(f"{dest}-wal"), Path(f"{dest}-shm")):
        p.unlink(missing_ok=True)
    with sqlite3.connect(src_path) as src, sqlite3.connect(dest) as out:
        src.backup(out)
    out.close()
    return f"sqlite:///{dest}"


def with_imports(section: str, importer: Any) -> tuple[str, bool]:
    """The section retitled for a run with imports, with the imports' own figures; whether freshness was met."""
    from web_load_imports import BATCH_ROWS, summary

    s = summary(importer.runs)
    met = importer.error is None and s["imports"] > 0 and s["never_visible"] == 0 and \
        (s["visible_s_max"] or 99) <= TARGET_FRESH_S
    lines = section.splitlines()
    lines[0] = "## Web load during imports"
    at = lines.index("| target | wanted | measured | met |") + 2
    lines.insert(at, f"| commit of a {BATCH_ROWS:,}-row import to a web answer that counts it | <= "
                     f"{TARGET_FRESH_S:.0f} s | median {s['visible_s_median'] or 0:.2f} s, worst "
                     f"{s['visible_s_max'] or 0:.2f} s over {s['imports']} imports ({s['rows']:,} rows; import "
                     f"median {s['import_s_median'] or 0:.2f} s; {s['never_visible']} never seen) | "
                     f"{'yes' if met else '**no**'} |")
    note = (f"- While the endpoints were measured, a {BATCH_ROWS:,}-row file of Peruvian cases was imported through "
            f"`tipnet.ingest` every {importer.every:g} s (on a copy of the store) and shared with the hub; after each "
            f"commit Peru's analyst asked `{'/api/stats?by=country&country=PER'}` until the answer counted the new "
            "records (`benchmarks/web_load_imports.py`). Each commit makes every worker bring its statistics up "
            "to date, so the latencies above include those updates.")
    if importer.error:
        note += f" The imports stopped with an error: {importer.error}."
    lines.insert(next(i for i, ln in enumerate(lines) if ln.startswith("- Latencies")) + 1, note)
    return "\n".join(lines), met


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median p95 of an endpoint's rounds, with every round's p95 and requests/s beside it."""
    ordered = sorted(runs, key=lambda r: r["p95"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["p95_rounds"] = [r["p95"] for r in runs]
    chosen["rps_rounds"] = [r["rps"] for r in runs]
    chosen["error_total"] = sum(r["error_total"] for r in runs)
    chosen["load_before"], chosen["load_after"] = runs[0]["load_before"], runs[-1]["load_after"]
    return chosen


def update_benchmarks_md(section: str) -> Path:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    heading = section.splitlines()[0]
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section.rstrip() + "\n\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000, help="generated Peruvian case rows in the store")
    p.add_argument("--seconds", type=int, default=30, help="measured seconds per endpoint")
    p.add_argument("--warmup", type=int, default=5, help="unmeasured seconds per endpoint before the first round")
    p.add_argument("--rounds", type=int, default=3, help="measured runs per endpoint (the median run is reported)")
    p.add_argument("--clients", type=int, default=50, help="concurrent connections")
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument("--imports-every", type=float, default=0.0, metavar="SECONDS",
                   help="import 10,000 rows every SECONDS while measuring (on a copy of the store), and measure "
                        "from each commit to a web answer that counts them")
    p.add_argument("--prepare-only", action="store_true", help="build the store and stop")
    p.add_argument("--no-write", action="store_true", help="print the section, leave BENCHMARKS.md alone")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("web_load: wrk is needed: apt-get install -y wrk", file=sys.stderr)
        return 2
    url, meta = prepare_store(args.rows)
    if args.prepare_only:
        return 0
    if args.imports_every > 0:
        url = copy_store(url)
        os.environ["TIPNET_HOME"] = str(OUT / "home")  # the imports run here, with the server's home and key
    proc, base = start_server(url, args.workers)
    importer = None
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in ENDPOINTS}
    sizes: dict[str, int] = {}
    try:
        cookies = {email: session_cookie(base, email) for email in {e for _, e, _ in ENDPOINTS}}
        for label, email, path in ENDPOINTS:
            sizes[label] = check_response(base, path, cookies[email])
            for _ in range(12):  # not measured: until every worker has loaded its source and computed the figures
                # (as many connections as measured: with fewer, one worker may take them all and leave the other
                # cold, to load its source during the measured run)
                warm = wrk(base, path, cookies[email], args.warmup, args.clients, args.threads)
                if warm["error_total"] == 0 and warm["p99"] < 1_000_000:
                    break
        if args.imports_every > 0:
            from web_load_imports import Importer

            importer = Importer(url, OUT / "home", OUT / "imports", base, cookies["analyst.per@demo.tipnet"],
                                args.imports_every)
            importer.start()
        for round_ in range(1, args.rounds + 1):  # rounds over all endpoints: the machine's ups and downs hit all
            for label, email, path in ENDPOINTS:
                res = wrk(base, path, cookies[email], args.seconds, args.clients, args.threads)
                res.update(label=label, email=email, path=path, bytes_one=sizes[label], round=round_)
                runs[label].append(res)
                print(f"{round_} {label:18} {path:42} {res['rps']:8.1f} req/s  p50 {res['p50'] / 1000:7.1f} ms  "
                      f"p95 {res['p95'] / 1000:7.1f} ms  p99 {res['p99'] / 1000:7.1f} ms  "
                      f"errors {res['error_total']}  load {_load(res['load_after'])}", flush=True)
    finally:
        if importer is not None:
            importer.stop()
            importer.join(timeout=600)
        stop_server(proc)
    results = [median_run(runs[label]) for label, _, _ in ENDPOINTS]
    (OUT / "results.json").write_text(json.dumps(runs, indent=2))
    command = " ".join(["python", "benchmarks/web_load.py", *(argv if argv is not None else sys.argv[1:])])
    section = markdown(results, meta, machine(), args, command)
    fresh_ok = True
    if importer is not None:
        section, fresh_ok = with_imports(section, importer)
    print(section)
    if not args.no_write:
        print(f"wrote {update_benchmarks_md(section)}")
    return 0 if fresh_ok and all(r["p95"] / 1000 < TARGET_P95_MS and r["error_total"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
