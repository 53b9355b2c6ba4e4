"""The shape of the code: layers that point one way, no import circles, small modules, one JSON-twin mechanism and
one `Accept` rule for the web (see "How the code is laid out" in README.md)."""

from __future__ import annotations

import re

import import_graph
import pytest
from fastapi.testclient import TestClient

from tipnet.web.accept import JSON_SUFFIX
from tipnet.web.app import create_app
from tipnet.web.pages import is_twin_endpoint
from tipnet.web.security import endpoints

SRC = import_graph.SRC
MAX_MODULE_LINES = 600


@pytest.fixture(scope="module")
def graph() -> import_graph.Graph:
    return import_graph.build()


def test_every_room_has_a_floor(graph: import_graph.Graph) -> None:
    assert [r for r in graph.rooms() if r not in import_graph.FLOORS] == []


def test_no_import_circles(graph: import_graph.Graph) -> None:
    assert import_graph.circles(graph.rooms(), graph.room_edges()) == []
    assert import_graph.circles(sorted(graph.modules), graph.edges) == []


def test_no_import_runs_up_a_floor(graph: import_graph.Graph) -> None:
    assert graph.arrows_up() == []


def test_the_graph_sees_imports_inside_functions_and_skips_type_only_ones(tmp_path) -> None:
    """The checks above would pass vacuously if the parser missed imports: a planted circle is found."""
    pkg = tmp_path / "tipnet"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from tipnet.web import b\n")
    (pkg / "web").mkdir()
    (pkg / "web" / "__init__.py").write_text("")
    (pkg / "web" / "b.py").write_text("from tipnet.low import a\nfrom typing import TYPE_CHECKING\n"
                                      "if TYPE_CHECKING:\n    from tipnet.low import c\n")
    (pkg / "low" / "c.py").write_text("")
    planted = import_graph.build(pkg)
    assert import_graph.circles(sorted(planted.modules), planted.edges) == [["tipnet.low.a", "tipnet.web.b"]]
    assert planted.arrows_up({"__init__": 0, "low": 0, "web": 1}) == [("tipnet.low.a", "tipnet.web.b")]
    assert "tipnet.low.c" not in planted.edges["tipnet.web.b"]


def test_no_module_over_600_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_features_do_not_import_the_faces(graph: import_graph.Graph) -> None:
    faces = {"web", "cli"}
    wrong = [(a, b) for a, targets in graph.edges.items() for b in targets
             if graph.room(b) in faces and graph.room(a) not in faces]
    assert wrong == []


# --- the web: one JSON-twin mechanism, one Accept rule -------------------------------------------------------------

WEB = SRC / "web"


def test_pages_are_rendered_only_through_the_one_mechanism() -> None:
    """A template is rendered only by `web/pages.py` (pages answered by `PageRouter.page`) and by the error pages;
    no route module renders one itself, so no HTML page can exist without its JSON twin."""
    renderers = {p.name for p in WEB.glob("*.py")
                 if re.search(r"TemplateResponse|app\.state\.page\(|\.html\(request", p.read_text(encoding="utf-8"))}
    assert renderers <= {"pages.py", "errors.py"}


def test_no_module_but_accept_reads_the_accept_header() -> None:
    readers = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
               if re.search(r"""headers\.get\(\s*["']accept["']""", p.read_text(encoding="utf-8"), re.I)}
    assert readers == {"web/accept.py"}


def test_every_page_route_has_its_json_twin(sqlite_db) -> None:
    routes = [r for r in endpoints(create_app(sqlite_db)) if r.api]
    pages = [r for r in routes if is_twin_endpoint(r.endpoint)]
    assert len(pages) > 50  # the platform's pages, each counted twice below
    by_endpoint: dict[object, set[str]] = {}
    for r in pages:
        by_endpoint.setdefault(r.endpoint, set()).add(r.path)
    for endpoint, paths in by_endpoint.items():
        twins = {p for p in paths if p.endswith(JSON_SUFFIX)}
        assert len(paths) == 2 and len(twins) == 1, (endpoint, paths)
    # no path registered outside the mechanism shadows a page or its twin
    page_paths = {r.path for r in pages}
    others = {(r.path, m) for r in routes if not is_twin_endpoint(r.endpoint) for m in r.methods}
    assert not {p for p, _ in others} & page_paths


def test_one_accept_rule_for_pages_and_errors(sqlite_db) -> None:
    client = TestClient(create_app(sqlite_db))
    html = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    as_json = {"accept": "application/json"}
    # a page: HTML for a browser and for a client that states no preference; JSON by suffix or Accept
    assert client.get("/dictionary", headers=html).headers["content-type"].startswith("text/html")
    assert client.get("/dictionary", headers={"accept": "*/*"}).headers["content-type"].startswith("text/html")
    assert client.get("/dictionary", headers=as_json).json()["fields"]
    assert client.get("/dictionary.json", headers=html).json()["fields"]
    # an error: an HTML page only for a client that asks for HTML; the JSON error shape otherwise
    missing = "/no-such-page"
    assert client.get(missing, headers=html).headers["content-type"].startswith("text/html")
    for headers in ({"accept": "*/*"}, as_json):
        r = client.get(missing, headers=headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not-found"
    assert client.get(missing + JSON_SUFFIX, headers=html).json()["error"]["status"] == 404
