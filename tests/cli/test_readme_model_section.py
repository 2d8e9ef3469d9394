"""README's "The model in brief": each rule stated once (a merge once left a bullet twice, one half-cut)."""

from __future__ import annotations

from tests.conftest import REPO


def test_model_in_brief_has_no_repeated_or_empty_bullets():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## The model in brief", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    bullets = [line[:60] for line in lines if line.startswith("- ")]
    assert len(bullets) == len(set(bullets)), [b for b in bullets if bullets.count(b) > 1]
    for i, line in enumerate(lines[:-1]):  # a bullet ending in a comma continues on the next line
        if line.startswith("- ") and line.rstrip().endswith(","):
            assert lines[i + 1].startswith("  "), line
