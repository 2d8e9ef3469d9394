"""The README's example output is the real output (regenerate: COLUMNS=110 buildorbuy compare …)."""

from __future__ import annotations

from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO

MARKER = "Example output (`buildorbuy compare scenarios/enterprise-support.yaml`):\n\n```text\n"


def test_readme_example_output_is_current(monkeypatch):
    monkeypatch.setenv("COLUMNS", "110")
    readme = (REPO / "README.md").read_text()
    start = readme.index(MARKER) + len(MARKER)
    shown = readme[start : readme.index("\n```", start)]
    result = CliRunner().invoke(app, ["compare", str(REPO / "scenarios" / "enterprise-support.yaml")])
    actual = "\n".join(line.rstrip() for line in result.stdout.rstrip().splitlines())
    assert shown == actual, "README example drifted: regenerate it with COLUMNS=110 buildorbuy compare scenarios/enterprise-support.yaml"


def test_readme_python_example_runs(monkeypatch):
    import re

    readme = (REPO / "README.md").read_text()
    code = re.search(r"## Python API\n\n```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(REPO)
    exec(compile(code, "README.md", "exec"), {})



def test_readme_installs_extras_from_the_checkout():
    """The README is read in a checkout: `pip install 'buildorbuy[report]'` would look the package up
    on an index instead of installing the folder, so commands install '.[extra]'."""
    import re

    readme = (REPO / "README.md").read_text()
    commands = [line for line in readme.splitlines() if re.match(r"\s*(\S+ && )*pip install", line) or line.startswith("pip install")]
    assert any("'.[report]'" in line for line in commands)
    assert not any("buildorbuy[" in line for line in commands)
