"""Matrix-based mini-batch backpropagation.

The book's ``update_mini_batch`` runs ``backprop`` once per example. Here a whole
mini-batch goes through the network at once: the m examples are the columns of an
(n_0, m) matrix X, every z^l and a^l becomes an (n_l, m) matrix, and the sums over the
batch that the loop accumulates fall out of two matrix products:

    nabla_b^l = delta^l summed over its columns          shape (n_l, 1)
    nabla_w^l = delta^l (a^{l-1})^T                      shape (n_l, n_{l-1})

``backprop_batch`` is the readable version. ``BatchTrainer`` is the fast one used by
``SGD``: it keeps the examples as rows, gathers each mini-batch into a preallocated
buffer, works in place and folds eta/m into delta, because at a mini-batch of 10 the cost
of an epoch is numpy's per-call overhead (about 30 calls a batch), not arithmetic.
"""

from typing import TYPE_CHECKING

import numpy as np

from .activations import sigmoid, sigmoid_inplace
from .costs import QuadraticCost

if TYPE_CHECKING:
    # Quoted where used: a mistake sample written out with backprop_batch
    # (handnet_grader.mistake_source) would otherwise carry both cost classes.
    from .costs import Cost


def backprop_batch(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    cost: "Cost" = QuadraticCost,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Gradients of the cost summed over a batch.

    weights[l]: (n_{l+1}, n_l); biases[l]: (n_{l+1}, 1);
    X: (n_0, m), one example per column; Y: (n_L, m), the desired outputs.
    Returns (nabla_b, nabla_w), lists shaped like ``biases`` and ``weights``, equal
    (up to rounding) to the sums of the per-example ``backprop`` over the m columns.
    """
    activation, activations, zs = X, [X], []
    for w, b in zip(weights, biases):
        z = w @ activation + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = cost.delta(zs[-1], activations[-1], Y)
    nabla_b = [None] * len(weights)
    nabla_w = [None] * len(weights)
    nabla_b[-1] = delta.sum(axis=1, keepdims=True)
    nabla_w[-1] = delta @ activations[-2].T
    # l counts layers from the end: -1 is the output layer, -2 the one before it.
    for l in range(2, len(weights) + 1):
        a = activations[-l]
        delta = (weights[-l + 1].T @ delta) * (a * (1 - a))
        nabla_b[-l] = delta.sum(axis=1, keepdims=True)
        nabla_w[-l] = delta @ activations[-l - 1].T
    return nabla_b, nabla_w


def feedforward_rows(
    weights: list[np.ndarray], biases: list[np.ndarray], X_rows: np.ndarray
) -> np.ndarray:
    """Output activations for examples given as rows: X_rows (m, n_0) -> (m, n_L)."""
    a = X_rows
    with np.errstate(over="ignore"):
        for w, b in zip(weights, biases):
            a = sigmoid_inplace(a @ w.T + b.T)
    return a


class BatchTrainer:
    """One epoch of mini-batch SGD with in-place updates of ``weights`` and ``biases``.

    The arrays are the network's own and are changed in place; their dtype (float64 or
    float32) sets the dtype of the whole computation. ``cost`` gives ``delta_inplace``.
    """

    def __init__(self, weights, biases, cost=QuadraticCost):
        self.weights = weights
        self.biases = biases
        self.cost = cost
        self.dtype = weights[0].dtype
        self._buffers = {}

    def _buffers_for(self, m):
        """Per-layer buffers for a batch of m rows, made once per batch size."""
        if m not in self._buffers:
            sizes = [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]
            new = lambda *shape: np.empty(shape, dtype=self.dtype)
            self._buffers[m] = (
                new(m, sizes[0]),  # the batch's inputs x
                new(m, sizes[-1]),  # the batch's targets y
                [new(m, n) for n in sizes[1:]],  # a^l as rows, l = 1..L
                [new(m, n) for n in sizes[1:]],  # delta^l as rows
                [new(m, n) for n in sizes[1:]],  # scratch for 1 - a, then a (1 - a)
                [new(*w.shape) for w in self.weights],  # eta/m * nabla_w
                [new(n) for n in sizes[1:]],  # eta/m * nabla_b
            )
        return self._buffers[m]

    def epoch(
        self,
        X_rows: np.ndarray,
        Y_rows: np.ndarray,
        order: np.ndarray,
        mini_batch_size: int,
        eta: float,
        decay: float = 1.0,
    ) -> None:
        """Run SGD once over the rows, taking them in the given order.

        X_rows: (N, n_0) and Y_rows: (N, n_L), of the network's dtype; order: a
        permutation of range(N). Each mini-batch is gathered into a buffer, so the data
        is never copied as a whole. ``decay`` multiplies every weight before each update
        (L2: 1 - eta * lmbda / n). The last mini-batch is smaller when N is not a
        multiple of ``mini_batch_size``.
        """
        n_layers = len(self.weights)
        biases_rows = [b.reshape(-1) for b in self.biases]  # views: updates reach biases
        with np.errstate(over="ignore"):
            for k in range(0, len(order), mini_batch_size):
                rows = order[k : k + mini_batch_size]
                m = len(rows)
                x, y, acts, deltas, scratch, nabla_w, nabla_b = self._buffers_for(m)
                np.take(X_rows, rows, axis=0, out=x)
                np.take(Y_rows, rows, axis=0, out=y)
                a = x
                for w, b, out in zip(self.weights, biases_rows, acts):
                    np.matmul(a, w.T, out=out)
                    out += b
                    a = sigmoid_inplace(out)
                delta = self.cost.delta_inplace(acts[-1], y, deltas[-1], scratch[-1])
                delta *= eta / m
                for l in range(n_layers - 1, -1, -1):
                    a_prev = acts[l - 1] if l > 0 else x
                    if l > 0:  # propagate with the weights before this step's update
                        d_prev = np.matmul(delta, self.weights[l], out=deltas[l - 1])
                        t = np.subtract(1.0, a_prev, out=scratch[l - 1])
                        t *= a_prev
                        d_prev *= t
                    np.matmul(delta.T, a_prev, out=nabla_w[l])
                    if decay != 1.0:
                        self.weights[l] *= decay
                    self.weights[l] -= nabla_w[l]
                    biases_rows[l] -= np.add.reduce(
                        delta, axis=0, out=nabla_b[l]
                    )  # np.sum's wrapper costs 2 us
                    if l > 0:
                        delta = d_prev
