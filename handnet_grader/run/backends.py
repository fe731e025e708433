"""Where the jobs of a grading run execute: the interface the driver (``driver``) uses, and
its local implementation, a pool of this machine's processes. The Dask cluster is the
other (``handnet_grader.cluster.dask_backend``).

A backend runs ``jobs.grade_bundle(course, submission)``: ``start(course)`` hands it the
course bundle once, ``submit(submission)`` one submission bundle, and ``wait(timeout)``
gives back what finished as ``Outcome``s: the job's result, or the error it ended with.
A job whose process dies is run again in a new one, up to ``ATTEMPTS`` deaths; then its
outcome is ``WorkerDied`` (a grader failure that "needs a look": the submission, not the
machine, is the likely cause). ``gone`` says why a backend can grade nothing more (its
scheduler went away); the jobs it lost come back as outcomes with ``lost`` set.
"""

import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from .autograde import ATTEMPTS  # also: a job is given up after its process died this often
from .jobs import grade_bundle


class WorkerDied(Exception):
    """A job's worker process died ``deaths`` times while it ran (``needs a look``)."""

    def __init__(self, key: str, deaths: int, detail: str = "") -> None:
        super().__init__(f"{key}: its worker process died {deaths} times{detail}")
        self.deaths = deaths


@dataclass
class Outcome:
    """How one job ended: ``result`` (``jobs.grade_bundle``'s), else ``error`` (with its
    ``traceback`` text) or ``lost`` (the backend went away holding it)."""

    key: str
    result: dict[str, Any] | None = None
    error: BaseException | None = None
    traceback: str = ""
    lost: bool = False


class Backend:
    """What the driver needs of a place that runs jobs."""

    gone: str = ""  # why it can take no more jobs, once it cannot

    def start(self, course: dict[str, Any]) -> None:
        """Hold the run's course bundle for every job."""
        raise NotImplementedError

    def capacity(self) -> int:
        """How many jobs it runs at once now (0 while it has no workers)."""
        raise NotImplementedError

    def submit(self, key: str, submission: dict[str, Any]) -> None:
        """Start grading one submission bundle; its Outcome will carry ``key``."""
        raise NotImplementedError

    def wait(self, timeout: float) -> list[Outcome]:
        """The jobs that ended, waiting up to ``timeout`` seconds for at least one."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Drop every job not yet ended (the run stops)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers; every process it started is gone when this returns."""


_COURSE: dict[str, Any] = {}


def _hold(course: dict[str, Any]) -> None:
    """A pool process's start: keep the course bundle (sent once, not with each job)."""
    _COURSE.update(course)


def _run(job: Callable[[dict, dict], dict], submission: dict[str, Any]) -> dict[str, Any]:
    return job(_COURSE, submission)


class LocalBackend(Backend):
    """``workers`` processes of this machine (spawned, so no state of the driver's leaks
    in), each grading one job at a time. ``job`` is ``jobs.grade_bundle``; a test may
    give another importable function.

    A process that dies breaks the pool for every job it held: when more than one was
    running, none is blamed; they run again one at a time (``capacity`` is then 1), so
    that a death is charged to the one job that was running."""

    def __init__(self, workers: int = 1, job: Callable[[dict, dict], dict] = grade_bundle) -> None:
        self.workers, self.job = max(1, workers), job
        self._pool: ProcessPoolExecutor | None = None
        self._course: dict[str, Any] = {}
        self._futures: dict[Future, str] = {}
        self._jobs: dict[str, tuple[dict[str, Any], int]] = {}  # key: (submission, deaths)
        self._suspects: list[str] = []  # to run alone, one after the other
        self._unsent: list[str] = []  # submitted to a broken pool: sent again to the next

    def _new_pool(self) -> None:
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_hold,
            initargs=(self._course,),
        )

    def start(self, course: dict[str, Any]) -> None:
        self._course = course
        self._new_pool()

    def capacity(self) -> int:
        return 1 if self._suspects else self.workers

    def _send(self, key: str) -> None:
        submission, _ = self._jobs[key]
        try:
            self._futures[self._pool.submit(_run, self.job, submission)] = key
        except BrokenProcessPool:  # a process died since the last wait: the next one sees to it
            self._unsent.append(key)

    def _renew_pool(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._new_pool()

    def submit(self, key: str, submission: dict[str, Any]) -> None:
        self._jobs[key] = (submission, 0)
        self._send(key)

    def wait(self, timeout: float) -> list[Outcome]:
        if self._unsent and not self._futures:  # the pool broke with no job in it
            self._renew_pool()
            unsent, self._unsent = self._unsent, []
            for key in unsent:
                self._send(key)
        if self._suspects and not self._futures:
            self._send(self._suspects.pop(0))
        running = len(self._futures)
        done, _ = wait(list(self._futures), timeout=timeout, return_when=FIRST_COMPLETED)
        outcomes, broken = [], []
        for future in done:
            key = self._futures.pop(future)
            error = future.exception()
            if isinstance(error, BrokenProcessPool):
                broken.append(key)
                continue
            self._jobs.pop(key)
            if error is None:
                outcomes.append(Outcome(key, result=future.result()))
            else:
                outcomes.append(Outcome(key, error=error, traceback=_traceback(error)))
        if broken:
            broken += [self._futures.pop(f) for f in list(self._futures)]
            self._renew_pool()
            if running == 1:  # it ran alone: the death is its own
                (key,) = broken
                submission, deaths = self._jobs[key]
                self._jobs[key] = (submission, deaths + 1)
                if deaths + 1 >= ATTEMPTS:
                    self._jobs.pop(key)
                    outcomes.append(Outcome(key, error=WorkerDied(key, deaths + 1)))
                    broken = []
            self._suspects = broken + self._suspects + self._unsent  # those never ran: no blame
            self._unsent = []
        return outcomes

    def cancel(self) -> None:
        for future in self._futures:
            future.cancel()
        self._futures.clear()
        self._jobs.clear()
        self._suspects.clear()
        self._unsent.clear()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            _stop_resource_tracker()


def _stop_resource_tracker() -> None:
    """Stop and wait for the process multiprocessing started to track the pool's
    semaphores (it would outlive the run; the next pool starts another)."""
    import gc
    from multiprocessing import resource_tracker

    gc.collect()  # the pool's queues unregister their semaphores as they go
    tracker = resource_tracker._resource_tracker
    if tracker._pid is not None:  # a spawned process shares its parent's: not its to stop
        tracker._stop()


def _traceback(error: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(type(error), error, error.__traceback__))
