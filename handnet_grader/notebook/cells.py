"""What a notebook cell is to grading: its nbgrader metadata, whether it is a test, a
solution or a given cell, the error it shows, and the part of a test cell that is not
hidden."""

import re

from nbformat import NotebookNode

HIDDEN_REGION = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M
)


def nbgrader_metadata(cell: NotebookNode) -> dict:
    """The cell's ``nbgrader`` metadata ({} for a cell nbgrader does not know)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell: NotebookNode) -> bool:
    """A code cell that nbgrader grades (``grade: true``): an autograded test cell."""
    return cell.cell_type == "code" and bool(nbgrader_metadata(cell).get("grade"))


def is_solution_cell(cell: NotebookNode) -> bool:
    """A code cell that the student fills in (``solution: true``)."""
    return cell.cell_type == "code" and bool(nbgrader_metadata(cell).get("solution"))


def is_given_cell(cell: NotebookNode) -> bool:
    """A code cell that is neither a solution nor a test cell: code the notebook gives."""
    return cell.cell_type == "code" and not is_test_cell(cell) and not is_solution_cell(cell)


def error_message(cell: NotebookNode) -> str | None:
    """``"<ename>: <evalue>"`` of the cell's first error output, or None if it shows none."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}".strip()
    return None


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output (a one-line traceback) to put in a cell."""
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def visible_code(cell: NotebookNode) -> str | None:
    """A test cell's code without its hidden region (None if nothing but comments is left)."""
    code = HIDDEN_REGION.sub("", cell.source)
    lines = [l for l in code.splitlines() if l.strip() and not l.strip().startswith("#")]
    return code if lines else None
