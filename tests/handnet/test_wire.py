"""handnet.wire, the grading protocol: what crosses between grader and kernel, what is
refused, and how lent objects' attributes are kept in step."""

import re
import socket
import struct

import numpy as np
import pytest

from handnet.wire import (
    KINDS,
    OPS,
    TAGS,
    CheckFailed,
    Closed,
    Kind,
    Mirror,
    Op,
    ProtocolError,
    Remote,
    RemoteError,
    Tag,
    decode,
    encode,
    error_reply,
    receive,
    remote,
    same,
    send,
    snapshot,
)


def no_handles(obj):
    raise AssertionError(f"unexpected handle for {obj!r}")


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -2.5,
        float("inf"),
        "text",
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array([[1 + 2j]]),
        np.zeros((0, 4)),
        np.array(True),
        np.float64(0.25),
        np.int64(-7),
        np.arange(12.0).reshape(3, 4).T,
        [np.ones((2, 1)), (np.zeros((1, 2)), 4)],
        {"a": [1, 2], 3: (np.eye(2),)},
    ],
)
def test_plain_values_come_back_equal(value):
    """Does every kind of plain data come back with its type, dtype, shape and numbers?"""
    back = decode(encode(value, no_handles), no_handles)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, (list, tuple, dict)):
        assert repr(back) == repr(value)
    else:
        assert back == value


def test_arrays_come_back_as_copies_that_can_be_written():
    back = decode(encode(np.ones(3), no_handles), no_handles)
    back[0] = 5.0
    assert back.flags.writeable and back[0] == 5.0


def test_a_generator_travels_by_value():
    """Does a PCG64 Generator arrive as a copy in the same state (drawing the same
    numbers, without advancing the original)?"""
    rng = np.random.default_rng(7)
    copy = decode(encode(rng, no_handles), no_handles)
    assert copy is not rng
    np.testing.assert_array_equal(copy.random(3), np.random.default_rng(7).random(3))
    np.testing.assert_array_equal(rng.random(3), np.random.default_rng(7).random(3))


def test_objects_become_handles_and_handles_go_to_from_handle():
    seen = []
    data = encode([object(), len], lambda obj: seen.append(obj) or {Tag.OBJECT: len(seen) - 1})
    assert data == [{"$object": 0}, {"$object": 1}] and len(seen) == 2
    assert decode(data, lambda d: seen[d[Tag.OBJECT]]) == seen


@pytest.mark.parametrize(
    "data, why",
    [
        ({"$array": "AAAA", "dtype": "|O", "shape": [1]}, "not numeric"),
        ({"$array": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [2]}, "do not match"),
        ({"$array": "", "dtype": "<f8", "shape": [-1]}, "shape"),
        ({"$array": "", "dtype": "not a dtype", "shape": [0]}, "dtype"),
        ({"$array": "not base64!", "dtype": "<f8", "shape": [1]}, "base64"),
        ({"$scalar": "AA==", "dtype": "<f8"}, "do not match"),
        ({"$generator": {"bit_generator": "MT19937", "state": {}}}, "PCG64"),
        ({"$generator": {"bit_generator": "PCG64", "state": "x"}}, "generator state"),
        ({"$object": "0"}, "malformed"),
        ({"$lent": {"ref": 0}}, "malformed"),
        ({"$pickle": "gASVAAAA"}, "malformed"),
        ({}, "malformed"),
    ],
)
def test_malformed_data_is_refused(data, why):
    with pytest.raises(ProtocolError, match=why):
        decode(data, no_handles)


def test_deep_nesting_is_refused_both_ways():
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ProtocolError, match="nested"):
        encode(deep, no_handles)
    with pytest.raises(ProtocolError, match="nested"):
        decode(deep, no_handles)


def test_messages_cross_a_socket_and_oversized_ones_are_refused():
    a, b = socket.socketpair()
    with a, b:
        send(a, {"op": Op.CALL, "args": [1, 2]})
        assert receive(b) == {"op": "call", "args": [1, 2]}
        a.sendall(struct.pack("!Q", 10**12))
        with pytest.raises(ProtocolError, match="limit"):
            receive(b)


