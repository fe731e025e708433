"""Each package declares what it imports, and the environments install what CI tested.

Three packages, three audiences (README): `handnet` is the students' wheel
(packaging/student/pyproject.toml), `handnet_ref` and `handnet_grader` the instructor's
install (pyproject.toml; the grader's dependencies are its `grader` extra). A module that
imports a third-party package its distribution does not declare works here, where one venv
holds everything, and breaks in the environment that installs only that package.

requirements.lock pins the instructor's whole environment (transitive dependencies
included), requirements-student.lock the students': `make` installs each requirements file
under its lock, so a fresh clone next year installs what CI tested. `make lock` rewrites
them after a requirements file changes. (tests/student checks the built .venv-student
against its lock.)
"""

import ast
import importlib.metadata
import re
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"handnet", "handnet_ref", "handnet_grader"}


def _normal(name):
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement):
    return _normal(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0])


def _optional(node, parents):
    """Whether an import sits in a `try:` whose handler catches ImportError."""
    for parent in parents:
        if isinstance(parent, ast.Try) and node in ast.walk(ast.Module(parent.body, [])):
            for handler in parent.handlers:
                caught = ast.unparse(handler.type) if handler.type is not None else ""
                if "ImportError" in caught or "ModuleNotFoundError" in caught:
                    return True
    return False


def third_party_imports(package):
    """{top-level module name: first 'file:line' importing it} for the package's modules,
    leaving out the standard library, first-party packages and imports guarded by
    `except ImportError`."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                parents[child] = parent
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            chain, up = [], parents.get(node)
            while up is not None:
                chain.append(up)
                up = parents.get(up)
            if _optional(node, chain):
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in FIRST_PARTY or top == "__main__":
                    continue
                found.setdefault(top, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def declared(pyproject, extras=()):
    """The normalised distribution names a pyproject.toml declares (and those extras)."""
    project = tomllib.loads((ROOT / pyproject).read_text())["project"]
    names = {_requirement_name(r) for r in project.get("dependencies", [])}
    for extra in extras:
        names |= {_requirement_name(r) for r in project["optional-dependencies"][extra]}
    return names


def pinned(requirements):
    """{normalised name: version} of a pip requirements file's `name==version` lines."""
    pins = {}
    for line in (ROOT / requirements).read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_requirement_name(name)] = version.split(";")[0].strip()
    return pins


DISTRIBUTIONS = importlib.metadata.packages_distributions()

PACKAGES = [
    # (package, the pyproject that installs it, the extras its modules may use)
    ("handnet", "packaging/student/pyproject.toml", ("exchange",)),
    ("handnet_ref", "pyproject.toml", ()),
    ("handnet_grader", "pyproject.toml", ("grader",)),
]


@pytest.mark.parametrize("package, pyproject, extras", PACKAGES, ids=[p[0] for p in PACKAGES])
def test_every_third_party_import_is_declared(package, pyproject, extras):
    allowed = declared(pyproject, extras)
    missing = {}
    for module, where in third_party_imports(package).items():
        dists = {_normal(d) for d in DISTRIBUTIONS.get(module, [module])}
        if not dists & allowed:
            missing[module] = where
    assert not missing, f"{package} imports what {pyproject} does not declare: {missing}"


def test_the_scanner_sees_a_plain_import_and_skips_a_guarded_one(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "import os\nimport yaml\ntry:\n    import tomli_w\nexcept ImportError:\n    pass\n"
        "def f():\n    from scipy import linalg\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert set(third_party_imports("pkg")) == {"yaml", "scipy"}


@pytest.mark.parametrize(
    "pyproject, requirements",
    [
        ("pyproject.toml", "requirements.txt"),
        ("packaging/student/pyproject.toml", "requirements-student.txt"),
    ],
)
def test_every_declared_dependency_is_pinned(pyproject, requirements):
    project = tomllib.loads((ROOT / pyproject).read_text())["project"]
    extras = project.get("optional-dependencies", {})
    names = declared(pyproject, extras)
    unpinned = names - set(pinned(requirements))
    assert not unpinned, f"{pyproject} declares {sorted(unpinned)}, not pinned in {requirements}"


@pytest.mark.parametrize(
    "requirements, lock",
    [
        ("requirements.txt", "requirements.lock"),
        ("requirements-student.txt", "requirements-student.lock"),
    ],
)
def test_the_lock_pins_every_requirement_at_the_same_version(requirements, lock):
    locked, wanted = pinned(lock), pinned(requirements)
    differ = {n: (v, locked.get(n)) for n, v in wanted.items() if locked.get(n) != v}
    assert not differ, f"{requirements} and {lock} disagree (run `make lock`): {differ}"


def test_the_environment_is_what_the_lock_says():
    """Run in the venv `make` builds: every installed distribution is locked, at its
    locked version (pip, the venv's own, and the editable handnet excepted)."""
    lock = pinned("requirements.lock")
    # Only site-packages: once setuptools is imported, its vendored packages' metadata is on
    # sys.path too, and those are not installed.
    site_packages = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    installed = {
        _normal(d.metadata["Name"]): d.version
        for d in importlib.metadata.distributions(path=site_packages)
    }
    if "handnet" not in installed or "pytest" not in installed:
        pytest.skip("not the instructor's venv")
    for own in ("pip", "handnet"):
        installed.pop(own, None)
    unlocked = sorted(set(installed) - set(lock))
    wrong = {
        n: (installed[n], lock[n]) for n in set(installed) & set(lock) if installed[n] != lock[n]
    }
    assert not unlocked, f"installed but not in requirements.lock (run `make lock`): {unlocked}"
    assert not wrong, f"installed version differs from requirements.lock: {wrong}"
