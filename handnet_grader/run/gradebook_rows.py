"""The driver's gradebook session, made fast for writing a class: nbgrader's ``Gradebook``
methods commit after each row and ask for each cell's grade with a join of six tables;
the ``Writer`` (``write_back``) commits once per batch, reads a notebook's grades and
comments in one query each, and its scores again in one query per table.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbgrader.api import Gradebook


class OneTransaction:
    """A gradebook session whose ``commit`` only flushes (nbgrader's methods commit after
    each row), so that the batch commits once."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def commit(self) -> None:
        self.session.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


class NotebookRows:
    """The gradebook as SaveAutoGrades sees it for one submitted notebook: its grades and
    comments read in one query each, where nbgrader's ``find_grade`` and ``find_comment``
    would join six tables for each cell; ``db.commit`` does nothing (the Writer commits
    the batch)."""

    def __init__(self, gradebook: "Gradebook", submission: Any, notebook: str) -> None:
        from nbgrader.api import Comment, Grade
        from sqlalchemy.orm import joinedload

        self.gradebook = gradebook
        self.db = _NoCommit(gradebook.db)
        (row,) = [nb for nb in submission.notebooks if nb.name == notebook]
        query = gradebook.db.query
        self._grades = {
            g.cell.name: g
            for g in query(Grade).options(joinedload(Grade.cell)).filter_by(notebook_id=row.id)
        }
        self._comments = {
            c.cell.name: c
            for c in query(Comment).options(joinedload(Comment.cell)).filter_by(notebook_id=row.id)
        }

    def find_grade(self, name: str, *where: str) -> Any:
        if name in self._grades:
            return self._grades[name]
        return self.gradebook.find_grade(name, *where)

    def find_comment(self, name: str, *where: str) -> Any:
        if name in self._comments:
            return self._comments[name]
        return self.gradebook.find_comment(name, *where)


class _NoCommit:
    """A session whose ``commit`` does nothing."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def commit(self) -> None:
        pass


def read_scores_again(session: Any, submissions: Sequence[Any]) -> None:
    """Read the scores of ``submissions`` (rows just written) again, in one query for each
    table: the database computes them (nbgrader's column properties)."""
    from nbgrader.api import Grade, SubmittedAssignment, SubmittedNotebook

    notebooks = [nb.id for row in submissions for nb in row.notebooks]
    for table, ids in (
        (Grade.notebook_id, notebooks),
        (SubmittedNotebook.id, notebooks),
        (SubmittedAssignment.id, [row.id for row in submissions]),
    ):
        if ids:
            session.query(table.class_).filter(table.in_(ids)).populate_existing().all()


def unvalidated(data: bytes) -> Any:
    """A notebook the grader wrote, read without nbformat's schema check (the slow part
    of reading it)."""
    from nbformat import v4

    return v4.reads(data.decode())
