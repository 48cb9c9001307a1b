"""A non-editable install finds its schema, processes and web templates wherever it is installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT


def test_non_editable_install_ships_schema_and_processes(tmp_path):
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(target), str(ROOT)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert (target / "cspr" / "schemas" / "process-definition.v1.schema.json").is_file()
    assert (target / "cspr" / "processes" / "cspr_pan_lancashire.yaml").is_file()
    for template in ("page.html", "macros.html", "case.html", "overview.html", "report.css"):
        assert (target / "cspr" / "engine" / "render" / "templates" / template).is_file(), template
    assert (target / "cspr" / "engine" / "py.typed").is_file()
    assert (target / "cspr" / "web" / "templates" / "process.html").is_file()
    assert (target / "cspr" / "web" / "static" / "cspr.css").is_file()

    probe = (
        "import json, cspr.engine.definition.resources as r, cspr.engine.definition.catalog as c;"
        "d = c.resolve(None);"
        "import cspr.engine.render.htmlreport as h, cspr.web.rendering as w;"
        "page = h.render('overview.html', title='t', today='2026-01-01', cases=[], overdue_cases=0, due_this_week=0,"
        " week_working_days=5, overdue_actions=[], generated='now');"
        "w.Renderer('x').env.get_template('process.html');"
        "print(json.dumps([str(r.schema_path()), [str(p) for p in r.process_files()], d.id, str(h.TEMPLATES), page,"
        " str(w.TEMPLATES)]))"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=elsewhere, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert run.returncode == 0, run.stderr
    schema_path, process_paths, process_id, templates, page, web_templates = json.loads(run.stdout)
    assert templates.startswith(str(target)) and page.startswith("<!DOCTYPE html>") and "@page { size: A4" in page
    assert schema_path.startswith(str(target)) and web_templates.startswith(str(target))
    assert process_paths and all(p.startswith(str(target)) for p in process_paths)
    assert process_id == "cspr_pan_lancashire"
