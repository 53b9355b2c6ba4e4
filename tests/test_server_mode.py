"""Server mode: `tipnet serve --workers 2` runs two worker processes on one store; a session opened through one
worker is honoured by the other, failed sign-ins are counted across workers, statistics follow an import."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest
from auth_helpers import PASSWORD, make_user
from served import serve

from tipnet.auth import totp


def _children(pid: int) -> list[int]:
    """uvicorn's worker processes (spawned; the resource tracker beside them is not a worker)."""
    out = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "spawn_main" in line]


@pytest.fixture
def served(db, settings):  # type: ignore[no-untyped-def]
    env = {**os.environ, "TIPNET_HOME": str(settings.home), "TIPNET_LOG_LEVEL": "WARNING"}
    # workers import the package: slow on a busy machine
    with serve(db.url, env, "--workers", "2", timeout=240, ready=lambda s: len(_children(s.proc.pid)) >= 2) as s:
        yield s.base, s.proc


def _sign_in(client: httpx.Client, email: str, secret: str) -> httpx.Response:
    csrf = client.get("/login.json").json()["csrf_token"]
    return client.post("/login.json", data={"email": email, "password": PASSWORD, "code": totp.current_code(secret)},
                       headers={"x-csrf-token": csrf})


def test_two_workers_share_sessions_throttle_and_statistics(served, db, tmp_path):
    base, proc = served
    workers = _children(proc.pid)
    assert len(workers) == 2, workers
    acct = make_user(db, "analyst", "PER")
    with httpx.Client(base_url=base, timeout=30) as client:
        r = _sign_in(client, acct.email, acct.secret)
        assert r.status_code == 200 and r.json()["stage"] == "full", r.text
        client.headers["x-csrf-token"] = r.json()["csrf_token"]
        # many requests on fresh connections: both workers answer, each must know the session
        for _ in range(16):
            with httpx.Client(base_url=base, cookies=client.cookies, timeout=30) as fresh:
                assert fresh.get("/submissions.json").status_code == 200
        before = client.get("/stats.json").json()["microdata_by_country"]
        f = tmp_path / "per.csv"
        f.write_text("record_id,case_id,sex,age\n1,A,F,15\n2,B,M,30\n", encoding="utf-8")
        with f.open("rb") as fh:
            up = client.post("/uploads.json", files={"file": ("per.csv", fh, "text/csv")}, data={"country": "PER"})
        assert up.status_code == 201, up.text
        done = client.post(f"/uploads/{up.json()['token']}/commit.json")  # staged files are shared: any worker
        assert done.status_code == 201 and done.json()["rows_accepted"] == 2, done.text
    after = []
    for _ in range(6):  # whichever worker answers, it reloads its source for the new submission
        with httpx.Client(base_url=base, cookies=client.cookies, timeout=30) as fresh:
            after.append(fresh.get("/stats.json").json()["microdata_by_country"])
    assert before == [] and all(a and a[0]["country"] == "PER" for a in after), (before, after)

    # failed sign-ins counted in the store: the 6th wrong password is refused with 429 whichever worker gets it
    victim = make_user(db, "analyst", "COL")
    codes = []
    for _ in range(8):
        with httpx.Client(base_url=base, timeout=30) as c:
            csrf = c.get("/login.json").json()["csrf_token"]
            codes.append(c.post("/login.json", data={"email": victim.email, "password": "wrong password!!"},
                                headers={"x-csrf-token": csrf}).status_code)
    assert codes[:5] == [401] * 5 and 429 in codes[5:], codes
