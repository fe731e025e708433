"""DropEmptyNbgraderMetadata: duplicated test cells no longer crash nbgrader."""

import nbformat

from handnet_grader.notebook.empty_metadata import DropEmptyNbgraderMetadata


def test_empty_nbgrader_metadata_is_removed_and_real_metadata_kept():
    """The copy DeduplicateIds blanked loses its empty key; the original keeps its own."""
    kept = nbformat.v4.new_code_cell(
        "assert True", metadata={"nbgrader": {"grade_id": "t", "grade": True}}
    )
    blanked = nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {}})
    nb = nbformat.v4.new_notebook(cells=[kept, blanked])
    nb, _ = DropEmptyNbgraderMetadata().preprocess(nb, {})
    assert nb.cells[0].metadata.nbgrader["grade_id"] == "t"
    assert "nbgrader" not in nb.cells[1].metadata
