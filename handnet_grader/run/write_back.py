"""What the driver of a run writes into the course for each submission: the autograded
folder, nbgrader's gradebook (the rows ``nbgrader autograde`` writes: student, submission
and its timestamp, each test cell's grade, the late penalty) and the record, in that
order, so a driver killed between two writes leaves a submission without an up-to-date
record, and a run with ``missing`` grades it again. Every write is keyed by student,
assignment and the SHA-256 of the submission's files, and writing the same result twice
leaves the same state: a backend runs a job again when its worker is lost.

One ``Writer`` serves a whole run: one gradebook session (nbgrader's ``Gradebook`` costs a
new engine and a look at every table each time it opens), and one transaction for each
batch of results. What needs no gradebook (what the autograded notebooks say, the
integrity scan of the submission) comes read with the result, from the worker. A batch that fails is written again one result at a time, so one bad
result costs only its own submission; unless the gradebook stopped answering
(``GradebookLost``), which stops the run.
"""

import shutil
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ..course.gradebook import ensure_answering
from .autograde_results import finish_record, read_record
from .backends import WorkerDied
from .gradebook_rows import (
    BatchGradebook,
    NotebookRows,
    notebook_rows,
    read_scores_again,
    unvalidated,
)
from .jobs import write_files
from .records import Record, grader_failure, log_path
from .submissions import expected_notebooks, submitted_folder

if TYPE_CHECKING:
    from nbgrader.apps import NbGraderAPI


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


class Writer:
    """Writes a run's results into the course at ``root`` (``api``: nbgrader's API on
    it); ``seconds`` counts the time spent writing. Use it as a context manager."""

    def __init__(self, api: "NbGraderAPI", root: str | Path) -> None:
        from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

        self.api, self.root = api, Path(root)
        self.db_url = api.coursedir.db_url
        self.seconds = 0.0
        self._save = SaveAutoGrades(config=api.config)
        self._late = AssignLatePenalties(config=api.config)
        self._late.init_plugin()
        self._gradebook: BatchGradebook | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._gradebook is not None:
            self._gradebook.close()
            self._gradebook = None

    def _open(self) -> BatchGradebook:
        if self._gradebook is None:
            self._gradebook = BatchGradebook(self.db_url, self.api.coursedir.course_id)
        return self._gradebook

    def write(self, results: Sequence[dict[str, Any]]) -> list[Record]:
        """Write each result (``jobs.grade_bundle``'s) and return its Record (written):
        the same as grading in the course would leave. Raises GradebookLost, committing
        nothing of the batch, when the gradebook stopped answering."""
        started = time.monotonic()
        try:
            try:
                return self._write(results)
            except Exception:
                self._reset()
                ensure_answering(self.db_url)  # GradebookLost: the run stops
            return [self._write_alone(result) for result in results]
        finally:
            self.seconds += time.monotonic() - started

    def _reset(self) -> None:
        if self._gradebook is not None:
            try:
                self._gradebook.db.rollback()
            finally:
                self.close()

    def _write_alone(self, result: dict[str, Any]) -> Record:
        try:
            return self._write([result])[0]
        except Exception:  # the course's side: never lose the class over one write
            self._reset()
            ensure_answering(self.db_url)
            s, a = result["student"], result["assignment"]
            record = grader_failure(
                self.root, s, a, "the driver could not save it", traceback.format_exc()
            )
            return finish_record(
                self.db_url, self.root, record, result["seconds"], result["sha256"]
            )

    def _write(self, results: Sequence[dict[str, Any]]) -> list[Record]:
        for result in results:
            _write_log(self.root, result)
            if result["graded"]:
                _install_autograded(
                    self.root, result["student"], result["assignment"], result["autograded"]
                )
        gradebook = self._open()
        graded = {(r["student"], r["assignment"]): r for r in results if r["graded"]}
        rows = gradebook.read_batch(graded)
        for student, assignment in graded:
            submitted = str(submitted_folder(self.root, student, assignment))
            timestamp = self.api.coursedir.get_existing_timestamp(submitted)
            gradebook.ensure_submission(rows, student, assignment, timestamp)
        gradebook.db.flush()  # the new rows, at once
        written = [rows[key] for key in graded]
        notebooks = notebook_rows(gradebook, written)
        for key, result in graded.items():
            self._save_grades(rows[key], notebooks, result)
        gradebook.db.flush()
        read_scores_again(gradebook.db, written)
        for key in graded:
            self._assign_late_penalties(rows[key])
        records = []  # read before the commit, which would make the session read it again
        for result in results:
            s, a = result["student"], result["assignment"]
            if result["graded"]:
                record = read_record(
                    gradebook,
                    self.root,
                    s,
                    a,
                    result["note"],
                    result.get("findings"),
                    submission=rows[s, a],
                )
            else:
                record = Record.from_json(result["record"])
            records.append(record)
        gradebook.commit_batch()
        for record, result in zip(records, results, strict=True):
            finish_record(
                gradebook,
                self.root,
                record,
                result["seconds"],
                result["sha256"],
                result.get("scanned"),
            )
        return records

    def _save_grades(
        self, submission: Any, notebooks: dict[str, NotebookRows], result: dict[str, Any]
    ) -> None:
        """What ``nbgrader autograde`` writes for each of the result's graded notebooks:
        each cell's automatic grade and comment (nbgrader's SaveAutoGrades, run on this
        session, with the notebook's rows read beforehand, ``notebooks``)."""
        from nbgrader.preprocessors import NbGraderPreprocessor

        save = self._save
        save.assignment_id, save.student_id = result["assignment"], result["student"]
        for name, nb in self._notebooks(submission):
            save.notebook_id = nb.name
            save.gradebook = notebooks[nb.id]
            autograded = unvalidated(result["autograded"][name])  # the grader's own output
            NbGraderPreprocessor.preprocess(save, autograded, {})

    def _notebooks(self, submission: Any) -> list[tuple[str, Any]]:
        """(file name, submitted notebook row) of each notebook the assignment expects."""
        rows = {nb.name: nb for nb in submission.notebooks}
        names = expected_notebooks(self.root, submission.assignment.name)
        return [(name, rows[Path(name).stem]) for name in names]

    def _assign_late_penalties(self, submission: Any) -> None:
        """Each notebook's late penalty, by nbgrader's AssignLatePenalties rule with the
        course's plugin and due date (0 when on time)."""
        for _, notebook in self._notebooks(submission):
            notebook.late_submission_penalty = None
            if submission.total_seconds_late > 0:
                penalty = self._late.plugin_inst.late_submission_penalty(
                    submission.student_id, notebook.score, submission.total_seconds_late
                )
                if penalty is not None:
                    notebook.late_submission_penalty = self._late._check_late_penalty(
                        notebook, penalty
                    )


