"""The checks of assignment 2 beyond the generic catalogue test: the batch check, the
student's class as argument, solutions written differently, and clear messages for
mistakes outside the catalogue."""

import re

import numpy as np
import pytest

from handnet_ref.activations import sigmoid
from handnet_ref.checks import CheckFailed
from handnet_ref.checks import feedforward as ff


def student_class():
    """A Network class as the notebook builds it: methods attached one by one."""

    class Network:
        pass

    def __init__(self, sizes, rng):
        self.sizes = list(sizes)
        self.num_layers = len(sizes)
        self.biases = [rng.normal(0.0, 1.0, size=(y, 1)) for y in sizes[1:]]
        self.weights = [rng.normal(size=(y, x)) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def evaluate(self, test_data):
        return int(np.sum([np.argmax(self.feedforward(x)) == y for x, y in test_data]))

    Network.__init__ = __init__
    Network.feedforward = feedforward
    Network.evaluate = evaluate
    return Network


def test_a_student_class_written_differently_passes_every_check():
    """Do the checks take the class and accept rng.normal, np.dot and np.sum?"""
    Network = student_class()
    ff.check_init(Network)
    ff.check_feedforward(Network)
    ff.check_feedforward_batch(Network)
    ff.check_evaluate(Network)


def test_the_reference_passes_the_batch_check():
    ff.check_feedforward_batch(ff.reference_feedforward)


@pytest.mark.parametrize(
    "key",
    [
        "feedforward.no_bias",
        "feedforward.weights_transposed",
        "feedforward.bias_flat",
        "feedforward.first_layer_only",
    ],
)
def test_the_batch_check_names_the_same_mistakes(key):
    """Does a feedforward mistake get its hint in the batch check too?"""
    mistake = next(m for m in ff.FEEDFORWARD_MISTAKES if m.key == key)
    with pytest.raises(CheckFailed, match=re.escape(mistake.hint)):
        ff.check_feedforward_batch(mistake.variant)


def test_code_that_only_handles_columns_fails_the_batch_check_naming_the_batch():
    """A feedforward that flattens its input passes on columns, and fails on a batch with
    a message saying which network and input shape broke it."""

    def column_only(self, a):
        a = np.reshape(a, (-1, 1))
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    ff.check_feedforward(column_only)
    with pytest.raises(CheckFailed, match=r"input of shape \(\d+, \d+\)"):
        ff.check_feedforward_batch(column_only)


def test_an_uncatalogued_feedforward_mistake_gets_the_first_difference():
    def doubled_bias(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + 2 * b)
        return a

    with pytest.raises(
        CheckFailed,
        match=r"feedforward is wrong: at index .* should be .* "
        r"yours is .*\(check seed 7\)",
    ):
        ff.check_feedforward(doubled_bias)


def test_an_unwritten_method_says_so():
    def stub(self, a):
        raise NotImplementedError("Replace this line")

    with pytest.raises(CheckFailed, match="not written yet"):
        ff.check_feedforward(stub)


def test_init_that_sets_nothing_gets_a_clear_message():
    def lazy(self, sizes, rng):
        self.sizes = sizes

    with pytest.raises(CheckFailed, match=r"should set self\.biases to a list of arrays"):
        ff.check_init(lazy)


def test_init_with_scaled_weights_is_told_about_the_distribution():
    """N(0, 1/n) weights are not a catalogued mistake: the message names the distribution."""

    def scaled(self, sizes, rng):
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [
            rng.standard_normal((y, x)) / np.sqrt(x) for x, y in zip(sizes[:-1], sizes[1:])
        ]

    with pytest.raises(
        CheckFailed,
        match=r"the weights should be drawn from N\(0, 1\).*"
        r"standard deviation",
    ):
        ff.check_init(scaled)


def test_init_with_a_missing_layer_says_how_many_arrays():
    def short(self, sizes, rng):
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:2]]
        self.weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]

    with pytest.raises(CheckFailed, match=r"self\.biases should hold 2 arrays.*yours holds 1"):
        ff.check_init(short)


@pytest.mark.parametrize("seed", ["1", "2", "3", "4", "5"])
def test_evaluate_comparing_with_argmax_of_the_label_is_told_the_label_format(monkeypatch, seed):
    """evaluate written with np.argmax(label), as for the one-hot training targets, counts
    the guesses of 0 (np.argmax of an int is 0): is the student told that test labels are
    ints?"""
    monkeypatch.setenv("HANDNET_CHECK_SEED", seed)

    def evaluate(self, test_data):
        return sum(int(np.argmax(self.feedforward(x)) == np.argmax(y)) for x, y in test_data)

    hint = next(m.hint for m in ff.EVALUATE_MISTAKES if m.key == "evaluate.label_argmax")
    assert "np.argmax(label)" in hint and "(an int)" in hint
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        ff.check_evaluate(evaluate)


def test_evaluate_returning_a_numpy_integer_passes():
    def evaluate(self, test_data):
        guesses = np.array([np.argmax(self.feedforward(x)) for x, _ in test_data])
        return np.sum(guesses == np.array([label for _, label in test_data]))

    ff.check_evaluate(evaluate)


def test_vectorized_result_as_int_array_passes():
    """An integer one-hot column has the right numbers; the check accepts it."""

    def vectorized_result(j):
        e = np.zeros((10, 1), dtype=int)
        e[j] = 1
        return e

    ff.check_vectorized_result(vectorized_result)
