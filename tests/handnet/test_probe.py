"""handnet.probe's wire format: what crosses between grader and kernel, and what is refused."""

import socket
import struct

import numpy as np
import pytest

from handnet.probe import ProtocolError, decode, encode, receive, send


def no_refs(obj):
    raise AssertionError(f"unexpected handle for {obj!r}")


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, float("inf"), "text",
    np.arange(6, dtype=np.float32).reshape(2, 3),
    np.array([[1 + 2j]]), np.zeros((0, 4)), np.array(True), np.float64(0.25), np.int64(-7),
    [np.ones((2, 1)), (np.zeros((1, 2)), 4)],
    {"a": [1, 2], 3: (np.eye(2),)},
])
def test_plain_values_come_back_equal(value):
    back = decode(encode(value, no_refs), no_refs)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, (list, tuple, dict)):
        assert repr(back) == repr(value)
    else:
        assert back == value or (value != value and back != back)


def test_arrays_come_back_as_copies_that_can_be_written():
    back = decode(encode(np.ones(3), no_refs), no_refs)
    back[0] = 5.0
    assert back.flags.writeable and back[0] == 5.0


def test_objects_become_handles():
    seen = []
    data = encode([object(), lambda: 1], lambda obj: seen.append(obj) or {"$ref": len(seen) - 1})
    assert data == [{"$ref": 0}, {"$ref": 1}] and len(seen) == 2


@pytest.mark.parametrize("data, why", [
    ({"$array": "AAAA", "dtype": "|O", "shape": [1]}, "not numeric"),
    ({"$array": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [2]}, "do not match"),
    ({"$array": "", "dtype": "<f8", "shape": [-1]}, "shape"),
    ({"$array": "", "dtype": "not a dtype", "shape": [0]}, "dtype"),
    ({"$scalar": "AA==", "dtype": "<f8"}, "do not match"),
    ({"$pickle": "gASVAAAA"}, "malformed"),
    ({}, "malformed"),
])
def test_malformed_data_is_refused(data, why):
    with pytest.raises(ProtocolError, match=why):
        decode(data, no_refs)


def test_deep_nesting_is_refused_both_ways():
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ProtocolError, match="nested"):
        encode(deep, no_refs)
    data = []
    for _ in range(200):
        data = [data]
    with pytest.raises(ProtocolError, match="nested"):
        decode(data, no_refs)


def test_messages_cross_a_socket_and_oversized_ones_are_refused():
    a, b = socket.socketpair()
    with a, b:
        send(a, {"op": "call", "args": [1, 2]})
        assert receive(b) == {"op": "call", "args": [1, 2]}
        a.sendall(struct.pack("!Q", 10 ** 12))
        with pytest.raises(ProtocolError, match="limit"):
            receive(b)


def test_a_message_without_an_operation_is_refused():
    a, b = socket.socketpair()
    with a, b:
        send(a, {"no": "op"})
        with pytest.raises(ProtocolError, match="operation"):
            receive(b)
