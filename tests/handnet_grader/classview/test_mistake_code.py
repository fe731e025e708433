"""handnet_grader.classview.mistake_code: every catalogued mistake written out as code that runs
without handnet_ref and still makes its check fail with its own hint."""

import re
import sys

import pytest

from handnet_grader.classview.mistake_code import NotWritable, free_names, mistake_source
from handnet_grader.trust.integrity import scan_source
from handnet_ref.checks import CATALOGUE, TOPICS, CheckFailed


def check_for(key):
    """The check that a mistake's key names ('sigmoid.sign' -> check_sigmoid)."""
    name = key.split(".")[0]
    return next(topic.CHECKS[name] for topic in TOPICS if name in topic.CHECKS)


def run_without_reference(code):
    """The namespace after running ``code`` with handnet_ref made unimportable."""
    namespace, saved = {}, sys.modules.get("handnet_ref")
    sys.modules["handnet_ref"] = None  # an import of it would raise ImportError
    try:
        exec(compile(code, "<mistake>", "exec"), namespace)
    finally:
        sys.modules["handnet_ref"] = saved
    return namespace


@pytest.mark.parametrize("mistake", CATALOGUE, ids=[m.key for m in CATALOGUE])
def test_written_out_mistake_fails_its_check_with_its_hint(monkeypatch, mistake):
    """Does the written-out code need nothing of handnet (nor say so: the integrity scan
    finds nothing), and does its check fail it with this mistake's hint?"""
    monkeypatch.setenv("HANDNET_CHECK_SEED", "1")
    code = mistake_source(mistake.key)
    assert "handnet" not in code and scan_source(code) == []
    variant = run_without_reference(code)["_mistake"]
    with pytest.raises(CheckFailed, match=re.escape(mistake.hint)):
        check_for(mistake.key)(variant)


def test_helpers_stay_inside_one_function():
    """Is the sigmoid the mistake of sigmoid_prime needs kept out of the student's names,
    with only ``_mistake`` (and the factory) added to the namespace?"""
    code = mistake_source("sigmoid_prime.square")
    assert "def sigmoid(" in code and "reference_sigmoid = sigmoid" in code
    names = set(run_without_reference(code)) - {"__builtins__"}
    assert names == {"_written_out", "_mistake"}


def test_free_names_are_those_used_but_not_bound():
    code = (
        "import numpy as np\n"
        "def f(x, k=K):\n    y = helper(x)\n    return np.sum(y) + len([z for z in y])\n"
    )
    assert free_names(code) == {"K", "helper"}


def test_an_unknown_key_is_a_key_error():
    with pytest.raises(KeyError, match="no mistake 'sigmoid.nonsense'"):
        mistake_source("sigmoid.nonsense")


def test_a_name_with_two_meanings_is_refused(monkeypatch):
    """Two definitions that would share one name cannot be written out side by side."""
    from handnet_grader.classview import mistake_code as module

    writer = module._Writer("x.y")
    writer._bind("sigmoid", ("handnet_ref.activations", "sigmoid"))
    with pytest.raises(NotWritable, match="'sigmoid' would stand for both"):
        writer._bind("sigmoid", ("handnet_ref.checks.other", "sigmoid"))
