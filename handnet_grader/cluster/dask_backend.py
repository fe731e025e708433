"""The Dask backend of a run: one task per submission, on the workers of a Dask cluster.

    dask scheduler --preload handnet_grader.cluster.preload                    # one machine
    dask worker tcp://HOST:8786 --nthreads 1 --nworkers N --preload handnet_grader.cluster.preload
    handnet autograde --scheduler tcp://HOST:8786 [--missing]           # in the course

Workers need the instructor's environment (handnet, handnet_grader, handnet_ref: checked
against this machine's before anything is sent, ``connect``) and no shared files: each
task carries its submission and brings back the result, which the driver alone writes
(``run.driver``). The course bundle (``run.jobs``) goes once per run to every worker,
also one that joins later, as a worker plugin (``CoursePlugin``), not as a task the
grading tasks depend on: Dask sends a task to a worker that holds what it depends on,
which would pile every submission onto the one worker holding the bundle.

A submission whose task kills its worker is tried on another; after ``ATTEMPTS`` dead
workers (the scheduler's ``allowed-failures``, which the preload sets) Dask gives up
with ``KilledWorker``. A dying worker counts against every task it holds, also one only
waiting there behind the task that killed it, so a ``KilledWorker`` says only that the
submission was near the deaths: as in the local backend, it is then graded alone (no
other task on the cluster) and only a ``KilledWorker`` there is its own, which the
driver records as ``WorkerDied``: a grader failure that "needs a look".

The backend is ``gone`` when the scheduler went away (the client gave up reconnecting, or
cancelled what it held) or has had no worker for ``workers_timeout`` seconds.
"""

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from distributed import WorkerPlugin

from ..run.backends import Backend, Outcome, WorkerDied
from ..run.driver import Run, drive, prepare
from ..run.jobs import grade_bundle
from ..run.records import Record
from .connect import WORKERS_SECONDS, connect

if TYPE_CHECKING:
    from distributed import Client, Worker


class CoursePlugin(WorkerPlugin):
    """A worker plugin that holds one run's course bundle on every worker of the cluster
    (Dask registers it on workers that join later too) until the run unregisters it."""

    def __init__(self, name: str, course: dict[str, Any]) -> None:
        self.name, self.course = name, course

    def setup(self, worker: "Worker") -> None:
        _COURSES[self.name] = self.course

    def teardown(self, worker: "Worker") -> None:
        _COURSES.pop(self.name, None)


_COURSES: dict[str, dict[str, Any]] = {}  # on a worker: plugin name: course bundle


def _run_held(
    job: Callable[[dict, dict], dict], course: str, submission: dict[str, Any]
) -> dict[str, Any]:
    """A grading task: ``job`` with the course bundle the plugin named ``course`` holds on
    this worker."""
    if course not in _COURSES:
        raise RuntimeError(f"this worker does not hold the run's course ({course})")
    return job(_COURSES[course], submission)


