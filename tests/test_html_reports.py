"""The HTML reports: self-contained, and opened in headless Chromium without console errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT, run_cli

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    db = folder / "demo.db"
    assert run_cli("demo", "--db", str(db)).exit_code == 0
    cli = lambda *a: run_cli("--db", str(db), "--today", "2026-06-10", *a)  # noqa: E731
    assert cli("action", "add", "LSBU-2025-031", "Review the <handover> protocol & escalation", "--stage", "rapid_review",
               "--owner", "icb", "--due", "2026-03-31", "--on", "2026-02-02", "--agreed-by", "icb",
               "--agreed-by", "children_social_care", "--agreed-by", "constabulary").exit_code == 0
    case = folder / "case.html"
    overview = folder / "overview.html"
    result = cli("case", "report", "LSBU-2025-031", "--html", str(case))
    assert result.exit_code == 0, result.output
    assert cli("report", "overview", "--html", str(overview)).exit_code == 0
    return {"case": case, "overview": overview, "folder": folder}


@pytest.mark.parametrize("name", ["case", "overview"])
def test_reports_are_self_contained(reports, name):
    html = reports[name].read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert re.findall(r"url\(([^)]*)\)", html) == [u for u in re.findall(r"url\(([^)]*)\)", html) if u.startswith("#")]
    assert "@page { size: A4" in html
    assert oct(reports[name].stat().st_mode & 0o777) == "0o600"


def test_the_case_report_has_every_part(reports):
    html = reports["case"].read_text()
    for words in ("Case LSBU-2025-031", "Deadlines", "Timeline", "Where the case stands in the process", "CURRENT",
                  "Next steps", "Facts", "Criteria", "Agreed actions", "History", "sha256:",
                  "Review the &lt;handover&gt; protocol &amp; escalation", "Rapid review sent to the National Panel"):
        assert words in html, words
    assert html.count("<svg") == 2


def test_the_overview_says_what_is_overdue_and_who_it_waits_on(reports):
    html = reports["overview"].read_text()
    assert "LSBU-2026-015" in html and "Serious incident notification to the National Panel" in html
    assert "Waiting on" in html and "Lancashire Constabulary" in html
    assert "Overdue actions" in html


@pytest.mark.parametrize("name", ["case", "overview"])
def test_reports_open_in_headless_chromium_without_console_errors(reports, name, tmp_path, request):
    from .helpers.browser import adopt_orphans, chromium, reap_chromium

    CHROMIUM = chromium()  # skips saying how to install it, or fails under CSPR_REQUIRE_SERVICES=1
    adopt_orphans()
    request.addfinalizer(lambda: reap_chromium())
    page = reports[name]
    png = tmp_path / f"{name}.png"
    shot = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
                           "--window-size=900,1400", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert png.exists() and png.stat().st_size > 10_000, shot.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    console = [line for line in shot.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    pdf = tmp_path / f"{name}.pdf"
    printed = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", f"--print-to-pdf={pdf}",
                              "--no-pdf-header-footer", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert pdf.exists(), printed.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.92) < 2 and abs(float(h) - 842.88) < 2 for w, h in boxes), boxes[:3]


def test_the_reports_render_through_autoescaped_templates():
    """No hand-placed escape(): the templates escape everything but the SVG the diagrams produce."""
    from cspr.engine.render import htmlreport

    source = (ROOT / "engine" / "render" / "htmlreport.py").read_text()
    assert "from html import" not in source and "escape(" not in source
    env = htmlreport.environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<script>&") == "&lt;script&gt;&amp;"
    templates = sorted(p.name for p in (ROOT / "engine" / "render" / "templates").iterdir())
    assert templates == ["case.html", "macros.html", "overview.html", "page.html", "report.css"]


def test_jinja2_is_imported_only_when_a_report_is_written():
    probe = ("import sys, cspr.engine.render.htmlreport as h; before = 'jinja2' in sys.modules; "
             "h.environment(); print(before, 'jinja2' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_hostile_text_is_escaped_in_every_report(tmp_path):
    db = tmp_path / "hostile.db"
    cli = lambda *a: run_cli("--db", str(db), "--today", "2026-06-10", *a)  # noqa: E731
    assert cli("case", "open", "LSBU-2026-099", "--on", "2026-06-01",
               "--fact", "harm=died", "--fact", "abuse_or_neglect=suspected",
               "--note", '<img src=x onerror="alert(1)"> & </td>').exit_code == 0
    assert cli("case", "note", "LSBU-2026-099", "</table><script>alert(2)</script>").exit_code == 0
    case = tmp_path / "case.html"
    assert cli("case", "report", "LSBU-2026-099", "--html", str(case)).exit_code == 0
    html = case.read_text()
    assert "<script" not in html and "<img" not in html
    assert "&lt;/table&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &lt;/td&gt;" in html
