"""Screenshots of the main pages, as the README shows them: each page at 390 and 1366 px, in English and Spanish,
for an anonymous visitor and per role, taken in Debian's Chromium from a running demo.

    .venv/bin/tipnet demo --db sqlite:////tmp/shots/tipnet.db --json > /tmp/shots/demo.json
    TIPNET_DB=sqlite:////tmp/shots/tipnet.db .venv/bin/tipnet serve --port 8391 &
    .venv/bin/python scripts/screenshots.py --base http://127.0.0.1:8391 --logins /tmp/shots/demo.json

The images go to `docs/screenshots/` (PNG, reduced to 256 colours so the repository stays small) with an index,
`docs/screenshots/README.md`. A page that scrolls sideways at its width is reported and makes the script fail.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from tipnet.auth import totp

log = logging.getLogger("screenshots")

# (who, path, title): who is "anon" or a demo login's e-mail
PAGES: list[tuple[str, str, str]] = [
    ("anon", "/", "Home, public"),
    ("anon", "/statistics", "Public statistics, hemisphere"),
    ("anon", "/statistics/PER", "Public statistics, Peru"),
    ("anon", "/directory", "Directory of authorities"),
    ("ngo.per@demo.tipnet", "/", "Home, victim-service NGO"),
    ("ngo.per@demo.tipnet", "/cases/new", "Entering a case"),
    ("analyst.per@demo.tipnet", "/", "Home, national analyst"),
    ("analyst.per@demo.tipnet", "/stats", "Statistics explorer"),
    ("analyst.per@demo.tipnet", "/countries/PER", "Country page"),
    ("analyst.per@demo.tipnet", "/routes", "Routes"),
    ("analyst.per@demo.tipnet", "/areas/PER", "Vulnerable areas, by department"),
    ("analyst.per@demo.tipnet", "/uploads", "Importing a file"),
    ("analyst.per@demo.tipnet", "/requests", "Mutual legal assistance requests"),
    ("hub.analyst@demo.tipnet", "/", "Home, hemispheric hub"),
    ("hub.analyst@demo.tipnet", "/submissions", "Submissions at the hub"),
]
WIDTHS = (390, 1366)
LANGS = ("en", "es")
MAX_HEIGHT = {390: 2000, 1366: 1300}


def sign_in(page: Page, base: str, login: dict[str, str]) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", login["email"])
    page.fill("input[name=password]", login["password"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#totp-form")
    page.fill("input[name=code]", totp.current_code(login["totp_secret"]))
    page.click("#totp-form button[type=submit]")
    page.wait_for_selector("#account", state="attached")


def shrink(path: Path) -> None:
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def name_of(who: str, path: str, lang: str, width: int) -> str:
    role = "public" if who == "anon" else who.split(".")[0]
    return f"{role}-{path.strip('/').replace('/', '-') or 'home'}-{lang}-{width}.png"


def take(base: str, logins: dict[str, dict[str, str]], out: Path, chromium: str) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    wide: list[str] = []
    rows: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless=new", "--no-sandbox"])
        for who in dict.fromkeys(w for w, _, _ in PAGES):
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            if who != "anon":
                sign_in(page, base, logins[who])
            for _, path, title in (x for x in PAGES if x[0] == who):
                cells = []
                for lang in LANGS:
                    for width in WIDTHS:
                        page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
                        page.goto(f"{base}{path}?lang={lang}")
                        page.wait_for_load_state("networkidle")
                        scroll = page.evaluate("() => document.documentElement.scrollWidth")
                        if scroll > width:
                            wide.append(f"{who} {path} {lang} {width}px: {scroll}px wide")
                        height = min(page.evaluate("() => document.documentElement.scrollHeight"), MAX_HEIGHT[width])
                        name = name_of(who, path, lang, width)
                        page.screenshot(path=str(out / name), full_page=True,
                                        clip={"x": 0, "y": 0, "width": width, "height": height})
                        shrink(out / name)
                        cells.append(f"[{lang} {width}]({name})")
                rows.append(f"| {title} | `{path}` | {' · '.join(cells)} |")
            context.close()
        browser.close()
    (out / "README.md").write_text(
        "# Screenshots\n\nThe main pages in Debian's Chromium, at 390 px (a phone) and 1366 px (a laptop), in English "
        "and Spanish, on the data of `make demo`. Regenerate with `scripts/screenshots.py` (its docstring says "
        "how).\n\n| Page | Address | Images |\n|---|---|---|\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return wide


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8391")
    parser.add_argument("--logins", required=True, help="the JSON printed by `tipnet demo --json`")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    logins = {item["email"]: item for item in json.loads(Path(args.logins).read_text())["logins"]}
    wide = take(args.base.rstrip("/"), logins, Path(args.out), args.chromium)
    for line in wide:
        log.error("scrolls sideways: %s", line)
    return 1 if wide else 0


if __name__ == "__main__":
    sys.exit(main())