class DaskBackend(Backend):
    """The cluster behind ``client`` (closed with the backend when ``own``). ``job`` is
    ``jobs.grade_bundle``; a test may give another function the workers can import."""

    def __init__(
        self,
        client: "Client",
        own: bool = False,
        workers_timeout: float = WORKERS_SECONDS,
        job: Callable[[dict, dict], dict] = grade_bundle,
    ) -> None:
        self.client, self.own, self.workers_timeout = client, own, workers_timeout
        self.job = job
        self.gone = ""
        self._course = ""  # the name of the run's CoursePlugin, once registered
        self._futures: dict[Any, str] = {}  # future: key
        self._jobs: dict[str, dict[str, Any]] = {}  # key: submission bundle, until it ends
        self._suspects: list[str] = []  # near a worker's deaths: to grade alone, in turn
        self._alone = ""  # the key of the one being graded alone
        self._no_workers_since: float | None = None

    @classmethod
    def connect(
        cls,
        address: str,
        timeout: float | None = None,
        workers_timeout: float = WORKERS_SECONDS,
    ) -> Self:
        """The cluster at ``address``; ClusterError when it cannot grade (nothing sent)."""
        return cls(connect(address, timeout, workers_timeout), True, workers_timeout)

    def start(self, course: dict[str, Any]) -> None:
        name = f"handnet-course-{course['digest'][:16]}-{os.urandom(4).hex()}"
        self.client.register_plugin(CoursePlugin(name, course), name=name)
        self._course = name

    def capacity(self) -> int:
        threads = self._threads()
        if threads and (self._suspects or self._alone):
            return 1  # the driver's jobs in flight include them: it sends no new one
        return threads

    def _threads(self) -> int:
        """The cluster's threads now (0 while it has no workers, or is going away)."""
        if self.client.status != "running":
            return 0
        try:
            return sum(self.client.nthreads().values())
        except Exception:  # the scheduler is going away: the next wait says so
            return 0

    def _send(self, key: str, task_key: str) -> None:
        future = self.client.submit(
            _run_held, self.job, self._course, self._jobs[key], pure=False, key=task_key
        )
        self._futures[future] = key

    def submit(self, key: str, submission: dict[str, Any]) -> None:
        self._jobs[key] = submission
        self._send(key, key)

    def wait(self, timeout: float) -> list[Outcome]:
        from distributed import KilledWorker, wait
        from distributed.client import FuturesCancelledError

        if self._suspects and not self._futures:
            self._alone = self._suspects.pop(0)
            self._send(self._alone, f"{self._alone}-alone")
        if not self._futures:  # nothing could be sent: no workers (yet, or any more)
            try:
                self.client.wait_for_workers(1, timeout=timeout)
            except Exception:  # TimeoutError, or the scheduler going away
                self._check_workers()
            return []
        try:
            with self.client.as_current():
                done, _ = wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except FuturesCancelledError:  # the scheduler went away
            done = {future for future in self._futures if future.done()}
        except TimeoutError:
            if self.client.status in ("closing", "closed"):
                self.gone = "the scheduler went away"
            else:
                self._check_workers()
            return []
        outcomes = []
        for future in done:
            key = self._futures.pop(future)
            error = future.exception() if future.status == "error" else None
            if isinstance(error, KilledWorker) and key != self._alone:
                self._suspects.append(key)  # maybe only near the deaths: alone, later
            elif future.status == "cancelled":
                self.gone = "the scheduler went away"
                outcomes.append(Outcome(key, lost=True))
            elif future.status == "finished":
                outcomes.append(Outcome(key, result=future.result()))
            else:
                if isinstance(error, KilledWorker):
                    error = WorkerDied(key, error.allowed_failures + 1, f" (KilledWorker: {error})")
                outcomes.append(
                    Outcome(key, error=error, traceback=_text(error, future.traceback()))
                )
            if key == self._alone:
                self._alone = ""
            if key not in self._suspects:
                self._jobs.pop(key, None)
            future.release()
        return outcomes

    def _check_workers(self) -> None:
        """``gone`` once the client has given up on the scheduler, or the cluster has had
        no worker for ``workers_timeout`` seconds."""
        if self.client.status in ("closing", "closed"):
            self.gone = "the scheduler went away"
        elif self._threads():
            self._no_workers_since = None
        elif self._no_workers_since is None:
            self._no_workers_since = time.monotonic()
        elif time.monotonic() - self._no_workers_since > self.workers_timeout:
            self.gone = f"the cluster has had no workers for {self.workers_timeout:g} s"

    def cancel(self) -> None:
        try:
            self.client.cancel(list(self._futures))
        except Exception:  # the scheduler went away: nothing left to cancel
            pass
        self._futures.clear()
        self._jobs.clear()
        self._suspects.clear()
        self._alone = ""

    def close(self) -> None:
        if self._course and self.client.status == "running":
            try:  # the workers drop the course bundle
                self.client.unregister_worker_plugin(self._course)
            except Exception:  # the scheduler went away, and the plugin with it
                pass
        if self.own:
            self.client.close()


def _text(error, tb):
    import traceback

    return "".join(traceback.format_exception(type(error), error, tb))


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
) -> Run:
    """Grade the matching submissions on the Dask cluster at ``address`` (or ``client``,
    left open); ``missing`` and ``report`` as in ``run.driver.grade_class``. Raises
    ClusterError before anything is graded when the cluster cannot grade,
    GradebookUnavailable when the course's gradebook cannot be opened, GradingStopped
    when it stops answering meanwhile."""
    plan = prepare(root, assignment, student, missing)
    if client is None:
        backend = DaskBackend.connect(address, timeout, workers_timeout)
    else:
        backend = DaskBackend(client, False, workers_timeout)
    return drive(plan, backend, report)
