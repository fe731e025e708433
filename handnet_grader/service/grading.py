"""The grading service's side of a run: a receipt for what a student just submitted, and
the receipts waiting graded by the one driver of every run (``run.driver``) on a backend,
each receipt then marked graded or failed.

A service killed while grading leaves receipts claimed; the next one puts them back
(``queue.recover``) and grades each again, unless its record already shows the files of
the receipt graded (the service died after writing it): then the receipt is only marked,
so that a submission is graded once.
"""

from collections.abc import Callable
from pathlib import Path

from ..run.backends import Backend
from ..run.driver import Plan, drive
from ..run.records import GRADER_FAILURE, Record
from ..run.submissions import current_hashes, final_record_hashes
from .queue import FAILED, GRADED, LIVE, Receipt, SubmissionQueue


def receive_submission(
    queue: SubmissionQueue, root: str | Path, student: str, assignment: str, kind: str = LIVE
) -> Receipt:
    """The receipt of the files now in submitted/<student>/<assignment>/ (their SHA-256,
    the time now)."""
    ((_, sha256),) = current_hashes(root, [(student, assignment)]).items()
    return queue.receive(student, assignment, sha256, kind)


def grade_waiting(
    queue: SubmissionQueue,
    root: str | Path,
    backend: Callable[[], Backend],
    batch: int = 8,
) -> list[tuple[Receipt, Record | None]]:
    """Grade the receipts waiting, up to ``batch`` at a time (each batch one run of the
    driver on a new ``backend()``), until none waits; return (receipt, its Record, or
    None when the record already showed it graded). A run stopped by the gradebook
    (GradingStopped) puts the receipts of its batch back, then raises."""
    done: list[tuple[Receipt, Record | None]] = []
    while claimed := _claim(queue, batch):
        graded = final_record_hashes(root, [(r.student, r.assignment) for r in claimed])
        again = [r for r in claimed if graded.get((r.student, r.assignment)) == r.sha256]
        for receipt in again:
            queue.finish(receipt.id, GRADED)
            done.append((receipt, None))
        todo = [r for r in claimed if r not in again]
        if not todo:
            continue
        plan = Plan(Path(root).resolve(), sorted({(r.student, r.assignment) for r in todo}))
        try:
            records = {(r.student, r.assignment): r for r in drive(plan, backend()).records}
        except BaseException:
            queue.put_back([r.id for r in todo])
            raise
        for receipt in todo:
            record = records.get((receipt.student, receipt.assignment))
            failed = record is None or record.status == GRADER_FAILURE
            queue.finish(receipt.id, FAILED if failed else GRADED)
            done.append((receipt, record))
    return done


def _claim(queue: SubmissionQueue, most: int) -> list[Receipt]:
    claimed: list[Receipt] = []
    while len(claimed) < most and (receipt := queue.claim()) is not None:
        claimed.append(receipt)
    return claimed
