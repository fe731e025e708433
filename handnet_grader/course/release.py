"""Build student releases from source/ with nbgrader, and compare two releases."""

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from .gradebook import prepare_gradebook, setting_up
from .root import assignments, load_config


class ReleaseError(Exception):
    """nbgrader could not generate a release; the message carries its log."""


@contextlib.contextmanager
def _in_folder(folder):
    """nbgrader's converters change the working directory; put it back afterwards."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def generate_release(
    root: str | Path,
    names: Sequence[str] | None = None,
    release_dir: str | Path | None = None,
    use_db: bool = True,
) -> Path:
    """Run nbgrader generate_assignment for ``names`` (default: every assignment).

    release_dir: where to write (default: the course's release/); use_db: record the
    assignment in the gradebook (needed before autograding; off for throwaway builds).
    Returns the release folder. Raises ReleaseError with nbgrader's log on failure, and
    GradebookUnavailable before generating anything when ``use_db`` and the gradebook's
    database cannot be reached.
    """
    root = Path(root)
    config = load_config(root)
    if release_dir is not None:
        config.CourseDirectory.release_directory = str(Path(release_dir).resolve())
    config.GenerateAssignment.no_database = not use_db
    config.SaveCells.enabled = use_db  # what nbgrader's --no-db flag sets besides
    db_url = config.CourseDirectory.db_url
    with _in_folder(root), setting_up(db_url) if use_db else contextlib.nullcontext():
        if use_db:
            prepare_gradebook(db_url, config.CourseDirectory.course_id)
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        for name in names or assignments(root):
            result = api.generate_assignment(name, force=True, create=use_db)
            if not result["success"]:
                raise ReleaseError(
                    f"nbgrader could not generate {name}:\n"
                    f"{result.get('error') or ''}{result.get('log') or ''}"
                )
    return Path(release_dir) if release_dir is not None else root / "release"


def notebook_content(path: str | Path) -> dict[str, Any]:
    """What matters in a release notebook: per cell its type, source, nbgrader metadata
    and outputs; the notebook's kernel. Volatile metadata (cell ids aside) is left out."""
    nb = json.loads(Path(path).read_text())
    return {
        "kernelspec": nb.get("metadata", {}).get("kernelspec"),
        "cells": [
            (
                c["cell_type"],
                "".join(c["source"]),
                c.get("metadata", {}).get("nbgrader"),
                c.get("outputs"),
            )
            for c in nb["cells"]
        ],
    }


def release_differences(expected_dir: str | Path, actual_dir: str | Path) -> list[str]:
    """Files that differ between two release folders (missing, extra, or changed), as
    sorted relative paths with a reason each; empty when they are in sync."""
    expected_dir, actual_dir = Path(expected_dir), Path(actual_dir)
    files = lambda d: {
        p.relative_to(d)
        for p in d.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts
    }
    expected, actual = files(expected_dir), files(actual_dir)
    problems = [f"{p}: missing" for p in expected - actual]
    problems += [f"{p}: not generated from source/" for p in actual - expected]
    for p in expected & actual:
        if p.suffix == ".ipynb":
            same = notebook_content(expected_dir / p) == notebook_content(actual_dir / p)
        else:
            same = (expected_dir / p).read_bytes() == (actual_dir / p).read_bytes()
        if not same:
            problems.append(f"{p}: differs from what source/ generates")
    return sorted(problems)


def missing_from_gradebook(root: str | Path, names: Iterable[str]) -> list[str]:
    """The assignments among ``names`` whose notebooks the course's gradebook does not
    know yet (autograding needs their test cells there, which generating a release
    records; ``nbgrader db assignment add`` of a due date alone records none)."""
    from nbgrader.api import Gradebook

    config = load_config(root)
    with _in_folder(root), Gradebook(config.CourseDirectory.db_url) as gradebook:
        known = {a.name for a in gradebook.assignments if a.notebooks}
    return [name for name in names if name not in known]


def ensure_in_gradebook(root: str | Path, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Record in the gradebook every assignment of ``names`` it does not know, so that a
    fresh clone of the course can grade what students fetched from the committed
    ``release/`` without running ``handnet release`` first.

    The gradebook is prepared first (``prepare_gradebook``: a new database gets its tables
    here, once), and a shared one is held (``setting_up``) until the assignments are in.
    The release is generated into a throwaway folder (``release/`` is left as it is) and
    compared with ``release/``. Returns ``(added, differences)``: the assignments recorded
    and, for them, the files in which ``release/`` differs from what ``source/`` generates
    (students then have notebooks the gradebook does not describe: release again).
    """
    config = load_config(root)
    db_url = config.CourseDirectory.db_url
    with setting_up(db_url), tempfile.TemporaryDirectory(prefix="handnet-release-") as tmp:
        prepare_gradebook(db_url, config.CourseDirectory.course_id)
        added = missing_from_gradebook(root, names)
        if not added:
            return [], []
        generate_release(root, added, release_dir=tmp, use_db=True)
        differences = []
        for name in added:
            differences += [
                f"{name}/{p}"
                for p in release_differences(Path(tmp) / name, Path(root) / "release" / name)
            ]
    return added, differences
