"""Benchmarks: `make bench`. Every figure is a ratio against a reference measured in the same run.

1. Bulk load and full replay (events per second through the engine: guards, deadlines,
   history, store) against inserting the same rows with raw ``sqlite3.executemany``.
2. Wall time of ``cspr case show``, ``cspr case list --overdue --json`` and
   ``cspr deadlines --within 10 --json`` as separate processes, against
   ``sqlite-utils query`` selecting the same rows; and of ``cspr --help`` (click's
   help, from each command's own docstring) against ``sqlite-utils --help``.
3. Working-day arithmetic per call against ``numpy.busday_offset`` with the same
   holidays (and the results compared on 100,000 random inputs).
4. How each figure grows from the smallest database to the largest.
5. The same on PostgreSQL (bench/on_postgresql.py): the SQLite databases copied to a
   throwaway server with `cspr db copy`, the largest generated there, the commands timed
   against `sqlite-utils query` on the SQLite copy, and write throughput against pgbench.

Writes bench/RESULTS.md (table, machine, date) and bench/results.json (raw figures).
Usage: python bench/bench.py [--sizes 1000 10000 100000] [--pg-sizes 10000 100000 [1000000]]
       [--repeat 7] [--writers 8] [--write-seconds 30] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CSPR = str(BIN / "cspr")
SQLITE_UTILS = str(BIN / "sqlite-utils")
TODAY = "2026-11-25"
ENV = {**os.environ, "CSPR_TODAY": TODAY}

TARGETS = {
    "case_show_vs_sqlite_utils": 1.0,
    "case_list_vs_sqlite_utils": 1.0,
    "deadlines_vs_sqlite_utils": 1.0,
    "case_show_growth": 1.2,
    "help_vs_sqlite_utils": 0.5,
    "bulk_vs_raw": 0.05,
    "workday_vs_numpy": 1.0,
    "pg_case_show_vs_sqlite_utils": 1.0,
    "pg_case_list_vs_sqlite_utils": 1.0,
    "pg_case_show_growth": 1.2,
    "pg_writes_vs_pgbench": 0.25,
}
AT_LEAST = ("bulk_vs_raw", "pg_writes_vs_pgbench")


def timed(command: list[str], repeat: int, env: dict[str, str] = ENV) -> float:
    """Median wall time of a command run as a separate process (after one warm-up run)."""
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def build(size: int, folder: Path) -> dict[str, float]:
    path = folder / f"cases-{size}.db"
    started = time.perf_counter()
    done = subprocess.run([CSPR, "--today", TODAY, "demo", "--cases", str(size), "--seed", "1", "--db", str(path)],
                          env=ENV, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    conn = sqlite3.connect(path)
    entries = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    conn.close()
    return {"path": str(path), "entries": entries, "build_seconds": seconds, "build_output": done.stdout.strip()}


def raw_insert_rate(path: str) -> float:
    """Rows per second inserting the same history rows with plain sqlite3.executemany, one transaction."""
    source = sqlite3.connect(path)
    rows = source.execute("SELECT case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, note, data, "
                          "digest, prev_hash, hash, chain FROM events ORDER BY id").fetchall()
    source.close()
    with tempfile.TemporaryDirectory() as tmp:
        target = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        target.execute("PRAGMA journal_mode = WAL")
        target.execute("PRAGMA synchronous = FULL")
        target.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, case_ref TEXT NOT NULL, seq INTEGER NOT NULL, "
                       "kind TEXT NOT NULL, name TEXT, on_date TEXT NOT NULL, role TEXT, actor TEXT NOT NULL, "
                       "recorded_at TEXT NOT NULL, facts TEXT NOT NULL, note TEXT, data TEXT NOT NULL, digest TEXT, "
                       "prev_hash TEXT, hash TEXT, chain TEXT, UNIQUE (case_ref, seq))")
        started = time.perf_counter()
        target.execute("BEGIN")
        target.executemany("INSERT INTO events (case_ref, seq, kind, name, on_date, role, actor, recorded_at, facts, "
                           "note, data, digest, prev_hash, hash, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           rows)
        target.execute("COMMIT")
        seconds = time.perf_counter() - started
        target.close()
    return len(rows) / seconds


def pick_case(path: str) -> str:
    conn = sqlite3.connect(path)
    ref = conn.execute("SELECT ref FROM case_view WHERE final = 0 ORDER BY last_seq DESC, ref LIMIT 1").fetchone()
    ref = ref or conn.execute("SELECT ref FROM case_view ORDER BY last_seq DESC LIMIT 1").fetchone()
    conn.close()
    return ref[0]


def reference_sql(ref: str) -> dict[str, str]:
    """What `sqlite-utils query` selects to stand for case show, case list --overdue and deadlines --within 10."""
    from cspr.engine.definition.workdays import WorkingCalendar

    limit = WorkingCalendar().add_working_days(dt.date.fromisoformat(TODAY), 10).isoformat()
    overdue_sql = (
        "SELECT c.ref, c.process_id, c.version, c.state, c.state_title, c.stage, c.stage_title, c.final, c.opened_on, "
        "c.last_on, o.n AS overdue FROM case_view c JOIN (SELECT ref, COUNT(*) AS n FROM deadline_view "
        f"WHERE open = 1 AND due < '{TODAY}' GROUP BY ref) o ON o.ref = c.ref ORDER BY c.ref")
    deadlines_sql = ("SELECT d.ref, d.deadline, d.title, d.owner, d.start, d.due, d.warn_from, c.state, c.state_title "
                     f"FROM deadline_view d JOIN case_view c ON c.ref = d.ref WHERE d.open = 1 AND d.due <= '{limit}' "
                     "ORDER BY d.due, d.ref, d.deadline")
    show_sql = f"SELECT * FROM events WHERE case_ref = '{ref}' ORDER BY seq"
    return {"show": show_sql, "list": overdue_sql, "deadlines": deadlines_sql}


def commands(path: str, repeat: int) -> dict[str, float]:
    ref = pick_case(path)
    sql = reference_sql(ref)
    show_sql, overdue_sql, deadlines_sql = sql["show"], sql["list"], sql["deadlines"]
    base = [CSPR, "--db", path]
    return {
        "python_pass": timed([sys.executable, "-c", "pass"], repeat),
        "cspr_help": timed([CSPR, "--help"], repeat),
        "sqlite_utils_help": timed([SQLITE_UTILS, "--help"], repeat),
        "case_show": timed([*base, "case", "show", ref], repeat),
        "case_list_overdue": timed([*base, "case", "list", "--overdue", "--json"], repeat),
        "deadlines_within": timed([*base, "deadlines", "--within", "10", "--json"], repeat),
        "sqlite_utils_show": timed([SQLITE_UTILS, "query", path, show_sql], repeat),
        "sqlite_utils_list": timed([SQLITE_UTILS, "query", path, overdue_sql], repeat),
        "sqlite_utils_deadlines": timed([SQLITE_UTILS, "query", path, deadlines_sql], repeat),
        "replay_seconds": replay_seconds(path),
    }


def replay_seconds(path: str) -> float:
    """`cspr rebuild`: every case replayed from its history (guards, deadlines, projections), one transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copy(path, copy)
        started = time.perf_counter()
        subprocess.run([CSPR, "--db", str(copy), "rebuild"], env=ENV, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def workdays(samples: int = 100_000) -> dict[str, float]:
    import numpy as np

    from cspr.engine.definition.workdays import WorkingCalendar

    calendar = WorkingCalendar()
    holidays = [d for d in calendar.holidays_between(dt.date(1995, 1, 1), dt.date(2065, 12, 31))]
    rng = random.Random(7)
    starts = [dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 40 * 365)) for _ in range(samples)]
    offsets = [rng.choice([rng.randint(1, 30), rng.randint(-30, -1), rng.randint(31, 2500)]) for _ in range(samples)]
    holiday_array = np.array(holidays, dtype="datetime64[D]")
    calendar_np = np.busdaycalendar(holidays=holiday_array)
    ours = [calendar.add_working_days(s, n) for s, n in zip(starts, offsets, strict=True)]
    theirs = [np.busday_offset(np.datetime64(s), n, roll="backward" if n >= 0 else "forward", busdaycal=calendar_np)
              .astype(dt.date) for s, n in zip(starts, offsets, strict=True)]
    disagreements = sum(a != b for a, b in zip(ours, theirs, strict=True))
    calls = 20_000
    pairs = list(zip(starts[:calls], offsets[:calls], strict=True))
    engine_per_call = min(timeit.repeat(lambda: [calendar.add_working_days(s, n) for s, n in pairs], number=1, repeat=5)) / calls
    np_starts = [np.datetime64(s) for s, _ in pairs]
    numpy_per_call = min(timeit.repeat(lambda: [np.busday_offset(s, n, roll="backward" if n >= 0 else "forward",
                                                                 busdaycal=calendar_np)
                                                for s, (_, n) in zip(np_starts, pairs, strict=True)], number=1, repeat=5)) / calls
    short = [(s, 5) for s in starts[:calls]]
    long = [(s, 2500) for s in starts[:calls]]
    short_per_call = min(timeit.repeat(lambda: [calendar.add_working_days(s, n) for s, n in short], number=1, repeat=5)) / calls
    long_per_call = min(timeit.repeat(lambda: [calendar.add_working_days(s, n) for s, n in long], number=1, repeat=5)) / calls
    return {"samples": samples, "disagreements": disagreements, "engine_per_call_us": engine_per_call * 1e6,
            "numpy_per_call_us": numpy_per_call * 1e6, "span_5_per_call_us": short_per_call * 1e6,
            "span_2500_per_call_us": long_per_call * 1e6}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def report(results: dict, sizes: list[int]) -> str:
    small, large = str(sizes[0]), str(sizes[-1])
    at = results["sizes"][large]
    ratios = {
        "case_show_vs_sqlite_utils": at["case_show"] / at["sqlite_utils_show"],
        "case_list_vs_sqlite_utils": at["case_list_overdue"] / at["sqlite_utils_list"],
        "deadlines_vs_sqlite_utils": at["deadlines_within"] / at["sqlite_utils_deadlines"],
        "case_show_growth": at["case_show"] / results["sizes"][small]["case_show"],
        "help_vs_sqlite_utils": at["cspr_help"] / at["sqlite_utils_help"],
        "bulk_vs_raw": at["bulk_entries_per_s"] / at["raw_rows_per_s"],
        "workday_vs_numpy": results["workdays"]["engine_per_call_us"] / results["workdays"]["numpy_per_call_us"],
    }
    results["ratios"] = ratios
    results["targets_met"] = {k: (v >= TARGETS[k] if k in AT_LEAST else v <= TARGETS[k]) for k, v in ratios.items()}
    w = results["workdays"]
    rows = [
        ("`cspr case show` / `sqlite-utils query` (same rows)", "≤ 1.0", ratios["case_show_vs_sqlite_utils"]),
        ("`cspr case list --overdue --json` / `sqlite-utils query`", "≤ 1.0", ratios["case_list_vs_sqlite_utils"]),
        ("`cspr deadlines --within 10 --json` / `sqlite-utils query`", "≤ 1.0", ratios["deadlines_vs_sqlite_utils"]),
        (f"`cspr case show` at {int(large):,} / at {int(small):,} cases", "≤ 1.2", ratios["case_show_growth"]),
        ("`cspr --help` / `sqlite-utils --help`", "≤ 0.5", ratios["help_vs_sqlite_utils"]),
        ("bulk load through the engine / raw `executemany` (entries/s)", "≥ 0.05", ratios["bulk_vs_raw"]),
        ("working-day sum per call / `numpy.busday_offset`", "≤ 1.0", ratios["workday_vs_numpy"]),
    ]
    lines = [
        "# Benchmark results", "",
        f"Run {results['date']} on {results['machine']}.",
        f"Command: `{results['command']}`. cspr's modules are byte-compiled first, as pip compiles an installed "
        "package (sqlite-utils and click, the references, are installed so).", "",
        f"Targets at {int(large):,} cases (each a ratio against a reference measured in the same run):", "",
        "| measure | target | ratio | met |", "|---|---|---|---|",
    ]
    for (name, target, value), key in zip(rows, ratios, strict=True):
        lines.append(f"| {name} | {target} | {value:.3f} | {'yes' if results['targets_met'][key] else '**no**'} |")
    lines += ["", f"Working days: engine {w['engine_per_call_us']:.2f} µs per call, numpy {w['numpy_per_call_us']:.2f} µs; "
              f"span of 5 days {w['span_5_per_call_us']:.2f} µs, span of 2,500 days {w['span_2500_per_call_us']:.2f} µs "
              f"(constant time); {w['disagreements']} disagreements with numpy on {w['samples']:,} random inputs.", "",
              "## By size (wall times are medians, in milliseconds)", "",
              "| cases | entries | bulk load entries/s | raw insert rows/s | rebuild entries/s | python -c pass "
              "| cspr --help | sqlite-utils --help | case show | sqlite-utils (show) | case list --overdue "
              "| sqlite-utils (list) | deadlines --within 10 | sqlite-utils (deadlines) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size in sizes:
        r = results["sizes"][str(size)]

        def ms(key: str, r: dict[str, float] = r) -> str:
            return f"{r[key] * 1000:.0f}"

        lines.append(f"| {size:,} | {r['entries']:,} | {r['bulk_entries_per_s']:,.0f} | {r['raw_rows_per_s']:,.0f} | "
                     f"{r['entries'] / r['replay_seconds']:,.0f} | {ms('python_pass')} | {ms('cspr_help')} | "
                     f"{ms('sqlite_utils_help')} | {ms('case_show')} | "
                     f"{ms('sqlite_utils_show')} | {ms('case_list_overdue')} | {ms('sqlite_utils_list')} | "
                     f"{ms('deadlines_within')} | {ms('sqlite_utils_deadlines')} |")
    growth = {k: results["sizes"][large][k] / results["sizes"][small][k]
              for k in ("case_show", "case_list_overdue", "deadlines_within", "sqlite_utils_list", "sqlite_utils_deadlines")}
    lines += ["", f"Growth from {int(small):,} to {int(large):,} cases: "
              + ", ".join(f"{k} ×{v:.2f}" for k, v in growth.items()) + ".", ""]
    results["growth"] = growth
    if "postgresql" in results:
        lines += postgresql_report(results)
    return "\n".join(lines)


def postgresql_report(results: dict) -> list[str]:
    pg = results["postgresql"]
    sizes = sorted(pg["sizes"], key=int)
    copied = [s for s in sizes if pg["sizes"][s]["how"] == "copied"]
    small, large, compared = sizes[0], sizes[-1], copied[-1]
    at = pg["sizes"][compared]
    ratios = {
        "pg_case_show_vs_sqlite_utils": at["case_show"] / at["sqlite_utils_show"],
        "pg_case_list_vs_sqlite_utils": at["case_list_overdue"] / at["sqlite_utils_list"],
        "pg_case_show_growth": pg["sizes"][large]["case_show"] / pg["sizes"][small]["case_show"],
        "pg_writes_vs_pgbench": pg["writes"]["per_s"] / pg["pgbench"]["tps"],
    }
    extra = {"pg_deadlines_vs_sqlite_utils": at["deadlines_within"] / at["sqlite_utils_deadlines"]}
    met = {k: (v >= TARGETS[k] if k in AT_LEAST else v <= TARGETS[k]) for k, v in ratios.items()}
    results["ratios"].update(ratios | extra)
    results["targets_met"].update(met)
    w, b = pg["writes"], pg["pgbench"]
    rows = [
        (f"`cspr case show` on PostgreSQL / `sqlite-utils query` on the SQLite copy, {int(compared):,} cases",
         "≤ 1.0", ratios["pg_case_show_vs_sqlite_utils"], met["pg_case_show_vs_sqlite_utils"]),
        (f"`cspr case list --overdue --json` on PostgreSQL / `sqlite-utils query`, {int(compared):,} cases", "≤ 1.0",
         ratios["pg_case_list_vs_sqlite_utils"], met["pg_case_list_vs_sqlite_utils"]),
        (f"`cspr deadlines --within 10 --json` on PostgreSQL / `sqlite-utils query`, {int(compared):,} cases",
         "(reported)", extra["pg_deadlines_vs_sqlite_utils"], None),
        (f"`cspr case show` on PostgreSQL at {int(large):,} / at {int(small):,} cases", "≤ 1.2",
         ratios["pg_case_show_growth"], met["pg_case_show_growth"]),
        (f"{w['writers']} writers on distinct cases (commands/s) / `pgbench -c {b['clients']} -T {b['seconds']}` (tps)",
         "≥ 0.25 (aim)", ratios["pg_writes_vs_pgbench"], met["pg_writes_vs_pgbench"]),
    ]
    lines = ["## PostgreSQL", "",
             f"PostgreSQL {pg['server']} started for the run from Debian's binaries (fsync on, shared_buffers 512MB), "
             "on the same machine, through a Unix socket.", "",
             "| measure | target | ratio | met |", "|---|---|---|---|"]
    for name, target, value, ok in rows:
        lines.append(f"| {name} | {target} | {value:.3f} | {'-' if ok is None else ('yes' if ok else '**no**')} |")
    lines += ["", f"Writes: {w['commands']:,} commands in {w['seconds']} s by {w['writers']} writer processes "
              f"({w['per_s']:,.0f} a second, each one transaction: read and replay the case, check, project, append; "
              f"{w['entries']:,} entries; audit verify {'passed' if w['verified'] else '**failed**'}); "
              f"pgbench {b['tps']:,.0f} transactions a second.", "",
              "| cases | entries | loaded | entries/s | case show | sqlite-utils (show) | case list --overdue "
              "| sqlite-utils (list) | deadlines --within 10 | sqlite-utils (deadlines) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for size in sizes:
        r = pg["sizes"][size]

        def ms(key: str, r: dict = r) -> str:
            return f"{r[key] * 1000:.0f}" if key in r else "-"

        lines.append(f"| {int(size):,} | {r['entries']:,} | {r['how']} in {r['load_seconds']:.0f} s | "
                     f"{r['entries_per_s']:,.0f} | {ms('case_show')} | {ms('sqlite_utils_show')} | "
                     f"{ms('case_list_overdue')} | {ms('sqlite_utils_list')} | {ms('deadlines_within')} | "
                     f"{ms('sqlite_utils_deadlines')} |")
    return lines + [""]


def compile_sources() -> None:
    """Byte-compile cspr's own modules before timing, as pip does when it installs a package.

    The references (sqlite-utils, click) are installed, so their bytecode is on disk. cspr is installed
    editable, from this tree: with ``PYTHONDONTWRITEBYTECODE`` set (as on some machines and CI runners)
    each of its commands would compile its sources again on every run, and the ratios would time the
    compiler instead of cspr (about 60 ms a command on 2 cores)."""
    root = HERE.parent
    folders = [str(root / name) for name in ("cspr", "engine", "cspr_cli", "web")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--pg-sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="PostgreSQL sizes; a size with no SQLite copy is generated in place (add 1000000 for "
                             "the million-case run: about 30 minutes more on 2 cores).")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--write-seconds", type=int, default=30)
    parser.add_argument("--no-postgresql", action="store_true", help="Only the SQLite figures.")
    args = parser.parse_args()
    results = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
               "command": "python bench/bench.py " + " ".join(sys.argv[1:]), "sizes": {}}
    paths: dict[int, str] = {}
    compile_sources()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            print(f"building {size:,} cases...", flush=True)
            built = build(size, Path(tmp))
            built["bulk_entries_per_s"] = built["entries"] / built["build_seconds"]
            built["raw_rows_per_s"] = raw_insert_rate(built["path"])
            print(f"  {built['entries']:,} entries; timing commands...", flush=True)
            built.update(commands(built["path"], args.repeat))
            paths[size] = built.pop("path")
            results["sizes"][str(size)] = built
        print("working-day arithmetic against numpy...", flush=True)
        results["workdays"] = workdays()
        if not args.no_postgresql:
            import on_postgresql

            # the case shown at every size: the longest open one among the smallest copied database's cases,
            # which the same seed makes identical in every larger database
            copied = [size for size in args.pg_sizes if size in paths]
            ref = pick_case(paths[copied[0]]) if copied else pick_case(paths[args.sizes[0]])
            results["postgresql"] = on_postgresql.run(
                {size: paths[size] for size in copied}, args.pg_sizes, ref,
                {size: reference_sql(ref) for size in copied}, args.repeat, args.writers, args.write_seconds, ENV)
    text = report(results, args.sizes)
    args.out.mkdir(parents=True, exist_ok=True)
    results_md = args.out / "RESULTS.md"
    web_mark = "<!-- web benchmark -->"  # bench/web.py's section, measured in its own run: kept
    kept = results_md.read_text().partition(web_mark) if results_md.exists() else ("", "", "")
    results_md.write_text(text + ("\n" + kept[1] + kept[2] if kept[1] else ""))
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
