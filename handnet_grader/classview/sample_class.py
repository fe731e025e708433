"""The sample class: submissions built from the release and the reference solutions,
each named for the case it tests, with the points it must get.

Cases per assignment:
- ``reference``: every solution filled in: full marks;
- ``untouched``: the release as students get it: 0;
- ``partial``: only the first exercise filled in: the points of its test cells;
- ``mistake-<key>``: the reference with one catalogued mistake (``handnet_ref.checks``)
  swapped in (``planted_mistakes``): a test cell of that exercise scores 0 with the
  mistake's hint as its message, and every exercise that does not use the mistaken
  function keeps its points. Other cells of the same exercise may pass (partial credit:
  a test on a one-layer network cannot see a mistake in the loop over layers), and
  exercises whose solution calls the function (``sigmoid_prime`` calls ``sigmoid``) may
  lose points too;
- broken submissions (same score rules as their base case), named for what is wrong.

An *exercise* is a solution cell and the test cells that follow it (``exercises``).
"""

import json
import re
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from ..notebook.cells import nbgrader_metadata
from ..notebook.exercises import exercises, filled, solutions, total_points
from .planting import dependents, with_mistake


@dataclass
class Sample:
    """One sample submission: the student name, how to write it, the points it must get."""

    student: str
    assignment: str
    expected_points: float
    expected_status: str
    write: object  # write(folder): creates the submission's files in folder
    expect_message: str = ""  # text that the record's cell messages must contain
    exact: bool = True  # False: expected_points is an upper bound (see below)
    hinted_in: tuple = ()  # one of these test cells must score 0 showing expect_message
    must_keep: tuple = ()  # test cells that must keep their points


def _code(source):
    return nbformat.v4.new_code_cell(source)


def _write_nb(nb, name):
    def write(folder):
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / name)

    return write


def _write_text(text, name):
    def write(folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)

    return write


