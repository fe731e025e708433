"""One grading run, whatever runs its jobs: ``prepare`` says what to grade, ``drive`` grades
it on a backend (``backends``: this machine's processes, or a Dask cluster).

``prepare`` looks once: the matching submissions in submitted/ and those whose record is
up to date (left out with ``missing``); ``make_ready`` then makes the gradebook ready (a
new database gets its tables, a fresh clone's assignments are recorded; an unreachable
one stops the run there, with GradebookUnavailable, before anything is graded). ``drive``
makes it ready when the caller has not.

``drive`` sends the course bundle once and each submission as a job (``jobs``), keeping as
many in flight as the backend runs at once, and alone writes the course (``write_back``),
each batch of finished jobs in one transaction. Every submission it was given ends in
one of three ways:

- **a record** (written), also when its job raised or killed its worker ``ATTEMPTS``
  times (a grader failure that "needs a look");
- **stopped**: the gradebook stopped answering; the run stops (``GradingStopped``) and
  the submissions without a new record have none (an earlier run's is removed), for
  ``missing`` to grade when it is back;
- **not graded**: the backend went away (a scheduler lost, no workers left); they keep
  what they had (``Run.not_graded``), for ``missing`` too.
"""

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..course.gradebook import GradebookLost, shown
from ..course.root import load_config
from .backends import Backend, LocalBackend, Outcome
from .records import Record, record_path
from .scratch_folders import sweep
from .submissions import find_submissions, up_to_date

POLL_SECONDS = 2.0

Pair = tuple[str, str]  # (student, assignment)


class GradingStopped(GradebookLost):
    """The gradebook stopped answering during a run: ``records`` are those written (of
    ``total`` submissions), ``left`` the (student, assignment) pairs not graded, which
    have no record."""

    def __init__(
        self, gradebook: str, why: str, records: list[Record], left: Iterable[Pair], total: int
    ) -> None:
        self.records, self.left, self.total = records, sorted(left), total
        super().__init__(
            f"the gradebook {gradebook} stopped answering after {len(records)} of {total} "
            f"submission(s) ({why}); {len(self.left)} were not graded and have no record",
            why,
        )


@dataclass
class Plan:
    """What a run grades: ``pairs``; ``skipped``, up to date; ``added``, assignments just
    recorded in the gradebook, and ``differences``, where release/ differs from what
    their source generates."""

    root: Path
    pairs: list[Pair]
    skipped: list[Pair] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    ready: bool = False  # the gradebook made ready for it (make_ready)


@dataclass
class Run:
    """What a run did: ``records`` (written, sorted), ``not_graded`` (left as they were:
    the backend went away), ``skipped`` (up to date), and the seconds the driver spent
    writing results (``writer_seconds``)."""

    records: list[Record] = field(default_factory=list)
    not_graded: list[Pair] = field(default_factory=list)
    skipped: list[Pair] = field(default_factory=list)
    writer_seconds: float = 0.0


def prepare(
    root: str | Path,
    assignment: str | None = None,
    student: str | Iterable[str] | None = None,
    missing: bool = False,
) -> Plan:
    """What to grade in the course at ``root`` (nothing is opened or written)."""
    root = Path(root).resolve()
    pairs = find_submissions(root, assignment, student)
    plan = Plan(root, pairs)
    if missing:
        fresh = up_to_date(root, pairs)
        plan.skipped = [p for p in pairs if p in fresh]
        plan.pairs = [p for p in pairs if p not in fresh]
    return plan


def make_ready(plan: Plan) -> Plan:
    """Make the gradebook ready for ``plan`` (once): GradebookUnavailable when it cannot
    be reached; ``plan.added`` and ``plan.differences`` say what it found."""
    from ..course.release import ensure_in_gradebook

    if plan.pairs and not plan.ready:
        names = sorted({a for _, a in plan.pairs})
        plan.added, plan.differences = ensure_in_gradebook(plan.root, names)
    plan.ready = True
    return plan


