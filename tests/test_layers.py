"""Layers show in the folders, and a layer imports only the layers below it (DESIGN §1)."""

from __future__ import annotations

import ast

from tests.conftest import REPO

ORDER = ["scenario", "catalog", "estimators", "engine", "analysis", "render", "cli"]
PACKAGE = REPO / "src" / "buildorbuy"


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("buildorbuy."):
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("buildorbuy."):
                    yield alias.name


def test_no_layer_imports_a_higher_one():
    problems = []
    for level, layer in enumerate(ORDER):
        for path in (PACKAGE / layer).rglob("*.py"):
            for module in _imports(path):
                target = module.split(".")[1]
                if target in ORDER and ORDER.index(target) > level:
                    problems.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not problems, problems
