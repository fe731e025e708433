"""nbgrader's validator: every source notebook passes, every release test cell fails.

The source run is also where graded notebooks are checked for stderr: nbgrader scores a
test cell that prints to stderr as 0, so a correct solution must print nothing there.
"""

import os

import nbformat
import pytest
from course_files import notebooks
from nbgrader.validator import Validator

SOURCE = notebooks("source")
RELEASE = notebooks("release")


def executed(validator, path):
    """The notebook as nbgrader's validator executes it (NBGRADER_EXECUTION=validate, in
    its own folder). Validator.validate returns only failures; the outputs come from the
    same preprocessing step it runs (nbgrader 0.9.6's Validator._preprocess)."""
    nb = nbformat.read(path, as_version=4)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        return validator._preprocess(nb)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("assignment, path", SOURCE, ids=[a for a, _ in SOURCE])
def test_source_notebook_passes_the_validator_without_stderr(assignment, path):
    """Does every test cell of the solution pass, with no cell writing to stderr?"""
    validator = Validator()
    nb = executed(validator, path)
    failed = validator._get_failed_cells(nb)
    assert failed == [], "failing cells:\n" + "\n---\n".join(
        validator._extract_error(c) for c in failed
    )
    stderr = [
        (c.get("id"), o["text"][:200])
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("name") == "stderr"
    ]
    assert stderr == []


@pytest.mark.parametrize("assignment, path", RELEASE, ids=[a for a, _ in RELEASE])
def test_release_notebook_fails_every_test_cell_when_untouched(assignment, path):
    """nbgrader validate --invert: does no test cell pass on the untouched stubs?"""
    validator = Validator()
    validator.invert = True
    assert validator.validate(str(path)) == {}
