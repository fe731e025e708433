"""The checks of assignment 4 (mini-batch SGD) beyond the generic catalogue test: other
correct ways of writing the exercises pass, unlisted mistakes get clear messages, and the
notebook's questions are marked right and wrong as intended."""

import random

import numpy as np
import pytest

from handnet_ref.checks import CheckFailed
from handnet_ref.checks.sgd import (
    check_eta_answer,
    check_parity_answer,
    check_SGD,
    check_update_mini_batch,
    reference_SGD,
)


class Student:
    """Stands for the notebook's Network class: checks accept the class as well."""


def in_place_update(self, mini_batch, eta):
    """Correct, but changes the arrays in place and accumulates with += ."""
    nabla_b = [np.zeros_like(b) for b in self.biases]
    nabla_w = [np.zeros_like(w) for w in self.weights]
    for x, y in mini_batch:
        db, dw = self.backprop(x, y)
        for nb, d in zip(nabla_b, db):
            nb += d
        for nw, d in zip(nabla_w, dw):
            nw += d
    for w, nw in zip(self.weights, nabla_w):
        w -= eta / len(mini_batch) * nw
    for b, nb in zip(self.biases, nabla_b):
        b -= eta / len(mini_batch) * nb


def test_update_mini_batch_in_place_passes():
    """Does an update that changes the arrays in place pass, given as a function or on a class?"""
    check_update_mini_batch(in_place_update)
    Student.update_mini_batch = in_place_update
    check_update_mini_batch(Student)


def test_update_mini_batch_stub_and_unlisted_mistake():
    """Is an unwritten stub named as such, and a wrong step without a catalogue entry
    described by the first differing number?"""

    def stub(self, mini_batch, eta):
        raise NotImplementedError("Replace this line with your code")

    with pytest.raises(CheckFailed, match="not written yet"):
        check_update_mini_batch(stub)

    def half_step(self, mini_batch, eta):
        in_place_update(self, mini_batch, eta / 2)

    with pytest.raises(
        CheckFailed, match=r"is wrong: at index .* the answer should be .*check seed 7"
    ):
        check_update_mini_batch(half_step)


def shuffle_copy_SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None, rng=None):
    """Correct, with rng.shuffle on a copy and a tuple returned."""
    rng = np.random.default_rng(rng)
    data = list(training_data)
    accuracies = []
    for _ in range(epochs):
        rng.shuffle(data)
        batches = [data[k : k + mini_batch_size] for k in range(0, len(data), mini_batch_size)]
        for batch in batches:
            self.update_mini_batch(batch, eta)
        if test_data:
            accuracies.append(self.evaluate(test_data) / len(test_data))
    return accuracies


def test_other_correct_SGD_passes():
    """Does SGD pass when written another correct way, and the reference on a class?"""
    check_SGD(shuffle_copy_SGD)
    Student.SGD = reference_SGD
    check_SGD(Student)


def test_SGD_unlisted_mistakes_get_clear_messages():
    """Are mistakes outside the catalogue explained: a batch of one, no return, evaluate
    without test data, a network method SGD does not need, evaluate after every
    mini-batch, the stdlib random module."""

    def one_at_a_time(self, training_data, epochs, mini_batch_size, eta, test_data=None, rng=None):
        return reference_SGD(self, training_data, epochs, 1, eta, test_data, rng)

    with pytest.raises(CheckFailed, match="mini-batches of mini_batch_size"):
        check_SGD(one_at_a_time)

    def no_return(self, *args, **kwargs):
        reference_SGD(self, *args, **kwargs)

    with pytest.raises(CheckFailed, match="should return a list of the test accuracies"):
        check_SGD(no_return)

    def returns_none_without_test(self, training_data, epochs, size, eta, test_data=None, rng=None):
        result = reference_SGD(self, training_data, epochs, size, eta, test_data, rng)
        return result if test_data is not None else None

    with pytest.raises(CheckFailed, match="should return an empty list"):
        check_SGD(returns_none_without_test)

    def uses_feedforward(self, training_data, epochs, size, eta, test_data=None, rng=None):
        self.feedforward(training_data[0][0])

    with pytest.raises(
        CheckFailed, match="only self.update_mini_batch and self.evaluate; it used self.feedforward"
    ):
        check_SGD(uses_feedforward)

    def evaluate_per_batch(self, training_data, epochs, size, eta, test_data=None, rng=None):
        rng, data, accuracies = np.random.default_rng(rng), list(training_data), []
        for _ in range(epochs):
            rng.shuffle(data)
            for k in range(0, len(data), size):
                self.update_mini_batch(data[k : k + size], eta)
                if test_data is not None:
                    accuracies.append(self.evaluate(test_data) / len(test_data))
        return accuracies

    with pytest.raises(
        CheckFailed,
        match="once per epoch, after the epoch's mini-batches; in 3 epochs it called it",
    ):
        check_SGD(evaluate_per_batch)

    def stdlib_random(self, training_data, epochs, size, eta, test_data=None, rng=None):
        data, accuracies = list(training_data), []
        for _ in range(epochs):
            random.shuffle(data)
            for k in range(0, len(data), size):
                self.update_mini_batch(data[k : k + size], eta)
            if test_data is not None:
                accuracies.append(self.evaluate(test_data) / len(test_data))
        return accuracies

    with pytest.raises(CheckFailed, match="not np.random or random"):
        check_SGD(stdlib_random)


@pytest.mark.parametrize("seed", ["1", "2", "3", "4", "5"])
def test_SGD_check_passes_the_reference_for_any_sizes(monkeypatch, seed):
    """Whatever data size and mini-batch size the check draws, does the reference pass?"""
    monkeypatch.setenv("HANDNET_CHECK_SEED", seed)
    check_SGD(reference_SGD)


def test_questions():
    """Are the right letters accepted (in any case, with parentheses), and wrong or
    malformed answers told why?"""
    check_parity_answer("c")
    check_parity_answer(" (C) ")
    check_eta_answer("b")
    with pytest.raises(CheckFailed, match="more epochs do not help"):
        check_parity_answer("b")
    with pytest.raises(CheckFailed, match="overfitting"):
        check_eta_answer("a")
    with pytest.raises(CheckFailed, match="one of the letters"):
        check_parity_answer(3)
    with pytest.raises(CheckFailed, match="one of the letters"):
        check_eta_answer("e")
