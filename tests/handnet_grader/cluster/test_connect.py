"""Reaching the scheduler: the error when none listens."""

import socket

import pytest


def test_an_unreachable_scheduler_is_a_clear_error():
    """Does connecting to a port where no scheduler listens fail with ClusterError, naming
    the address and saying nothing was graded?"""
    from handnet_grader.cluster.connect import ClusterError, connect

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ClusterError) as error:
        connect(address, timeout=2)
    assert address in str(error.value) and "nothing was graded" in str(error.value)
