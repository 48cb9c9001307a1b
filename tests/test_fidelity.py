"""The Pan Lancashire process against its sources (issue 11): citations, corrections, the record of history."""

from __future__ import annotations

import hashlib

import pytest

from cspr.engine.definition.catalog import resolve, shipped
from cspr.engine.definition.describe import citation_verified
from cspr.engine.definition.readings import citations, unverified

from .conftest import ROOT

CORRECTED = ["2018.2", "2022.2", "2023.2", "2025.2"]
# Sources no paragraph of which was read in the primary text (the law notes): never cited as verified.
NEVER_READ = {"wt2018", "wt2023", "wt2026", "panel_guidance_2025"}


@pytest.mark.parametrize("version", CORRECTED)
def test_every_state_has_a_citation(version):
    definition = resolve(f"cspr_pan_lancashire@{version}")
    assert [s for s, state in definition.states.items() if state.cite is None] == []


@pytest.mark.parametrize("version", CORRECTED)
def test_no_unread_guidance_is_cited_as_verified_and_every_unverified_reading_says_why(version):
    definition = resolve(f"cspr_pan_lancashire@{version}")
    wrongly_verified = [where for where, _, cite in citations(definition)
                        if cite.source in NEVER_READ and citation_verified(definition, cite)]
    assert wrongly_verified == []
    assert all(definition.sources[s].verified is False for s in NEVER_READ if s in definition.sources)
    assert [item["where"] for item in unverified(definition) if not item["note"]] == []


@pytest.mark.parametrize("version", CORRECTED)
def test_s16c_is_never_cited_as_read(version):
    definition = resolve(f"cspr_pan_lancashire@{version}")
    assert [where for where, _, cite in citations(definition)
            if cite.section and "16C" in cite.section and citation_verified(definition, cite)] == []


def test_the_uncorrected_2025_edition_moved_byte_for_byte():
    moved = (ROOT / "processes" / "history" / "cspr_pan_lancashire_panel2025.yaml").read_bytes()
    assert hashlib.sha256(moved).hexdigest() == "b23af97c73c497313d538b1d92adff1e876a1eb15979e563b81d958a3d20aff0"
    assert resolve("cspr_pan_lancashire@2025.1").content_hash == \
        "sha256:e598799933621e9a848278f09c66174f11db63122deb362c7fc0c201f4ac568e"


def test_the_2018_editions_say_they_predate_the_pan_lancashire_arrangements():
    description = resolve("cspr_pan_lancashire@2018.2").description or ""
    assert "29 September 2019" in description


def test_every_uncorrected_edition_is_superseded_by_its_correction_and_still_shipped():
    versions = {d.version: d for d in shipped() if d.id == "cspr_pan_lancashire"}
    for new in CORRECTED:
        old = versions[new].supersedes
        assert old in versions and versions[old].effective_from == versions[new].effective_from
