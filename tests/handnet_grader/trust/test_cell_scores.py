"""handnet_grader.trust.cell_scores: a test cell's outcome is the grader's verdicts."""

import nbformat

from handnet_grader.notebook.cells import error_message, error_output
from handnet_grader.trust.cell_scores import apply_verdicts
from handnet_grader.trust.verdicts import VISIBLE

HIDDEN = (
    "assert sigmoid(0) == 0.5\n### BEGIN HIDDEN TESTS\n"
    "from handnet_ref.checks.neuron import check_sigmoid; check_sigmoid(sigmoid)\n"
    "### END HIDDEN TESTS"
)


def graded_cell(source=HIDDEN, outputs=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 2}
    cell.outputs = list(outputs)
    return cell


def verdict(name, passed=True, message="", topic="neuron"):
    return {"topic": topic, "name": name, "passed": passed, "message": message}


def test_passing_verdicts_leave_a_passing_cell_alone():
    cell, integrity = graded_cell(), []
    apply_verdicts(cell, 3, [verdict("check_sigmoid"), verdict(VISIBLE, topic="")], [], integrity)
    assert error_message(cell) is None and integrity == []


def test_a_failed_check_fails_the_cell_the_kernel_passed_and_is_a_finding():
    cell, integrity = graded_cell(), []
    apply_verdicts(
        cell,
        3,
        [verdict("check_sigmoid", False, "add the bias"), verdict(VISIBLE, topic="")],
        [],
        integrity,
    )
    assert error_message(cell) == "CheckFailed: add the bias"
    assert [f["cell"] for f in integrity] == [3]
    assert "the kernel showed this test cell passing" in integrity[0]["message"]


def test_a_check_that_never_reported_fails_the_cell():
    cell, integrity = graded_cell(), []
    apply_verdicts(cell, 0, [verdict(VISIBLE, topic="")], [], integrity)
    assert error_message(cell) == (
        "CheckFailed: the hidden check check_sigmoid did not report to the grader"
    )


def test_a_kernel_error_is_no_evidence_of_tampering():
    """An unfinished notebook stops at a NameError before its check: 0 points, no finding."""
    cell, integrity = graded_cell(outputs=[error_output("NameError", "sigmoid")]), []
    apply_verdicts(cell, 0, [], [], integrity)
    assert error_message(cell).startswith("CheckFailed: the hidden check") and integrity == []


def test_a_returned_value_and_extra_checks_are_dropped_and_reported():
    result = nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)
    cell, integrity = graded_cell(outputs=[result]), []
    apply_verdicts(
        cell,
        1,
        [verdict("check_sigmoid"), verdict(VISIBLE, topic=""), verdict("check_perceptron")],
        [{"message": "forged"}],
        integrity,
    )
    assert cell.outputs == [] and error_message(cell) is None
    messages = [f["message"] for f in integrity]
    assert messages[0] == "forged"
    assert any("returned a value" in m for m in messages)
    assert any("extra hidden check(s)" in m and "check_perceptron" in m for m in messages)


def test_verdicts_from_a_cell_that_is_not_a_test_cell_are_reported():
    cell, integrity = nbformat.v4.new_code_cell("check_sigmoid(sigmoid)"), []
    apply_verdicts(cell, 5, [verdict("check_sigmoid")], [], integrity)
    assert integrity == [
        {"cell": 5, "message": "1 hidden check(s) were run from a cell that is not a test cell"}
    ]
