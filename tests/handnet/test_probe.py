"""handnet.probe, the kernel's side of a check: the objects the grader lends, the
replies it makes, and how it talks to a grader (played here by the test, over a socket
pair, with handnet.wire)."""

import socket
import threading

import numpy as np
import pytest

from handnet import probe
from handnet.wire import CheckFailed, Op, Tag, receive, send


@pytest.fixture
def kernel():
    """(KernelLink serving in a thread, the grader's end of the socket)."""
    grader, kernel_sock = socket.socketpair()
    link = probe.KernelLink(kernel_sock)
    thread = threading.Thread(target=lambda: _serve(link), daemon=True)
    thread.start()
    yield link, grader
    grader.close()
    kernel_sock.close()


def _serve(link):
    try:
        link.wait()
    except Exception:
        pass


def _lent(ref, kind="object", methods=("backprop",), name="Net"):
    return {Tag.OBJECT: ref, "kind": kind, "name": name, "repr": None, "methods": list(methods)}


def test_a_call_returns_its_value_and_the_arguments_changed_in_place(kernel):
    link, grader = kernel

    def student(items, array, untouched):
        items.sort()
        array *= 2
        return len(items)

    ref = link.as_handle(student)[Tag.OBJECT]
    send(
        grader,
        {
            "op": Op.CALL,
            "ref": ref,
            "method": None,
            "args": link.encode([[3, 1, 2], np.ones(2), [5]]),
            "kwargs": {Tag.DICT: []},
        },
    )
    reply = receive(grader)
    assert reply["op"] == "return" and reply["value"] == 3
    assert reply["mutated"].keys() == {"0", "1"} and reply["mutated"]["0"] == [1, 2, 3]


def test_a_lent_object_calls_back_with_its_changed_attributes(kernel):
    """When the student's code calls a lent object's method, does the CALL carry the
    attributes it changed, and do the grader's changes come back into the same object?"""
    link, grader = kernel
    seen = {}

    def student(net):
        w = net.weights[0]
        net.sizes = [2, 3]
        net.backprop(1.0)
        seen["kept"] = w is net.weights[0]  # unchanged by the grader: same object
        return net.calls

    ref = link.as_handle(student)[Tag.OBJECT]
    send(
        grader,
        {
            "op": Op.CALL,
            "ref": ref,
            "method": None,
            "args": [_lent(0)],
            "kwargs": {Tag.DICT: []},
            "state": {"0": {"weights": link.encode([np.ones(2)]), "sizes": [2, 2], "calls": 0}},
        },
    )
    callback = receive(grader)
    assert (callback["op"], callback["ref"], callback["method"]) == ("call", 0, "backprop")
    assert callback["state"] == {"0": {"sizes": [2, 3]}}
    send(grader, {"op": Op.RETURN, "value": None, "state": {"0": {"calls": 1}}})
    reply = receive(grader)
    assert reply["value"] == 1 and seen["kept"]
    assert "state" not in reply  # nothing changed since the callback


def test_lent_objects_are_forgotten_when_the_call_ends(kernel):
    link, grader = kernel
    kept = []
    ref = link.as_handle(kept.append)[Tag.OBJECT]
    send(
        grader,
        {"op": Op.CALL, "ref": ref, "method": None, "args": [_lent(0)], "kwargs": {Tag.DICT: []}},
    )
    assert receive(grader)["op"] == "return"
    send(grader, {"op": Op.GETATTR, "ref": ref, "name": "__name__"})  # served after it
    assert receive(grader)["value"] == "append"
    assert link.lent == {} and isinstance(kept[0], probe.Lent)


def test_a_lent_object_offers_only_its_listed_methods():
    lent = probe.Lent(None, 0, "object", "Network", ["backprop"])
    assert callable(lent.backprop)
    with pytest.raises(AttributeError, match="update"):
        lent.update  # noqa: B018 (reading the attribute is what raises)
    with pytest.raises(TypeError, match="not callable"):
        lent()
    assert repr(lent) == "<Network lent by the grader>"


def test_a_lent_class_has_its_name_and_repr():
    cost = probe.Lent(
        None, 0, "class", "CrossEntropyCost", ["fn"], "<class 'handnet_ref.costs.CrossEntropyCost'>"
    )
    assert cost.__name__ == "CrossEntropyCost"
    assert str(cost) == "<class 'handnet_ref.costs.CrossEntropyCost'>"


@pytest.mark.parametrize(
    "message, expected",
    [
        ({"type": "CheckFailed", "message": "no"}, CheckFailed),
        ({"type": "ValueError", "message": "no"}, ValueError),
        ({"type": "Misuse", "message": "no"}, RuntimeError),
        ({"type": "SystemExit", "message": "no"}, RuntimeError),
        ({"type": "KeyError", "message": "no", "not_implemented": True}, NotImplementedError),
    ],
)
def test_the_graders_exceptions_become_builtin_ones_only(message, expected):
    assert type(probe._remote_error(message)) is expected


def test_a_check_outside_grading_says_so(monkeypatch):
    monkeypatch.delenv("HANDNET_VERDICT_SOCKET", raising=False)
    with pytest.raises(RuntimeError, match="only while the grader"):
        probe.run_check("neuron", "check_sigmoid", len)


def test_check_function_stands_for_the_named_check():
    check = probe.check_function("neuron", "check_sigmoid")
    assert (check.__name__, check.__module__) == ("check_sigmoid", "handnet_ref.checks.neuron")
