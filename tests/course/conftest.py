"""Fixtures for the course tests."""

import os
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def venv_on_path(monkeypatch):
    """nbgrader runs `alembic` and kernels from PATH: put this Python's folder first."""
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
