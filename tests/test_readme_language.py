"""The README's language-2 examples are valid: each ```yaml block of its 'Language 2' section, laid over
the third test process (each key it gives replacing the process's own), must still load."""

from __future__ import annotations

import re

import yaml

from cspr.engine.definition.loader import check_text

from .conftest import ROOT

PROCESS = ROOT / "tests" / "fixtures" / "processes" / "dhr.yaml"


def examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Language 2\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_the_language_2_section_has_an_example_of_each_feature():
    joined = "\n".join(examples())
    for key in ("parties:", "tasks:", "all_received", "extension:", "pauses:", "occurrence: each", "roll:", "late_in:",
                "latest:", "derive:", "at_least:", "consistency:", "when:"):
        assert key in joined, key


def test_every_language_2_example_is_part_of_a_valid_definition():
    for example in examples():
        base = yaml.safe_load(PROCESS.read_text())
        for key, value in yaml.safe_load(example).items():
            base[key] = {**base[key], **value} if isinstance(value, dict) else value
        definition, problems = check_text(yaml.safe_dump(base, sort_keys=False), "README example")
        assert problems == [], (example, [str(p) for p in problems])
        assert definition is not None and definition.language_version == 2
