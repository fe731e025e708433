"""Grade a class: check each submission, autograde it with nbgrader, keep a record.

Every submission ends with a ``Record`` (``records``, which says what each status means):
its status, points, and per test cell the points and the message the student should read,
whatever went wrong. A grading failure on the course's side is tried ``ATTEMPTS`` times
before its record says ``grader failure``.

A failed try is retried: GuardedExecute turns everything the student's code can do (an
exception, a timeout, a crash, a limit) into that cell's failure, so nbgrader failing
on a submission is the grader's problem, never a reason to give the student 0.
Unless the gradebook no longer answers (``gradebook.ensure_answering``, asked after each
failed try): then no try can succeed, and the run stops (``gradebook.GradingStopped``),
leaving the submissions it did not grade without a record, for ``missing=True`` to grade.

A renamed notebook (the expected one missing and exactly one other notebook submitted) is
graded under the expected name, and the record says so (``submissions.precheck``).

Grading runs in ``workers`` processes, each taking a fixed share of the students (so two
processes never grade the same student) and paying nbgrader's start-up once; or, with
``handnet_grader.cluster.dask_backend``, on the workers of a Dask cluster, each submission in a course
folder of its own (the records are read and written by ``graded_records`` both ways).

Each record keeps the SHA-256 of the submission's files (``submission_sha256``): a record
with the current files' hash and a final status is up to date (``submissions.up_to_date``),
and ``missing=True`` grades only the others.
"""

import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from queue import Empty
from typing import TYPE_CHECKING

from ..course.gradebook import GradebookLost, ensure_answering, shown
from ..course.root import load_config
from . import scratch_folders as scratch
from .autograde_results import finish_record, graded_record
from .records import (
    GRADER_FAILURE,
    Record,
    grader_failure,
    log_path,
    record_path,
    write_failure_log,
    write_record,
)
from .submissions import (
    find_submissions,
    precheck,
    submission_files,
    submission_hash,
    submitted_folder,
    up_to_date,
)

if TYPE_CHECKING:
    from nbgrader.apps import NbGraderAPI

ATTEMPTS = 3
RETRY_PAUSE = 5.0  # seconds before a second try, twice that before a third


class GradingStopped(GradebookLost):
    """The gradebook stopped answering during ``grading.grade_class``: ``records`` are
    those written (of ``total`` submissions), ``left`` the (student, assignment) pairs
    not graded, which have no record."""

    def __init__(
        self,
        gradebook: str,
        why: str,
        records: list[Record],
        left: Iterable[tuple[str, str]],
        total: int,
    ) -> None:
        self.records, self.left, self.total = records, sorted(left), total
        super().__init__(
            f"the gradebook {gradebook} stopped answering after {len(records)} of {total} "
            f"submission(s) ({why}); {len(self.left)} were not graded and have no record",
            why,
        )


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


# what a worker puts on the queue: (GRADED, a Record's JSON) for each submission;
# (LEFT, pairs, why) for the pairs it did not grade once the gradebook stopped answering
# (``why`` from the worker that found it so, None from the others); None when it is done
GRADED, LEFT = "graded", "left"


def _graded_or_failed(api, root, student, assignment):
    """``grade_submission``'s Record, or a grader-failure Record (written) if it raised;
    GradebookLost instead when it failed and the gradebook no longer answers."""
    import contextlib
    import io
    import traceback

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return grade_submission(api, root, student, assignment)
    except GradebookLost:
        raise
    except Exception:  # never let one submission stop the class
        text = traceback.format_exc()
    ensure_answering(api.coursedir.db_url)
    record = grader_failure(root, student, assignment, "the grading worker raised", text)
    write_record(root, record)
    return record


def _leave(root, pairs, queue, why):
    """Hand ``pairs`` back ungraded, removing their records: one of an earlier run is no
    longer what this run was asked to make (nor, for the submission in hand, what
    autograded/ holds), and with none, ``missing=True`` grades them."""
    for student, assignment in pairs:
        record_path(root, assignment, student).unlink(missing_ok=True)
    queue.put((LEFT, pairs, why))


