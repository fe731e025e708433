"""What the driver of a cluster run writes into the course for each submission: the
autograded folder, nbgrader's gradebook (the rows ``nbgrader autograde`` writes: student,
submission and its timestamp, each test cell's grade, the late penalty) and the record,
in that order, so a driver killed between two writes leaves a submission without an
up-to-date record, and a run with ``missing`` grades it again. Every write is keyed by
student, assignment and the SHA-256 of the submission's files, and writing the same
result twice leaves the same state: Dask runs a task again when its worker is lost.
"""

import shutil
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .autograde_results import finish_record, graded_record
from .jobs import write_files
from .records import Record, grader_failure, log_path
from .submissions import expected_notebooks, submitted_folder

if TYPE_CHECKING:
    from nbgrader.apps import NbGraderAPI


def _install_autograded(root, student, assignment, files):
    """Replace autograded/<student>/<assignment>/ by ``files`` ({relative path: bytes}),
    swapping whole folders so that it is never half written."""
    parent = Path(root) / "autograded" / student
    parent.mkdir(parents=True, exist_ok=True)
    for leftover in parent.glob(f".{assignment}.*"):  # from a driver killed while swapping
        shutil.rmtree(leftover, ignore_errors=True)
    incoming, old, final = (
        parent / f".{assignment}.incoming",
        parent / f".{assignment}.old",
        parent / assignment,
    )
    write_files(incoming, files)
    if final.exists():
        final.rename(old)
    incoming.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def save_grades(api: "NbGraderAPI", root: str | Path, student: str, assignment: str) -> None:
    """Write into the course's gradebook what ``nbgrader autograde`` writes for the
    graded notebooks now in autograded/<student>/<assignment>/: the student, the
    submission (with submitted/'s timestamp), each cell's automatic grade and comment
    (nbgrader's SaveAutoGrades) and the late penalty (AssignLatePenalties, the course's
    policy and due date). Repeating it changes nothing."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    db_url = api.coursedir.db_url
    submitted = str(submitted_folder(root, student, assignment))
    timestamp = api.coursedir.get_existing_timestamp(submitted)
    with Gradebook(db_url, api.coursedir.course_id) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(
            assignment, student, **({"timestamp": timestamp} if timestamp else {})
        )
    for name in expected_notebooks(root, assignment):
        nb = nbformat.read(Path(root) / "autograded" / student / assignment / name, as_version=4)
        resources = {
            "nbgrader": {
                "notebook": Path(name).stem,
                "assignment": assignment,
                "student": student,
                "db_url": db_url,
            }
        }
        for step in (SaveAutoGrades, AssignLatePenalties):
            nb, resources = step(config=api.config).preprocess(nb, resources)


def write_result(api: "NbGraderAPI", root: str | Path, result: dict[str, Any]) -> Record:
    """Write one worker's result into the course (autograded folder, gradebook, log,
    record) and return the Record: the same as a local run writes for that submission."""
    student, assignment = result["student"], result["assignment"]
    log = log_path(root, assignment, student)
    log.unlink(missing_ok=True)
    if result["log"]:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result["log"])
    try:
        if result["graded"]:
            _install_autograded(root, student, assignment, result["autograded"])
            save_grades(api, root, student, assignment)
            record = graded_record(api.coursedir.db_url, root, student, assignment, result["note"])
        else:
            record = Record.from_json(result["record"])
    except Exception:  # the course's side again: never lose the class over one write
        record = grader_failure(
            root, student, assignment, "the driver could not save it", traceback.format_exc()
        )
    return finish_record(api.coursedir.db_url, root, record, result["seconds"], result["sha256"])


def failed_record(
    api: "NbGraderAPI",
    root: str | Path,
    student: str,
    assignment: str,
    sha256: str,
    error: BaseException,
    tb: TracebackType | None = None,
) -> Record:
    """The grader-failure Record (written) of a task that did not return a result:
    Dask's KilledWorker (the submission's task killed ``ATTEMPTS`` workers: it needs a
    look, not another run) or an exception in the task."""
    from distributed import KilledWorker

    if isinstance(error, KilledWorker):
        record = grader_failure(
            root, student, assignment, "it stopped its grading worker", f"--- KilledWorker: {error}"
        )
        record.message = (
            f"needs a look: grading it stopped the grading worker "
            f"{error.allowed_failures + 1} times (a worker process died each "
            f"time); full log: {record.log}"
        )
    else:
        text = "".join(traceback.format_exception(type(error), error, tb))
        record = grader_failure(root, student, assignment, "the grading task raised", text)
    return finish_record(api.coursedir.db_url, root, record, 0.0, sha256)
