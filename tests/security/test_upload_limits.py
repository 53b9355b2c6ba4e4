"""Issue 16, findings 1 and 5: one small upload froze the server, and chunked bodies were read to the end.

A real server (`tipnet serve`, one process) is sent an XLSX bomb (1.3 MB packed, 450 MB of sheet XML: the probe's
file) and a 300 MB chunked body while another client calls /health: every /health must answer within 1 s, the bomb
must be refused with `source-too-large` within 15 s and the server's memory must grow by less than 300 MB; the
chunked body must be answered 413 long before its end. On the code before the fix the bomb held the event loop for
half a minute (and 2 GB), and the chunked body was read to its last byte.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from auth_helpers import make_user
from served import serve

from tipnet.auth import tokens
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.ingest.isolated import validate_isolated
from tipnet.ingest.pipeline import ImportOptions, validate_file
from tipnet.settings import Settings
from tipnet.store import Database

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bombs  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
UPLOAD_LIMIT = 20 * 1024 * 1024


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@dataclass
class Served:
    base: str
    port: int
    pid: int
    token: str
    bomb: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("limits")
    db = Database(f"sqlite:///{tmp / 'tipnet.db'}")
    db.upgrade()
    account = make_user(db, "analyst", "PER")
    owner = Principal(via=Via.SESSION, user_id=account.user.id, email=account.email, role=Role.ANALYST,
                      country="PER")
    token = tokens.issue(db, owner, "probe", 30)["token"]
    db.dispose()
    bomb = bombs.rows_bomb(tmp / "bomb.xlsx")
    env = {**os.environ, "TIPNET_HOME": str(tmp / "home"), "TIPNET_LOG_LEVEL": "WARNING",
           "TIPNET_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT), "PYTHONPATH": os.pathsep.join(sys.path)}
    with serve(db.url, env) as s:
        yield Served(s.base, s.port, s.proc.pid, token, bomb)


@dataclass
class HealthProbe:
    """Calls /health over and over on its own connection, and samples the server's memory meanwhile."""

    base: str
    pid: int
    times: list[float] = field(default_factory=list)
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> HealthProbe:
        def run() -> None:
            with httpx.Client(timeout=30) as client:
                while not self._stop.is_set():
                    self.peak_rss = max(self.peak_rss, _rss(self.pid))
                    t0 = time.monotonic()
                    assert client.get(f"{self.base}/health").status_code == 200
                    self.times.append(time.monotonic() - t0)
                    time.sleep(0.1)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(60)


def _auth(served: Served) -> dict[str, str]:
    return {"authorization": f"Bearer {served.token}"}


def test_xlsx_bomb_is_refused_quickly_while_health_answers(served: Served) -> None:
    baseline = _rss(served.pid)
    with HealthProbe(served.base, served.pid) as probe, httpx.Client(timeout=120) as client:
        time.sleep(0.5)
        t0 = time.monotonic()
        with served.bomb.open("rb") as fh:
            r = client.post(f"{served.base}/uploads.json", headers=_auth(served),
                            files={"file": ("bomb.xlsx", fh, "application/octet-stream")})
        took = time.monotonic() - t0
        time.sleep(0.5)
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert report["valid"] is False and report["rows_total"] == 0
    codes = [p["code"] for p in report["problems"]]
    assert codes == ["source-too-large"]
    message = report["problems"][0]["message"]
    assert "bomb.xlsx" in message and "max_unpacked_bytes" in message
    print(f"bomb: refused in {took:.2f} s; /health at most {max(probe.times):.3f} s over {len(probe.times)} calls; "
          f"server memory +{(probe.peak_rss - baseline) / 1024**2:.0f} MB")
    assert took < 15, f"the bomb took {took:.1f} s"
    assert len(probe.times) >= 3 and max(probe.times) < 1.0, probe.times
    growth = probe.peak_rss - baseline
    assert growth < 300 * 1024**2, f"server memory grew by {growth / 1024**2:.0f} MB"
    # the staged bomb cannot be committed: the server does not open it again
    c = httpx.post(f"{served.base}/uploads/{r.json()['token']}/commit.json", headers=_auth(served), timeout=60)
    assert c.status_code == 422 and c.json()["error"]["code"] == "invalid-file"


