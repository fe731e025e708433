"""handnet_grader.verdicts: the grader's side of a check, against a kernel's side
(handnet.probe.KernelLink) served in a thread over a socket pair, so that what each side
can and cannot make the other do is tested without starting a kernel."""

import socket
import threading
import types
import warnings

import numpy as np
import pytest

import handnet.probe as probe
from handnet_grader.verdicts import (GraderLink, StudentCallable, StudentError, find_check,
                                     run_visible)


class Kernel:
    """A KernelLink serving the grader from a thread, with ``namespace`` as the
    student's names."""

    def __init__(self, namespace, monkeypatch):
        self.grader_sock, self.kernel_sock = socket.socketpair()
        self.link = probe.KernelLink(self.kernel_sock)
        monkeypatch.setattr(probe, "_user_namespace", lambda: namespace)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            self.link.wait()
        except (probe.ProtocolError, OSError):
            pass

    def handle(self, grader, obj):
        """The grader's handle on a kernel object."""
        return grader.from_ref(self.link.as_ref(obj))


@pytest.fixture
def kernel(monkeypatch):
    made = []

    def make(namespace=None, helpers=(), keep_lent=False):
        k = Kernel(namespace or {}, monkeypatch)
        incidents = []
        grader = GraderLink(k.grader_sock, helpers, incidents.append, keep_lent)
        made.append(k)
        return k, grader, incidents
    yield make
    for k in made:
        k.grader_sock.close()
        k.kernel_sock.close()


class StandIn:
    """Like a check's stand-in network: data attributes and methods."""

    __module__ = "handnet_ref.checks.fake"

    def __init__(self):
        self.weights = [np.ones((2, 2))]
        self.calls = 0

    def backprop(self, x):
        return 2 * x

    def update(self):
        raise AssertionError("never lent")


def test_a_call_sends_data_and_brings_back_data(kernel):
    k, grader, _ = kernel()
    double = k.handle(grader, lambda a, n=1: (a * 2, n))
    result = double(np.arange(3.0), n=4)
    assert isinstance(result, tuple)
    np.testing.assert_array_equal(result[0], [0.0, 2.0, 4.0])
    assert result[1] == 4


def test_the_students_exception_keeps_its_type_name(kernel):
    k, grader, _ = kernel()

    def broken(x):
        raise ZeroDivisionError("oops")
    with pytest.raises(StudentError) as raised:
        k.handle(grader, broken)(1)
    assert (raised.value.type_name, str(raised.value)) == ("ZeroDivisionError", "oops")


def test_warnings_in_the_kernel_are_warned_again_here(kernel):
    k, grader, _ = kernel()

    def noisy(x):
        warnings.warn("overflow", RuntimeWarning)
        return x
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        k.handle(grader, noisy)(1.0)
    assert [(w.category, str(w.message)) for w in caught] == [(RuntimeWarning, "overflow")]


def test_a_stand_in_lends_only_its_helpers_and_its_changes_come_back(kernel):
    k, grader, incidents = kernel(helpers=("backprop",))

    def student(net, x):
        assert not hasattr(net, "update")          # not a helper: not lent
        net.weights = [w - net.backprop(x) for w in net.weights]
        return "done"
    net = StandIn()
    assert k.handle(grader, student)(net, np.ones((2, 2))) == "done"
    np.testing.assert_array_equal(net.weights[0], -np.ones((2, 2)))


def test_a_lent_object_is_gone_after_its_call(kernel):
    k, grader, incidents = kernel(helpers=("backprop",))
    kept = []

    def student(net):
        if kept:
            return kept[0].backprop(1.0)     # one lent for an earlier call
        kept.append(net)
        return 0
    fn = k.handle(grader, student)
    fn(StandIn())
    with pytest.raises(StudentError, match="earlier call"):
        fn(StandIn())
    assert any("after that call had ended" in i for i in incidents)


def test_a_lent_class_cannot_be_changed(kernel):
    k, grader, incidents = kernel(helpers=("fn",))

    class Cost:
        __module__ = "handnet_ref.costs"

        @staticmethod
        def fn(a):
            return a + 1

    def student(cost):
        cost.fn = None      # tries to replace the reference's method
        return 1
    k.handle(grader, student)(Cost)
    assert Cost.fn(1) == 2
    assert any("class or function lent" in i for i in incidents)


def test_lists_changed_in_place_change_here_too(kernel):
    k, grader, _ = kernel()
    data, untouched = [3, 1, 2], [5]

    def student(items, other):
        items.sort()
    k.handle(grader, student)(data, untouched)
    assert data == [1, 2, 3] and untouched == [5]


def test_generators_are_lent_by_value(kernel):
    k, grader, _ = kernel()
    draw = k.handle(grader, lambda rng: np.random.default_rng(rng).random(3))
    np.testing.assert_array_equal(draw(np.random.default_rng(7)),
                                  np.random.default_rng(7).random(3))


def test_modules_are_never_lent(kernel):
    k, grader, _ = kernel()
    with pytest.raises(probe.ProtocolError):
        k.handle(grader, lambda m: m)(np)


def test_visible_tests_judge_with_the_graders_numpy(kernel):
    """A kernel whose np.allclose always agrees: the assertion is still made here."""
    lying_np = types.ModuleType("numpy")
    lying_np.allclose = lambda *args, **kwargs: True
    k, grader, incidents = kernel({"np": lying_np, "sigmoid": lambda z: z}, keep_lent=True)
    passed, message = run_visible(grader, "assert np.allclose(sigmoid(0.0), 0.5), 'wrong'",
                                  incidents.append)
    assert (passed, message) == (False, "AssertionError: wrong")
    passed, _ = run_visible(grader, "assert np.isclose(sigmoid(0.5), 0.5)", incidents.append)
    assert passed


def test_visible_tests_see_the_kernels_module_names_as_the_graders_own(kernel):
    k, grader, incidents = kernel({"np": types.ModuleType("numpy"),
                                   "evil": types.ModuleType("handnet_ref.checks.neuron")},
                                  keep_lent=True)
    assert run_visible(grader, "assert np.zeros(2).shape == (2,)", incidents.append) == (True, "")
    passed, _ = run_visible(grader, "evil", incidents.append)
    assert not passed and any("does not use" in i for i in incidents)


def test_only_check_functions_of_a_topic_can_be_asked_for():
    assert find_check("neuron", "check_sigmoid")[0].__name__ == "check_sigmoid"
    assert find_check("neuron", "reference_sigmoid") is None
    assert find_check("neuron", "check_rng") is None          # imported from core
    assert find_check("core", "check_rng") is None
    assert find_check("sgd", "check_SGD")[1] == ("update_mini_batch", "evaluate")


def test_a_student_callable_is_callable_and_an_object_is_not(kernel):
    k, grader, _ = kernel()
    assert isinstance(k.handle(grader, len), StudentCallable)
    assert not callable(k.handle(grader, object()))