def drive(
    plan: Plan,
    backend: Backend,
    report: Callable[[int, int, Record], None] | None = None,
) -> Run:
    """Grade ``plan`` on ``backend`` (closed when this returns); ``report(done, total,
    record)`` as each record is written. Raises GradingStopped when the gradebook stops
    answering."""
    from .autograde import grading_api
    from .jobs import course_bundle, submission_bundle
    from .write_back import Writer, failed_record

    run = Run(skipped=plan.skipped)
    if not plan.pairs:
        backend.close()
        return run
    try:
        make_ready(plan)
    except BaseException:
        backend.close()
        raise
    root, total = plan.root, len(plan.pairs)
    sweep()
    api = grading_api(root)
    token = os.urandom(4).hex()  # a restarted driver's jobs are new jobs
    waiting, in_flight = list(plan.pairs), {}  # key: (student, assignment, sha256)
    batch: list[tuple[Outcome, tuple[str, str, str]]] = []
    try:
        backend.start(course_bundle(root, sorted({a for _, a in plan.pairs})))
        with Writer(api, root) as writer:
            try:
                while waiting or in_flight:
                    while waiting and not backend.gone and len(in_flight) < backend.capacity():
                        s, a = waiting.pop(0)
                        bundle = submission_bundle(root, s, a, api.coursedir.ignore)
                        key = f"handnet-grade-{a}-{s}-{bundle['sha256'][:16]}-{token}"
                        backend.submit(key, bundle)
                        in_flight[key] = (s, a, bundle["sha256"])
                    if backend.gone and not in_flight:
                        break
                    outcomes = backend.wait(POLL_SECONDS)
                    lost = [o for o in outcomes if o.lost]
                    batch = [(o, in_flight.pop(o.key)) for o in outcomes if not o.lost]
                    run.not_graded += [in_flight.pop(o.key)[:2] for o in lost]
                    results = [o.result for o, _ in batch if o.result is not None]
                    written = iter(writer.write(results)) if results else iter(())
                    while batch:  # popped once written: what is left when it stops, is not
                        outcome, (s, a, sha256) = batch[0]
                        if outcome.result is not None:
                            record = next(written)
                        else:
                            record = failed_record(
                                api, root, s, a, sha256, outcome.error, outcome.traceback
                            )
                        batch.pop(0)
                        run.records.append(record)
                        if report:
                            report(len(run.records), total, record)
                    if backend.gone:
                        break
            except GradebookLost as e:
                backend.cancel()
                left = [p[:2] for _, p in batch] + [p[:2] for p in in_flight.values()] + waiting
                for s, a in left:  # an earlier run's record is not what this run was asked for
                    record_path(root, a, s).unlink(missing_ok=True)
                gradebook = shown(load_config(root).CourseDirectory.db_url)
                raise GradingStopped(gradebook, e.why, _sorted(run.records), left, total) from None
            finally:
                run.writer_seconds = writer.seconds
    finally:
        backend.close()
    run.not_graded = sorted(run.not_graded + [p[:2] for p in in_flight.values()] + waiting)
    run.records = _sorted(run.records)
    return run


def _sorted(records):
    return sorted(records, key=lambda r: (r.assignment, r.student))


def grade_class(
    root: str | Path,
    assignment: str | None = None,
    student: str | Iterable[str] | None = None,
    workers: int = 1,
    report: Callable[[int, int, Record], None] | None = None,
    missing: bool = False,
) -> list[Record]:
    """Grade every matching submission in ``workers`` processes of this machine; return
    the Records written (``missing``: leave out those whose record is up to date).
    Raises GradebookUnavailable before anything is graded when the gradebook cannot be
    reached, GradingStopped when it stops answering meanwhile."""
    return drive(prepare(root, assignment, student, missing), LocalBackend(workers), report).records
