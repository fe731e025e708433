"""The layers between the three packages, checked on every import statement:

- ``handnet`` (students' environments, grading kernels) imports neither the grader nor
  the reference;
- ``handnet_ref`` (the reference and its checks) does not import the grader;
- within ``handnet_grader``, each room (subpackage) imports only the rooms below it
  (``ROOMS``, as each room's docstring says): a kernel module never imports the run,
  and nothing but the CLI imports the class view.

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
        "def f():\n    from handnet_grader.kernel.sandbox import sandbox_command\n"
        "import importlib\nx = importlib.import_module('handnet_ref.checks')\n"
    )
    monkeypatch.setattr(__import__(__name__), "REPO", tmp_path)
    assert len(violations("handnet")) == 3


# handnet_grader's rooms and the rooms each may import (its own always); ``cli`` may
# import every room. Imports under ``if TYPE_CHECKING:`` count as well.
ROOMS = {
    "notebook": set(),
    "course": {"notebook"},
    "trust": {"notebook"},
    "kernel": {"notebook", "trust"},
    "run": {"notebook", "course", "trust"},
    "cluster": {"course", "run"},
    "server": {"kernel"},
    "feedback": {"notebook", "run", "server"},
    "classview": {"notebook", "course", "run"},
    "service": {"course", "run"},
}


def room_violations(root=REPO):
    """``"path:line imports module"`` for each import of a grader room its room may not
    import, relative imports resolved."""
    package = root / "handnet_grader"
    bad = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        room = parts[0] if len(parts) > 1 else None  # None: cli and the package itself
        if room is None:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                base = ["handnet_grader", *parts[:-1]]
                if node.level:
                    base = base[: len(base) - (node.level - 1)]
                    target = base + (node.module.split(".") if node.module else [])
                    names = [target] if node.module else [[*target, a.name] for a in node.names]
                elif node.module:
                    names = [node.module.split(".")]
            elif isinstance(node, ast.Import):
                names = [a.name.split(".") for a in node.names]
            for name in names:
                if name[0] != "handnet_grader" or len(name) < 2:
                    continue
                other = name[1]
                if other != room and other not in ROOMS[room]:
                    where = path.relative_to(root)
                    bad.append(f"{where}:{node.lineno} imports {'.'.join(name)}")
    return bad


def test_every_grader_module_lives_in_a_known_room():
    """Is every subpackage of handnet_grader a room with rules, and every room there?"""
    package = REPO / "handnet_grader"
    found = {p.parent.name for p in package.glob("*/__init__.py")}
    assert found == set(ROOMS)
    assert {p.stem for p in package.glob("*.py")} == {"__init__", "cli"}


def test_each_grader_room_imports_only_the_rooms_below_it():
    """Does each room of handnet_grader import only the rooms ROOMS allows it?"""
    assert room_violations() == []


def test_the_room_check_finds_an_import_from_a_room_above(tmp_path):
    """Would a kernel module that imports the run (relatively, or absolutely inside a
    function) be caught, and a module importing the class view?"""
    for room in ROOMS:
        (tmp_path / "handnet_grader" / room).mkdir(parents=True)
    kernel = tmp_path / "handnet_grader" / "kernel"
    (kernel / "leak.py").write_text(
        "from ..run.records import Record\nfrom . import sandbox\n"
        "def f():\n    import handnet_grader.run.driver\n"
    )
    (tmp_path / "handnet_grader" / "run" / "peek.py").write_text("from ..classview import view\n")
    assert room_violations(tmp_path) == [
        "handnet_grader/kernel/leak.py:1 imports handnet_grader.run.records",
        "handnet_grader/kernel/leak.py:4 imports handnet_grader.run.driver",
        "handnet_grader/run/peek.py:1 imports handnet_grader.classview",
    ]
