"""Checks of assignment 6 beyond the generic catalogue test: other correct ways of writing
the exercises pass, and wrong answers without a catalogue entry get a clear message."""

import json
import os

import numpy as np
import pytest

from handnet_ref.checks.core import CheckFailed
from handnet_ref.checks.improving_costs import (
    check_cross_entropy_edges,
    check_cross_entropy_fn,
    check_train_neuron,
)
from handnet_ref.checks.improving_init_save import (
    check_default_weight_initializer,
    check_load_json,
    check_save_json,
)
from handnet_ref.checks.improving_l2 import check_epochs_to_run, check_l2_update, check_total_cost


def test_cross_entropy_without_errstate_fails_the_edges_check_quietly(capfd):
    """Is the book's formula (nan_to_num, but no errstate) failed for its warning, with
    advice on np.errstate, and is the warning kept off stderr?"""

    def book_fn(a, y):
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    check_cross_entropy_fn(book_fn)  # its values are right
    with pytest.raises(CheckFailed, match="np.errstate"):
        check_cross_entropy_edges(book_fn)
    assert capfd.readouterr().err == ""


def test_cross_entropy_with_where_passes_both_checks():
    """Does a version that avoids log(0) altogether (np.where) pass?"""

    def safe_fn(a, y):
        with np.errstate(divide="ignore"):
            terms = np.where(y > 0, -y * np.log(np.where(y > 0, a, 1.0)), 0.0) + np.where(
                y < 1, -(1 - y) * np.log(np.where(y < 1, 1 - a, 1.0)), 0.0
            )
        return float(np.sum(terms))

    check_cross_entropy_fn(safe_fn)
    check_cross_entropy_edges(safe_fn)


def test_train_neuron_may_return_a_list():
    """Is a list of floats as good as an array?"""

    def as_list(cost, w, b, x, y, eta, epochs):
        s = lambda z: 1 / (1 + np.exp(-z))
        out = [s(w * x + b)]
        for _ in range(epochs):
            z = w * x + b
            d = cost.delta(z, s(z), y)
            w, b = w - eta * d * x, b - eta * d
            out.append(float(s(w * x + b)))
        return out

    check_train_neuron(as_list)


def test_l2_update_in_place_passes_and_an_unlisted_mistake_is_described():
    """Does an in-place update pass, and does a halved step (no catalogue entry) fail
    naming the first wrong number and the seed?"""

    def in_place(self, X, Y, eta, lmbda, n):
        nabla_b, nabla_w = self.backprop(X, Y)
        m = X.shape[1]
        for w, nw in zip(self.weights, nabla_w):
            w *= 1 - eta * lmbda / n
            w -= eta / m * nw
        for b, nb in zip(self.biases, nabla_b):
            b -= eta / m * nb

    check_l2_update(in_place)

    def half_step(self, X, Y, eta, lmbda, n):
        nabla_b, nabla_w = self.backprop(X, Y)
        m = X.shape[1]
        self.weights = [
            (1 - eta * lmbda / n) * w - eta / (2 * m) * nw for w, nw in zip(self.weights, nabla_w)
        ]
        self.biases = [b - eta / (2 * m) * nb for b, nb in zip(self.biases, nabla_b)]

    with pytest.raises(CheckFailed, match=r"update_mini_batch .* is wrong: .*check seed 7"):
        check_l2_update(half_step)


def test_total_cost_that_crashes_is_reported():
    """Is an exception in the student's total_cost turned into a message naming it?"""

    def crashes(self, data, lmbda):
        raise KeyError("cost")

    with pytest.raises(CheckFailed, match="total_cost raised KeyError"):
        check_total_cost(crashes)


def test_epochs_to_run_unlisted_mistake_is_described():
    """Does 'always run every epoch' fail with the first differing case and the seed?"""
    with pytest.raises(CheckFailed, match=r"epochs_to_run is wrong: .*check seed 7"):
        check_epochs_to_run(lambda accuracies, n: len(accuracies))