def _write_log(root, result):
    log = log_path(root, result["assignment"], result["student"])
    log.unlink(missing_ok=True)
    if result["log"]:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result["log"])


def write_result(api: "NbGraderAPI", root: str | Path, result: dict[str, Any]) -> Record:
    """Write one result into the course (``Writer.write`` for a batch of one)."""
    with Writer(api, root) as writer:
        return writer.write([result])[0]


def failed_record(
    api: "NbGraderAPI",
    root: str | Path,
    student: str,
    assignment: str,
    sha256: str,
    error: BaseException,
    tb: TracebackType | str | None = None,
) -> Record:
    """The grader-failure Record (written) of a job that brought back no result: its
    worker died ``ATTEMPTS`` times (``WorkerDied``: the submission needs a look, not
    another run), or the job raised."""
    if isinstance(error, WorkerDied):
        record = grader_failure(
            root, student, assignment, "it stopped its grading worker", f"--- {error}"
        )
        record.message = (
            f"needs a look: grading it stopped the grading worker {error.deaths} times "
            f"(a worker process died each time); full log: {record.log}"
        )
    else:
        text = (
            tb
            if isinstance(tb, str) and tb
            else "".join(
                traceback.format_exception(
                    type(error), error, tb if not isinstance(tb, str) else None
                )
            )
        )
        record = grader_failure(root, student, assignment, "the grading task raised", text)
    return finish_record(api.coursedir.db_url, root, record, 0.0, sha256)
