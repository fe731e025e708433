"""handnet_grader.trust.visible_tests: a test cell's visible tests run in the grader, the
student's names looked up in a kernel (served in a thread, see conftest.py)."""

import types

import nbformat
import pytest

from handnet_grader.trust.given_definitions import given_code
from handnet_grader.trust.visible_tests import VisibleTests, run_visible


def test_visible_tests_judge_with_the_graders_numpy(kernel):
    """A kernel whose np.allclose always agrees: the assertion is still made here."""
    lying_np = types.ModuleType("numpy")
    lying_np.allclose = lambda *args, **kwargs: True
    _, grader, incidents = kernel({"np": lying_np, "sigmoid": lambda z: z}, keep_lent=True)
    passed, message = run_visible(
        grader, "assert np.allclose(sigmoid(0.0), 0.5), 'wrong'", incidents.append
    )
    assert (passed, message) == (False, "AssertionError: wrong")
    passed, _ = run_visible(grader, "assert np.isclose(sigmoid(0.5), 0.5)", incidents.append)
    assert passed


def test_visible_tests_see_the_kernels_module_names_as_the_graders_own(kernel):
    _, grader, incidents = kernel(
        {"np": types.ModuleType("numpy"), "evil": types.ModuleType("handnet_ref.checks.neuron")},
        keep_lent=True,
    )
    assert run_visible(grader, "assert np.zeros(2).shape == (2,)", incidents.append) == (True, "")
    passed, _ = run_visible(grader, "evil", incidents.append)
    assert not passed and any("does not use" in i for i in incidents)


def test_the_students_exception_is_named_as_the_student_sees_it(kernel):
    def sigmoid(z):
        raise ZeroDivisionError("oops")

    _, grader, incidents = kernel({"sigmoid": sigmoid}, keep_lent=True)
    assert run_visible(grader, "sigmoid(1.0)", incidents.append) == (
        False,
        "ZeroDivisionError: oops",
    )


def test_objects_of_the_test_cell_stay_lent_for_the_whole_session(kernel):
    """A test cell that hands the student's code a function, then calls the student's
    code again that uses it: does the second call still reach it?"""
    kept = []

    def remember(f):
        kept.append(f)

    def use():
        return kept[0](2)

    _, grader, incidents = kernel({"remember": remember, "use": use}, keep_lent=True)
    code = "double = lambda x: 2 * x\nremember(double)\nassert use() == 4"
    assert run_visible(grader, code, incidents.append) == (True, "")
    assert incidents == []


def test_a_test_cell_that_does_not_parse_fails(kernel):
    _, grader, incidents = kernel(keep_lent=True)
    passed, message = run_visible(grader, "assert (", incidents.append)
    assert not passed and "does not parse" in message


GIVEN_RECORDER = """
class Recorder:
    def __init__(self):
        self.calls = []

    def evaluate(self, test_data):
        self.calls.append("evaluate")
        return 3
"""


def test_given_definitions_win_over_the_kernels_names(kernel):
    """A kernel whose Recorder reports what the test wants, and a wrong SGD that never
    calls evaluate: with the given Recorder defined by the grader, the test fails, and
    the grader's Recorder is lent to the student's SGD, which can call it back."""

    class FakeRecorder:
        calls = ["evaluate"]

        def evaluate(self, test_data):
            return 3

    def wrong_sgd(net, epochs):
        return []

    def right_sgd(net, epochs):
        return [net.evaluate(None) / 5 for _ in range(epochs)]

    code = "rec = Recorder()\nresult = SGD(rec, 1)\nassert rec.calls == ['evaluate'], rec.calls"
    for sgd, given, expected in [
        (wrong_sgd, "", (True, "")),  # the kernel's Recorder: the attack works
        (wrong_sgd, GIVEN_RECORDER, (False, "AssertionError: []")),
        (right_sgd, GIVEN_RECORDER, (True, "")),
    ]:
        _, grader, incidents = kernel({"Recorder": FakeRecorder, "SGD": sgd}, keep_lent=True)
        assert run_visible(grader, VisibleTests(code, given), incidents.append) == expected
        assert incidents == []


def test_a_given_cell_that_does_io_is_not_run(kernel, tmp_path):
    """The source's given cell writes a file and prints beside its helper: the grader
    defines the helper and does neither."""
    written = tmp_path / "written.txt"
    cell = nbformat.v4.new_code_cell(
        f"open({str(written)!r}, 'w').write('data')\nprint('loading')\n"
        "def numbered(n):\n    return list(range(n))"
    )
    _, grader, incidents = kernel({"numbered": lambda n: [0] * n}, keep_lent=True)
    tests = VisibleTests("assert numbered(3) == [0, 1, 2]", given_code([cell]))
    assert run_visible(grader, tests, incidents.append) == (True, "")
    assert not written.exists()


@pytest.mark.parametrize(
    "source, error",
    [
        (
            "import no_such_module_here\ndef f():\n    return no_such_module_here.x",
            "ModuleNotFound",
        ),
        ("class Recorder:\n    share = 1 / 0", "ZeroDivisionError: division by zero"),
        ("def f(:\n    pass", "SyntaxError"),
    ],
)
def test_a_broken_given_cell_fails_the_cell_with_the_graders_message(kernel, source, error):
    _, grader, incidents = kernel({"f": lambda: 1}, keep_lent=True)
    tests = VisibleTests("assert f() == 1", given_code([nbformat.v4.new_code_cell(source)]))
    passed, message = run_visible(grader, tests, incidents.append)
    assert not passed and error in message
    assert message.startswith("the grader could not define this notebook's given helpers")
    assert "not in your code" in message
