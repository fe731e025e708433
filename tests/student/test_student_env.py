"""The students' environment, ``.venv-student`` (``make student-env``): the public handnet
package installed from its wheel, and nothing of the grader, the reference or the solutions.

Every check runs the student Python in a fresh temporary folder (the repository's own
handnet/ would shadow the install), without any PYTHON* variable and with a HOME of its
own, so neither the repository nor the instructor's settings can stand in for what is
installed. Deselect with ``-m "not student_env"``.
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from solution_lines import leaks, solution_lines

REPO = Path(__file__).resolve().parents[2]  # tests/student/ -> the repository
VENV = REPO / ".venv-student"
STUDENT_PYTHON = VENV / "bin" / "python"
BASE_PYTHON = Path("/usr/bin/python3")  # the Makefile's STUDENT_PYTHON
SOURCE = REPO / "source"
FORBIDDEN = ("handnet_ref", "handnet_grader")
NOBODY = 65534

pytestmark = pytest.mark.student_env


@pytest.fixture(scope="module")
def site_packages():
    """Build .venv-student with ``make student-env`` (once per session); its site-packages."""
    if not BASE_PYTHON.exists():
        pytest.skip(
            f"{BASE_PYTHON} is missing: make student-env builds the students' environment from it"
        )
    done = subprocess.run(
        ["make", "student-env"], cwd=REPO, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, (
        f"make student-env failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return next(VENV.glob("lib/python3*/site-packages"))


def run_student(args, folder):
    """Run ``args`` (a command of .venv-student) in ``folder``, with HOME there and no PYTHON*."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["HOME"] = str(folder)
    return subprocess.run(
        [str(arg) for arg in args], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


def test_handnet_is_imported_from_the_installed_wheel(site_packages, tmp_path):
    """Do handnet and its modules import in the student Python, from its site-packages
    (an installed wheel, not an editable install pointing at the repository)?"""
    done = run_student(
        [
            STUDENT_PYTHON,
            "-c",
            "import handnet, handnet.mnist, handnet.plots, handnet.probe; print(handnet.__file__)",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    location = Path(done.stdout.strip())
    assert location == site_packages / "handnet" / "__init__.py"
    assert not location.is_relative_to(REPO / "handnet")


@pytest.mark.parametrize("module", FORBIDDEN)
def test_grader_and_reference_cannot_be_imported(site_packages, tmp_path, module):
    """Does importing handnet_ref or handnet_grader in the student Python fail with
    ModuleNotFoundError?"""
    done = run_student([STUDENT_PYTHON, "-c", f"import {module}"], tmp_path)
    assert done.returncode != 0
    assert f"ModuleNotFoundError: No module named '{module}'" in done.stderr


def test_no_grader_or_reference_file_is_installed(site_packages):
    """Is there no file or folder named handnet_ref* or handnet_grader* anywhere in
    .venv-student (no package, dist-info, .pth or script of theirs)?"""
    found = [
        Path(folder, name)
        for folder, folders, files in os.walk(VENV)
        for name in folders + files
        if name.startswith(FORBIDDEN)
    ]
    assert found == []


def test_no_solution_line_is_installed(site_packages):
    """Does no line of a solution in source/ appear in any installed file of handnet or
    its dist-info?"""
    solutions = solution_lines(SOURCE)
    assert len(solutions) > 50, "too few solution lines found in source/ to prove anything"
    installed = sorted(site_packages.glob("handnet*"))
    assert site_packages / "handnet" in installed
    assert any(path.name.endswith(".dist-info") for path in installed)
    assert leaks(solutions, installed) == []


def test_scanner_finds_a_planted_solution_line(tmp_path):
    """Does the leak scanner find a solution line planted, re-indented and with doubled
    spaces, in a file (so the test above can fail)?"""
    planted = sorted(solution_lines(SOURCE))[0]
    leak = tmp_path / "handnet" / "leak.py"
    leak.parent.mkdir()
    leak.write_text("def helper():\n        " + planted.replace(" ", "  ") + "\n", encoding="utf-8")
    assert leaks({planted}, [tmp_path]) == [(leak, planted)]


def test_nbgrader_student_extensions_are_enabled(site_packages, tmp_path):
    """Are nbgrader's server extensions for students (the assignment list, validate) and
    its JupyterLab extension enabled in the student environment?"""

    def listing(*args):
        done = run_student([VENV / "bin" / "jupyter", *args], tmp_path)
        assert done.returncode == 0, done.stderr
        return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # no colours

    servers = listing("server", "extension", "list")
    for extension in ("assignment_list", "validate_assignment"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension} enabled", servers), servers
    assert re.search(r"@jupyter/nbgrader v\S+ enabled OK", listing("labextension", "list"))


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="switching to another account needs root and setpriv",
)
def test_another_account_can_run_the_student_python(site_packages):
    """Can an account other than the one that built .venv-student (nobody) run its Python
    and import handnet?"""
    folder = Path(tempfile.mkdtemp(prefix="handnet-nobody-"))
    try:
        os.chown(folder, NOBODY, NOBODY)
        done = run_student(
            [
                "setpriv",
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                STUDENT_PYTHON,
                "-c",
                "import handnet.mnist, handnet.plots, handnet.probe",
            ],
            folder,
        )
    finally:
        shutil.rmtree(folder)
    assert done.returncode == 0, done.stderr


def test_the_environment_is_what_the_lock_says(site_packages, tmp_path):
    """Every distribution in .venv-student is in requirements-student.lock, at its locked
    version (the venv's own pip and setuptools, and the handnet wheel, excepted)."""
    lock = {}
    for line in (REPO / "requirements-student.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            lock[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    listed = run_student(
        [
            STUDENT_PYTHON,
            "-c",
            "import importlib.metadata as m\n"
            "for d in m.distributions(): print(d.metadata['Name'], d.version)",
        ],
        tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    installed = {
        re.sub(r"[-_.]+", "-", name).lower(): version
        for name, version in (line.split() for line in listed.stdout.splitlines())
    }
    for own in ("pip", "setuptools", "handnet"):
        installed.pop(own, None)
    assert set(installed) <= set(lock), (
        f"installed but not locked (run `make lock`): {sorted(set(installed) - set(lock))}"
    )
    wrong = {n: (v, lock[n]) for n, v in installed.items() if v != lock[n]}
    assert not wrong, f"installed version differs from requirements-student.lock: {wrong}"
