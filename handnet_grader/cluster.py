"""Grade a class on a Dask cluster: one task per submission, one writer.

    dask scheduler --preload handnet_grader.cluster                    # one machine
    dask worker tcp://HOST:8786 --nthreads 1 --nworkers N --preload handnet_grader.cluster
    handnet autograde --scheduler tcp://HOST:8786 [--missing]           # in the course

Workers need the instructor's environment (handnet, handnet_grader, handnet_ref: checked
against this machine's before anything is sent) and no shared files: each task carries
its submission and, once per run, the assignments' source and gradebook (``remote``), and
brings back the record and the autograded notebook. This process, the driver, alone
writes the course: the autograded folder, nbgrader's gradebook (the rows ``nbgrader
autograde`` writes: student, submission and its timestamp, each test cell's grade, the
late penalty) and the record, in that order, so a driver killed between two writes
leaves a submission without an up-to-date record, and a run with ``missing`` grades it
again. Every write is keyed by
student, assignment and the SHA-256 of the submission's files, and writing the same
result twice leaves the same state: Dask runs a task again when its worker is lost.

A submission whose task kills its worker is tried on another; after ``grading.ATTEMPTS``
dead workers (the scheduler's ``allowed-failures``, which the preload sets) Dask gives
up with ``KilledWorker`` and the record is a grader failure that "needs a look". The
driver keeps no more submissions in flight than the cluster has threads, so a task
rarely waits on a worker beside one that kills it (a dying worker counts against every
task it holds).
"""

import os
import shutil
import time
import traceback
from pathlib import Path

from .grading import ATTEMPTS, finish_record, graded_record, grading_api
from .records import Record, grader_failure, log_path
from .remote import course_bundle, grade_bundle, submission_bundle, write_files
from .submissions import expected_notebooks, find_submissions, submitted_folder, up_to_date

WORKERS_SECONDS = 60  # for a first worker, or for one again when all are gone
POLL_SECONDS = 2.0
CODE_PACKAGES = ("handnet", "handnet_grader", "handnet_ref")
VERSIONED = ("nbgrader", "numpy", "distributed")


class ClusterError(Exception):
    """The cluster cannot grade: its scheduler cannot be reached, it has no workers, or
    its workers would grade with other code than this machine. Nothing was graded."""


def code_fingerprint():
    """SHA-256 of the Python files of CODE_PACKAGES and the versions of VERSIONED: two
    machines with the same fingerprint grade alike."""
    import hashlib
    import importlib.metadata
    import importlib.util

    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        spec = importlib.util.find_spec(package)
        folder = Path(spec.origin).parent
        for path in sorted(folder.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in VERSIONED:
        digest.update(f"{name}=={importlib.metadata.version(name)}\0".encode())
    return digest.hexdigest()


def connect_seconds():
    """How long to try to reach the scheduler: Dask's ``distributed.comm.timeouts.connect``
    (30 s; e.g. DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s)."""
    import dask
    from dask.utils import parse_timedelta

    return parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="s")


def connect(address, timeout=None, workers_timeout=WORKERS_SECONDS):
    """A Dask Client on the scheduler at ``address`` with at least one worker, every
    worker running this machine's grading code; ClusterError, saying what to do, if not.
    ``timeout``: seconds to reach the scheduler (default: ``connect_seconds()``)."""
    from distributed import Client

    timeout = connect_seconds() if timeout is None else timeout
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} within "
            f"{timeout:g} s ({type(e).__name__}: {e}); nothing was graded. "
            f"Is `dask scheduler` running there, and is the port open?"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=workers_timeout)
        except TimeoutError:
            raise ClusterError(
                f"the Dask scheduler at {address} has no workers (waited "
                f"{workers_timeout:g} s): start some with `dask worker "
                f"{address} --nthreads 1 --preload handnet_grader.cluster`; "
                "nothing was graded"
            ) from None
        mine = code_fingerprint()
        theirs = client.run(code_fingerprint, on_error="return")
        different = {w: f for w, f in theirs.items() if f != mine}
        if different:
            other = f"other code ({', '.join(CODE_PACKAGES)}) or versions ({', '.join(VERSIONED)})"
            why = "; ".join(
                f"{w}: {f!r}" if isinstance(f, Exception) else f"{w}: {other}"
                for w, f in sorted(different.items())
            )
            raise ClusterError(
                f"workers that cannot grade as this machine does ({why}): "
                "install the same instructor environment there; "
                "nothing was graded"
            )
    except BaseException:
        client.close()
        raise
    return client


def dask_setup(server):
    """``--preload handnet_grader.cluster`` for the scheduler (a submission's task is
    given up after ATTEMPTS dead workers, not Dask's default of four) and for workers
    (the grading folders of killed workers on this machine are swept at start)."""
    from distributed import Scheduler

    from . import scratch

    if isinstance(server, Scheduler):
        server.allowed_failures = ATTEMPTS - 1
    else:
        scratch.sweep()


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


def save_grades(api, root, student, assignment):
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


def write_result(api, root, result):
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


