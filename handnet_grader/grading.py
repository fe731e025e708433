"""Grade a class: check each submission, autograde it with nbgrader, keep a record.

Every submission ends with a ``Record`` (``records``, which says what each status means):
its status, points, and per test cell the points and the message the student should read,
whatever went wrong. A grading failure on the course's side is tried ``ATTEMPTS`` times
before its record says ``grader failure``.

A failed try is retried: GuardedExecute turns everything the student's code can do (an
exception, a timeout, a crash, a limit) into that cell's failure, so nbgrader failing
on a submission is the grader's problem, never a reason to give the student 0.

A renamed notebook (the expected one missing and exactly one other notebook submitted) is
graded under the expected name, and the record says so (``submissions.precheck``).

Grading runs in ``workers`` processes, each taking a fixed share of the students (so two
processes never grade the same student) and paying nbgrader's start-up once; or, with
``handnet_grader.cluster``, on the workers of a Dask cluster, each submission in a course
folder of its own (``graded_record`` and ``finish_record`` are shared by both ways).

Each record keeps the SHA-256 of the submission's files (``submission_sha256``): a record
with the current files' hash and a final status is up to date (``submissions.up_to_date``),
and ``missing=True`` grades only the others.
"""

import multiprocessing
import time
from pathlib import Path
from queue import Empty

import nbformat

from . import scratch
from .cells import error_message, is_test_cell, nbgrader_metadata
from .integrity import scan_notebook
from .layout import load_config
from .records import (
    MESSAGE_CHARS,
    STATUSES,
    CellResult,
    Record,
    grader_failure,
    log_path,
    write_failure_log,
    write_record,
)
from .submissions import (
    expected_notebooks,
    find_submissions,
    precheck,
    submission_files,
    submission_hash,
    submitted_folder,
    up_to_date,
)

ATTEMPTS = 3
RETRY_PAUSE = 5.0  # seconds before a second try, twice that before a third


def _cell_messages(notebook_path):
    """{grade_id: short message} for failed test cells of an autograded notebook."""
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


def _collect(root, gradebook, student, assignment, record):
    """Fill the record's points and cells from the gradebook and the graded notebook."""
    submission = gradebook.find_submission(assignment, student)
    record.late_penalty = sum(float(nb.late_submission_penalty or 0) for nb in submission.notebooks)
    for nb in submission.notebooks:
        path = Path(root) / "autograded" / student / assignment / f"{nb.name}.ipynb"
        meta, messages = _cell_messages(path) if path.exists() else ({}, {})
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


def _autograde(api, root, student, assignment, attempts=ATTEMPTS, pause=RETRY_PAUSE):
    """nbgrader's autograde, tried up to ``attempts`` times; None when it succeeded,
    else the grader-failure Record (every try's log kept)."""
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
        if attempt < attempts:
            time.sleep(pause * attempt)
    return grader_failure(root, student, assignment, f"{attempts} tries")


def graded_record(db_url, root, student, assignment, note=""):
    """The Record of a submission nbgrader has autograded: points and cells from the
    gradebook at ``db_url``, status, events and integrity findings from the graded
    notebooks in autograded/; a grader failure when the gradebook has no grades for it.
    ``note`` (a repair, e.g. a renamed notebook) goes first in the message."""
    from nbgrader.api import Gradebook

    retried = log_path(root, assignment, student)
    record = Record(
        student,
        assignment,
        "graded",
        notebooks=expected_notebooks(root, assignment),
        log=str(retried.relative_to(root)) if retried.exists() else "",
    )
    with Gradebook(db_url) as gradebook:
        try:
            _collect(root, gradebook, student, assignment, record)
        except Exception as e:  # no submission row: nbgrader failed before grading
            record = grader_failure(
                root, student, assignment, "no grades recorded", f"{type(e).__name__}: {e}"
            )
    if note:
        record.message = "; ".join(m for m in (note, record.message) if m)
    return record


def finish_record(db_url, root, record, seconds, sha256):
    """Complete a Record (integrity scan of the submitted notebooks, the assignment's
    points when nothing was graded, the time taken, the files' hash) and write it."""
    for path in sorted(submitted_folder(root, record.student, record.assignment).glob("*.ipynb")):
        record.integrity += scan_notebook(path)
    if not record.max_points:
        record.max_points = _max_points(db_url, record.assignment)
    record.seconds = round(seconds, 3)
    record.submission_sha256 = sha256
    write_record(root, record)
    return record


def autograde_submission(api, root, student, assignment, attempts=ATTEMPTS, pause=RETRY_PAUSE):
    """Precheck and autograde one submission: ``(record, note)``, the Record not yet
    finished (``finish_record``) and the precheck's repair note."""
    record, note = precheck(root, student, assignment)
    if record is None:
        record = _autograde(api, root, student, assignment, attempts, pause)
    if record is None:
        record = graded_record(api.coursedir.db_url, root, student, assignment, note)
    return record, note


def grade_submission(api, root, student, assignment, attempts=ATTEMPTS, pause=RETRY_PAUSE):
    """Autograde one submission with nbgrader and return its Record (also written)."""
    started = time.monotonic()
    # hashed before the precheck, which may add a renamed notebook's copy to the folder
    sha256 = submission_hash(
        submission_files(submitted_folder(root, student, assignment), api.coursedir.ignore)
    )
    record, _ = autograde_submission(api, root, student, assignment, attempts, pause)
    return finish_record(api.coursedir.db_url, root, record, time.monotonic() - started, sha256)


def _max_points(db_url, assignment):
    from nbgrader.api import Gradebook

    try:
        with Gradebook(db_url) as gradebook:
            return float(gradebook.find_assignment(assignment).max_score)
    except Exception:
        return 0.0


def grading_api(root, db_url=None):
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


def _worker(root, pairs, queue):
    """Grade a share of the submissions in this process, reporting each Record."""
    import contextlib
    import io

    api = grading_api(root)
    for student, assignment in pairs:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                record = grade_submission(api, root, student, assignment)
        except Exception:  # never let one submission stop the class
            import traceback

            record = grader_failure(
                root, student, assignment, "the grading worker raised", traceback.format_exc()
            )
            write_record(root, record)
        queue.put(record.to_json())
    queue.put(None)


def shares(pairs, workers):
    """Split (student, assignment) pairs into ``workers`` lists, all of a student's
    submissions in the same list, students dealt round-robin."""
    students = sorted({s for s, _ in pairs})
    owner = {s: i % workers for i, s in enumerate(students)}
    out = [[] for _ in range(workers)]
    for s, a in pairs:
        out[owner[s]].append((s, a))
    return [share for share in out if share]


def grade_class(root, assignment=None, student=None, workers=1, report=None, missing=False):
    """Grade every matching submission in ``workers`` processes; return the Records.

    ``report(done, total, record)`` is called as each submission finishes. Raises
    GradebookUnavailable, before anything is graded, when the gradebook's database
    cannot be reached. Every matching submission is graded, also one graded before,
    unless ``missing``: then those whose record is up to date (``up_to_date``) are left
    as they are (and not returned).
    """
    from .release import ensure_in_gradebook

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
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(str(root), share, queue), daemon=True)
        for share in shares(pairs, max(1, workers))
    ]
    for p in procs:
        p.start()
    records, finished = [], 0
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
        record = Record.from_json(item)
        records.append(record)
        if report:
            report(len(records), len(pairs), record)
    for p in procs:
        p.join()
    missing = set(pairs) - {(r.student, r.assignment) for r in records}
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
    return sorted(records, key=lambda r: (r.assignment, r.student))
