"""The web application under load: `python bench/web.py` (also run by `make bench-web`).

50 simulated users, each signed in as their own account, work for 60 seconds over loopback against
`cspr serve` on a database of 10,000 synthetic cases: 80% page reads (a case page, the caseload, the
application's static health route /healthz) and 20% writes (a note on a random case, through the JSON API
with the session's CSRF token). Measured side by side in one run, in two set-ups:

1. SQLite, one server process;
2. PostgreSQL (a throwaway server from Debian's binaries), two server processes sharing the database and
   the session key, the users spread across them.

Figures: requests, errors (any status but the expected one, or a failed connection: the target is zero),
every acknowledged write found in the database afterwards, and the p50/p95 latency of each route; the
target is the case page's p95 at most 3 times /healthz's p95 under the same load. Results go to the
"Web application" section of bench/RESULTS.md (kept when bench.py rewrites the rest) and bench/web.json.

Usage: python bench/web.py [--cases 10000] [--users 50] [--seconds 60] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
CSPR = str(BIN / "cspr")
PASSWORD = "bench password, long enough"
TARGET = 3.0
MARK = "<!-- web benchmark -->"
ADDRESS = re.compile(r"Serving (http://\S+/) ")


# --- one simulated user ----------------------------------------------------------------------------------


class Client:
    """A browser-like client: one kept-alive connection, the session cookie."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = self.cookie
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed a kept-alive connection between requests: reconnect once, as a browser does
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                self.cookie = value.split(";")[0]
        return response.status, data


def simulate(base: str, name: str, refs: tuple[list[str], list[str]], seconds: float, start: float,
             seed: int) -> dict[str, Any]:
    """One user: sign in, then read and write until the time is up."""
    rng = random.Random(seed)
    every, open_ = refs
    client = Client(base)
    status, page = client.request("GET", "/sign-in")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()  # type: ignore[union-attr]
    status, _ = client.request("POST", "/sign-in", urlencode({"csrf_token": token, "name": name, "password": PASSWORD}).encode(),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, f"{name} could not sign in ({status})"
    token = json.loads(client.request("GET", "/api/session")[1])["csrf_token"]
    samples: list[tuple[str, float, bool]] = []
    writes: list[tuple[str, str]] = []
    errors: list[str] = []
    while time.time() < start:
        time.sleep(0.01)
    n = 0
    while time.time() < start + seconds:
        roll = rng.random()
        n += 1
        if roll < 0.20:
            route, ref = "write a note", rng.choice(open_)
            text = f"bench {name} {n}"
            body = json.dumps({"note": text}).encode()
            method, path, expected = "POST", f"/api/cases/{ref}/notes", 201
            headers = {"Content-Type": "application/json", "X-CSRF-Token": token}
        elif roll < 0.55:
            route, method, path, expected, body, headers = "case page", "GET", f"/cases/{rng.choice(every)}", 200, None, {}
        elif roll < 0.70:
            route, method, path, expected, body, headers = "caseload", "GET", "/cases", 200, None, {}
        else:
            route, method, path, expected, body, headers = "/healthz", "GET", "/healthz", 200, None, {}
        began = time.perf_counter()
        try:
            status, _ = client.request(method, path, body, headers)
        except Exception as exc:  # every failure is counted as an error
            status, errors = 0, [*errors, f"{route}: {type(exc).__name__}: {exc}"]
        elapsed = time.perf_counter() - began
        ok = status == expected
        if not ok and status:
            errors.append(f"{route}: {method} {path} answered {status}")
        samples.append((route, elapsed, ok))
        if ok and route == "write a note":
            writes.append((path.split("/")[3], text))
    return {"samples": samples, "writes": writes, "errors": errors}


def _user_process(args: tuple[list[tuple[str, str]], tuple[list[str], list[str]], float, float, int]) -> dict[str, Any]:
    """Several simulated users in one process (threads), so the clients do not all share one interpreter."""
    users, refs, seconds, start, seed = args
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda u=u, i=i: results.append(simulate(u[1], u[0], refs, seconds, start, seed + i)))
               for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged: dict[str, Any] = {"samples": [], "writes": [], "errors": []}
    for r in results:
        for key in merged:
            merged[key] += r[key]
    if len(results) != len(users):
        merged["errors"].append(f"{len(users) - len(results)} simulated users failed to start")
    return merged


# --- servers and databases ---------------------------------------------------------------------------------


