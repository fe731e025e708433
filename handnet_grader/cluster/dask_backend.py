"""The Dask backend of a run: one task per submission, on the workers of a Dask cluster.

    dask scheduler --preload handnet_grader.cluster.preload                    # one machine
    dask worker tcp://HOST:8786 --nthreads 1 --nworkers N --preload handnet_grader.cluster.preload
    handnet autograde --scheduler tcp://HOST:8786 [--missing]           # in the course

Workers need the instructor's environment (handnet, handnet_grader, handnet_ref: checked
against this machine's before anything is sent, ``connect``) and no shared files: each
task carries its submission and, once per run, the course bundle (``run.jobs``), and
brings back the result, which the driver alone writes (``run.driver``).

A submission whose task kills its worker is tried on another; after ``ATTEMPTS`` dead
workers (the scheduler's ``allowed-failures``, which the preload sets) Dask gives up
with ``KilledWorker``, which the driver records as ``WorkerDied``: a grader failure that
"needs a look". The driver keeps no more submissions in flight than the cluster has
threads, so a task rarely waits on a worker beside one that kills it (a dying worker
counts against every task it holds).

The backend is ``gone`` when the scheduler went away (the client gave up reconnecting, or
cancelled what it held) or has had no worker for ``workers_timeout`` seconds.
"""

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ..run.backends import Backend, Outcome, WorkerDied
from ..run.driver import Run, drive, prepare
from ..run.jobs import grade_bundle
from ..run.records import Record
from .connect import WORKERS_SECONDS, connect

if TYPE_CHECKING:
    from distributed import Client


class DaskBackend(Backend):
    """The cluster behind ``client`` (closed with the backend when ``own``)."""

    def __init__(
        self, client: "Client", own: bool = False, workers_timeout: float = WORKERS_SECONDS
    ) -> None:
        self.client, self.own, self.workers_timeout = client, own, workers_timeout
        self.gone = ""
        self._course = None
        self._futures: dict[Any, str] = {}  # future: key
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
        # a task that returns the bundle, which the grading tasks take: sent once, and
        # computed again if the worker holding it dies
        self._course = self.client.submit(
            _given,
            course,
            pure=False,
            key=f"handnet-course-{course['digest'][:16]}-{os.urandom(4).hex()}",
        )

    def capacity(self) -> int:
        if self.client.status != "running":
            return 0
        try:
            return sum(self.client.nthreads().values())
        except Exception:  # the scheduler is going away: the next wait says so
            return 0

    def submit(self, key: str, submission: dict[str, Any]) -> None:
        future = self.client.submit(grade_bundle, self._course, submission, pure=False, key=key)
        self._futures[future] = key

    def wait(self, timeout: float) -> list[Outcome]:
        from distributed import KilledWorker, wait
        from distributed.client import FuturesCancelledError

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
            if future.status == "cancelled":
                self.gone = "the scheduler went away"
                outcomes.append(Outcome(key, lost=True))
            elif future.status == "finished":
                outcomes.append(Outcome(key, result=future.result()))
            else:
                error, tb = future.exception(), future.traceback()
                if isinstance(error, KilledWorker):
                    error = WorkerDied(key, error.allowed_failures + 1, f" (KilledWorker: {error})")
                outcomes.append(Outcome(key, error=error, traceback=_text(error, tb)))
            future.release()
        return outcomes

    def _check_workers(self) -> None:
        """``gone`` once the client has given up on the scheduler, or the cluster has had
        no worker for ``workers_timeout`` seconds."""
        if self.client.status in ("closing", "closed"):
            self.gone = "the scheduler went away"
        elif self.capacity():
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

    def close(self) -> None:
        if self.own:
            self.client.close()


def _text(error, tb):
    import traceback

    return "".join(traceback.format_exception(type(error), error, tb))


def _given(bundle):
    """A task's way of holding the course bundle (see DaskBackend.start)."""
    return bundle


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
