"""One submission autograded by nbgrader in the course it lies in, into a ``Record``
(``records`` says what each status means).

A failed try is retried, up to ``ATTEMPTS`` tries: GuardedExecute turns everything the
student's code can do (an exception, a timeout, a crash, a limit) into that cell's
failure, so nbgrader failing on a submission is the grader's problem, never a reason to
give the student 0; after the last try the record says ``grader failure``. Unless the
gradebook no longer answers (``gradebook.ensure_answering``, asked after each failed
try): then no try can succeed, and GradebookLost says so.

A renamed notebook (the expected one missing and exactly one other notebook submitted) is
graded under the expected name, and the record says so (``submissions.precheck``).

A run grades each submission this way in a throw-away course of its own (``jobs``), on
whichever backend (``driver``).
"""

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..course.gradebook import GradebookLost, ensure_answering
from ..course.root import load_config
from .autograde_results import finish_record, graded_record
from .records import (
    GRADER_FAILURE,
    Record,
    grader_failure,
    log_path,
    write_failure_log,
)
from .submissions import (
    precheck,
    submission_files,
    submission_hash,
    submitted_folder,
)

if TYPE_CHECKING:
    from nbgrader.apps import NbGraderAPI

ATTEMPTS = 3
RETRY_PAUSE = 5.0  # seconds before a second try, twice that before a third


def _autograde(api, root, student, assignment, attempts=ATTEMPTS, pause=RETRY_PAUSE):
    """nbgrader's autograde, tried up to ``attempts`` times; None when it succeeded,
    else the grader-failure Record (every try's log kept). Raises GradebookLost, with
    no more tries, when a try failed and the gradebook no longer answers."""
    log_path(root, assignment, student).unlink(missing_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            result = api.autograde(assignment, student, force=True, create=True)
        except Exception:
            import traceback

            result = {"success": False, "error": traceback.format_exc()}
        if result["success"]:
            if attempt > 1:
                write_failure_log(
                    root, assignment, student, f"--- try {attempt} of {attempts}: succeeded"
                )
            return None
        text = "\n".join(t for t in (result.get("log"), result.get("error")) if t)
        write_failure_log(
            root,
            assignment,
            student,
            f"--- try {attempt} of {attempts}: nbgrader's autograde failed\n{text}",
        )
        try:
            ensure_answering(api.coursedir.db_url)
        except GradebookLost as e:
            write_failure_log(root, assignment, student, f"--- not tried again: {e}")
            raise
        if attempt < attempts:
            time.sleep(pause * attempt)
    return grader_failure(root, student, assignment, f"{attempts} tries")


def autograde_submission(
    api: "NbGraderAPI",
    root: str | Path,
    student: str,
    assignment: str,
    attempts: int = ATTEMPTS,
    pause: float = RETRY_PAUSE,
) -> tuple[Record, str | None]:
    """Precheck and autograde one submission: ``(record, note)``, the Record not yet
    finished (``finish_record``) and the precheck's repair note."""
    record, note = precheck(root, student, assignment)
    if record is None:
        record = _autograde(api, root, student, assignment, attempts, pause)
    if record is None:
        record = graded_record(api.coursedir.db_url, root, student, assignment, note)
    return record, note


def grade_submission(
    api: "NbGraderAPI",
    root: str | Path,
    student: str,
    assignment: str,
    attempts: int = ATTEMPTS,
    pause: float = RETRY_PAUSE,
) -> Record:
    """Autograde one submission with nbgrader and return its Record (also written).
    Raises GradebookLost, writing no record, when it was not graded and the gradebook
    no longer answers."""
    started = time.monotonic()
    # hashed before the precheck, which may add a renamed notebook's copy to the folder
    sha256 = submission_hash(
        submission_files(submitted_folder(root, student, assignment), api.coursedir.ignore)
    )
    record, _ = autograde_submission(api, root, student, assignment, attempts, pause)
    if record.status == GRADER_FAILURE:  # not the submission's failure if the gradebook went
        ensure_answering(api.coursedir.db_url)
    return finish_record(api.coursedir.db_url, root, record, time.monotonic() - started, sha256)


def grading_api(root: str | Path, db_url: str | None = None) -> "NbGraderAPI":
    """nbgrader's API on the course at ``root`` (its nbgrader_config.py; the gradebook at
    ``db_url`` if given), quiet; the working directory becomes ``root``."""
    import logging
    import os
    import warnings

    warnings.simplefilter("ignore")  # SQLAlchemy's session warnings from nbgrader's API
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    os.chdir(root)
    config = load_config(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log.setLevel(logging.ERROR)
    return api