@pytest.mark.parametrize("message", [{"no": "op"}, {"op": "callback"}, {"op": 3}])
def test_a_message_without_a_known_operation_is_refused(message):
    a, b = socket.socketpair()
    with a, b:
        send(a, message)
        with pytest.raises(ProtocolError, match="operation"):
            receive(b)


def test_a_closed_connection_is_told_apart_from_a_bad_message():
    a, b = socket.socketpair()
    with b:
        a.close()
        with pytest.raises(Closed):
            receive(b)


def test_the_specification_names_every_operation_and_tag_and_no_other():
    """Does the module's docstring (the protocol's specification) describe exactly the
    operations (``CALL {...}``) and data tags (``{"$array": ...}``) the code knows, and
    has every constant a value of its own?"""
    import handnet.wire as wire

    spec = wire.__doc__
    assert {op.upper() for op in OPS} == set(re.findall(r"\b([A-Z]{4,}) +\{", spec))
    assert TAGS == set(re.findall(r'\{"(\$[a-z]+)"', spec))
    for constants, values in [(Op, OPS), (Tag, TAGS), (Kind, KINDS)]:
        assert len(values) == sum(name.isupper() for name in vars(constants))


@pytest.mark.parametrize(
    "a, b, equal",
    [
        (np.ones(3), np.ones(3), True),
        (np.ones(3), np.ones(3, dtype=np.float32), False),
        (np.ones((3, 1)), np.ones(3), False),
        (np.array([np.nan]), np.array([np.nan]), True),
        ([np.ones(2), 3], [np.ones(2), 3], True),
        ([1, 2], (1, 2), False),
        ({"a": 1.0}, {"a": 1.0}, True),
        (float("nan"), float("nan"), True),
        (1, True, False),
        (object(), object(), False),
    ],
)
def test_same_compares_plain_data_by_value_and_objects_by_identity(a, b, equal):
    assert same(a, b) is equal


def test_a_snapshot_does_not_follow_later_changes_in_place():
    weights = [np.zeros((2, 2))]
    before = snapshot(weights)
    weights[0][0, 0] = 1.0
    assert not same(weights, before)


def test_the_mirror_reports_only_what_changed_since_the_other_side_saw_it():
    """Does the first message carry every attribute, the next ones only those changed (in
    place or replaced), and does an attribute that came from the other side not go back?"""
    mirror = Mirror()
    net = {"weights": [np.zeros((2, 2))], "sizes": [2, 2]}
    assert set(mirror.changes(0, net)) == {"weights", "sizes"}
    assert mirror.changes(0, net) == {}
    net["weights"][0] += 1.0
    assert set(mirror.changes(0, net)) == {"weights"}
    net["sizes"] = [2, 3]
    mirror.saw(0, {"sizes": [2, 3]})
    assert mirror.changes(0, net) == {}
    mirror.forget()
    assert set(mirror.changes(0, net)) == {"weights", "sizes"}


def test_a_check_failure_keeps_its_kind_across_the_wire():
    """Is a subclass of CheckFailed sent as a CheckFailed, and NotImplementedError marked?"""

    class Misuse(CheckFailed):
        pass

    assert error_reply(Misuse("use self.evaluate"))["type"] == "CheckFailed"
    assert error_reply(NotImplementedError("stub"))["not_implemented"] is True
    assert error_reply(ValueError("x")) == {
        "op": "raise",
        "type": "ValueError",
        "message": "x",
        "not_implemented": False,
    }


def test_remote_describes_handles_and_nothing_else():
    class Handle:
        def __remote__(self):
            return Remote(Kind.CLASS, "type", "Network", lambda name: name.upper())

    assert remote(Handle()).attribute("feedforward") == "FEEDFORWARD"
    assert remote(object()) is None and remote(Handle) is None
    assert RemoteError("ValueError", "bad").type_name == "ValueError"