def _insert_after_first_exercise(nb, cell):
    """The notebook with ``cell`` inserted after the first exercise's test cells."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    first = exercises(nb)[0]
    last_test = first[1][-1][0] if first[1] else first[0]
    index = next(
        i for i, c in enumerate(nb.cells) if nbgrader_metadata(c).get("grade_id") == last_test
    )
    nb.cells.insert(index + 1, cell)
    return nb


def _first_test_cell(nb):
    return next(i for i, c in enumerate(nb.cells) if nbgrader_metadata(c).get("grade"))


def broken_samples(
    assignment: str, name: str, release_nb: NotebookNode, solved: dict[str, str]
) -> list[tuple[str, Callable[[Path], None], float, str]]:
    """Broken submissions of one assignment: (case, write, expected points, status)."""
    full = total_points(release_nb)
    reference = filled(release_nb, solved, set(solved))

    deleted = nbformat.from_dict(json.loads(json.dumps(reference)))
    del deleted.cells[_first_test_cell(deleted)]

    cheated = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    for cell in cheated.cells:
        if nbgrader_metadata(cell).get("grade"):
            cell.source = "pass  # tests removed by the student"

    to_markdown = nbformat.from_dict(json.loads(json.dumps(reference)))
    i = _first_test_cell(to_markdown)
    old = to_markdown.cells[i]
    to_markdown.cells[i] = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata)

    duplicated = nbformat.from_dict(json.loads(json.dumps(reference)))
    i = _first_test_cell(duplicated)
    duplicated.cells.insert(i + 1, nbformat.from_dict(json.loads(json.dumps(duplicated.cells[i]))))
    duplicated.cells[i + 1]["id"] = "duplicate-of-a-test-cell"

    foreign = nbformat.from_dict(json.loads(json.dumps(reference)))
    foreign.metadata = {
        "kernelspec": {
            "name": "python3-vscode",
            "display_name": "Python (venv)",
            "language": "python",
        },
        "language_info": {
            "name": "python",
            "version": "3.12.1",
            "codemirror_mode": {"name": "ipython", "version": 3},
        },
        "vscode": {"interpreter": {"hash": "0" * 64}},
    }
    for cell in foreign.cells:
        cell.metadata.update(
            {
                "collapsed": False,
                "jupyter": {"source_hidden": False},
                "vscode": {"languageId": "python"},
            }
        )

    loop = _insert_after_first_exercise(reference, _code("while True:\n    pass"))
    stubborn = _insert_after_first_exercise(
        reference,
        _code("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    )
    crash = _insert_after_first_exercise(reference, _code("import os\nos._exit(1)"))
    hog = _insert_after_first_exercise(
        reference, _code("import numpy as np\nall_pairs = np.ones((50_000, 50_000))   # 20 GB")
    )
    huge = _insert_after_first_exercise(reference, _code("print('x' * 20_000_000)"))

    return [
        ("invalid-json", _write_text('{"cells": [ this is not json', name), 0, "invalid notebook"),
        (
            "missing-notebook",
            _write_text("my answers are in my head\n", "notes.txt"),
            0,
            "missing notebook",
        ),
        (
            "renamed-notebook",
            _write_nb(reference, name.replace(".ipynb", " (1).ipynb")),
            full,
            "graded",
        ),
        ("test-cell-deleted", _write_nb(deleted, name), full, "graded"),
        ("test-cells-edited", _write_nb(cheated, name), 0, "graded"),
        ("test-cell-to-markdown", _write_nb(to_markdown, name), full, "graded"),
        ("test-cell-duplicated", _write_nb(duplicated, name), full, "graded"),
        ("foreign-metadata", _write_nb(foreign, name), full, "graded"),
        ("infinite-loop", _write_nb(loop, name), full, "timeout"),
        ("ignores-interrupts", _write_nb(stubborn, name), full, "timeout"),
        ("kernel-crash", _write_nb(crash, name), full, "kernel died"),
        ("memory-hog", _write_nb(hog, name), full, "memory limit"),
        ("huge-output", _write_nb(huge, name), full, "graded"),
    ]


def sample_class(
    root: str | Path,
    assignments: Sequence[str] | None = None,
    broken_in: Iterable[str] | None = None,
    mistakes_in: Container[str] | None = None,
) -> list[Sample]:
    """The Samples of the given assignments (default: all). Broken submissions are made
    for the assignments in ``broken_in`` (default: the first assignment only), catalogued
    mistakes for those in ``mistakes_in`` (default: all)."""
    from handnet_ref.checks import TOPICS

    from ..course.root import assignments as all_assignments

    root = Path(root)
    names = assignments or all_assignments(root)
    broken_in = set(names[:1] if broken_in is None else broken_in)
    samples = []
    for assignment in names:
        (source_path,) = sorted((root / "source" / assignment).glob("*.ipynb"))
        name = source_path.name
        release_nb = nbformat.read(root / "release" / assignment / name, as_version=4)
        solved = solutions(nbformat.read(source_path, as_version=4))
        full = total_points(release_nb)
        groups = exercises(release_nb)
        first_id, first_tests = groups[0]
        samples.append(
            Sample(
                "reference",
                assignment,
                full,
                "graded",
                _write_nb(filled(release_nb, solved, set(solved)), name),
            )
        )
        samples.append(Sample("untouched", assignment, 0.0, "graded", _write_nb(release_nb, name)))
        samples.append(
            Sample(
                "partial",
                assignment,
                sum(p for _, p in first_tests),
                "graded",
                _write_nb(filled(release_nb, solved, {first_id}), name),
            )
        )
        catalogue = (
            [
                (m, getattr(t, "FUNCTIONS", {}).get(m.key.split(".")[0]))
                for t in TOPICS
                if getattr(t, "ASSIGNMENT", None) == assignment
                for m in t.CATALOGUE
            ]
            if mistakes_in is None or assignment in mistakes_in
            else []
        )
        for mistake, function in catalogue:
            made = with_mistake(release_nb, solved, mistake.key, function)
            if made is None:
                continue
            nb, gid = made
            affected = dependents(solved, gid)
            own = [t for g, tests in groups if g == gid for t, _ in tests]
            keep = [t for g, tests in groups if g != gid and g not in affected for t, _ in tests]
            student = "mistake-" + re.sub(r"[^A-Za-z0-9]+", "-", mistake.key).strip("-")
            samples.append(
                Sample(
                    student,
                    assignment,
                    full,
                    "graded",
                    _write_nb(nb, name),
                    expect_message=mistake.hint,
                    exact=False,
                    hinted_in=tuple(own),
                    must_keep=tuple(keep),
                )
            )
        if assignment in broken_in:
            for case, write, points, status in broken_samples(assignment, name, release_nb, solved):
                samples.append(Sample(case, assignment, points, status, write))
    return samples


def write_sample_class(root: str | Path, samples: Iterable[Sample]) -> None:
    """Write each sample into submitted/<student>/<assignment>/, replacing what was there."""
    import shutil

    for sample in samples:
        folder = Path(root) / "submitted" / sample.student / sample.assignment
        if folder.exists():
            shutil.rmtree(folder)
        sample.write(folder)
