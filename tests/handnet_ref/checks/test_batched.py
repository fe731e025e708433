"""The checks of assignment 5 (matrix-based mini-batch backprop) beyond the generic
catalogue test: other correct ways of writing the exercises pass, unlisted mistakes get
clear messages, and the notebook's question is marked as intended."""

import numpy as np
import pytest

from handnet_ref.activations import sigmoid, sigmoid_prime
from handnet_ref.checks import CheckFailed
from handnet_ref.checks.batched import (
    check_backprop_matrix,
    check_speedup_answer,
    check_update_mini_batch_matrix,
    reference_backprop_matrix,
)


def book_style_backprop_matrix(self, X, Y):
    """Correct, written like the book's backprop, with np.sum and tuples."""
    nabla_b = [np.zeros(b.shape) for b in self.biases]
    nabla_w = [np.zeros(w.shape) for w in self.weights]
    activation, activations, zs = X, [X], []
    for b, w in zip(self.biases, self.weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = self.cost_derivative(activations[-1], Y) * sigmoid_prime(zs[-1])
    nabla_b[-1] = np.sum(delta, axis=1, keepdims=True)
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for l in range(2, self.num_layers):
        delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
        nabla_b[-l] = np.sum(delta, axis=1).reshape(-1, 1)
        nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
    return tuple(nabla_b), tuple(nabla_w)


def test_other_correct_backprop_matrix_passes():
    """Does a correct backprop_matrix written the book's way pass, and the reference?"""
    check_backprop_matrix(book_style_backprop_matrix)
    check_backprop_matrix(reference_backprop_matrix)


def test_backprop_matrix_unlisted_mistake():
    """Is a mistake without a catalogue entry (nabla_w halved) described by its first
    differing number, with the seed to replay it?"""

    def halved(self, X, Y):
        nabla_b, nabla_w = book_style_backprop_matrix(self, X, Y)
        return nabla_b, [nw * 0.5 for nw in nabla_w]

    with pytest.raises(
        CheckFailed, match=r"backprop_matrix, item 1,+ item 0, is wrong: .*check seed 7"
    ):
        check_backprop_matrix(halved)


def in_place_update_matrix(self, mini_batch, eta):
    """Correct, with np.concatenate and updates in place."""
    X = np.concatenate([x for x, _ in mini_batch], axis=1)
    Y = np.concatenate([y for _, y in mini_batch], axis=1)
    nabla_b, nabla_w = self.backprop_matrix(X, Y)
    for w, nw in zip(self.weights, nabla_w):
        w -= (eta / len(mini_batch)) * nw
    for b, nb in zip(self.biases, nabla_b):
        b -= (eta / len(mini_batch)) * nb


def test_other_correct_update_passes():
    """Does a correct update_mini_batch_matrix that works in place pass?"""
    check_update_mini_batch_matrix(in_place_update_matrix)


def test_update_unlisted_mistakes():
    """Are calling backprop_matrix twice, a flattened X and a stub explained?"""

    def twice(self, mini_batch, eta):
        self.backprop_matrix(
            np.hstack([x for x, _ in mini_batch]), np.hstack([y for _, y in mini_batch])
        )
        in_place_update_matrix(self, mini_batch, eta)

    with pytest.raises(CheckFailed, match="should call self.backprop_matrix once per mini-batch"):
        check_update_mini_batch_matrix(twice)

    def flattened(self, mini_batch, eta):
        X = np.vstack([x for x, _ in mini_batch])
        Y = np.vstack([y for _, y in mini_batch])
        self.backprop_matrix(X, Y)

    with pytest.raises(CheckFailed, match=r"should be given X of shape \(\d, \d+\)"):
        check_update_mini_batch_matrix(flattened)

    def stub(self, mini_batch, eta):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not written yet"):
        check_update_mini_batch_matrix(stub)


def test_speedup_question():
    """Is the right letter accepted and a wrong one told why?"""
    check_speedup_answer("b")
    with pytest.raises(CheckFailed, match="same arithmetic"):
        check_speedup_answer("a")
