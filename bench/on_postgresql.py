"""The PostgreSQL half of `make bench`, measured in the same run as the SQLite half (bench/bench.py).

On a throwaway server (Debian's binaries, durable settings: fsync on) started for the run:

1. The SQLite databases of the same sizes are moved to PostgreSQL with `cspr db copy` (the
   same data, so `sqlite-utils query` on the SQLite file is the reference); a size with no
   SQLite copy (1,000,000 with `--pg-sizes 10000 100000 1000000`) is generated straight into
   PostgreSQL with `cspr demo --cases N`. Each load ends with VACUUM ANALYZE and a CHECKPOINT.
2. Wall time of `cspr case show`, `cspr case list --overdue --json` and
   `cspr deadlines --within 10 --json` against PostgreSQL, as separate processes, interleaved
   with `sqlite-utils query` selecting the same rows from the SQLite copy.
3. Write throughput: N writer processes, each with one connection (as an application
   server keeps one), opening and advancing cases of their own for T seconds (every
   command one transaction: read, replay, check, project, append), against
   `pgbench -c N -T T` (its TPC-B-like script) on the same server.

Run as `python bench/on_postgresql.py writer URL PREFIX SECONDS` it is one writer: it imports cspr and
connects, prints "ready", and starts at the time it then reads from its standard input (so that on a
busy machine the start-up of eight Python processes does not eat into the timed window).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
CSPR = str(BIN / "cspr")
SQLITE_UTILS = str(BIN / "sqlite-utils")


def _server(**settings: str):
    sys.path.insert(0, str(ROOT))
    from tests.helpers.pgserver import Server

    return Server(durable=True, settings={"shared_buffers": "512MB", "max_wal_size": "8GB", "max_connections": "60",
                                          **settings})


def interleaved(commands: dict[str, list[str]], repeat: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of each command run as a separate process, the commands taking turns (after a warm-up)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(repeat + 1):
        for name, command in commands.items():
            started = time.perf_counter()
            done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            if round_:
                times[name].append(time.perf_counter() - started)
            if done.returncode not in (0, 1):
                raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return {name: statistics.median(values) for name, values in times.items()}


def _cspr(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CSPR, *args], env=env, capture_output=True, text=True, check=True)


def _count(server, name: str) -> int:
    return int(server.sql("SELECT COUNT(*) FROM cspr.events", database=name)[0][0])


def load(server, size: int, sqlite_path: str | None, env: dict[str, str]) -> dict[str, float]:
    """A database of ``size`` cases: copied from the SQLite file if there is one, else generated in place."""
    from tests.helpers.pgserver import APP, OWNER

    name = f"cases_{size}"
    server.create_database(name)
    _cspr("--db", server.url(name, OWNER), "db", "init", "--app", APP, env=env)
    url = server.url(name, APP)
    started = time.perf_counter()
    if sqlite_path:
        _cspr("db", "copy", sqlite_path, url, env=env)
        how = "copied"
    else:
        _cspr("demo", "--cases", str(size), "--seed", "1", "--db", url, env=env)
        how = "generated"
    seconds = time.perf_counter() - started
    # what a database administrator does after a bulk load; the checkpoint writes the loaded pages out now,
    # not while the commands are being timed
    server.sql("VACUUM ANALYZE", database=name)
    server.sql("CHECKPOINT")
    entries = _count(server, name)
    return {"url": url, "how": how, "entries": entries, "load_seconds": seconds, "entries_per_s": entries / seconds}


def commands(url: str, ref: str, sqlite_path: str | None, sql: dict[str, str], repeat: int,
             env: dict[str, str]) -> dict[str, float]:
    base = [CSPR, "--db", url]
    todo = {"case_show": [*base, "case", "show", ref],
            "case_list_overdue": [*base, "case", "list", "--overdue", "--json"],
            "deadlines_within": [*base, "deadlines", "--within", "10", "--json"]}
    if sqlite_path:
        todo |= {f"sqlite_utils_{k}": [SQLITE_UTILS, "query", sqlite_path, q] for k, q in sql.items()}
    return interleaved(todo, repeat, env)


# --- write throughput --------------------------------------------------------------------------------


def writer(url: str, prefix: str, seconds: float) -> None:
    """One writer: its own cases, opened and advanced one command (one transaction) at a time."""
    from cspr.engine.casebook.book import Casebook
    from cspr.engine.definition.catalog import resolve
    from cspr.engine.store.interface import open_store

    today = dt.date(2026, 6, 10)
    definition = resolve("cspr_pan_lancashire@2025.1")
    store = open_store(url)
    book = Casebook(store, today=today, actor=prefix)
    done, i = 0, 0
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    time.sleep(max(0.0, start - time.time()))
    end = start + seconds
    while time.time() < end:
        i += 1
        for step in _steps(book, definition, f"{prefix}-{i:06d}"):
            if time.time() >= end:
                break
            step()
            done += 1
    store.close()
    print(done)


def _steps(book, definition, ref: str) -> list:
    """A case opened and taken to case consideration: five commands, five transactions."""
    return [
        lambda: book.open_case(ref, definition, dt.date(2026, 6, 1), assignments=["harm=died"], check_reference=False),
        lambda: book.signoff(ref, "agency_safeguarding_lead", on=dt.date(2026, 6, 1)),
        lambda: book.record(ref, "referral_submitted", on=dt.date(2026, 6, 2),
                            assignments=["abuse_or_neglect=suspected", "referring_agency=School"]),
        lambda: book.note(ref, "Rang the school", on=dt.date(2026, 6, 3)),
        lambda: book.record(ref, "case_consideration_arranged", on=dt.date(2026, 6, 3)),
    ]


def throughput(server, writers: int, seconds: int, env: dict[str, str]) -> dict[str, float]:
    from tests.helpers.pgserver import APP, OWNER

    name = "writes"
    server.create_database(name)
    _cspr("--db", server.url(name, OWNER), "db", "init", "--app", APP, env=env)
    url = server.url(name, APP)
    processes = [subprocess.Popen([sys.executable, __file__, "writer", url, f"W{n}", str(seconds)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env)
                 for n in range(writers)]
    for process in processes:  # every writer has imported and connected before the clock runs
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit(f"a writer failed to start: {process.communicate()[1][-800:]}")
    start = f"{time.time() + 0.5}\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(start)
        process.stdin.close()
    counts = []
    for process in processes:
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
        if process.wait(timeout=seconds + 120) != 0:
            raise SystemExit(f"a writer failed: {err[-800:]}")
        counts.append(int(out.strip()))
    verified = subprocess.run([CSPR, "--db", url, "audit", "verify", "--json"], env=env, capture_output=True, text=True)
    return {"writers": writers, "seconds": seconds, "commands": sum(counts), "per_s": sum(counts) / seconds,
            "entries": _count(server, name), "verified": verified.returncode == 0}


def pgbench(server, clients: int, seconds: int) -> dict[str, float]:
    from tests.helpers.pgserver import SUPERUSER

    program = server.bindir / "pgbench"
    server.sql("CREATE DATABASE pgbench")
    where = ["-h", str(server.folder), "-U", SUPERUSER]
    subprocess.run([str(program), *where, "-i", "-q", "-s", str(max(10, clients)), "pgbench"], check=True,
                   capture_output=True)
    done = subprocess.run([str(program), *where, "-c", str(clients), "-j", "2", "-T", str(seconds), "pgbench"],
                          check=True, capture_output=True, text=True)
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if tps is None:
        raise SystemExit(f"pgbench said: {done.stdout[-500:]}")
    return {"clients": clients, "seconds": seconds, "tps": float(tps.group(1))}


def run(sqlite_paths: dict[int, str], sizes: list[int], ref: str, sql: dict[int, dict[str, str]], repeat: int,
        writers: int, seconds: int, env: dict[str, str]) -> dict:
    """Every PostgreSQL figure, on one server started for the run."""
    results: dict = {"sizes": {}}
    with _server() as server:
        results["server"] = server.sql("SHOW server_version")[0][0]
        for size in sizes:
            print(f"PostgreSQL: {size:,} cases...", flush=True)
            loaded = load(server, size, sqlite_paths.get(size), env)
            print(f"  {loaded['how']} {loaded['entries']:,} entries in {loaded['load_seconds']:.0f} s; timing commands...",
                  flush=True)
            loaded.update(commands(loaded["url"], ref, sqlite_paths.get(size), sql.get(size, {}), repeat, env))
            loaded.pop("url")
            results["sizes"][str(size)] = loaded
        print(f"PostgreSQL: {writers} writers for {seconds} s, then pgbench...", flush=True)
        results["writes"] = throughput(server, writers, seconds, env)
        results["pgbench"] = pgbench(server, writers, seconds)
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["writer"]:
        writer(sys.argv[2], sys.argv[3], float(sys.argv[4]))
