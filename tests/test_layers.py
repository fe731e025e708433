"""The layers between the three packages, checked on every import statement:

- ``handnet`` (students' environments, grading kernels) imports neither the grader nor
  the reference;
- ``handnet_ref`` (the reference and its checks) does not import the grader.

Imports inside functions count as well, and so do module names given as strings to
``importlib.import_module`` or ``__import__``.
"""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {"handnet": ("handnet_grader", "handnet_ref"), "handnet_ref": ("handnet_grader",)}


def imported_names(path):
    """(line, module name) of every import in a file: statements, and string arguments of
    ``import_module(...)`` and ``__import__(...)``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in ("import_module", "__import__")
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(package):
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, name in imported_names(path):
            if name.split(".")[0] in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_its_own_layer(package):
    """Does no module of the package import a package it must not know about?"""
    assert violations(package) == []


def test_the_layer_check_finds_a_forbidden_import(tmp_path, monkeypatch):
    """Would a student module that imports the reference be caught (by an import
    statement, a from-import inside a function, or importlib with a string)?"""
    planted = tmp_path / "handnet"
    planted.mkdir()
    (planted / "leak.py").write_text(
        "import handnet_ref.network\n"
        "def f():\n    from handnet_grader.sandbox import sandbox_command\n"
        "import importlib\nx = importlib.import_module('handnet_ref.checks')\n"
    )
    monkeypatch.setattr(__import__(__name__), "REPO", tmp_path)
    assert len(violations("handnet")) == 3
