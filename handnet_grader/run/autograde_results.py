"""The Record of a graded submission, read from what nbgrader left: points and each test
cell's grade from the gradebook, the student's message of each failed cell, the status,
events and integrity findings from the autograded notebooks; then finished (the integrity
scan of the submitted notebooks, the time, the files' hash) and written. Used where a
submission is graded (``autograde``) and where the driver writes it back (``write_back``).
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from ..notebook.cells import error_message, is_test_cell, nbgrader_metadata
from ..trust.integrity import scan_notebook
from .records import (
    MESSAGE_CHARS,
    STATUSES,
    CellResult,
    Record,
    grader_failure,
    log_path,
    write_record,
)
from .submissions import expected_notebooks, submitted_folder

if TYPE_CHECKING:
    from nbgrader.api import Gradebook


def notebook_findings(notebook_path: str | Path) -> tuple[dict, dict[str, str]]:
    """What an autograded notebook says besides its grades: (the grader's metadata
    (status, events, integrity, sandbox, seconds), {grade_id: short message} for its
    failed test cells)."""
    nb = nbformat.read(notebook_path, as_version=4)
    messages = {}
    for cell in filter(is_test_cell, nb.cells):
        stderr = [
            o
            for o in cell.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"
        ]
        text = error_message(cell) or (stderr and "wrote to stderr: " + stderr[-1].get("text", ""))
        if text:
            messages[nbgrader_metadata(cell)["grade_id"]] = text[:MESSAGE_CHARS]
    return nb.metadata.get("handnet", {}), messages


def _collect(root, submission, student, assignment, record, findings=None):
    """Fill the record's points and cells from the gradebook's submission row and the
    graded notebooks (their ``notebook_findings``, by notebook name, when ``findings``
    holds them)."""
    record.late_penalty = sum(float(nb.late_submission_penalty or 0) for nb in submission.notebooks)
    for nb in submission.notebooks:
        if findings is not None:
            meta, messages = findings.get(nb.name, ({}, {}))
        else:
            path = Path(root) / "autograded" / student / assignment / f"{nb.name}.ipynb"
            meta, messages = notebook_findings(path) if path.exists() else ({}, {})
        record.events += meta.get("events", [])
        record.integrity += meta.get("integrity", [])
        record.sandbox = meta.get("sandbox", record.sandbox)
        record.execution_seconds += meta.get("seconds", 0.0)
        if meta.get("status") and STATUSES.index(meta["status"]) > STATUSES.index(record.status):
            record.status = meta["status"]
        for grade in sorted(nb.grades, key=lambda g: g.cell.name):
            if grade.cell.cell_type != "code":
                continue
            record.cells.append(
                CellResult(
                    grade.cell.name,
                    float(grade.score or 0),
                    float(grade.max_score),
                    messages.get(grade.cell.name, ""),
                )
            )
    record.points = sum(c.points for c in record.cells) - record.late_penalty
    record.max_points = sum(c.max_points for c in record.cells)
    if record.events and not record.message:
        first = record.events[0]
        record.message = f"cell {first['cell'] + 1}: {first['message']}"  # cells counted from 1


def read_record(
    gradebook: "Gradebook",
    root: str | Path,
    student: str,
    assignment: str,
    note: str = "",
    findings: dict[str, tuple[dict, dict[str, str]]] | None = None,
    submission: Any = None,
) -> Record:
    """The Record of a submission nbgrader has autograded: points and cells from the open
    ``gradebook``, status, events and integrity findings from the graded notebooks in
    autograded/ (or ``findings``: their ``notebook_findings`` by notebook name, as the
    worker that graded them read them); a grader failure when the gradebook has no
    grades for it. ``note`` (a repair, e.g. a renamed notebook) goes first in the
    message. ``submission``: the submission's row in ``gradebook``, when read already."""
    retried = log_path(root, assignment, student)
    record = Record(
        student,
        assignment,
        "graded",
        notebooks=expected_notebooks(root, assignment),
        log=str(retried.relative_to(root)) if retried.exists() else "",
    )
    try:
        if submission is None:
            submission = gradebook.find_submission(assignment, student)
        _collect(root, submission, student, assignment, record, findings)
    except Exception as e:  # no submission row: nbgrader failed before grading
        record = grader_failure(
            root, student, assignment, "no grades recorded", f"{type(e).__name__}: {e}"
        )
    if note:
        record.message = "; ".join(m for m in (note, record.message) if m)
    return record


def graded_record(
    db_url: str, root: str | Path, student: str, assignment: str, note: str = ""
) -> Record:
    """``read_record`` on the gradebook at ``db_url``."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        return read_record(gradebook, root, student, assignment, note)


def scan_submitted(root: str | Path, student: str, assignment: str) -> list[dict[str, Any]]:
    """The integrity scan's findings in the submitted notebooks (``trust.integrity``)."""
    found = []
    for path in sorted(submitted_folder(root, student, assignment).glob("*.ipynb")):
        found += scan_notebook(path)
    return found


def finish_record(
    gradebook: "str | Gradebook",
    root: str | Path,
    record: Record,
    seconds: float,
    sha256: str,
    scanned: list[dict[str, Any]] | None = None,
) -> Record:
    """Complete a Record (integrity scan of the submitted notebooks, unless ``scanned``
    holds its findings; the assignment's points when nothing was graded, the time taken,
    the files' hash) and write it. ``gradebook``: its URL, or nbgrader's Gradebook open
    on it."""
    if scanned is None:
        scanned = scan_submitted(root, record.student, record.assignment)
    record.integrity += scanned
    if not record.max_points:
        record.max_points = _max_points(gradebook, record.assignment)
    record.seconds = round(seconds, 3)
    record.submission_sha256 = sha256
    write_record(root, record)
    return record


def _max_points(gradebook, assignment):
    from nbgrader.api import Gradebook

    try:
        if not isinstance(gradebook, str):
            return float(gradebook.find_assignment(assignment).max_score)
        with Gradebook(gradebook) as opened:
            return float(opened.find_assignment(assignment).max_score)
    except Exception:
        return 0.0