def failed_record(api, root, student, assignment, sha256, error, tb=None):
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


class ClusterRun:
    """What a cluster run did: ``records`` (written), ``not_graded`` (pairs left without
    a new record because the scheduler went away) and ``skipped`` (pairs up to date)."""

    def __init__(self):
        self.records, self.not_graded, self.skipped = [], [], []
        self.writer_seconds = 0.0  # time the driver spent writing results

    def __repr__(self):
        return (
            f"ClusterRun({len(self.records)} graded, {len(self.not_graded)} not graded, "
            f"{len(self.skipped)} up to date)"
        )


def _threads(client):
    try:
        return sum(client.nthreads().values())
    except Exception:  # the scheduler is going away: the next wait says so
        return 0


def grade_on_cluster(
    root,
    address,
    assignment=None,
    student=None,
    missing=False,
    report=None,
    timeout=None,
    workers_timeout=WORKERS_SECONDS,
    client=None,
):
    """Grade the matching submissions on the Dask cluster at ``address`` (or ``client``);
    returns a ClusterRun. ``missing``: leave out submissions whose record is up to date
    (``submissions.up_to_date``). ``report(done, total, record)`` as in ``grade_class``.

    Raises ClusterError before anything is graded when the cluster cannot grade, and
    GradebookUnavailable when the course's gradebook cannot be opened."""
    from distributed import wait
    from distributed.client import FuturesCancelledError

    from .release import ensure_in_gradebook

    root = Path(root).resolve()
    run = ClusterRun()
    pairs = find_submissions(root, assignment, student)
    if missing:
        fresh = up_to_date(root, pairs)
        run.skipped = [p for p in pairs if p in fresh]
        pairs = [p for p in pairs if p not in fresh]
    if not pairs:
        return run
    ensure_in_gradebook(root, sorted({a for _, a in pairs}))
    own = client is None
    client = connect(address, timeout, workers_timeout) if own else client
    try:
        api = grading_api(root)
        ignore = api.coursedir.ignore
        token = os.urandom(4).hex()  # a restarted driver's tasks are new tasks
        bundle = course_bundle(root, sorted({a for _, a in pairs}))
        # a task that returns the bundle, which the grading tasks take: sent once, and
        # computed again if the worker holding it dies
        course = client.submit(
            _given, bundle, pure=False, key=f"handnet-course-{bundle['digest'][:16]}-{token}"
        )
        queue, pending = list(pairs), {}
        no_workers_since = None

        def send():
            """Keep as many submissions in flight as the cluster has threads."""
            while queue and client.status == "running" and len(pending) < max(_threads(client), 1):
                s, a = queue[0]
                bundle = submission_bundle(root, s, a, ignore)
                future = client.submit(
                    grade_bundle,
                    course,
                    bundle,
                    pure=False,
                    key=f"handnet-grade-{a}-{s}-{bundle['sha256'][:16]}-{token}",
                )
                pending[future] = (s, a, bundle["sha256"])
                queue.pop(0)

        while queue or pending:
            send()
            if not pending:  # nothing could be sent: the scheduler is gone
                run.not_graded = sorted(queue)
                return run
            try:
                with client.as_current():
                    done, _ = wait(
                        list(pending), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED"
                    )
            except FuturesCancelledError:  # the scheduler went away: handled below
                done = {future for future in pending if future.done()}
            except TimeoutError:
                if client.status in ("closing", "closed"):  # gave up reconnecting
                    run.not_graded = sorted([p[:2] for p in pending.values()] + queue)
                    return run
                if _threads(client):
                    no_workers_since = None
                elif no_workers_since is None:
                    no_workers_since = time.monotonic()
                elif time.monotonic() - no_workers_since > workers_timeout:
                    run.not_graded = sorted([p[:2] for p in pending.values()] + queue)
                    return run
                continue
            finished = [(future, pending.pop(future)) for future in done]
            if any(future.status == "cancelled" for future, _ in finished):
                # the scheduler went away: what it held is lost, the rest cannot be sent
                run.not_graded = sorted(
                    [(s, a) for f, (s, a, _) in finished if f.status == "cancelled"]
                    + [p[:2] for p in pending.values()]
                    + queue
                )
                finished = [(f, p) for f, p in finished if f.status != "cancelled"]
                queue.clear()
            else:
                send()  # the workers grade the next ones while this process writes
            for future, (s, a, sha256) in finished:
                started = time.monotonic()
                if future.status == "finished":
                    record = write_result(api, root, future.result())
                else:
                    record = failed_record(
                        api, root, s, a, sha256, future.exception(), future.traceback()
                    )
                run.writer_seconds += time.monotonic() - started
                run.records.append(record)
                if report:
                    report(len(run.records), len(pairs), record)
                future.release()
            if run.not_graded:
                return run
    finally:
        if own:
            client.close()
    run.records.sort(key=lambda r: (r.assignment, r.student))
    return run


def _given(bundle):
    """A task's way of holding the course bundle (see grade_on_cluster)."""
    return bundle
