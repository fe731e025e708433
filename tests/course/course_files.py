"""The course's files, for the course tests."""

import contextlib
import os
import shutil
from pathlib import Path

from handnet_grader.course.root import assignments, put_python_first

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = assignments(ROOT)


def notebooks(folder):
    """(assignment, path) of every notebook under folder/<assignment>/."""
    return [(a, nb) for a in ASSIGNMENTS for nb in sorted((ROOT / folder / a).glob("*.ipynb"))]


def copy_course(dest):
    """A copy of the course (its config, source/ and release/) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


@contextlib.contextmanager
def grading_environment(**variables):
    """os.environ with ``variables`` set and the venv's tools first on PATH (nbgrader runs
    ``alembic``), restored afterwards."""
    saved = dict(os.environ)
    os.environ.update(variables)
    put_python_first()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
