"""Vulnerable-areas benchmark: time to draw a country's subdivisions (Mexico's 32 states) on the demo's data.

Generates the demo (seed 2026, scale 1), imports Mexico's files into a fresh SQLite store, serves the web app on
loopback and, in Debian's Chromium (Playwright), loads `/areas/MEX` with each layer (victims by subdivision, routes,
border areas, hotspots) until the server-drawn map has loaded: first load (the counts and the SVG computed) and a
second one (memoised). Also the same server work measured without a browser. Prints one JSON line per measure.

    PYTHONPATH=src python benchmarks/areas_render.py [--country MEX] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tipnet.demo.generate import generate_demo  # noqa: E402
from tipnet.ingest.pipeline import ImportOptions, import_file  # noqa: E402
from tipnet.settings import Settings  # noqa: E402
from tipnet.store import Database  # noqa: E402
from tipnet.web.app import create_app  # noqa: E402

LAYERS = ("choropleth", "flows", "borders", "hotspots")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--country", default="MEX")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from auth_helpers import make_user
    from browser_support import ARGS, CHROMIUM, sign_in
    from playwright.sync_api import sync_playwright
    from served import free_port

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        settings = Settings.from_env(home=home)
        db = Database(f"sqlite:///{Path(tmp) / 'tipnet.db'}")
        db.upgrade()
        manifest = generate_demo(home / "demo")
        rows = 0
        for f in manifest.files:
            if f.country == args.country:
                rows += import_file(f.path, db, ImportOptions(country=f.country, organisation=f.agency,
                                                              source_type=f.source_type), settings).rows_accepted
        print(json.dumps({"country": args.country, "records": rows}))  # noqa: T201
        from tipnet.maps.warm import warm_in_background

        warm_in_background()  # as `tipnet serve` does when it starts
        app = create_app(db, settings)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        account = make_user(db, "analyst", args.country)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            sign_in(page, base, account, f"/areas/{args.country}")
            for layer in LAYERS:
                for k in range(args.repeat):
                    url = f"{base}/areas/{args.country}?layer={layer}&event=exploitation"
                    started = time.perf_counter()
                    page.goto(url)
                    page.wait_for_function("document.getElementById('area-map').complete "
                                           "&& document.getElementById('area-map').naturalWidth > 0")
                    seconds = time.perf_counter() - started
                    print(json.dumps({"layer": layer, "load": "first" if k == 0 else "memoised",  # noqa: T201
                                      "seconds": round(seconds, 3)}))
            browser.close()
        server.should_exit = True
        thread.join(5)
        db.dispose()


if __name__ == "__main__":
    main()
