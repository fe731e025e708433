"""handnet_grader.trust.grader_link: the grader's end of a conversation, against a kernel's end
(handnet.probe.KernelLink) served in a thread over a socket pair, so that what each side
can and cannot make the other do is tested without starting a kernel."""

import warnings

import numpy as np
import pytest

from handnet.wire import ProtocolError, Tag, send
from handnet_grader.trust.student_objects import StudentCallable, StudentError
from handnet_ref.checks.core import CheckFailed, call_student, is_class, student_function, type_name


class StandIn:
    """Like a check's stand-in network: data attributes and methods."""

    __module__ = "handnet_ref.checks.fake"
    sizes = [2, 2]

    def __init__(self):
        self.weights = [np.ones((2, 2))]
        self.calls = 0

    def backprop(self, x):
        self.calls += 1
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
    """Does an exception in the student's code reach the check, and its message, with the
    type the student would see ("raised ValueError", not the grader's own class)?"""
    k, grader, _ = kernel()

    def broken(x):
        raise ValueError("shapes not aligned")

    fn = k.handle(grader, broken)
    with pytest.raises(StudentError) as raised:
        fn(1)
    assert (raised.value.type_name, str(raised.value)) == ("ValueError", "shapes not aligned")
    with pytest.raises(CheckFailed, match="^sigmoid raised ValueError: shapes not aligned$"):
        call_student(fn, (1,), "sigmoid")


def test_an_unwritten_function_is_not_written_yet(kernel):
    k, grader, _ = kernel()

    def stub(x):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not written yet"):
        call_student(k.handle(grader, stub), (1,), "sigmoid")


def test_warnings_in_the_kernel_are_warned_again_here(kernel):
    k, grader, _ = kernel()

    def noisy(x):
        warnings.warn("overflow", RuntimeWarning, stacklevel=2)
        return x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        k.handle(grader, noisy)(1.0)
    assert [(w.category, str(w.message)) for w in caught] == [(RuntimeWarning, "overflow")]


def test_a_stand_in_lends_only_its_helpers_and_its_changes_come_back(kernel):
    k, grader, incidents = kernel(helpers=("backprop",))

    def student(net, x):
        assert not hasattr(net, "update")  # not a helper: not lent
        assert net.sizes == [2, 2]  # class attributes come too
        net.weights = [w - net.backprop(x) for w in net.weights]
        return net.calls

    net = StandIn()
    assert k.handle(grader, student)(net, np.ones((2, 2))) == 1
    np.testing.assert_array_equal(net.weights[0], -np.ones((2, 2)))
    assert net.calls == 1 and incidents == []


def test_attributes_cross_both_ways_and_unchanged_ones_keep_their_identity(kernel):
    """The student's code holds ``w = self.weights[0]`` across a call of a helper that
    does not change the weights, then changes ``w`` in place: does the change reach the
    grader's network (so the kernel's weights stayed the same objects), and does a change
    made by the helper in the grader reach the student's code?"""
    k, grader, _ = kernel(helpers=("backprop",))

    def student(net):
        w = net.weights[0]
        calls_seen = []
        for _ in range(2):
            net.backprop(0.0)
            calls_seen.append(net.calls)
        w -= 1.0
        return calls_seen

    net = StandIn()
    assert k.handle(grader, student)(net) == [1, 2]
    np.testing.assert_array_equal(net.weights[0], np.zeros((2, 2)))


def test_a_lent_object_is_gone_after_its_call(kernel):
    k, grader, incidents = kernel(helpers=("backprop",))
    kept = []

    def student(net):
        if kept:
            return kept[0].backprop(1.0)  # one lent for an earlier call
        kept.append(net)
        return 0

    fn = k.handle(grader, student)
    fn(StandIn())
    with pytest.raises(StudentError, match="earlier call"):
        fn(StandIn())
    assert any("after that call had ended" in i for i in incidents)


def test_a_lent_object_handed_back_after_its_call_is_refused(kernel):
    k, grader, incidents = kernel(helpers=("backprop",))
    kept = []
    fn = k.handle(grader, lambda net: kept[0] if kept else kept.append(net))
    fn(StandIn())
    with pytest.raises(ProtocolError):
        fn(StandIn())
    assert any("did not lend for this call" in i for i in incidents)


def test_a_lent_class_cannot_be_changed(kernel):
    k, grader, incidents = kernel(helpers=("fn",))

    class Cost:
        __module__ = "handnet_ref.costs"

        @staticmethod
        def fn(a):
            return a + 1

    def student(cost):
        cost.fn = None  # tries to replace the reference's method
        return cost.__name__

    assert k.handle(grader, student)(Cost) == "Cost"
    assert Cost.fn(1) == 2
    assert any("class or function lent" in i for i in incidents)


def test_a_method_that_is_not_lent_cannot_be_called_back(kernel):
    k, grader, incidents = kernel(helpers=("backprop",))
    # a kernel whose Lent was changed to offer every method: asks for one by name
    fn = k.handle(grader, lambda net: k.link.callback(next(iter(k.link.lent)), "update", (), {}))
    with pytest.raises(StudentError, match="not available"):
        fn(StandIn())
    assert any("'update', which the check does not lend" in i for i in incidents)


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
    np.testing.assert_array_equal(
        draw(np.random.default_rng(7)), np.random.default_rng(7).random(3)
    )


def test_modules_are_never_lent(kernel):
    k, grader, _ = kernel()
    with pytest.raises(ProtocolError):
        k.handle(grader, lambda m: m)(np)


def test_a_forged_reply_is_refused_and_recorded(kernel):
    """A student's function that writes its own reply on the connection (the kernel's
    side answering for a lent object it never got): is the check's call refused, and the
    forgery on record?"""
    k, grader, incidents = kernel()

    def forger(x):
        send(k.link.sock, {"op": "return", "value": {"$lent": {"ref": 0}}})
        return x

    with pytest.raises(CheckFailed, match="forged message"):
        call_student(k.handle(grader, forger), (1.0,), "sigmoid")
    assert any("forged message" in i for i in incidents)


def test_a_student_callable_is_callable_and_an_object_is_not(kernel):
    k, grader, _ = kernel()
    assert isinstance(k.handle(grader, len), StudentCallable)
    assert not callable(k.handle(grader, object()))


def test_the_checks_see_a_students_class_through_its_handle(kernel):
    """Do core's is_class, type_name and student_function see the student's class in
    the kernel (its __init__ too, which a handle's own class would otherwise answer)?"""
    k, grader, _ = kernel()

    class Network:
        def __init__(self, sizes):
            self.sizes = sizes

    handle = k.handle(grader, Network)
    assert is_class(handle) and not is_class(k.handle(grader, len))
    assert type_name(handle) == "type" and type_name(k.handle(grader, Network([1]))) == "Network"
    init = student_function(handle, "__init__")
    assert isinstance(init, StudentCallable) and type_name(init) == "function"
    with pytest.raises(CheckFailed, match="no method backprop"):
        student_function(handle, "backprop")


def test_a_handle_is_refused_by_another_conversation(kernel):
    k, grader, _ = kernel()
    _, other, _ = kernel()
    handle = k.handle(grader, len)
    with pytest.raises(ProtocolError, match="another conversation"):
        other.encode(handle)
    assert grader.encode([handle]) == [{Tag.BACK: 0}]
