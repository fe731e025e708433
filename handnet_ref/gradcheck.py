"""Gradient checking: centred differences and relative errors.

A backprop gradient is trusted when it matches (C(p + h) - C(p - h)) / 2h for every
parameter p. Centred differences have error O(h^2); with h = 1e-5 in float64 a correct
backprop on a small network agrees to a relative error below 1e-7. On large networks with
N(0, 1) weights, saturated units make some derivatives tiny, and the relative error of a
tiny number is noise: check small networks, or compare with an absolute tolerance.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .network import Network


def rel_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    """||a - b|| / max(||a|| + ||b||, eps), with Euclidean norms over all entries.

    Whole-array norms rather than entry by entry: an entry whose true derivative is
    nearly 0 has a large relative rounding error that says nothing about backprop, while a
    real bug (a transpose, a missing term) moves the whole array and shows as 1e-2 or more.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), eps))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of the scalar function ``f()`` with respect to ``x``.

    ``x`` is a float64 array that ``f`` reads; it is perturbed in place one entry at a
    time and restored. Returns an array of ``x``'s shape.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def network_numerical_gradients(
    net: "Network", x: np.ndarray, y: np.ndarray, h: float = 1e-5
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(nabla_b, nabla_w) of ``net.cost.fn(net.feedforward(x), y)``, numerically.

    x: (sizes[0], m), y: (sizes[-1], m); the cost is summed over the m columns, which is
    what backprop's per-example gradients add up to. ``net`` must be float64.
    """
    cost = lambda: net.cost.fn(net.feedforward(x), y)
    nabla_b = [numerical_gradient(cost, b, h) for b in net.biases]
    nabla_w = [numerical_gradient(cost, w, h) for w in net.weights]
    return nabla_b, nabla_w