def _worker(root, pairs, queue, stop):
    """Grade a share of the submissions in this process, reporting each Record. When the
    gradebook stops answering, leave the submission in hand and the rest (``_leave``) and
    set ``stop``, which the other workers heed after their submission in hand."""
    api = grading_api(root)
    for i, (student, assignment) in enumerate(pairs):
        if stop.is_set():
            _leave(root, pairs[i:], queue, None)
            break
        try:
            record = _graded_or_failed(api, root, student, assignment)
        except GradebookLost as e:
            stop.set()
            _leave(root, pairs[i:], queue, e.why)
            break
        queue.put((GRADED, record.to_json()))
    queue.put(None)


def shares(pairs: Sequence[tuple[str, str]], workers: int) -> list[list[tuple[str, str]]]:
    """Split (student, assignment) pairs into ``workers`` lists, all of a student's
    submissions in the same list, students dealt round-robin."""
    students = sorted({s for s, _ in pairs})
    owner = {s: i % workers for i, s in enumerate(students)}
    out = [[] for _ in range(workers)]
    for s, a in pairs:
        out[owner[s]].append((s, a))
    return [share for share in out if share]


def grade_class(
    root: str | Path,
    assignment: str | None = None,
    student: str | Iterable[str] | None = None,
    workers: int = 1,
    report: Callable[[int, int, Record], None] | None = None,
    missing: bool = False,
) -> list[Record]:
    """Grade every matching submission in ``workers`` processes; return the Records.

    ``report(done, total, record)`` is called as each submission finishes. Raises
    GradebookUnavailable, before anything is graded, when the gradebook's database
    cannot be reached; GradingStopped, after the submissions in hand, when it stops
    answering meanwhile. Every matching submission is graded, also one graded before,
    unless ``missing``: then those whose record is up to date (``up_to_date``) are left
    as they are (and not returned).
    """
    from ..course.release import ensure_in_gradebook

    root = Path(root).resolve()
    scratch.sweep()
    pairs = find_submissions(root, assignment, student)
    if missing:
        fresh = up_to_date(root, pairs)
        pairs = [p for p in pairs if p not in fresh]
    if not pairs:
        return []
    # the gradebook is made ready here, once, before the workers open it: a new database
    # gets its tables (gradebook.prepare_gradebook; processes doing it at once race) and a
    # fresh clone's assignments are recorded; an unreachable one stops the run here
    ensure_in_gradebook(root, sorted({a for _, a in pairs}))
    ctx = multiprocessing.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_worker, args=(str(root), share, queue, stop), daemon=True)
        for share in shares(pairs, max(1, workers))
    ]
    for p in procs:
        p.start()
    records, finished, left, why = [], 0, [], ""
    while finished < len(procs):
        try:
            item = queue.get(timeout=0.5)
        except Empty:
            if any(p.is_alive() for p in procs):
                continue
            break  # every worker has stopped, some without saying so
        if item is None:
            finished += 1
            continue
        if item[0] == LEFT:
            left += item[1]
            why = why or item[2] or ""
            continue
        record = Record.from_json(item[1])
        records.append(record)
        if report:
            report(len(records), len(pairs), record)
    for p in procs:
        p.join()
    missing = set(pairs) - {(r.student, r.assignment) for r in records} - set(left)
    for s, a in sorted(missing):  # a worker died outright: say so for each of its students
        record = grader_failure(
            root,
            s,
            a,
            "the grading worker stopped unexpectedly",
            f"the worker process grading {s}/{a} ended without a record "
            f"(exit codes: {[p.exitcode for p in procs]})",
        )
        write_record(root, record)
        records.append(record)
    records.sort(key=lambda r: (r.assignment, r.student))
    if left:
        gradebook = shown(load_config(root).CourseDirectory.db_url)
        raise GradingStopped(gradebook, why, records, left, len(pairs))
    return records
