"""Load once, when a web server starts, what the first map of a process would otherwise load while a user waits:
the country and subdivision geometry (parsed, with their neighbours and bounding boxes) and matplotlib with the
font its maps are drawn in."""

from __future__ import annotations

import io
import logging
import threading
import time

log = logging.getLogger(__name__)


def warm() -> None:
    t0 = time.perf_counter()
    try:
        import matplotlib
        from matplotlib.figure import Figure

        from tipnet.maps import canvas, geometry, subdivisions, topology

        topology.arcs()
        topology.iso3_by_numeric()
        geometry.all_polygons()
        geometry.neighbours()
        subdivisions.by_code()
        subdivisions.arcs()
        subdivisions.subdivision_at(0.0, 0.0)  # its bounding boxes
        with matplotlib.rc_context(canvas._RC):
            fig = Figure(figsize=(1, 1))
            fig.text(0.5, 0.5, "tipnet Ñ 5", fontsize=9, fontweight="bold")
            fig.savefig(io.BytesIO(), format="svg")
    except Exception:  # a map drawn later loads what it needs itself, and reports what fails
        log.exception("maps: warming up failed")
        return
    log.info("maps: geometry and fonts loaded in %.2f s", time.perf_counter() - t0)


def warm_in_background() -> threading.Thread:
    thread = threading.Thread(target=warm, name="maps-warm", daemon=True)
    thread.start()
    return thread