def test_initializer_in_another_draw_order_passes():
    """Is drawing the weights before the biases, or with rng.normal, accepted (the check
    judges the distribution, not the exact numbers)?"""

    def weights_first(self, rng):
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.weights = [rng.normal(0, 1 / np.sqrt(x), size=(y, x)) for x, y in pairs]
        self.biases = [rng.normal(size=(y, 1)) for _, y in pairs]

    check_default_weight_initializer(weights_first)


def test_initializer_shape_and_missing_attribute_messages():
    """Do transposed weights get a message with the expected shapes, and an initialiser
    that returns the lists instead of setting them a message saying what to set?"""

    def transposed(self, rng):
        self.biases = [rng.standard_normal((y, 1)) for y in self.sizes[1:]]
        self.weights = [
            rng.standard_normal((x, y)) / np.sqrt(x)
            for x, y in zip(self.sizes[:-1], self.sizes[1:])
        ]

    with pytest.raises(CheckFailed, match="the weights should have shapes"):
        check_default_weight_initializer(transposed)

    def returns(self, rng):
        return [rng.standard_normal((y, 1)) for y in self.sizes[1:]]

    with pytest.raises(CheckFailed, match="should set self.weights and self.biases"):
        check_default_weight_initializer(returns)


def test_initializer_with_the_wrong_spread_gets_the_statistics():
    """Does a spread with no catalogue entry (1/sqrt(2 n_in)) fail, giving the measured
    and the expected standard deviations?"""

    def too_narrow(self, rng):
        self.biases = [rng.standard_normal((y, 1)) for y in self.sizes[1:]]
        self.weights = [
            rng.standard_normal((y, x)) / np.sqrt(2 * x)
            for x, y in zip(self.sizes[:-1], self.sizes[1:])
        ]

    with pytest.raises(CheckFailed, match=r"do not look like N\(0, 1/n_in\).*should be about"):
        check_default_weight_initializer(too_narrow)


class NotebookNetwork:
    """Like the notebook's Network: built from sizes and a cost class."""

    def __init__(self, sizes, cost, init="large", seed=0):
        rng = np.random.default_rng(seed)
        self.sizes, self.cost = list(sizes), cost
        self.weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]


class QuadraticCost:
    pass


class CrossEntropyCost:
    pass


COSTS = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}


def notebook_save(self, filename):
    with open(filename, "w") as f:
        json.dump(
            {
                "sizes": self.sizes,
                "weights": [w.tolist() for w in self.weights],
                "biases": [b.tolist() for b in self.biases],
                "cost": self.cost.__name__,
                "note": "extra keys are fine",
            },
            f,
        )


def notebook_load(filename):
    with open(filename) as f:
        data = json.load(f)
    net = NotebookNetwork(data["sizes"], COSTS[data["cost"]])
    net.weights = [np.array(w) for w in data["weights"]]
    net.biases = [np.array(b) for b in data["biases"]]
    return net


def test_save_and_load_written_as_in_the_notebook_pass():
    """Do a save with an extra key, and a load that builds its own Network with its own
    cost classes (of the same names), pass?"""
    check_save_json(notebook_save)
    check_load_json(notebook_load)


def test_save_that_writes_nothing_and_load_that_returns_nothing_are_explained(tmp_path):
    """Do a save that writes no file and a load that returns None get messages saying
    what they should do?"""
    with pytest.raises(CheckFailed, match="wrote no file"):
        check_save_json(lambda self, filename: None)
    with pytest.raises(CheckFailed, match="load should return the network"):
        check_load_json(lambda filename: None)


def test_save_that_writes_other_json_is_described():
    """Does a file without weights fail, naming the weights?"""

    def no_weights(self, filename):
        with open(filename, "w") as f:
            json.dump(
                {
                    "sizes": self.sizes,
                    "biases": [b.tolist() for b in self.biases],
                    "cost": self.cost.__name__,
                },
                f,
            )

    with pytest.raises(CheckFailed, match="save: weights should be a list"):
        check_save_json(no_weights)


def test_checks_leave_no_files_behind(tmp_path, monkeypatch):
    """Are the temporary files of the save and load checks removed?"""
    monkeypatch.chdir(tmp_path)
    check_save_json(notebook_save)
    check_load_json(notebook_load)
    assert os.listdir(tmp_path) == []
