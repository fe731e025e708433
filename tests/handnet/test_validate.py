"""handnet.validate: nbgrader validate shows a failed test's whole message."""

import io
import types

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from handnet.validate import nbgrader_indent, show_whole_messages

HINT = (
    "sigmoid(z) came back as 1 / (1 + exp(z)) for every z you were given: the sign of "
    "the exponent is flipped, so the output falls where it should rise; check exp(-z)"
)


def _failing_notebook(path):
    test = new_code_cell(
        f"assert False, {HINT!r}",
        metadata={
            "nbgrader": {
                "grade": True,
                "grade_id": "test_sigmoid",
                "points": 1,
                "solution": False,
                "locked": True,
                "schema_version": 3,
            }
        },
    )
    nb = new_notebook(
        cells=[test],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)


def _report(path, indent=None):
    """What ``nbgrader validate`` prints for the notebook (the validator's stream is a
    class attribute bound to sys.stdout at import: given its own here), with ``indent``
    in place of the validator's line formatting if given."""
    from nbgrader.validator import Validator

    validator = Validator()
    validator.stream = io.StringIO()
    if indent is not None:
        validator._indent = types.MethodType(indent, validator)
    validator.validate_and_print(str(path))
    return validator.stream.getvalue()


def test_validate_prints_the_whole_hint(tmp_path):
    """Does the validator's report, which nbgrader cuts at 90 columns, carry every word
    of a long hint once show_whole_messages is on (wrapped, not cut)? (Loading the
    course's configuration in an earlier test may have switched it on already: nbgrader's
    own formatting is kept aside for the comparison.)"""
    path = tmp_path / "failing.ipynb"
    _failing_notebook(path)
    cut = _report(path, nbgrader_indent())
    show_whole_messages()
    show_whole_messages()  # twice: still wrapping, nbgrader's own kept
    whole = _report(path)
    assert "VALIDATION FAILED" in cut and "sigmoid(z) came back" in cut
    assert " ".join(HINT.split()) not in " ".join(cut.split())  # nbgrader alone cuts it
    assert " ".join(HINT.split()) in " ".join(whole.split())
    assert all(len(line) <= 90 for line in whole.splitlines() if "exp" in line)
