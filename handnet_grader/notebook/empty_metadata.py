"""Repairs of submitted notebooks that nbgrader itself trips over."""

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor


class DropEmptyNbgraderMetadata(NbGraderPreprocessor):
    """Remove ``nbgrader`` metadata left empty by ``DeduplicateIds``.

    When a student duplicates a test cell, nbgrader's DeduplicateIds keeps one copy and
    sets the other's metadata to ``{}``; OverwriteCells (with add_missing_cells) then
    fails with ``KeyError: 'grade_id'`` and the whole submission is lost. Without the
    empty key the copy is an ordinary cell, and grading goes on.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if "nbgrader" in cell.metadata and "grade_id" not in cell.metadata.nbgrader:
            del cell.metadata["nbgrader"]
        return cell, resources
