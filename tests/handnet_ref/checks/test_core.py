"""The machinery of hidden checks: calling student code, comparing, explaining."""

import warnings

import numpy as np
import pytest

from handnet_ref.checks.core import (
    CheckFailed,
    Mistake,
    as_plain,
    call_student,
    check_rng,
    compare_function,
    describe_difference,
    judge,
)

double = lambda x: 2 * x
MISTAKES = (
    Mistake("double.halved", "you halved instead of doubling.", lambda x: x / 2),
    Mistake("double.transposed", "you transposed the result.", lambda x: (2 * x).T),
)


def test_check_rng_replays_a_seed_from_the_environment(monkeypatch):
    """Does HANDNET_CHECK_SEED fix the inputs, and are seeds fresh without it?"""
    monkeypatch.setenv("HANDNET_CHECK_SEED", "42")
    (r1, s1), (r2, s2) = check_rng(), check_rng()
    assert s1 == s2 == 42 and r1.random() == r2.random()
    monkeypatch.delenv("HANDNET_CHECK_SEED")
    assert len({check_rng()[1] for _ in range(5)}) > 1


def test_call_student_copies_arguments_and_keeps_warnings_off_stderr(capfd):
    """Can student code neither change the grader's inputs nor print a warning?"""
    x = np.ones(3)

    def sloppy(a):
        a[:] = 0
        warnings.warn("noisy", stacklevel=2)
        return np.exp(np.array([1000.0]))

    result, caught = call_student(sloppy, (x,), "sloppy")
    assert x.tolist() == [1, 1, 1]
    assert len(caught) == 2 and capfd.readouterr().err == ""


@pytest.mark.parametrize(
    "error, expected",
    [
        (NotImplementedError, "not written yet"),
        (ValueError("shapes (3,1) and (2,1) not aligned"), "raised ValueError: shapes"),
    ],
)
def test_exceptions_in_student_code_become_readable_failures(error, expected):
    """Does an exception (or the untouched stub) become a CheckFailed that says what happened?"""

    def broken(x):
        raise error

    with pytest.raises(CheckFailed, match=expected):
        call_student(broken, (1,), "broken")


def test_a_non_function_is_refused():
    """Does passing something that cannot be called give a clear failure?"""
    with pytest.raises(CheckFailed, match="expected a function"):
        call_student(None, (), "sigmoid")


def test_correct_code_passes_and_a_catalogued_mistake_is_named():
    """Does the right answer pass, and a halved answer get the halving hint?"""
    cases = [(np.arange(6.0).reshape(2, 3),), (np.ones((3, 3)),)]
    compare_function(double, double, cases, MISTAKES, what="double")
    with pytest.raises(CheckFailed, match="you halved"):
        compare_function(lambda x: x / 2, double, cases, MISTAKES, what="double")


def test_a_mistake_must_explain_every_case():
    """An answer that matches a mistake on one case only is not given that mistake's hint."""
    cases = [(np.zeros((2, 2)),), (np.ones((2, 2)),)]
    wrong_on_second = lambda x: x / 2 if x.sum() else x + 1
    with pytest.raises(CheckFailed) as info:
        compare_function(wrong_on_second, double, cases, MISTAKES, what="double")
    assert "halved" not in str(info.value) and "at index" in str(info.value)


def test_unexplained_difference_says_where_and_gives_the_seed():
    """Does an unknown wrong answer get expected vs actual at one index, and the seed?"""
    with pytest.raises(
        CheckFailed, match=r"at index \(1, 0\) the answer should be 2, yours is 5.*seed 7"
    ):
        judge([np.array([[0.0], [5.0]])], [np.array([[0.0], [2.0]])], (), "f", seed=7)


def test_shape_mismatch_is_described_with_a_transpose_hint():
    """Is a (1, 3) answer to a (3, 1) question called a likely transpose?"""
    msg = describe_difference(np.zeros((1, 3)), np.zeros((3, 1)), "f")
    assert "shape (3, 1)" in msg and "(1, 3)" in msg and "transpose" in msg


def test_tuples_of_arrays_are_compared_item_by_item():
    """For (nabla_b, nabla_w)-like results, does the message name the wrong item?"""
    expected = as_plain(([np.zeros((2, 1))], [np.ones((2, 2))]))
    got = ([np.zeros((2, 1))], [np.ones((2, 3))])
    with pytest.raises(CheckFailed, match="item 1.*item 0.*shape"):
        judge([got], [expected], (), "backprop")


def test_non_numeric_results_are_refused():
    """Does returning a string (or None) fail with what was returned?"""
    with pytest.raises(CheckFailed, match="returned str"):
        judge(["0.5"], [as_plain(0.5)], (), "sigmoid")
    with pytest.raises(CheckFailed, match="returned NoneType"):
        judge([None], [as_plain(0.5)], (), "sigmoid")


def test_a_list_of_numbers_counts_as_an_array_where_an_array_is_expected():
    """Does returning [[0.5], [0.25]] pass where the reference returns that (2, 1) array?"""
    judge([[[0.5], [0.25]]], [np.array([[0.5], [0.25]])], (), "f")


def test_nan_in_the_answer_is_wrong():
    """Does a NaN never count as close to a number?"""
    with pytest.raises(CheckFailed):
        judge([np.array([np.nan])], [np.array([0.5])], (), "sigmoid")


def test_student_function_takes_a_method_from_a_class_or_the_function_itself():
    """Does a class give its method, a function itself, and a class without the method a
    message saying how to attach it?"""
    from handnet_ref.checks.core import student_function

    class Network:
        def feedforward(self, a):
            return a

    assert student_function(Network, "feedforward") is Network.feedforward
    assert student_function(double, "double") is double
    with pytest.raises(CheckFailed, match=r"Network.backprop = backprop"):
        student_function(Network, "backprop")
