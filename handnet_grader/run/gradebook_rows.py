"""The driver's gradebook session, made fast for writing a class: nbgrader's ``Gradebook``
methods commit after each row, look a student or an assignment up with a query each time,
and ask for each cell's grade with a join of six tables; the ``Writer`` (``write_back``)
writes a batch of results with a ``BatchGradebook``: the batch's students and submissions
read in one query each, its new rows inserted in one flush, its notebooks' grades and
comments read in one query each, its scores read again in one query per table, and one
commit.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from nbgrader.api import Gradebook


class BatchGradebook(Gradebook):
    """nbgrader's Gradebook, for a writer of batches: ``commit`` does nothing (the writer
    flushes and commits the batch), and ``find_student``, ``find_assignment`` answer from
    rows this session already read (``read_batch``) or added."""

    def __init__(self, db_url: str, course_id: str) -> None:
        super().__init__(db_url, course_id)
        self.db = _NoCommit(self.db)
        self._students: dict[str, Any] = {}
        self._assignments: dict[str, Any] = {}

    def commit_batch(self) -> None:
        """Commit what the batch wrote (the one real commit)."""
        self.db.session.commit()

    def find_student(self, student_id: str) -> Any:
        if student_id not in self._students:
            self._students[student_id] = super().find_student(student_id)
        return self._students[student_id]

    def add_student(self, student_id: str, **kwargs: Any) -> Any:
        self._students[student_id] = super().add_student(student_id, **kwargs)
        return self._students[student_id]

    def find_assignment(self, name: str) -> Any:
        if name not in self._assignments:
            self._assignments[name] = super().find_assignment(name)
        return self._assignments[name]

    def read_batch(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        """{(student, assignment): submission row} of those of ``pairs`` that have one,
        with their notebooks; the students among them that exist are read too (one query
        each)."""
        from nbgrader.api import Assignment, Student, SubmittedAssignment
        from sqlalchemy.orm import selectinload

        pairs = set(pairs)
        students = {s for s, _ in pairs}
        query = self.db.query
        for row in query(Student).filter(Student.id.in_(students)):
            self._students[row.id] = row
        rows = (
            query(SubmittedAssignment)
            .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
            .filter(
                Assignment.name.in_({a for _, a in pairs}),
                SubmittedAssignment.student_id.in_(students),
            )
            .options(selectinload(SubmittedAssignment.notebooks))
        )
        found = {(row.student_id, row.assignment.name): row for row in rows}
        return {pair: found[pair] for pair in pairs if pair in found}

    def ensure_submission(
        self, known: dict[tuple[str, str], Any], student: str, assignment: str, timestamp: Any
    ) -> Any:
        """nbgrader's ``update_or_create_student`` and ``update_or_create_submission``
        (with ``timestamp``, when not None), the rows looked up in ``known``
        (``read_batch``'s, for a batch that holds ``student``) and in what this session
        added; returns the submission row."""
        from nbgrader import utils

        if student not in self._students:  # read_batch found none
            self.add_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        row = known.get((student, assignment))
        if row is None:
            row = known[student, assignment] = self.add_submission(assignment, student, **kwargs)
        elif timestamp:
            row.timestamp = utils.parse_utc(timestamp)
        return row


class NotebookRows:
    """The gradebook as SaveAutoGrades sees it for one submitted notebook: its grades and
    comments by cell name, read beforehand (``notebook_rows``), where nbgrader's
    ``find_grade`` and ``find_comment`` would join six tables for each cell."""

    def __init__(self, gradebook: Gradebook, grades: dict, comments: dict) -> None:
        self.gradebook, self.db = gradebook, gradebook.db
        self._grades, self._comments = grades, comments

    def find_grade(self, name: str, *where: str) -> Any:
        if name in self._grades:
            return self._grades[name]
        return self.gradebook.find_grade(name, *where)

    def find_comment(self, name: str, *where: str) -> Any:
        if name in self._comments:
            return self._comments[name]
        return self.gradebook.find_comment(name, *where)


def notebook_rows(gradebook: Gradebook, submissions: Sequence[Any]) -> dict[str, NotebookRows]:
    """{submitted notebook id: its NotebookRows} for every notebook of ``submissions``
    (rows flushed), read in one query for grades and one for comments."""
    from nbgrader.api import Comment, Grade
    from sqlalchemy.orm import joinedload

    ids = [nb.id for row in submissions for nb in row.notebooks]
    found: dict[str, tuple[dict, dict]] = {i: ({}, {}) for i in ids}
    query = gradebook.db.query
    for column, table in enumerate((Grade, Comment)):
        for row in query(table).options(joinedload(table.cell)).filter(table.notebook_id.in_(ids)):
            found[row.notebook_id][column][row.cell.name] = row
    return {i: NotebookRows(gradebook, *found[i]) for i in ids}


class _NoCommit:
    """A session whose ``commit`` does nothing."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def commit(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def read_scores_again(session: Any, submissions: Sequence[Any]) -> None:
    """Read ``submissions`` (rows just written) again with their notebooks and grades, in
    one query for each table: the database computes their scores (nbgrader's column
    properties); each notebook's score and each grade's maximum and cell come with them."""
    from nbgrader.api import Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy.orm import selectinload

    if not submissions:
        return
    notebooks = selectinload(SubmittedAssignment.notebooks)
    grades = notebooks.selectinload(SubmittedNotebook.grades)
    (
        session.query(SubmittedAssignment)
        .filter(SubmittedAssignment.id.in_([row.id for row in submissions]))
        .options(
            notebooks.undefer(SubmittedNotebook.score),
            grades.joinedload(Grade.cell),
            grades.undefer(Grade.max_score),
        )
        .populate_existing()
        .all()
    )


def unvalidated(data: bytes) -> Any:
    """A notebook the grader wrote, read without nbformat's schema check (the slow part
    of reading it)."""
    from nbformat import v4

    return v4.reads(data.decode())
