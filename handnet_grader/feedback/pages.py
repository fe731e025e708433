"""Feedback for students: what passed, what failed and why, never the hidden tests.

nbgrader's feedback page shows every test cell's code, hidden tests included, and full
tracebacks that quote them. Here the feedback pipeline also runs ``ClearHiddenTests``
(the hidden region leaves the page), ``ShortTestErrors`` (a failed test cell shows its
message, e.g. the hint naming the mistake, not a traceback through grader code), and
``ChecklistCell`` (a first cell listing every test cell with its points and message).
Submissions that could not be graded get a short page saying why.
"""

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from ..notebook.cells import error_message, is_test_cell
from ..run.records import GRADER_FAILURE, load_records

if TYPE_CHECKING:
    from nbgrader.apps import NbGraderAPI


class ShortTestErrors(NbGraderPreprocessor):
    """In test cells, replace each traceback by its last line: the message."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if is_test_cell(cell):
            for out in cell.outputs:
                if out.get("output_type") == "error":
                    out.traceback = [f"{out.ename}: {out.evalue}"]
        return cell, resources


class ChecklistCell(NbGraderPreprocessor):
    """Put a markdown cell first that lists each test cell: passed or not, its points,
    and for a failure the message."""

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        rows = []
        for cell in nb.cells:
            if not is_test_cell(cell):
                continue
            meta = cell.metadata.nbgrader
            failure = error_message(cell)
            points = float(meta.get("points", 0))
            mark = "✗" if failure else "✓"
            got = 0 if failure else points
            text = html.escape(failure or "passed").replace("|", "\\|").replace("\n", " ")
            rows.append(f"| {mark} | `{meta['grade_id']}` | {got:g} / {points:g} | {text} |")
        late = float((resources or {}).get("nbgrader", {}).get("late_penalty") or 0)
        if late:
            rows.append(f"| − | late submission | −{late:g} | the course's late policy |")
        if rows:
            table = "\n".join(
                ["## Your results", "", "| | test | points | message |", "|---|---|---|---|", *rows]
            )
            nb.cells.insert(0, NotebookNode(cell_type="markdown", metadata={}, source=table))
        return nb, resources


GRADER_FAILURE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{assignment}: grading will be redone</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto;">
<h1>{assignment}: not graded yet</h1>
<p>Grading failed on the course's side, not because of your work: your notebook was not
judged, and it will be graded again. You do not need to do anything; your points will
appear here when it has been graded.</p>
</body></html>
"""

UNGRADED_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{assignment}: not graded</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto;">
<h1>{assignment}: your submission could not be graded</h1>
<p><strong>{status}</strong>: {message}</p>
<p>Points: {points:g} / {max_points:g}. Fix the problem and submit again, or ask your
instructor.</p>
</body></html>
"""


# What nbgrader's release_feedback reads beside the pages (it crashes without them).
RELEASE_FILES = ("timestamp.txt", "submission_secret.txt")


def keep_pages_only(folder: str | Path) -> None:
    """Remove from a feedback folder everything but the pages and RELEASE_FILES: nbgrader
    copies every other file of the graded folder there (a 200 MB file the notebook wrote
    would go back to the student with the feedback)."""
    for path in Path(folder).iterdir():
        if path.suffix == ".html" or path.name in RELEASE_FILES:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def generate_feedback(
    api: "NbGraderAPI",
    root: str | Path,
    assignment: str | None = None,
    student: str | None = None,
) -> int:
    """Feedback pages for the graded submissions (nbgrader's generate_feedback, with the
    preprocessors above, once for each assignment: its templates are compiled once, not
    once for each student) and a short page for each one that could not be graded.
    Returns the number of pages written."""
    from nbgrader.utils import temp_attrs

    written, graded = 0, {}
    for record in load_records(root, assignment):
        if student not in (None, record.student):
            continue
        if record.status in ("invalid notebook", "missing notebook", GRADER_FAILURE):
            written += _ungraded_pages(root, record)
        else:
            graded.setdefault(record.assignment, []).append(record)
    for name, records in graded.items():
        students = {r.student for r in records}
        others = {p.parent.name for p in (Path(root) / "autograded").glob(f"*/{name}")} - students
        with temp_attrs(api.coursedir, student_id_exclude=",".join(sorted(others))):
            # a student's notebook that fails leaves no page; the others are written
            api.generate_feedback(name, student or "*", force=True)
        for record in records:
            folder = Path(root) / "feedback" / record.student / record.assignment
            if folder.is_dir():
                keep_pages_only(folder)
                written += sum(
                    (folder / n.replace(".ipynb", ".html")).is_file() for n in record.notebooks
                )
    return written


def _ungraded_pages(root: str | Path, record: Any) -> int:
    """The short page of a submission that could not be graded, with what
    release_feedback needs beside it; returns the number of pages written."""
    folder = Path(root) / "feedback" / record.student / record.assignment
    folder.mkdir(parents=True, exist_ok=True)
    submitted = Path(root) / "submitted" / record.student / record.assignment
    for name in RELEASE_FILES:
        if (submitted / name).is_file():
            shutil.copyfile(submitted / name, folder / name)
    names = record.notebooks or [f"{record.assignment}.ipynb"]
    for name in names:
        page = GRADER_FAILURE_PAGE if record.status == GRADER_FAILURE else UNGRADED_PAGE
        (folder / name.replace(".ipynb", ".html")).write_text(
            page.format(
                assignment=html.escape(record.assignment),
                status=html.escape(record.status),
                message=html.escape(record.message),
                points=record.points,
                max_points=record.max_points,
            )
        )
    return len(names)
