"""The reference network and helpers shared by the checks of assignment 6
(``improving_*`` modules): ``network2``'s ``Network`` adapted to the notebook (``_Net``,
to pass as ``self``), one-hot targets, random parameters, and method-check wrappers for
catalogue variants.

Where the notebook's network differs from ``network2.Network``: its ``backprop(X, Y)``
takes a whole batch (X (n_0, m), Y (n_L, m)) and returns the gradients summed over the
columns; ``update_mini_batch(self, X, Y, eta, lmbda, n)`` takes that batch rather than a
list of (x, y) pairs; its data is ``(X, labels)`` only; it saves the cost under its class
name (``"CrossEntropyCost"``), not the cost's ``name``, and saves no ``init`` or ``dtype``.
"""

import numpy as np

from ..costs import CrossEntropyCost, QuadraticCost
from ..matrix import backprop_batch
from ..network2 import Network as ReferenceNetwork
from .core import Mistake

COST_CLASSES = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}


class _Net(ReferenceNetwork):
    """``network2.Network`` holding the given parameters, with the notebook's batch
    ``backprop(X, Y)`` (``matrix.backprop_batch``: gradients summed over the columns)."""

    def __init__(self, sizes, weights=None, biases=None, cost=CrossEntropyCost):
        super().__init__(sizes, cost=cost, rng=0)
        self.weights = weights
        self.biases = biases

    def backprop(self, X: np.ndarray, Y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return backprop_batch(self.weights, self.biases, X, Y, self.cost)


def columns(X: np.ndarray, Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The batch (X (n_0, m), Y (n_L, m)) as the book's list of m (x, y) column pairs."""
    return [(X[:, [j]], Y[:, [j]]) for j in range(X.shape[1])]


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
