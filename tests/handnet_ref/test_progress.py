import numpy as np
import pytest

from handnet_ref.network import Network
from handnet_ref.progress import progress_enabled

DATA = [(np.full((2, 1), 0.5), np.array([[1.0], [0.0]]))] * 4


@pytest.mark.parametrize(
    "env, argument, expected",
    [
        ({}, None, True),
        ({}, False, False),
        ({"HANDNET_PROGRESS": "0"}, None, False),
        ({"HANDNET_PROGRESS": "0"}, True, True),
        ({"NBGRADER_EXECUTION": "autograde"}, True, False),
    ],
)
def test_progress_switches(monkeypatch, env, argument, expected):
    """Is the bar on by default, off on request, and always off under nbgrader?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("HANDNET_PROGRESS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert progress_enabled(argument) is expected


def test_sgd_writes_nothing_to_stderr_while_nbgrader_grades(monkeypatch, capfd):
    """Under NBGRADER_EXECUTION, does SGD keep stderr empty (stderr scores a test cell 0)?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    Network([2, 2], rng=0).SGD(DATA, 3, 2, 1.0, test_data=[(DATA[0][0], 0)], rng=0, progress=True)
    assert capfd.readouterr().err == ""


def test_sgd_shows_a_bar_with_the_accuracy_when_asked(monkeypatch, capfd):
    """In a terminal, does progress=True draw a bar that reports epochs and accuracy?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    Network([2, 2], rng=0).SGD(DATA, 3, 2, 1.0, test_data=[(DATA[0][0], 0)], rng=0, progress=True)
    err = capfd.readouterr().err
    assert "3/3" in err and "accuracy" in err
