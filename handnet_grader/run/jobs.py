"""Grade one submission away from the course: what a task carries, and what a worker
does with it.

A worker (a Dask worker, or a process of this machine's pool) shares no files with the
course. A job carries two bundles (plain dicts of strings and bytes):

- the **course bundle** (``course_bundle``): ``nbgrader_config.py``, every file of
  ``source/<assignment>/`` for the run's assignments and a gradebook generated from them
  (as ``handnet release`` makes it), made once per run by the driver;
- the **submission bundle** (``submission_bundle``): the student, the assignment, every
  file of ``submitted/<student>/<assignment>/`` (as nbgrader's ``ignore`` leaves them),
  their SHA-256 (``submissions.submission_hash``), and the grader's settings that change a
  grade (``GRADING_SETTINGS``: timeouts, the check seed).

``grade_bundle`` builds a throw-away course in this process's scratch folder (the config,
the source, the gradebook and the submission), grades the
submission with the course's own pipeline (``autograde.autograde_submission``: the
sandbox, limits and retries) and returns the **result**: the raw Record, whether
nbgrader graded it, the autograded folder's files and the grader-failure log. The
worker writes nothing outside its scratch folder; the driver alone writes the course
(``write_back.Writer``).
"""

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..course.root import CONFIG_NAME
from . import scratch_folders as scratch
from .autograde import autograde_submission, grading_api
from .autograde_results import notebook_findings, scan_submitted
from .records import GRADER_FAILURE, log_path
from .submissions import course_ignore, submission_files, submission_hash, submitted_folder

# Environment variables that change how a submission is graded: the driver's values go
# with each task (a variable the driver does not set is unset on the worker too).
GRADING_SETTINGS = ("HANDNET_CELL_TIMEOUT", "HANDNET_SUBMISSION_TIMEOUT", "HANDNET_CHECK_SEED")
# What a worker's own environment must not change: the throw-away course's gradebook is
# its own SQLite file, never the course's shared database.
WORKER_UNSET = ("HANDNET_DB_URL",)
UNGRADED = ("invalid notebook", "missing notebook", GRADER_FAILURE)

# nbgrader changes the working directory and reads the environment: one submission at a
# time per process, whatever the worker's thread count.
_ONE_AT_A_TIME = threading.Lock()


def _files_under(folder):
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def course_bundle(root: str | Path, assignments: Sequence[str]) -> dict[str, Any]:
    """What a worker needs of the course to grade ``assignments``: {"config"
    (nbgrader_config.py's bytes), "source" ({"<assignment>/<relative path>": bytes}),
    "gradebook" (an SQLite gradebook that knows them, generated from that source),
    "digest" (of config and source)}."""
    from ..course.release import generate_release

    root = Path(root)
    source = {
        f"{a}/{name}": data
        for a in assignments
        for name, data in _files_under(root / "source" / a).items()
        if ".ipynb_checkpoints" not in name and "__pycache__" not in name
    }
    config = (root / CONFIG_NAME).read_bytes()
    digest = hashlib.sha256(config)
    for name in sorted(source):
        digest.update(name.encode() + b"\0" + hashlib.sha256(source[name]).digest())
    bundle = {"config": config, "source": source, "digest": digest.hexdigest()}
    with tempfile.TemporaryDirectory(prefix="handnet-course-") as tmp, task_environment({}):
        _fill_course(Path(tmp), bundle)
        generate_release(tmp, list(assignments), release_dir=Path(tmp) / "release")
        bundle["gradebook"] = (Path(tmp) / "gradebook.db").read_bytes()
    return bundle


def submission_bundle(
    root: str | Path, student: str, assignment: str, ignore: Iterable[str] | None = None
) -> dict[str, Any]:
    """One submission as a task carries it: {"student", "assignment", "files", "sha256",
    "settings"}. ``ignore``: nbgrader's ignore globs (default: the course's)."""
    if ignore is None:
        ignore = course_ignore(root)
    files = submission_files(submitted_folder(root, student, assignment), ignore)
    return {
        "student": student,
        "assignment": assignment,
        "files": files,
        "sha256": submission_hash(files),
        "settings": {k: os.environ.get(k) for k in GRADING_SETTINGS},
    }


def write_files(folder: str | Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` ({relative path: bytes}) under ``folder``; a name that leads
    outside it (``../x``, an absolute path) is refused before anything is written."""
    folder = Path(folder)
    for name in files:
        if folder.resolve() not in (folder / name).resolve().parents:
            raise ValueError(f"{name!r} is not a path inside {folder}")
    for name, data in files.items():
        path = (folder / name).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@contextlib.contextmanager
def task_environment(settings: Mapping[str, str | None]) -> Iterator[None]:
    """os.environ with the driver's grading settings (and without WORKER_UNSET), and the
    working directory as it was, afterwards."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    for name in WORKER_UNSET:
        os.environ.pop(name, None)
    for name, value in settings.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _fill_course(root, course):
    """Make ``root`` a throw-away course for ``course`` (its gradebook too, if it has one)."""
    (root / CONFIG_NAME).write_bytes(course["config"])
    write_files(root / "source", course["source"])
    if "gradebook" in course:
        (root / "gradebook.db").write_bytes(course["gradebook"])


def grade_bundle(course: dict[str, Any], submission: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission (its bundle) with the course bundle ``course`` in a
    throw-away course; returns the result the driver writes: {"student", "assignment",
    "sha256", "record" (the raw Record's JSON), "graded" (nbgrader graded it: the
    autograded files and the gradebook hold its grades), "note" (a repair), "autograded"
    ({relative path: bytes}), "findings" (each autograded notebook's
    ``notebook_findings``, by name), "scanned" (the integrity scan of the submitted
    notebooks), "log" (the grader-failure log's text, or ""), "seconds", "host"}. What
    needs no gradebook is read here, on the worker, so that the driver, which writes
    every result of the class, does not read it again."""
    student, assignment = submission["student"], submission["assignment"]
    if submission_hash(submission["files"]) != submission["sha256"]:
        raise ValueError(f"{student}/{assignment}: the files do not match their hash")
    with _ONE_AT_A_TIME, task_environment(submission["settings"]):
        started = time.monotonic()
        scratch.sweep()
        root = Path(tempfile.mkdtemp(prefix="course-", dir=scratch.process_folder()))
        try:
            _fill_course(root, course)
            write_files(submitted_folder(root, student, assignment), submission["files"])
            scanned = scan_submitted(root, student, assignment)  # before a repair adds a copy
            api = grading_api(root)
            with contextlib.redirect_stdout(io.StringIO()):
                record, note = autograde_submission(api, root, student, assignment)
            graded = record.status not in UNGRADED
            autograded = root / "autograded" / student / assignment
            log = log_path(root, assignment, student)
            findings = (
                {p.stem: notebook_findings(p) for p in sorted(autograded.glob("*.ipynb"))}
                if graded
                else {}
            )
            return {
                "student": student,
                "assignment": assignment,
                "sha256": submission["sha256"],
                "record": record.to_json(),
                "graded": graded,
                "note": note,
                "autograded": _files_under(autograded) if graded else {},
                "findings": findings,
                "scanned": scanned,
                "log": log.read_text() if log.exists() else "",
                "seconds": round(time.monotonic() - started, 3),
                "host": os.uname().nodename,
            }
        finally:
            shutil.rmtree(root, ignore_errors=True)