class Serve:
    def __init__(self, db: str, key: Path, env: dict[str, str]):
        self.process = subprocess.Popen([CSPR, "serve", "--port", "0", "--db", db, "--session-key-file", str(key)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = ADDRESS.search(line)
        if not match:
            raise SystemExit(f"cspr serve did not start: {line}{self.process.stderr.read() if self.process.stderr else ''}")
        self.url = match.group(1).rstrip("/")

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.stderr.read() if self.process.stderr else ""


def add_users(db: str, count: int, env: dict[str, str]) -> list[str]:
    names = [f"officer.{i:02d}" for i in range(count)]
    for name in names:
        subprocess.run([CSPR, "user", "add", name, "--role", "lsbu", "--password-stdin", "--db", db],
                       input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
    return names


def case_refs(db: str, env: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every case (pages are read from all of them) and the open ones (notes are written to those)."""
    listed = subprocess.run([CSPR, "case", "list", "--json", "--db", db], env=env, capture_output=True, text=True,
                            check=True)
    rows = json.loads(listed.stdout)
    return [row["ref"] for row in rows], [row["ref"] for row in rows if not row["final"]]


def missing_writes(db: str, writes: list[tuple[str, str]]) -> int:
    """How many acknowledged writes the database does not hold."""
    sys.path.insert(0, str(ROOT))
    from cspr.engine.store.interface import open_store

    store = open_store(db)
    try:
        wanted: dict[str, set[str]] = {}
        for ref, text in writes:
            wanted.setdefault(ref, set()).add(text)
        missing = 0
        for ref, texts in wanted.items():
            held = {r.note for r in store.records(ref)}
            missing += len(texts - held)
        return missing
    finally:
        store.close()


def load(urls: list[str], users: list[str], refs: tuple[list[str], list[str]], seconds: float, processes: int = 5) -> dict[str, Any]:
    """The users spread over the servers and over ``processes`` client processes, started together."""
    start = time.time() + 3 + len(users) * 0.1  # time for everyone to sign in first
    assigned = [(name, urls[i % len(urls)]) for i, name in enumerate(users)]
    chunks = [assigned[i::processes] for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_user_process, [(chunk, refs, seconds, start, 1000 * i) for i, chunk in enumerate(chunks)])
    merged: dict[str, Any] = {"samples": [], "writes": [], "errors": []}
    for part in parts:
        for key in merged:
            merged[key] += part[key]
    return merged


def summarise(run: dict[str, Any], seconds: float) -> dict[str, Any]:
    routes: dict[str, list[float]] = {}
    for route, elapsed, _ in run["samples"]:
        routes.setdefault(route, []).append(elapsed * 1000)
    stats = {}
    for route, values in sorted(routes.items()):
        values.sort()
        stats[route] = {"requests": len(values), "p50_ms": statistics.median(values),
                        "p95_ms": values[min(len(values) - 1, int(0.95 * len(values)))]}
    total = len(run["samples"])
    return {"requests": total, "per_second": total / seconds, "errors": len(run["errors"]),
            "error_examples": run["errors"][:5], "writes": len(run["writes"]), "routes": stats,
            "case_page_vs_healthz_p95": stats["case page"]["p95_ms"] / stats["/healthz"]["p95_ms"]}


def on_sqlite(folder: Path, cases: int, users: int, seconds: float, env: dict[str, str]) -> tuple[dict[str, Any], Path]:
    db = folder / "cases.db"
    print(f"building {cases:,} cases...", flush=True)
    subprocess.run([CSPR, "--today", "2026-11-25", "demo", "--cases", str(cases), "--seed", "1", "--db", str(db)],
                   env=env, check=True, capture_output=True)
    names = add_users(str(db), users, env)
    refs = case_refs(str(db), env)
    server = Serve(str(db), folder / "session.key", env)
    try:
        print(f"SQLite, one server: {users} users for {seconds:g} s...", flush=True)
        run = load([server.url], names, refs, seconds)
    finally:
        log = server.stop()
    result = summarise(run, seconds) | {"servers": 1, "engine": "sqlite", "open_cases": len(refs[1])}
    result["missing_writes"] = missing_writes(str(db), run["writes"])
    result["server_log_errors"] = log.count("Traceback")
    return result, db


def on_postgresql(folder: Path, sqlite_db: Path, users: int, seconds: float, env: dict[str, str]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.helpers.pgserver import APP, OWNER, Server

    server = Server(durable=True, settings={"max_connections": "200"})
    server.start()
    try:
        server.create_database("web")
        subprocess.run([CSPR, "--db", server.url("web", OWNER), "db", "init", "--app", APP], env=env, check=True,
                       capture_output=True)
        url = server.url("web", APP)
        print("copying the cases to PostgreSQL...", flush=True)
        subprocess.run([CSPR, "db", "copy", str(sqlite_db), url], env=env, check=True, capture_output=True)
        server.sql("VACUUM ANALYZE", database="web")
        names = add_users(url, users, env)
        refs = case_refs(url, env)
        servers = [Serve(url, folder / "session.key", env) for _ in range(2)]
        try:
            print(f"PostgreSQL, two servers: {users} users for {seconds:g} s...", flush=True)
            run = load([s.url for s in servers], names, refs, seconds)
        finally:
            logs = "".join(s.stop() for s in servers)
        result = summarise(run, seconds) | {"servers": 2, "engine": "postgresql", "open_cases": len(refs[1])}
        result["missing_writes"] = missing_writes(url, run["writes"])
        result["server_log_errors"] = logs.count("Traceback")
        return result
    finally:
        server.stop()


# --- the report ------------------------------------------------------------------------------------------


def report(results: dict[str, Any]) -> str:
    lines = [MARK, "## Web application (bench/web.py)", "",
             f"Run {results['date']}; command: `{results['command']}`. {results['users']} simulated users, each signed "
             f"in as their own account, for {results['seconds']:g} s over loopback on {results['cases']:,} cases: 80% page "
             "reads (case page 35%, caseload 15%, /healthz 30%), 20% writes (a note through the JSON API). Client and "
             "servers share the machine's cores.", "",
             "| set-up | requests/s | errors | writes | writes missing afterwards | case page p95 / /healthz p95 | target ≤ 3 | met |",
             "|---|---|---|---|---|---|---|---|"]
    for key, title in (("sqlite", "SQLite, one server process"), ("postgresql", "PostgreSQL, two server processes")):
        r = results.get(key)
        if r is None:
            continue
        met = r["errors"] == 0 and r["missing_writes"] == 0 and r["case_page_vs_healthz_p95"] <= TARGET
        lines.append(f"| {title} | {r['per_second']:.0f} | {r['errors']} | {r['writes']:,} | {r['missing_writes']} | "
                     f"{r['case_page_vs_healthz_p95']:.2f} | ≤ {TARGET:g} | {'yes' if met else 'no'} |")
    lines += ["", "Latency by route (milliseconds):", "", "| set-up | route | requests | p50 | p95 |", "|---|---|---|---|---|"]
    for key in ("sqlite", "postgresql"):
        r = results.get(key)
        for route, s in (r or {}).get("routes", {}).items():
            lines.append(f"| {key} | {route} | {s['requests']:,} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} |")
    lines += ["", "/healthz does no work, so its latency here is the time a request waits for the two cores the client "
              "processes and the servers share: the case page's ratio to it is the cost of the page itself. Writes on "
              "SQLite take turns (the database has one writer; the server queues its writers on one lock, fairly, "
              "rather than in SQLite's busy-wait back-off, which in a first run let 3 of 1,506 notes time out), so a "
              "note waits for those ahead of it; PostgreSQL takes writes to different cases at once."]
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any]) -> None:
    (HERE / "web.json").write_text(json.dumps(results, indent=2) + "\n")
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    text = text.split(MARK)[0].rstrip("\n") + "\n\n" + report(results)
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                               "command": "python bench/web.py " + " ".join(sys.argv[1:]),
                               "cases": args.cases, "users": args.users, "seconds": args.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # this run's own key and anchor log, never the user's
        env = {**os.environ, "CSPR_KEY_FILE": str(folder / "key"), "CSPR_ANCHOR_LOG": str(folder / "anchors.log")}
        env.pop("CSPR_TODAY", None)
        results["sqlite"], db = on_sqlite(folder, args.cases, args.users, args.seconds, env)
        print(json.dumps(results["sqlite"], indent=2), flush=True)
        if not args.no_postgresql:
            results["postgresql"] = on_postgresql(folder, db, args.users, args.seconds, env)
            print(json.dumps(results["postgresql"], indent=2), flush=True)
    write_results(results)
    print(report(results))


if __name__ == "__main__":
    main()
