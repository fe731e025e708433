"""The reference network and helpers shared by the checks of assignment 6
(``improving_*`` modules): a matrix-based ``_Net`` to pass as ``self``, one-hot targets,
random parameters, and method-check wrappers for catalogue variants."""

import numpy as np

from ..activations import sigmoid
from ..costs import CrossEntropyCost, QuadraticCost
from ..matrix import backprop_batch
from .core import Mistake

COST_CLASSES = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}


class _Net:
    """A reference network as ``self`` for one of the student's methods: ``sizes``,
    ``num_layers``, ``weights``, ``biases``, ``cost``, ``feedforward(X)`` and
    ``backprop(X, Y)`` (gradients summed over the columns of a batch)."""

    def __init__(self, sizes, weights=None, biases=None, cost=CrossEntropyCost):
        self.sizes = list(sizes)
        self.num_layers = len(sizes)
        self.weights = weights
        self.biases = biases
        self.cost = cost

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def backprop(self, X, Y):
        return backprop_batch(self.weights, self.biases, X, Y, self.cost)


def _one_hot(labels, n):
    Y = np.zeros((n, len(labels)))
    Y[labels, np.arange(len(labels))] = 1.0
    return Y


def _random_parameters(rng, sizes, scale=1.0):
    weights = [rng.normal(0, scale, size=(y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 1, size=(y, 1)) for y in sizes[1:]]
    return weights, biases


def _as_method_check(mistakes, run):
    """The mistakes with each variant wrapped by ``run`` (which builds ``self``)."""
    return tuple(Mistake(m.key, m.hint, lambda *case, v=m.variant: run(v, *case)) for m in mistakes)
