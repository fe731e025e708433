"""handnet.validate: nbgrader validate shows a failed test's whole message."""

import io

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from handnet.validate import show_whole_messages

HINT = ("sigmoid(z) came back as 1 / (1 + exp(z)) for every z you were given: the sign of "
        "the exponent is flipped, so the output falls where it should rise; check exp(-z)")


def _failing_notebook(path):
    test = new_code_cell(f"assert False, {HINT!r}", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_sigmoid", "points": 1, "solution": False,
        "locked": True, "schema_version": 3}})
    nb = new_notebook(cells=[test], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, path)


def _report(path):
    """What ``nbgrader validate`` prints for the notebook (the validator's stream is a
    class attribute bound to sys.stdout at import: given its own here)."""
    from nbgrader.validator import Validator
    validator = Validator()
    validator.stream = io.StringIO()
    validator.validate_and_print(str(path))
    return validator.stream.getvalue()


def test_validate_prints_the_whole_hint(tmp_path):
    """Does the validator's report, which nbgrader cuts at 90 columns, carry every word
    of a long hint once show_whole_messages is on (wrapped, not cut)?"""
    from nbgrader.validator import Validator
    path = tmp_path / "failing.ipynb"
    _failing_notebook(path)
    original = Validator._indent
    try:
        cut = _report(path)
        show_whole_messages()
        whole = _report(path)
    finally:
        Validator._indent = original
    assert "VALIDATION FAILED" in cut and "sigmoid(z) came back" in cut
    assert " ".join(HINT.split()) not in " ".join(cut.split())   # nbgrader alone cuts it
    assert " ".join(HINT.split()) in " ".join(whole.split())
    assert all(len(line) <= 90 for line in whole.splitlines() if "exp" in line)
