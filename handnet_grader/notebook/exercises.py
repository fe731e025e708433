"""A notebook's exercises: its solution cells, the test cells after each, their points
(also read from an assignment's source), and a release notebook with chosen solutions
filled in.

An *exercise* is a solution cell and the test cells that follow it, up to the next
solution cell: its tests are the cells "that test that piece".
"""

import json
import re
from collections.abc import Container
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .cells import nbgrader_metadata

SOLUTION_REGION = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[ \t]*\n|^[ \t]*### END SOLUTION[ \t]*\n?", re.M
)


def exercises(nb: NotebookNode) -> list[tuple[str, list[tuple[str, float]]]]:
    """[(solution grade_id, [(test grade_id, points), ...]), ...] in notebook order."""
    out = []
    for cell in nb.cells:
        meta = nbgrader_metadata(cell)
        if meta.get("solution") and not meta.get("grade"):
            out.append((meta["grade_id"], []))
        elif meta.get("grade") and out:
            out[-1][1].append((meta["grade_id"], float(meta["points"])))
    return out


def total_points(nb: NotebookNode) -> float:
    return sum(
        float(nbgrader_metadata(c)["points"]) for c in nb.cells if nbgrader_metadata(c).get("grade")
    )


def solutions(source_nb: NotebookNode) -> dict[str, str]:
    """{solution grade_id: the source cell's code without the solution markers}."""
    return {
        nbgrader_metadata(c)["grade_id"]: SOLUTION_REGION.sub("", c.source)
        for c in source_nb.cells
        if nbgrader_metadata(c).get("solution")
    }


def filled(release_nb: NotebookNode, solved: dict[str, str], ids: Container[str]) -> NotebookNode:
    """A copy of the release notebook with the solution cells ``ids`` filled in."""
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    for cell in nb.cells:
        gid = nbgrader_metadata(cell).get("grade_id")
        if nbgrader_metadata(cell).get("solution") and gid in ids:
            cell.source = solved[gid]
    return nb


def exercise_cells(root: str | Path, assignment: str) -> list[tuple[str, list[str]]]:
    """[(exercise, [test cell names])] in notebook order, from source/<assignment>/."""
    groups = []
    for path in sorted((Path(root) / "source" / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        groups += [(gid, [name for name, _ in tests]) for gid, tests in exercises(nb) if tests]
    return groups
