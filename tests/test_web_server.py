"""`cspr serve`: the real server in a subprocess, on the port it was given or a free one it picks."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from .conftest import FIXTURES, ROOT
from .helpers.web import Browser, ServeProcess


@pytest.fixture(scope="module")
def server():
    served = ServeProcess("--process", str(FIXTURES / "processes" / "adult_review.yaml"))
    yield served
    served.stop()


def test_port_0_picks_a_free_port_and_prints_the_address_bound(server):
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0/")
    reply = Browser(server.url).get("/healthz")
    assert (reply.status, reply.text) == (200, "ok\n")


def test_the_server_serves_the_processes_named_on_the_command_line(server):
    ids = [p["id"] for p in Browser(server.url).get("/api/processes").json()["processes"]]
    assert ids == ["cspr_pan_lancashire", "sar_care_act_s44"]


def test_the_server_answers_only_to_loopback_host_names(server):
    browser = Browser(server.url)
    assert browser.get("/healthz", headers={"Host": "localhost"}).status == 200
    refused = browser.get("/healthz", headers={"Host": "rebound.example.org"})
    assert refused.status == 400 and "host name" in refused.text
    assert refused.headers["content-security-policy"]  # refusals carry the security headers too


def test_sigterm_stops_the_server_cleanly():
    served = ServeProcess()
    assert Browser(served.url).get("/healthz").status == 200
    errors = served.stop()
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status says what stopped it
    assert served.process.returncode in (0, -signal.SIGTERM) and "Traceback" not in errors and "ERROR" not in errors


def _cspr(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cspr", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_a_port_in_use_is_one_line_of_error():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        started = time.monotonic()
        run = _cspr("serve", "--port", str(port))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ") and "--port" in run.stderr
    assert run.stderr.count("\n") == 1 and time.monotonic() - started < 30


def test_a_bad_process_file_is_one_line_of_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [\n")
    run = _cspr("serve", "--port", "0", "--process", str(broken))
    assert run.returncode == 1 and run.stderr.startswith("Error: ") and run.stderr.count("\n") == 1


def test_two_files_claiming_one_version_with_different_rules_are_refused(tmp_path):
    text = (ROOT / "processes" / "cspr_pan_lancashire.yaml").read_text()
    impostor = tmp_path / "impostor.yaml"
    impostor.write_text(text.replace("period: {working_days: 5}", "period: {working_days: 6}", 1))
    run = _cspr("serve", "--port", "0", "--process", str(impostor))
    assert run.returncode == 1
    assert "defined twice with different content" in run.stderr and run.stderr.count("sha256:") == 2


def test_serve_is_listed_and_explained_in_help():
    listed = _cspr("--help")
    assert listed.returncode == 0 and "\n  serve " in listed.stdout
    own = _cspr("serve", "--help")
    assert own.returncode == 0
    for option in ("--host", "--port", "--db", "--process", "--allowed-host"):
        assert option in own.stdout


def test_a_session_key_file_is_made_for_the_server_and_kept(tmp_path):
    import stat

    path = tmp_path / "keys" / "session.key"
    path.parent.mkdir()
    served = ServeProcess("--session-key-file", str(path))
    try:
        assert Browser(served.url).get("/healthz").status == 200
    finally:
        served.stop()
    key = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key.strip()) >= 32
    path.chmod(0o644)
    run = _cspr("serve", "--port", "0", "--session-key-file", str(path))
    assert run.returncode == 1 and "chmod 600" in run.stderr and path.read_text() == key


def test_versions_stored_with_the_cases_are_served_from_the_database(tmp_path):
    db = tmp_path / "cases.db"
    opened = _cspr("case", "open", "SAR-2025-03", "--on", "2025-01-10", "--process",
                   str(FIXTURES / "processes" / "adult_review.yaml"), "--fact", "adult_outcome=adult_died", "--db", str(db))
    assert opened.returncode == 0, opened.stderr
    served = ServeProcess("--db", str(db))
    try:
        browser = Browser(served.url)
        ids = [p["id"] for p in browser.get("/api/processes").json()["processes"]]
        assert ids == ["cspr_pan_lancashire", "sar_care_act_s44"]
        assert browser.get("/processes/sar_care_act_s44/versions/0.1").status == 200
    finally:
        served.stop()
    missing = ServeProcess("--db", str(tmp_path / "not-yet.db"))  # no database yet: the shipped processes only
    try:
        assert [p["id"] for p in Browser(missing.url).get("/api/processes").json()["processes"]] == ["cspr_pan_lancashire"]
    finally:
        missing.stop()
    assert not (tmp_path / "not-yet.db").exists()  # serving never creates a database


def test_a_file_that_is_not_a_database_stops_the_server_in_one_line(tmp_path):
    other = tmp_path / "notes.db"
    other.write_text("not a database\n")
    run = _cspr("serve", "--port", "0", "--db", str(other))
    assert run.returncode == 1 and run.stderr.startswith("Error: ") and "not a cspr database" in run.stderr
    assert other.read_text() == "not a database\n"
