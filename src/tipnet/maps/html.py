"""A standalone interactive map: one HTML file with d3, topojson-client, tipnet-map.js and the geometry inlined.

The file loads nothing from anywhere (no script src, no stylesheet link, no fetch), so it opens from a USB stick on
a closed network. It is about 1.1 MB, most of it the 1:50m geometry.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from tipnet.maps.model import MIN_VICTIMS
from tipnet.maps.spec import map_spec
from tipnet.maps.topology import geometry_text
from tipnet.maps.words import known, say

log = logging.getLogger(__name__)

SCRIPTS = ("web/static/vendor/d3.min.js", "web/static/vendor/topojson-client.min.js", "web/static/tipnet-map.js")

_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; \
style-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
#map {{ max-width: 1100px; }}
footer {{ font-size: 0.75rem; color: #5a5a5a; max-width: 1100px; margin-top: 0.5rem; }}
</style>
</head>
<body>
<div id="map"></div>
<footer>{credit} Map libraries: d3, topojson-client (ISC licence).</footer>
<script type="application/json" id="tipnet-geometry">{geometry}</script>
<script type="application/json" id="tipnet-spec">{spec}</script>
{scripts}
<script>
(function () {{
  var spec = JSON.parse(document.getElementById("tipnet-spec").textContent);
  spec.geometry = JSON.parse(document.getElementById("tipnet-geometry").textContent);
  window.TipnetMap.render(document.getElementById("map"), spec).then(function () {{
    document.body.setAttribute("data-rendered", "true");
  }}, function (err) {{
    document.body.setAttribute("data-error", String(err));
  }});
}})();
</script>
</body>
</html>
"""


def _script_text(rel: str) -> str:
    text = resources.files("tipnet").joinpath(*rel.split("/")).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script")


def _json_for_script(text: str) -> str:
    """JSON is safe inside <script type=application/json> once "</" cannot close the element."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def html_map(kind: str, payload: Mapping[str, Any], out: Path, *, title: str, lang: str = "en") -> Path:
    """Write a self-contained interactive map, its words in `lang` (en, es, fr, pt).

    payload keys (all optional except the one for the kind): values {ISO3: number} (choropleth), flows
    [Flow or {origin, destination, victims, via}] (flows), crossings {(A, B): n} or [{a, b, victims}] (borders),
    region ("americas" | "world" | ISO3), min_victims (default 5), legend (legend title).
    """
    spec = map_spec(
        kind,
        values=payload.get("values"),
        flows=payload.get("flows"),
        crossings=payload.get("crossings"),
        region=str(payload.get("region", "americas")),
        min_victims=int(payload.get("min_victims", payload.get("minVictims", MIN_VICTIMS))),
        title=title,
        legend=str(payload.get("legend", "")),
        geometry_url=None,
        lang=lang,
    )
    scripts = "\n".join(f"<script>\n{_script_text(rel)}\n</script>" for rel in SCRIPTS)
    page = _PAGE.format(
        title=html.escape(title),
        lang=known(lang),
        credit=html.escape(say(lang, "credit")),
        geometry=_json_for_script(geometry_text().strip()),
        spec=_json_for_script(json.dumps(spec, ensure_ascii=False, separators=(",", ":"), sort_keys=True)),
        scripts=scripts,
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    log.info("wrote interactive map %s (%d bytes)", out, len(page.encode("utf-8")))
    return out
