"""A real browser for tests: Debian's Chromium driven by Playwright for Python, and axe-core
(from the npm registry, kept in a cache folder) to check every page at WCAG 2.2 AA.

Each piece is looked for when first needed; a missing one skips the tests that need it with
a message saying how to get it, or fails them under CSPR_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path
from typing import Any

from ..conftest import ROOT
from .services import unavailable

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
AXE_VERSION = "4.14.1"  # pinned: a new release may add rules; update on purpose
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def adopt_orphans() -> None:
    """Make this test process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    Chromium forks helpers (the crash handler, the zygote) that outlive their parent; without this they
    are handed to PID 1, which in a container may never reap them, leaving defunct Chromium processes
    behind. Adopted, they are reaped by :func:`reap_chromium` when the browser closes."""
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap_chromium(timeout: float = 10.0) -> list[str]:
    """Wait for this process's Chromium children that have exited (adopted orphans included) and reap them;
    return any Chromium process of ours still there afterwards, defunct or running."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        ours = _chromium_children()
        for pid, state, _ in ours:
            if state == "Z":
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        left = _chromium_children()
        if not left or time.monotonic() > deadline:
            return [f"{pid} {state} {name}" for pid, state, name in left]
        time.sleep(0.1)


def _chromium_children() -> list[tuple[int, str, str]]:
    """(pid, state, name) of each Chromium process whose parent is this process."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        state, parent = stat[stat.rindex(")") + 2:].split()[:2]
        if int(parent) == me and "chrom" in name.lower():
            found.append((int(entry.name), state, name))
    return found


def chromium() -> str:
    path = os.environ.get("CSPR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not os.access(path, os.X_OK):
        unavailable("Chromium is not installed", "install Debian's chromium package (apt-get install chromium), "
                    "as .ci/run does, or name another build in CSPR_CHROMIUM")
    return path


def playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed", "run 'make test', which installs the test extras")
    return sync_playwright


def output_dir(name: str) -> Path:
    """Where a test run's files go (screenshots): $CSPR_TEST_OUTPUT, else test-output/ in the checkout."""
    folder = Path(os.environ.get("CSPR_TEST_OUTPUT") or ROOT / "test-output") / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cache() -> Path:
    base = os.environ.get("CSPR_TEST_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cspr-tests"


@cache
def axe_source() -> str:
    """axe-core's browser script, installed from the npm registry into the cache on first use."""
    folder = _cache() / f"axe-core-{AXE_VERSION}"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if not npm:
            unavailable("npm is not installed, so axe-core cannot be fetched for the accessibility checks",
                        "install Debian's npm package (apt-get install npm), as .ci/run does")
        folder.mkdir(parents=True, exist_ok=True)
        run: subprocess.CompletedProcess[str] | None = None
        for attempt in range(3):  # a blip on the network must not fail every accessibility check
            if attempt:
                time.sleep(5 * attempt)
            try:
                run = subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--no-save",
                                      "--ignore-scripts", f"axe-core@{AXE_VERSION}"],
                                     capture_output=True, text=True, timeout=150, check=False)
            except subprocess.TimeoutExpired:
                run = None
            if run is not None and run.returncode == 0 and script.is_file():
                break
        if run is None or run.returncode != 0 or not script.is_file():
            why = "timed out" if run is None else (run.stderr.strip().splitlines() or ["no output"])[-1]
            unavailable(f"axe-core {AXE_VERSION} could not be installed from the npm registry ({why})",
                        "check that registry.npmjs.org can be reached, or set CSPR_TEST_CACHE to a folder holding it")
    installed = json.loads((script.parent / "package.json").read_text())["version"]
    assert installed == AXE_VERSION, f"{script} is axe-core {installed}, not {AXE_VERSION}"
    return script.read_text()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page (it needs no permission from the page's Content-Security-Policy:
    Playwright evaluates in the page from outside) and return the violations at WCAG 2.2 AA."""
    page.evaluate(axe_source())
    result: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }""",
        AXE_TAGS,
    )
    return result
