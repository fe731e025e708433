"""handnet_grader.visible_tests: a test cell's visible tests run in the grader, the
student's names looked up in a kernel (served in a thread, see conftest.py)."""

import types

from handnet_grader.visible_tests import run_visible


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
