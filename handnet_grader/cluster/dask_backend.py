"""Grade a class on a Dask cluster: one task per submission, one writer.

    dask scheduler --preload handnet_grader.cluster.preload                    # one machine
    dask worker tcp://HOST:8786 --nthreads 1 --nworkers N --preload handnet_grader.cluster.preload
    handnet autograde --scheduler tcp://HOST:8786 [--missing]           # in the course

Workers need the instructor's environment (handnet, handnet_grader, handnet_ref: checked
against this machine's before anything is sent, ``cluster_connect``) and no shared files:
each task carries its submission and, once per run, the assignments' source and gradebook
(``remote``), and brings back the record and the autograded notebook. This process, the
driver, alone writes the course (``cluster_writes``: keyed and idempotent, as Dask runs a
task again when its worker is lost).

A submission whose task kills its worker is tried on another; after ``grading.ATTEMPTS``
dead workers (the scheduler's ``allowed-failures``, which the preload sets) Dask gives
up with ``KilledWorker`` and the record is a grader failure that "needs a look". The
driver keeps no more submissions in flight than the cluster has threads, so a task
rarely waits on a worker beside one that kills it (a dying worker counts against every
task it holds).
"""

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..run.grading import grading_api
from ..run.jobs import course_bundle, grade_bundle, submission_bundle
from ..run.records import Record
from ..run.submissions import find_submissions, up_to_date
from ..run.write_back import failed_record, write_result
from .connect import WORKERS_SECONDS, connect

if TYPE_CHECKING:
    from distributed import Client

POLL_SECONDS = 2.0


class ClusterRun:
    """What a cluster run did: ``records`` (written), ``not_graded`` (pairs left without
    a new record because the scheduler went away) and ``skipped`` (pairs up to date)."""

    def __init__(self) -> None:
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
    root: str | Path,
    address: str | None,
    assignment: str | None = None,
    student: str | Iterable[str] | None = None,
    missing: bool = False,
    report: Callable[[int, int, Record], None] | None = None,
    timeout: float | None = None,
    workers_timeout: float = WORKERS_SECONDS,
    client: "Client | None" = None,
) -> ClusterRun:
    """Grade the matching submissions on the Dask cluster at ``address`` (or ``client``);
    returns a ClusterRun. ``missing``: leave out submissions whose record is up to date
    (``submissions.up_to_date``). ``report(done, total, record)`` as in ``grade_class``.

    Raises ClusterError before anything is graded when the cluster cannot grade, and
    GradebookUnavailable when the course's gradebook cannot be opened."""
    from distributed import wait
    from distributed.client import FuturesCancelledError

    from ..course.release import ensure_in_gradebook

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
