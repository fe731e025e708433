"""handnet_grader.trust.verdicts: the verdict server, with a kernel's side (handnet.probe) in a
thread of the test, over the server's real Unix socket."""

import os
import tempfile
import threading

import numpy as np
import pytest

from handnet import probe
from handnet.wire import CheckFailed
from handnet_grader.trust.verdicts import VISIBLE, VerdictServer, find_check
from handnet_ref.checks.core import scratch_in, temporary_folder


@pytest.fixture
def server(tmp_path, monkeypatch):
    served = VerdictServer(str(tmp_path))
    monkeypatch.setenv("HANDNET_VERDICT_SOCKET", served.path)
    monkeypatch.setenv("HANDNET_CHECK_SEED", "2026")
    served.cell = 4
    yield served
    served.close()


def right_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def wrong_sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))


def test_a_passing_check_is_recorded_for_its_cell(server):
    probe.run_check("neuron", "check_sigmoid", right_sigmoid)
    verdicts, incidents = server.take(4)
    assert [(v["name"], v["passed"]) for v in verdicts] == [("check_sigmoid", True)]
    assert incidents == [] and server.take(4) == ([], [])


def test_a_failing_check_fails_in_the_kernel_with_the_graders_message(server):
    with pytest.raises(CheckFailed) as raised:
        probe.run_check("neuron", "check_sigmoid", wrong_sigmoid)
    (verdict,), _ = server.take(4)
    assert not verdict["passed"] and str(raised.value) == verdict["message"]
    assert "sigmoid" in verdict["message"]


def test_a_check_that_does_not_exist_is_refused_and_recorded(server):
    with pytest.raises(CheckFailed, match="no such check"):
        probe.run_check("neuron", "reference_sigmoid", right_sigmoid)
    verdicts, incidents = server.take(4)
    assert verdicts == [] and "does not exist" in incidents[0]["message"]


def test_a_session_runs_the_visible_tests_here(server, monkeypatch):
    monkeypatch.setattr(probe, "_user_namespace", lambda: {"sigmoid": wrong_sigmoid})
    server.sessions[4] = "assert abs(sigmoid(1.0) - 0.7310585786) < 1e-6, 'sigmoid(1) is wrong'"
    probe.serve_grader()
    (verdict,), _ = server.take(4)
    assert (verdict["name"], verdict["passed"], verdict["message"]) == (
        VISIBLE,
        False,
        "AssertionError: sigmoid(1) is wrong",
    )


def test_a_session_the_grader_did_not_ask_for_is_recorded(server):
    probe.serve_grader()
    verdicts, incidents = server.take(4)
    assert verdicts == [] and "did not ask for" in incidents[0]["message"]


def test_only_check_functions_of_a_topic_can_be_asked_for():
    assert find_check("neuron", "check_sigmoid")[0].__name__ == "check_sigmoid"
    assert find_check("neuron", "reference_sigmoid") is None
    assert find_check("neuron", "check_rng") is None  # imported from core
    assert find_check("core", "check_rng") is None
    assert find_check("sgd", "check_SGD")[1] == ("update_mini_batch", "evaluate")


def test_a_scratch_folder_holds_only_in_its_own_thread(tmp_path):
    """The server runs checks in a thread with the submission's scratch folder: does a
    check in another thread (another submission) still get the system's folder?"""
    elsewhere = []
    with scratch_in(str(tmp_path)):
        with temporary_folder() as mine:
            assert os.path.dirname(mine) == str(tmp_path)
        thread = threading.Thread(target=lambda: elsewhere.append(temporary_folder()))
        thread.start()
        thread.join()
    with elsewhere[0] as other:
        assert os.path.dirname(other) == tempfile.gettempdir()
