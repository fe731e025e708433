"""Where the course lives: its root (the folder of ``nbgrader_config.py``), its
assignments, and nbgrader's configuration loaded from that file."""

import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_NAME = "nbgrader_config.py"


class CourseNotFound(Exception):
    """No nbgrader_config.py in the given folder or any folder above it."""


def course_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current directory) that
    holds nbgrader_config.py, so commands work from anywhere inside the course."""
    start = Path(start or os.getcwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise CourseNotFound(
        f"no {CONFIG_NAME} in {start} or any folder above it: run this "
        "inside the course repository."
    )


def assignments(root: str | Path) -> list[str]:
    """Names of the assignments: the folders of source/ that hold a notebook, sorted."""
    source = Path(root) / "source"
    return (
        sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
        if source.is_dir()
        else []
    )


def load_config(root: str | Path) -> Config:
    """nbgrader's traitlets Config from the course's nbgrader_config.py."""
    return PyFileConfigLoader(CONFIG_NAME, path=str(root)).load_config()


def put_python_first() -> None:
    """Put this Python's ``bin`` folder first on PATH, once.

    nbgrader runs the ``alembic`` command when it creates or upgrades a gradebook, and
    starts kernels by name: both must come from the environment nbgrader runs in, also
    when that environment was not activated (``.venv/bin/jupyter lab`` typed as is). Without
    it the formgrader's ``/formgrader/api/assignments`` answers 500 and the page says
    "Loading, please wait…" for ever. ``nbgrader_config.py`` calls this, so every
    nbgrader process of the course (the formgrader, the CLI, ``handnet``) gets it.
    """
    os.environ["PATH"] = python_first_path()


def python_first_path(path: str | None = None) -> str:
    """``path`` (default: $PATH) with this Python's ``bin`` folder first, added once."""
    bin_dir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "") if path is None else path
    if path.split(os.pathsep)[:1] == [bin_dir]:
        return path
    return bin_dir + (os.pathsep + path if path else "")