def test_chunked_body_is_refused_at_the_limit(served: Served) -> None:
    """300 MB without a Content-Length: the answer is 413 once the upload limit is passed, and the client cannot
    have sent much more than the limit (plus what socket buffers hold) by then."""
    total = 300 * 1024 * 1024
    boundary = "probeboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode()
    chunk = b"a,b,c\n" * (1024 * 1024 // 6)
    baseline = _rss(served.pid)
    sent = 0
    answer = b""
    with HealthProbe(served.base, served.pid) as probe, socket.create_connection(("127.0.0.1", served.port)) as s:
        time.sleep(0.5)
        s.sendall((f"POST /uploads.json HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {served.token}\r\n"
                   f"Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n"
                   ).encode())
        s.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        s.setblocking(False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([s], [s] if sent < total else [], [], 1)
            if readable:
                try:
                    data = s.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer and answer.split(b"\r\n\r\n", 1)[1].endswith(b"}"):
                    break
            elif writable:
                frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
                try:
                    n = s.send(frame)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    continue
                if n < len(frame):  # finish the frame before looking again
                    s.setblocking(True)
                    try:
                        s.sendall(frame[n:])
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    s.setblocking(False)
                sent += len(chunk)
        time.sleep(0.5)
    print(f"chunked body: {sent / 1024**2:.0f} MB sent before the 413; /health at most {max(probe.times):.3f} s")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "too-large"
    assert sent < UPLOAD_LIMIT + 64 * 1024 * 1024, f"{sent / 1024**2:.0f} MB sent before the answer"
    assert len(probe.times) >= 2 and max(probe.times) < 1.0, probe.times
    assert _rss(served.pid) - baseline < 300 * 1024**2


def test_small_body_limit_outside_the_upload_routes(served: Served) -> None:
    """Routes that take no file take at most max_body_bytes (32 MB), chunked or not."""
    def body() -> Iterator[bytes]:  # a file part: the form parser sets no limit of its own on those
        yield b'--b\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n'
        for _ in range(40):
            yield b"x" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    r = httpx.post(f"{served.base}/login.json", content=body(), timeout=60,
                   headers={"content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too-large"


def test_normal_csv_and_xlsx_still_import(served: Served, tmp_path: Path) -> None:
    csv = (FIXTURES / "ctdc2017_sample.csv").read_bytes()
    lines = csv.decode().splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    xlsx = bombs.write_xlsx(tmp_path / "ctdc.xlsx", [bombs.row(header), *(bombs.row(r) for r in rows)])
    for name, data in (("ctdc.csv", csv), ("ctdc.xlsx", xlsx.read_bytes())):
        up = httpx.post(f"{served.base}/uploads.json", headers=_auth(served), timeout=120,
                        files={"file": (name, data, "application/octet-stream")}, data={"country": "PER"})
        assert up.status_code == 201, up.text
        report = up.json()["report"]
        assert report["rows_total"] == len(rows), report
        assert "source-too-large" not in report["problem_counts"], report
        c = httpx.post(f"{served.base}/uploads/{up.json()['token']}/commit.json", headers=_auth(served), timeout=120)
        assert c.status_code in (200, 201), c.text
        assert c.json()["rows_accepted"] + c.json()["rows_quarantined"] == len(rows)
        assert c.json()["rows_accepted"] > 0


def test_cli_validate_refuses_the_bomb_quickly(served: Served) -> None:
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "tipnet.cli", "validate", str(served.bomb), "--json"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    took = time.monotonic() - t0
    print(f"tipnet validate: refused in {took:.2f} s")
    assert out.returncode != 0
    report = json.loads(out.stdout)
    assert [p["code"] for p in report["problems"]] == ["source-too-large"]
    assert took < 15, f"tipnet validate took {took:.1f} s"


def test_area_bomb_is_refused_before_the_library_fills_it(tmp_path: Path) -> None:
    """1.5 KB with cells at A1 and XFD1048576: the spreadsheet library would allocate 17 billion cells (it aborts
    the process when that fails). The sheet's references are read first and the file refused."""
    bomb = bombs.area_bomb(tmp_path / "area.xlsx")
    t0 = time.monotonic()
    report = validate_file(bomb, ImportOptions(), Settings.from_env(home=tmp_path))
    assert time.monotonic() - t0 < 5
    assert [p.code for p in report.problems] == ["source-too-large"]
    assert "max_sheet_cells" in report.problems[0].message


def test_worker_ceiling_catches_what_the_limits_let_through(tmp_path: Path) -> None:
    """With the readers' limits turned off, the area bomb reaches the library: in the validation worker it passes
    the memory ceiling, the worker dies, and the caller gets a refusal (and a fresh worker for the next file)."""
    bomb = bombs.area_bomb(tmp_path / "area.xlsx")
    open_limits = Settings.from_env(home=tmp_path, max_sheet_cells=10**15, max_sheet_rows=10**9,
                                    validate_memory_bytes=1024**3)
    report = validate_isolated(bomb, ImportOptions(display_name="area.xlsx"), open_limits)
    assert [p.code for p in report.problems] == ["source-too-large"]
    assert "validate_memory_bytes" in report.problems[0].message
    ok = validate_isolated(FIXTURES / "ctdc2017_sample.csv", ImportOptions(), open_limits)
    assert ok.file_error is None and ok.rows_total > 0


def test_worker_time_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("record_id,case_id,age\n")
        for i in range(400_000):
            fh.write(f"r{i},c{i},{i % 90}\n")
    report = validate_isolated(big, ImportOptions(), Settings.from_env(home=tmp_path, validate_seconds=0))
    assert [p.code for p in report.problems] == ["source-too-large"]
    assert "validate_seconds" in report.problems[0].message
