"""Where the course lives: its root (the folder of ``nbgrader_config.py``), its
assignments, and nbgrader's configuration loaded from that file."""

import os
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

CONFIG_NAME = "nbgrader_config.py"


class CourseNotFound(Exception):
    """No nbgrader_config.py in the given folder or any folder above it."""


def course_root(start=None):
    """The nearest folder at or above ``start`` (default: the current directory) that
    holds nbgrader_config.py, so commands work from anywhere inside the course."""
    start = Path(start or os.getcwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise CourseNotFound(f"no {CONFIG_NAME} in {start} or any folder above it: run this "
                         "inside the course repository.")


def assignments(root):
    """Names of the assignments: the folders of source/ that hold a notebook, sorted."""
    source = Path(root) / "source"
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb"))) if source.is_dir() else []


def load_config(root):
    """nbgrader's traitlets Config from the course's nbgrader_config.py."""
    return PyFileConfigLoader(CONFIG_NAME, path=str(root)).load_config()
